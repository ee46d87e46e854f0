//! Monthly actuals from a provider's monthly profit-and-loss and balance-sheet
//! figures: what was posted to each account in each month, with exact decimal
//! arithmetic. Provider-neutral and pure; each connector reads its own reports into
//! [`Figures`] and its own chart into [`ChartEntry`]s.
//!
//! ## The derivation
//!
//! Report figures come in each account's natural sign (a revenue shows a credit as
//! positive, an asset a debit). They are first turned debit-positive with the account's
//! classification. Then, for month `m`:
//!
//! - a profit-and-loss account's movement is its profit-and-loss figure for `m`;
//! - a balance-sheet account's movement is its balance at the end of `m` minus its
//!   balance at the end of `m − 1`.
//!
//! Reports carry two things no ledger posting made: the current-year-earnings line (no
//! chart account; ignored) and the year-end roll of last year's profit into retained
//! earnings (a jump of the retained-earnings balance in the first month of a fiscal
//! year). Because every real posting balances, the month's movements would sum to zero
//! but for that roll; the residual is therefore taken off the retained-earnings
//! account, whose movement becomes exactly what was posted to it. The result: each
//! month's movements sum to zero across accounts, and running sums reproduce the books
//! (see [`crate::common`] and the connector READMEs for how they relate to a trial
//! balance).
//!
//! The **opening** records carry each balance-sheet account's balance at the end of
//! the month before the window (retained earnings again absorbing the undistributed
//! current-year earnings), so that running balances start from the books' balances.
//! They too sum to zero.
//!
//! Every account of the chart gets a record for every month (zeros included), so a
//! month whose postings were all deleted is overwritten with zeros rather than left
//! stale.

use std::collections::BTreeMap;

use crate::common::{Actual, ActualKind, Classification, Month};
use crate::decimal::Decimal;

/// One account of the chart, as the derivation needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartEntry {
    /// The provider's account id.
    pub id: String,
    /// Its class.
    pub classification: Classification,
}

/// Report figures in each account's natural sign, keyed by (account id, month).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Profit-and-loss movement of the month.
    pub pnl: BTreeMap<(String, Month), Decimal>,
    /// Balance at the end of the month (the month before the window included).
    pub balances: BTreeMap<(String, Month), Decimal>,
}

impl Figures {
    /// Adds `value` to the P&L figure of `account` in `month` (rows of the same
    /// account are summed).
    pub fn add_pnl(&mut self, account: &str, month: Month, value: Decimal) -> Result<(), String> {
        add(&mut self.pnl, account, month, value)
    }

    /// Adds `value` to the balance of `account` at the end of `month`.
    pub fn add_balance(
        &mut self,
        account: &str,
        month: Month,
        value: Decimal,
    ) -> Result<(), String> {
        add(&mut self.balances, account, month, value)
    }
}

fn add(
    map: &mut BTreeMap<(String, Month), Decimal>,
    account: &str,
    month: Month,
    value: Decimal,
) -> Result<(), String> {
    let slot = map.entry((account.to_string(), month)).or_default();
    *slot = slot
        .checked_add(value)
        .ok_or_else(|| format!("amount overflow on account {account} in {month}"))?;
    Ok(())
}

/// What the derivation works on.
#[derive(Clone, Debug)]
pub struct Window<'a> {
    /// The chart of accounts.
    pub chart: &'a [ChartEntry],
    /// The retained-earnings account's id (absorbs the year-end roll).
    pub retained_earnings: Option<&'a str>,
    /// First month of the window.
    pub first: Month,
    /// Last month of the window (the current one).
    pub last: Month,
    /// Home currency of the amounts.
    pub currency: Option<&'a str>,
}

fn overflow() -> String {
    "amount overflow while deriving actuals".to_string()
}

fn debit_positive(class: Classification, natural: Decimal) -> Result<Decimal, String> {
    if class.debit_normal() {
        Ok(natural)
    } else {
        natural.checked_neg().ok_or_else(overflow)
    }
}

fn lookup(map: &BTreeMap<(String, Month), Decimal>, id: &str, month: Month) -> Decimal {
    map.get(&(id.to_string(), month))
        .copied()
        .unwrap_or_default()
}

/// Makes one group of movements (one month, or the opening) sum to zero by taking the
/// residual off retained earnings.
fn balance_group(
    window: &Window<'_>,
    movements: &mut [(String, Decimal)],
    what: &str,
) -> Result<(), String> {
    let residual = Decimal::sum(movements.iter().map(|(_, d)| *d)).ok_or_else(overflow)?;
    if residual.is_zero() {
        return Ok(());
    }
    let re = window.retained_earnings.ok_or_else(|| {
        format!(
            "{what} does not balance ({residual}) and the chart has no retained-earnings account"
        )
    })?;
    let slot = movements
        .iter_mut()
        .find(|(id, _)| id == re)
        .ok_or_else(|| format!("retained-earnings account {re} is not in the chart"))?;
    slot.1 = slot.1.checked_sub(residual).ok_or_else(overflow)?;
    Ok(())
}

fn actual(window: &Window<'_>, id: String, month: Month, net: Decimal, kind: ActualKind) -> Actual {
    let credit = net
        .checked_neg()
        .map(Decimal::positive_part)
        .unwrap_or_default();
    Actual {
        account_id: id,
        period: month.to_string(),
        debit: net.positive_part().to_string(),
        credit: credit.to_string(),
        net: net.to_string(),
        currency: window.currency.map(str::to_string),
        kind,
    }
}

/// The opening records and every month's movements (see the [module docs](self)).
pub fn derive(window: &Window<'_>, figures: &Figures) -> Result<Vec<Actual>, String> {
    let opening_month = window.first.prev();
    let mut out = Vec::new();

    let mut opening: Vec<(String, Decimal)> = Vec::new();
    for entry in window
        .chart
        .iter()
        .filter(|e| e.classification.balance_sheet())
    {
        let natural = lookup(&figures.balances, &entry.id, opening_month);
        opening.push((
            entry.id.clone(),
            debit_positive(entry.classification, natural)?,
        ));
    }
    balance_group(window, &mut opening, "the opening balance")?;
    out.extend(
        opening
            .into_iter()
            .map(|(id, net)| actual(window, id, opening_month, net, ActualKind::Opening)),
    );

    for month in window.first.through(window.last) {
        let mut movements: Vec<(String, Decimal)> = Vec::with_capacity(window.chart.len());
        for entry in window.chart {
            let class = entry.classification;
            let net = if class.balance_sheet() {
                let now = debit_positive(class, lookup(&figures.balances, &entry.id, month))?;
                let before =
                    debit_positive(class, lookup(&figures.balances, &entry.id, month.prev()))?;
                now.checked_sub(before).ok_or_else(overflow)?
            } else {
                debit_positive(class, lookup(&figures.pnl, &entry.id, month))?
            };
            movements.push((entry.id.clone(), net));
        }
        balance_group(window, &mut movements, &format!("month {month}"))?;
        out.extend(
            movements
                .into_iter()
                .map(|(id, net)| actual(window, id, month, net, ActualKind::Movement)),
        );
    }
    Ok(out)
}

#[cfg(test)]
#[path = "actuals_tests.rs"]
mod tests;
