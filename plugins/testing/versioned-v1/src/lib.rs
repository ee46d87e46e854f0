//! `test-versioned` 1.0.0: see `common.rs`.

mod common;
