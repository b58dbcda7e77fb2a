//! Tolerant field deserializers for upstream payloads: numbers that may be missing, null or of
//! the wrong type (read as 0), and optional strings that borrow from the input when possible.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A count: non-negative integers as is, floats truncated, anything else (null, strings,
/// negative numbers, objects) as 0.
pub(crate) fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct CountVisitor;

    impl<'de> Visitor<'de> for CountVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a token count")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            Ok(u64::try_from(v).unwrap_or(0))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            // `as` saturates; NaN becomes 0.
            Ok(if v.is_finite() && v > 0.0 {
                v as u64
            } else {
                0
            })
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<u64, E> {
            Ok(0)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<u64, E> {
            Ok(0)
        }

        fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
            Ok(0)
        }

        fn visit_none<E: de::Error>(self) -> Result<u64, E> {
            Ok(0)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(0)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(0)
        }
    }

    deserializer.deserialize_any(CountVisitor)
}

/// A struct that may be `null` or missing: both read as `T::default()`.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// An optional string that borrows from the input when it has no escapes
/// (`Option<Cow<str>>` alone would always allocate).
pub(crate) fn opt_cow<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

    Option::<Borrowed<'a>>::deserialize(deserializer).map(|s| s.map(|s| s.0))
}

/// A string that may be missing or `null` (read as `""`), borrowing when possible.
pub(crate) fn cow_or_empty<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Cow<'a, str>, D::Error> {
    opt_cow(deserializer).map(Option::unwrap_or_default)
}
