//! The README's Configuration table is the one list of settings: every `MOORING_*`
//! variable the host reads is in it, and it lists nothing the host does not read.

use std::collections::BTreeSet;

/// The sources that read settings from the environment.
const SOURCES: [&str; 4] = [
    include_str!("config.rs"),
    include_str!("main.rs"),
    include_str!("app.rs"),
    include_str!("cli/keys.rs"),
];

const README: &str = include_str!("../../README.md");

/// `"MOORING_…"` string literals in `text`.
fn quoted_names(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.starts_with("MOORING_")
                && s.len() > "MOORING_".len()
                && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

/// The variables in the first column of the README's settings table.
fn documented() -> BTreeSet<String> {
    README
        .lines()
        .filter_map(|line| line.strip_prefix("| `MOORING_"))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| format!("MOORING_{name}"))
        .collect()
}

#[test]
fn every_setting_the_host_reads_is_in_the_readme_table_and_only_those() {
    let read: BTreeSet<String> = SOURCES.iter().flat_map(|s| quoted_names(s)).collect();
    let listed = documented();
    let missing: Vec<_> = read.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&read).collect();
    assert!(
        missing.is_empty(),
        "read but not in README's Configuration table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "in README's Configuration table but never read: {stale:?}"
    );
    assert!(listed.len() >= 20, "the table was not found: {listed:?}");
}
