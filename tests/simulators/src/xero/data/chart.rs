//! Country settings (currency, tax rates, financial year) and the default chart of
//! accounts, modelled on Xero's demo companies. Account types, classes, system accounts
//! and bank account types use the spec's enums.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::records::{Account, Id, TaxKind};
use crate::clock::Millis;

/// An organisation's country (drives `Version`, currency and tax rates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Country {
    /// New Zealand: NZD, 15% GST.
    #[default]
    NZ,
    /// Australia: AUD, 10% GST.
    AU,
    /// United Kingdom: GBP, 20% VAT.
    UK,
    /// United States: USD, sales tax on sales only.
    US,
}

/// A tax rate as lines and journals name it.
#[derive(Clone, Copy, Debug)]
pub struct TaxRate {
    /// `TaxType`.
    pub tax_type: &'static str,
    /// `TaxName` on journal lines.
    pub name: &'static str,
    /// Rate in basis points.
    pub rate_bp: i64,
}

/// Per-country settings.
#[derive(Clone, Copy, Debug)]
pub struct Locale {
    /// `CountryCode`.
    pub code: &'static str,
    /// `Version`.
    pub version: &'static str,
    /// `BaseCurrency`.
    pub currency: &'static str,
    /// `Timezone`.
    pub timezone: &'static str,
    /// `FinancialYearEndDay`.
    pub fy_end_day: u32,
    /// `FinancialYearEndMonth`.
    pub fy_end_month: u32,
    /// `SalesTaxBasis`.
    pub tax_basis: &'static str,
    /// `SalesTaxPeriod`.
    pub tax_period: &'static str,
    /// Rate on sales.
    pub sales: TaxRate,
    /// Rate on purchases.
    pub purchases: TaxRate,
    /// No tax.
    pub none: TaxRate,
    /// Name of the tax liability account (system account GST).
    pub tax_account: &'static str,
}

impl Country {
    /// The country's settings.
    pub fn locale(self) -> Locale {
        match self {
            Self::NZ => Locale {
                code: "NZ",
                version: "NZ",
                currency: "NZD",
                timezone: "NEWZEALANDSTANDARDTIME",
                fy_end_day: 31,
                fy_end_month: 3,
                tax_basis: "PAYMENTS",
                tax_period: "TWOMONTHS",
                sales: rate("OUTPUT2", "15% GST on Income", 1_500),
                purchases: rate("INPUT2", "15% GST on Expenses", 1_500),
                none: rate("NONE", "No GST", 0),
                tax_account: "GST",
            },
            Self::AU => Locale {
                code: "AU",
                version: "AU",
                currency: "AUD",
                timezone: "AUSEASTERNSTANDARDTIME",
                fy_end_day: 30,
                fy_end_month: 6,
                tax_basis: "CASH",
                tax_period: "QUARTERLY1",
                sales: rate("OUTPUT", "GST on Income", 1_000),
                purchases: rate("INPUT", "GST on Expenses", 1_000),
                none: rate("BASEXCLUDED", "BAS Excluded", 0),
                tax_account: "GST",
            },
            Self::UK => Locale {
                code: "GB",
                version: "UK",
                currency: "GBP",
                timezone: "GMTSTANDARDTIME",
                fy_end_day: 31,
                fy_end_month: 3,
                tax_basis: "ACCRUALS",
                tax_period: "QUARTERLY1",
                sales: rate("OUTPUT2", "20% (VAT on Income)", 2_000),
                purchases: rate("INPUT2", "20% (VAT on Expenses)", 2_000),
                none: rate("NONE", "No VAT", 0),
                tax_account: "VAT",
            },
            Self::US => Locale {
                code: "US",
                version: "US",
                currency: "USD",
                timezone: "EASTERNSTANDARDTIME",
                fy_end_day: 31,
                fy_end_month: 12,
                tax_basis: "ACCRUAL",
                tax_period: "MONTHLY",
                sales: rate("OUTPUT", "Tax on Sales", 825),
                purchases: rate("INPUT", "Tax on Purchases", 0),
                none: rate("NONE", "Tax Exempt", 0),
                tax_account: "Sales Tax",
            },
        }
    }

    /// Parses `NZ`, `AU`, `UK`/`GB`, `US` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "NZ" => Some(Self::NZ),
            "AU" => Some(Self::AU),
            "UK" | "GB" => Some(Self::UK),
            "US" | "USA" => Some(Self::US),
            _ => None,
        }
    }
}

const fn rate(tax_type: &'static str, name: &'static str, rate_bp: i64) -> TaxRate {
    TaxRate {
        tax_type,
        name,
        rate_bp,
    }
}

impl Locale {
    /// The rate for a [`TaxKind`].
    pub fn rate(&self, kind: TaxKind) -> TaxRate {
        match kind {
            TaxKind::Sales => self.sales,
            TaxKind::Purchases => self.purchases,
            TaxKind::None => self.none,
        }
    }
}

/// `Class` of an account `Type`.
pub fn class_of(kind: &str) -> &'static str {
    match kind {
        "BANK" | "CURRENT" | "FIXED" | "INVENTORY" | "NONCURRENT" | "PREPAYMENT" => "ASSET",
        "CURRLIAB" | "LIABILITY" | "TERMLIAB" | "PAYG" => "LIABILITY",
        "EQUITY" => "EQUITY",
        "DEPRECIATN" | "DIRECTCOSTS" | "EXPENSE" | "OVERHEADS" => "EXPENSE",
        _ => "REVENUE",
    }
}

/// (code, name, type, default tax, system account, description)
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    TaxKind,
    &'static str,
    &'static str,
);

use TaxKind::{None as NT, Purchases as PT, Sales as ST};

/// The default chart (the tax account's name comes from the locale).
#[rustfmt::skip]
const CHART: &[Entry] = &[
    ("090", "Business Bank Account", "BANK", NT, "", ""),
    ("091", "Business Savings Account", "BANK", NT, "", ""),
    ("092", "Company Credit Card", "BANK", NT, "", ""),
    ("200", "Sales", "REVENUE", ST, "", "Income from any normal business activity"),
    ("210", "Sales - Services", "SALES", ST, "", "Income from services"),
    ("260", "Other Revenue", "REVENUE", ST, "", "Any other income that does not relate to normal business activities"),
    ("270", "Interest Income", "OTHERINCOME", NT, "", "Interest income"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", PT, "", "Cost of goods sold by the business"),
    ("400", "Advertising", "OVERHEADS", PT, "", "Expenses incurred for advertising"),
    ("404", "Bank Fees", "OVERHEADS", NT, "", "Fees charged by your bank"),
    ("408", "Cleaning", "OVERHEADS", PT, "", "Expenses incurred for cleaning business property"),
    ("412", "Consulting & Accounting", "EXPENSE", PT, "", "Expenses related to paying consultants"),
    ("416", "Depreciation", "DEPRECIATN", NT, "", "The amount of the asset's cost allocated as an expense"),
    ("420", "Entertainment", "OVERHEADS", PT, "", "Expenses paid for entertaining clients"),
    ("425", "Freight & Courier", "EXPENSE", PT, "", "Expenses incurred on courier & freight costs"),
    ("429", "General Expenses", "OVERHEADS", PT, "", "General expenses related to the running of the business"),
    ("433", "Insurance", "EXPENSE", PT, "", "Expenses incurred for insuring the business' assets"),
    ("437", "Interest Expense", "OVERHEADS", NT, "", "Any interest expenses paid"),
    ("445", "Light, Power, Heating", "OVERHEADS", PT, "", "Expenses incurred for lighting, power or heating"),
    ("449", "Motor Vehicle Expenses", "EXPENSE", PT, "", "Expenses incurred on the running of company motor vehicles"),
    ("453", "Office Expenses", "OVERHEADS", PT, "", "General expenses related to the running of the business office"),
    ("461", "Printing & Stationery", "OVERHEADS", PT, "", "Expenses incurred by the entity as a result of printing and stationery"),
    ("469", "Rent", "OVERHEADS", PT, "", "The payment to lease a building or area"),
    ("473", "Repairs and Maintenance", "OVERHEADS", PT, "", "Expenses incurred on a damaged or run down asset"),
    ("477", "Wages and Salaries", "EXPENSE", NT, "", "Payment to employees in exchange for their resources"),
    ("489", "Telephone & Internet", "OVERHEADS", PT, "", "Expenditure incurred from any business-related phone calls"),
    ("493", "Travel - National", "OVERHEADS", PT, "", "Expenses incurred from domestic travel"),
    ("505", "Income Tax Expense", "EXPENSE", NT, "", "A percentage of total earnings paid to the government"),
    ("610", "Accounts Receivable", "CURRENT", NT, "DEBTORS", "Outstanding invoices the company has issued out to the client"),
    ("620", "Prepayments", "PREPAYMENT", NT, "", "An expenditure that has been paid for in advance"),
    ("630", "Inventory", "INVENTORY", NT, "", "Value of tracked inventory items for resale"),
    ("710", "Office Equipment", "FIXED", PT, "", "Office equipment that is owned and controlled by the business"),
    ("711", "Less Accumulated Depreciation on Office Equipment", "FIXED", NT, "", "The total amount of office equipment cost that has been consumed"),
    ("720", "Computer Equipment", "FIXED", PT, "", "Computer equipment that is owned and controlled by the business"),
    ("750", "Long-term Investments", "NONCURRENT", NT, "", "Investments held for more than a year"),
    ("800", "Accounts Payable", "CURRLIAB", NT, "CREDITORS", "Outstanding invoices the company has received from suppliers"),
    ("801", "Unpaid Expense Claims", "CURRLIAB", NT, "UNPAIDEXPCLM", "Expense claims typically made by employees"),
    ("820", "", "CURRLIAB", NT, "GST", "The balance of tax collected and paid"),
    ("825", "Accruals", "CURRLIAB", NT, "", "Expenses incurred but not yet invoiced"),
    ("830", "Income Tax", "CURRLIAB", NT, "", "The amount of income tax that is due"),
    ("840", "Historical Adjustment", "CURRLIAB", NT, "HISTORICAL", "For accountant adjustments"),
    ("850", "Customer Deposits", "LIABILITY", NT, "", "Deposits received from customers"),
    ("860", "Rounding", "CURRLIAB", NT, "ROUNDING", "An adjustment entry to allow for rounding"),
    ("877", "Tracking Transfers", "CURRLIAB", NT, "TRACKINGTRANSFERS", "Transfers between tracking categories"),
    ("900", "Loan", "TERMLIAB", NT, "", "Money that has been borrowed from a creditor"),
    ("960", "Retained Earnings", "EQUITY", NT, "RETAINEDEARNINGS", "Do not Use"),
    ("970", "Owner A Funds Introduced", "EQUITY", NT, "", "Funds contributed by the owner"),
    ("980", "Owner A Drawings", "EQUITY", NT, "", "Withdrawals by the owners"),
    ("494", "Travel - International", "OVERHEADS", PT, "", "Expenses incurred from international travel"),
];

/// Codes the generator posts to (see [`Roles`]).
pub const REVENUE_CODES: &[&str] = &["200", "210", "260"];
/// Expense codes bills and spend-money lines use.
pub const EXPENSE_CODES: &[&str] = &[
    "310", "400", "404", "408", "412", "420", "425", "429", "433", "445", "449", "453", "461",
    "469", "473", "489", "493", "720",
];

/// Builds the chart: every account `ACTIVE` except one archived legacy account.
pub fn build_chart(rng: &mut impl Rng, locale: &Locale, updated: Millis) -> Vec<Account> {
    let mut out: Vec<Account> = CHART
        .iter()
        .map(|&(code, name, kind, tax, system, description)| {
            let bank = kind == "BANK";
            let name = if system == "GST" {
                locale.tax_account
            } else {
                name
            };
            Account {
                id: Id::random(rng),
                code: code.to_owned(),
                name: name.to_owned(),
                kind,
                class: class_of(kind),
                status: "ACTIVE",
                tax,
                description: if bank {
                    String::new()
                } else {
                    description.to_owned()
                },
                bank_account_number: if bank {
                    format!(
                        "{:016}",
                        rng.random_range(1_000_000_000_000u64..9_999_999_999_999)
                    )
                } else {
                    String::new()
                },
                bank_account_type: match code {
                    "092" => "CREDITCARD",
                    _ if bank => "BANK",
                    _ => "",
                },
                system_account: system,
                enable_payments: bank,
                show_in_expense_claims: class_of(kind) == "EXPENSE",
                updated: updated + rng.random_range(0..5_000),
            }
        })
        .collect();
    out.push(Account {
        id: Id::random(rng),
        code: "499".into(),
        name: "Old Marketing Expenses".into(),
        kind: "OVERHEADS",
        class: "EXPENSE",
        status: "ARCHIVED",
        tax: TaxKind::Purchases,
        description: "No longer used".into(),
        bank_account_number: String::new(),
        bank_account_type: "",
        system_account: "",
        enable_payments: false,
        show_in_expense_claims: false,
        updated: updated + 6_000,
    });
    out
}

/// `ReportingCode` and `ReportingCodeName` for an account class.
pub fn reporting_code(class: &str) -> (&'static str, &'static str) {
    match class {
        "ASSET" => ("ASS", "Assets"),
        "LIABILITY" => ("LIA", "Liabilities"),
        "EQUITY" => ("EQU", "Equity"),
        "EXPENSE" => ("EXP", "Expense"),
        _ => ("REV", "Revenue"),
    }
}

/// Indexes of the accounts the generator and the ledger post to.
#[derive(Clone, Debug)]
pub struct Roles {
    /// Bank accounts (BANK type, not the credit card).
    pub banks: Vec<u16>,
    /// Accounts Receivable (DEBTORS).
    pub receivable: u16,
    /// Accounts Payable (CREDITORS).
    pub payable: u16,
    /// Tax account (GST).
    pub tax: u16,
    /// Revenue accounts.
    pub revenue: Vec<u16>,
    /// Expense accounts.
    pub expense: Vec<u16>,
    /// Depreciation expense.
    pub depreciation: u16,
    /// Accumulated depreciation.
    pub accumulated_depreciation: u16,
    /// Owner funds introduced.
    pub owner_funds: u16,
    /// Loan.
    pub loan: u16,
    /// Interest expense.
    pub interest: u16,
    /// Wages.
    pub wages: u16,
    /// Accruals.
    pub accruals: u16,
    /// Retained earnings.
    pub retained_earnings: u16,
}

impl Roles {
    /// Finds the roles in a chart built by [`build_chart`]; `None` if an account is missing.
    pub fn find(accounts: &[Account]) -> Option<Self> {
        let by_code = |code: &str| -> Option<u16> {
            accounts
                .iter()
                .position(|a| a.code == code)
                .and_then(|i| u16::try_from(i).ok())
        };
        let many =
            |codes: &[&str]| -> Option<Vec<u16>> { codes.iter().map(|c| by_code(c)).collect() };
        Some(Self {
            banks: many(&["090", "091"])?,
            receivable: by_code("610")?,
            payable: by_code("800")?,
            tax: by_code("820")?,
            revenue: many(REVENUE_CODES)?,
            expense: many(EXPENSE_CODES)?,
            depreciation: by_code("416")?,
            accumulated_depreciation: by_code("711")?,
            owner_funds: by_code("970")?,
            loan: by_code("900")?,
            interest: by_code("437")?,
            wages: by_code("477")?,
            accruals: by_code("825")?,
            retained_earnings: by_code("960")?,
        })
    }
}
