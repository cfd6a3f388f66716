//! Canonical links: absolute http(s), scheme and host lower-cased (the `url` crate does that),
//! default port dropped, fragment dropped, tracking parameters removed. Two links that differ
//! only in those ways name the same article, so identity can rely on the canonical form.

use url::Url;

/// Query parameters that only track the reader, never select the content.
pub fn is_tracking(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "gclsrc"
                | "msclkid"
                | "yclid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_ga"
                | "_gl"
                | "ocid"
                | "cmpid"
                | "ito"
        )
}

/// Resolves `raw` against `base` (if relative) and returns the canonical form, or `None` when it
/// is not an http(s) URL.
pub fn canonical_link(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = match Url::parse(raw) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(raw).ok()?,
        Err(_) => return None,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_fragment(None);
    if let Some(query) = url.query() {
        // Filter the raw pairs: re-encoding the query would change links that are fine as they
        // are (`;` separators, `~`, EUC-KR percent-escapes that are not UTF-8).
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                !pair.is_empty() && !is_tracking(key)
            })
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else if kept.len() != query.split('&').count() {
            let joined = kept.join("&");
            url.set_query(Some(&joined));
        }
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_drops_fragment_and_tracking() {
        assert_eq!(
            canonical_link(
                "HTTPS://EN.Yna.co.KR:443/view/AEN20240326000100315?utm_source=rss&section=nk&fbclid=x#top",
                None
            )
            .unwrap(),
            "https://en.yna.co.kr/view/AEN20240326000100315?section=nk"
        );
    }

    #[test]
    fn only_tracking_params_leaves_no_query() {
        assert_eq!(
            canonical_link("http://example.com/a?utm_medium=feed&gclid=1", None).unwrap(),
            "http://example.com/a"
        );
    }

    #[test]
    fn queries_without_tracking_are_kept_byte_for_byte() {
        for link in [
            "https://www.koreaherald.com/view.php?ud=123;page=2",
            "https://example.com/a?print",
            "https://example.com/~user/a?x=%7E",
            "https://news.example.kr/tag.php?kw=%BA%CF%C7%D1",
            "https://news.example.kr/tag.php?kw=%B3%B2%BA%CF",
        ] {
            assert_eq!(canonical_link(link, None).unwrap(), link);
        }
        assert_eq!(
            canonical_link("https://news.example.kr/t.php?kw=%BA%CF&utm_source=x", None).unwrap(),
            "https://news.example.kr/t.php?kw=%BA%CF"
        );
    }

    #[test]
    fn resolves_relative_links() {
        let base = Url::parse("https://www.koreaherald.com/rss/newsAll").unwrap();
        assert_eq!(
            canonical_link("/view.php?ud=20240326000100", Some(&base)).unwrap(),
            "https://www.koreaherald.com/view.php?ud=20240326000100"
        );
    }

    #[test]
    fn rejects_non_http() {
        assert_eq!(canonical_link("javascript:alert(1)", None), None);
        assert_eq!(canonical_link("mailto:a@b.c", None), None);
        assert_eq!(canonical_link("relative/only", None), None);
        assert_eq!(canonical_link("", None), None);
    }
}
