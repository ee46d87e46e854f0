//! The statement parser. Syntax errors are 4000 faults worded like QuickBooks' JavaCC
//! parser, e.g. (node-quickbooks#56):
//!
//! ```text
//! QueryParserError: Encountered " <IDENTIFIER> "R "" at line 1, column 52.
//! Was expecting one of:
//!     <EOF>
//!     <AND> ...
//! ```
//!
//! and an empty statement is `QueryParserError: The query provided was empty`
//! (QuickBooks-V3-PHP-SDK#8). `OR` is recognised but refused with a 4001 fault: the
//! documented grammar has no `OR`, yet QuickBooks' parser knows the token (it lists
//! `<OR>` among the expected ones), so the refusal is a validation, not a syntax, error.

use super::lexer::{Tok, Token, tokenize};
use super::{Condition, Literal, Op, OrderItem, QueryError, Statement};

const KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "in",
    "like",
    "orderby",
    "order",
    "by",
    "asc",
    "desc",
    "startposition",
    "maxresults",
    "count",
    "true",
    "false",
    "iterator",
];

struct Parser {
    toks: Vec<Token>,
    at: usize,
}

fn keyword(t: &Token) -> Option<String> {
    match &t.tok {
        Tok::Ident(s) => {
            let lower = s.to_ascii_lowercase();
            KEYWORDS.contains(&lower.as_str()).then_some(lower)
        }
        _ => None,
    }
}

/// How JavaCC names a token in "Encountered ..." messages.
fn describe(t: &Token) -> String {
    if let Some(k) = keyword(t) {
        return format!("\"{k}\"");
    }
    match &t.tok {
        Tok::Ident(_) => "<IDENTIFIER>".into(),
        Tok::Str(_) => "<STRING_LITERAL>".into(),
        Tok::Num(n) if n.contains('.') => "<DECIMAL>".into(),
        Tok::Num(_) => "<INTEGER>".into(),
        Tok::Eof => "<EOF>".into(),
        _ => format!("\"{}\"", t.image),
    }
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.at.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn is_kw(&self, k: &str) -> bool {
        keyword(self.peek()).as_deref() == Some(k)
    }

    fn eat_kw(&mut self, k: &str) -> bool {
        let hit = self.is_kw(k);
        if hit {
            self.next();
        }
        hit
    }

    fn unexpected(&self, expected: &[&str]) -> QueryError {
        let t = self.peek();
        let head = if t.tok == Tok::Eof {
            format!(
                "QueryParserError: Encountered \"<EOF>\" at line {}, column {}.",
                t.line, t.col
            )
        } else {
            format!(
                "QueryParserError: Encountered \" {} \"{} \"\" at line {}, column {}.",
                describe(t),
                t.image,
                t.line,
                t.col
            )
        };
        let list: String = expected.iter().map(|e| format!("    {e} ...\n")).collect();
        let intro = if expected.len() == 1 {
            "Was expecting:"
        } else {
            "Was expecting one of:"
        };
        QueryError::Parse(format!("{head}\n{intro}\n{list}    "))
    }

    fn expect_kw(&mut self, k: &str) -> Result<(), QueryError> {
        if self.eat_kw(k) {
            Ok(())
        } else {
            Err(self.unexpected(&[&format!("\"{k}\"")]))
        }
    }

    fn expect(&mut self, tok: Tok, shown: &str) -> Result<(), QueryError> {
        if self.peek().tok == tok {
            self.next();
            Ok(())
        } else {
            Err(self.unexpected(&[shown]))
        }
    }

    /// A property or entity name (not a keyword).
    fn name(&mut self) -> Result<String, QueryError> {
        match &self.peek().tok {
            Tok::Ident(s) if keyword(self.peek()).is_none() => {
                let s = s.clone();
                self.next();
                Ok(s)
            }
            _ => Err(self.unexpected(&["<IDENTIFIER>"])),
        }
    }

    fn integer(&mut self) -> Result<u64, QueryError> {
        match &self.peek().tok {
            Tok::Num(n) if n.bytes().all(|b| b.is_ascii_digit()) => {
                let v = n.parse().unwrap_or(u64::MAX);
                self.next();
                Ok(v)
            }
            _ => Err(self.unexpected(&["<INTEGER>"])),
        }
    }

    fn value(&mut self) -> Result<Literal, QueryError> {
        let t = self.peek().clone();
        let lit = match (&t.tok, keyword(&t).as_deref()) {
            (_, Some("true")) => Literal::Bool(true),
            (_, Some("false")) => Literal::Bool(false),
            (Tok::Str(s), _) => Literal::Str(s.clone()),
            (Tok::Num(n), _) => Literal::Num(n.clone()),
            (Tok::Ident(s), None) => Literal::Bare(s.clone()),
            _ => {
                return Err(self.unexpected(&[
                    "<STRING_LITERAL>",
                    "<INTEGER>",
                    "\"true\"",
                    "\"false\"",
                ]));
            }
        };
        self.next();
        Ok(lit)
    }

    fn condition(&mut self) -> Result<Condition, QueryError> {
        let property = self.name()?;
        let (op, values) = if let Tok::Op(o) = self.peek().tok {
            self.next();
            let op = match o {
                "=" => Op::Eq,
                "<" => Op::Lt,
                ">" => Op::Gt,
                "<=" => Op::Le,
                _ => Op::Ge,
            };
            (op, vec![self.value()?])
        } else if self.eat_kw("in") {
            self.expect(Tok::LParen, "\"(\"")?;
            let mut values = vec![self.value()?];
            while self.peek().tok == Tok::Comma {
                self.next();
                values.push(self.value()?);
            }
            self.expect(Tok::RParen, "\")\"")?;
            (Op::In, values)
        } else if self.eat_kw("like") {
            match self.peek().tok.clone() {
                Tok::Str(s) => {
                    self.next();
                    (Op::Like, vec![Literal::Str(s)])
                }
                _ => return Err(self.unexpected(&["<STRING_LITERAL>"])),
            }
        } else {
            return Err(self.unexpected(&[
                "\"=\"", "\"<\"", "\">\"", "\"<=\"", "\">=\"", "\"in\"", "\"like\"",
            ]));
        };
        Ok(Condition {
            property,
            op,
            values,
        })
    }

    fn order(&mut self) -> Result<Vec<OrderItem>, QueryError> {
        let mut items = Vec::new();
        loop {
            let property = self.name()?;
            let desc = if self.eat_kw("desc") {
                true
            } else {
                self.eat_kw("asc");
                false
            };
            items.push(OrderItem { property, desc });
            if self.peek().tok != Tok::Comma {
                return Ok(items);
            }
            self.next();
        }
    }

    fn statement(&mut self) -> Result<Statement, QueryError> {
        let mut st = Statement::default();
        self.expect_kw("select")?;
        if self.peek().tok == Tok::Star {
            self.next();
        } else if self.eat_kw("count") {
            self.expect(Tok::LParen, "\"(\"")?;
            self.expect(Tok::Star, "\"*\"")?;
            self.expect(Tok::RParen, "\")\"")?;
            st.count = true;
        } else {
            return Err(self.unexpected(&["\"*\"", "\"count\""]));
        }
        self.expect_kw("from")?;
        st.entity = self.name()?;
        if self.eat_kw("where") {
            st.conditions.push(self.condition()?);
            loop {
                if self.eat_kw("and") {
                    st.conditions.push(self.condition()?);
                } else if self.is_kw("or") {
                    return Err(QueryError::invalid("OR operation is not supported"));
                } else {
                    break;
                }
            }
        }
        let order_by = if self.eat_kw("orderby") {
            true
        } else if self.eat_kw("order") {
            self.expect_kw("by")?;
            true
        } else {
            false
        };
        if order_by {
            st.order = self.order()?;
        }
        if self.eat_kw("startposition") {
            st.start = Some(self.integer()?);
        }
        if self.eat_kw("maxresults") {
            st.max = Some(self.integer()?);
        }
        if self.peek().tok != Tok::Eof {
            let mut expected = vec!["<EOF>"];
            if st.max.is_none() {
                if st.start.is_none() {
                    if st.order.is_empty() {
                        if !st.conditions.is_empty() {
                            expected.push("<AND>");
                        }
                        expected.extend(["\"order\"", "\"orderby\""]);
                    }
                    expected.push("\"startposition\"");
                }
                expected.push("\"maxresults\"");
            }
            return Err(self.unexpected(&expected));
        }
        Ok(st)
    }
}

/// Parses a statement.
pub fn parse(src: &str) -> Result<Statement, QueryError> {
    if src.trim().is_empty() {
        return Err(QueryError::Parse(
            "QueryParserError: The query provided was empty".into(),
        ));
    }
    let toks = tokenize(src)?;
    Parser { toks, at: 0 }.statement()
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
