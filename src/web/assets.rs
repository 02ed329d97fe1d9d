//! Static files, embedded in the binary.

use std::borrow::Cow;
use std::path::PathBuf;

use rocket::http::{ContentType, Header};
use rocket::{Responder, get};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

#[derive(Responder)]
pub struct Asset {
    body: Cow<'static, [u8]>,
    kind: ContentType,
    cache: Header<'static>,
}

#[get("/static/<path..>")]
pub fn asset(path: PathBuf) -> Option<Asset> {
    let name = path.to_str()?;
    let file = Static::get(name)?;
    let kind = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary);
    Some(Asset {
        body: file.data,
        kind,
        cache: Header::new("Cache-Control", "public, max-age=3600"),
    })
}
