//! Character encodings: every feed becomes UTF-8 before feed-rs sees it.
//!
//! Order of evidence: a byte-order mark; then bytes that are valid UTF-8 (a label claiming
//! otherwise is wrong far more often than valid UTF-8 happens by accident); then the XML prolog's
//! `encoding`, then the HTTP `charset`, if that label decodes the bytes without errors; last, a
//! guess from the bytes (chardetng). The XML prolog is rewritten to say UTF-8 so the XML layer
//! does not decode a second time.

use encoding_rs::{Encoding, UTF_8};

/// The result of decoding: the text and the encoding that was used (for diagnostics).
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
}

/// Decodes `bytes` to UTF-8. `http_charset` is the `charset` parameter of the Content-Type.
pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return finish(text.into_owned(), enc);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => return finish(s.to_string(), UTF_8),
        // Valid UTF-8 up to a character cut in the middle at the very end: a body cut short.
        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => {
            let s = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            return finish(s.to_string(), UTF_8);
        }
        Err(_) => {}
    }
    let declared = [prolog_encoding(bytes), http_charset.map(str::to_string)];
    for label in declared.into_iter().flatten() {
        let Some(enc) = Encoding::for_label(label.trim().as_bytes()) else {
            continue;
        };
        if enc == UTF_8 {
            continue; // already known not to be valid UTF-8
        }
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
            return finish(text.into_owned(), enc);
        }
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let enc = detector.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _) = enc.decode_without_bom_handling(bytes);
    finish(text.into_owned(), enc)
}

fn finish(text: String, encoding: &'static Encoding) -> Decoded {
    Decoded {
        text: rewrite_prolog(text),
        encoding,
    }
}

/// Reads `encoding="…"` from an XML declaration at the start of the bytes.
fn prolog_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let pos = decl.find("encoding")?;
    let rest = decl[pos + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_string())
}

/// Replaces the declared encoding in the XML prolog with UTF-8 (the text now is UTF-8).
fn rewrite_prolog(text: String) -> String {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    // A declaration after the start (behind junk a server printed first, or opening a second
    // document pasted on) still sets the XML layer's decoder: it would decode the text a second
    // time from that label, or panic switching decoders mid-stream. Rare, so looked for first.
    let later = if trimmed.starts_with("<?xml") {
        trimmed[1..].contains("<?xml")
    } else {
        text.contains("<?xml")
    };
    if later {
        return rewrite_declarations(trimmed);
    }
    if !trimmed.starts_with("<?xml") {
        return text;
    }
    let Some(end) = trimmed.find("?>") else {
        return text;
    };
    let decl = &trimmed[..end];
    if !decl.contains("encoding") {
        return trimmed.to_string();
    }
    format!("{}{}", utf8_declaration(decl), &trimmed[end..])
}

/// The start of an XML declaration (`decl`, up to its `?>`) that names UTF-8 as its encoding.
fn utf8_declaration(decl: &str) -> String {
    let version = if decl.contains("1.1") { "1.1" } else { "1.0" };
    format!("<?xml version=\"{version}\" encoding=\"UTF-8\"")
}

/// Every XML declaration made to name UTF-8. Those in CDATA sections and comments too: whether
/// the XML layer sees one there depends on repairs made later (a comment opener in a
/// `<description>` ends up in CDATA), and a declaration in text is dropped with the markup anyway.
fn rewrite_declarations(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    // Once a `?>` is missing, it is missing after every later `<?xml` too (linear time).
    let mut closed = true;
    while let Some(pos) = rest.find("<?xml") {
        out.push_str(&rest[..pos]);
        let here = &rest[pos..];
        let is_declaration = here[5..].starts_with(|c: char| c.is_ascii_whitespace() || c == '?');
        let end = (closed && is_declaration)
            .then(|| here.find("?>"))
            .flatten();
        closed &= !is_declaration || end.is_some();
        let Some(end) = end else {
            out.push('<');
            rest = &here[1..];
            continue;
        };
        if here[..end].contains("encoding") {
            out.push_str(&utf8_declaration(&here[..end]));
        } else {
            out.push_str(&here[..end]);
        }
        rest = &here[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euc_kr_from_prolog() {
        let (bytes, _, _) = encoding_rs::EUC_KR
            .encode("<?xml version=\"1.0\" encoding=\"EUC-KR\"?><rss><t>북한</t></rss>");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, encoding_rs::EUC_KR);
        assert!(d.text.contains("북한"));
        assert!(
            d.text
                .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        );
    }

    #[test]
    fn euc_kr_from_http_charset_without_prolog() {
        let (bytes, _, _) = encoding_rs::EUC_KR.encode("<rss><t>일본 총리</t></rss>");
        let d = decode(&bytes, Some("euc-kr"));
        assert!(d.text.contains("일본 총리"), "{}", d.text);
    }

    #[test]
    fn wrong_label_on_valid_utf8_is_ignored() {
        let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>Café 북한</t></rss>";
        let d = decode(text.as_bytes(), Some("iso-8859-1"));
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("Café 북한"));
    }

    #[test]
    fn utf8_label_on_euc_kr_bytes_is_detected() {
        let (bytes, _, _) = encoding_rs::EUC_KR.encode(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><t>북한은 오늘 동해상으로 탄도미사일을 발사했다고 합동참모본부가 밝혔다</t></rss>",
        );
        let d = decode(&bytes, Some("utf-8"));
        assert!(d.text.contains("북한은 오늘"), "{}", d.text);
    }

    #[test]
    fn windows_1252() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><t>caf\xe9 \x93quoted\x94</t></rss>";
        let d = decode(bytes, None);
        assert!(d.text.contains("café “quoted”"), "{}", d.text);
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss><t>북한</t></rss>".encode_utf16()
        {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&bytes, None);
        assert!(d.text.contains("북한"));
        assert!(d.text.contains("encoding=\"UTF-8\""));
    }

    #[test]
    fn every_declaration_names_utf8() {
        let text = "junk<?xml version=\"1.0\" encoding=\"EUC-KR\"?><rss><!-- <?xml encoding=\"x\"?> -->\
                    <t><![CDATA[<?xml?>]]></t><?xml encoding='EUC-KR' ?><?xmlfoo encoding=\"x\"?></rss>";
        assert_eq!(
            decode(text.as_bytes(), None).text,
            "junk<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><!-- <?xml version=\"1.0\" encoding=\"UTF-8\"?> -->\
             <t><![CDATA[<?xml?>]]></t><?xml version=\"1.0\" encoding=\"UTF-8\"?><?xmlfoo encoding=\"x\"?></rss>"
        );
        // Unclosed declarations: text kept, in linear time.
        let unclosed = "<?xml ".repeat(200_000);
        assert_eq!(decode(unclosed.as_bytes(), None).text, unclosed);
    }
}
