//! The updater against an in-memory feed and a temp data dir, with an explicit clock.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::*;

/// Runs a future that never waits (the fake fetch is immediate).
fn block_on<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("fake fetch never waits"),
    }
}

fn feed(version: &str, build: &str) -> Vec<u8> {
    format!(
        r#"<rss><channel><item><enclosure url="https://example.invalid/{version}.zip" sparkle:version="{build}" sparkle:shortVersionString="{version}"/></item></channel></rss>"#
    )
    .into_bytes()
}

type Served = Rc<RefCell<Result<Vec<u8>, String>>>;

fn fetcher(served: &Served) -> impl Fn(&str) -> std::future::Ready<Result<Vec<u8>, String>> {
    let served = Rc::clone(served);
    move |_url: &str| std::future::ready(served.borrow().clone())
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn applies_persists_and_reloads_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let served: Served = Rc::new(RefCell::new(Ok(feed("26.305.1", "2345"))));
    let base = ClientProfile::official();
    let mut updater = Updater::new(
        base.clone(),
        false,
        dir.path(),
        "https://feed",
        fetcher(&served),
    )
    .unwrap();
    let handle = updater.handle();
    assert_eq!(handle.current().app_version(), "0.169.0");
    assert!(updater.due(at(1_000)));

    let outcome = block_on(updater.check(at(1_000))).unwrap();
    assert!(matches!(&outcome, CheckOutcome::Updated { from, to }
        if from == "0.169.0" && to.version == "26.305.1"));
    assert_eq!(handle.current().app_version(), "26.305.1");
    assert_eq!(handle.current().build_number(), Some("2345"));
    assert!(handle.current().user_agent().contains("26.305.1"));
    assert_eq!(
        block_on(updater.check(at(2_000))).unwrap(),
        CheckOutcome::UpToDate
    );

    // A restart applies the persisted version before any check.
    let again = Updater::new(base, false, dir.path(), "https://feed", fetcher(&served)).unwrap();
    assert_eq!(again.handle().current().app_version(), "26.305.1");
}

#[test]
fn pinned_versions_are_reported_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let served: Served = Rc::new(RefCell::new(Ok(feed("26.305.1", "2345"))));
    let mut updater = Updater::new(
        ClientProfile::official(),
        true,
        dir.path(),
        "https://feed",
        fetcher(&served),
    )
    .unwrap();
    let outcome = block_on(updater.check(at(1_000))).unwrap();
    assert!(matches!(outcome, CheckOutcome::Pinned(r) if r.build_number == "2345"));
    assert_eq!(updater.handle().current().app_version(), "0.169.0");
}

#[test]
fn failures_change_nothing_and_wait_for_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let served: Served = Rc::new(RefCell::new(Err("connection refused".to_owned())));
    let mut updater = Updater::new(
        ClientProfile::official(),
        false,
        dir.path(),
        "https://feed",
        fetcher(&served),
    )
    .unwrap()
    .with_interval(Duration::from_secs(1_000));
    let err = block_on(updater.check(at(10_000))).unwrap_err();
    assert!(err.is_transient());
    assert!(!updater.due(at(10_100)), "checked just now");
    let next = updater.next_check_at(at(10_100));
    assert!(next >= at(10_900) && next <= at(11_100), "{next:?}");
    assert!(updater.due(at(11_100)));

    *served.borrow_mut() = Ok(b"<rss>garbage</rss>".to_vec());
    let err = block_on(updater.check(at(11_100))).unwrap_err();
    assert!(!err.is_transient());
    assert_eq!(updater.handle().current().app_version(), "0.169.0");
}

#[test]
fn a_corrupt_state_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(STATE_FILE), b"{not json").unwrap();
    let served: Served = Rc::new(RefCell::new(Ok(Vec::new())));
    let result = Updater::new(
        ClientProfile::official(),
        false,
        dir.path(),
        "https://feed",
        fetcher(&served),
    );
    assert!(matches!(result, Err(FingerprintError::State(_))));
}
