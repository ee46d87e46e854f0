//! Wire JSON of settings records (Organisation, Account, TrackingCategory) and Contacts,
//! field for field in the order of the spec's examples.

use super::OrgData;
use super::chart::reporting_code;
use super::records::{Account, Address, Contact, Tracking, TrackingCategory};
use crate::clock::Millis;
use crate::xero::dates::{ms_date, ms_date_plain};
use crate::xero::json::Obj;

/// The `Organisation` record.
pub fn organisation(out: &mut String, d: &OrgData) {
    let l = &d.locale;
    let p = &d.profile;
    let mut o = Obj::new(out);
    o.str("APIKey", &p.api_key)
        .str("Name", &p.name)
        .str("LegalName", &p.legal_name)
        .bool("PaysTax", true)
        .str("Version", l.version)
        .str("OrganisationType", "COMPANY")
        .str("BaseCurrency", l.currency)
        .str("CountryCode", l.code)
        .bool("IsDemoCompany", false)
        .str("OrganisationStatus", "ACTIVE")
        .str("TaxNumber", &p.tax_number)
        .int("FinancialYearEndDay", i64::from(l.fy_end_day))
        .int("FinancialYearEndMonth", i64::from(l.fy_end_month))
        .str("SalesTaxBasis", l.tax_basis)
        .str("SalesTaxPeriod", l.tax_period)
        .str("DefaultSalesTax", "Tax Exclusive")
        .str("DefaultPurchasesTax", "Tax Exclusive")
        .str("CreatedDateUTC", &ms_date_plain(p.created))
        .str("OrganisationEntityType", "COMPANY")
        .str("Timezone", l.timezone)
        .str("ShortCode", &p.short_code)
        .str("OrganisationID", &p.id)
        .str("Edition", "BUSINESS")
        .str("Class", "PREMIUM")
        .raw("Addresses", "[]")
        .raw("Phones", "[]")
        .raw("ExternalLinks", "[]")
        .raw("PaymentTerms", "{}");
    o.end();
}

/// An `Account`.
pub fn account(out: &mut String, d: &OrgData, a: &Account) {
    let (code, code_name) = reporting_code(a.class);
    let mut o = Obj::new(out);
    o.str("AccountID", &a.id.to_string())
        .str("Code", &a.code)
        .str("Name", &a.name)
        .str("Status", a.status)
        .str("Type", a.kind)
        .str("TaxType", d.locale.rate(a.tax).tax_type);
    if !a.description.is_empty() {
        o.str("Description", &a.description);
    }
    o.str("Class", a.class)
        .str("SystemAccount", a.system_account)
        .bool("EnablePaymentsToAccount", a.enable_payments)
        .bool("ShowInExpenseClaims", a.show_in_expense_claims);
    if a.kind == "BANK" {
        o.str("BankAccountNumber", &a.bank_account_number);
    }
    o.str("BankAccountType", a.bank_account_type)
        .str("CurrencyCode", d.locale.currency)
        .str("ReportingCode", code)
        .str("ReportingCodeName", code_name)
        .bool("HasAttachments", false)
        .bool("AddToWatchlist", false)
        .str("UpdatedDateUTC", &ms_date(a.updated));
    o.end();
}

/// A `TrackingCategory`; archived options only with `include_archived`.
pub fn tracking_category(out: &mut String, c: &TrackingCategory, include_archived: bool) {
    let mut o = Obj::new(out);
    o.str("Name", &c.name)
        .str("Status", c.status)
        .str("TrackingCategoryID", &c.id.to_string())
        .arr(
            "Options",
            c.options
                .iter()
                .filter(|opt| include_archived || opt.status == "ACTIVE"),
            |out, opt| {
                let mut o = Obj::new(out);
                o.str("TrackingOptionID", &opt.id.to_string())
                    .str("Name", &opt.name)
                    .str("Status", opt.status);
                o.end();
            },
        );
    o.end();
}

/// The (category, option) records of a tracking pair, if they exist.
fn tracking_pair(
    d: &OrgData,
    (c, o): (u8, u8),
) -> Option<(&TrackingCategory, &super::TrackingOption)> {
    let cat = d.tracking.get(usize::from(c))?;
    Some((cat, cat.options.get(usize::from(o))?))
}

/// Line-item `Tracking`: `[{TrackingCategoryID, TrackingOptionID, Name, Option}]`.
pub fn line_tracking(o: &mut Obj<'_>, d: &OrgData, key: &str, t: &Tracking) {
    o.arr(
        key,
        t.iter().flatten().filter_map(|p| tracking_pair(d, *p)),
        |out, (cat, opt)| {
            let mut o = Obj::new(out);
            o.str("TrackingCategoryID", &cat.id.to_string())
                .str("TrackingOptionID", &opt.id.to_string())
                .str("Name", &cat.name)
                .str("Option", &opt.name);
            o.end();
        },
    );
}

/// Journal-line `TrackingCategories`: `[{Name, Option, TrackingCategoryID, TrackingOptionID}]`.
pub fn journal_tracking(o: &mut Obj<'_>, d: &OrgData, key: &str, t: &Tracking) {
    o.arr(
        key,
        t.iter().flatten().filter_map(|p| tracking_pair(d, *p)),
        |out, (cat, opt)| {
            let mut o = Obj::new(out);
            o.str("Name", &cat.name)
                .str("Option", &opt.name)
                .str("TrackingCategoryID", &cat.id.to_string())
                .str("TrackingOptionID", &opt.id.to_string());
            o.end();
        },
    );
}

/// Outstanding and overdue receivables and payables of one contact, in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balances {
    /// AR outstanding.
    pub ar_outstanding: i64,
    /// AR overdue.
    pub ar_overdue: i64,
    /// AP outstanding.
    pub ap_outstanding: i64,
    /// AP overdue.
    pub ap_overdue: i64,
}

/// Every contact's balances from AUTHORISED invoices at `now` (recomputed on each call:
/// Xero changes `Balances` without bumping `UpdatedDateUTC`).
pub fn balances(d: &OrgData, now: Millis) -> Vec<Balances> {
    let mut out = vec![Balances::default(); d.contacts.len()];
    for inv in d.invoices.iter().filter(|i| i.status == "AUTHORISED") {
        let Some(b) = out.get_mut(inv.contact as usize) else {
            continue;
        };
        let due = inv.amount_due();
        let overdue = if inv.due < now { due } else { 0 };
        if inv.kind == "ACCREC" {
            b.ar_outstanding += due;
            b.ar_overdue += overdue;
        } else {
            b.ap_outstanding += due;
            b.ap_overdue += overdue;
        }
    }
    out
}

fn address(out: &mut String, kind: &str, a: &Address) {
    let mut o = Obj::new(out);
    o.str("AddressType", kind)
        .str("AddressLine1", &a.line1)
        .str("City", &a.city)
        .str("Region", &a.region)
        .str("PostalCode", &a.postal_code)
        .str("Country", &a.country);
    o.end();
}

fn phone(out: &mut String, kind: &str, p: Option<&(String, String)>) {
    let (area, number) = p.map_or(("", ""), |(a, n)| (a.as_str(), n.as_str()));
    let mut o = Obj::new(out);
    o.str("PhoneType", kind)
        .str("PhoneNumber", number)
        .str("PhoneAreaCode", area)
        .str("PhoneCountryCode", "");
    o.end();
}

/// A full `Contact`; `Balances` only when something is outstanding.
pub fn contact(out: &mut String, c: &Contact, b: Option<&Balances>) {
    let mut o = Obj::new(out);
    o.str("ContactID", &c.id.to_string());
    if !c.number.is_empty() {
        o.str("ContactNumber", &c.number);
    }
    o.str("ContactStatus", c.status)
        .str("Name", &c.name)
        .str("FirstName", &c.first_name)
        .str("LastName", &c.last_name)
        .str("EmailAddress", &c.email)
        .str("BankAccountDetails", "")
        .str("TaxNumber", &c.tax_number)
        .arr(
            "Addresses",
            [("STREET", &c.street), ("POBOX", &c.pobox)],
            |out, (k, a)| address(out, k, a),
        )
        .arr(
            "Phones",
            [
                ("DDI", None),
                ("DEFAULT", Some(&c.phone)),
                ("FAX", None),
                ("MOBILE", c.mobile.as_ref()),
            ],
            |out, (k, p)| phone(out, k, p),
        )
        .str("UpdatedDateUTC", &ms_date(c.updated))
        .raw("ContactGroups", "[]")
        .bool("IsSupplier", c.is_supplier)
        .bool("IsCustomer", c.is_customer);
    if let Some(b) = b.filter(|b| **b != Balances::default()) {
        o.obj("Balances", |o| {
            o.obj("AccountsReceivable", |o| {
                o.money("Outstanding", b.ar_outstanding)
                    .money("Overdue", b.ar_overdue);
            })
            .obj("AccountsPayable", |o| {
                o.money("Outstanding", b.ap_outstanding)
                    .money("Overdue", b.ap_overdue);
            });
        });
    }
    o.raw("ContactPersons", "[]")
        .bool("HasAttachments", false)
        .bool("HasValidationErrors", false);
    o.end();
}

/// The short contact embedded in invoices and bank transactions.
pub fn contact_ref(o: &mut Obj<'_>, d: &OrgData, idx: u32) {
    let (id, name) = d
        .contacts
        .get(idx as usize)
        .map_or((String::new(), ""), |c| (c.id.to_string(), c.name.as_str()));
    o.obj("Contact", |o| {
        o.str("ContactID", &id)
            .str("Name", name)
            .raw("Addresses", "[]")
            .raw("Phones", "[]")
            .raw("ContactGroups", "[]")
            .raw("ContactPersons", "[]")
            .bool("HasValidationErrors", false);
    });
}
