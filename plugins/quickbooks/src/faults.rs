//! Reading QuickBooks' fault bodies, in all three shapes it sends (see
//! PROVIDERS.md B4 and `shared/reference/observed/quickbooks_error_bodies.json`):
//!
//! - data/validation faults, PascalCase: `{"Fault":{"Error":[{"Message","Detail","code"}],"type"}}`
//!   (also inside a 200 answer);
//! - gateway auth faults, lower-case, Java-serialised:
//!   `{"fault":{"error":[{"message","detail","code"}],"type"}, "warnings":null, ...}`;
//! - Intuit XML, `<IntuitResponse><Fault type="…"><Error code="…"><Message>…</Message>
//!   <Detail>…</Detail></Error></Fault></IntuitResponse>` — the 429 throttle (3001) comes
//!   as XML even when JSON was asked, and so does the legacy auth fault (100).
//!
//! Pure.

use mooring_plugin_sdk::serde_json::{self, Map, Value};

/// One `Error` of a fault.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultError {
    /// The numeric code (`"3200"`), leading zeros removed; from `errorCode=003200` in
    /// the message when the `code` field is absent.
    pub code: Option<String>,
    /// `Message`.
    pub message: Option<String>,
    /// `Detail`.
    pub detail: Option<String>,
}

impl FaultError {
    /// The code as a number.
    pub fn number(&self) -> Option<u32> {
        self.code.as_deref()?.parse().ok()
    }

    /// `code Message: Detail`, for reasons a person reads.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(code) = &self.code {
            out.push_str(code);
        }
        for part in [&self.message, &self.detail].into_iter().flatten() {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            out.push_str(if out.is_empty() { "" } else { ": " });
            out.push_str(part);
        }
        out
    }
}

/// A QuickBooks fault.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fault {
    /// `type`: ValidationFault, SystemFault, AUTHENTICATION, SERVICE, ...
    pub kind: Option<String>,
    /// Its errors, in order.
    pub errors: Vec<FaultError>,
}

impl Fault {
    /// The first error's numeric code.
    pub fn first_code(&self) -> Option<u32> {
        self.errors.iter().find_map(FaultError::number)
    }

    /// Every error described, `; `-separated.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.errors.iter().map(FaultError::describe).collect();
        parts.join("; ")
    }
}

/// The fault in a body of any shape, if there is one.
pub fn parse(body: &[u8]) -> Option<Fault> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => from_json(&value),
        Err(_) => from_xml(&String::from_utf8_lossy(body)),
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match get_ci(map, key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The fault of a parsed JSON body (`Fault` or `fault`), if any.
pub fn from_json(value: &Value) -> Option<Fault> {
    let fault = get_ci(value.as_object()?, "fault")?.as_object()?;
    let errors = match get_ci(fault, "error") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(one)) => vec![one],
        _ => Vec::new(),
    };
    Some(Fault {
        kind: text(fault, "type"),
        errors: errors
            .into_iter()
            .map(|e| {
                let message = text(e, "message");
                let code = text(e, "code").or_else(|| message.as_deref().and_then(error_code));
                FaultError {
                    code: code.map(|c| normalise_code(&c)),
                    message,
                    detail: text(e, "detail"),
                }
            })
            .collect(),
    })
}

/// `errorCode=003200` inside a gateway message → `003200`.
fn error_code(message: &str) -> Option<String> {
    let rest = &message[message.find("errorCode=")? + "errorCode=".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

fn normalise_code(code: &str) -> String {
    let trimmed = code.trim().trim_start_matches('0');
    if trimmed.is_empty() && !code.trim().is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The fault of an Intuit XML body, if any. A deliberately small reader: it looks
/// for `<Fault type="…">` and each `<Error code="…">` with its `<Message>` and
/// `<Detail>`.
pub fn from_xml(xml: &str) -> Option<Fault> {
    let start = xml.find("<Fault")?;
    let fault = &xml[start..];
    let end = fault.find("</Fault>").unwrap_or(fault.len());
    let fault = &fault[..end];
    let head_end = fault.find('>')?;
    let kind = attribute(&fault[..head_end], "type");
    let mut errors = Vec::new();
    let mut rest = &fault[head_end..];
    while let Some(i) = rest.find("<Error") {
        let after = &rest[i..];
        let close = after.find("</Error>").unwrap_or(after.len());
        let element = &after[..close];
        let tag_end = element.find('>').unwrap_or(element.len());
        let message = inner(element, "Message");
        let code = attribute(&element[..tag_end], "code")
            .or_else(|| message.as_deref().and_then(error_code));
        errors.push(FaultError {
            code: code.map(|c| normalise_code(&c)),
            message,
            detail: inner(element, "Detail"),
        });
        rest = &after[close.min(after.len())..];
        if close == after.len() {
            break;
        }
    }
    Some(Fault { kind, errors })
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn inner(element: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = element.find(&open)? + open.len();
    let len = element[start..].find(&format!("</{name}>"))?;
    Some(unescape(element[start..start + len].trim()))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
#[path = "faults_tests.rs"]
pub(crate) mod tests;
