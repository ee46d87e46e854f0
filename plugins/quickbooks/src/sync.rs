//! `sync`: one page of one stream.
//!
//! | stream | request | cursor |
//! |---|---|---|
//! | `accounts` | query `SELECT * FROM Account WHERE Active IN (true, false) [AND MetaData.LastUpdatedTime >= '…'] ORDERBY MetaData.LastUpdatedTime STARTPOSITION n MAXRESULTS 1000` | [`crate::cursor`] |
//! | `company` | `GET companyinfo/{realm}`: one record | none |

use mooring_plugin_sdk::prelude::*;

use crate::api::{self, Environment};
use crate::company;
use crate::cursor::{PageSummary, Paged};
use crate::query::{self, MAX_RESULTS};

/// Fetches one page of `stream` for `tenant` (id = realmId), resuming after `cursor`.
pub fn sync(stream: &str, tenant: &Tenant, cursor: Option<&str>) -> Result<Batch, ConnectorError> {
    let env = Environment::of(tenant);
    match stream {
        "accounts" => accounts(env, &tenant.id, cursor),
        "company" => {
            let body = api::company_info(env, &tenant.id)?;
            Ok(Batch::new(
                vec![company::company_record(&body)?],
                None,
                false,
            ))
        }
        other => Err(ConnectorError::InvalidData(format!(
            "unknown stream `{other}`"
        ))),
    }
}

/// One page of accounts (inactive ones included: `Active: false` is not a deletion).
fn accounts(env: Environment, realm: &str, cursor: Option<&str>) -> Result<Batch, ConnectorError> {
    let current = Paged::decode(cursor).unwrap_or_else(|e| {
        log::warn!("stream `accounts`: unreadable cursor ({e}); starting over");
        Paged::default()
    });
    let statement = query::account_query(current.since, current.page());
    let body = api::query(env, realm, &statement)?;
    let items = query::entities(body, "Account")?;
    let mut records = Vec::with_capacity(items.len());
    let mut dates = Vec::with_capacity(items.len());
    for item in &items {
        let (record, updated) = query::record("Account", item)?;
        records.push(record);
        dates.push(updated);
    }
    let step = current.advance(&PageSummary::of(&dates), MAX_RESULTS as usize);
    Ok(Batch::new(records, Some(step.next.encode()), step.has_more))
}
