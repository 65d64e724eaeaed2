//! A JSON request body decoded into its request type, and why a body or
//! a decoded request is refused: [`parse_body`] names the JSON path of
//! any error ([`BodyError`]); a request that decodes but breaks a domain
//! value rule is a [`DtoError`]. The gateway answers both as `400`/`422`
//! problems (`gateway::commands`).

use salesledger_domain::error::DomainError;

/// Why a decoded request could not become a domain command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtoError {
    /// A value of the body breaks a domain value rule. `field` is its JSON
    /// path (`contact_email`, `attributes.industry`, `capability_tags[2]`;
    /// empty for a rule over the whole body), `code` the domain's stable
    /// problem code (`invalid_email`, `capability_tag_count`, ...).
    #[error("invalid value at {field}: {message}")]
    Invalid {
        field: String,
        code: &'static str,
        message: String,
        /// The rule the value breaks, as the domain states it (a
        /// translated message names only what is invalid).
        rule: Option<String>,
    },
    /// Any other refusal by the domain while building the command (e.g. a
    /// duplicate record found while clearing a registration).
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl DtoError {
    /// Stable machine-readable problem code: the domain's code.
    pub fn code(&self) -> &'static str {
        match self {
            DtoError::Invalid { code, .. } => code,
            DtoError::Domain(error) => error.code(),
        }
    }

    /// The JSON path of the offending value, if the error names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DtoError::Invalid { field, .. } => Some(field),
            DtoError::Domain(_) => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, error: &DomainError) -> Self {
        DtoError::Invalid {
            field: field.into(),
            code: error.code(),
            message: error.to_string(),
            rule: match error {
                DomainError::InvalidValue { reason, .. } => Some(reason.clone()),
                _ => None,
            },
        }
    }
}

/// What went wrong while decoding a body, by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyErrorKind {
    /// Not JSON, truncated JSON, trailing characters, or an empty body for a
    /// request with required fields.
    Syntax,
    /// A field the request does not define (requests deny unknown fields).
    UnknownField,
    /// A value of the wrong JSON type or out of range (a string for a
    /// number, a negative count, an unknown enum variant, a non-object body).
    WrongType,
    /// A required field is absent.
    MissingField,
    /// Anything else the decoder refused (e.g. a string that is not a UUID
    /// or not an RFC 3339 time).
    Other,
}

/// A body that does not decode into its request struct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BodyError {
    /// JSON path of the offending value (`capability_tags[1]`,
    /// `trigger.visit_id`); for a missing or unknown field, the path of that
    /// field; empty for the body as a whole.
    pub path: String,
    pub message: String,
    pub kind: BodyErrorKind,
}

impl BodyError {
    /// Stable machine-readable problem code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            BodyErrorKind::Syntax => "malformed_json",
            BodyErrorKind::UnknownField => "unknown_field",
            BodyErrorKind::WrongType => "wrong_type",
            BodyErrorKind::MissingField => "missing_field",
            BodyErrorKind::Other => "invalid_body",
        }
    }
}

/// Decodes a request body, naming the JSON path of any error.
///
/// The body must be one JSON object. An empty (or all-whitespace) body is
/// read as `{}`, so bodyless commands (`DeactivateRepRequest`,
/// `WithdrawTrackingConsentRequest`, ...) may be posted without a body; for
/// a request with required fields an empty body is `malformed_json`.
/// A non-object body (`[]`, `"x"`, `42`) is `wrong_type`: serde would
/// otherwise accept a JSON array as a struct, field by position.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let first_significant = bytes
        .iter()
        .copied()
        .find(|byte| !byte.is_ascii_whitespace());
    match first_significant {
        None => {
            return decode_object(b"{}").map_err(|_| BodyError {
                path: String::new(),
                message: "the body is empty; expected a JSON object".to_owned(),
                kind: BodyErrorKind::Syntax,
            });
        }
        Some(b'{') => {}
        Some(_) => {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                    Ok(_) => BodyError {
                        path: String::new(),
                        message: "the body must be a JSON object".to_owned(),
                        kind: BodyErrorKind::WrongType,
                    },
                    Err(error) => BodyError {
                        path: String::new(),
                        message: error.to_string(),
                        kind: BodyErrorKind::Syntax,
                    },
                },
            );
        }
    }
    decode_object(bytes)
}

fn decode_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
    deserializer.end().map_err(|error| BodyError {
        path: String::new(),
        message: error.to_string(),
        kind: BodyErrorKind::Syntax,
    })?;
    Ok(value)
}

fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> BodyError {
    let last_key = match error.path().iter().next_back() {
        Some(serde_path_to_error::Segment::Map { key }) => Some(key.clone()),
        _ => None,
    };
    let mut path = format_path(error.path());
    let inner = error.into_inner();
    let message = inner.to_string();
    let kind = match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            BodyErrorKind::Syntax
        }
        serde_json::error::Category::Io => BodyErrorKind::Other,
        serde_json::error::Category::Data => {
            if message.starts_with("unknown field") {
                BodyErrorKind::UnknownField
            } else if message.starts_with("missing field") {
                BodyErrorKind::MissingField
            } else if message.starts_with("invalid type")
                || message.starts_with("invalid value")
                || message.starts_with("invalid length")
                || message.starts_with("unknown variant")
            {
                BodyErrorKind::WrongType
            } else {
                BodyErrorKind::Other
            }
        }
    };
    // serde names the field in backticks. For a missing field the path is
    // its object; for an unknown field it is usually the field itself, but
    // its object inside an internally tagged enum (buffered content).
    let named_field = message.split('`').nth(1);
    let append = match (kind, named_field) {
        (BodyErrorKind::MissingField, Some(field)) => Some(field),
        (BodyErrorKind::UnknownField, Some(field)) if last_key.as_deref() != Some(field) => {
            Some(field)
        }
        _ => None,
    };
    if let Some(field) = append {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(field);
    }
    BodyError {
        path,
        message,
        kind,
    }
}

/// `a.b[2].c`, empty for the root.
fn format_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut formatted = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => formatted.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !formatted.is_empty() {
                    formatted.push('.');
                }
                formatted.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    formatted
}
