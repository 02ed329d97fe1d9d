//! Builds multipart/form-data bodies the way a browser sends them.

use rocket::http::ContentType;
use rocket::local::blocking::{Client, LocalResponse};

const BOUNDARY: &str = "----helpdesk-test-boundary-7MA4YWxkTrZu0gW";

#[derive(Default)]
pub struct Multipart {
    body: Vec<u8>,
}

impl Multipart {
    pub fn new() -> Multipart {
        Multipart::default()
    }

    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
        self
    }

    pub fn file(
        &mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        data: &[u8],
    ) -> &mut Self {
        self.body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub fn content_type() -> ContentType {
        ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY))
    }

    pub fn finish(&self) -> Vec<u8> {
        let mut body = self.body.clone();
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    pub fn post<'c>(&self, client: &'c Client, path: &str) -> LocalResponse<'c> {
        client
            .post(path.to_string())
            .header(Multipart::content_type())
            .body(self.finish())
            .dispatch()
    }

    pub fn header_value() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }
}
