//! `opml::decode` + `opml::parse`: an OPML file given to `feeds import`.
//!
//! Oracle: no panic; every feed it returns has an http(s) URL with a host (README: an outline
//! without one fails the whole file) and a name that is one clean line (`OpmlFeed::name`). Then
//! the import itself, without the file write: `plan_import` against the shipped config's feeds and
//! `add_feeds_to_config` on its text, whose result must still be TOML that lists each added feed
//! under the name and URL planned, the names unique ignoring case.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use aggregator::opml;
use aggregator::text::is_unsafe;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.opml");
    let Ok(text) = opml::decode(path, data) else {
        return;
    };
    let Ok(feeds) = opml::parse(path, &text) else {
        return;
    };
    check_import(&feeds);
    for f in &feeds {
        let url = Url::parse(&f.url).unwrap_or_else(|e| panic!("{:?} is not a URL: {e}", f.url));
        assert!(
            matches!(url.scheme(), "http" | "https") && url.host_str().is_some(),
            "imported a non-web URL: {url}"
        );
        assert!(
            !f.name.is_empty() && !f.name.chars().any(is_unsafe),
            "name is not one clean line: {:?}",
            f.name
        );
    }
});

/// The shipped main config: its text and its feeds' names and URLs.
fn shipped() -> &'static (&'static str, Vec<(String, Url)>) {
    static SHIPPED: OnceLock<(&'static str, Vec<(String, Url)>)> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let text = include_str!("../../config/aggregator.toml");
        let table: toml::Table = toml::from_str(text).expect("shipped config is TOML");
        let feeds = table["feed"]
            .as_array()
            .expect("[[feed]]")
            .iter()
            .map(|f| {
                let url = Url::parse(f["url"].as_str().expect("url")).expect("web URL");
                (f["name"].as_str().expect("name").to_string(), url)
            })
            .collect();
        (text, feeds)
    })
}

fn check_import(feeds: &[opml::OpmlFeed]) {
    let (text, configured) = shipped();
    let configured: Vec<(&str, &Url)> = configured.iter().map(|(n, u)| (n.as_str(), u)).collect();
    let added: Vec<(String, String)> = opml::plan_import(feeds, &configured)
        .into_iter()
        .filter(|o| o.skipped.is_none())
        .map(|o| (o.name, o.url))
        .collect();
    let mut names: Vec<String> = configured.iter().map(|(n, _)| n.to_lowercase()).collect();
    for (name, _) in &added {
        assert!(
            !names.contains(&name.to_lowercase()),
            "name {name:?} used twice"
        );
        names.push(name.to_lowercase());
    }
    let out = opml::add_feeds_to_config(text, &added).expect("the shipped config is editable");
    let table: toml::Table = toml::from_str(&out).expect("the edited config is TOML");
    let listed = table["feed"].as_array().expect("[[feed]]");
    assert_eq!(listed.len(), configured.len() + added.len());
    for (f, (name, url)) in listed[configured.len()..].iter().zip(&added) {
        assert_eq!(f["name"].as_str(), Some(name.as_str()));
        assert_eq!(f["url"].as_str(), Some(url.as_str()));
    }
}
