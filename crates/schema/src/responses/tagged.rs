//! Shared machinery for the request-side tagged unions ([`InputItem`](super::InputItem),
//! [`ContentPart`](super::ContentPart), [`Tool`](super::Tool)): pick a typed struct by the JSON
//! `type` field and fall back to the verbatim JSON when the shape does not fit.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A typed variant struct that keeps unknown fields in an `extra` map.
pub(crate) trait Extra {
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
}

macro_rules! impl_extra {
    ($($ty:ty),* $(,)?) => {
        $(impl $crate::responses::tagged::Extra for $ty {
            fn extra_mut(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                &mut self.extra
            }
        })*
    };
}
pub(crate) use impl_extra;

/// The `type` field of a JSON object, if it is a string.
pub(crate) fn type_of(value: &Value) -> Option<&str> {
    value.get("type").and_then(Value::as_str)
}

/// Deserializes `value` into `T`, dropping the `type` key that the tag re-adds on output.
/// `None` when the shape does not fit (the caller keeps the value verbatim instead).
pub(crate) fn typed<T: DeserializeOwned + Extra>(value: &Value) -> Option<T> {
    let mut typed = T::deserialize(value).ok()?;
    typed.extra_mut().remove("type");
    Some(typed)
}
