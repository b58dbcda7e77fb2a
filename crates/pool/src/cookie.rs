//! [`Cookie`]: a cookie stored per account (only `cf_clearance` is kept).

use std::fmt;
use std::time::SystemTime;

/// The one cookie the pool keeps per account.
pub(crate) const CF_CLEARANCE: &str = "cf_clearance";

/// A cookie for an account. `Debug` redacts the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie {
    /// Cookie name.
    pub name: String,
    /// Cookie value (a secret).
    pub value: String,
    /// When it expires, if it says.
    pub expires: Option<SystemTime>,
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cookie")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}
