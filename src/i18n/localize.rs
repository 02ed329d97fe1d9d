//! Templates with the translations baked in, one Tera instance per language.
//!
//! Templates read UI strings as `{{ t.some_key }}`. Handing every render the whole catalog (a
//! JSON object of several hundred strings, cloned into each context) cost more than many pages'
//! own data, so at start each template is parsed once per language and every static `t.key` is
//! replaced in the parsed tree by the translated string. A `{{ t.key }}` on its own becomes plain
//! text, HTML-escaped exactly as Tera's autoescape would have done; elsewhere (filters, tests,
//! string concatenation, macro arguments) it becomes a string literal, which Tera escapes like
//! any other value. Lookups by a computed key, `t[expr]`, become a call to the `tr` function
//! (`t[expr] | default(value=x)` passes the default along, since Tera ignores `default` after a
//! function call). Working on the parsed tree rather than the text means string delimiters,
//! comments and raw blocks need no special handling.
//!
//! Anything the rewrite cannot prove equivalent is left alone and the template is marked as
//! still needing the catalog (`needs_catalog`), so it keeps receiving `t` as before: a bare `t`
//! used as a value, or a template that assigns `t` itself. A key missing from the catalog stays a
//! lookup of `t`, so it still fails to render, as it did before.
//!
//! This relies on Tera's parsed-tree types (`tera::ast`), which Tera exports without a stability
//! promise; the version is pinned in Cargo.lock and the tests below exercise the rewrite.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tera::ast::{Expr, ExprVal, FunctionCall, Node};
use tera::{Template, Tera, Value};

/// Template names Tera escapes output for (its default list, set explicitly so the rewrite and
/// the renderer agree on it).
pub const AUTOESCAPE: [&str; 3] = [".html", ".htm", ".xml"];

/// The function that answers `t[expr]`.
pub const TR_FUNCTION: &str = "tr";

/// One language's templates.
pub struct Localized {
    pub tera: Tera,
    /// Templates that still read `t` from the context (themselves or through a parent,
    /// an include or an imported macro file).
    needs_catalog: HashSet<String>,
}

impl Localized {
    pub fn needs_catalog(&self, template: &str) -> bool {
        self.needs_catalog.contains(template)
    }
}

/// Parses `sources` (name, text) into a Tera instance with `catalog` baked in. `setup` registers
/// filters and functions shared by every language.
pub fn build(
    sources: &[(String, String)],
    catalog: &HashMap<String, String>,
    setup: impl Fn(&mut Tera),
) -> tera::Result<Localized> {
    let escaped = |name: &str| AUTOESCAPE.iter().any(|s| name.ends_with(s));
    let mut parsed = Vec::with_capacity(sources.len());
    for (name, text) in sources {
        let tpl = Template::new(name, None, text)
            .map_err(|e| tera::Error::chain(format!("Failed to parse '{name}'"), e))?;
        parsed.push(tpl);
    }
    // Pre-escaped text is only right if every node of an escaping template is rendered with
    // escaping on. Tera decides that by the name of the template being rendered, so a
    // non-escaping template that pulls in others (extends, include, import) could render an
    // escaping template's nodes unescaped; in that case keep string literals everywhere.
    let text_ok = parsed.iter().all(|tpl| {
        let mut refs = Vec::new();
        collect_refs(&tpl.ast, &mut refs);
        escaped(&tpl.name) || (refs.is_empty() && tpl.imported_macro_files.is_empty())
    });
    // A macro that takes the catalog as an argument (`m::message(t=t, ...)`) gets a placeholder
    // instead, unless some macro body uses its `t` in a way that was not rewritten.
    let mut keep_macro_args = false;
    let mut transformed = rewrite_all(&parsed, catalog, text_ok, escaped, keep_macro_args);
    if transformed.iter().any(|(_, r)| r.macro_residual) {
        keep_macro_args = true;
        transformed = rewrite_all(&parsed, catalog, text_ok, escaped, keep_macro_args);
    }

    let mut tera = Tera::default();
    tera.autoescape_on(AUTOESCAPE.to_vec());
    setup(&mut tera);
    let lookup = Arc::new(catalog.clone());
    tera.register_function(TR_FUNCTION, move |args: &HashMap<String, Value>| {
        translate(&lookup, args)
    });
    let mut residual: HashMap<String, (bool, Vec<String>)> = HashMap::new();
    for (tpl, r) in transformed {
        let mut deps = r.includes;
        deps.extend(
            tpl.imported_macro_files
                .iter()
                .map(|(file, _)| file.clone()),
        );
        residual.insert(tpl.name.clone(), (r.residual, deps));
        tera.templates.insert(tpl.name.clone(), tpl);
    }
    tera.build_inheritance_chains()?;
    tera.check_macro_files()?;
    for (name, tpl) in &tera.templates {
        if let Some(entry) = residual.get_mut(name) {
            entry.1.extend(tpl.parents.iter().cloned());
        }
    }
    // A template needs the catalog if it or anything it pulls in does; repeat until stable.
    let mut needs: HashSet<String> = residual
        .iter()
        .filter(|(_, (own, _))| *own)
        .map(|(n, _)| n.clone())
        .collect();
    loop {
        let more: Vec<String> = residual
            .iter()
            .filter(|(n, (_, deps))| !needs.contains(*n) && deps.iter().any(|d| needs.contains(d)))
            .map(|(n, _)| n.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        needs.extend(more);
    }
    Ok(Localized {
        tera,
        needs_catalog: needs,
    })
}

fn rewrite_all<'c>(
    parsed: &[Template],
    catalog: &'c HashMap<String, String>,
    text_ok: bool,
    escaped: impl Fn(&str) -> bool,
    keep_macro_args: bool,
) -> Vec<(Template, Rewrite<'c>)> {
    parsed
        .iter()
        .map(|tpl| {
            let mut tpl = tpl.clone();
            let mut r = Rewrite {
                catalog,
                text: text_ok && escaped(&tpl.name),
                keep_macro_args,
                residual: false,
                macro_residual: false,
                includes: Vec::new(),
            };
            if assigns_t(&tpl.ast) {
                // The template sets its own `t`; which `t` a use means depends on where it
                // sits, so leave it exactly as written.
                r.residual = true;
                return (tpl, r);
            }
            r.nodes(&mut tpl.ast, true);
            for block in tpl.blocks.values_mut() {
                r.nodes(&mut block.body, true);
            }
            for def in tpl.macros.values_mut() {
                // Tera macros see only their arguments: `t` in a body is the argument `t`,
                // which callers pass the catalog as.
                r.in_macro(&mut def.body, def.args.contains_key("t"));
            }
            (tpl, r)
        })
        .collect()
}

/// `t[expr]`: the translation of the key `key`, else `default` if given, else an error.
fn translate(
    catalog: &HashMap<String, String>,
    args: &HashMap<String, Value>,
) -> tera::Result<Value> {
    let key = match args.get("key") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        other => {
            return match args.get("default") {
                Some(d) => Ok(d.clone()),
                None => Err(tera::Error::msg(format!(
                    "translation key must be a string, got {other:?}"
                ))),
            };
        }
    };
    match (catalog.get(&key), args.get("default")) {
        (Some(text), _) => Ok(Value::String(text.clone())),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(tera::Error::msg(format!(
            "translation `{key}` not found in the catalog"
        ))),
    }
}

/// What `t`-rooted identifier an expression names.
enum TRef<'s> {
    /// `t` itself.
    Bare,
    /// `t.key` or `t["key"]`.
    Static(&'s str),
    /// `t[expr]`.
    Dynamic(&'s str),
    /// Not rooted at `t` (or a deeper path such as `t.a.b`, left for Tera to refuse).
    Other,
}

fn classify(ident: &str) -> TRef<'_> {
    if ident == "t" {
        return TRef::Bare;
    }
    if let Some(key) = ident.strip_prefix("t.") {
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return TRef::Static(key);
        }
        return TRef::Other;
    }
    if let Some(inner) = ident.strip_prefix("t[").and_then(|s| s.strip_suffix(']')) {
        // Only one bracket pair at the end: `t[a][b]` or `t[a].b` are left alone.
        let depth_ok = {
            let mut depth = 0i32;
            let mut ok = true;
            for c in inner.chars() {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ => {}
                }
                if depth < 0 {
                    ok = false;
                    break;
                }
            }
            ok && depth == 0
        };
        if !depth_ok || inner.is_empty() {
            return TRef::Other;
        }
        for q in ['"', '\'', '`'] {
            if let Some(lit) = inner.strip_prefix(q).and_then(|s| s.strip_suffix(q))
                && !lit.contains(q)
            {
                return TRef::Static(lit);
            }
        }
        return TRef::Dynamic(inner);
    }
    TRef::Other
}

/// Whether an identifier reads `t` inside brackets, as in `errors[t.key]`.
fn mentions_t_inside(ident: &str) -> bool {
    ["[t.", "[t]", "[t["].iter().any(|p| ident.contains(p))
}

fn tr_call(inner: &str) -> FunctionCall {
    FunctionCall {
        name: TR_FUNCTION.to_string(),
        args: HashMap::from([(
            "key".to_string(),
            Expr::new(ExprVal::Ident(inner.to_string())),
        )]),
    }
}

fn assigns_t(nodes: &[Node]) -> bool {
    nodes.iter().any(|node| match node {
        Node::Set(_, set) => set.key == "t",
        Node::MacroDefinition(_, def, _) => assigns_t(&def.body),
        Node::FilterSection(_, fs, _) => assigns_t(&fs.body),
        Node::Block(_, b, _) => assigns_t(&b.body),
        Node::Forloop(_, f, _) => {
            assigns_t(&f.body) || f.empty_body.as_deref().is_some_and(assigns_t)
        }
        Node::If(cond, _) => {
            cond.conditions.iter().any(|(_, _, body)| assigns_t(body))
                || cond.otherwise.as_ref().is_some_and(|(_, b)| assigns_t(b))
        }
        _ => false,
    })
}

/// Names of templates pulled in by `{% extends %}` or `{% include %}`.
fn collect_refs(nodes: &[Node], out: &mut Vec<String>) {
    for node in nodes {
        match node {
            Node::Extends(_, name) => out.push(name.clone()),
            Node::Include(_, names, _) => out.extend(names.iter().cloned()),
            Node::MacroDefinition(_, def, _) => collect_refs(&def.body, out),
            Node::FilterSection(_, fs, _) => collect_refs(&fs.body, out),
            Node::Block(_, b, _) => collect_refs(&b.body, out),
            Node::Forloop(_, f, _) => {
                collect_refs(&f.body, out);
                if let Some(b) = &f.empty_body {
                    collect_refs(b, out);
                }
            }
            Node::If(cond, _) => {
                for (_, _, body) in &cond.conditions {
                    collect_refs(body, out);
                }
                if let Some((_, b)) = &cond.otherwise {
                    collect_refs(b, out);
                }
            }
            _ => {}
        }
    }
}

struct Rewrite<'c> {
    catalog: &'c HashMap<String, String>,
    /// `{{ t.key }}` may become pre-escaped text.
    text: bool,
    /// Pass the real catalog to macros that take `t`.
    keep_macro_args: bool,
    /// The template still reads `t` from its context.
    residual: bool,
    /// A macro body uses its `t` argument in a way that was not rewritten.
    macro_residual: bool,
    includes: Vec<String>,
}

impl Rewrite<'_> {
    fn in_macro(&mut self, body: &mut Vec<Node>, has_t: bool) {
        let before = self.residual;
        self.residual = false;
        self.nodes(body, has_t);
        // Macro bodies cannot read the context, so a leftover `t` there means the argument.
        self.macro_residual |= self.residual;
        self.residual = before;
    }

    /// `live`: `t` in this scope is the catalog (not shadowed by a loop variable).
    fn nodes(&mut self, nodes: &mut Vec<Node>, live: bool) {
        for node in nodes.iter_mut() {
            match node {
                Node::VariableBlock(_, expr) => {
                    if live
                        && self.text
                        && expr.filters.is_empty()
                        && !expr.negated
                        && let ExprVal::Ident(ident) = &expr.val
                        && let TRef::Static(key) = classify(ident)
                        && let Some(text) = self.catalog.get(key)
                    {
                        *node = Node::Text(tera::escape_html(text));
                    } else {
                        self.expr(expr, live);
                    }
                }
                Node::MacroDefinition(_, def, _) => {
                    let has_t = def.args.contains_key("t");
                    for default in def.args.values_mut().flatten() {
                        self.expr(default, live);
                    }
                    self.in_macro(&mut def.body, has_t);
                }
                Node::Include(_, names, _) => self.includes.extend(names.iter().cloned()),
                Node::Set(_, set) => self.expr(&mut set.value, live),
                Node::FilterSection(_, fs, _) => {
                    self.call(&mut fs.filter, live);
                    self.nodes(&mut fs.body, live);
                }
                Node::Block(_, block, _) => self.nodes(&mut block.body, live),
                Node::Forloop(_, f, _) => {
                    self.expr(&mut f.container, live);
                    let inner = live && f.value != "t" && f.key.as_deref() != Some("t");
                    self.nodes(&mut f.body, inner);
                    if let Some(body) = &mut f.empty_body {
                        self.nodes(body, live);
                    }
                }
                Node::If(cond, _) => {
                    for (_, e, body) in &mut cond.conditions {
                        self.expr(e, live);
                        self.nodes(body, live);
                    }
                    if let Some((_, body)) = &mut cond.otherwise {
                        self.nodes(body, live);
                    }
                }
                Node::Super
                | Node::Text(_)
                | Node::Extends(..)
                | Node::ImportMacro(..)
                | Node::Raw(..)
                | Node::Break(_)
                | Node::Continue(_)
                | Node::Comment(..) => {}
            }
        }
        merge_text(nodes);
    }

    fn call(&mut self, call: &mut FunctionCall, live: bool) {
        for arg in call.args.values_mut() {
            self.expr(arg, live);
        }
    }

    fn expr(&mut self, expr: &mut Expr, live: bool) {
        for filter in &mut expr.filters {
            self.call(filter, live);
        }
        match &mut expr.val {
            ExprVal::Ident(ident) => {
                if !live {
                    return;
                }
                if mentions_t_inside(ident) {
                    self.residual = true;
                    return;
                }
                match classify(ident) {
                    TRef::Bare => self.residual = true,
                    TRef::Static(key) => {
                        if let Some(text) = self.catalog.get(key) {
                            expr.val = ExprVal::String(text.clone());
                        }
                    }
                    TRef::Dynamic(inner) => {
                        let mut call = tr_call(inner);
                        // Tera applies `default` only right after a variable lookup and skips
                        // it after a function call, so the function takes it instead.
                        if expr.filters.first().is_some_and(|f| f.name == "default") {
                            let filter = expr.filters.remove(0);
                            if let Some(value) = filter.args.get("value") {
                                call.args.insert("default".to_string(), value.clone());
                            }
                        }
                        expr.val = ExprVal::FunctionCall(call);
                    }
                    TRef::Other => {}
                }
            }
            ExprVal::StringConcat(concat) => {
                for val in &mut concat.values {
                    match val {
                        ExprVal::Ident(ident) if live => {
                            if mentions_t_inside(ident) {
                                self.residual = true;
                                continue;
                            }
                            match classify(ident) {
                                TRef::Bare => self.residual = true,
                                TRef::Static(key) => {
                                    if let Some(text) = self.catalog.get(key) {
                                        *val = ExprVal::String(text.clone());
                                    }
                                }
                                TRef::Dynamic(inner) => {
                                    *val = ExprVal::FunctionCall(tr_call(inner))
                                }
                                TRef::Other => {}
                            }
                        }
                        ExprVal::FunctionCall(call) => self.call(call, live),
                        _ => {}
                    }
                }
            }
            ExprVal::MacroCall(call) => {
                for (name, arg) in call.args.iter_mut() {
                    let passes_catalog = live
                        && name == "t"
                        && arg.filters.is_empty()
                        && !arg.negated
                        && matches!(&arg.val, ExprVal::Ident(i) if i == "t");
                    if passes_catalog && !self.keep_macro_args {
                        // The macro's own `t.key` uses are rewritten too, so it needs no
                        // catalog; an empty array still makes a leftover `t.key` fail loudly.
                        arg.val = ExprVal::Array(Vec::new());
                    } else {
                        self.expr(arg, live);
                    }
                }
            }
            ExprVal::FunctionCall(call) => self.call(call, live),
            ExprVal::Math(m) => {
                self.expr(&mut m.lhs, live);
                self.expr(&mut m.rhs, live);
            }
            ExprVal::Logic(l) => {
                self.expr(&mut l.lhs, live);
                self.expr(&mut l.rhs, live);
            }
            ExprVal::In(i) => {
                self.expr(&mut i.lhs, live);
                self.expr(&mut i.rhs, live);
            }
            ExprVal::Test(test) => {
                if live
                    && (!matches!(classify(&test.ident), TRef::Other)
                        || mentions_t_inside(&test.ident))
                {
                    self.residual = true;
                }
                for arg in &mut test.args {
                    self.expr(arg, live);
                }
            }
            ExprVal::Array(items) => {
                for item in items {
                    self.expr(item, live);
                }
            }
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
        }
    }
}

/// Joins neighbouring text nodes, so a run of baked-in strings is written in one go.
fn merge_text(nodes: &mut Vec<Node>) {
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for node in nodes.drain(..) {
        if let (Node::Text(next), Some(Node::Text(prev))) = (&node, out.last_mut()) {
            prev.push_str(next);
        } else {
            out.push(node);
        }
    }
    *nodes = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> HashMap<String, String> {
        [
            ("plain", "Hello"),
            ("amp", "Tom & Jerry <b>bold</b>"),
            ("quotes", r#"It's "quoted" and `ticked`"#),
            ("count", "{n} tickets"),
            ("role_admin", "Admin & co"),
            ("kind_staff", "Staff's"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn sources(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect()
    }

    /// The same template rendered the old way (the catalog in the context) and the new way.
    fn both(list: &[(&str, &str)], name: &str, data: serde_json::Value) -> (String, String) {
        let mut old = Tera::default();
        old.add_raw_templates(sources(list))
            .expect("templates parse");
        let mut ctx = tera::Context::from_value(data).expect("object");
        let mut with_t = ctx.clone();
        with_t.insert("t", &catalog());
        let before = old.render(name, &with_t).expect("old render");
        let new = build(&sources(list), &catalog(), |_| {}).expect("build");
        if new.needs_catalog(name) {
            ctx.insert("t", &catalog());
        }
        let after = new.tera.render(name, &ctx).expect("new render");
        (before, after)
    }

    #[test]
    fn static_keys_render_and_escape_as_before() {
        let tpl = r#"<p title="{{ t.quotes }}">{{ t.amp }}</p>{{ t.quotes }}|{{ t.amp | upper }}|{{ t.count | replace(from="{n}", to="3") }}|{% if t.plain %}{{ t.plain ~ "!" }}{% endif %}|{{ t["amp"] }}"#;
        let (before, after) = both(&[("a.html", tpl)], "a.html", json!({}));
        assert_eq!(before, after);
        assert!(after.contains("Tom &amp; Jerry &lt;b&gt;"), "{after}");
        assert!(after.contains("It&#x27;s &quot;quoted&quot;"), "{after}");
        // Not an escaping template: text stays as written.
        let (before, after) = both(&[("a.txt", tpl)], "a.txt", json!({}));
        assert_eq!(before, after);
        assert!(after.contains("Tom & Jerry <b>"), "{after}");
    }

    #[test]
    fn rewritten_templates_do_not_need_the_catalog() {
        let list = [
            (
                "base.html",
                "<title>{% block title %}{{ t.plain }}{% endblock title %}</title>{% block content %}{% endblock content %}",
            ),
            (
                "macros.html",
                "{% macro msg(m, t) %}<b>{{ t.kind_staff }}</b> {{ m }}{% endmacro msg %}",
            ),
            (
                "page.html",
                r#"{% extends "base.html" %}{% import "macros.html" as mc %}{% block content %}{{ mc::msg(m="x", t=t) }}{% endblock content %}"#,
            ),
        ];
        let (before, after) = both(&list, "page.html", json!({}));
        assert_eq!(before, after);
        assert!(after.contains("Staff&#x27;s"), "{after}");
        let built = build(&sources(&list), &catalog(), |_| {}).expect("build");
        assert!(!built.needs_catalog("page.html"));
    }

    #[test]
    fn dynamic_lookups_use_the_function() {
        let tpl = r#"{% for r in roles %}{% set key = "role_" ~ r %}[{{ t[key] | default(value=r) }}]{% endfor %}{{ t[which] }}"#;
        let (before, after) = both(
            &[("d.html", tpl)],
            "d.html",
            json!({ "roles": ["admin", "nobody"], "which": "amp" }),
        );
        assert_eq!(before, after);
        assert_eq!(
            after,
            "[Admin &amp; co][nobody]Tom &amp; Jerry &lt;b&gt;bold&lt;&#x2F;b&gt;"
        );
        let built = build(&sources(&[("d.html", tpl)]), &catalog(), |_| {}).expect("build");
        assert!(!built.needs_catalog("d.html"));
    }

    #[test]
    fn missing_keys_still_fail() {
        let built = build(
            &sources(&[("m.html", "{{ t.no_such_key }}"), ("n.html", "{{ t[k] }}")]),
            &catalog(),
            |_| {},
        )
        .expect("build");
        let ctx = tera::Context::from_value(json!({ "k": "no_such_key" })).expect("object");
        assert!(built.tera.render("m.html", &ctx).is_err());
        assert!(built.tera.render("n.html", &ctx).is_err());
    }

    #[test]
    fn shadowed_or_bare_t_is_left_alone() {
        // A loop variable named `t` is not the catalog.
        let tpl = "{% for t in items %}{{ t.plain }}{% endfor %}{{ t.plain }}";
        let data = json!({ "items": [{ "plain": "mine" }] });
        let (before, after) = both(&[("s.html", tpl)], "s.html", data);
        assert_eq!(before, after);
        assert_eq!(after, "mineHello");
        // `t` used as a value keeps the catalog in the context, for it and for its children.
        let list = [
            ("b.html", "{{ t | length }}{% block c %}{% endblock c %}"),
            (
                "c.html",
                r#"{% extends "b.html" %}{% block c %}{{ t.plain }}{% endblock c %}"#,
            ),
        ];
        let (before, after) = both(&list, "c.html", json!({}));
        assert_eq!(before, after);
        let built = build(&sources(&list), &catalog(), |_| {}).expect("build");
        assert!(built.needs_catalog("b.html") && built.needs_catalog("c.html"));
    }
}
