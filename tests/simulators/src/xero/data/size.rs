//! How big a generated organisation is, with presets.

use serde::{Deserialize, Serialize};

use super::chart::Country;

/// The size knob of the generator. Every count is clamped to a sane range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSize {
    /// Contacts (customers and suppliers), at least 1 when there are documents.
    pub contacts: u32,
    /// Invoices and bills.
    pub invoices: u32,
    /// Spend/receive-money transactions.
    pub bank_transactions: u32,
    /// Manual journals.
    pub manual_journals: u32,
    /// Active tracking categories (0–2; with 2, an archived third one is added).
    pub tracking_categories: u8,
    /// Most lines on one invoice or bank transaction (1–10; the mean is about half).
    pub max_lines_per_document: u8,
    /// How many days of history the documents span (up to today).
    pub history_days: u32,
}

impl Default for OrgSize {
    fn default() -> Self {
        Self::small()
    }
}

impl OrgSize {
    /// A chart of accounts and an organisation record, nothing else.
    pub fn empty() -> Self {
        Self {
            contacts: 0,
            invoices: 0,
            bank_transactions: 0,
            manual_journals: 0,
            tracking_categories: 0,
            max_lines_per_document: 4,
            history_days: 365,
        }
    }

    /// Fast tests: ~25 contacts, 80 invoices, 40 bank transactions, 10 manual journals
    /// (about 600 journal lines).
    pub fn small() -> Self {
        Self {
            contacts: 25,
            invoices: 80,
            bank_transactions: 40,
            manual_journals: 10,
            tracking_categories: 2,
            max_lines_per_document: 4,
            history_days: 400,
        }
    }

    /// About 12,000 journal lines.
    pub fn medium() -> Self {
        Self {
            contacts: 300,
            invoices: 2_000,
            bank_transactions: 600,
            manual_journals: 100,
            tracking_categories: 2,
            max_lines_per_document: 4,
            history_days: 730,
        }
    }

    /// The benchmark organisation: about 100,000 journal lines.
    pub fn large() -> Self {
        Self {
            contacts: 2_000,
            invoices: 14_000,
            bank_transactions: 5_000,
            manual_journals: 1_000,
            tracking_categories: 2,
            max_lines_per_document: 4,
            history_days: 1_095,
        }
    }

    /// A preset by name: `empty`, `small`, `medium`, `large`.
    pub fn preset(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "empty" => Some(Self::empty()),
            "small" => Some(Self::small()),
            "medium" => Some(Self::medium()),
            "large" => Some(Self::large()),
            _ => None,
        }
    }

    /// The same size with every knob in range (at most 1M documents of each kind).
    pub fn clamped(self) -> Self {
        let docs = self.invoices + self.bank_transactions;
        Self {
            contacts: self.contacts.clamp(u32::from(docs > 0), 200_000),
            invoices: self.invoices.min(1_000_000),
            bank_transactions: self.bank_transactions.min(1_000_000),
            manual_journals: self.manual_journals.min(1_000_000),
            tracking_categories: self.tracking_categories.min(2),
            max_lines_per_document: self.max_lines_per_document.clamp(1, 10),
            history_days: self.history_days.clamp(2, 3_650),
        }
    }

    /// Expected number of journal lines (the generator's mix in closed form): an
    /// approved invoice posts `lines + 2` (receivable/payable and tax), a payment 2, a
    /// void reverses the posting; bank transactions post `lines + 2`, manual journals
    /// about 2.4. Within a few percent of the real count for large sizes.
    pub fn estimated_journal_lines(&self) -> u64 {
        let s = self.clamped();
        let mean_lines = (f64::from(s.max_lines_per_document) + 1.0) / 2.0;
        let posting = mean_lines + 1.9;
        // 87% of invoices get approved, 4% of those voided (reversed); ~80% get a payment.
        let per_invoice = 0.87 * posting + 0.04 * posting + 0.80 * 2.0;
        let bank_lines = (f64::from(s.max_lines_per_document.min(3)) + 1.0) / 2.0 + 1.9;
        let per_bank = 1.05 * bank_lines;
        let per_manual = 0.93 * 2.4;
        (f64::from(s.invoices) * per_invoice
            + f64::from(s.bank_transactions) * per_bank
            + f64::from(s.manual_journals) * per_manual)
            .round() as u64
    }
}

/// Everything the generator needs besides the tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerateOptions {
    /// Size.
    pub size: OrgSize,
    /// RNG seed: the same seed, size, country and clock give the same records.
    pub seed: u64,
    /// Country.
    pub country: Country,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            size: OrgSize::small(),
            seed: 42,
            country: Country::NZ,
        }
    }
}

impl GenerateOptions {
    /// Options with the given size and seed (country NZ).
    pub fn new(size: OrgSize, seed: u64) -> Self {
        Self {
            size,
            seed,
            country: Country::NZ,
        }
    }

    /// Sets the country.
    pub fn country(mut self, country: Country) -> Self {
        self.country = country;
        self
    }
}
