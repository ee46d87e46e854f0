//! The Rust control API of the Xero accounting data: generation, ground truth,
//! mutations, rate limits and forced token expiry. Mutations stamp times from the
//! simulator clock.

use std::time::Duration;

use crate::clock::Millis;
use crate::control::SimControl;
use crate::error::SimError;
use crate::model::Provider;
use crate::xero::data::generate::generate;
use crate::xero::data::{DataSummary, GenerateOptions, NewInvoice, OrgData, XeroTruth};
use crate::xero::ratelimit::{RateLimits, TenantUsage};

impl SimControl {
    fn xero_org_name(&self, tenant: &str) -> Result<String, SimError> {
        let st = self.lock();
        let org = st.org(tenant)?;
        if org.provider != Provider::Xero {
            return Err(SimError::InvalidArgument(format!(
                "{tenant} is not a Xero organisation"
            )));
        }
        Ok(org.name.clone())
    }

    /// Generates (or regenerates) a Xero organisation's accounting data as of the clock's
    /// now; deterministic for a given seed, size, country and clock reading. The lock is
    /// not held while generating.
    pub fn generate_xero_org(
        &self,
        tenant: &str,
        opts: GenerateOptions,
    ) -> Result<DataSummary, SimError> {
        let name = self.xero_org_name(tenant)?;
        let data = generate(tenant, &name, &opts, self.now_ms())
            .ok_or_else(|| SimError::InvalidArgument("chart of accounts incomplete".into()))?;
        let summary = data.summary();
        self.lock().xero_data.insert(tenant.to_owned(), data);
        Ok(summary)
    }

    /// Runs `f` on a Xero organisation's data (created empty on first use).
    pub fn with_xero_data<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut OrgData) -> R,
    ) -> Result<R, SimError> {
        self.xero_org_name(tenant)?;
        let now = self.now_ms();
        let mut st = self.lock();
        let data = st
            .xero_org_data(tenant, now)
            .ok_or_else(|| SimError::UnknownTenant(tenant.to_owned()))?;
        Ok(f(data))
    }

    /// Record counts of a Xero organisation.
    pub fn xero_summary(&self, tenant: &str) -> Result<DataSummary, SimError> {
        self.with_xero_data(tenant, |d| d.summary())
    }

    /// Every record as the API returns it (contacts' `Balances` as of now).
    pub fn xero_truth(&self, tenant: &str) -> Result<XeroTruth, SimError> {
        let now = self.now_ms();
        self.with_xero_data(tenant, |d| XeroTruth::of(d, now))
    }

    fn mutate<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut OrgData, Millis) -> Result<R, SimError>,
    ) -> Result<R, SimError> {
        let now = self.now_ms();
        self.with_xero_data(tenant, |d| f(d, now))?
    }

    /// Bumps an invoice's `UpdatedDateUTC`; returns the new value.
    pub fn touch_invoice(&self, tenant: &str, invoice_id: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.touch_invoice(invoice_id, now))
    }

    /// Voids an AUTHORISED, unpaid invoice and posts the reversing journal.
    pub fn void_invoice(&self, tenant: &str, invoice_id: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.void_invoice(invoice_id, now))
    }

    /// Deletes a DRAFT or SUBMITTED invoice.
    pub fn delete_invoice(&self, tenant: &str, invoice_id: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.delete_invoice(invoice_id, now))
    }

    /// Pays an AUTHORISED invoice (`amount_cents`, default: everything due) and posts the
    /// payment journal.
    pub fn pay_invoice(
        &self,
        tenant: &str,
        invoice_id: &str,
        amount_cents: Option<i64>,
    ) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| {
            d.pay_invoice(invoice_id, amount_cents, now)
        })
    }

    /// Raises an invoice or bill (AUTHORISED ones post a journal); returns its id.
    pub fn add_invoice(&self, tenant: &str, spec: &NewInvoice) -> Result<String, SimError> {
        self.mutate(tenant, |d, now| d.add_invoice(spec, now))
    }

    /// Raises an AUTHORISED one-line credit note of `amount_cents` (excluding tax) and
    /// posts its journal; `kind` is ACCRECCREDIT or ACCPAYCREDIT, `contact_name` an
    /// existing or new contact (default: the first active one). Returns its id.
    pub fn add_credit_note(
        &self,
        tenant: &str,
        kind: &str,
        contact_name: Option<&str>,
        amount_cents: i64,
    ) -> Result<String, SimError> {
        self.mutate(tenant, |d, now| {
            d.add_credit_note(kind, contact_name, amount_cents, "AUTHORISED", now)
        })
    }

    /// Like [`Self::add_credit_note`], as a DRAFT (posts nothing; can be deleted).
    pub fn add_draft_credit_note(
        &self,
        tenant: &str,
        kind: &str,
        contact_name: Option<&str>,
        amount_cents: i64,
    ) -> Result<String, SimError> {
        self.mutate(tenant, |d, now| {
            d.add_credit_note(kind, contact_name, amount_cents, "DRAFT", now)
        })
    }

    /// Voids an AUTHORISED credit note and posts the reversing journal.
    pub fn void_credit_note(&self, tenant: &str, credit_note_id: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.void_credit_note(credit_note_id, now))
    }

    /// Deletes a DRAFT credit note.
    pub fn delete_credit_note(
        &self,
        tenant: &str,
        credit_note_id: &str,
    ) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.delete_credit_note(credit_note_id, now))
    }

    /// Every credit note as `(CreditNoteID, Status)`, in creation order.
    pub fn xero_credit_notes(&self, tenant: &str) -> Result<Vec<(String, String)>, SimError> {
        self.with_xero_data(tenant, |d| {
            d.credit_notes
                .iter()
                .map(|c| (c.id.to_string(), c.status.to_owned()))
                .collect()
        })
    }

    /// Adds a contact; returns its id.
    pub fn add_contact(&self, tenant: &str, name: &str) -> Result<String, SimError> {
        self.mutate(tenant, |d, now| d.add_contact(name, now))
    }

    /// Bumps a contact's `UpdatedDateUTC`.
    pub fn touch_contact(&self, tenant: &str, contact_id: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.touch_contact(contact_id, now))
    }

    /// Archives a contact.
    pub fn archive_contact(&self, tenant: &str, contact_id: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.archive_contact(contact_id, now))
    }

    /// Archives a (non-system) account, by id or code.
    pub fn archive_account(&self, tenant: &str, account: &str) -> Result<Millis, SimError> {
        self.mutate(tenant, |d, now| d.archive_account(account, now))
    }

    /// The Xero API limits in force.
    pub fn xero_rate_limits(&self) -> RateLimits {
        self.lock().xero_rate.limits
    }

    /// Replaces the Xero API limits (windows keep their counts).
    pub fn set_xero_rate_limits(&self, limits: RateLimits) {
        self.lock().xero_rate.limits = limits;
    }

    /// Gives `tenant` limits of its own (its plan's; the app-wide minute stays shared),
    /// or with `None` the common ones again. Windows keep their counts.
    pub fn set_xero_tenant_rate_limits(&self, tenant: &str, limits: Option<RateLimits>) {
        let mut st = self.lock();
        match limits {
            Some(limits) => {
                st.xero_rate.tenant_limits.insert(tenant.to_owned(), limits);
            }
            None => {
                st.xero_rate.tenant_limits.remove(tenant);
            }
        }
    }

    /// Empties every minute and daily window.
    pub fn reset_xero_rate_windows(&self) {
        self.lock().xero_rate.reset_windows();
    }

    /// Counts `calls` calls of the app `client_id` in its app-wide minute now, as
    /// another process of the same app would make them: a host sees them only in the
    /// `X-AppMinLimit-Remaining` of its next response (or the 429 they cause).
    pub fn spend_xero_app_minute(&self, client_id: &str, calls: u32) {
        let now = self.now_ms();
        let mut st = self.lock();
        for _ in 0..calls {
            st.xero_rate.app_call(client_id, now);
        }
    }

    /// Current usage per (app, tenant).
    pub fn xero_rate_usage(&self) -> Vec<TenantUsage> {
        let now = self.now_ms();
        self.lock().xero_rate.usage(now)
    }

    /// Makes every admitted Xero data call take at least `latency` (real time), so that
    /// concurrent calls overlap and the concurrency limit can bite.
    pub fn set_xero_latency(&self, latency: Duration) {
        self.lock().xero_latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    }

    /// Makes every Xero data request, and then its answer, move the simulated clock on
    /// by the next of `ms` (taken in turn; empty: no transit), so that a call *arrives*
    /// (and counts in the rate windows) after it was sent, and its answer comes later
    /// still, deterministically on a frozen clock.
    pub fn set_xero_transit(&self, ms: &[u64]) {
        self.lock().xero_transit = (ms.to_vec(), 0);
    }

    /// One leg of a Xero data call's transit (see [`set_xero_transit`](Self::set_xero_transit)).
    pub(crate) fn xero_transit(&self) {
        let leg = {
            let mut st = self.lock();
            let (legs, next) = &mut st.xero_transit;
            let leg = legs.get(*next % legs.len().max(1)).copied();
            *next = next.wrapping_add(1);
            leg
        };
        if let Some(ms) = leg {
            self.clock()
                .advance_ms(i64::try_from(ms).unwrap_or(i64::MAX));
        }
    }

    /// The next `count` Xero data calls with a valid token fail with `status` (e.g. 503)
    /// before rate limiting or any processing (`0` clears what is pending).
    pub fn fail_next_xero_api_calls(&self, count: u32, status: u16) {
        self.lock().xero_api_fail_next = (count > 0).then_some((count, status));
    }

    /// After `n_calls` more admitted Xero data calls, every Xero access token issued so
    /// far expires: call `n_calls + 1` gets 401 `TokenExpired` (a refreshed token works).
    /// `0` expires them now.
    pub fn expire_access_tokens_after(&self, n_calls: u64) {
        let now = self.now_ms();
        let mut st = self.lock();
        if n_calls == 0 {
            st.xero_expire_after = None;
            st.expire_xero_access_tokens(now);
        } else {
            st.xero_expire_after = Some(n_calls);
        }
    }
}
