//! Exact decimal amounts for money: parse the strings providers send (`"1,234.50"`,
//! `"(40.00)"`, `"-30.5"`, `""`), add and subtract them without rounding, and write
//! them back as decimal strings (`"1234.50"`). Never a float. Pure.
//!
//! A [`Decimal`] is `units / 10^scale` with `units: i128` and `scale ≤ 18`; every
//! operation is checked (`None` on overflow), so a sum is either exact or refused.
//!
//! ```
//! use mooring_plugin_sdk::decimal::Decimal;
//! let a = Decimal::parse("1,234.5").unwrap();
//! let b = Decimal::parse("(0.75)").unwrap();
//! assert_eq!(a.checked_add(b).unwrap().to_string(), "1233.75");
//! ```

use core::cmp::Ordering;
use core::fmt;

use serde_json::Value;

/// Largest number of decimal places kept.
pub const MAX_SCALE: u32 = 18;

/// An exact decimal number (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default)]
pub struct Decimal {
    units: i128,
    scale: u32,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal { units: 0, scale: 0 };

    /// `units / 10^scale`; `None` when `scale` exceeds [`MAX_SCALE`].
    pub fn new(units: i128, scale: u32) -> Option<Decimal> {
        (scale <= MAX_SCALE).then_some(Decimal { units, scale })
    }

    /// An amount in cents (`scale` 2).
    pub fn from_cents(cents: i128) -> Decimal {
        Decimal {
            units: cents,
            scale: 2,
        }
    }

    /// Reads a provider's amount text: optional sign, thousands separators, an
    /// accounting negative in parentheses; the empty string is zero. `None` for
    /// anything else (letters, exponents, several points, over [`MAX_SCALE`] places).
    pub fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        if t.is_empty() {
            return Some(Decimal::ZERO);
        }
        let (paren, t) = match t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            Some(inner) => (true, inner.trim()),
            None => (false, t),
        };
        let (minus, t) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let mut units: i128 = 0;
        let mut scale = 0u32;
        let mut seen_point = false;
        let mut digits = 0usize;
        for c in t.chars() {
            match c {
                '0'..='9' => {
                    let d = i128::from(c as u8 - b'0');
                    units = units.checked_mul(10)?.checked_add(d)?;
                    digits += 1;
                    if seen_point {
                        scale += 1;
                        if scale > MAX_SCALE {
                            return None;
                        }
                    }
                }
                '.' if !seen_point => seen_point = true,
                ',' if !seen_point => {}
                _ => return None,
            }
        }
        if digits == 0 {
            return None;
        }
        let negative = paren != minus;
        Some(Decimal {
            units: if negative {
                units.checked_neg()?
            } else {
                units
            },
            scale,
        })
    }

    /// Reads a JSON amount: a string as [`Decimal::parse`], a number by its exact
    /// decimal text (never through `f64` arithmetic), `null` as zero.
    pub fn from_json(value: &Value) -> Option<Decimal> {
        match value {
            Value::String(s) => Decimal::parse(s),
            Value::Number(n) => Decimal::parse(&n.to_string()),
            Value::Null => Some(Decimal::ZERO),
            _ => None,
        }
    }

    /// The same value written with `scale` places; `None` if that would lose digits
    /// or overflow.
    pub fn rescale(self, scale: u32) -> Option<Decimal> {
        if scale > MAX_SCALE {
            return None;
        }
        match scale.cmp(&self.scale) {
            Ordering::Equal => Some(self),
            Ordering::Greater => Some(Decimal {
                units: self.units.checked_mul(pow10(scale - self.scale)?)?,
                scale,
            }),
            Ordering::Less => {
                let f = pow10(self.scale - scale)?;
                (self.units % f == 0).then(|| Decimal {
                    units: self.units / f,
                    scale,
                })
            }
        }
    }

    fn aligned(self, other: Decimal) -> Option<(i128, i128, u32)> {
        let scale = self.scale.max(other.scale);
        Some((
            self.rescale(scale)?.units,
            other.rescale(scale)?.units,
            scale,
        ))
    }

    /// `self + other`, exactly; `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        Some(Decimal {
            units: a.checked_add(b)?,
            scale,
        })
    }

    /// `self − other`, exactly; `None` on overflow.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(other.checked_neg()?)
    }

    /// `−self`; `None` on overflow.
    pub fn checked_neg(self) -> Option<Decimal> {
        Some(Decimal {
            units: self.units.checked_neg()?,
            scale: self.scale,
        })
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.units == 0
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.units < 0
    }

    /// The larger of `self` and zero.
    pub fn positive_part(self) -> Decimal {
        if self.units > 0 { self } else { Decimal::ZERO }
    }

    /// The sum of `items`, exactly; `None` on overflow.
    pub fn sum<I: IntoIterator<Item = Decimal>>(items: I) -> Option<Decimal> {
        items
            .into_iter()
            .try_fold(Decimal::ZERO, |acc, d| acc.checked_add(d))
    }

    /// Trailing zeros beyond two places removed (`1.5000` → `1.50`, `2.125` stays).
    fn normalised(self) -> Decimal {
        let mut d = self;
        while d.scale > 2 && d.units % 10 == 0 {
            d.units /= 10;
            d.scale -= 1;
        }
        if d.scale < 2 {
            // Cannot overflow for values that fit with fewer places times 100... but
            // stay checked: fall back to the value as it is.
            return d.rescale(2).unwrap_or(d);
        }
        d
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match self.aligned(*other) {
            Some((a, b, _)) => a.cmp(&b),
            // Unalignable only when one side has huge magnitude: compare by sign, then
            // by the integer parts.
            None => {
                let ia = self.units / pow10(self.scale).unwrap_or(1);
                let ib = other.units / pow10(other.scale).unwrap_or(1);
                ia.cmp(&ib)
            }
        }
    }
}

impl fmt::Display for Decimal {
    /// At least two decimal places, no trailing zeros beyond them, `-` for negatives,
    /// no thousands separators: `1234.50`, `-0.05`, `0.00`, `2.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.normalised();
        let negative = d.units < 0;
        let digits = d.units.unsigned_abs().to_string();
        let scale = d.scale as usize;
        let (int, frac) = if digits.len() > scale {
            digits.split_at(digits.len() - scale)
        } else {
            ("", digits.as_str())
        };
        let int = if int.is_empty() { "0" } else { int };
        let pad = scale.saturating_sub(frac.len());
        write!(f, "{}{int}", if negative { "-" } else { "" })?;
        if scale > 0 {
            write!(f, ".{}{frac}", "0".repeat(pad))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn parses_provider_forms() {
        assert_eq!(d("").to_string(), "0.00");
        assert_eq!(d("40").to_string(), "40.00");
        assert_eq!(d("225.0").to_string(), "225.00");
        assert_eq!(d("-30.5").to_string(), "-30.50");
        assert_eq!(d("(40.00)").to_string(), "-40.00");
        assert_eq!(d("1,234.56").to_string(), "1234.56");
        assert_eq!(d("+0.05").to_string(), "0.05");
        assert_eq!(d("-0.05").to_string(), "-0.05");
        assert_eq!(d("2.1250").to_string(), "2.125");
        assert_eq!(d(".5").to_string(), "0.50");
        for bad in [
            "abc",
            "1.2.3",
            "1e5",
            "-",
            "()",
            "12a",
            "1.0000000000000000001",
        ] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn exact_arithmetic() {
        // The classic float trap: 0.1 + 0.2.
        let s = d("0.1").checked_add(d("0.2")).unwrap();
        assert_eq!(s, d("0.3"));
        assert_eq!(s.to_string(), "0.30");
        assert_eq!(
            d("100").checked_sub(d("0.01")).unwrap().to_string(),
            "99.99"
        );
        assert_eq!(d("-5").checked_neg().unwrap().to_string(), "5.00");
        let many = Decimal::sum(std::iter::repeat_n(d("0.01"), 10_000)).unwrap();
        assert_eq!(many.to_string(), "100.00");
        assert!(d("0.00").is_zero());
        assert!(d("-1").is_negative());
        assert_eq!(d("-3").positive_part(), Decimal::ZERO);
        assert_eq!(d("3").positive_part(), d("3.000"));
        assert!(d("1.5") > d("1.49"));
        assert_eq!(Decimal::from_cents(-1234).to_string(), "-12.34");
    }

    #[test]
    fn overflow_is_refused_not_wrapped() {
        let big = Decimal::new(i128::MAX, 0).unwrap();
        assert_eq!(big.checked_add(d("1")), None);
        assert_eq!(Decimal::new(i128::MIN, 0).unwrap().checked_neg(), None);
        assert_eq!(big.rescale(2), None);
        assert_eq!(Decimal::new(1, 19), None);
        assert_eq!(d("1.25").rescale(1), None, "would lose a digit");
    }

    #[test]
    fn json_numbers_keep_their_decimal_text() {
        assert_eq!(
            Decimal::from_json(&json!(362.07)).unwrap().to_string(),
            "362.07"
        );
        assert_eq!(
            Decimal::from_json(&json!("1091.23")).unwrap().to_string(),
            "1091.23"
        );
        assert_eq!(Decimal::from_json(&json!(null)), Some(Decimal::ZERO));
        assert_eq!(Decimal::from_json(&json!(true)), None);
    }
}
