//! Handing freed heap memory back to the OS after a burst.
//!
//! The system allocator (glibc) keeps what a burst of large requests grew in its
//! per-thread arenas: RSS stayed at 2.3× its baseline after 460 bad-input requests of up
//! to 32 MiB. `malloc_trim(0)` every [`EVERY`] returns the free pages of every arena to
//! the OS; it costs microseconds when there is nothing to return. (mimalloc was tried:
//! it kept 741 MB after the same burst.) `benches/burst.rs` measures it.

use std::time::Duration;

/// How often freed heap memory is handed back to the OS.
pub const EVERY: Duration = Duration::from_secs(10);

/// Returns the allocator's free memory to the OS now (glibc only; elsewhere nothing).
pub fn trim_now() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and releases the allocator's free memory; it takes
    // the arena locks itself and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Spawns the task that calls [`trim_now`] every [`EVERY`] on the current runtime.
pub fn spawn() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {
        let mut ticker = tokio::time::interval(EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            trim_now();
        }
    })
}
