//! `Authentication-Results` (RFC 8601): what a mail server found when it checked a message's
//! sender (SPF, DKIM, DMARC). Anyone can write such a header into a message, so only the desk's
//! own mail server's word counts: the topmost header whose authserv-id is
//! `mail_trusted_authserv_id`. That server adds its header on top of those already in the
//! message, so a forged one with the same id sits below it; the server should also remove such
//! forgeries (RFC 8601 section 5), and it must add its own to every message it delivers.
//!
//! The desk trusts one verdict: `dmarc=pass` for the domain of the message's one From address.
//! Anything it cannot parse, any other DMARC result in that header, or a result for another
//! domain is no pass.

use mail_parser::{HeaderName, Message};

/// Whether the desk's own mail server (`authserv_id`, empty = nobody) says that `message`, whose
/// bytes are `raw`, passed DMARC for the domain of its From address `from`.
pub fn dmarc_pass(message: &Message<'_>, raw: &[u8], authserv_id: &str, from: &str) -> bool {
    if authserv_id.is_empty() {
        return false;
    }
    // One From header with one address: with more, which one was checked is anybody's guess.
    let from_headers = message
        .headers()
        .iter()
        .filter(|h| h.name == HeaderName::From)
        .count();
    if from_headers != 1 || message.from().is_none_or(|a| a.iter().count() != 1) {
        return false;
    }
    let Some((_, domain)) = from.rsplit_once('@') else {
        return false;
    };
    let ours = message
        .headers()
        .iter()
        .filter(|h| h.name == HeaderName::AuthenticationResults)
        .filter_map(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(String::from_utf8_lossy)
        .find(|value| names_server(value, authserv_id));
    match ours.as_deref().and_then(parse) {
        Some(results) if results.authserv_id.eq_ignore_ascii_case(authserv_id) => {
            results.dmarc_pass(domain)
        }
        _ => false,
    }
}

/// Whether a header value starts with `authserv_id`, read leniently: a header of the desk's
/// server that fails to parse must still stop the search (and count as no pass), or a forged
/// one below it would be read instead.
fn names_server(value: &str, authserv_id: &str) -> bool {
    let first = value
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .next()
        .unwrap_or("");
    first.eq_ignore_ascii_case(authserv_id)
        || parse(value).is_some_and(|r| r.authserv_id.eq_ignore_ascii_case(authserv_id))
}

/// One parsed header.
#[derive(Debug, PartialEq, Eq)]
struct AuthResults {
    authserv_id: String,
    results: Vec<ResInfo>,
}

/// One `method=result` with its properties, e.g. `dmarc=pass header.from=example.com`.
#[derive(Debug, PartialEq, Eq)]
struct ResInfo {
    /// Lowercase, without a version (`dkim/1` is `dkim`).
    method: String,
    /// Lowercase.
    result: String,
    /// (`ptype.property` lowercase, value as written), e.g. ("header.from", "example.com").
    props: Vec<(String, String)>,
}

impl AuthResults {
    /// At least one DMARC result, every one of them `pass` for `domain`.
    fn dmarc_pass(&self, domain: &str) -> bool {
        let mut dmarc = self
            .results
            .iter()
            .filter(|r| r.method == "dmarc")
            .peekable();
        dmarc.peek().is_some()
            && dmarc.all(|r| {
                r.result == "pass"
                    && r.props.iter().any(|(k, v)| {
                        // `header.from` is a domain, or (rarely) written as an address.
                        let d = v.rsplit('@').next().unwrap_or(v).trim_end_matches('.');
                        k == "header.from" && d.eq_ignore_ascii_case(domain.trim_end_matches('.'))
                    })
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An atom or a quoted string's content.
    Word(String),
    Eq,
    Semi,
}

/// Splits a header value into words, `=` and `;`, dropping white space and (nested) comments.
/// None when a comment or quoted string does not end.
fn tokens(value: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            ';' => out.push(Tok::Semi),
            '=' => out.push(Tok::Eq),
            '(' => {
                let mut depth = 1;
                while depth > 0 {
                    match chars.next()? {
                        '\\' => {
                            chars.next()?;
                        }
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
            }
            '"' => {
                let mut word = String::new();
                loop {
                    match chars.next()? {
                        '\\' => word.push(chars.next()?),
                        '"' => break,
                        c => word.push(c),
                    }
                }
                out.push(Tok::Word(word));
            }
            c => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, ';' | '=' | '(' | '"') {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                out.push(Tok::Word(word));
            }
        }
    }
    Some(out)
}

/// Parses `authserv-id [version] (; none | 1*(; method=result [reason=...] *(ptype.prop=value)))`.
/// None for anything else.
fn parse(value: &str) -> Option<AuthResults> {
    let tokens = tokens(value)?;
    let mut segments = tokens.split(|t| *t == Tok::Semi);
    let authserv_id = match segments.next()? {
        [Tok::Word(id)] => id.clone(),
        [Tok::Word(id), Tok::Word(version)] if version.chars().all(|c| c.is_ascii_digit()) => {
            id.clone()
        }
        _ => return None,
    };
    let mut results = Vec::new();
    for segment in segments {
        match segment {
            // A trailing `;` is common enough to forgive.
            [] => {}
            [Tok::Word(none)] if none.eq_ignore_ascii_case("none") => {}
            [Tok::Word(method), Tok::Eq, Tok::Word(result), rest @ ..] => {
                let mut props = Vec::new();
                for prop in rest.chunks(3) {
                    match prop {
                        [Tok::Word(k), Tok::Eq, Tok::Word(v)] => {
                            props.push((k.to_ascii_lowercase(), v.clone()));
                        }
                        _ => return None,
                    }
                }
                let method = method.split('/').next().unwrap_or(method);
                results.push(ResInfo {
                    method: method.trim().to_ascii_lowercase(),
                    result: result.to_ascii_lowercase(),
                    props,
                });
            }
            _ => return None,
        }
    }
    Some(AuthResults {
        authserv_id,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn pass(raw: &str, id: &str) -> bool {
        let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let from = m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("")
            .to_lowercase();
        dmarc_pass(&m, raw.as_bytes(), id, &from)
    }

    fn mail(headers: &str) -> String {
        format!("{headers}From: Ana <ana@Example.com>\r\nSubject: hi\r\n\r\nhello\r\n")
    }

    #[test]
    fn parses_methods_properties_comments_and_quotes() {
        let r = parse(
            " mx.desk.example 1; spf=pass smtp.mailfrom=example.com;\r\n\tdkim=pass (good \
             (nested) signature) header.d=example.com header.s=\"sel 1\";\r\n dmarc=pass \
             (p=reject dis=none) header.from=example.com;",
        )
        .unwrap();
        assert_eq!(r.authserv_id, "mx.desk.example");
        assert_eq!(r.results.len(), 3);
        assert_eq!(r.results[1].method, "dkim");
        assert_eq!(
            r.results[1].props[1],
            ("header.s".to_string(), "sel 1".to_string())
        );
        assert!(r.dmarc_pass("example.com"));
        assert!(!r.dmarc_pass("example.org"));
        assert_eq!(parse("mx; none").unwrap().results, vec![]);
        assert_eq!(parse("mx; dmarc=pass (unterminated"), None);
        assert_eq!(parse("mx; dmarc"), None);
        assert_eq!(parse("mx; dmarc=pass header.from"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn only_the_topmost_header_of_the_trusted_server_counts() {
        let id = "mx.desk.example";
        let good =
            "Authentication-Results: mx.desk.example; dmarc=pass header.from=example.com\r\n";
        assert!(pass(&mail(good), id));
        assert!(pass(
            &mail(&good.to_uppercase().replace("EXAMPLE.COM", "example.com")),
            id
        ));
        assert!(!pass(&mail(good), ""), "off when no server is trusted");
        assert!(!pass(&mail(good), "mx.other.example"));
        // Another server's word is not ours.
        let other =
            "Authentication-Results: mx.evil.example; dmarc=pass header.from=example.com\r\n";
        assert!(!pass(&mail(other), id));
        // A failure, or a pass for another domain.
        let fail =
            "Authentication-Results: mx.desk.example; dmarc=fail header.from=example.com\r\n";
        assert!(!pass(&mail(fail), id));
        let elsewhere =
            "Authentication-Results: mx.desk.example; dmarc=pass header.from=evil.example\r\n";
        assert!(!pass(&mail(elsewhere), id));
        let no_domain = "Authentication-Results: mx.desk.example; dmarc=pass\r\n";
        assert!(!pass(&mail(no_domain), id));
        let no_dmarc =
            "Authentication-Results: mx.desk.example; spf=pass smtp.mailfrom=example.com\r\n";
        assert!(!pass(&mail(no_dmarc), id));
        // Our server's verdict on top wins over a forged pass below it.
        assert!(!pass(&mail(&format!("{fail}{good}")), id));
        assert!(pass(&mail(&format!("{other}{good}{fail}")), id));
        // Ours, unparsable: no pass, and the forged one below is not read instead.
        let broken = "Authentication-Results: mx.desk.example; dmarc=pass (oops\r\n";
        assert!(!pass(&mail(&format!("{broken}{good}")), id));
        // Two From addresses, or two From headers: no pass.
        let two = format!("{good}From: Bo <bo@example.com>\r\n");
        assert!(!pass(&mail(&two), id));
        let list = good.to_string()
            + "From: Ana <ana@example.com>, Bo <bo@example.com>\r\nSubject: hi\r\n\r\nhello\r\n";
        assert!(!pass(&list, id));
    }
}
