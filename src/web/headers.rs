//! Security headers on every response.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

pub struct SecurityHeaders;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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
    }
}
