//! The lexical layer of [`crate::json_records`]: whitespace, strings (validated and,
//! when they hold escapes, decoded), number tokens (validated and normalised the way
//! `serde_json::Value` stores them) and string escaping the way `serde_json` writes it.
//!
//! Every rule mirrors `serde_json`'s parser with string validation on (what
//! `from_slice::<Value>` applies): control characters and invalid UTF-8 inside strings,
//! unknown escapes, lone surrogates and non-finite numbers are errors.

use core::fmt;

/// Why a body is not JSON `serde_json` would accept, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the body where the problem was seen.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// Where the text of a scanned string is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrAt<'a> {
    /// No escapes: the input's text starting at byte `.0`, quotes included (`.1`).
    Src(usize, &'a str),
    /// Escapes were decoded: the text is the scanner's decode buffer.
    Buf,
}

/// Bytes that end the plain part of a string: `"`, `\` and control characters.
const STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// `quoted` without its first and last character (its quotes).
pub(crate) fn unquote(quoted: &str) -> &str {
    let inner = quoted.strip_prefix('"').unwrap_or(quoted);
    inner.strip_suffix('"').unwrap_or(inner)
}

/// The length of the plain run at the start of `bytes` (up to the first stop byte).
/// Eight bytes at a time while none of them can be a stop byte, then byte by byte.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut start = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        // High bit set in a lane that is zero (quote, slash) or below 0x20 (x); may
        // also flag a lane after a real hit, never miss one.
        let hit = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        if hit & HIGH != 0 {
            break;
        }
        start += 8;
    }
    let rest = bytes.get(start..).unwrap_or_default();
    start
        + rest
            .iter()
            .position(|&b| STOPS[usize::from(b)])
            .unwrap_or(rest.len())
}

/// A cursor over a JSON body.
pub(crate) struct Scanner<'a> {
    /// The whole body.
    pub src: &'a [u8],
    /// The whole body as text.
    text: &'a str,
    /// The next byte to read.
    pub pos: usize,
    /// The decoded text of the last string with escapes.
    pub buf: String,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `src`. A body that is not UTF-8 is refused at once:
    /// `serde_json` refuses invalid UTF-8 inside strings and any non-ASCII byte
    /// outside them, so validating it whole here (once, fast) changes nothing.
    pub fn new(src: &'a [u8]) -> Result<Self, JsonError> {
        let text = core::str::from_utf8(src).map_err(|e| JsonError {
            offset: e.valid_up_to(),
            reason: "invalid UTF-8",
        })?;
        Ok(Self {
            src,
            text,
            pos: 0,
            buf: String::new(),
        })
    }

    /// The body's text `start..end`; `None` off character boundaries (never for the
    /// spans between ASCII delimiters this scanner hands out).
    pub fn slice(&self, start: usize, end: usize) -> Option<&'a str> {
        let text: &'a str = self.text;
        text.get(start..end)
    }

    /// An error at the current position.
    pub fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            reason,
        }
    }

    /// Skips JSON whitespace and returns the next byte, if any.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.src.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Skips whitespace and consumes `want`, or fails with `reason`.
    pub fn expect(&mut self, want: u8, reason: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    /// Consumes the literal `word` (`true`, `false`, `null`) at the current position.
    pub fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonError> {
        let end = self.pos.saturating_add(word.len());
        if self.src.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    /// The text of a string scanned by [`Scanner::string`], decoded.
    pub fn text<'s>(&'s self, at: StrAt<'s>) -> &'s str {
        match at {
            StrAt::Src(_, quoted) => unquote(quoted),
            StrAt::Buf => &self.buf,
        }
    }

    /// Scans the string whose opening quote is at the current position.
    pub fn string(&mut self) -> Result<StrAt<'a>, JsonError> {
        let start = self.pos + 1;
        let src: &'a [u8] = self.src;
        let end = start + plain_run(src.get(start..).unwrap_or_default());
        self.pos = end;
        match src.get(end) {
            Some(b'"') => {
                let quoted = self.slice(start - 1, end + 1);
                let quoted = quoted.ok_or_else(|| self.error("invalid UTF-8 in string"))?;
                self.pos = end + 1;
                Ok(StrAt::Src(start, quoted))
            }
            Some(b'\\') => {
                self.buf.clear();
                self.push_run(start, end)?;
                self.escaped()?;
                Ok(StrAt::Buf)
            }
            Some(_) => Err(self.error("control character in string")),
            None => Err(self.error("unterminated string")),
        }
    }

    /// Appends the raw string bytes `start..end` to the decode buffer.
    fn push_run(&mut self, start: usize, end: usize) -> Result<(), JsonError> {
        let text = self.slice(start, end);
        let text = text.ok_or_else(|| self.error("invalid UTF-8 in string"))?;
        self.buf.push_str(text);
        Ok(())
    }

    /// Decodes the rest of a string from the backslash at the current position.
    fn escaped(&mut self) -> Result<(), JsonError> {
        loop {
            match self.src.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape()?;
                }
                Some(_) => {
                    let start = self.pos;
                    let n = plain_run(self.src.get(start..).unwrap_or_default());
                    if n == 0 {
                        return Err(self.error("control character in string"));
                    }
                    self.push_run(start, start + n)?;
                    self.pos += n;
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// Decodes one escape; the current position is just after its backslash.
    fn escape(&mut self) -> Result<(), JsonError> {
        let Some(&b) = self.src.get(self.pos) else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode()?,
            _ => return Err(self.error("invalid escape")),
        };
        self.buf.push(c);
        Ok(())
    }

    /// The character of a `\uXXXX` escape (a surrogate pair when it must be one).
    fn unicode(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate")),
            0xD800..=0xDBFF => {
                if self.src.get(self.pos..self.pos.saturating_add(2)) != Some(b"\\u") {
                    return Err(self.error("lone leading surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone leading surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid escape"))
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = self
                .src
                .get(self.pos)
                .and_then(|&b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            n = n * 16 + d;
            self.pos += 1;
        }
        Ok(n)
    }

    /// Scans the number token at the current position: `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`.
    /// Returns its span and whether it is a plain integer (no fraction, no exponent).
    pub fn number(&mut self) -> Result<(usize, usize, bool), JsonError> {
        let start = self.pos;
        if self.src.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.src.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        let mut plain = true;
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.required_digits()?;
            plain = false;
        }
        if let Some(b'e' | b'E') = self.src.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.src.get(self.pos) {
                self.pos += 1;
            }
            self.required_digits()?;
            plain = false;
        }
        Ok((start, self.pos, plain))
    }

    fn digits(&mut self) {
        while self.src.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
        if !self.src.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Err(self.error("invalid number"));
        }
        self.digits();
        Ok(())
    }
}

/// Appends `token` (a valid JSON number) as `serde_json` writes the `Number` it parses:
/// integers that fit `u64`/`i64` unchanged, anything else through `f64`. Fails when the
/// number is out of `f64`'s range (as `serde_json` does).
pub(crate) fn write_number(out: &mut String, token: &str, plain: bool) -> Result<(), &'static str> {
    let fits = plain
        && if let Some(digits) = token.strip_prefix('-') {
            digits != "0" && token.parse::<i64>().is_ok()
        } else {
            token.parse::<u64>().is_ok()
        };
    if fits {
        out.push_str(token);
        return Ok(());
    }
    if !plain && short_decimal(out, token) {
        return Ok(());
    }
    let n: serde_json::Number = token.parse().map_err(|_| "number out of range")?;
    fmt::write(out, format_args!("{n}")).map_err(|_| "number not writable")
}

/// Appends a short decimal such as `40.00` or `-0.0500` the way `serde_json` prints
/// the `f64` it parses (`40.0`, `-0.05`) without going through `f64`, and says whether
/// it did. Only for `-?I.F` with at most 15 significant digits counting trailing
/// zeros (so the parse is one exact division by a power of ten at most 10^22, hence
/// correctly rounded, with or without `float_roundtrip`) whose first significant
/// digit is at 10^-5 or above (where the shortest round-trip digits print in fixed
/// notation): for these the shortest digits are the token's own, trailing zeros off.
fn short_decimal(out: &mut String, token: &str) -> bool {
    let (sign, unsigned) = match token.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", token),
    };
    let Some((int, frac)) = unsigned.split_once('.') else {
        return false;
    };
    if frac.is_empty() || frac.bytes().any(|b| !b.is_ascii_digit()) {
        return false;
    }
    let trimmed = frac.trim_end_matches('0');
    if int == "0" {
        let leading = frac.len() - frac.trim_start_matches('0').len();
        if trimmed.is_empty() {
            out.push_str(sign);
            out.push_str("0.0");
            return true;
        }
        if leading > 4 || frac.len() - leading > 15 {
            return false;
        }
    } else if int.len() + frac.len() > 15 {
        return false;
    }
    out.push_str(sign);
    out.push_str(int);
    out.push('.');
    out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
    true
}

/// Appends `s` as a JSON string the way `serde_json` escapes it: `"` and `\`, the
/// short escapes `\b \f \n \r \t`, other control characters as `\u00xx`; everything
/// else (`/`, DEL, non-ASCII) as is.
pub(crate) fn write_escaped(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, so both ends are character boundaries.
        out.push_str(s.get(start..i).unwrap_or_default());
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}
