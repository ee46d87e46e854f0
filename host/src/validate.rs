//! Size and shape limits for what the admin API and the configuration accept: ids,
//! labels, scopes and redirect URIs. Each check returns a message a person can act on;
//! the API answers it as 400 `bad_request`.

/// Longest id (integration, connection, tenant, plugin version), in bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// Most scopes one request may name.
pub const MAX_SCOPES: usize = 100;
/// Longest scope, in characters.
pub const MAX_SCOPE_CHARS: usize = 200;
/// Longest client id or provider id, in characters.
pub const MAX_NAME_CHARS: usize = 256;
/// Longest client secret, in bytes.
pub const MAX_SECRET_BYTES: usize = 4096;
/// Longest redirect URI, in bytes.
pub const MAX_URI_BYTES: usize = 2048;
/// Longest OAuth `state` the callback looks up, in bytes.
pub const MAX_STATE_BYTES: usize = 128;

/// A refused input, with the message to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn chars_at_most(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    // Count no further than needed: a 1 MB value is refused without a full walk.
    if value.len() > max && value.chars().nth(max).is_some() {
        return Err(Invalid(format!(
            "{field} is longer than {max} characters ({} bytes)",
            value.len()
        )));
    }
    Ok(())
}

/// An id: 1 to [`MAX_ID_BYTES`] bytes, no control characters.
pub fn id(field: &str, value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return Err(Invalid(format!("{field} must not be empty")));
    }
    if value.len() > MAX_ID_BYTES {
        return Err(Invalid(format!(
            "{field} is longer than {MAX_ID_BYTES} bytes ({} bytes)",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

/// A label: at most [`MAX_LABEL_CHARS`] characters.
pub fn label(value: Option<&str>) -> Result<(), Invalid> {
    value.map_or(Ok(()), |v| chars_at_most("label", v, MAX_LABEL_CHARS))
}

/// A short name (client id, provider id): 1 to [`MAX_NAME_CHARS`] characters.
pub fn name(field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid(format!("{field} must not be empty")));
    }
    chars_at_most(field, value, MAX_NAME_CHARS)
}

/// A client secret: 1 to [`MAX_SECRET_BYTES`] bytes (never quoted).
pub fn secret(field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid(format!("{field} must not be empty")));
    }
    if value.len() > MAX_SECRET_BYTES {
        return Err(Invalid(format!(
            "{field} is longer than {MAX_SECRET_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Scopes: at most [`MAX_SCOPES`], each 1 to [`MAX_SCOPE_CHARS`] characters without
/// whitespace (scopes are joined with spaces in the authorize URL).
pub fn scopes(values: &[String]) -> Result<(), Invalid> {
    if values.len() > MAX_SCOPES {
        return Err(Invalid(format!(
            "{} scopes given; at most {MAX_SCOPES} are accepted",
            values.len()
        )));
    }
    for (i, scope) in values.iter().enumerate() {
        chars_at_most(&format!("scope {i}"), scope, MAX_SCOPE_CHARS)?;
        if scope.is_empty() || scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid(format!(
                "scope {i} must be non-empty, without spaces or control characters"
            )));
        }
    }
    Ok(())
}

/// A redirect URI: an absolute `http` or `https` URL with a host and no user name or
/// password, at most [`MAX_URI_BYTES`] bytes. `javascript:`, `data:`, `file:` and the
/// like are refused: the URI ends up in the authorize URL a person opens.
pub fn redirect_uri(value: &str) -> Result<(), Invalid> {
    if value.len() > MAX_URI_BYTES {
        return Err(Invalid(format!(
            "redirect_uri is longer than {MAX_URI_BYTES} bytes"
        )));
    }
    let url = url::Url::parse(value)
        .map_err(|e| Invalid(format!("redirect_uri is not an absolute URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid(format!(
            "redirect_uri must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid(
            "redirect_uri must not contain a user name or password".into(),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Invalid("redirect_uri must name a host".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_table() {
        let mb = "x".repeat(1 << 20);
        let many: Vec<String> = (0..10_000).map(|i| format!("s{i}")).collect();
        let cases: Vec<(&str, Result<(), Invalid>, &str)> = vec![
            ("ok label", label(Some("Acme UK")), ""),
            ("no label", label(None), ""),
            ("200 chars", label(Some(&"é".repeat(200))), ""),
            ("1 MB label", label(Some(&mb)), "label is longer than 200"),
            (
                "ok scopes",
                scopes(&["openid".into(), "accounting.transactions".into()]),
                "",
            ),
            ("10k scopes", scopes(&many), "at most 100"),
            (
                "1 MB scope",
                scopes(std::slice::from_ref(&mb)),
                "scope 0 is longer than 200",
            ),
            ("spaced scope", scopes(&["a b".into()]), "without spaces"),
            ("empty scope", scopes(&["".into()]), "non-empty"),
            ("ok id", id("integration", "acme-1"), ""),
            ("empty id", id("integration", ""), "must not be empty"),
            (
                "long id",
                id("integration", &"a".repeat(129)),
                "longer than 128",
            ),
            ("control id", id("tenant_id", "a\nb"), "control"),
            ("name", name("client_id", &mb), "longer than 256"),
            ("secret", secret("client_secret", &mb), "longer than 4096"),
            (
                "https",
                redirect_uri("https://app.example.com/oauth/callback"),
                "",
            ),
            (
                "http",
                redirect_uri("http://localhost:8080/oauth/callback"),
                "",
            ),
            (
                "javascript",
                redirect_uri("javascript:alert(1)"),
                "http or https",
            ),
            (
                "data",
                redirect_uri("data:text/html,<script>x</script>"),
                "http or https",
            ),
            ("file", redirect_uri("file:///etc/passwd"), "http or https"),
            (
                "userinfo",
                redirect_uri("https://user:pw@example.com/cb"),
                "user name",
            ),
            (
                "user only",
                redirect_uri("https://user@example.com/cb"),
                "user name",
            ),
            ("relative", redirect_uri("/oauth/callback"), "absolute URL"),
            (
                "long uri",
                redirect_uri(&format!("https://a.example/{mb}")),
                "longer than 2048",
            ),
        ];
        for (name, result, expected) in cases {
            match result {
                Ok(()) => assert!(
                    expected.is_empty(),
                    "{name}: accepted, expected {expected:?}"
                ),
                Err(Invalid(message)) => {
                    assert!(!expected.is_empty(), "{name}: refused: {message}");
                    assert!(message.contains(expected), "{name}: {message}");
                    assert!(message.len() < 200, "{name}: the message quotes the input");
                }
            }
        }
    }
}
