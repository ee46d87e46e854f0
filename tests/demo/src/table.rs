//! The demo's progress lines and closing summary table.

use std::time::{Duration, Instant};

use anyhow::Result;

use super::Done;

/// One line of the summary.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) result: Option<bool>,
    pub(crate) detail: String,
    pub(crate) time: Duration,
}

/// A duration as `1.2 s`.
pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// `1234567` → `1,234,567`.
pub(crate) fn n(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Print one progress line and keep the row.
pub(crate) fn report(
    rows: &mut Vec<Row>,
    name: &'static str,
    started: Instant,
    result: Result<Done>,
) {
    let time = started.elapsed();
    let number = rows.len() + 1;
    let row = match result {
        Ok(Done { short, detail }) => {
            println!("✓ {number} {name} ({detail}) [{}]", secs(time));
            Row {
                name,
                result: Some(true),
                detail: short,
                time,
            }
        }
        Err(error) => {
            let why = format!("{error:#}");
            println!("✗ {number} {name} ({why}) [{}]", secs(time));
            Row {
                name,
                result: Some(false),
                detail: why,
                time,
            }
        }
    };
    rows.push(row);
}

pub(crate) fn short(text: &str, width: usize) -> String {
    let text = text.replace('\n', " ");
    if text.chars().count() <= width {
        text
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

pub(crate) fn print_table(rows: &[Row], total: Duration) {
    let lines: Vec<[String; 5]> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let result = match row.result {
                Some(true) => "✓ held",
                Some(false) => "✗ failed",
                None => "– skipped",
            };
            let time = if row.result.is_some() {
                secs(row.time)
            } else {
                "–".into()
            };
            [
                (i + 1).to_string(),
                row.name.to_owned(),
                result.to_owned(),
                time,
                short(&row.detail, 130).replace('|', "/"),
            ]
        })
        .collect();
    let header = ["#", "step", "result", "time", "detail"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print = |cells: &[String; 5]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                let pad = " ".repeat(width - cell.chars().count());
                // Times align right, everything else left.
                if i == 3 {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    println!();
    print(&header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    println!("|-{}-|", rule.join("-|-"));
    for line in &lines {
        print(line);
    }
    let held = rows.iter().filter(|r| r.result == Some(true)).count();
    println!(
        "\n{held} of {} steps held in {} (set-up and host start included)",
        rows.len(),
        secs(total)
    );
}
