//! Records out of a JSON envelope without building a `serde_json::Value` tree.
//!
//! A provider answers `{"Invoices": [{...}, {...}], "Status": "OK"}`; a connector wants
//! each element of one top-level array as compact JSON text, plus a few of its
//! top-level fields (id, cursor date, status). [`records`] does that in one pass over
//! the body, and its text is **byte-identical** to what the tree path gives:
//!
//! ```text
//! let mut v: Value = serde_json::from_slice(body)?;          // the whole body
//! let items = v[key].take();                                  // an array
//! for mut item in items { hook_every_string_value(&mut item); serde_json::to_string(&item) }
//! ```
//!
//! that is: keys sorted by their decoded bytes (`serde_json`'s `Map` is a `BTreeMap`
//! without `preserve_order`), the last of duplicate keys kept, numbers as `Value` stores
//! them (integers that fit `u64`/`i64` as they are, others through `f64`), strings
//! re-escaped as `serde_json` writes them, no whitespace, and the string hook applied
//! to every string value (never to keys) at any depth.
//!
//! It accepts exactly what `serde_json::from_slice::<Value>` accepts (same nesting
//! limit, 128) and fails with a [`JsonError`] on anything else. Members are written in
//! arrival order into one buffer and an object's members are permuted (through one
//! reusable scratch buffer) only when their keys were not already in order.

use core::fmt;

pub use crate::json_scan::JsonError;
use crate::json_scan::{Scanner, StrAt, unquote, write_escaped, write_number};

/// `serde_json`'s nesting limit: the 128th nested array or object is refused.
const DEPTH: u32 = 128;

/// Why [`records`] produced nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordsError {
    /// The body is not JSON `serde_json` accepts.
    Json(JsonError),
    /// The body is not an object, or its key is absent or `null`.
    Missing,
    /// The key holds something other than an array.
    NotArray,
}

impl fmt::Display for RecordsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => e.fmt(f),
            Self::Missing => f.write_str("no such array"),
            Self::NotArray => f.write_str("not an array"),
        }
    }
}

impl From<JsonError> for RecordsError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// A top-level field of an element, as the tree would hold it before the hook ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    /// The element has no such key (or is not an object).
    Missing,
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, in its normalised text (as `serde_json` would print it).
    Number(&'a str),
    /// A string, decoded.
    Str(&'a str),
    /// An array.
    Array,
    /// An object.
    Object,
}

impl<'a> Field<'a> {
    /// The string, when the field is one.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a `u64` when it is a non-negative integer (`Value::as_u64`).
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Self::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
}

/// A captured field: its kind and, for strings and numbers, a span of the field text.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    kind: Kind,
    start: usize,
    end: usize,
}

/// The kind of a captured field.
#[derive(Clone, Copy, Debug, Default)]
enum Kind {
    #[default]
    Missing,
    Null,
    False,
    True,
    Number,
    Str,
    Array,
    Object,
}

/// The elements of one top-level array, rewritten; see the module docs.
#[derive(Debug, Default)]
pub struct Records {
    text: String,
    spans: Vec<(usize, usize)>,
    width: usize,
    slots: Vec<Slot>,
    field_text: String,
}

impl Records {
    /// How many elements the array had.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the array was empty.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = Record<'_>> {
        (0..self.spans.len()).map(move |i| Record {
            all: self,
            index: i,
        })
    }
}

/// One element of [`Records`].
#[derive(Clone, Copy)]
pub struct Record<'a> {
    all: &'a Records,
    index: usize,
}

impl<'a> Record<'a> {
    /// The element as compact JSON text.
    pub fn json(&self) -> &'a str {
        let span = self.all.spans.get(self.index).copied().unwrap_or_default();
        // Spans are checked to be on character boundaries when `Records` is built.
        self.all.text.get(span.0..span.1).unwrap_or("")
    }

    /// Top-level field `i` (an index into the `fields` given to [`records`]).
    pub fn field(&self, i: usize) -> Field<'a> {
        if i >= self.all.width {
            return Field::Missing;
        }
        let at = self
            .index
            .checked_mul(self.all.width)
            .and_then(|n| n.checked_add(i));
        let slot = at
            .and_then(|at| self.all.slots.get(at))
            .copied()
            .unwrap_or_default();
        let text = || self.all.field_text.get(slot.start..slot.end).unwrap_or("");
        match slot.kind {
            Kind::Missing => Field::Missing,
            Kind::Null => Field::Null,
            Kind::False => Field::Bool(false),
            Kind::True => Field::Bool(true),
            Kind::Number => Field::Number(text()),
            Kind::Str => Field::Str(text()),
            Kind::Array => Field::Array,
            Kind::Object => Field::Object,
        }
    }
}

/// Rewrites each element of the top-level array `key` of `body` (see the module docs),
/// capturing the top-level `fields` of each element. `hook` sees every string value
/// (decoded) and returns its replacement, or `None` to keep it.
///
/// ```
/// use mooring_plugin_sdk::json_records::{Field, records};
///
/// let body = br#"{"Items": [{"b": 1.50, "id": "x", "a": "\/Date(0)\/"}], "Status": "OK"}"#;
/// let hook = |s: &str| (s == "/Date(0)/").then(|| "1970-01-01T00:00:00Z".to_string());
/// let page = records(body, "Items", &["id", "n"], hook)?;
/// let item = page.iter().next().expect("one item");
/// assert_eq!(item.json(), r#"{"a":"1970-01-01T00:00:00Z","b":1.5,"id":"x"}"#);
/// assert_eq!((item.field(0), item.field(1)), (Field::Str("x"), Field::Missing));
/// # Ok::<(), mooring_plugin_sdk::json_records::RecordsError>(())
/// ```
pub fn records<H>(body: &[u8], key: &str, fields: &[&str], hook: H) -> Result<Records, RecordsError>
where
    H: FnMut(&str) -> Option<String>,
{
    let mut w = Writer {
        s: Scanner::new(body)?,
        out: String::with_capacity(body.len()),
        scratch: String::new(),
        members: Vec::new(),
        keys: Vec::new(),
        hook,
        fields,
        capture: Vec::new(),
        field_text: String::new(),
    };
    let mut spans = Vec::new();
    let found = w.envelope(key, &mut spans)?;
    if w.s.peek().is_some() {
        return Err(w.s.error("trailing characters").into());
    }
    match found {
        Found::Absent => Err(RecordsError::Missing),
        Found::NotArray => Err(RecordsError::NotArray),
        Found::Array => {
            let text = w.out;
            let on_boundaries = spans
                .iter()
                .all(|&(a, b)| text.is_char_boundary(a) && text.is_char_boundary(b));
            if !on_boundaries {
                return Err(RecordsError::Json(JsonError {
                    offset: body.len(),
                    reason: "record spans off character boundaries",
                }));
            }
            Ok(Records {
                text,
                spans,
                width: fields.len(),
                slots: w.capture,
                field_text: w.field_text,
            })
        }
    }
}

/// What the last occurrence of the key held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    Absent,
    NotArray,
    Array,
}

/// One member of an object being written: its decoded key (and the key's first 8
/// bytes big-endian, zero-padded, to settle most comparisons at once) and its
/// `"key":value` text (a span of `out`).
#[derive(Clone, Copy, Debug)]
struct Member {
    prefix: u64,
    key: Key,
    text: (usize, usize),
}

/// Where a member's decoded key is.
#[derive(Clone, Copy, Debug)]
enum Key {
    /// The input's bytes `.0...1` (a key without escapes).
    Src(usize, usize),
    /// The bytes `.0...1` of the writer's `keys` buffer (a key with escapes, decoded).
    Buf(usize, usize),
}

/// The decoded bytes of `key`.
fn key_bytes<'k>(src: &'k [u8], keys: &'k [u8], key: Key) -> &'k [u8] {
    let found = match key {
        Key::Src(a, b) => src.get(a..b),
        Key::Buf(a, b) => keys.get(a..b),
    };
    found.unwrap_or_default()
}

/// The first 8 bytes of `key` as a big-endian number, zero-padded: comparing two of
/// them orders keys as their bytes do, up to ties (then the whole keys decide).
fn prefix(key: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(key) {
        *to = *from;
    }
    u64::from_be_bytes(bytes)
}

/// What a value turned out to be (for captured fields).
#[derive(Clone, Copy)]
enum Seen<'a> {
    Null,
    Bool(bool),
    Number(usize),
    Str(StrAt<'a>),
    Array,
    Object,
}

struct Writer<'a, 'f, H> {
    s: Scanner<'a>,
    out: String,
    scratch: String,
    members: Vec<Member>,
    keys: Vec<u8>,
    hook: H,
    fields: &'f [&'f str],
    capture: Vec<Slot>,
    field_text: String,
}

impl<'a, H> Writer<'a, '_, H>
where
    H: FnMut(&str) -> Option<String>,
{
    /// Reads the whole top-level value: every member is validated, the last `key`
    /// decides (as in a `Value`'s map) and, when it is an array, its elements are
    /// left in `out` with their spans in `spans`.
    fn envelope(&mut self, key: &str, spans: &mut Vec<(usize, usize)>) -> Result<Found, JsonError> {
        if self.s.peek() != Some(b'{') {
            self.value(DEPTH, false)?;
            self.out.clear();
            return Ok(Found::Absent);
        }
        self.s.pos += 1;
        let mut found = Found::Absent;
        let mut first = true;
        while self.s.peek() != Some(b'}') {
            if !first {
                self.s.expect(b',', "expected `,` or `}`")?;
            }
            first = false;
            if self.s.peek() != Some(b'"') {
                return Err(self.s.error("expected a string key"));
            }
            let at = self.s.string()?;
            let wanted = self.s.text(at) == key;
            self.s.expect(b':', "expected `:`")?;
            if !wanted {
                let mark = self.out.len();
                self.value(DEPTH - 1, false)?;
                self.out.truncate(mark);
                continue;
            }
            self.out.clear();
            spans.clear();
            self.capture.clear();
            self.field_text.clear();
            found = match self.s.peek() {
                Some(b'[') => {
                    self.elements(spans)?;
                    Found::Array
                }
                Some(b'n') => {
                    self.value(DEPTH - 1, false)?;
                    Found::Absent
                }
                _ => {
                    self.value(DEPTH - 1, false)?;
                    Found::NotArray
                }
            };
            if found != Found::Array {
                self.out.clear();
            }
        }
        self.s.pos += 1;
        Ok(found)
    }

    /// The elements of the array at the current position, one span of `out` each.
    fn elements(&mut self, spans: &mut Vec<(usize, usize)>) -> Result<(), JsonError> {
        self.s.pos += 1;
        let depth = DEPTH - 2;
        let mut first = true;
        while self.s.peek() != Some(b']') {
            if !first {
                self.s.expect(b',', "expected `,` or `]`")?;
            }
            first = false;
            let start = self.out.len();
            let base = self.capture.len();
            self.capture
                .resize(base + self.fields.len(), Slot::default());
            if self.s.peek() == Some(b'{') {
                self.object(depth, true, Some(base))?;
            } else {
                self.value(depth, true)?;
            }
            spans.push((start, self.out.len()));
        }
        self.s.pos += 1;
        Ok(())
    }

    /// Writes the value at the current position; `depth` containers may still open.
    fn value(&mut self, depth: u32, hooked: bool) -> Result<Seen<'a>, JsonError> {
        match self.s.peek() {
            Some(b'{') => self.object(depth, hooked, None).map(|()| Seen::Object),
            Some(b'[') => self.array(depth, hooked).map(|()| Seen::Array),
            Some(b'"') => {
                let at = self.s.string()?;
                let text = self.s.text(at);
                match hooked.then(|| (self.hook)(text)).flatten() {
                    Some(new) => write_escaped(&mut self.out, &new),
                    None => match at {
                        StrAt::Src(_, quoted) => self.out.push_str(quoted),
                        StrAt::Buf => write_escaped(&mut self.out, &self.s.buf),
                    },
                }
                Ok(Seen::Str(at))
            }
            Some(b't') => self.word("true", Seen::Bool(true)),
            Some(b'f') => self.word("false", Seen::Bool(false)),
            Some(b'n') => self.word("null", Seen::Null),
            Some(b'-' | b'0'..=b'9') => {
                let (a, b, plain) = self.s.number()?;
                let token = self.s.slice(a, b).unwrap_or_default();
                let start = self.out.len();
                write_number(&mut self.out, token, plain)
                    .map_err(|reason| JsonError { offset: a, reason })?;
                Ok(Seen::Number(start))
            }
            Some(_) => Err(self.s.error("expected a value")),
            None => Err(self.s.error("unexpected end of input")),
        }
    }

    fn word(&mut self, word: &'static str, seen: Seen<'a>) -> Result<Seen<'a>, JsonError> {
        self.s.literal(word.as_bytes())?;
        self.out.push_str(word);
        Ok(seen)
    }

    fn enter(&self, depth: u32) -> Result<u32, JsonError> {
        match depth.checked_sub(1) {
            Some(left) if left > 0 => Ok(left),
            _ => Err(self.s.error("nesting too deep")),
        }
    }

    fn array(&mut self, depth: u32, hooked: bool) -> Result<(), JsonError> {
        let depth = self.enter(depth)?;
        self.s.pos += 1;
        self.out.push('[');
        let mut first = true;
        while self.s.peek() != Some(b']') {
            if !first {
                self.s.expect(b',', "expected `,` or `]`")?;
                self.out.push(',');
            }
            first = false;
            self.value(depth, hooked)?;
        }
        self.s.pos += 1;
        self.out.push(']');
        Ok(())
    }

    /// Writes the object at the current position with its keys sorted; with `capture`
    /// (the index of this element's slots), records its wanted top-level fields.
    fn object(
        &mut self,
        depth: u32,
        hooked: bool,
        capture: Option<usize>,
    ) -> Result<(), JsonError> {
        let depth = self.enter(depth)?;
        self.s.pos += 1;
        let open = self.out.len();
        let base = self.members.len();
        let keys_base = self.keys.len();
        self.out.push('{');
        let mut first = true;
        while self.s.peek() != Some(b'}') {
            if !first {
                self.s.expect(b',', "expected `,` or `}`")?;
                self.out.push(',');
            }
            first = false;
            if self.s.peek() != Some(b'"') {
                return Err(self.s.error("expected a string key"));
            }
            let start = self.out.len();
            // A key without escapes is compared where it lies in the input; a decoded
            // one is kept in `keys`.
            let key = match self.s.string()? {
                StrAt::Src(at, quoted) => {
                    self.out.push_str(quoted);
                    Key::Src(at, at + unquote(quoted).len())
                }
                StrAt::Buf => {
                    write_escaped(&mut self.out, &self.s.buf);
                    let k0 = self.keys.len();
                    self.keys.extend_from_slice(self.s.buf.as_bytes());
                    Key::Buf(k0, self.keys.len())
                }
            };
            self.s.expect(b':', "expected `:`")?;
            self.out.push(':');
            let seen = self.value(depth, hooked)?;
            if let Some(base) = capture {
                let fields = self.fields;
                for (i, name) in fields.iter().enumerate() {
                    if key_bytes(self.s.src, &self.keys, key) == name.as_bytes() {
                        self.keep(base + i, &seen);
                    }
                }
            }
            self.members.push(Member {
                prefix: prefix(key_bytes(self.s.src, &self.keys, key)),
                key,
                text: (start, self.out.len()),
            });
        }
        self.s.pos += 1;
        self.out.push('}');
        self.sort_members(open, base);
        self.members.truncate(base);
        self.keys.truncate(keys_base);
        Ok(())
    }

    /// Records a captured top-level field in slot `slot`.
    fn keep(&mut self, slot: usize, seen: &Seen<'a>) {
        let start = self.field_text.len();
        let kind = match seen {
            Seen::Null => Kind::Null,
            Seen::Bool(false) => Kind::False,
            Seen::Bool(true) => Kind::True,
            Seen::Number(from) => {
                self.field_text
                    .push_str(self.out.get(*from..).unwrap_or_default());
                Kind::Number
            }
            Seen::Str(at) => {
                self.field_text.push_str(self.s.text(*at));
                Kind::Str
            }
            Seen::Array => Kind::Array,
            Seen::Object => Kind::Object,
        };
        let end = self.field_text.len();
        if let Some(s) = self.capture.get_mut(slot) {
            *s = Slot { kind, start, end };
        }
    }

    /// Puts the members of the object written from `open` in key order, keeping the
    /// last of duplicate keys. Leaves `out` alone when they already are in order.
    fn sort_members(&mut self, open: usize, base: usize) {
        let (src, keys) = (self.s.src, &self.keys);
        let key = |m: &Member| key_bytes(src, keys, m.key);
        let order =
            |a: &Member, b: &Member| a.prefix.cmp(&b.prefix).then_with(|| key(a).cmp(key(b)));
        let members = self.members.get_mut(base..).unwrap_or_default();
        if members.windows(2).all(|w| order(&w[0], &w[1]).is_lt()) {
            return;
        }
        members.sort_by(order);
        self.scratch.clear();
        self.scratch.push('{');
        let mut first = true;
        for (i, m) in members.iter().enumerate() {
            let superseded = members.get(i + 1).is_some_and(|n| order(n, m).is_eq());
            if superseded {
                continue;
            }
            if !first {
                self.scratch.push(',');
            }
            first = false;
            self.scratch
                .push_str(self.out.get(m.text.0..m.text.1).unwrap_or_default());
        }
        self.scratch.push('}');
        self.out.truncate(open);
        self.out.push_str(&self.scratch);
    }
}

#[cfg(test)]
#[path = "json_records_tests.rs"]
mod tests;
