//! Security headers on every response; behind HTTPS (a `base_url` starting with `https://`),
//! also HSTS and the `Secure` flag on every cookie.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Cookie, Header};
use rocket::{Request, Response};

pub struct SecurityHeaders {
    /// The desk is served over HTTPS: cookies are `Secure` and HSTS is sent.
    https: bool,
}

impl SecurityHeaders {
    /// The headers for a desk published at `base_url`.
    pub fn for_base_url(base_url: &str) -> SecurityHeaders {
        SecurityHeaders {
            https: base_url.starts_with("https://"),
        }
    }
}

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub const HSTS: &str = "max-age=31536000";

/// Marks every cookie the response sets as `Secure`: those the handlers build and those Rocket
/// builds itself (flash messages, the removal of a cookie), which this is the one place to reach.
fn secure_cookies(res: &mut Response<'_>) {
    let cookies: Vec<String> = res
        .headers()
        .get("Set-Cookie")
        .map(str::to_string)
        .collect();
    if cookies.is_empty() {
        return;
    }
    res.remove_header("Set-Cookie");
    for value in cookies {
        let flagged = Cookie::parse(value.as_str()).is_ok_and(|c| c.secure() == Some(true));
        let value = if flagged {
            value
        } else {
            format!("{value}; Secure")
        };
        res.adjoin_header(Header::new("Set-Cookie", value));
    }
}

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _req: &'r Request<'_>, res: &mut Response<'r>) {
        if !res.headers().contains("Content-Security-Policy") {
            res.set_header(Header::new("Content-Security-Policy", CSP));
        }
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Referrer-Policy", "same-origin"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        res.set_header(Header::new(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ));
        if !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
        if self.https {
            res.set_header(Header::new("Strict-Transport-Security", HSTS));
            secure_cookies(res);
        }
    }
}
