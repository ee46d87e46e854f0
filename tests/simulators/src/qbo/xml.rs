//! A small JSON → Intuit XML rendering, for clients that do not send
//! `Accept: application/json` (QuickBooks then answers XML).

use serde_json::Value;

/// Attributes QuickBooks renders as XML attributes rather than elements.
/// (`QueryResponse`'s `startPosition`, `maxResults` and `totalCount` are attributes too:
/// `<QueryResponse startPosition="1" maxResults="3">`, Intuit's data-queries page.)
const ATTRIBUTES: &[&str] = &[
    "domain",
    "sparse",
    "status",
    "startPosition",
    "maxResults",
    "totalCount",
];

/// Escapes text for an XML element or attribute.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(esc(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn element(name: &str, v: &Value, out: &mut String) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| element(name, i, out)),
        Value::Object(map) => {
            out.push('<');
            out.push_str(name);
            for (k, v) in map.iter().filter(|(k, _)| ATTRIBUTES.contains(&k.as_str())) {
                if let Some(s) = scalar(v) {
                    out.push_str(&format!(" {k}=\"{s}\""));
                }
            }
            out.push('>');
            for (k, v) in map
                .iter()
                .filter(|(k, _)| !ATTRIBUTES.contains(&k.as_str()))
            {
                element(k, v, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        other => {
            let s = scalar(other).unwrap_or_default();
            out.push_str(&format!("<{name}>{s}</{name}>"));
        }
    }
}

/// Renders `{"Entity": {...}, "time": "..."}` as
/// `<IntuitResponse xmlns=... time=...><Entity ...>...</Entity></IntuitResponse>`.
pub fn intuit_response(body: &Value) -> String {
    let time = body.get("time").and_then(Value::as_str).unwrap_or_default();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<IntuitResponse xmlns=\"http://schema.intuit.com/finance/v3\" time=\"{}\">",
        esc(time)
    );
    if let Value::Object(map) = body {
        for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "time") {
            element(k, v, &mut out);
        }
    }
    out.push_str("</IntuitResponse>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_attributes_arrays_and_escapes() {
        let v = json!({"CompanyInfo": {"domain": "QBO", "sparse": false, "CompanyName": "A & B",
            "NameValue": [{"Name": "x", "Value": "1"}, {"Name": "y", "Value": "2"}]}, "time": "t"});
        let x = intuit_response(&v);
        assert!(x.contains("time=\"t\""));
        assert!(x.contains("<CompanyInfo domain=\"QBO\" sparse=\"false\">"));
        assert!(x.contains("<CompanyName>A &amp; B</CompanyName>"));
        assert_eq!(x.matches("<NameValue>").count(), 2);
    }
}
