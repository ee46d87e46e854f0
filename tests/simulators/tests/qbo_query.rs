//! QuickBooks Online query API over generated charts of accounts: paging, the empty
//! answer, the `Active` default, incremental pulls on `MetaData.LastUpdatedTime`,
//! `count(*)`, and the 4000/4001 faults.

mod common;

use common::*;
use serde_json::Value;

/// The plugin's statement (plugins/quickbooks/src/query.rs), `since` as `+00:00` time.
fn plugin_statement(since: Option<&str>, start: u64, max: u64) -> String {
    let mut q = String::from("SELECT * FROM Account WHERE Active IN (true, false)");
    if let Some(t) = since {
        q.push_str(&format!(" AND MetaData.LastUpdatedTime >= '{t}'"));
    }
    q.push_str(&format!(
        " ORDERBY MetaData.LastUpdatedTime STARTPOSITION {start} MAXRESULTS {max}"
    ));
    q
}

fn accounts(body: &Value) -> Vec<Value> {
    body["QueryResponse"]["Account"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|a| s(&a["Id"]).to_owned()).collect()
}

async fn ok(w: &World, at: &str, realm: &str, statement: &str) -> Value {
    let a = w.qbo_query(at, realm, statement).await;
    assert_eq!(a.status, 200, "{statement}: {}", a.text);
    assert_eq!(
        a.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    assert!(a.header("intuit_tid").is_some());
    a.json()
}

async fn fault(w: &World, at: &str, statement: &str) -> Value {
    let a = w.qbo_query(at, &w.realm, statement).await;
    assert_eq!(a.status, 400, "{statement}: {}", a.text);
    let v = a.json();
    assert_eq!(v["Fault"]["type"], "ValidationFault");
    assert!(v["time"].is_string());
    let e = &v["Fault"]["Error"][0];
    assert!(e.get("element").is_none(), "query faults carry no element");
    e.clone()
}

async fn token(w: &World) -> String {
    s(&w.qbo_tokens(&w.realm).await["access_token"]).to_owned()
}

#[tokio::test]
async fn pages_with_startposition_and_maxresults_until_a_short_page() {
    let w = world().await;
    w.sim.generate_qbo_accounts(&w.realm, 45, 7).unwrap();
    let at = token(&w).await;
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let q = format!(
            "select * from Account where Active in (true,false) orderby Id startposition {start} maxresults 7"
        );
        let body = ok(&w, &at, &w.realm, &q).await;
        let page = accounts(&body);
        let r = &body["QueryResponse"];
        assert_eq!(r["startPosition"], start);
        assert_eq!(
            r["maxResults"],
            page.len(),
            "maxResults is the count returned"
        );
        assert!(r.get("totalCount").is_none());
        seen.extend(page.iter().cloned());
        if page.len() < 7 {
            assert_eq!(page.len(), 45 % 7);
            break;
        }
        start += 7;
    }
    assert_eq!(
        seen,
        w.sim.qbo_truth(&w.realm).unwrap(),
        "record for record"
    );
    let default = ok(&w, &at, &w.realm, "select * from Account").await;
    assert_eq!(
        default["QueryResponse"]["maxResults"],
        w.sim.qbo_summary(&w.realm).unwrap().active,
        "fewer than the default 100: every active account"
    );
}

#[tokio::test]
async fn the_plugins_full_pull_crosses_the_1000_boundary() {
    let w = world().await;
    w.sim.generate_qbo_accounts(&w.realm, 1_300, 5).unwrap();
    let at = token(&w).await;
    let first = ok(&w, &at, &w.realm, &plugin_statement(None, 1, 1000)).await;
    let second = ok(&w, &at, &w.realm, &plugin_statement(None, 1001, 1000)).await;
    assert_eq!(first["QueryResponse"]["maxResults"], 1000);
    assert_eq!(second["QueryResponse"]["startPosition"], 1001);
    let mut all = accounts(&first);
    all.extend(accounts(&second));
    assert_eq!(all.len(), 1_300);
    let stamps: Vec<&str> = all
        .iter()
        .map(|a| s(&a["MetaData"]["LastUpdatedTime"]))
        .collect();
    assert!(
        stamps.windows(2).all(|p| p[0] <= p[1]),
        "one offset, so text order is time order"
    );
    let mut got = ids(&all);
    got.sort();
    let mut want = ids(&w.sim.qbo_truth(&w.realm).unwrap());
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn empty_results_have_no_entity_key() {
    let w = world().await;
    let at = token(&w).await;
    for q in [
        "select * from Account where Name = 'No Such Account'",
        "select * from Account startposition 5000",
    ] {
        let body = ok(&w, &at, &w.realm, q).await;
        assert_eq!(body["QueryResponse"], serde_json::json!({}), "{q}");
        assert_eq!(body.as_object().unwrap().len(), 2);
        assert!(s(&body["time"]).ends_with("-07:00"));
    }
}

#[tokio::test]
async fn only_active_accounts_unless_the_query_says_otherwise() {
    let w = world().await;
    let at = token(&w).await;
    let summary = w.sim.qbo_summary(&w.realm).unwrap();
    assert_eq!(summary.accounts, 45, "generated on first use");
    assert!(summary.inactive > 0);
    let count = |q: &'static str| {
        let (w, at) = (&w, &at);
        async move { ok(w, at, &w.realm, q).await["QueryResponse"]["totalCount"].clone() }
    };
    assert_eq!(count("select count(*) from Account").await, summary.active);
    assert_eq!(
        count("select count(*) from Account where Active in (true, false)").await,
        summary.accounts
    );
    assert_eq!(
        count("select count(*) from Account where Active = false").await,
        summary.inactive
    );
    let body = ok(&w, &at, &w.realm, "select * from Account maxresults 1000").await;
    let victim = accounts(&body)[0].clone();
    w.advance(60);
    w.sim
        .deactivate_qbo_account(&w.realm, s(&victim["Id"]))
        .unwrap();
    let after = ok(&w, &at, &w.realm, "select * from Account maxresults 1000").await;
    assert!(!ids(&accounts(&after)).contains(&s(&victim["Id"]).to_owned()));
    let q = format!(
        "select * from Account where Id = '{}' and Active = false",
        s(&victim["Id"])
    );
    let gone = accounts(&ok(&w, &at, &w.realm, &q).await);
    assert_eq!(gone[0]["Active"], false);
    assert_eq!(gone[0]["Name"], victim["Name"]);
    let token_before: u64 = s(&victim["SyncToken"]).parse().unwrap();
    assert_eq!(s(&gone[0]["SyncToken"]), (token_before + 1).to_string());
    assert!(
        w.sim
            .deactivate_qbo_account(&w.realm, s(&victim["Id"]))
            .is_err()
    );
}

#[tokio::test]
async fn incremental_pull_on_last_updated_time_after_a_touch() {
    let w = world().await;
    w.sim.generate_qbo_accounts(&w.realm, 50, 3).unwrap();
    let at = token(&w).await;
    let full = accounts(&ok(&w, &at, &w.realm, &plugin_statement(None, 1, 1000)).await);
    assert_eq!(full.len(), 50, "inactive accounts included");
    let newest = s(&full[49]["MetaData"]["LastUpdatedTime"]).to_owned();
    // The same instant written in UTC, as the plugin writes it.
    let ms = mooring_simulators::qbo::query::time::parse_datetime(&newest).unwrap();
    let utc = mooring_simulators::timefmt::iso_utc(ms).replace(".000Z", "+00:00");
    let again = accounts(&ok(&w, &at, &w.realm, &plugin_statement(Some(&utc), 1, 1000)).await);
    assert!(
        !again.is_empty(),
        ">= is inclusive: the newest record comes back"
    );
    assert!(
        again
            .iter()
            .all(|a| s(&a["MetaData"]["LastUpdatedTime"]) == newest)
    );
    w.advance(1_800);
    let target = full[10].clone();
    let stamp = w.sim.touch_qbo_account(&w.realm, s(&target["Id"])).unwrap();
    assert_eq!(stamp, w.sim.now_ms() / 1000 * 1000);
    let delta = accounts(&ok(&w, &at, &w.realm, &plugin_statement(Some(&utc), 1, 1000)).await);
    let last = delta.last().unwrap();
    assert_eq!(last["Id"], target["Id"]);
    let before: u64 = s(&target["SyncToken"]).parse().unwrap();
    assert_eq!(s(&last["SyncToken"]), (before + 1).to_string());
    assert_ne!(
        last["MetaData"]["LastUpdatedTime"],
        target["MetaData"]["LastUpdatedTime"]
    );
    assert_eq!(
        last["MetaData"]["CreateTime"],
        target["MetaData"]["CreateTime"]
    );
    let q = format!("select * from Account where Metadata.LastUpdatedTime > '{newest}'");
    assert_eq!(
        ids(&accounts(&ok(&w, &at, &w.realm, &q).await)),
        vec![s(&target["Id"]).to_owned()]
    );
    let truth = w.sim.qbo_truth(&w.realm).unwrap();
    assert!(truth.contains(last));
}

#[tokio::test]
async fn count_star() {
    let w = world().await;
    w.sim.generate_qbo_accounts(&w.realm, 30, 9).unwrap();
    let at = token(&w).await;
    let body = ok(
        &w,
        &at,
        &w.realm,
        "SELECT COUNT(*) FROM Account WHERE Active IN (true,false)",
    )
    .await;
    assert_eq!(body["QueryResponse"], serde_json::json!({"totalCount": 30}));
    let none = ok(
        &w,
        &at,
        &w.realm,
        "select count(*) from Account where Name like '%zzz%'",
    )
    .await;
    assert_eq!(none["QueryResponse"], serde_json::json!({"totalCount": 0}));
}

#[tokio::test]
async fn post_with_application_text_and_the_sandbox_host() {
    let w = world().await;
    let at = token(&w).await;
    let q = "select * from Account where Name like '%Receivable%'";
    let get = ok(&w, &at, &w.realm, q).await;
    let post = w.qbo_query_post(&at, &w.realm, q, "application/text").await;
    assert_eq!(post.status, 200, "{}", post.text);
    assert_eq!(post.json()["QueryResponse"], get["QueryResponse"]);
    let json_body = w.qbo_query_post(&at, &w.realm, q, "application/json").await;
    assert_eq!(json_body.status, 415);
    let url = w.sim.url(
        "sandbox-quickbooks.api.intuit.com",
        &format!(
            "/v3/company/{}/query?query={}&minorversion=4",
            w.realm,
            encode(q)
        ),
    );
    let auth = format!("Bearer {at}");
    let sandbox = w
        .get(
            &url,
            &[("authorization", &auth), ("accept", "application/json")],
        )
        .await;
    assert_eq!(sandbox.status, 200, "minorversion below 75 is ignored");
    assert_eq!(sandbox.json()["QueryResponse"], get["QueryResponse"]);
    let xml = w.get(&url, &[("authorization", &auth)]).await;
    assert!(
        xml.text
            .contains("<QueryResponse maxResults=\"1\" startPosition=\"1\">"),
        "{}",
        xml.text
    );
    assert!(
        xml.text
            .contains("<Account domain=\"QBO\" sparse=\"false\">")
    );
}

#[tokio::test]
async fn unparseable_and_invalid_queries_are_validation_faults() {
    let w = world().await;
    let at = token(&w).await;
    let e = fault(
        &w,
        &at,
        "select * from Account where Name = 'Cutlery \\'R Us' R Us",
    )
    .await;
    assert_eq!(
        (s(&e["code"]), s(&e["Message"])),
        ("4000", "Error parsing query")
    );
    assert!(s(&e["Detail"]).starts_with("QueryParserError: Encountered \" <IDENTIFIER> \"R \"\""));
    let e = fault(&w, &at, "").await;
    assert_eq!(
        s(&e["Detail"]),
        "QueryParserError: The query provided was empty"
    );
    let e = fault(&w, &at, "select * from Account where Name like %x%").await;
    assert!(s(&e["Detail"]).contains("Lexical error"));
    let e = fault(&w, &at, "select * from Estimate").await;
    assert_eq!((s(&e["code"]), s(&e["Message"])), ("4001", "Invalid query"));
    assert_eq!(
        s(&e["Detail"]),
        "QueryValidationError: Metadata not found for Entity: Estimate"
    );
    // Entity names are case-sensitive.
    let e = fault(&w, &at, "select * from customer").await;
    assert_eq!(s(&e["code"]), "4001");
    let e = fault(&w, &at, "select * from Account maxresults 1001").await;
    assert_eq!(
        s(&e["Detail"]),
        "QueryValidationError: value 1001 is too large. Max allowed value is 1000"
    );
    let e = fault(&w, &at, "select * from Account where AcctNum = '100'").await;
    assert_eq!(
        s(&e["Detail"]),
        "QueryValidationError: property 'AcctNum' is not queryable"
    );
    // An unencoded `+` is decoded as a space: the time no longer parses.
    let raw = "query=select%20*%20from%20Account%20where%20MetaData.LastUpdatedTime%20%3E%3D%20%272015-06-30T22:09:07+00:00%27";
    let auth = format!("Bearer {at}");
    let a = w
        .get(
            &w.qbo_query_url(&w.realm, raw),
            &[("authorization", &auth), ("accept", "application/json")],
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["Fault"]["Error"][0]["code"], "4001");
    let xml = w
        .get(
            &w.qbo_query_url(&w.realm, "query=select"),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(xml.status, 400);
    assert!(
        xml.text
            .contains("<Fault type=\"ValidationFault\"><Error code=\"4000\">"),
        "{}",
        xml.text
    );
}
