//! The one media-type check for request bodies.
//!
//! A body is read only under the media type its route documents: JSON
//! routes take `application/json`, the NDJSON POS route its line types
//! ([`super::stores::POS_MEDIA_TYPES`]). The type and subtype compare
//! case-insensitively; the only parameter accepted is `charset=utf-8`
//! (any case, quoted or not), since every body is decoded as UTF-8. A
//! missing, unparsable or other `Content-Type` is `415
//! unsupported_media_type`, answered before the body is parsed, so it
//! appends nothing.
//!
//! Command routes whose fields are all optional (a claim, a release) may be
//! sent with no body at all; a request with an empty body needs no
//! `Content-Type` (`Incoming::read_body` in [`super::commands`]), but one
//! that names a type must name an accepted one.

use axum::http::{header, HeaderMap, StatusCode};

use super::problem::ApiError;

/// The JSON media type of every JSON body route.
pub const JSON: &[&str] = &["application/json"];

/// Checks the request's `Content-Type` against `accepted` (lower-case
/// `type/subtype` essences): `Ok` when it is one of them with no parameter
/// other than `charset=utf-8`, else `415 unsupported_media_type`.
pub fn require_media_type(headers: &HeaderMap, accepted: &[&str]) -> Result<(), ApiError> {
    let expected = accepted.join(", ");
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported(format!(
            "a Content-Type is required: {expected}"
        )));
    };
    let raw = String::from_utf8_lossy(value.as_bytes());
    let media: mime::Mime = raw
        .parse()
        .map_err(|_| unsupported(format!("expected {expected}, got {raw}")))?;
    let essence_ok = accepted
        .iter()
        .any(|accepted| media.essence_str().eq_ignore_ascii_case(accepted));
    if !essence_ok {
        return Err(unsupported(format!("expected {expected}, got {raw}")));
    }
    for (name, value) in media.params() {
        let utf8 = name.as_str().eq_ignore_ascii_case("charset")
            && value
                .as_str()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8");
        if !utf8 {
            return Err(unsupported(format!(
                "only the parameter charset=utf-8 is accepted, got {raw}"
            )));
        }
    }
    Ok(())
}

fn unsupported(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        detail,
    )
}

/// The JSON body of a route taking `T`: the media type checked (415), the
/// body read within the limit (413), then parsed with unknown fields
/// refused: `400 malformed_body` naming the JSON `path`.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, ApiError> {
    require_media_type(headers, JSON)?;
    let body = body.map_err(|rejection| super::body_rejection(&rejection))?;
    let deserializer = &mut serde_json::Deserializer::from_slice(&body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            error.inner().to_string(),
        )
        .with("path", serde_json::json!(error.path().to_string()))
    })
}

/// A route's JSON body of `T`, decoded as [`json_body`] does. The
/// outcome is kept for the handler to take ([`JsonBody::decoded`]) after
/// its own checks (who may call it), which answer first.
pub struct JsonBody<T>(Result<T, ApiError>);

impl<T> JsonBody<T> {
    /// The decoded body, or the problem of its media type, size or JSON.
    pub fn decoded(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let body = axum::body::Bytes::from_request(request, state).await;
        Ok(JsonBody(json_body(&headers, body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(content_type: Option<&str>, accepted: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(content_type) = content_type {
            headers.insert(
                header::CONTENT_TYPE,
                content_type.parse().expect("a header value"),
            );
        }
        require_media_type(&headers, accepted).is_ok()
    }

    #[test]
    fn json_with_at_most_a_utf8_charset_is_accepted() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "application/json; charset=\"utf-8\"",
        ] {
            assert!(check(Some(ok), JSON), "{ok}");
        }
        for refused in [
            "application/json; charset=latin1",
            "application/json; charset=iso-8859-1",
            "application/json; boundary=x",
            "application/json; charset=utf-8; q=1",
            "text/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonx",
            "application",
            "",
        ] {
            assert!(!check(Some(refused), JSON), "{refused}");
        }
        assert!(!check(None, JSON), "a missing Content-Type");
    }

    #[test]
    fn other_accepted_lists_follow_the_same_rule() {
        let ndjson = &["application/x-ndjson", "text/plain"];
        assert!(check(Some("application/x-ndjson"), ndjson));
        assert!(check(Some("text/plain; charset=utf-8"), ndjson));
        assert!(!check(Some("text/plain; charset=us-ascii"), ndjson));
        assert!(!check(Some("application/json"), ndjson));
        assert!(!check(None, ndjson));
    }
}
