//! A tiny streaming JSON writer for Xero's wire records.
//!
//! Xero's bodies have a fixed field order and .NET-style decimals (`40.00`, quantities
//! `2.0000`, rates `1.000000`) that `serde_json` cannot produce from `f64`, so records
//! are written field by field into a `String`.

/// Writes a JSON object; keys appear in call order. Finish with [`Obj::end`].
pub(crate) struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Opens `{`.
    pub(crate) fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        escape_into(self.out, k);
        self.out.push(':');
    }

    /// A string field.
    pub(crate) fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        escape_into(self.out, v);
        self
    }

    /// A field whose value is already JSON text.
    pub(crate) fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(json);
        self
    }

    /// A money amount with two decimals (`-12.30`), from cents.
    pub(crate) fn money(&mut self, k: &str, cents: i64) -> &mut Self {
        self.key(k);
        push_fixed(self.out, cents, 2);
        self
    }

    /// An integer field.
    pub(crate) fn int(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k);
        self.out.push_str(&v.to_string());
        self
    }

    /// A boolean field.
    pub(crate) fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
        self
    }

    /// A nested object written by `f`.
    pub(crate) fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.key(k);
        let mut o = Obj::new(self.out);
        f(&mut o);
        o.end();
        self
    }

    /// An array whose elements `f` writes into the buffer (one JSON value per item).
    pub(crate) fn arr<T>(
        &mut self,
        k: &str,
        items: impl IntoIterator<Item = T>,
        mut f: impl FnMut(&mut String, T),
    ) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            f(self.out, item);
        }
        self.out.push(']');
        self
    }

    /// Closes `}`.
    pub(crate) fn end(self) {
        self.out.push('}');
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Runs without anything to escape are copied whole.
    while let Some(at) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        let (plain, tail) = rest.split_at(at);
        out.push_str(plain);
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            None => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push('"');
}

/// Appends `value / 10^scale` with exactly `scale` decimals, e.g. `(-1230, 2)` → `-12.30`.
pub(crate) fn push_fixed(out: &mut String, value: i64, scale: u32) {
    let unit = 10i64.pow(scale);
    if value < 0 {
        out.push('-');
    }
    let abs = value.unsigned_abs();
    let unit = unit.unsigned_abs();
    out.push_str(&(abs / unit).to_string());
    if scale > 0 {
        out.push('.');
        out.push_str(&format!("{:0width$}", abs % unit, width = scale as usize));
    }
}

/// `value / 10^scale` as text (see [`push_fixed`]).
pub(crate) fn fixed(value: i64, scale: u32) -> String {
    let mut s = String::new();
    push_fixed(&mut s, value, scale);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_ordered_fields_and_decimals() {
        let mut s = String::new();
        let mut o = Obj::new(&mut s);
        o.str("Name", "A \"q\"\n")
            .money("Total", -1230)
            .money("Zero", 0)
            .raw("Qty", &fixed(20_000, 4))
            .bool("B", true)
            .arr("L", [1, 2], |out, i| out.push_str(&i.to_string()))
            .obj("O", |o| {
                o.int("I", 5);
            });
        o.end();
        assert_eq!(
            s,
            r#"{"Name":"A \"q\"\n","Total":-12.30,"Zero":0.00,"Qty":2.0000,"B":true,"L":[1,2],"O":{"I":5}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["Total"], -12.3);
        assert_eq!(fixed(-5, 2), "-0.05");
    }

    #[test]
    fn escaped_strings_read_back_as_written() {
        for text in [
            "",
            "plain",
            "\"",
            "a\\b",
            "line\nbreak\r\ttab",
            "bell\u{7}and\u{1f}\u{0}",
            "ünïcødé ✓ \"quoted\" – 𝄞",
            "\\\"\n",
        ] {
            let mut out = String::new();
            escape_into(&mut out, text);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, text, "{out}");
        }
        let mut out = String::new();
        escape_into(&mut out, "x\u{1}y");
        assert_eq!(out, r#""x\u0001y""#);
    }
}
