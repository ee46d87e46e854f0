//! URL query strings and `application/x-www-form-urlencoded` bodies.
//!
//! Encoding keeps only RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) and
//! percent-encodes every other byte of the UTF-8 text with upper-case hex. A space is
//! always `%20`, never `+`: some providers (QuickBooks' `query`, Xero's `where`) read
//! `+` literally, and every form parser decodes `%20` as a space, so the same encoding
//! serves query strings and form bodies alike.
//!
//! Decoding ([`decode_component`], [`parse_query`]) is lenient in the other direction:
//! `+` becomes a space, `%XX` its byte, a malformed escape stays as it is, and invalid
//! UTF-8 is replaced with U+FFFD.

/// Percent-encodes one query (or form) name or value. Space becomes `%20`.
///
/// ```
/// # use mooring_plugin_sdk::url::encode_component;
/// assert_eq!(encode_component("Name == \"A&B\""), "Name%20%3D%3D%20%22A%26B%22");
/// ```
pub fn encode_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0x0f) as usize] as char);
        }
    }
    out
}

/// Encodes name/value pairs as `n1=v1&n2=v2`, each part with [`encode_component`].
/// This is the body of an `application/x-www-form-urlencoded` request and the query
/// part of a URL.
pub fn form_encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_component(k.as_ref()));
        out.push('=');
        out.push_str(&encode_component(v.as_ref()));
    }
    out
}

/// Appends `pairs` to `base` as a query string: after `?`, or after `&` when `base`
/// already has a query. A `#fragment` of `base` stays at the end. No pairs: `base`
/// unchanged.
///
/// ```
/// # use mooring_plugin_sdk::url::url_with_query;
/// assert_eq!(
///     url_with_query("https://api.example/v3/query", &[("query", "select * from Account")]),
///     "https://api.example/v3/query?query=select%20%2A%20from%20Account"
/// );
/// ```
pub fn url_with_query<K: AsRef<str>, V: AsRef<str>>(base: &str, pairs: &[(K, V)]) -> String {
    if pairs.is_empty() {
        return base.to_string();
    }
    let (head, fragment) = match base.find('#') {
        Some(i) => base.split_at(i),
        None => (base, ""),
    };
    let mut out = String::with_capacity(head.len() + fragment.len() + 16 * pairs.len());
    out.push_str(head);
    match head.find('?') {
        None => out.push('?'),
        Some(i) if i + 1 == head.len() || head.ends_with('&') => {}
        Some(_) => out.push('&'),
    }
    out.push_str(&form_encode(pairs));
    out.push_str(fragment);
    out
}

/// Decodes one query or form component: `+` → space, `%XX` → byte. Malformed
/// escapes are kept literally; invalid UTF-8 becomes U+FFFD.
pub fn decode_component(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let decoded = match (bytes.get(i + 1), bytes.get(i + 2)) {
                    (Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h << 4 | l),
                    _ => None,
                };
                match decoded {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a query string (with or without its leading `?`) or a form body into
/// decoded name/value pairs, in order. A name without `=` gets an empty value; empty
/// segments (`a=1&&b=2`) are skipped.
///
/// ```
/// # use mooring_plugin_sdk::url::parse_query;
/// assert_eq!(
///     parse_query("?code=a%2Fb&realmId=123&state=x+y"),
///     vec![
///         ("code".to_string(), "a/b".to_string()),
///         ("realmId".to_string(), "123".to_string()),
///         ("state".to_string(), "x y".to_string()),
///     ]
/// );
/// ```
pub fn parse_query(s: &str) -> Vec<(String, String)> {
    let s = s.strip_prefix('?').unwrap_or(s);
    s.split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.split_once('=') {
            Some((k, v)) => (decode_component(k), decode_component(v)),
            None => (decode_component(seg), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_space_as_percent_20() {
        assert_eq!(encode_component("a b"), "a%20b");
        assert_eq!(encode_component("a+b"), "a%2Bb");
        assert!(!encode_component("x y z").contains('+'));
    }

    #[test]
    fn keeps_unreserved() {
        assert_eq!(encode_component("AZaz09-._~"), "AZaz09-._~");
    }

    #[test]
    fn encodes_reserved_and_utf8() {
        assert_eq!(encode_component("a/b?c=d&e#f"), "a%2Fb%3Fc%3Dd%26e%23f");
        assert_eq!(encode_component("é"), "%C3%A9");
        assert_eq!(encode_component("'*'"), "%27%2A%27");
    }

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode(&[("grant_type", "refresh_token"), ("scope", "a b")]),
            "grant_type=refresh_token&scope=a%20b"
        );
        let empty: [(&str, &str); 0] = [];
        assert_eq!(form_encode(&empty), "");
        let owned = vec![("k".to_string(), "v w".to_string())];
        assert_eq!(form_encode(&owned), "k=v%20w");
    }

    #[test]
    fn url_with_query_variants() {
        assert_eq!(
            url_with_query("https://h/p", &[("a", "1")]),
            "https://h/p?a=1"
        );
        assert_eq!(
            url_with_query("https://h/p?x=0", &[("a", "1")]),
            "https://h/p?x=0&a=1"
        );
        assert_eq!(
            url_with_query("https://h/p?", &[("a", "1")]),
            "https://h/p?a=1"
        );
        assert_eq!(
            url_with_query("https://h/p?x=0&", &[("a", "1")]),
            "https://h/p?x=0&a=1"
        );
        assert_eq!(
            url_with_query("https://h/p#frag", &[("a", "1")]),
            "https://h/p?a=1#frag"
        );
        let none: [(&str, &str); 0] = [];
        assert_eq!(url_with_query("https://h/p", &none), "https://h/p");
        assert_eq!(
            url_with_query(
                "https://h/p",
                &[("where", "Status==\"ACTIVE\""), ("page", "2")]
            ),
            "https://h/p?where=Status%3D%3D%22ACTIVE%22&page=2"
        );
    }

    #[test]
    fn decoding_is_lenient() {
        assert_eq!(decode_component("a%20b+c"), "a b c");
        assert_eq!(decode_component("100%"), "100%");
        assert_eq!(decode_component("%zz%4"), "%zz%4");
        assert_eq!(decode_component("%C3%A9"), "é");
        assert_eq!(decode_component("%FF"), "\u{FFFD}");
    }

    #[test]
    fn parse_query_pairs() {
        assert_eq!(
            parse_query("a=1&&b&c=x%3Dy"),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), String::new()),
                ("c".to_string(), "x=y".to_string()),
            ]
        );
        assert!(parse_query("").is_empty());
        assert!(parse_query("?").is_empty());
    }

    #[test]
    fn round_trip() {
        let pairs = vec![
            (
                "q".to_string(),
                "select * from Invoice where x = 'a+b'".to_string(),
            ),
            ("ünï".to_string(), "çødé &=?#".to_string()),
        ];
        assert_eq!(parse_query(&form_encode(&pairs)), pairs);
    }
}
