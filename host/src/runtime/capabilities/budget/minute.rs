//! One tenant's sliding minute window: which calls a provider may still count, and
//! when the next one fits.
//!
//! **When a call counts.** A provider counts a call when the request *arrives* (a rolling
//! window, as the simulators model it), somewhere between the host sending it
//! and the host reading its answer. The host cannot see the arrival, so it takes the
//! later bound: a call is entered when it is sent (so calls in flight count at once)
//! and, when its answer comes back, moved to the time of the answer
//! ([`MinuteWindow::settle`]). It therefore leaves the host's window no earlier than the
//! provider's, and a call started the moment the host's window has room can never
//! reach a provider whose window is still full. What this costs is one round trip per
//! minute of calls. A call the provider refused (429) did not count there, and is taken
//! out.
//!
//! **Calls the host did not make.** A provider's remaining-count header may say more
//! calls are in its window than the host made (another process of the same app, or
//! calls from before a restart). The host compares the report with the calls of its own
//! that the provider could have counted when it answered (those still in a window
//! ending at the reported call's sending) and enters each missing one as a *foreign*
//! call at the time of the report: the latest it can have been made, so it leaves the
//! window no earlier than the provider's. Foreign calls take one place each, like the
//! host's own, and count in later comparisons, so one report is never counted twice.
//! (An older version held *every* call for a full minute from the report, which cost a
//! minute plus the burst's length whenever a report came back while calls were leaving
//! the window.)

use std::collections::VecDeque;

/// A minute, in clock ms.
pub const MINUTE_MS: u64 = 60_000;
/// Calls are kept this long after they leave the window, so that a late report can
/// still be compared with the calls that were in the window when it was made.
const KEEP_MS: u64 = 2 * MINUTE_MS;

/// One call in the window: since when it counts (clock ms), and whether the host made
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    at: u64,
    foreign: bool,
}

/// The calls of one tenant that a provider may still count, ordered by time.
#[derive(Debug, Default)]
pub struct MinuteWindow {
    entries: VecDeque<Entry>,
}

impl MinuteWindow {
    /// Forget calls long out of the window (kept [`KEEP_MS`] for late reports).
    fn prune(&mut self, now: u64) {
        while self
            .entries
            .front()
            .is_some_and(|e| e.at.saturating_add(KEEP_MS) <= now)
        {
            self.entries.pop_front();
        }
    }

    fn insert(&mut self, entry: Entry) {
        let at = self.entries.partition_point(|e| e.at <= entry.at);
        self.entries.insert(at, entry);
    }

    /// The calls in the window at `now` (those counted in the last minute).
    pub fn len_at(&self, now: u64) -> usize {
        self.entries
            .iter()
            .filter(|e| e.at.saturating_add(MINUTE_MS) > now)
            .count()
    }

    /// The host's own calls in the window at `now`.
    pub fn own_at(&self, now: u64) -> usize {
        self.entries
            .iter()
            .filter(|e| !e.foreign && e.at.saturating_add(MINUTE_MS) > now)
            .count()
    }

    /// When a call fits under `limit`: `None` now, otherwise when enough calls will
    /// have left the window.
    pub fn next_start(&mut self, limit: usize, now: u64) -> Option<u64> {
        self.prune(now);
        let in_window = self.len_at(now);
        if in_window < limit {
            return None;
        }
        // The call that must leave for one more to fit (the oldest, unless foreign
        // calls overfilled the window).
        let leaving = in_window.saturating_sub(limit);
        let at = self
            .entries
            .iter()
            .filter(|e| e.at.saturating_add(MINUTE_MS) > now)
            .nth(leaving)
            .map_or(now, |e| e.at);
        // At least a few ms ahead, so a waiter never spins on an edge.
        Some(at.saturating_add(MINUTE_MS).max(now.saturating_add(5)))
    }

    /// Count a call sent at `now`.
    pub fn count(&mut self, now: u64) {
        self.prune(now);
        self.insert(Entry {
            at: now,
            foreign: false,
        });
    }

    /// The call sent at `sent` ended at `now`: it counts until a minute after `now`
    /// when the provider may have counted it, and not at all when it refused it.
    pub fn settle(&mut self, sent: u64, now: u64, counted: bool) {
        let own = self.entries.iter().position(|e| !e.foreign && e.at == sent);
        if let Some(index) = own {
            self.entries.remove(index);
        }
        if counted {
            self.insert(Entry {
                at: now.max(sent),
                foreign: false,
            });
        }
    }

    /// The provider said `used` calls were in its window when it counted the call sent
    /// at `sent`; enter the ones the host cannot account for as foreign calls at `now`.
    /// Returns how many were entered.
    pub fn observe(&mut self, used: u32, sent: u64, now: u64) -> u32 {
        // Every call that may still have been in the provider's window then: it had
        // been sent (everything in here has), and had not left a window ending at
        // `sent` (its time is at most its arrival, so this over-counts, never under).
        let known = self
            .entries
            .iter()
            .filter(|e| e.at.saturating_add(MINUTE_MS) > sent)
            .count();
        let known = u32::try_from(known).unwrap_or(u32::MAX);
        let missing = used.saturating_sub(known);
        for _ in 0..missing {
            self.insert(Entry {
                at: now,
                foreign: true,
            });
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_leaves_a_minute_after_its_answer_and_a_refused_one_at_once() {
        let mut w = MinuteWindow::default();
        w.count(0);
        w.count(10);
        assert_eq!(w.next_start(2, 10), Some(MINUTE_MS));
        // The first call's answer came back at 300: it counts until 60,300.
        w.settle(0, 300, true);
        assert_eq!(w.next_start(2, 300), Some(MINUTE_MS + 10));
        w.settle(10, 400, true);
        assert_eq!(w.next_start(2, 400), Some(MINUTE_MS + 300));
        assert_eq!(w.next_start(2, MINUTE_MS + 300), None);
        // A refused call frees its place.
        let mut w = MinuteWindow::default();
        w.count(0);
        w.count(1);
        w.settle(1, 2, false);
        assert_eq!(w.len_at(2), 1);
        assert_eq!(w.next_start(2, 2), None);
    }

    #[test]
    fn calls_the_provider_reports_beyond_ours_take_one_place_each() {
        let mut w = MinuteWindow::default();
        w.count(1_000);
        // The provider counts three: two the host did not make.
        assert_eq!(w.observe(3, 1_000, 1_050), 2);
        w.settle(1_000, 1_050, true);
        assert_eq!(w.len_at(1_050), 3);
        assert_eq!(w.own_at(1_050), 1);
        // The same report again adds nothing: the foreign calls count as known.
        assert_eq!(w.observe(3, 1_000, 1_060), 0);
        // With a limit of 4 one more fits; then the window is full until the oldest
        // leaves.
        assert_eq!(w.next_start(4, 1_100), None);
        w.count(1_100);
        w.settle(1_100, 1_100, true);
        assert_eq!(w.next_start(4, 1_200), Some(MINUTE_MS + 1_050));
    }

    #[test]
    fn a_report_made_while_calls_were_leaving_adds_nothing() {
        // Twenty calls, then the first leaves and a new one goes; another call's
        // bookkeeping meanwhile dropped nothing the provider still counted.
        let mut w = MinuteWindow::default();
        for t in 0..20 {
            w.count(t * 10);
            w.settle(t * 10, t * 10 + 2, true);
        }
        assert_eq!(w.next_start(20, 1_000), Some(MINUTE_MS + 2));
        let sent = MINUTE_MS + 2;
        w.count(sent);
        // The answer arrives after the second call has left the host's window too: the
        // provider, counting at arrival, still had 20, and so had the host.
        assert_eq!(w.observe(20, sent, MINUTE_MS + 20), 0);
        w.settle(sent, MINUTE_MS + 20, true);
        assert_eq!(
            w.next_start(20, MINUTE_MS + 20),
            None,
            "the second call left"
        );
    }
}
