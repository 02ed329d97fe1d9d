//! The API's reference lists (categories, statuses, priorities, staff, knowledge base): their
//! shapes, checked against the routes' OpenAPI fragment (`src/api/openapi/reference.json`), a
//! limited agent's `accessible` flags, the knowledge base's pages and search, and 400 for a bad
//! parameter.

use rocket::http::{Header, Status};
use rocket::local::blocking::Client;
use serde_json::Value;

use crate::common::*;
use helpdesk::auth::api_tokens::{self, Scope};

fn token_for(app: &TestApp, email: &str) -> String {
    let email = email.to_string();
    app.db
        .write_blocking(move |c| {
            let id: i64 = c.query_row("SELECT id FROM staff WHERE email = ?1", [&email], |r| {
                r.get(0)
            })?;
            api_tokens::create(c, id, "reference test", Scope::Read, 0)
        })
        .unwrap()
        .1
}

fn get_json(client: &Client, path: &str, token: &str) -> (Status, Value) {
    let res = client
        .get(path.to_string())
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch();
    let status = res.status();
    let text = res.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON from {path}: {text}"));
    (status, body)
}

fn fragment() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/api/openapi/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Checks `value` against `schema` for the parts of JSON Schema the fragment uses (type, enum,
/// required, properties, additionalProperties: false, items, minItems, minimum, maximum, $ref
/// into components.schemas); every problem is pushed with its place.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{reference} is not defined");
        return check(doc, target, value, at, problems);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_of = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.is_empty()
        || types.contains(&type_of)
        || (type_of == "integer" && types.contains(&"number"));
    if !fits {
        problems.push(format!("{at}: {type_of}, expected {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_i64(), value.as_i64())
        && n < min
    {
        problems.push(format!("{at}: {n} < {min}"));
    }
    if let (Some(max), Some(n)) = (schema["maximum"].as_i64(), value.as_i64())
        && n > max
    {
        problems.push(format!("{at}: {n} > {max}"));
    }
    match value {
        Value::Object(map) => {
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap();
                if !map.contains_key(key) {
                    problems.push(format!("{at}: missing {key}"));
                }
            }
            let properties = schema["properties"].as_object();
            for (key, v) in map {
                match properties.and_then(|p| p.get(key)) {
                    Some(s) => check(doc, s, v, &format!("{at}.{key}"), problems),
                    None if schema["additionalProperties"] == Value::Bool(false) => {
                        problems.push(format!("{at}: {key} is not in the schema"))
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = schema["minItems"].as_u64()
                && (items.len() as u64) < min
            {
                problems.push(format!("{at}: fewer than {min} items"));
            }
            if schema["items"].is_object() {
                for (i, item) in items.iter().enumerate() {
                    check(doc, &schema["items"], item, &format!("{at}[{i}]"), problems);
                }
            }
        }
        _ => {}
    }
}

/// GETs `path` and checks the answer against the fragment's 200 schema for `route`.
fn get_valid(client: &Client, route: &str, path: &str, token: &str) -> Value {
    let (status, body) = get_json(client, path, token);
    assert_eq!(status, Status::Ok, "{path}: {body}");
    let doc = fragment();
    let schema =
        &doc["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "no 200 schema for {route}");
    let mut problems = Vec::new();
    check(&doc, schema, &body, path, &mut problems);
    assert!(problems.is_empty(), "{}\n{body}", problems.join("\n"));
    body
}

/// A 4xx in the one error shape, as the fragment's answers say (`Error` in the base document).
fn assert_error(client: &Client, path: &str, token: &str, status: Status, word: &str) {
    let (got, body) = get_json(client, path, token);
    assert_eq!(got, status, "{path}: {body}");
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(word), "{path}: {message}");
    let doc = fragment();
    let route = path
        .split('?')
        .next()
        .unwrap()
        .trim_start_matches("/api/v1");
    let answers = &doc["paths"][route]["get"]["responses"];
    assert_eq!(
        answers[status.code.to_string()]["$ref"],
        "#/components/responses/Error",
        "{route} documents its {status}"
    );
}

#[test]
fn the_fragment_describes_exactly_these_routes() {
    let doc = fragment();
    let mut documented: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    documented.sort();
    let mut served: Vec<String> = helpdesk::api::reference::routes()
        .iter()
        .map(|r| r.uri.path().to_string())
        .collect();
    served.sort();
    assert_eq!(documented, served);
    for (path, item) in doc["paths"].as_object().unwrap() {
        let answers = item["get"]["responses"].as_object().unwrap();
        for code in ["401", "429"] {
            assert_eq!(
                answers[code]["$ref"], "#/components/responses/Error",
                "{path} {code}"
            );
        }
    }
    let names: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    for name in names {
        assert!(
            ["Category", "Status", "Priority", "StaffMember", "Kb"]
                .iter()
                .any(|area| name.starts_with(area)),
            "{name} is outside the reference area"
        );
    }
}

#[test]
fn the_lists_have_their_documented_shapes_and_a_limited_agent_sees_what_it_may_work() {
    let app = TestApp::new();
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let agent_id = app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ));
    // Limit the agent to the first category through the admin page.
    let path = format!("/admin/staff/{agent_id}");
    let token = csrf(&admin, &path);
    let res = post_form(
        &admin,
        &path,
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "agent"),
            ("active", "on"),
            ("access_shown", "true"),
            ("categories", "1"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let agent = token_for(&app, AGENT_EMAIL);
    let boss = token_for(&app, ADMIN_EMAIL);

    let body = get_valid(&app.client, "/categories", "/api/v1/categories", &agent);
    let categories = body["data"].as_array().unwrap();
    assert!(categories.len() >= 2, "{body}");
    for c in categories {
        let expected = c["id"] == 1;
        assert_eq!(c["accessible"], expected, "{c}");
        assert!(c["default_priority"]["name"].is_string(), "{c}");
    }
    let body = get_valid(&app.client, "/categories", "/api/v1/categories", &boss);
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["accessible"] == true)
    );

    let body = get_valid(&app.client, "/statuses", "/api/v1/statuses", &agent);
    let slugs: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["slug"].as_str())
        .collect();
    assert!(
        slugs.contains(&"new") && slugs.contains(&"closed"),
        "{body}"
    );

    let body = get_valid(&app.client, "/priorities", "/api/v1/priorities", &agent);
    let ranks: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rank"].as_i64().unwrap())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "lowest first: {ranks:?}"
    );
    assert!(body["data"][0]["slug"] == "low", "{body}");

    let body = get_valid(&app.client, "/staff", "/api/v1/staff", &agent);
    let people = body["data"].as_array().unwrap();
    assert_eq!(people.len(), 2);
    let admin_row = people.iter().find(|p| p["email"] == ADMIN_EMAIL).unwrap();
    assert_eq!(admin_row["role"], "admin");
    assert_eq!(admin_row["active"], true);
    let agent_row = people.iter().find(|p| p["email"] == AGENT_EMAIL).unwrap();
    assert_eq!(agent_row["role"], "agent");
    assert_eq!(agent_row["name"], "Gus Agent");
}

/// Saves an article through the staff editor.
fn write_article(staff: &Client, slug: &str, state: &str, title_en: &str, title_es: &str) {
    let token = csrf(staff, "/staff/kb/new");
    let res = post_form(
        staff,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", slug),
            ("category", ""),
            ("state", state),
            ("sort", "0"),
            ("title_en", title_en),
            ("body_en", "Turn the **wombatprinter** off and on again."),
            ("title_es", title_es),
            (
                "body_es",
                if title_es.is_empty() {
                    ""
                } else {
                    "Apaga la impresora."
                },
            ),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "article {slug} saved");
}

#[test]
fn knowledge_base_articles_come_in_cursor_pages_and_search_answers_plain_snippets() {
    let app = TestApp::new();
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    for i in 1..=5 {
        let es = if i == 1 { "Reiniciar la impresora" } else { "" };
        write_article(
            &staff,
            &format!("printer-{i}"),
            "published",
            &format!("Printer fix {i}"),
            es,
        );
    }
    write_article(
        &staff,
        "draft-one",
        "draft",
        "Unfinished wombatprinter notes",
        "",
    );
    write_article(
        &staff,
        "internal-one",
        "internal",
        "Wombatprinter admin password",
        "",
    );
    let token = token_for(&app, AGENT_EMAIL);

    // Pages of two, by id, until next_cursor is null.
    let mut path = "/api/v1/kb/articles?limit=2".to_string();
    let mut slugs = Vec::new();
    for _ in 0..5 {
        let body = get_valid(&app.client, "/kb/articles", &path, &token);
        for a in body["data"].as_array().unwrap() {
            slugs.push(a["slug"].as_str().unwrap().to_string());
            assert_eq!(a["state"], "published");
            let url = a["url"].as_str().unwrap();
            assert!(
                url.ends_with(&format!("/kb/{}", a["slug"].as_str().unwrap())),
                "{url}"
            );
        }
        match body["next_cursor"].as_str() {
            Some(next) => path = format!("/api/v1/kb/articles?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        slugs,
        [
            "printer-1",
            "printer-2",
            "printer-3",
            "printer-4",
            "printer-5"
        ]
    );
    let body = get_valid(
        &app.client,
        "/kb/articles",
        "/api/v1/kb/articles?lang=es",
        &token,
    );
    let first = &body["data"][0];
    assert_eq!(first["title"], "Reiniciar la impresora");
    assert_eq!(first["lang"], "es");
    assert_eq!(first["languages"], serde_json::json!(["en", "es"]));
    assert_eq!(body["data"][1]["languages"], serde_json::json!(["en"]));
    assert_eq!(body["next_cursor"], Value::Null);

    let body = get_valid(
        &app.client,
        "/kb/articles",
        "/api/v1/kb/articles?status=draft",
        &token,
    );
    let drafts: Vec<&Value> = body["data"].as_array().unwrap().iter().collect();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0]["slug"], "draft-one");
    assert_eq!(drafts[0]["state"], "draft");

    // Search: published and internal articles, as staff search them; plain-text snippets.
    let body = get_valid(
        &app.client,
        "/kb/search",
        "/api/v1/kb/search?q=wombatprint",
        &token,
    );
    let hits = body["data"].as_array().unwrap();
    let found: Vec<&str> = hits.iter().map(|h| h["slug"].as_str().unwrap()).collect();
    assert!(found.contains(&"internal-one"), "{body}");
    assert!(found.contains(&"printer-3"), "{body}");
    assert!(
        !found.contains(&"draft-one"),
        "drafts are not searched: {body}"
    );
    for h in hits {
        let snippet = h["snippet"].as_str().unwrap();
        assert!(
            snippet.to_lowercase().contains("wombatprinter"),
            "{snippet}"
        );
        assert!(
            !snippet.contains('<') && !snippet.contains('\u{1}'),
            "{snippet}"
        );
    }
    let body = get_valid(
        &app.client,
        "/kb/search",
        "/api/v1/kb/search?q=wombatprinter&limit=2",
        &token,
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_parameters_get_400_naming_them() {
    let app = TestApp::new();
    let token = token_for(&app, AGENT_EMAIL);
    let c = &app.client;
    for q in [
        "/api/v1/kb/search",
        "/api/v1/kb/search?q=",
        "/api/v1/kb/search?q=%20-*",
    ] {
        assert_error(c, q, &token, Status::BadRequest, "q");
    }
    for limit in ["0", "101", "ten"] {
        let path = format!("/api/v1/kb/articles?limit={limit}");
        assert_error(c, &path, &token, Status::BadRequest, "limit");
        let path = format!("/api/v1/kb/search?q=printer&limit={limit}");
        assert_error(c, &path, &token, Status::BadRequest, "limit");
    }
    assert_error(
        c,
        "/api/v1/kb/articles?cursor=abc",
        &token,
        Status::BadRequest,
        "cursor",
    );
    assert_error(
        c,
        "/api/v1/kb/articles?status=deleted",
        &token,
        Status::BadRequest,
        "status",
    );
    assert_error(
        c,
        "/api/v1/kb/articles?lang=fr",
        &token,
        Status::BadRequest,
        "lang",
    );
    // Unknown parameters are ignored.
    let (status, _) = get_json(c, "/api/v1/kb/articles?colour=blue", &token);
    assert_eq!(status, Status::Ok);
}
