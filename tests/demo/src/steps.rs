//! The demo's steps, one method of [`Story`] each, in the order the operator lives
//! through them.

use super::*;

impl Story {
    pub(crate) fn xero_id(&self) -> Result<&str> {
        self.xero_id.as_deref().context("no Xero connection")
    }

    pub(crate) fn qbo_id(&self) -> Result<&str> {
        self.qbo_id.as_deref().context("no QuickBooks connection")
    }

    /// Follow a consent's redirect back to the host's callback: (status, page text).
    pub(crate) async fn callback(&self, location: &str) -> Result<(u16, String)> {
        let (status, _, text) = self.host.open(location).await?;
        Ok((status, text))
    }

    pub(crate) async fn connect(&mut self) -> Result<Done> {
        let host = &self.host;
        let started = host
            .ok(
                "POST",
                "/api/connections",
                Some(json!({"integration": "xero", "label": "UK books"})),
            )
            .await?;
        let id = started["id"].as_str().context("id")?.to_owned();
        let consent = self.xero.authorize(
            started["authorize_url"].as_str().context("authorize_url")?,
            USER,
            &[&self.uk, &self.usa],
            true,
        )?;
        let (status, page) = self.callback(&consent.location).await?;
        ensure!(status == 200, "Xero callback answered {status}: {page}");
        let waiting = host.connection(&id).await?;
        ensure!(
            waiting["state"] == "awaiting_tenant",
            "expected awaiting_tenant after consenting to two organisations: {waiting}"
        );
        let choices = waiting["tenant_choices"].as_array().map_or(0, Vec::len);
        let chosen = host
            .ok(
                "POST",
                &format!("/api/connections/{id}/tenant"),
                Some(json!({"tenant_id": self.uk})),
            )
            .await?;
        ensure!(chosen["state"] == "active", "after choosing: {chosen}");
        self.xero_id = Some(id.clone());

        let started = host
            .ok(
                "POST",
                "/api/connections",
                Some(json!({"integration": "qbo", "label": "US books"})),
            )
            .await?;
        let qbo_id = started["id"].as_str().context("id")?.to_owned();
        let consent = self.qbo.authorize(
            started["authorize_url"].as_str().context("authorize_url")?,
            USER,
            &[&self.company],
            true,
        )?;
        let (status, page) = self.callback(&consent.location).await?;
        ensure!(
            status == 200,
            "QuickBooks callback answered {status}: {page}"
        );
        let view = host.connection(&qbo_id).await?;
        ensure!(view["state"] == "active", "QuickBooks: {view}");
        self.qbo_id = Some(qbo_id);
        let (org, company) = (
            chosen["tenant"]["name"].as_str().unwrap_or("?"),
            view["tenant"]["name"].as_str().unwrap_or("?"),
        );
        done(
            format!("Xero: {choices} organisations consented, {org} chosen; QuickBooks: {company}"),
            format!(
                "Xero: {USER} consented to {choices} organisations, the callback page asked the operator to choose, {org} chosen → {id} active; QuickBooks: {company} → active"
            ),
        )
    }

    pub(crate) async fn sync(&mut self) -> Result<Done> {
        let (xero_id, qbo_id) = (self.xero_id()?.to_owned(), self.qbo_id()?.to_owned());
        let (xero_runs, qbo_runs) = tokio::try_join!(
            wait_for_sync(&self.host, &xero_id, 0),
            wait_for_sync(&self.host, &qbo_id, 0)
        )?;
        let failed: Vec<String> = failed_runs(&xero_runs)
            .into_iter()
            .chain(failed_runs(&qbo_runs))
            .collect();
        ensure!(failed.is_empty(), "runs failed: {}", failed.join("; "));
        let xero = live_counts(&self.host, &xero_id).await?;
        let qbo = live_counts(&self.host, &qbo_id).await?;
        let (streams, records) = compare_with_truth(self, &xero_id).await?;
        self.first_counts = xero.clone();
        let count = |m: &BTreeMap<String, usize>, s: &str| n(m.get(s).copied().unwrap_or(0));
        let (xero_total, qbo_total) = (n(xero.values().sum()), n(qbo.values().sum()));
        done(
            format!(
                "Xero {xero_total} records in {} streams, {streams} streams = simulator ({} ids); QuickBooks {qbo_total} in {}",
                xero_runs.len(),
                n(records),
                qbo_runs.len()
            ),
            format!(
                "the sync the host queued after each connect: Xero UK Ltd {} streams, {xero_total} live records ({} accounts, {} invoices, {} journals), {streams} streams equal the simulator's {} records id for id; QuickBooks {} streams, {qbo_total} records",
                xero_runs.len(),
                count(&xero, "accounts"),
                count(&xero, "invoices"),
                count(&xero, "journals"),
                n(records),
                qbo_runs.len(),
            ),
        )
    }

    pub(crate) async fn expiry_warning(&mut self) -> Result<Done> {
        let id = self.qbo_id()?.to_owned();
        // Intuit ends a refresh token 5 years after the consent however often it is
        // used. Let the provider's clock run on to 3 days before that, refreshing at
        // least every 99 days (a refresh token unused for 100 days dies), as a
        // connection in daily use would; each data call after a jump meets an expired
        // access token, and the host refreshes and retries.
        let grant = self
            .qbo
            .live_grants()
            .into_iter()
            .find(|g| g.client_id == "demo-qbo-app")
            .context("the simulator holds no live QuickBooks grant")?;
        let target = grant.created_at + QBO_RT_HARD - 3 * DAY_MS;
        let clock = self.qbo.clock().clone();
        let jumped_from = clock.now_ms();
        let mut refreshes = 0;
        while clock.now_ms() < target {
            clock.advance_ms((target - clock.now_ms()).min(99 * DAY_MS));
            let runs = self
                .host
                .ok(
                    "POST",
                    &format!("/api/connections/{id}/sync"),
                    Some(json!({"streams": ["companyinfo"]})),
                )
                .await?;
            let failed = failed_runs(runs["runs"].as_array().map_or(&[][..], Vec::as_slice));
            ensure!(
                failed.is_empty(),
                "a sync after the provider's clock moved failed: {}",
                failed.join("; ")
            );
            refreshes += 1;
        }
        let jumped = clock.now_ms() - jumped_from;
        let view = self.host.connection(&id).await?;
        let dies = view["refresh_token_expires_at"]
            .as_u64()
            .and_then(|at| i64::try_from(at).ok())
            .context("the host does not know when the refresh token dies")?;
        let left = (dies - unix_ms()) as f64 / DAY_MS as f64;
        ensure!(
            (1.0..7.0).contains(&left),
            "the refresh token dies in {left:.1} days, expected about 3"
        );
        // The host checks for expiring grants at start and then every keep-alive
        // period (an hour by default): restart it rather than wait.
        let before = Instant::now();
        self.host.restart().await?;
        let restarted = before.elapsed();
        let (host, id) = (&self.host, id.as_str());
        let event = wait_for("a connection.expiring event", WAIT, || async move {
            let events = host
                .ok("GET", &format!("/api/connections/{id}/events"), None)
                .await?;
            Ok(events
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["kind"] == "connection.expiring")
                .cloned())
        })
        .await?;
        let reason = event["reason"].as_str().unwrap_or("?");
        done(
            format!(
                "QuickBooks refresh token dies in {left:.1} days (5-year limit) → connection.expiring"
            ),
            format!(
                "QuickBooks: the provider's clock ran on {} days, {refreshes} refreshes keeping the grant alive, to 3 days before Intuit's 5-year limit; the host now sees the refresh token die in {left:.1} days; host restarted in {} (the check runs at start and then hourly) → connection.expiring: \"{reason}\"",
                jumped / DAY_MS,
                secs(restarted),
            ),
        )
    }

    pub(crate) async fn break_connection(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        let revoked = self.xero.change_password(Provider::Xero, USER)?;
        ensure!(revoked > 0, "the password change revoked no grant");
        // Meanwhile the books move on: a new invoice (and its journal) the resumed sync
        // must pick up.
        let invoice = self.xero.add_invoice(
            &self.uk,
            &NewInvoice {
                reference: "DEMO-WHILE-BROKEN".into(),
                amount: 420.0,
                ..NewInvoice::default()
            },
        )?;
        let (status, answer) = self
            .host
            .api(
                "POST",
                &format!("/api/connections/{id}/sync"),
                Some(json!({"streams": ["organisation"]})),
            )
            .await?;
        let error = answer["runs"][0]["error"]
            .as_str()
            .or(answer["error"]["message"].as_str())
            .map(str::to_owned);
        let error = error.with_context(|| {
            format!("the next call after the password change did not fail ({status}: {answer})")
        })?;
        let first = error.split(':').next().unwrap_or(&error);
        done(
            format!("Xero password changed: {revoked} grant revoked; next call: {first}"),
            format!(
                "{USER} changed their Xero password: {revoked} grant revoked at the provider; meanwhile UK Ltd raised an invoice (DEMO-WHILE-BROKEN, {invoice}); the next call failed: \"{first}\"",
            ),
        )
    }

    pub(crate) async fn needs_reauth(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        let (host, id) = (&self.host, id.as_str());
        let view = wait_for("needs_reauth", WAIT, || async move {
            let view = host.connection(id).await?;
            Ok((view["state"] == "needs_reauth").then_some(view))
        })
        .await?;
        let listed = host
            .ok("GET", "/api/connections?state=needs_reauth", None)
            .await?;
        ensure!(
            listed
                .as_array()
                .is_some_and(|l| l.iter().any(|c| c["id"] == id)),
            "{id} is not listed under ?state=needs_reauth: {listed}"
        );
        let reason = view["reason"].as_str().unwrap_or("(no reason)");
        done(
            format!("reason: {}…", reason.split(':').next().unwrap_or(reason)),
            format!("{id} is needs_reauth: \"{reason}\""),
        )
    }

    pub(crate) async fn webhooks(&mut self) -> Result<Done> {
        let receiver = &self.receiver;
        let wanted = ["connection.needs_reauth", "connection.expiring"];
        let got = wait_for(
            "the needs_reauth and expiring webhooks",
            WAIT,
            || async move {
                let got = receiver.got();
                let all = wanted
                    .iter()
                    .all(|w| got.iter().any(|d| d.body["type"] == *w));
                Ok(all.then_some(got))
            },
        )
        .await?;
        for delivery in &got {
            receiver::verify(&self.secret, delivery)?;
        }
        let forged = receiver::verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got[0]);
        ensure!(
            forged.is_err(),
            "a delivery verified under the wrong secret"
        );
        let reauth = got
            .iter()
            .find(|d| d.body["type"] == "connection.needs_reauth")
            .context("needs_reauth")?;
        ensure!(
            reauth.body["data"]["reconnect_url"]
                .as_str()
                .is_some_and(|u| u.contains("/reconnect/")),
            "the needs_reauth webhook carries no reconnect link: {}",
            reauth.body
        );
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ids = BTreeSet::new();
        for delivery in &got {
            ids.insert(delivery.id.as_str());
            *kinds
                .entry(delivery.body["type"].as_str().unwrap_or("?"))
                .or_default() += 1;
        }
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(k, c)| {
                if *c == 1 {
                    (*k).to_owned()
                } else {
                    format!("{k} ×{c}")
                }
            })
            .collect();
        // connection.{active, created}, sync.{completed}
        let mut families: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for kind in got.iter().filter_map(|d| d.body["type"].as_str()) {
            let (family, name) = kind.split_once('.').unwrap_or((kind, ""));
            families.entry(family).or_default().insert(name);
        }
        let families: Vec<String> = families
            .iter()
            .map(|(family, names)| {
                let names: Vec<&str> = names.iter().copied().collect();
                format!("{family}.{{{}}}", names.join(", "))
            })
            .collect();
        done(
            format!(
                "{} signed deliveries verified: {}",
                got.len(),
                families.join(", ")
            ),
            format!(
                "{} deliveries ({} events) at {}, every Standard Webhooks signature verified with the whsec_ secret: {}; the needs_reauth one carries a reconnect link",
                got.len(),
                ids.len(),
                self.receiver.url,
                kinds.join(", ")
            ),
        )
    }

    pub(crate) async fn reconnect_link(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        self.runs_before_reconnect = last_run(&self.host, &id).await?;
        let link = self
            .host
            .ok(
                "POST",
                &format!("/api/connections/{id}/reconnect-link"),
                None,
            )
            .await?;
        let url = link["url"].as_str().context("url")?.to_owned();
        ensure!(
            url.starts_with(&format!("{}/reconnect/", self.host.public)),
            "unexpected link {url}"
        );
        // The customer opens it (no admin token) and picks the wrong organisation.
        let (status, location, _) = self.host.open(&url).await?;
        ensure!(status == 303, "opening the link answered {status}");
        let wrong =
            self.xero
                .authorize(&location.context("no Location")?, USER, &[&self.usa], true)?;
        let (refused, refusal) = self.callback(&wrong.location).await?;
        ensure!(
            refused != 200,
            "a reconnect to the wrong organisation was accepted: {refusal}"
        );
        let state = self.host.connection(&id).await?["state"].clone();
        ensure!(
            state == "needs_reauth",
            "after the refusal the connection is {state}"
        );
        // Same link again, the right organisation.
        let (status, location, _) = self.host.open(&url).await?;
        ensure!(status == 303, "opening the link again answered {status}");
        let right =
            self.xero
                .authorize(&location.context("no Location")?, USER, &[&self.uk], true)?;
        let (accepted, page) = self.callback(&right.location).await?;
        ensure!(
            accepted == 200,
            "the right organisation answered {accepted}: {page}"
        );
        let state = self.host.connection(&id).await?["state"].clone();
        ensure!(
            state == "active",
            "after the reconnect the connection is {state}"
        );
        let (used, _, _) = self.host.open(&url).await?;
        done(
            format!(
                "USA Inc refused ({refused}: \"{}\"); UK Ltd accepted → active",
                refusal.split(". ").next().unwrap_or(&refusal)
            ),
            format!(
                "{} opened without a token → the simulator's consent; USA Inc refused ({refused}: \"{refusal}\"); the same link with UK Ltd accepted ({accepted}) → active; opened once more: {used}",
                link["id"].as_str().unwrap_or("?")
            ),
        )
    }

    pub(crate) async fn resume(&mut self) -> Result<Done> {
        let id = self.xero_id()?.to_owned();
        let runs = wait_for_sync(&self.host, &id, self.runs_before_reconnect).await?;
        let failed = failed_runs(&runs);
        ensure!(failed.is_empty(), "runs failed: {}", failed.join("; "));
        let (streams, records) = compare_with_truth(self, &id).await?;
        let now = live_counts(&self.host, &id).await?;
        let delta = |s: &str| {
            now.get(s).copied().unwrap_or(0) as i64
                - self.first_counts.get(s).copied().unwrap_or(0) as i64
        };
        ensure!(
            delta("invoices") == 1 && delta("journals") == 1,
            "expected exactly the new invoice and its journal, got {:+} invoices, {:+} journals",
            delta("invoices"),
            delta("journals")
        );
        let sum = |field: &str| -> u64 { runs.iter().filter_map(|r| r[field].as_u64()).sum() };
        let minute = self
            .xero
            .xero_rate_usage()
            .iter()
            .filter(|u| u.tenant_id == self.uk)
            .map(|u| u.minute)
            .sum::<usize>();
        let throttled = self.xero.counters().rate_limited(None);
        done(
            format!(
                "+1 invoice, +1 journal; {streams} streams = simulator ({} ids), none twice",
                n(records)
            ),
            format!(
                "the sync queued by the reconnect ran {} streams from the saved cursors: {} added (the invoice raised while broken and its journal), {} updated; {streams} streams equal the simulator's {} records id for id, no id twice; UK Ltd's Xero calls in the last minute: {minute} of its 60, {throttled} throttled",
                runs.len(),
                sum("added"),
                sum("updated"),
                n(records)
            ),
        )
    }
}
