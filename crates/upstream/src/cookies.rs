//! Per-account cookie jar that keeps only `cf_clearance` (Cloudflare's clearance cookie).
//!
//! Why only that one: `__cf_bm` is a bot-management tag bound to IP, user agent, TLS and
//! timing; replaying it after any drift makes Cloudflare answer empty-body 404s, which is
//! worse than sending nothing. The jar is plain data: the caller feeds it the `set-cookie`
//! headers of every backend response, persists [`CookieJar::stored`] and passes
//! [`CookieJar::header`] to [`crate::Upstream::with_cookie`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::SET_COOKIE;

/// The only cookie name kept.
pub const CF_CLEARANCE: &str = "cf_clearance";

/// A stored cookie value and its expiry (`None`: session cookie). `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCookie {
    /// The cookie value.
    pub value: String,
    /// When it stops being sent.
    pub expires: Option<SystemTime>,
}

impl fmt::Debug for StoredCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCookie")
            .field("value", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// One account's jar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieJar {
    cf_clearance: Option<StoredCookie>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    /// A jar restored from storage.
    pub fn from_stored(cf_clearance: Option<StoredCookie>) -> CookieJar {
        CookieJar { cf_clearance }
    }

    /// Takes `cf_clearance` from the `set-cookie` headers of a response (others are ignored).
    /// `Max-Age` wins over `Expires`; `Max-Age<=0` deletes. Returns true if the jar changed
    /// (persist it then).
    pub fn observe(&mut self, headers: &HeaderMap, now: SystemTime) -> bool {
        let mut changed = false;
        for raw in headers.get_all(SET_COOKIE) {
            let Ok(raw) = raw.to_str() else { continue };
            let Some(cookie) = parse_set_cookie(raw, now) else {
                continue;
            };
            let next = match cookie.expires {
                Some(at) if at <= now => None,
                _ => Some(cookie),
            };
            if self.cf_clearance != next {
                self.cf_clearance = next;
                changed = true;
            }
        }
        changed
    }

    /// The `cookie` header value to send at `now`, if an unexpired `cf_clearance` is held.
    pub fn header(&self, now: SystemTime) -> Option<String> {
        let cookie = self.cf_clearance.as_ref()?;
        if cookie.expires.is_some_and(|at| at <= now) {
            return None;
        }
        Some(format!("{CF_CLEARANCE}={}", cookie.value))
    }

    /// What to persist.
    pub fn stored(&self) -> Option<&StoredCookie> {
        self.cf_clearance.as_ref()
    }

    /// Forgets everything (on a Cloudflare path block, or when the account is removed).
    pub fn clear(&mut self) {
        self.cf_clearance = None;
    }
}

/// The `cf_clearance` cookie of one `set-cookie` value, if that is what it sets.
fn parse_set_cookie(raw: &str, now: SystemTime) -> Option<StoredCookie> {
    let mut parts = raw.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    if name.trim() != CF_CLEARANCE {
        return None;
    }
    let mut max_age = None;
    let mut expires = None;
    for attr in parts {
        let (key, val) = attr.split_once('=').unwrap_or((attr, ""));
        let key = key.trim();
        if key.eq_ignore_ascii_case("max-age") {
            max_age = val.trim().parse::<i64>().ok();
        } else if key.eq_ignore_ascii_case("expires") {
            expires = parse_http_date(val.trim());
        }
    }
    let expires = match max_age {
        Some(secs) if secs <= 0 => Some(UNIX_EPOCH),
        Some(secs) => now.checked_add(Duration::from_secs(secs.unsigned_abs())),
        None => expires,
    };
    Some(StoredCookie {
        value: value.trim().to_owned(),
        expires,
    })
}

/// IMF-fixdate (`Tue, 24 Nov 2026 07:35:38 GMT`), also accepting `-` between the date parts.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let rest = text.split_once(',').map_or(text, |(_, r)| r).trim();
    let mut fields = rest.split([' ', '-']).filter(|f| !f.is_empty());
    let day: u32 = fields.next()?.parse().ok()?;
    let month = match fields.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i64 = fields.next()?.parse().ok()?;
    let mut clock = fields.next()?.split(':');
    let h: u64 = clock.next()?.parse().ok()?;
    let m: u64 = clock.next()?.parse().ok()?;
    let s: u64 = clock.next()?.parse().ok()?;
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn keeps_only_cf_clearance_and_honours_expiry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_795_505_738);
        let mut jar = CookieJar::new();
        let h = headers(&[
            "__cf_bm=tag; Path=/; HttpOnly",
            "cf_clearance=abc; Path=/; Expires=Tue, 24 Nov 2026 08:35:38 GMT; Secure",
        ]);
        assert!(jar.observe(&h, now));
        assert_eq!(jar.header(now).as_deref(), Some("cf_clearance=abc"));
        assert_eq!(
            jar.stored().unwrap().expires,
            Some(UNIX_EPOCH + Duration::from_secs(1_795_509_338))
        );
        assert!(!jar.observe(&h, now), "same cookie is not a change");
        assert!(!format!("{jar:?}").contains("abc"));
        let later = now + Duration::from_secs(7200);
        assert_eq!(jar.header(later), None);

        assert!(jar.observe(&headers(&["cf_clearance=new; Max-Age=60"]), now));
        assert_eq!(jar.header(now).as_deref(), Some("cf_clearance=new"));
        assert!(jar.observe(&headers(&["cf_clearance=gone; Max-Age=0"]), now));
        assert_eq!(jar.stored(), None);
    }
}
