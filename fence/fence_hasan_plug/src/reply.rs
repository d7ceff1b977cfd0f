//! What a plug's reply can be wrong with: the error the reply parsers of every type return, and
//! JSON parsing with that error.

use serde_json::Value;

/// Why a reply is not acceptable (one line, no secrets: devices do not echo passwords).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The device says the credentials are wrong.
    #[error("login refused: {0}")]
    Auth(String),
    /// The device reports an error of its own.
    #[error("device error: {0}")]
    Device(String),
    /// The reply is not what this type of device sends.
    #[error("unexpected reply: {0}")]
    Garbage(String),
}

/// Parse a JSON reply body.
pub fn json(body: &str) -> Result<Value, ReplyError> {
    serde_json::from_str(body.trim())
        .map_err(|_| ReplyError::Garbage(format!("not JSON: {}", crate::http::excerpt(body))))
}

/// `on`/`off`, `true`/`false`, `1`/`0` (any case) as a power state.
pub fn power_word(v: &Value) -> Option<libfence::Power> {
    use libfence::Power;
    match v {
        Value::Bool(true) => Some(Power::On),
        Value::Bool(false) => Some(Power::Off),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(Power::On),
            Some(0) => Some(Power::Off),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "1" => Some(Power::On),
            "off" | "false" | "0" => Some(Power::Off),
            _ => None,
        },
        _ => None,
    }
}
