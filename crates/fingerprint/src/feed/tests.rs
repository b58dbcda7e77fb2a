//! Sample feeds: attribute form, element form, several items, and broken feeds.

use super::*;

const ATTRIBUTES: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle">
  <channel>
    <title>Codex</title>
    <item>
      <title>26.305.1</title>
      <pubDate>Mon, 23 Nov 2026 18:00:00 +0000</pubDate>
      <sparkle:minimumSystemVersion>14.0</sparkle:minimumSystemVersion>
      <enclosure url="https://persistent.oaistatic.com/codex-app-prod/Codex-26.305.1.zip?a=1&amp;b=2"
                 sparkle:version="2345" sparkle:shortVersionString="26.305.1"
                 length="123456" type="application/octet-stream"/>
    </item>
    <item>
      <title>26.300.0</title>
      <enclosure url="https://example.invalid/old.zip" sparkle:version="2301"
                 sparkle:shortVersionString="26.300.0"/>
    </item>
  </channel>
</rss>"#;

const ELEMENTS: &str = r#"<rss xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle"><channel>
<items>ignored</items>
<item><title>Codex 26.310.0</title>
<sparkle:version>2400</sparkle:version>
<sparkle:shortVersionString>26.310.0</sparkle:shortVersionString>
<enclosure url='https://example.invalid/Codex-26.310.0.zip' length="1"/>
</item></channel></rss>"#;

#[test]
fn attribute_form_first_item_wins() {
    let release = parse_appcast(ATTRIBUTES.as_bytes()).unwrap();
    assert_eq!(release.version, "26.305.1");
    assert_eq!(release.build_number, "2345");
    assert_eq!(
        release.download_url.as_deref(),
        Some("https://persistent.oaistatic.com/codex-app-prod/Codex-26.305.1.zip?a=1&b=2")
    );
}

#[test]
fn element_form_and_single_quotes() {
    let release = parse_appcast(ELEMENTS.as_bytes()).unwrap();
    assert_eq!(release.version, "26.310.0");
    assert_eq!(release.build_number, "2400");
    assert_eq!(
        release.download_url.as_deref(),
        Some("https://example.invalid/Codex-26.310.0.zip")
    );
}

#[test]
fn broken_feeds_are_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"<rss><channel></channel></rss>",
        b"<rss><item><title>x</title>",
        b"<rss><item><enclosure sparkle:version=\"12\"/></item></rss>",
        b"<rss><item><enclosure sparkle:shortVersionString=\"1.0\"/></item></rss>",
        b"<rss><item><enclosure sparkle:version=\"12\" sparkle:shortVersionString=\"<script>\"/></item></rss>",
        b"\xff\xfe<item>",
    ];
    for case in cases {
        assert!(
            matches!(parse_appcast(case), Err(FingerprintError::Feed(_))),
            "{:?}",
            String::from_utf8_lossy(case)
        );
    }
}

#[test]
fn similar_attribute_names_are_not_confused() {
    let feed = br#"<item><enclosure sparkle:versionX="9" sparkle:version="77" sparkle:shortVersionString="1.2.3"/></item>"#;
    let release = parse_appcast(feed).unwrap();
    assert_eq!(release.build_number, "77");
}
