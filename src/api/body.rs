//! JSON request bodies: read within the `json` limit (413 past it), parsed (400 with serde's
//! message for malformed JSON), then typed (422 naming the field for a wrong type, a missing or
//! an unknown field: the body types deny unknown fields). A body is read as JSON whatever its
//! Content-Type says, so a script that forgets the header still works.

use rocket::data::{Data, FromData, Limits, Outcome};
use rocket::http::Status;
use rocket::request::Request;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// A typed JSON body; take it as `Result<JsonBody<T>, ApiError>` and `?` it, so every problem
/// is answered in the API's error shape.
pub struct JsonBody<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self> {
        let limit = req.limits().get("json").unwrap_or(Limits::JSON);
        let bytes = match data.open(limit).into_bytes().await {
            Ok(b) if b.is_complete() => b.into_inner(),
            Ok(_) => {
                let e = ApiError::new(
                    Status::PayloadTooLarge,
                    "payload_too_large",
                    format!("the body is larger than the limit of {limit}"),
                );
                return Outcome::Error((e.status, e));
            }
            Err(e) => {
                let e = ApiError::bad_request(format!("the body could not be read: {e}"));
                return Outcome::Error((e.status, e));
            }
        };
        match parse(&bytes) {
            Ok(body) => Outcome::Success(JsonBody(body)),
            Err(e) => Outcome::Error((e.status, e)),
        }
    }
}

/// Parses `bytes` as a `T`: malformed JSON is a 400, JSON of the wrong shape a 422 that names
/// the field (`requester.email: invalid type: integer `5`, expected a string`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            ApiError::invalid(inner)
        } else {
            ApiError::invalid(format!("{path}: {inner}"))
        }
    })
}

/// For a field that may be absent, null or a value (`"assignee": null` unassigns): absent is
/// `None` (with `#[serde(default)]`), null `Some(None)`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Person {
        name: String,
        #[serde(default)]
        age: Option<i64>,
        #[serde(default, deserialize_with = "nullable")]
        boss: Option<Option<i64>>,
    }

    #[test]
    fn malformed_is_400_and_wrong_shapes_422_naming_the_field() {
        let e = parse::<Person>(b"{\"name\": ").unwrap_err();
        assert_eq!(e.status, Status::BadRequest);
        assert!(e.message.starts_with("malformed JSON"), "{}", e.message);

        let e = parse::<Person>(br#"{"name": "a", "age": "old"}"#).unwrap_err();
        assert_eq!(e.status, Status::UnprocessableEntity);
        assert!(e.message.starts_with("age: invalid type"), "{}", e.message);

        let e = parse::<Person>(br#"{"name": "a", "colour": 1}"#).unwrap_err();
        assert_eq!(e.status, Status::UnprocessableEntity);
        assert!(
            e.message.contains("unknown field `colour`"),
            "{}",
            e.message
        );

        let e = parse::<Person>(br#"{}"#).unwrap_err();
        assert!(e.message.contains("missing field `name`"), "{}", e.message);
    }

    #[test]
    fn null_differs_from_absent() {
        let p: Person = parse(br#"{"name": "a"}"#).unwrap();
        assert_eq!((p.name.as_str(), p.boss), ("a", None));
        let p: Person = parse(br#"{"name": "a", "boss": null}"#).unwrap();
        assert_eq!(p.boss, Some(None));
        let p: Person = parse(br#"{"name": "a", "boss": 3, "age": 4}"#).unwrap();
        assert_eq!((p.boss, p.age), (Some(Some(3)), Some(4)));
    }
}
