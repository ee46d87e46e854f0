//! The chart-of-accounts template of a generated QuickBooks Online company: a US company
//! modelled on Intuit's sandbox sample company ("Craig's Design and Landscaping
//! Services"), with the API's real `AccountType` display strings and CamelCase
//! `AccountSubType` values (PROVIDERS.md B3, Intuit's Account reference).
//!
//! Rows are written as fully qualified names (`Parent:Child`, up to three levels here);
//! a parent always comes before its sub-accounts. Core rows exist in every company (the
//! accounts QuickBooks creates with it); the others are picked by the seeded generator.

/// `AccountType` of an account, with its `Classification` and how its balance is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// "Bank".
    Bank,
    /// "Accounts Receivable".
    AccountsReceivable,
    /// "Other Current Asset".
    OtherCurrentAsset,
    /// "Fixed Asset".
    FixedAsset,
    /// "Other Asset".
    OtherAsset,
    /// "Accounts Payable".
    AccountsPayable,
    /// "Credit Card".
    CreditCard,
    /// "Other Current Liability".
    OtherCurrentLiability,
    /// "Long Term Liability".
    LongTermLiability,
    /// "Equity".
    Equity,
    /// "Income".
    Income,
    /// "Other Income".
    OtherIncome,
    /// "Cost of Goods Sold".
    CostOfGoodsSold,
    /// "Expense".
    Expense,
    /// "Other Expense".
    OtherExpense,
}

impl AccountType {
    /// The wire value, e.g. `"Other Current Asset"`.
    pub fn display(self) -> &'static str {
        match self {
            Self::Bank => "Bank",
            Self::AccountsReceivable => "Accounts Receivable",
            Self::OtherCurrentAsset => "Other Current Asset",
            Self::FixedAsset => "Fixed Asset",
            Self::OtherAsset => "Other Asset",
            Self::AccountsPayable => "Accounts Payable",
            Self::CreditCard => "Credit Card",
            Self::OtherCurrentLiability => "Other Current Liability",
            Self::LongTermLiability => "Long Term Liability",
            Self::Equity => "Equity",
            Self::Income => "Income",
            Self::OtherIncome => "Other Income",
            Self::CostOfGoodsSold => "Cost of Goods Sold",
            Self::Expense => "Expense",
            Self::OtherExpense => "Other Expense",
        }
    }

    /// `Classification`: Asset, Liability, Equity, Revenue or Expense.
    pub fn classification(self) -> &'static str {
        match self {
            Self::Bank
            | Self::AccountsReceivable
            | Self::OtherCurrentAsset
            | Self::FixedAsset
            | Self::OtherAsset => "Asset",
            Self::AccountsPayable
            | Self::CreditCard
            | Self::OtherCurrentLiability
            | Self::LongTermLiability => "Liability",
            Self::Equity => "Equity",
            Self::Income | Self::OtherIncome => "Revenue",
            Self::CostOfGoodsSold | Self::Expense | Self::OtherExpense => "Expense",
        }
    }

    /// Range of a generated `CurrentBalance` in whole dollars, and its sign (+1 debit
    /// balance, −1 credit balance, as the documented A/P sample's `-1091.23`). Profit
    /// and loss accounts carry no balance in the chart (`0`).
    pub fn balance_range(self) -> Option<(i64, i64, i64)> {
        match self {
            Self::Bank => Some((500, 60_000, 1)),
            Self::AccountsReceivable => Some((0, 25_000, 1)),
            Self::OtherCurrentAsset => Some((0, 10_000, 1)),
            Self::FixedAsset => Some((1_000, 40_000, 1)),
            Self::OtherAsset => Some((0, 5_000, 1)),
            Self::AccountsPayable => Some((0, 15_000, -1)),
            Self::CreditCard => Some((0, 5_000, -1)),
            Self::OtherCurrentLiability => Some((0, 8_000, -1)),
            Self::LongTermLiability => Some((5_000, 50_000, -1)),
            Self::Equity => Some((0, 30_000, -1)),
            _ => None,
        }
    }
}

/// One template account.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Fully qualified name, `:`-separated.
    pub path: &'static str,
    /// `AccountType`.
    pub kind: AccountType,
    /// `AccountSubType`.
    pub sub_type: &'static str,
    /// In every company.
    pub core: bool,
    /// `Description`, when the sample company has one.
    pub description: Option<&'static str>,
}

impl Row {
    /// The account's own `Name` (last path segment).
    pub fn name(&self) -> &'static str {
        self.path.rsplit(':').next().unwrap_or(self.path)
    }

    /// The parent's path, for a sub-account.
    pub fn parent_path(&self) -> Option<&'static str> {
        self.path.rsplit_once(':').map(|(p, _)| p)
    }
}

const fn r(path: &'static str, kind: AccountType, sub_type: &'static str, core: bool) -> Row {
    Row {
        path,
        kind,
        sub_type,
        core,
        description: None,
    }
}

const fn d(
    path: &'static str,
    kind: AccountType,
    sub_type: &'static str,
    text: &'static str,
) -> Row {
    Row {
        path,
        kind,
        sub_type,
        core: false,
        description: Some(text),
    }
}

use AccountType::*;

/// The template, parents before children.
#[rustfmt::skip]
pub const TEMPLATE: &[Row] = &[
    r("Checking", Bank, "Checking", true),
    r("Savings", Bank, "Savings", true),
    r("Accounts Receivable (A/R)", AccountsReceivable, "AccountsReceivable", true),
    r("Undeposited Funds", OtherCurrentAsset, "UndepositedFunds", true),
    r("Inventory Asset", OtherCurrentAsset, "Inventory", true),
    r("Uncategorized Asset", OtherCurrentAsset, "OtherCurrentAssets", true),
    r("Accounts Payable (A/P)", AccountsPayable, "AccountsPayable", true),
    r("Opening Balance Equity", Equity, "OpeningBalanceEquity", true),
    r("Retained Earnings", Equity, "RetainedEarnings", true),
    r("Sales of Product Income", Income, "SalesOfProductIncome", true),
    r("Services", Income, "ServiceFeeIncome", true),
    r("Uncategorized Income", Income, "ServiceFeeIncome", true),
    r("Cost of Goods Sold", CostOfGoodsSold, "SuppliesMaterialsCogs", true),
    r("Uncategorized Expense", Expense, "OtherMiscellaneousServiceCost", true),
    r("Petty Cash", Bank, "CashOnHand", false),
    r("Prepaid Expenses", OtherCurrentAsset, "PrepaidExpenses", false),
    r("Employee Cash Advances", OtherCurrentAsset, "EmployeeCashAdvances", false),
    r("Truck", FixedAsset, "Vehicles", false),
    r("Truck:Original Cost", FixedAsset, "Vehicles", false),
    r("Truck:Depreciation", FixedAsset, "AccumulatedDepreciation", false),
    r("Furniture and Equipment", FixedAsset, "FurnitureAndFixtures", false),
    r("Computers", FixedAsset, "FixedAssetComputers", false),
    r("Security Deposits", OtherAsset, "SecurityDeposits", false),
    r("Mastercard", CreditCard, "CreditCard", false),
    r("Visa", CreditCard, "CreditCard", false),
    r("Board of Equalization Payable", OtherCurrentLiability, "SalesTaxPayable", false),
    r("Loan Payable", OtherCurrentLiability, "LoanPayable", false),
    r("Payroll Liabilities", OtherCurrentLiability, "PayrollTaxPayable", false),
    r("Line of Credit", OtherCurrentLiability, "LineOfCredit", false),
    r("Notes Payable", LongTermLiability, "NotesPayable", false),
    r("Owner's Equity", Equity, "OwnersEquity", false),
    r("Owner's Pay & Personal Expenses", Equity, "PersonalExpense", false),
    r("Landscaping Services", Income, "ServiceFeeIncome", false),
    r("Landscaping Services:Job Materials", Income, "ServiceFeeIncome", false),
    r("Landscaping Services:Job Materials:Fountains and Garden Lighting", Income, "SalesOfProductIncome", false),
    r("Landscaping Services:Job Materials:Plants and Soil", Income, "SalesOfProductIncome", false),
    r("Landscaping Services:Job Materials:Sprinklers and Drip Systems", Income, "SalesOfProductIncome", false),
    r("Landscaping Services:Labor", Income, "ServiceFeeIncome", false),
    r("Landscaping Services:Labor:Installation", Income, "ServiceFeeIncome", false),
    r("Landscaping Services:Labor:Maintenance and Repair", Income, "ServiceFeeIncome", false),
    r("Design income", Income, "ServiceFeeIncome", false),
    r("Discounts given", Income, "DiscountsRefundsGiven", false),
    r("Pest Control Services", Income, "OtherPrimaryIncome", false),
    r("Refunds-Allowances", Income, "DiscountsRefundsGiven", false),
    r("Interest Earned", OtherIncome, "InterestEarned", false),
    r("Other Income", OtherIncome, "OtherMiscellaneousIncome", false),
    r("Advertising", Expense, "AdvertisingPromotional", false),
    r("Automobile", Expense, "Auto", false),
    r("Automobile:Fuel", Expense, "Auto", false),
    r("Bank Charges", Expense, "BankCharges", false),
    r("Commissions & fees", Expense, "CommissionsAndFees", false),
    d("Dues & Subscriptions", Expense, "DuesSubscriptions", "Software and trade association memberships"),
    r("Equipment Rental", Expense, "EquipmentRental", false),
    r("Insurance", Expense, "Insurance", false),
    r("Insurance:Workers Compensation", Expense, "Insurance", false),
    r("Job Expenses", Expense, "OtherBusinessExpenses", false),
    r("Job Expenses:Cost of Labor", Expense, "CostOfLabor", false),
    r("Job Expenses:Job Materials", Expense, "SuppliesMaterials", false),
    r("Legal & Professional Fees", Expense, "LegalProfessionalFees", false),
    r("Legal & Professional Fees:Accounting", Expense, "LegalProfessionalFees", false),
    r("Legal & Professional Fees:Bookkeeper", Expense, "LegalProfessionalFees", false),
    r("Legal & Professional Fees:Lawyer", Expense, "LegalProfessionalFees", false),
    r("Maintenance and Repair", Expense, "RepairMaintenance", false),
    r("Maintenance and Repair:Building Repairs", Expense, "RepairMaintenance", false),
    r("Maintenance and Repair:Computer Repairs", Expense, "RepairMaintenance", false),
    r("Maintenance and Repair:Equipment Repairs", Expense, "RepairMaintenance", false),
    r("Meals and Entertainment", Expense, "EntertainmentMeals", false),
    d("Office Expenses", Expense, "OfficeGeneralAdministrativeExpenses", "Small office purchases and postage"),
    r("Purchases", Expense, "SuppliesMaterials", false),
    d("Rent or Lease", Expense, "RentOrLeaseOfBuildings", "Office and yard rent"),
    r("Stationery & Printing", Expense, "OfficeGeneralAdministrativeExpenses", false),
    r("Supplies", Expense, "SuppliesMaterials", false),
    r("Taxes & Licenses", Expense, "TaxesPaid", false),
    r("Travel", Expense, "Travel", false),
    r("Travel Meals", Expense, "TravelMeals", false),
    r("Utilities", Expense, "Utilities", false),
    r("Utilities:Gas and Electric", Expense, "Utilities", false),
    r("Utilities:Telephone", Expense, "Utilities", false),
    r("Depreciation", OtherExpense, "Depreciation", false),
    r("Miscellaneous", OtherExpense, "OtherMiscellaneousExpense", false),
    r("Penalties & Settlements", OtherExpense, "PenaltiesSettlements", false),
];

/// Words for accounts generated beyond the template (large charts for paging tests).
pub const EXTRA_WORDS: &[&str] = &[
    "Project",
    "Contract",
    "Client Work",
    "Site",
    "Crew",
    "Region",
    "Program",
    "Campaign",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn parents_come_first_and_paths_are_unique() {
        let mut seen = HashSet::new();
        for row in TEMPLATE {
            if let Some(p) = row.parent_path() {
                assert!(seen.contains(p), "{} before its parent", row.path);
                let parent = TEMPLATE.iter().find(|r| r.path == p).unwrap();
                assert_eq!(parent.kind.classification(), row.kind.classification());
                assert!(!row.core);
            }
            assert!(seen.insert(row.path), "duplicate {}", row.path);
            assert!(row.path.split(':').count() <= 5);
        }
        assert_eq!(TEMPLATE.iter().filter(|r| r.core).count(), 14);
    }
}
