//! Bodies cut short (a connection cut mid-item, a server-side size limit, `</feed` without its
//! `>`): the document is closed after the last entry whose end tag was reached, so those
//! entries are read and the one cut in the middle is not. Pure.

/// Whether an XML document ends before its root element's end tag (trailing whitespace and
/// comments aside).
pub fn is_cut_short(text: &str, root: &str) -> bool {
    let mut t = text.trim_end();
    // Comments and processing instructions may follow the root element.
    loop {
        let open = if t.ends_with("-->") {
            t.rfind("<!--")
        } else if t.ends_with("?>") {
            t.rfind("<?")
        } else {
            None
        };
        match open {
            Some(i) => t = t[..i].trim_end(),
            None => break,
        }
    }
    let Some(body) = t.strip_suffix('>') else {
        return true;
    };
    let Some(close) = body.rfind("</") else {
        return true;
    };
    body[close + 2..].trim_end() != root
}

/// The document cut after its last complete `entry` element (`item` or `entry`) and closed:
/// every element still open there gets its end tag. Without a complete entry, the document is
/// cut before the first entry began (the feed's own metadata kept), or at its last tag.
pub fn close_after_last_entry(text: &str, entry: &str) -> String {
    let (mut last_end, mut first_start) = (None, None);
    walk(text, |tag| match tag {
        Tag::Start { at, name } if name == entry => {
            first_start.get_or_insert(at);
        }
        Tag::End { end, name } if name == entry => last_end = Some(end),
        _ => {}
    });
    let cut = last_end
        .or(first_start)
        .unwrap_or_else(|| text.rfind('>').map_or(0, |i| i + 1));
    let prefix = &text[..cut];
    let mut stack: Vec<&str> = Vec::new();
    walk(prefix, |tag| match tag {
        Tag::Start { name, .. } => stack.push(name),
        Tag::End { name, .. } => {
            if let Some(pos) = stack.iter().rposition(|open| *open == name) {
                stack.truncate(pos);
            }
        }
    });
    let mut out = String::with_capacity(cut + 64);
    out.push_str(prefix);
    for name in stack.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out
}

/// A start tag (not self-closing) at `at`, or an end tag ending at `end`.
enum Tag<'a> {
    Start { at: usize, name: &'a str },
    End { end: usize, name: &'a str },
}

/// Calls `f` for each start and end tag of `text`, in order. Comments, CDATA sections,
/// processing instructions, declarations and self-closing tags are skipped; the walk stops at a
/// construct cut short.
fn walk<'a>(text: &'a str, mut f: impl FnMut(Tag<'a>)) {
    let mut pos = 0;
    while let Some(i) = text[pos..].find('<') {
        let lt = pos + i;
        let here = &text[lt..];
        let skip_to = |open: &str, close: &str| {
            here[open.len()..]
                .find(close)
                .map(|i| lt + open.len() + i + close.len())
        };
        let next = if here.starts_with("<!--") {
            skip_to("<!--", "-->")
        } else if here.starts_with("<![CDATA[") {
            skip_to("<![CDATA[", "]]>")
        } else if here.starts_with("<?") {
            skip_to("<?", "?>")
        } else if here.starts_with("<!") {
            skip_to("<!", ">")
        } else {
            crate::text::find_tag_end(here).map(|gt| {
                let tag = &here[1..gt];
                if let Some(name) = tag.strip_prefix('/') {
                    f(Tag::End {
                        end: lt + gt + 1,
                        name: name.trim(),
                    });
                } else if !tag.ends_with('/') {
                    let end = tag
                        .find(|c: char| c.is_whitespace() || c == '/')
                        .unwrap_or(tag.len());
                    if end > 0 {
                        f(Tag::Start {
                            at: lt,
                            name: &tag[..end],
                        });
                    }
                }
                lt + gt + 1
            })
        };
        match next {
            Some(n) => pos = n,
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_without_its_root_end_tag_is_cut_short() {
        assert!(!is_cut_short(
            "<rss><channel/></rss>\n<!-- cached -->\n",
            "rss"
        ));
        assert!(!is_cut_short(
            "<rss><channel/></rss>\n<?cache hit?><!-- x -->",
            "rss"
        ));
        assert!(!is_cut_short("<rdf:RDF></rdf:RDF >", "rdf:RDF"));
        assert!(is_cut_short("<feed><entry></entry></feed", "feed"));
        assert!(is_cut_short("<rss><channel><item><title>Cut", "rss"));
        assert!(is_cut_short("<rss><channel></channel>", "rss"));
    }

    #[test]
    fn the_document_is_closed_after_the_last_complete_entry() {
        let text = r#"<rss version="2.0"><channel><title>t</title><item><title>a</title></item><item><title>b</title><description><![CDATA[x </item> y"#;
        assert_eq!(
            close_after_last_entry(text, "item"),
            r#"<rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>"#
        );
        let none = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>cut"#;
        assert_eq!(
            close_after_last_entry(none, "entry"),
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>"#
        );
    }
}
