//! The `where` parameter: a subset of Xero's .NET dynamic-LINQ filters, evaluated on a
//! record's wire JSON.
//!
//! Supported: `Field op literal` with `==` `=` `!=` `<` `<=` `>` `>=`; dotted paths
//! (`Contact.ContactID`); `AND`/`&&`, `OR`/`||`, parentheses; `Field.Contains("x")`,
//! `.StartsWith`, `.EndsWith`; literals `"text"`, numbers, `true`/`false`/`null`,
//! `Guid("...")`, `DateTime(y,m,d[,h,mi,s])`. Field names are case-insensitive; string
//! equality is case-insensitive (Xero's database collation). Anything else → 400
//! `QueryParseException`.

use serde_json::Value;

use crate::clock::Millis;
use crate::timefmt::date_ms;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        let two: String = b[i..(i + 2).min(b.len())].iter().collect();
        match c {
            _ if c.is_whitespace() => i += 1,
            '(' | ')' | ',' | '=' | '<' | '>' if !["==", "<=", ">="].contains(&two.as_str()) => {
                out.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    ',' => Tok::Comma,
                    '=' => Tok::Op("=="),
                    '<' => Tok::Op("<"),
                    _ => Tok::Op(">"),
                });
                i += 1;
            }
            '"' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err("Unterminated string literal".into()),
                        Some('\\') if b.get(i + 1).is_some() => {
                            v.push(b[i + 1]);
                            i += 2;
                        }
                        Some('"') => break,
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Tok::Str(v));
            }
            _ if ["==", "!=", "<=", ">=", "&&", "||"].contains(&two.as_str()) => {
                let op = match two.as_str() {
                    "==" => "==",
                    "!=" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    "&&" => "AND",
                    _ => "OR",
                };
                out.push(Tok::Op(op));
                i += 2;
            }
            _ if c.is_ascii_digit()
                || (c == '-' && b.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == '.') {
                    i += 1;
                }
                let text: String = b[start..i].iter().collect();
                out.push(Tok::Num(
                    text.parse()
                        .map_err(|_| format!("Invalid number '{text}'"))?,
                ));
            }
            _ if c.is_alphabetic() || c == '_' => {
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                {
                    i += 1;
                }
                let word: String = b[start..i].iter().collect();
                match word.to_ascii_uppercase().as_str() {
                    "AND" => out.push(Tok::Op("AND")),
                    "OR" => out.push(Tok::Op("OR")),
                    _ => out.push(Tok::Ident(word)),
                }
            }
            _ => return Err(format!("Syntax error '{c}'")),
        }
    }
    Ok(out)
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Time(Millis),
}

/// A parsed `where` expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// `path op literal`.
    Cmp(Vec<String>, &'static str, Lit),
    /// `path.Method("text")`.
    Call(Vec<String>, String, String),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Deepest parenthesis nesting accepted (keeps hostile queries off the stack).
const MAX_DEPTH: usize = 32;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("Expected {t:?}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Op("OR")) {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.atom()?;
        while self.peek() == Some(&Tok::Op("AND")) {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::LParen) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err("Expression nested too deeply".into());
                }
                let e = self.or()?;
                self.expect(Tok::RParen)?;
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::Ident(path)) => {
                let mut parts: Vec<String> = path.split('.').map(str::to_owned).collect();
                if self.peek() == Some(&Tok::LParen) {
                    let method = parts.pop().unwrap_or_default();
                    self.pos += 1;
                    let Some(Tok::Str(arg)) = self.next() else {
                        return Err(format!("'{method}' expects a string argument"));
                    };
                    self.expect(Tok::RParen)?;
                    let m = method.to_ascii_lowercase();
                    if !["contains", "startswith", "endswith"].contains(&m.as_str())
                        || parts.is_empty()
                    {
                        return Err(format!("No applicable method '{method}' exists"));
                    }
                    return Ok(Expr::Call(parts, m, arg));
                }
                let Some(Tok::Op(op)) = self.next() else {
                    return Err(format!("Expected an operator after '{path}'"));
                };
                if op == "AND" || op == "OR" {
                    return Err(format!("Expected a comparison after '{path}'"));
                }
                Ok(Expr::Cmp(parts, op, self.literal()?))
            }
            other => Err(format!("Syntax error near {other:?}")),
        }
    }

    fn literal(&mut self) -> Result<Lit, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Num(n)) => Ok(Lit::Num(n)),
            Some(Tok::Ident(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Ok(Lit::Bool(true)),
                "false" => Ok(Lit::Bool(false)),
                "null" => Ok(Lit::Null),
                "guid" => {
                    self.expect(Tok::LParen)?;
                    let Some(Tok::Str(g)) = self.next() else {
                        return Err("Guid expects a string".into());
                    };
                    self.expect(Tok::RParen)?;
                    Ok(Lit::Str(g))
                }
                "datetime" => {
                    self.expect(Tok::LParen)?;
                    let mut nums = Vec::new();
                    loop {
                        match self.next() {
                            Some(Tok::Num(n)) if n >= 0.0 => nums.push(n as i64),
                            other => {
                                return Err(format!("DateTime expects numbers, found {other:?}"));
                            }
                        }
                        match self.next() {
                            Some(Tok::Comma) => continue,
                            Some(Tok::RParen) => break,
                            other => {
                                return Err(format!("Syntax error in DateTime near {other:?}"));
                            }
                        }
                    }
                    datetime(&nums).map(Lit::Time)
                }
                _ => Err(format!("Unknown identifier '{w}'")),
            },
            other => Err(format!("Expected a value, found {other:?}")),
        }
    }
}

fn datetime(n: &[i64]) -> Result<Millis, String> {
    let get = |i: usize| n.get(i).copied().unwrap_or(0);
    if !(3..=6).contains(&n.len()) || !(1..=12).contains(&get(1)) || !(1..=31).contains(&get(2)) {
        return Err("DateTime expects (year, month, day[, hour, minute, second])".into());
    }
    let (h, mi, s) = (get(3), get(4), get(5));
    if h > 23 || mi > 59 || s > 59 || !(1..=9999).contains(&get(0)) {
        return Err("DateTime out of range".into());
    }
    Ok(date_ms(get(0), get(1) as u32, get(2) as u32) + ((h * 60 + mi) * 60 + s) * 1_000)
}

/// Most tokens accepted in one clause (bounds the expression tree's depth).
const MAX_TOKENS: usize = 2_000;

/// Parses a `where` clause.
pub(crate) fn parse(s: &str) -> Result<Expr, String> {
    let toks = lex(s)?;
    if toks.len() > MAX_TOKENS {
        return Err("Expression too long".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!("Syntax error near {:?}", p.toks[p.pos]));
    }
    Ok(e)
}

fn lookup<'a>(v: &'a Value, path: &[String], type_name: &str) -> Result<&'a Value, String> {
    let mut cur = v;
    for part in path {
        let obj = cur
            .as_object()
            .ok_or_else(|| format!("'{part}' is not a member of a record"))?;
        cur = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(part))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("No property or field '{part}' exists in type '{type_name}'"))?;
    }
    Ok(cur)
}

/// `/Date(123+0000)/` → 123.
fn ms_of(s: &str) -> Option<Millis> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let end = inner
        .get(1..)?
        .find(['+', '-'])
        .map_or(inner.len(), |i| i + 1);
    inner[..end].parse().ok()
}

/// Evaluates `e` on a record's JSON; errors are `QueryParseException` messages.
pub(crate) fn eval(e: &Expr, v: &Value, type_name: &str) -> Result<bool, String> {
    match e {
        Expr::And(a, b) => Ok(eval(a, v, type_name)? && eval(b, v, type_name)?),
        Expr::Or(a, b) => Ok(eval(a, v, type_name)? || eval(b, v, type_name)?),
        Expr::Call(path, method, arg) => {
            let field = lookup(v, path, type_name)?
                .as_str()
                .unwrap_or("")
                .to_lowercase();
            let arg = arg.to_lowercase();
            Ok(match method.as_str() {
                "contains" => field.contains(&arg),
                "startswith" => field.starts_with(&arg),
                _ => field.ends_with(&arg),
            })
        }
        Expr::Cmp(path, op, lit) => {
            let field = lookup(v, path, type_name)?;
            let ord = match (field, lit) {
                (Value::Null, Lit::Null) => Some(std::cmp::Ordering::Equal),
                (_, Lit::Null) | (Value::Null, _) => None,
                (Value::String(s), Lit::Time(t)) => ms_of(s).map(|m| m.cmp(t)),
                (Value::String(s), Lit::Str(l)) => Some(s.to_lowercase().cmp(&l.to_lowercase())),
                (Value::Number(n), Lit::Num(l)) => n.as_f64().and_then(|f| f.partial_cmp(l)),
                (Value::Bool(b), Lit::Bool(l)) => Some(b.cmp(l)),
                _ => return Err(format!("Operator '{op}' incompatible with operand types")),
            };
            Ok(match (*op, ord) {
                ("!=", o) => o != Some(std::cmp::Ordering::Equal),
                (_, None) => false,
                ("==", Some(o)) => o.is_eq(),
                ("<", Some(o)) => o.is_lt(),
                ("<=", Some(o)) => o.is_le(),
                (">", Some(o)) => o.is_gt(),
                (_, Some(o)) => o.is_ge(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(w: &str, v: &Value) -> Result<bool, String> {
        eval(&parse(w)?, v, "Invoice")
    }

    #[test]
    fn filters() {
        let v = json!({"Status":"ACTIVE","Type":"BANK","Total":46.0,"IsCustomer":true,
            "Contact":{"ContactID":"ABC-1"},"Date":"/Date(1539993600000+0000)/","Name":"Acme Tires"});
        assert_eq!(check(r#"Status=="ACTIVE""#, &v), Ok(true));
        assert_eq!(
            check(r#"status == "active" AND Type=="BANK""#, &v),
            Ok(true)
        );
        assert_eq!(check(r#"Status=="ARCHIVED" || Total >= 46"#, &v), Ok(true));
        assert_eq!(check(r#"Contact.ContactID==Guid("abc-1")"#, &v), Ok(true));
        assert_eq!(
            check(
                "Date >= DateTime(2018, 10, 20) && Date < DateTime(2018,10,21)",
                &v
            ),
            Ok(true)
        );
        assert_eq!(check("IsCustomer==true", &v), Ok(true));
        assert_eq!(
            check(
                r#"Name.StartsWith("acme") AND (Total < 10 OR Total > 40)"#,
                &v
            ),
            Ok(true)
        );
        assert_eq!(check(r#"Name.Contains("zzz")"#, &v), Ok(false));
        assert_eq!(
            check(r#"Reference==null"#, &v).unwrap_err(),
            "No property or field 'Reference' exists in type 'Invoice'"
        );
        let deep = format!("{}Total > 1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(
            check(&deep, &v).unwrap_err(),
            "Expression nested too deeply"
        );
        let long = vec!["Total > 1"; 5_000].join(" AND ");
        assert_eq!(check(&long, &v).unwrap_err(), "Expression too long");
        for bad in [
            r#"Status=="A"#,
            "Status==",
            "Total > DateTime(1,2)",
            "(Status",
            "Name.Explode(\"x\")",
            "Total == \"x\"",
        ] {
            assert!(check(bad, &v).is_err(), "{bad}");
        }
    }
}
