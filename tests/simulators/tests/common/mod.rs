//! Shared fixtures for the simulator tests: a seeded simulator on a frozen clock and a
//! small HTTP client that talks to it like a connector would.

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mooring_simulators::clock::ms_to_system;
use mooring_simulators::timefmt::date_ms;
use mooring_simulators::{AppSpec, Clock, Provider, SimConfig, Simulator};
use serde_json::Value;

pub const XERO_ID: &str = "XEROCLIENT0000000000000000000001";
pub const XERO_SECRET: &str = "xero-secret-1";
pub const XERO_PKCE_ID: &str = "XEROPKCE00000000000000000000000P";
pub const QBO_ID: &str = "ABqboclient00000000000000000000000000000000000000";
pub const QBO_SECRET: &str = "qbo-secret-1";
pub const REDIRECT: &str = "http://localhost:8080/oauth/callback";
pub const ALICE: &str = "alice@example.com";
pub const BOB: &str = "bob@example.com";
pub const XERO_SCOPES: &str =
    "openid profile email offline_access accounting.settings.read accounting.invoices.read";
pub const QBO_SCOPES: &str = "com.intuit.quickbooks.accounting openid";
/// Every granular read scope the Xero data endpoints need.
pub const XERO_DATA_SCOPES: &str = "offline_access accounting.settings.read accounting.contacts.read accounting.invoices.read accounting.banktransactions.read accounting.manualjournals.read accounting.journals.read accounting.reports.trialbalance.read";

/// A running, seeded simulator.
pub struct World {
    pub sim: Simulator,
    pub http: reqwest::Client,
    pub uk: String,
    pub us: String,
    pub realm: String,
    pub realm2: String,
}

/// An HTTP answer, fully read.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn world() -> World {
    world_with(SimConfig::default()).await
}

pub async fn world_with(mut config: SimConfig) -> World {
    config.clock = Clock::frozen_at(ms_to_system(date_ms(2026, 11, 22) + 9 * 3_600_000));
    let sim = Simulator::start(config).await.expect("start simulator");
    sim.add_app(AppSpec::new(
        Provider::Xero,
        XERO_ID,
        XERO_SECRET,
        [REDIRECT],
    ))
    .unwrap();
    sim.add_app(AppSpec::pkce(Provider::Xero, XERO_PKCE_ID, [REDIRECT]))
        .unwrap();
    sim.add_app(AppSpec::new(
        Provider::Quickbooks,
        QBO_ID,
        QBO_SECRET,
        [REDIRECT],
    ))
    .unwrap();
    for p in [Provider::Xero, Provider::Quickbooks] {
        sim.add_user(p, ALICE).unwrap();
        sim.add_user(p, BOB).unwrap();
    }
    let uk = sim.add_org(Provider::Xero, "UK Ltd");
    let us = sim.add_org(Provider::Xero, "USA Inc");
    let realm = sim.add_org(Provider::Quickbooks, "Larry's Bakery");
    let realm2 = sim.add_org(Provider::Quickbooks, "Other Co");
    for t in [&uk, &us, &realm, &realm2] {
        sim.grant_user_access(ALICE, t).unwrap();
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    World {
        sim,
        http,
        uk,
        us,
        realm,
        realm2,
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn read(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        text,
    }
}

impl World {
    pub fn advance(&self, secs: u64) {
        self.sim.clock().advance(Duration::from_secs(secs));
    }

    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Answer {
        let mut rb = self.http.get(url);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        read(rb.send().await.expect("GET")).await
    }

    pub async fn delete(&self, url: &str, bearer: &str) -> Answer {
        let rb = self
            .http
            .delete(url)
            .header("authorization", format!("Bearer {bearer}"));
        read(rb.send().await.expect("DELETE")).await
    }

    pub async fn post(&self, url: &str, headers: &[(&str, &str)], body: String) -> Answer {
        let mut rb = self.http.post(url).body(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        read(rb.send().await.expect("POST")).await
    }

    /// POSTs a form to the Xero token endpoint with Basic auth.
    pub async fn xero_token(&self, pairs: &[(&str, &str)]) -> Answer {
        self.xero_token_as(XERO_ID, XERO_SECRET, pairs).await
    }

    pub async fn xero_token_as(&self, id: &str, secret: &str, pairs: &[(&str, &str)]) -> Answer {
        let auth = basic(id, secret);
        self.post(
            &self.sim.url("identity.xero.com", "/connect/token"),
            &[
                ("authorization", &auth),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form(pairs),
        )
        .await
    }

    pub async fn qbo_token(&self, pairs: &[(&str, &str)], extra: &[(&str, &str)]) -> Answer {
        let auth = basic(QBO_ID, QBO_SECRET);
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ];
        headers.extend_from_slice(extra);
        self.post(
            &self
                .sim
                .url("oauth.platform.intuit.com", "/oauth2/v1/tokens/bearer"),
            &headers,
            form(pairs),
        )
        .await
    }

    /// A Xero authorize URL for the confidential app.
    pub fn xero_authorize_url(&self, scope: &str, extra: &[(&str, &str)]) -> String {
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", XERO_ID),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("state", "st-123"),
        ];
        p.extend_from_slice(extra);
        self.sim.authorize_url(Provider::Xero, &p)
    }

    /// Consents at Xero as Alice for `orgs` and returns the code.
    pub fn xero_code(&self, orgs: &[&str]) -> String {
        let r = self
            .sim
            .authorize(
                &self.xero_authorize_url(XERO_SCOPES, &[]),
                ALICE,
                orgs,
                true,
            )
            .expect("authorize");
        r.param("code").expect("code").to_owned()
    }

    /// Full Xero consent + code exchange; returns the token response JSON.
    pub async fn xero_tokens(&self, orgs: &[&str]) -> Value {
        let code = self.xero_code(orgs);
        let a = self
            .xero_token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ])
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json()
    }

    /// Consent as Alice with `scope` for `orgs`, code exchange; returns the token JSON.
    pub async fn xero_tokens_scoped(&self, scope: &str, orgs: &[&str]) -> Value {
        let r = self
            .sim
            .authorize(&self.xero_authorize_url(scope, &[]), ALICE, orgs, true)
            .expect("authorize");
        let code = r.param("code").expect("code").to_owned();
        let a = self
            .xero_token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ])
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json()
    }

    /// `GET https://api.xero.com/api.xro/2.0{path}` with a bearer token, an optional
    /// `xero-tenant-id` and extra headers.
    pub async fn xero_api(
        &self,
        at: &str,
        tenant: Option<&str>,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let auth = format!("Bearer {at}");
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("accept", "application/json"),
        ];
        if let Some(t) = tenant {
            headers.push(("xero-tenant-id", t));
        }
        headers.extend_from_slice(extra);
        let url = self.sim.url("api.xero.com", &format!("/api.xro/2.0{path}"));
        self.get(&url, &headers).await
    }

    pub async fn xero_refresh(&self, rt: &str) -> Answer {
        self.xero_token(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
            .await
    }

    pub fn qbo_authorize_url(&self, scope: &str) -> String {
        self.sim.authorize_url(
            Provider::Quickbooks,
            &[
                ("client_id", QBO_ID),
                ("response_type", "code"),
                ("scope", scope),
                ("redirect_uri", REDIRECT),
                ("state", "q-state"),
            ],
        )
    }

    /// Full QuickBooks consent for `realm` + code exchange.
    pub async fn qbo_tokens(&self, realm: &str) -> Value {
        let r = self
            .sim
            .authorize(&self.qbo_authorize_url(QBO_SCOPES), ALICE, &[realm], true)
            .expect("authorize");
        assert_eq!(r.param("realmId"), Some(realm));
        let code = r.param("code").unwrap().to_owned();
        let a = self
            .qbo_token(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                ],
                &[],
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json()
    }

    pub async fn qbo_refresh(&self, rt: &str) -> Answer {
        self.qbo_token(
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
            &[],
        )
        .await
    }

    pub async fn connections(&self, at: &str, query: &str) -> Answer {
        let auth = format!("Bearer {at}");
        self.get(
            &self
                .sim
                .url("api.xero.com", &format!("/connections{query}")),
            &[("authorization", &auth)],
        )
        .await
    }

    pub async fn company_info(&self, at: &str, realm: &str, accept: Option<&str>) -> Answer {
        let auth = format!("Bearer {at}");
        let url = self.sim.url(
            "quickbooks.api.intuit.com",
            &format!("/v3/company/{realm}/companyinfo/{realm}?minorversion=75"),
        );
        let mut headers = vec![("authorization", auth.as_str())];
        if let Some(a) = accept {
            headers.push(("accept", a));
        }
        self.get(&url, &headers).await
    }
}

/// Percent-encodes a query-string value the way the plugin SDK does: only RFC 3986
/// unreserved characters stay, so a space is `%20` and `+` is `%2B`.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl World {
    /// The query endpoint URL of `realm` with an already encoded query string.
    pub fn qbo_query_url(&self, realm: &str, query_string: &str) -> String {
        self.sim.url(
            "quickbooks.api.intuit.com",
            &format!("/v3/company/{realm}/query?{query_string}"),
        )
    }

    /// `GET .../query?query=<statement>&minorversion=75` with `Accept: application/json`.
    pub async fn qbo_query(&self, at: &str, realm: &str, statement: &str) -> Answer {
        let url = self.qbo_query_url(
            realm,
            &format!("query={}&minorversion=75", encode(statement)),
        );
        let auth = format!("Bearer {at}");
        self.get(
            &url,
            &[("authorization", &auth), ("accept", "application/json")],
        )
        .await
    }

    /// `POST .../query?minorversion=75` with the statement as a body of `content_type`.
    pub async fn qbo_query_post(
        &self,
        at: &str,
        realm: &str,
        statement: &str,
        content_type: &str,
    ) -> Answer {
        let url = self.qbo_query_url(realm, "minorversion=75");
        let auth = format!("Bearer {at}");
        self.post(
            &url,
            &[
                ("authorization", &auth),
                ("accept", "application/json"),
                ("content-type", content_type),
            ],
            statement.to_owned(),
        )
        .await
    }
}

pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

impl World {
    /// `GET https://quickbooks.api.intuit.com/v3/company/{realm}/{rest}` (with
    /// `minorversion=75` appended) as JSON.
    pub async fn qbo_get(&self, at: &str, realm: &str, rest: &str) -> Answer {
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url = self.sim.url(
            "quickbooks.api.intuit.com",
            &format!("/v3/company/{realm}/{rest}{sep}minorversion=75"),
        );
        let auth = format!("Bearer {at}");
        self.get(
            &url,
            &[("authorization", &auth), ("accept", "application/json")],
        )
        .await
    }

    /// An access token for `realm`.
    pub async fn qbo_at(&self, realm: &str) -> String {
        s(&self.qbo_tokens(realm).await["access_token"]).to_owned()
    }

    /// Every record of a query, paged with `STARTPOSITION`/`MAXRESULTS 1000`.
    pub async fn qbo_query_all(
        &self,
        at: &str,
        realm: &str,
        entity: &str,
        filter: &str,
    ) -> Vec<Value> {
        let mut out = Vec::new();
        let mut start = 1;
        loop {
            let q =
                format!("SELECT * FROM {entity} {filter} STARTPOSITION {start} MAXRESULTS 1000");
            let a = self.qbo_query(at, realm, &q).await;
            assert_eq!(a.status, 200, "{q}: {}", a.text);
            let v = a.json();
            let page = v["QueryResponse"][entity]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let n = page.len();
            out.extend(page);
            if n < 1000 {
                return out;
            }
            start += 1000;
        }
    }
}
