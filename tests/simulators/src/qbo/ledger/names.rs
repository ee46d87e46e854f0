//! Names of generated customers, vendors and items (US, like Intuit's sample company).

use std::collections::HashSet;

use rand::Rng;

const GIVEN: &[&str] = &[
    "Amy", "Bill", "Cathy", "Dylan", "Emma", "Frank", "Grace", "Hector", "Irene", "John", "Kate",
    "Leo", "Maria", "Nina", "Oscar", "Paula", "Quinn", "Rosa", "Sam", "Tony",
];
const FAMILY: &[&str] = &[
    "Bird",
    "Lucchini",
    "Cool",
    "Dukes",
    "Freeman",
    "Gevelber",
    "Jeffrey",
    "Kookies",
    "Mason",
    "Meloni",
    "Pye",
    "Rago",
    "Red",
    "Rondonuwu",
    "Shara",
    "Sushi",
    "Travis",
    "Video",
    "Weiskopf",
    "Wiley",
];
const BUSINESS: &[&str] = &[
    "Bay Area",
    "Brosnahan",
    "Cal",
    "Computers by",
    "Diego's",
    "Ellis",
    "Hall",
    "Hicks",
    "Lee",
    "Mahoney",
    "Norton",
    "Pam's",
    "Robertson",
    "Squeaky",
    "Tania's",
    "Tim's",
];
const TRADE: &[&str] = &[
    "Insurance",
    "Hardware",
    "Telephone",
    "Electric",
    "Lumber",
    "Mugs",
    "Kitchens",
    "Plumbing",
    "Nursery",
    "Accountants",
    "Office Supplies",
    "Fuel",
];
/// Item names with a unit price range in dollars.
pub(super) const ITEMS: &[(&str, i64, i64)] = &[
    ("Design", 50, 120),
    ("Installation", 40, 80),
    ("Gardening", 20, 45),
    ("Hours", 15, 30),
    ("Lighting", 20, 60),
    ("Maintenance & Repair", 35, 90),
    ("Pest Control", 30, 70),
    ("Pump", 10, 20),
    ("Refunds & Allowances", 5, 15),
    ("Rock Fountain", 200, 400),
    ("Rocks", 5, 25),
    ("Sod", 2, 10),
    ("Soil", 5, 15),
    ("Sprinkler Heads", 1, 5),
    ("Sprinkler Pipes", 3, 8),
    ("Trimming", 25, 50),
    ("Concrete", 8, 30),
    ("Fountain Kit", 150, 300),
];
/// Line descriptions of bills and purchases.
pub(super) const EXPENSE_MEMOS: &[&str] = &[
    "Monthly service",
    "Supplies",
    "Fuel",
    "Repairs",
    "Subscription",
    "Consulting",
    "Materials",
    "Rent",
];

fn pick<'a>(rng: &mut impl Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// A display name not yet in `taken` (which it joins): `(display, given, family)`; a
/// business name has no given/family name.
pub(super) fn person_or_business(
    rng: &mut impl Rng,
    taken: &mut HashSet<String>,
    vendor: bool,
) -> (String, Option<(String, String)>) {
    let (base, person) = if vendor {
        (
            format!("{} {}", pick(rng, BUSINESS), pick(rng, TRADE)),
            None,
        )
    } else if rng.random_ratio(1, 2) {
        let (g, f) = (pick(rng, GIVEN), pick(rng, FAMILY));
        (format!("{g} {f}"), Some((g.to_owned(), f.to_owned())))
    } else {
        (
            format!("{} {}", pick(rng, BUSINESS), pick(rng, TRADE)),
            None,
        )
    };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base} {n}");
        n += 1;
    }
    (name, person)
}
