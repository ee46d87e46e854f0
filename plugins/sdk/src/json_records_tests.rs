//! Differential tests: [`records`] against the `serde_json::Value` path it replaces, on
//! hand-written cases, a few hundred generated documents and mutations of them, plus
//! refusals of invalid, truncated and too-deep input.

use super::*;
use crate::time::ms_json_date_to_rfc3339;
use serde_json::Value;

const FIELDS: &[&str] = &["id", "n", "status", "Date"];

/// One element as the tree path gives it: its text and its [`FIELDS`].
type Element = (String, Vec<Option<Value>>);

/// The tree path: parse everything, take the array, hook every string value, print.
fn reference(body: &[u8], key: &str) -> Result<Vec<Element>, RecordsError> {
    let mut v: Value = serde_json::from_slice(body).map_err(|_| {
        RecordsError::Json(JsonError {
            offset: 0,
            reason: "",
        })
    })?;
    let items = match v.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => return Err(RecordsError::Missing),
        Some(_) => return Err(RecordsError::NotArray),
    };
    Ok(items
        .into_iter()
        .map(|mut item| {
            let fields = FIELDS.iter().map(|f| item.get(f).cloned()).collect();
            hook_all(&mut item);
            (serde_json::to_string(&item).expect("prints"), fields)
        })
        .collect())
}

fn hook_all(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(new) = ms_json_date_to_rfc3339(s) {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hook_all),
        Value::Object(map) => map.values_mut().for_each(hook_all),
        _ => {}
    }
}

fn as_field(v: Option<&Value>) -> Field<'_> {
    match v {
        None => Field::Missing,
        Some(Value::Null) => Field::Null,
        Some(Value::Bool(b)) => Field::Bool(*b),
        Some(Value::Number(_)) => Field::Number(""),
        Some(Value::String(s)) => Field::Str(s),
        Some(Value::Array(_)) => Field::Array,
        Some(Value::Object(_)) => Field::Object,
    }
}

/// Asserts that both paths agree on `body`: same error class, or same texts and fields.
fn same(body: &[u8], key: &str) {
    let old = reference(body, key);
    let new = records(body, key, FIELDS, ms_json_date_to_rfc3339);
    let shown = String::from_utf8_lossy(body);
    match (old, new) {
        (Ok(old), Ok(new)) => {
            assert_eq!(old.len(), new.len(), "{shown}");
            for ((text, fields), rec) in old.iter().zip(new.iter()) {
                assert_eq!(text, rec.json(), "{shown}");
                for (i, want) in fields.iter().enumerate() {
                    match (want, rec.field(i)) {
                        (Some(Value::Number(n)), Field::Number(got)) => {
                            assert_eq!(n.to_string(), got, "{shown}");
                            assert_eq!(n.as_u64(), rec.field(i).as_u64(), "{shown}");
                        }
                        (want, got) => assert_eq!(as_field(want.as_ref()), got, "{shown}"),
                    }
                }
            }
        }
        (Err(RecordsError::Json(_)), Err(RecordsError::Json(_))) => {}
        (Err(a), Err(b)) => assert_eq!(a, b, "{shown}"),
        (old, new) => panic!(
            "{shown}\nold: {:?}\nnew: {:?}",
            old.map(|v| v.len()),
            new.map(|r| r.len())
        ),
    }
}

#[test]
fn hand_written_cases() {
    let cases: &[&str] = &[
        r#"{"Items":[]}"#,
        r#" { "Items" : [ { } , [ ] , 1 , "x" , null , true , false ] } "#,
        r#"{"Items":[{"b":1,"a":2,"c":{"z":[3,{"y":1,"x":2}],"a":null}}]}"#,
        r#"{"Items":[{"a":1,"a":2,"b":3,"a":4}],"Status":"OK"}"#,
        r#"{"Items":[{"id":"x","id":"y","n":1,"n":2.5}]}"#,
        r#"{"Items":[1],"Items":[2,3]}"#,
        r#"{"Items":[1],"Items":null}"#,
        r#"{"Items":[1],"Items":{"a":1}}"#,
        r#"{"Items":null,"Items":[5]}"#,
        r#"{"Other":1}"#,
        r#"[1,2]"#,
        r#""Items""#,
        r#"{"Items":"nope"}"#,
        r#"{"It\u0065ms":[{"\u0062":"\/","a":"\"\\\/\b\f\n\r\t\u0001\u001f\u007f\u00e9\uD83D\uDE00"}]}"#,
        r#"{"Items":[{"a\"b":1,"a":2,"a\\":3,"a!":4,"\u00e9":5,"é2":6,"😀":7,"\uFFFF":8}]}"#,
        r#"{"Items":[{"id":"\/Date(1573755038314+0000)\/","Date":"/Date(1539993600000)/","x":[" /Date(1)/ "]}]}"#,
        r#"{"Items":[{"k":"/Date(1539993600000+0000)/ ","d":"/Date(-1)/","e":"/Date(1)","f":"\/Date(12)\/"}]}"#,
        r#"{"Items":[0,-0,1,-1,1.10,1e2,1E+2,1e-7,-0.0,0.5e1,100,1.0,2.50]}"#,
        r#"{"Items":[18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809]}"#,
        r#"{"Items":[123456789012345678901234567890,1.7976931348623157e308,2.5e-324,1e-400,-1e-400]}"#,
        r#"{"Items":[{"n":30},{"n":-30},{"n":30.0},{"n":3e1},{"n":"30"},{"n":18446744073709551616}]}"#,
        r#"{"Items":[{"/Date(0)/":"/Date(0)/","\/Date(1)\/":[]}]}"#,
        r#"{"Items":[{"id":" "},{"id":7},{"id":""},{"status":"Voided"}]}"#,
    ];
    for case in cases {
        same(case.as_bytes(), "Items");
    }
    let r = records(
        br#"{"Items":[{"b":1,"a":"/Date(0)/"}]}"#,
        "Items",
        &[],
        |_| None,
    )
    .unwrap();
    assert_eq!(
        r.iter().next().unwrap().json(),
        r#"{"a":"/Date(0)/","b":1}"#
    );
    assert_eq!(r.iter().next().unwrap().field(3), Field::Missing);
}

#[test]
fn invalid_json_is_an_error_like_serde_json() {
    let cases: &[&[u8]] = &[
        b"",
        b" ",
        b"{",
        b"{\"Items\":[1,]}",
        b"{\"Items\":[1 2]}",
        b"{\"Items\":[1],}",
        b"{,\"Items\":[]}",
        b"{\"Items\":[]} x",
        b"{\"Items\":[]}{}",
        b"{\"Items\" [1]}",
        b"{Items:[1]}",
        b"{\"Items\":[01]}",
        b"{\"Items\":[1.]}",
        b"{\"Items\":[.5]}",
        b"{\"Items\":[1e]}",
        b"{\"Items\":[1e+]}",
        b"{\"Items\":[-]}",
        b"{\"Items\":[+1]}",
        b"{\"Items\":[1E+400]}",
        b"{\"Items\":[-1e400]}",
        b"{\"Other\":1e999,\"Items\":[]}",
        b"{\"Items\":[NaN]}",
        b"{\"Items\":[tru]}",
        b"{\"Items\":[nul]}",
        b"{\"Items\":[\"a\tb\"]}",
        b"{\"Items\":[\"a\nb\"]}",
        b"{\"Items\":[\"\\x\"]}",
        b"{\"Items\":[\"\\u12\"]}",
        b"{\"Items\":[\"\\uD800\"]}",
        b"{\"Items\":[\"\\uD800\\u0041\"]}",
        b"{\"Items\":[\"\\uDC00\"]}",
        b"{\"Items\":[\"\\uD800x\"]}",
        b"{\"Items\":[{\"\\uDFFF\":1}]}",
        b"{\"Items\":[\"\xff\"]}",
        b"{\"Items\":[\"\xc3\"]}",
        b"{\"Items\":[\"\xc3\\n\"]}",
        b"{\"Items\":[\"\\n\xa9\"]}",
        b"{\"Items\":[\"abc",
        b"{\"Items\":[\"abc\\",
        b"{\"Items\":[{\"a\":1,\"a\"}]}",
        b"{\"Items\":[{\"a\":}]}",
        b"{\"Items\":[{1:2}]}",
        b"\xef\xbb\xbf{\"Items\":[]}",
        b"{\"Items\":[\xc3\xa9]}",
    ];
    for case in cases {
        assert!(
            serde_json::from_slice::<Value>(case).is_err(),
            "{:?}",
            String::from_utf8_lossy(case)
        );
        assert!(
            matches!(
                records(case, "Items", FIELDS, |_| None),
                Err(RecordsError::Json(_))
            ),
            "{:?}",
            String::from_utf8_lossy(case)
        );
    }
}

#[test]
fn nesting_limit_matches_serde_json() {
    for depth in 120..132 {
        let body = format!(
            r#"{{"Items":[{}1{}]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        same(body.as_bytes(), "Items");
        let body = format!(
            r#"{{"Other":{}1{},"Items":[]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        same(body.as_bytes(), "Items");
        let body = format!(
            r#"{{"Items":[{}]}}"#,
            r#"{"a":"#.repeat(depth) + "1" + &"}".repeat(depth)
        );
        same(body.as_bytes(), "Items");
    }
    let hostile = "[".repeat(1_000_000);
    assert!(records(hostile.as_bytes(), "Items", FIELDS, |_| None).is_err());
    let hostile = format!(r#"{{"Items":[{}"#, r#"{"a":["#.repeat(500_000));
    assert!(records(hostile.as_bytes(), "Items", FIELDS, |_| None).is_err());
}

/// A small deterministic generator (xorshift64*).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn ws(&mut self, out: &mut String) {
        if self.below(4) == 0 {
            out.push_str(self.pick(&[" ", "\n", "\t", "\r\n  ", "  "]));
        }
    }

    fn string(&mut self, out: &mut String) {
        const PIECES: &[&str] = &[
            "a",
            "b",
            "Z",
            "id",
            "n",
            "status",
            "Date",
            "Name",
            "é",
            "😀",
            "中",
            " ",
            "/",
            "\\/",
            "\\\"",
            "\\\\",
            "\\b",
            "\\f",
            "\\n",
            "\\r",
            "\\t",
            "\\u0000",
            "\\u001f",
            "\\u007f",
            "\\u00e9",
            "\\u20AC",
            "\\uD83D\\uDE00",
            "\\uDBFF\\uDFFF",
            "\\u0041",
            "~",
            "\u{7f}",
            "\\/Date(1573755038314+0000)\\/",
            "/Date(1539993600000)/",
            "/Date(-86400000-0500)/",
        ];
        out.push('"');
        if self.below(5) == 0 {
            out.push_str(self.pick(&[
                "\\/Date(1573755038314+0000)\\/",
                "/Date(1539993600000+0000)/",
                "/Date(1541176290160)/",
            ]));
        } else {
            for _ in 0..self.below(4) {
                out.push_str(self.pick(PIECES));
            }
        }
        out.push('"');
    }

    fn number(&mut self, out: &mut String) {
        const NUMBERS: &[&str] = &[
            "0",
            "-0",
            "1",
            "-1",
            "1.10",
            "1e2",
            "1E+2",
            "1e-2",
            "-0.0",
            "0.0",
            "40.00",
            "123.45",
            "2.0000",
            "1.000000",
            "0.1",
            "3.14159",
            "1e21",
            "1e-7",
            "5e-324",
            "1.7976931348623157e308",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "9007199254740993",
            "0.30000000000000004",
            "100",
            "-250.5",
            "0.00001",
            "0.000001",
            "0.0000100",
            "-0.00001",
            "123456789012345.6",
            "12345678901234.5",
            "0.123456789012345",
            "0.1234567890123450000",
            "1234567890123456.0",
            "-0.00",
            "99999999999999.99",
            "0.000012345678901234",
            "0.00001234567890123",
            "1.5e300",
            "0.0",
            "10.10",
            "100000000000000.0",
            "1000000000000000.0",
            "0.1000000000000000000000",
        ];
        if self.below(3) == 0 {
            let whole = self.next() % 100_000;
            let cents = self.next() % 100;
            let sign = if self.below(4) == 0 { "-" } else { "" };
            out.push_str(&format!("{sign}{whole}.{cents:02}"));
        } else {
            out.push_str(self.pick(NUMBERS));
        }
    }

    fn value(&mut self, out: &mut String, depth: u32) {
        let choice = if depth == 0 {
            2 + self.below(4)
        } else {
            self.below(6)
        };
        match choice {
            0 => self.object(out, depth - 1),
            1 => {
                out.push('[');
                for i in 0..self.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.value(out, depth - 1);
                    self.ws(out);
                }
                out.push(']');
            }
            2 | 3 => self.string(out),
            4 => self.number(out),
            _ => out.push_str(self.pick(&["true", "false", "null"])),
        }
    }

    fn object(&mut self, out: &mut String, depth: u32) {
        out.push('{');
        for i in 0..self.below(7) {
            if i > 0 {
                out.push(',');
            }
            self.ws(out);
            if self.below(3) == 0 {
                out.push('"');
                out.push_str(self.pick(FIELDS));
                out.push('"');
            } else {
                self.string(out);
            }
            self.ws(out);
            out.push(':');
            self.ws(out);
            self.value(out, depth);
        }
        out.push('}');
    }

    fn document(&mut self) -> String {
        let mut out = String::from("{");
        if self.below(2) == 0 {
            out.push_str(
                r#""Id":"6c8b3c58","Status":"OK","DateTimeUTC":"\/Date(1573755038314)\/","#,
            );
        }
        out.push_str(r#""Items":["#);
        for i in 0..self.below(6) {
            if i > 0 {
                out.push(',');
            }
            self.ws(&mut out);
            if self.below(8) == 0 {
                self.value(&mut out, 3);
            } else {
                self.object(&mut out, 4);
            }
        }
        out.push(']');
        if self.below(4) == 0 {
            out.push_str(r#","Tail":[1,{"b":2,"a":"x"}]"#);
        }
        out.push('}');
        out
    }
}

#[test]
fn generated_documents_match_the_tree_path() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for _ in 0..600 {
        let doc = g.document();
        serde_json::from_str::<Value>(&doc).expect("the generator writes valid JSON");
        same(doc.as_bytes(), "Items");
    }
}

#[test]
fn mutated_documents_are_accepted_or_refused_like_serde_json() {
    let mut g = Gen(0xD1B5_4A32_D192_ED03);
    const BYTES: &[u8] = b"{}[],:\"\\ 0123456789.eE+-tfnulr/\xc3\xa9\xff\x01";
    for _ in 0..400 {
        let doc = g.document().into_bytes();
        for _ in 0..8 {
            let mut m = doc.clone();
            for _ in 0..=g.below(3) {
                let at = g.below(m.len() + 1);
                match g.below(3) {
                    0 if at < m.len() => {
                        m.remove(at);
                    }
                    1 if at < m.len() => m[at] = BYTES[g.below(BYTES.len())],
                    _ => m.insert(at, BYTES[g.below(BYTES.len())]),
                }
            }
            same(&m, "Items");
        }
        for cut in (0..doc.len()).step_by(1 + doc.len() / 16) {
            same(&doc[..cut], "Items");
        }
    }
}

#[test]
fn a_field_named_twice_is_captured_twice() {
    let r = records(
        br#"{"J":[{"N":30,"A":"x"}]}"#,
        "J",
        &["A", "N", "N", ""],
        |_| None,
    )
    .unwrap();
    let rec = r.iter().next().unwrap();
    assert_eq!(rec.field(0), Field::Str("x"));
    assert_eq!(rec.field(1), Field::Number("30"));
    assert_eq!(rec.field(2).as_u64(), Some(30));
    assert_eq!(rec.field(3), Field::Missing);
    assert_eq!(rec.field(4), Field::Missing);
}
