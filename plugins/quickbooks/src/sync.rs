//! `sync`: one page of one stream, dispatched on the stream's [`Kind`] (see
//! [`crate::streams`]).
//!
//! | kind | request | cursor |
//! |---|---|---|
//! | `company`, `preferences` | `GET companyinfo/{realm}`, `GET preferences`: one record | none |
//! | name lists | query `… WHERE Active IN (true, false) [AND MetaData.LastUpdatedTime >= '…'] ORDERBY MetaData.LastUpdatedTime STARTPOSITION n MAXRESULTS 1000` | [`crate::cursor`] |
//! | transactions | the same without `Active`, then CDC or a re-list for deletions | [`crate::txcursor`] |
//! | reports, `common.*` | [`crate::reportsync`] | none, or the month for the general ledger |

use mooring_plugin_sdk::prelude::*;

use crate::api::{self, Environment};
use crate::company;
use crate::reportsync;
use crate::streams::{self, Kind};
use crate::txsync;

/// Fetches one page of `stream` for `tenant` (id = realmId), resuming after `cursor`.
pub fn sync(stream: &str, tenant: &Tenant, cursor: Option<&str>) -> Result<Batch, ConnectorError> {
    let env = Environment::of(tenant);
    let realm = tenant.id.as_str();
    let def = streams::find(stream)
        .ok_or_else(|| ConnectorError::InvalidData(format!("unknown stream `{stream}`")))?;
    match def.kind {
        Kind::CompanyInfo => {
            let body = api::company_info(env, realm)?;
            Ok(Batch::new(
                vec![company::company_record(&body)?],
                None,
                false,
            ))
        }
        Kind::Preferences => {
            let body = api::preferences(env, realm)?;
            Ok(Batch::new(
                vec![company::preferences_record(&body)?],
                None,
                false,
            ))
        }
        Kind::NameList => txsync::namelist(env, realm, def, cursor),
        Kind::Transaction => txsync::transactions(env, realm, def, cursor),
        Kind::TrialBalance => reportsync::trial_balance(env, realm),
        Kind::ProfitAndLoss => reportsync::profit_and_loss(env, realm),
        Kind::BalanceSheet => reportsync::balance_sheet(env, realm),
        Kind::GeneralLedger => reportsync::general_ledger(env, realm, cursor),
        Kind::CommonAccounts => reportsync::common_accounts(env, realm, cursor),
        Kind::CommonActuals => reportsync::common_actuals(env, realm),
    }
}
