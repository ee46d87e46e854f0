//! Typed records of a simulated Xero organisation. Money is in cents (`i64`), times are
//! [`Millis`], references to other records are indexes into the dataset's vectors.

use std::fmt;

use rand::Rng;

use crate::clock::Millis;

/// A Xero identifier (a version-4 UUID), stored as a number and printed lower-case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u128);

impl Id {
    /// A random v4 UUID from `rng` (deterministic for a seeded generator).
    pub fn random(rng: &mut impl Rng) -> Self {
        let mut v: u128 = rng.random();
        v = (v & !(0xf_u128 << 76)) | (0x4_u128 << 76);
        v = (v & !(0x3_u128 << 62)) | (0x2_u128 << 62);
        Self(v)
    }

    /// Parses a hyphenated or plain 32-hex-digit UUID (any case).
    pub fn parse(s: &str) -> Option<Self> {
        let hex: String = s.trim().chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 {
            return None;
        }
        u128::from_str_radix(&hex, 16).ok().map(Self)
    }
}

impl fmt::Display for Id {
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex (written without the
    /// formatting machinery: pages render thousands of ids).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b'-'; 36];
        let mut nibble = 0u32;
        for (i, byte) in text.iter_mut().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                continue;
            }
            let shift = 124 - 4 * nibble;
            *byte = HEX[((self.0 >> shift) & 0xf) as usize];
            nibble += 1;
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

/// Which of the organisation's tax rates a line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxKind {
    /// The standard rate on sales (e.g. `OUTPUT2`).
    Sales,
    /// The standard rate on purchases (e.g. `INPUT2`).
    Purchases,
    /// No tax (e.g. `NONE`).
    None,
}

/// `LineAmountTypes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountTypes {
    /// Line amounts exclude tax.
    Exclusive,
    /// Line amounts include tax.
    Inclusive,
    /// No tax at all.
    NoTax,
}

impl AmountTypes {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exclusive => "Exclusive",
            Self::Inclusive => "Inclusive",
            Self::NoTax => "NoTax",
        }
    }
}

/// Up to two (category index, option index) pairs.
pub type Tracking = [Option<(u8, u8)>; 2];

/// A chart-of-accounts entry.
#[derive(Clone, Debug)]
pub struct Account {
    /// `AccountID`.
    pub id: Id,
    /// `Code`.
    pub code: String,
    /// `Name`.
    pub name: String,
    /// `Type` (spec enum `AccountType`).
    pub kind: &'static str,
    /// `Class`: ASSET EQUITY EXPENSE LIABILITY REVENUE.
    pub class: &'static str,
    /// `Status`: ACTIVE ARCHIVED DELETED.
    pub status: &'static str,
    /// Default tax rate.
    pub tax: TaxKind,
    /// `Description`.
    pub description: String,
    /// `BankAccountNumber` (bank accounts).
    pub bank_account_number: String,
    /// `BankAccountType`: BANK CREDITCARD PAYPAL NONE "".
    pub bank_account_type: &'static str,
    /// `SystemAccount` (DEBTORS, CREDITORS, GST, RETAINEDEARNINGS, ...) or "".
    pub system_account: &'static str,
    /// `EnablePaymentsToAccount`.
    pub enable_payments: bool,
    /// `ShowInExpenseClaims`.
    pub show_in_expense_claims: bool,
    /// `UpdatedDateUTC`.
    pub updated: Millis,
}

/// A tracking option.
#[derive(Clone, Debug)]
pub struct TrackingOption {
    /// `TrackingOptionID`.
    pub id: Id,
    /// `Name`.
    pub name: String,
    /// `Status`.
    pub status: &'static str,
}

/// A tracking category with its options.
#[derive(Clone, Debug)]
pub struct TrackingCategory {
    /// `TrackingCategoryID`.
    pub id: Id,
    /// `Name`.
    pub name: String,
    /// `Status`.
    pub status: &'static str,
    /// `Options`.
    pub options: Vec<TrackingOption>,
}

/// A postal address.
#[derive(Clone, Debug, Default)]
pub struct Address {
    /// `AddressLine1`.
    pub line1: String,
    /// `City`.
    pub city: String,
    /// `Region`.
    pub region: String,
    /// `PostalCode`.
    pub postal_code: String,
    /// `Country`.
    pub country: String,
}

/// A customer and/or supplier.
#[derive(Clone, Debug)]
pub struct Contact {
    /// `ContactID`.
    pub id: Id,
    /// `ContactNumber` (empty = not set).
    pub number: String,
    /// `ContactStatus`: ACTIVE ARCHIVED GDPRREQUEST.
    pub status: &'static str,
    /// `Name`.
    pub name: String,
    /// `FirstName`.
    pub first_name: String,
    /// `LastName`.
    pub last_name: String,
    /// `EmailAddress`.
    pub email: String,
    /// `TaxNumber`.
    pub tax_number: String,
    /// The `STREET` address.
    pub street: Address,
    /// The `POBOX` address.
    pub pobox: Address,
    /// `DEFAULT` phone: (area code, number).
    pub phone: (String, String),
    /// `MOBILE` phone, if any.
    pub mobile: Option<(String, String)>,
    /// `IsCustomer` (set when an ACCREC invoice is raised; does not bump UpdatedDateUTC).
    pub is_customer: bool,
    /// `IsSupplier` (set when an ACCPAY bill is raised; does not bump UpdatedDateUTC).
    pub is_supplier: bool,
    /// `UpdatedDateUTC`.
    pub updated: Millis,
}

/// An invoice or bank-transaction line.
#[derive(Clone, Debug)]
pub struct Line {
    /// `LineItemID`.
    pub id: Id,
    /// `Description`.
    pub description: String,
    /// `Quantity` in whole units.
    pub quantity: i64,
    /// `UnitAmount` in cents.
    pub unit_amount: i64,
    /// Account index.
    pub account: u16,
    /// Tax rate.
    pub tax: TaxKind,
    /// `TaxAmount` in cents.
    pub tax_amount: i64,
    /// `LineAmount` in cents (tax-inclusive when the document is `Inclusive`).
    pub line_amount: i64,
    /// `Tracking`.
    pub tracking: Tracking,
}

impl Line {
    /// The line's amount net of tax.
    pub fn net(&self, types: AmountTypes) -> i64 {
        match types {
            AmountTypes::Inclusive => self.line_amount - self.tax_amount,
            _ => self.line_amount,
        }
    }
}

/// A payment applied to an invoice.
#[derive(Clone, Debug)]
pub struct Payment {
    /// `PaymentID`.
    pub id: Id,
    /// `Date`.
    pub date: Millis,
    /// `Amount` in cents.
    pub amount: i64,
    /// Bank account index.
    pub bank: u16,
}

/// A sales invoice (ACCREC) or bill (ACCPAY).
#[derive(Clone, Debug)]
pub struct Invoice {
    /// `InvoiceID`.
    pub id: Id,
    /// `Type`: ACCREC or ACCPAY.
    pub kind: &'static str,
    /// `InvoiceNumber`.
    pub number: String,
    /// `Reference`.
    pub reference: String,
    /// Contact index.
    pub contact: u32,
    /// `Date` (midnight UTC).
    pub date: Millis,
    /// `DueDate` (midnight UTC).
    pub due: Millis,
    /// `Status`: DRAFT SUBMITTED DELETED AUTHORISED PAID VOIDED.
    pub status: &'static str,
    /// `LineAmountTypes`.
    pub amount_types: AmountTypes,
    /// `LineItems`.
    pub lines: Vec<Line>,
    /// `SubTotal`.
    pub sub_total: i64,
    /// `TotalTax`.
    pub total_tax: i64,
    /// `Total`.
    pub total: i64,
    /// `Payments`.
    pub payments: Vec<Payment>,
    /// `SentToContact`.
    pub sent_to_contact: bool,
    /// `HasAttachments`.
    pub has_attachments: bool,
    /// `UpdatedDateUTC`.
    pub updated: Millis,
}

impl Invoice {
    /// `AmountPaid`.
    pub fn amount_paid(&self) -> i64 {
        self.payments.iter().map(|p| p.amount).sum()
    }

    /// `AmountDue`: `Total - AmountPaid`, except 0 on VOIDED invoices (as in the spec's
    /// own example).
    pub fn amount_due(&self) -> i64 {
        if self.status == "VOIDED" {
            0
        } else {
            self.total - self.amount_paid()
        }
    }

    /// `FullyPaidOnDate`: the last payment's date on a PAID invoice.
    pub fn fully_paid_on(&self) -> Option<Millis> {
        (self.status == "PAID")
            .then(|| self.payments.iter().map(|p| p.date).max())
            .flatten()
    }
}

/// A credit note: ACCRECCREDIT (to a customer) or ACCPAYCREDIT (from a supplier).
#[derive(Clone, Debug)]
pub struct CreditNote {
    /// `CreditNoteID`.
    pub id: Id,
    /// `Type`: ACCRECCREDIT or ACCPAYCREDIT.
    pub kind: &'static str,
    /// `CreditNoteNumber` (`CN-0001` on sales credit notes, empty on supplier ones).
    pub number: String,
    /// `Reference`.
    pub reference: String,
    /// Contact index.
    pub contact: u32,
    /// `Date` (midnight UTC).
    pub date: Millis,
    /// `Status`: DRAFT SUBMITTED DELETED AUTHORISED PAID VOIDED.
    pub status: &'static str,
    /// `LineAmountTypes`.
    pub amount_types: AmountTypes,
    /// `LineItems`.
    pub lines: Vec<Line>,
    /// `SubTotal`.
    pub sub_total: i64,
    /// `TotalTax`.
    pub total_tax: i64,
    /// `Total`.
    pub total: i64,
    /// `UpdatedDateUTC`.
    pub updated: Millis,
}

impl CreditNote {
    /// `RemainingCredit`: the total while AUTHORISED (nothing is allocated), else 0.
    pub fn remaining_credit(&self) -> i64 {
        if self.status == "AUTHORISED" {
            self.total
        } else {
            0
        }
    }
}

/// Spend or receive money.
#[derive(Clone, Debug)]
pub struct BankTransaction {
    /// `BankTransactionID`.
    pub id: Id,
    /// `Type`: RECEIVE or SPEND.
    pub kind: &'static str,
    /// Contact index.
    pub contact: u32,
    /// Bank account index.
    pub bank: u16,
    /// `Date`.
    pub date: Millis,
    /// `Reference`.
    pub reference: String,
    /// `IsReconciled`.
    pub is_reconciled: bool,
    /// `Status`: AUTHORISED DELETED VOIDED.
    pub status: &'static str,
    /// `LineAmountTypes`.
    pub amount_types: AmountTypes,
    /// `LineItems`.
    pub lines: Vec<Line>,
    /// `SubTotal`.
    pub sub_total: i64,
    /// `TotalTax`.
    pub total_tax: i64,
    /// `Total`.
    pub total: i64,
    /// `UpdatedDateUTC`.
    pub updated: Millis,
}

/// A manual-journal line (debits positive).
#[derive(Clone, Debug)]
pub struct ManualLine {
    /// `Description`.
    pub description: String,
    /// Account index.
    pub account: u16,
    /// `LineAmount` in cents.
    pub amount: i64,
    /// `Tracking`.
    pub tracking: Tracking,
}

/// A manual journal.
#[derive(Clone, Debug)]
pub struct ManualJournal {
    /// `ManualJournalID`.
    pub id: Id,
    /// `Narration`.
    pub narration: String,
    /// `Date`.
    pub date: Millis,
    /// `Status`: DRAFT POSTED DELETED VOIDED ARCHIVED.
    pub status: &'static str,
    /// `JournalLines`.
    pub lines: Vec<ManualLine>,
    /// `ShowOnCashBasisReports`.
    pub show_on_cash_basis: bool,
    /// `UpdatedDateUTC`.
    pub updated: Millis,
}

/// A general-ledger journal line.
#[derive(Clone, Debug)]
pub struct JournalLine {
    /// `JournalLineID`.
    pub id: Id,
    /// Account index.
    pub account: u16,
    /// `Description`.
    pub description: String,
    /// `NetAmount` (debit positive).
    pub net: i64,
    /// `TaxAmount`.
    pub tax_amount: i64,
    /// `TaxType`/`TaxName`, when the line carries a tax rate.
    pub tax: Option<TaxKind>,
    /// `TrackingCategories`.
    pub tracking: Tracking,
}

impl JournalLine {
    /// `GrossAmount = NetAmount + TaxAmount`.
    pub fn gross(&self) -> i64 {
        self.net + self.tax_amount
    }
}

/// A general-ledger journal (immutable once created).
#[derive(Clone, Debug)]
pub struct Journal {
    /// `JournalID`.
    pub id: Id,
    /// `JournalNumber` (increasing, with gaps).
    pub number: i64,
    /// `JournalDate`.
    pub date: Millis,
    /// `CreatedDateUTC` (increasing with the number).
    pub created: Millis,
    /// `Reference`, when the source has one.
    pub reference: Option<String>,
    /// `SourceID`.
    pub source_id: Id,
    /// `SourceType`.
    pub source_type: &'static str,
    /// `JournalLines`.
    pub lines: Vec<JournalLine>,
}

/// Amounts of one document line: (LineAmount, TaxAmount) for `qty × unit` at `rate_bp`
/// basis points.
pub fn line_amounts(qty: i64, unit: i64, rate_bp: i64, types: AmountTypes) -> (i64, i64) {
    let amount = qty * unit;
    let tax = match types {
        AmountTypes::Exclusive => div_round(amount * rate_bp, 10_000),
        AmountTypes::Inclusive => div_round(amount * rate_bp, 10_000 + rate_bp),
        AmountTypes::NoTax => 0,
    };
    (amount, tax)
}

/// `a / b` rounded half away from zero (`b > 0`).
pub fn div_round(a: i64, b: i64) -> i64 {
    let q = a / b;
    let r = a % b;
    if 2 * r.abs() >= b { q + a.signum() } else { q }
}

/// (SubTotal, TotalTax, Total) of document lines.
pub fn totals(lines: &[Line], types: AmountTypes) -> (i64, i64, i64) {
    let sub: i64 = lines.iter().map(|l| l.net(types)).sum();
    let tax: i64 = lines.iter().map(|l| l.tax_amount).sum();
    (sub, tax, sub + tax)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ids_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let id = Id::random(&mut rng);
        let s = id.to_string();
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(Id::parse(&s.to_uppercase()), Some(id));
        assert_eq!(Id::parse("nope"), None);
    }

    #[test]
    fn ids_print_as_hyphenated_lower_hex() {
        assert_eq!(Id(0).to_string(), "00000000-0000-0000-0000-000000000000");
        assert_eq!(
            Id(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210).to_string(),
            "01234567-89ab-cdef-fedc-ba9876543210"
        );
        assert_eq!(
            Id(u128::MAX).to_string(),
            "ffffffff-ffff-ffff-ffff-ffffffffffff"
        );
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..100 {
            let id = Id::random(&mut rng);
            assert_eq!(Id::parse(&id.to_string()), Some(id));
        }
    }

    #[test]
    fn tax_maths() {
        assert_eq!(
            line_amounts(2, 2_000, 1_500, AmountTypes::Exclusive),
            (4_000, 600)
        );
        assert_eq!(
            line_amounts(1, 11_500, 1_500, AmountTypes::Inclusive),
            (11_500, 1_500)
        );
        assert_eq!(line_amounts(3, 333, 1_500, AmountTypes::NoTax), (999, 0));
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(4, 10), 0);
    }
}
