//! Unit tests of the cursor arithmetic (a sibling file to keep `cursor.rs` short).

use super::*;

const S: i64 = 1_700_000_000_000; // a whole second

fn page(dates: &[i64]) -> PageSummary {
    PageSummary::of(&dates.iter().map(|d| Some(*d)).collect::<Vec<_>>())
}

#[test]
fn short_page_ends_the_pass_at_the_high_water_second() {
    let cur = Paged::default();
    let step = cur.advance(&page(&[S + 10, S + 5_250]), 3);
    assert!(!step.has_more);
    assert_eq!(
        step.next,
        Paged {
            since: Some(S + 5_000),
            page: 1,
            hwm: None
        }
    );
}

#[test]
fn empty_page_keeps_since() {
    let cur = Paged {
        since: Some(S),
        page: 1,
        hwm: None,
    };
    let step = cur.advance(&page(&[]), 100);
    assert!(!step.has_more);
    assert_eq!(step.next.since, Some(S));
    assert_eq!(Paged::default().advance(&page(&[]), 100).next.since, None);
}

#[test]
fn full_ascending_page_restarts_at_its_boundary_second_inclusive() {
    let cur = Paged {
        since: Some(S),
        page: 1,
        hwm: None,
    };
    let step = cur.advance(&page(&[S, S + 1_000, S + 2_999]), 3);
    assert!(step.has_more);
    assert_eq!(
        step.next,
        Paged {
            since: Some(S + 2_000),
            page: 1,
            hwm: Some(S + 2_999)
        }
    );
    // The first pass (no since) is keyset too.
    let first = Paged::default().advance(&page(&[S, S + 1_000, S + 1_500]), 3);
    assert_eq!(first.next.since, Some(S + 1_000));
    assert_eq!(first.next.page, 1);
}

#[test]
fn full_page_in_one_second_moves_to_the_next_page() {
    let cur = Paged {
        since: Some(S),
        page: 1,
        hwm: None,
    };
    let step = cur.advance(&page(&[S, S + 100, S + 900]), 3);
    assert!(step.has_more);
    assert_eq!(step.next.since, Some(S));
    assert_eq!(step.next.page, 2);
    // ...and the page after that, with later dates, restarts at page 1.
    let later = step
        .next
        .advance(&page(&[S + 900, S + 4_000, S + 7_000]), 3);
    assert_eq!(later.next.since, Some(S + 7_000));
    assert_eq!(later.next.page, 1);
    assert_eq!(later.next.hwm, Some(S + 7_000));
}

#[test]
fn unordered_page_falls_back_to_page_numbers_and_the_pass_high_water_mark() {
    let cur = Paged::default();
    let step = cur.advance(&page(&[S + 9_000, S, S + 1_000]), 3);
    assert_eq!(step.next.since, None);
    assert_eq!(step.next.page, 2);
    assert_eq!(step.next.hwm, Some(S + 9_000));
    let end = step.next.advance(&page(&[S + 2_000]), 3);
    assert!(!end.has_more);
    assert_eq!(end.next.since, Some(S + 9_000));
    // A record without a date is not ascending either.
    let undated = PageSummary::of(&[Some(S), None, Some(S + 1)]);
    assert!(!undated.ascending);
    assert_eq!(undated.max, Some(S + 1));
}

#[test]
fn a_page_older_than_since_means_the_bound_was_ignored() {
    let cur = Paged {
        since: Some(S + 10_000),
        page: 1,
        hwm: None,
    };
    // Ascending, but starting before `since`: do not restart at page 1.
    let step = cur.advance(&page(&[S, S + 20_000, S + 30_000]), 3);
    assert_eq!(step.next.since, Some(S + 10_000));
    assert_eq!(step.next.page, 2);
    assert_eq!(step.next.hwm, Some(S + 30_000));
}

#[test]
fn since_never_moves_back() {
    let cur = Paged {
        since: Some(S + 60_000),
        page: 1,
        hwm: None,
    };
    let step = cur.advance(&page(&[S]), 10);
    assert_eq!(step.next.since, Some(S + 60_000));
}

#[test]
fn paged_round_trip_and_errors() {
    let c = Paged {
        since: Some(S),
        page: 3,
        hwm: Some(S + 250),
    };
    let text = c.encode();
    assert_eq!(
        text,
        r#"{"since":"2023-11-14T22:13:20Z","page":3,"hwm":"2023-11-14T22:13:20.250Z"}"#
    );
    assert_eq!(Paged::decode(Some(&text)), Ok(c));
    assert_eq!(Paged::decode(None), Ok(Paged::default()));
    assert_eq!(Paged::default().page(), 1);
    assert_eq!(Paged::decode(Some("{}")).map(|p| p.page), Ok(1));
    assert!(Paged::decode(Some("7")).is_err());
    assert!(Paged::decode(Some(r#"{"since":"yesterday"}"#)).is_err());
}

#[test]
fn modified_cursor() {
    let m = Modified::default().advance(Some(S + 1_500));
    assert_eq!(m.since, Some(S + 1_000));
    assert_eq!(m.advance(None), m);
    assert_eq!(m.advance(Some(S)), m);
    assert_eq!(m.encode(), r#"{"since":"2023-11-14T22:13:21Z"}"#);
    assert_eq!(Modified::decode(Some(&m.encode())), Ok(m));
    assert_eq!(Modified::decode(None), Ok(Modified::default()));
}

#[test]
fn offset_cursor() {
    let o = Offset::default();
    let (next, more) = o.advance(100, Some(130), 100);
    assert_eq!(next.offset, 130);
    assert!(more);
    let (last, more) = next.advance(7, Some(140), 100);
    assert_eq!(last.offset, 140);
    assert!(!more);
    let (same, more) = last.advance(0, None, 100);
    assert_eq!(same.offset, 140);
    assert!(!more);
    // A full call that did not move forward must not loop.
    let (_, more) = last.advance(100, Some(120), 100);
    assert!(!more);
    assert_eq!(last.encode(), r#"{"offset":140}"#);
    assert_eq!(Offset::decode(Some(r#"{"offset":140}"#)), Ok(last));
    assert!(Offset::decode(Some("nope")).is_err());
    assert_eq!(Offset::decode(None), Ok(Offset::default()));
}

#[test]
fn snapshot_cursor() {
    let s = Snapshot {
        ids: vec!["a".into(), "b".into(), "c".into()],
    };
    assert_eq!(s.vanished(&["c".into(), "a".into()]), vec!["b".to_string()]);
    assert!(Snapshot::default().vanished(&["x".into()]).is_empty());
    assert_eq!(s.encode(), r#"{"ids":["a","b","c"]}"#);
    assert_eq!(Snapshot::decode(Some(&s.encode())), Ok(s));
    assert_eq!(Snapshot::decode(None), Ok(Snapshot::default()));
}

/// A whole pass as the QuickBooks `accounts` stream walks it: second-precision
/// `LastUpdatedTime`s, a full page in one second, the end of the pass, then a page
/// that ignored the bound.
#[test]
fn a_whole_pass_with_second_precision_dates() {
    const S: i64 = 1_435_702_147_000; // 2015-06-30T22:09:07Z
    let first = Paged::default();
    assert_eq!(first.page(), 1);
    let full = first.advance(&page(&[S, S + 1_000, S + 2_000]), 3);
    assert!(full.has_more);
    assert_eq!(
        full.next,
        Paged {
            since: Some(S + 2_000),
            page: 1,
            hwm: Some(S + 2_000)
        }
    );
    let stuck = full
        .next
        .advance(&page(&[S + 2_000, S + 2_000, S + 2_000]), 3);
    assert_eq!(stuck.next.page, 2);
    assert_eq!(stuck.next.since, Some(S + 2_000));
    let end = stuck.next.advance(&page(&[S + 5_000]), 3);
    assert!(!end.has_more);
    assert_eq!(
        end.next,
        Paged {
            since: Some(S + 5_000),
            page: 1,
            hwm: None
        }
    );
    let unordered = first.advance(&page(&[S + 9_000, S]), 2);
    assert_eq!((unordered.next.since, unordered.next.page), (None, 2));
    let ignored = end.next.advance(&page(&[S, S + 9_000, S + 9_500]), 3);
    assert_eq!(
        (ignored.next.since, ignored.next.page),
        (Some(S + 5_000), 2)
    );
    let empty = end.next.advance(&page(&[]), 3);
    assert_eq!(empty.next.since, Some(S + 5_000));
}
