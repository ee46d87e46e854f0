//! Parser tests: the accepted grammar and the faults of what it refuses.

use super::*;

fn ok(s: &str) -> Statement {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn parse_err(s: &str) -> String {
    match parse(s) {
        Err(QueryError::Parse(d)) => d,
        other => panic!("{s}: expected a parse error, got {other:?}"),
    }
}

#[test]
fn the_plugins_statement() {
    let st = ok(
        "SELECT * FROM Account WHERE Active IN (true, false) AND MetaData.LastUpdatedTime >= \
         '2015-06-30T22:09:07+00:00' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 2001 MAXRESULTS 1000",
    );
    assert!(!st.count);
    assert_eq!(st.entity, "Account");
    assert_eq!(st.conditions.len(), 2);
    assert_eq!(st.conditions[0].op, Op::In);
    assert_eq!(
        st.conditions[0].values,
        vec![Literal::Bool(true), Literal::Bool(false)]
    );
    assert_eq!(st.conditions[1].op, Op::Ge);
    assert_eq!(
        st.order,
        vec![OrderItem {
            property: "MetaData.LastUpdatedTime".into(),
            desc: false
        }]
    );
    assert_eq!((st.start, st.max), (Some(2001), Some(1000)));
}

#[test]
fn keywords_any_case_and_both_order_spellings() {
    let st = ok("select count(*) from Account where Name like '%x%' order by Name desc, Id asc");
    assert!(st.count);
    assert_eq!(st.conditions[0].op, Op::Like);
    assert_eq!(st.order.len(), 2);
    assert!(st.order[0].desc && !st.order[1].desc);
    let st = ok("SeLeCt * FrOm Account OrderBy Id MaxResults 5");
    assert_eq!((st.start, st.max), (None, Some(5)));
    let st =
        ok("select * from Account where Id = '5' and Name = Checking and CurrentBalance < -3.5");
    assert_eq!(
        st.conditions[1].values,
        vec![Literal::Bare("Checking".into())]
    );
    assert_eq!(st.conditions[2].values, vec![Literal::Num("-3.5".into())]);
}

#[test]
fn syntax_errors_name_the_token() {
    assert_eq!(
        parse_err("   "),
        "QueryParserError: The query provided was empty"
    );
    let d = parse_err("select * from Account where Name = 'Cutlery \\'R Us' R Us");
    assert!(
        d.starts_with("QueryParserError: Encountered \" <IDENTIFIER> \"R \"\" at line 1, column 53.\nWas expecting one of:\n    <EOF> ...\n    <AND> ..."),
        "{d}"
    );
    let d = parse_err("from Account");
    assert!(d.contains("Encountered \" \"from\" \"from \"\" at line 1, column 1.\nWas expecting:\n    \"select\" ..."), "{d}");
    let d = parse_err("select * from");
    assert!(
        d.starts_with("QueryParserError: Encountered \"<EOF>\" at line 1, column 14."),
        "{d}"
    );
    for bad in [
        "select Name from Account",
        "select * from Account where",
        "select * from Account where Name",
        "select * from Account where Name like 5",
        "select * from Account where Id in ('1' '2')",
        "select * from Account startposition -1",
        "select * from Account maxresults 10 startposition 5",
        "select * from Account order Name",
        "select * from Account where Name = 'x' limit 5",
        "select * from Account where Name != 'x'",
    ] {
        parse_err(bad);
    }
}

#[test]
fn or_is_a_validation_fault() {
    assert_eq!(
        parse("select * from Account where Id = '1' or Id = '2'"),
        Err(QueryError::Invalid(
            "QueryValidationError: OR operation is not supported".into()
        ))
    );
}
