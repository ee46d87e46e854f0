//! Vocabulary for generated contacts, addresses and line descriptions.

use rand::Rng;
use rand::seq::IndexedRandom;

use super::records::Address;

const FIRST: &[&str] = &[
    "Aroha", "Ben", "Chloe", "Daniel", "Emma", "Finn", "Grace", "Hemi", "Isla", "Jack", "Kiri",
    "Liam", "Mia", "Noah", "Olivia", "Priya", "Quinn", "Ruby", "Sam", "Tama", "Uma", "Victor",
    "Wiremu", "Xin", "Yusuf", "Zoe",
];

const LAST: &[&str] = &[
    "Anderson", "Brown", "Chen", "Davies", "Edwards", "Fraser", "Gupta", "Harris", "Iyer",
    "Johnson", "Kaur", "Lee", "Martin", "Ngata", "O'Brien", "Patel", "Roberts", "Singh", "Taylor",
    "Walker", "Wilson", "Young",
];

const COMPANY_A: &[&str] = &[
    "Acme",
    "Bayside",
    "Coastal",
    "Dominion",
    "Evergreen",
    "Fern",
    "Granite",
    "Harbour",
    "Ironbark",
    "Juniper",
    "Kauri",
    "Lakeside",
    "Meridian",
    "Northern",
    "Orchard",
    "Pacific",
    "Quarry",
    "Riverside",
    "Southern",
    "Totara",
    "Summit",
    "Valley",
    "Westgate",
];

const COMPANY_B: &[&str] = &[
    "Tires",
    "Bakery",
    "Builders",
    "Consulting",
    "Design",
    "Electrical",
    "Foods",
    "Freight",
    "Hardware",
    "Legal",
    "Logistics",
    "Media",
    "Motors",
    "Plumbing",
    "Print",
    "Solutions",
    "Supplies",
    "Systems",
    "Travel",
    "Wholesale",
];

const COMPANY_C: &[&str] = &["Ltd", "Limited", "& Co", "Group", "Partners", "Inc"];

const STREETS: &[&str] = &[
    "Queen Street",
    "High Street",
    "Main Road",
    "Victoria Avenue",
    "Station Road",
    "Church Lane",
    "Harbour View",
    "Park Terrace",
    "Market Square",
    "Hill Road",
];

/// (country, city, region)
const CITIES: &[(&str, &str, &str)] = &[
    ("New Zealand", "Auckland", "Auckland"),
    ("New Zealand", "Wellington", "Wellington"),
    ("New Zealand", "Christchurch", "Canterbury"),
    ("Australia", "Sydney", "NSW"),
    ("Australia", "Melbourne", "VIC"),
    ("United Kingdom", "London", ""),
    ("United Kingdom", "Manchester", ""),
    ("United Kingdom", "Leeds", ""),
    ("United States", "Palo Alto", "CA"),
    ("United States", "Anchorage", "AK"),
    ("United States", "Seattle", "WA"),
];

/// What sales lines sell.
pub const SALES_ITEMS: &[&str] = &[
    "Consulting services",
    "Design work",
    "Installation",
    "Monthly support plan",
    "Training session",
    "Widgets",
    "Spare parts",
    "Project management",
    "Annual licence",
    "Delivery charge",
    "Site visit",
    "Custom fabrication",
];

/// What bills and spend-money lines buy.
pub const PURCHASE_ITEMS: &[&str] = &[
    "Office supplies",
    "Courier",
    "Power bill",
    "Internet & phone",
    "Fuel",
    "Stationery",
    "Cleaning services",
    "Software subscription",
    "Rent",
    "Advertising campaign",
    "Repairs",
    "Raw materials",
    "Insurance premium",
];

/// Narrations of generated manual journals, by template.
pub const JOURNAL_NARRATIONS: &[&str] = &[
    "Monthly depreciation",
    "Owner funds introduced",
    "Accrued expenses",
    "Loan repayment",
    "Wages journal",
];

fn pick<'a>(rng: &mut impl Rng, list: &'a [&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or("")
}

/// A (name, first name, last name); the caller makes names unique.
pub fn contact_name(rng: &mut impl Rng) -> (String, String, String) {
    let first = pick(rng, FIRST).to_owned();
    let last = pick(rng, LAST).to_owned();
    let name = if rng.random_bool(0.6) {
        format!(
            "{} {} {}",
            pick(rng, COMPANY_A),
            pick(rng, COMPANY_B),
            pick(rng, COMPANY_C)
        )
    } else {
        format!("{first} {last}")
    };
    (name, first, last)
}

/// A street address and a PO box in the same city.
pub fn addresses(rng: &mut impl Rng, country: &str) -> (Address, Address) {
    let local: Vec<(&str, &str)> = CITIES
        .iter()
        .filter(|(c, _, _)| *c == country)
        .map(|(_, city, region)| (*city, *region))
        .collect();
    let (city, region) = local
        .choose(rng)
        .copied()
        .unwrap_or(("Auckland", "Auckland"));
    let postal = format!("{:04}", rng.random_range(1000..9999));
    let street = Address {
        line1: format!("{} {}", rng.random_range(1..400), pick(rng, STREETS)),
        city: city.to_owned(),
        region: region.to_owned(),
        postal_code: postal.clone(),
        country: country.to_owned(),
    };
    let pobox = Address {
        line1: format!("PO Box {}", rng.random_range(100..9999)),
        city: city.to_owned(),
        region: region.to_owned(),
        postal_code: postal,
        country: country.to_owned(),
    };
    (street, pobox)
}

/// An (area code, number) pair like `("09", "555-0192")`.
pub fn phone(rng: &mut impl Rng) -> (String, String) {
    (
        format!("0{}", rng.random_range(2..10)),
        format!(
            "{}-{:04}",
            rng.random_range(200..999),
            rng.random_range(0..10_000)
        ),
    )
}

/// A pick from `list`.
pub fn choose<'a>(rng: &mut impl Rng, list: &'a [&'a str]) -> &'a str {
    pick(rng, list)
}
