//! `test-minimal`: the smallest connector, `#![no_std]` + `alloc` with zero WASI
//! imports. It proves that no_std guests work with the host and gives the call
//! benchmark a component whose instantiation is nothing but the connector itself.
//!
//! | export | behaviour |
//! |---|---|
//! | `describe` | id `test-minimal`, version `1.0.0`, one allowed host `api.test.invalid` |
//! | `authorize-params` | `[("prompt", "consent")]` |
//! | `complete-authorization` | one tenant `t-1` "Test Org" (no host call) |
//! | `refresh` | `token-info` with `expires-in: 3600` (no host call) |
//! | `sync` | an empty page, `has-more: false` |
//! | `disconnect` | `ok` |
//!
//! What no_std needs (the std SDK would bring WASI imports through std's panic and
//! out-of-memory paths): a global allocator, a panic handler, an exported `memcmp`
//! and an exported `cabi_realloc` (wit-bindgen only emits it for p1/unknown targets).

#![no_std]
// The generated export glue for `sync` takes many flat arguments.
#![allow(clippy::too_many_arguments)]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

wit_bindgen::generate!({
    path: "../../../wit/connector-0.1.0",
    world: "connector",
});

use mooring::connector::types::{AuthConfig, ClientAuth, RateBudget, TokenPolicy};

struct Minimal;

impl Guest for Minimal {
    fn describe() -> Manifest {
        Manifest {
            id: "test-minimal".to_string(),
            name: "Test: minimal (no_std)".to_string(),
            version: "1.0.0".to_string(),
            auth: AuthConfig {
                authorize_url: "https://login.test.invalid/authorize".to_string(),
                token_url: "https://api.test.invalid/token".to_string(),
                revoke_url: None,
                default_scopes: Vec::new(),
                pkce: false,
                client_auth: ClientAuth::Basic,
            },
            allowed_hosts: vec!["api.test.invalid".to_string()],
            streams: Vec::new(),
            rate_budget: RateBudget {
                per_minute: None,
                per_day: None,
                concurrency: None,
                minute_remaining_header: None,
                day_remaining_header: None,
                app_minute_remaining_header: None,
                default_retry_after: 60,
            },
            token_policy: TokenPolicy {
                refresh_ahead: 300,
                refresh_token_idle_lifetime: None,
                keep_alive_after: None,
                grace_window: 0,
            },
        }
    }

    fn authorize_params(_scopes: Vec<String>) -> Fields {
        vec![("prompt".to_string(), "consent".to_string())]
    }

    fn complete_authorization(_params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
        Ok(vec![Tenant {
            id: "t-1".to_string(),
            name: "Test Org".to_string(),
            metadata: Vec::new(),
        }])
    }

    fn refresh() -> Result<TokenInfo, ConnectorError> {
        Ok(TokenInfo {
            expires_in: Some(3600),
            refresh_token_expires_in: None,
            scopes: Vec::new(),
            extra: Vec::new(),
        })
    }

    fn sync(
        _stream: String,
        _tenant: Tenant,
        _cursor: Option<String>,
    ) -> Result<Batch, ConnectorError> {
        Ok(Batch {
            records: Vec::new(),
            next_cursor: None,
            has_more: false,
        })
    }

    fn disconnect(_tenant: Tenant) -> Result<(), ConnectorError> {
        Ok(())
    }
}

export!(Minimal);

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// A panic (or an allocation failure, which panics under no_std) traps the instance;
/// the host reports the trap. Nothing here can panic in practice.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// `compiler_builtins` calls libc's `memcmp`, which no_std wasm does not have.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: the caller guarantees `n` readable bytes behind both pointers.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// The canonical ABI's allocator entry point (wit-bindgen emits it only for p1 and
/// unknown targets, not for wasm32-wasip2).
///
/// # Safety
/// Called by the host per the canonical ABI: `old_ptr`/`old_len` describe a block this
/// allocator handed out (or are null/0), `align` is a power of two.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, handle_alloc_error, realloc};
    // SAFETY: per the canonical ABI, `align` is a power of two and the sizes fit.
    let layout = unsafe { Layout::from_size_align_unchecked(new_len, align) };
    let ptr = if old_len == 0 {
        if new_len == 0 {
            return align as *mut u8;
        }
        // SAFETY: `new_len` is non-zero.
        unsafe { alloc(layout) }
    } else {
        // SAFETY: the block came from this allocator with this alignment and `old_len`.
        unsafe {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        handle_alloc_error(layout);
    }
    ptr
}
