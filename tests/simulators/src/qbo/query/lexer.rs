//! Tokens of a QuickBooks query statement.
//!
//! Identifiers may contain dots (`MetaData.LastUpdatedTime`); strings are single-quoted
//! with backslash escapes (`'Men\'s Helmet'`, Intuit's "Escape Character" rule); numbers
//! are integers or decimals, optionally negative. Anything else (`%` outside a string,
//! `!`, `"`, typographic quotes) is a lexical error with the wording of QuickBooks'
//! JavaCC parser: `QueryParserError: Invalid content. Lexical error at line 1, column
//! 44.  Encountered: "%" (37), after : ""` (quickbooks-node-promise#1).

use super::QueryError;

/// A token kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name or keyword (keywords are recognised by the parser, case-insensitively).
    Ident(String),
    /// A single-quoted string, escapes resolved.
    Str(String),
    /// A number as written.
    Num(String),
    /// `*`.
    Star,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `=`, `<`, `>`, `<=`, `>=`.
    Op(&'static str),
    /// End of the statement.
    Eof,
}

/// A token with its position (1-based line and column) and source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Kind and value.
    pub tok: Tok,
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
    /// The text as written.
    pub image: String,
}

fn lexical(line: usize, col: usize, what: &str, after: &str) -> QueryError {
    QueryError::Parse(format!(
        "QueryParserError: Invalid content. Lexical error at line {line}, column {col}.  Encountered: {what}, after : \"{after}\""
    ))
}

/// Splits a statement into tokens (the last is always [`Tok::Eof`]).
pub fn tokenize(src: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        let (start, start_col) = (i, col);
        let tok = match c {
            '*' => Tok::Star,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '=' => Tok::Op("="),
            '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                if eq {
                    i += 1;
                    col += 1;
                }
                Tok::Op(match (c, eq) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                })
            }
            '\'' => {
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            let after: String = chars[i..].iter().collect();
                            return Err(lexical(line, col + (j - i), "<EOF>", &after));
                        }
                        Some('\\') if j + 1 < chars.len() => {
                            text.push(chars[j + 1]);
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(ch) => {
                            text.push(*ch);
                            j += 1;
                        }
                    }
                }
                col += j - i;
                i = j;
                Tok::Str(text)
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                col += j - i - 1;
                i = j - 1;
                Tok::Num(chars[start..j].iter().collect())
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric() || chars[j] == '_' || chars[j] == '.')
                {
                    j += 1;
                }
                col += j - i - 1;
                i = j - 1;
                Tok::Ident(chars[start..j].iter().collect())
            }
            other => {
                let what = format!("\"{other}\" ({})", u32::from(other));
                return Err(lexical(line, col, &what, ""));
            }
        };
        i += 1;
        col += 1;
        out.push(Token {
            tok,
            line,
            col: start_col,
            image: chars[start..i.min(chars.len())].iter().collect(),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
        col,
        image: String::new(),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds(
                "select * FROM Account WHERE MetaData.LastUpdatedTime >= '2015-06-30T22:09:07+00:00'"
            ),
            vec![
                Tok::Ident("select".into()),
                Tok::Star,
                Tok::Ident("FROM".into()),
                Tok::Ident("Account".into()),
                Tok::Ident("WHERE".into()),
                Tok::Ident("MetaData.LastUpdatedTime".into()),
                Tok::Op(">="),
                Tok::Str("2015-06-30T22:09:07+00:00".into()),
                Tok::Eof,
            ]
        );
        assert_eq!(
            kinds("Id IN ('1','2') maxresults -12.5,'Men\\'s'<=x"),
            vec![
                Tok::Ident("Id".into()),
                Tok::Ident("IN".into()),
                Tok::LParen,
                Tok::Str("1".into()),
                Tok::Comma,
                Tok::Str("2".into()),
                Tok::RParen,
                Tok::Ident("maxresults".into()),
                Tok::Num("-12.5".into()),
                Tok::Comma,
                Tok::Str("Men's".into()),
                Tok::Op("<="),
                Tok::Ident("x".into()),
                Tok::Eof,
            ]
        );
        let t = tokenize("a\n  bb").unwrap();
        assert_eq!((t[1].line, t[1].col, t[1].image.as_str()), (2, 3, "bb"));
    }

    #[test]
    fn lexical_errors() {
        let e = tokenize("select * from Account where Name = %x%").unwrap_err();
        assert_eq!(
            e,
            QueryError::Parse(
                "QueryParserError: Invalid content. Lexical error at line 1, column 36.  Encountered: \"%\" (37), after : \"\"".into()
            )
        );
        assert!(matches!(
            tokenize("Name = 'open"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(tokenize("Name = ’x’"), Err(QueryError::Parse(_))));
    }
}
