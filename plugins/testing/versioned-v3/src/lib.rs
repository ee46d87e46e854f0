//! `test-versioned`: see `common.rs`.

#[path = "../../versioned-v1/src/common.rs"]
mod common;
