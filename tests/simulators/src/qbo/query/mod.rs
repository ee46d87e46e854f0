//! QuickBooks' query language (`GET/POST /v3/company/{realm}/query`), the subset the
//! simulator serves:
//!
//! ```text
//! SELECT * | count(*) FROM <Entity>
//!   [WHERE <cond> [AND <cond>]...]
//!   [ORDERBY | ORDER BY <prop> [ASC|DESC] [, <prop> [ASC|DESC]]...]
//!   [STARTPOSITION n] [MAXRESULTS n]
//! <cond> = <prop> (= | < | > | <= | >=) <value>
//!        | <prop> IN (<value> [, <value>]...)
//!        | <prop> LIKE '<pattern with %>'
//! <value> = 'quoted' | number | true | false | bare_word
//! ```
//!
//! Keywords and property names are case-insensitive (Intuit's own example writes
//! `Metadata.LastUpdatedTime` for the `MetaData` field); the entity name is
//! case-sensitive (Intuit's data-queries page). Both `ORDERBY` and `ORDER BY` parse
//! (QuickBooks' parser lists `"order"` and `"orderby"` among the expected tokens,
//! node-quickbooks#56). `STARTPOSITION` comes before `MAXRESULTS`, as documented.
//!
//! [`lexer`] and [`parser`] turn the text into a [`Statement`] or a 4000 parse fault;
//! [`eval`] validates it (4001 faults) and runs it over a company's accounts;
//! [`generic`] over the wire JSON of every other entity.

pub mod eval;
pub mod generic;
pub mod lexer;
pub mod parser;
pub mod time;

/// Why a statement was refused; both are 400 `ValidationFault`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// Code 4000 "Error parsing query"; the detail starts `QueryParserError: `.
    Parse(String),
    /// Code 4001 "Invalid query"; the detail starts `QueryValidationError: `.
    Invalid(String),
}

impl QueryError {
    /// A 4001 fault with `QueryValidationError: {what}`.
    pub fn invalid(what: impl std::fmt::Display) -> Self {
        Self::Invalid(format!("QueryValidationError: {what}"))
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`.
    Eq,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `IN (...)`.
    In,
    /// `LIKE '...'`.
    Like,
}

impl Op {
    /// As written in a statement.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::In => "IN",
            Self::Like => "LIKE",
        }
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `'quoted'` (escapes resolved).
    Str(String),
    /// A number as written.
    Num(String),
    /// `true` / `false`.
    Bool(bool),
    /// An unquoted word (`value_without_quote`).
    Bare(String),
}

impl Literal {
    /// The literal's text.
    pub fn text(&self) -> String {
        match self {
            Self::Str(s) | Self::Num(s) | Self::Bare(s) => s.clone(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// One `WHERE` condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Property as written.
    pub property: String,
    /// Operator.
    pub op: Op,
    /// One value, or the `IN` list.
    pub values: Vec<Literal>,
}

/// One `ORDERBY` item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderItem {
    /// Property as written.
    pub property: String,
    /// `DESC`.
    pub desc: bool,
}

/// A parsed statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    /// `count(*)` rather than `*`.
    pub count: bool,
    /// Entity as written (case-sensitive).
    pub entity: String,
    /// `WHERE` conditions (all must hold).
    pub conditions: Vec<Condition>,
    /// `ORDERBY` items.
    pub order: Vec<OrderItem>,
    /// `STARTPOSITION`.
    pub start: Option<u64>,
    /// `MAXRESULTS`.
    pub max: Option<u64>,
}
