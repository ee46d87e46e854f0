//! Running one export of one plugin version: a fresh Store and instance per call, with
//! a memory limit, a CPU budget (epoch deadline, yielding to tokio at every tick),
//! hostcall fuel and a wall-clock deadline that rate waits extend. Failures come back
//! as a [`CallError`] that names the cause.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wasmtime::component::{Instance, InstancePre};
use wasmtime::{Store, Trap, UpdateDeadline};

use super::Runtime;
use super::context::CallContext;
use super::host_state::HostState;
use super::plugin::{Plugin, PluginInfo};
use super::timing::within_wall_limit;
use super::types::{Batch, ConnectorError, Fields, Manifest, Tenant, TokenInfo};
use super::wit::WitVersion;

/// Why a plugin call did not produce a result.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum CallError {
    /// The plugin returned a classified error.
    #[error("{}", describe(.0))]
    Connector(ConnectorError),
    /// The host refused a request the plugin made, and the call then failed.
    #[error(
        "plugin request denied by the host: {reason} ({})",
        describe(plugin_error)
    )]
    Denied {
        /// The host's reason (undeclared host, body cap, reserved header...).
        reason: String,
        /// What the plugin returned after the denial.
        plugin_error: ConnectorError,
    },
    /// The guest ran longer than its CPU budget.
    #[error("plugin exceeded its CPU budget of {budget_millis} ms")]
    CpuLimit {
        /// The budget.
        budget_millis: u64,
    },
    /// The guest tried to grow memory past the limit.
    #[error("plugin exceeded its memory limit of {limit_bytes} bytes")]
    MemoryLimit {
        /// The limit.
        limit_bytes: usize,
    },
    /// The whole call (host calls included) took longer than allowed.
    #[error("plugin call exceeded the wall-clock limit of {limit_millis} ms")]
    WallTimeout {
        /// The limit.
        limit_millis: u64,
    },
    /// The guest panicked.
    #[error("plugin panicked: {message}")]
    Panic {
        /// The panic message from the guest's stderr.
        message: String,
    },
    /// The guest tried to pass more data to the host than it accepts, in one host
    /// call or in an export's result (stopped while copying, before the host holds it).
    #[error("plugin tried to pass more than {limit_bytes} bytes to the host at once")]
    OutputTooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// The guest trapped for another reason.
    #[error("plugin trapped: {message}")]
    Trap {
        /// The trap and its wasm backtrace.
        message: String,
    },
}

/// A plugin error as a person reads it.
pub fn describe(error: &ConnectorError) -> String {
    match error {
        ConnectorError::ReauthRequired(reason) => format!("reauthorisation required: {reason}"),
        ConnectorError::Forbidden(reason) => format!("forbidden: {reason}"),
        ConnectorError::RateLimited(0) => "rate limited by the provider".to_owned(),
        ConnectorError::RateLimited(seconds) => {
            format!("rate limited by the provider for {seconds} s")
        }
        ConnectorError::Transient(reason) => format!("temporary failure: {reason}"),
        ConnectorError::InvalidData(reason) => {
            format!("unexpected data from the provider: {reason}")
        }
    }
}

/// The text of wasmtime's (private) hostcall-fuel error.
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// A boxed export invocation, borrowing the store.
pub(crate) type Invoke<'a, R> =
    Pin<Box<dyn Future<Output = wasmtime::Result<Result<R, ConnectorError>>> + Send + 'a>>;

/// Extract the panic message from a Rust guest's stderr.
fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at")?;
    let after = &stderr[start..];
    let body: Vec<&str> = after
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("note:"))
        .collect();
    let message = body.join("\n").trim().to_owned();
    Some(if message.is_empty() {
        after.lines().next().unwrap_or_default().to_owned()
    } else {
        message
    })
}

fn classify(error: wasmtime::Error, state: &HostState) -> CallError {
    if state.cpu_exhausted {
        return CallError::CpuLimit {
            budget_millis: state.limits.cpu_millis,
        };
    }
    if state.memory.hit {
        return CallError::MemoryLimit {
            limit_bytes: state.limits.memory_bytes,
        };
    }
    if let Some(message) = panic_message(&state.stderr_text()) {
        return CallError::Panic { message };
    }
    // wasmtime 48 reports exhausted hostcall fuel with a private error type.
    if format!("{error:#}").contains(HOSTCALL_FUEL_EXHAUSTED) {
        return CallError::OutputTooLarge {
            limit_bytes: state.limits.hostcall_bytes,
        };
    }
    let trap = error.downcast_ref::<Trap>().map(|t| t.to_string());
    CallError::Trap {
        message: trap.unwrap_or_else(|| format!("{error:#}")),
    }
}

impl Runtime {
    /// A fresh store for one call, with every limit set.
    fn new_store(&self, plugin: Arc<PluginInfo>, ctx: CallContext) -> Store<HostState> {
        let state = HostState::new(ctx, plugin, self.caps.clone(), self.limits.clone());
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.set_hostcall_fuel(self.limits.hostcall_bytes);
        store.set_epoch_deadline(1);
        // At every epoch tick: trap a guest over its CPU budget, otherwise yield to tokio
        // (`tokio::task::yield_now`, which lets the worker run its other tasks and poll
        // its I/O driver) and give the guest one more tick. A busy guest therefore never
        // holds a worker for longer than one tick; the time it then waits to be polled
        // again is not counted as its CPU time (see `super::timing`).
        store.epoch_deadline_callback(|mut cx| {
            let state = cx.data_mut();
            if state.guest_time() >= state.limits.cpu() {
                state.cpu_exhausted = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::YieldCustom(
                1,
                state.timing.yield_to_tokio(),
            ))
        });
        store
    }

    /// Instantiate `pre` in a fresh store and run `invoke` on the new instance under
    /// the call limits: memory, CPU budget, hostcall fuel and wall-clock timeout.
    pub(crate) async fn run_instance<R, F>(
        &self,
        pre: &InstancePre<HostState>,
        plugin: Arc<PluginInfo>,
        ctx: CallContext,
        invoke: F,
    ) -> Result<R, CallError>
    where
        R: Send,
        F: for<'a> FnOnce(Instance, &'a mut Store<HostState>) -> Invoke<'a, R> + Send,
    {
        let _slot = self.slots.acquire().await.map_err(|_| CallError::Trap {
            message: "the runtime is shutting down".into(),
        })?;
        // Epoch ticks (CPU budget checks, yields) only while a call runs.
        let _ticking = self.ticker.call_started();
        let mut store = self.new_store(plugin, ctx);
        let timing = store.data().timing.clone();
        let call = async {
            let outcome = match pre.instantiate_async(&mut store).await {
                Ok(instance) => invoke(instance, &mut store).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(plugin_error)) => Err(match store.data().denials.first() {
                    Some(reason) => CallError::Denied {
                        reason: reason.clone(),
                        plugin_error,
                    },
                    None => CallError::Connector(plugin_error),
                }),
                Err(error) => Err(classify(error, store.data())),
            }
        };
        // The wall limit is a deadline that rate-limit and `Retry-After` waits move.
        match within_wall_limit(self.limits.wall(), &timing, call).await {
            Some(result) => result,
            None => Err(CallError::WallTimeout {
                limit_millis: self.limits.wall_millis,
            }),
        }
    }

    /// Instantiate `plugin` and run `invoke` (one export call of the plugin's world
    /// version, see [`super::wit`]) under the call limits.
    ///
    /// The export calls look up and type-check only the export they call (the full
    /// world bindings would check all six on every instantiation). Its duration is
    /// recorded under `export` ([`crate::metrics::PLUGIN_CALL_SECONDS`]).
    async fn call_export<T, F>(
        &self,
        plugin: &Plugin,
        ctx: CallContext,
        export: &'static str,
        invoke: F,
    ) -> Result<T, CallError>
    where
        T: Send,
        F: for<'a> FnOnce(WitVersion, Instance, &'a mut Store<HostState>) -> Invoke<'a, T> + Send,
    {
        let version = plugin.pre.version();
        let started = std::time::Instant::now();
        let result = self
            .run_instance(
                plugin.pre.instance_pre(),
                plugin.info.clone(),
                ctx,
                move |instance, store| invoke(version, instance, store),
            )
            .await;
        crate::metrics::plugin_call(export, started.elapsed());
        result
    }

    /// `describe()` of a loaded plugin.
    pub async fn describe(&self, plugin: &Plugin) -> Result<Manifest, CallError> {
        self.call_export(plugin, CallContext::detached(), "describe", |wit, i, s| {
            Box::pin(wit.describe(i, s))
        })
        .await
    }

    /// `authorize-params(scopes)`.
    pub async fn authorize_params(
        &self,
        plugin: &Plugin,
        ctx: CallContext,
        scopes: &[String],
    ) -> Result<Fields, CallError> {
        let scopes = scopes.to_vec();
        self.call_export(plugin, ctx, "authorize-params", move |wit, i, s| {
            Box::pin(wit.authorize_params(i, s, scopes))
        })
        .await
    }

    /// `complete-authorization(callback-params)`.
    pub async fn complete_authorization(
        &self,
        plugin: &Plugin,
        ctx: CallContext,
        params: &Fields,
    ) -> Result<Vec<Tenant>, CallError> {
        let params = params.clone();
        self.call_export(plugin, ctx, "complete-authorization", move |wit, i, s| {
            Box::pin(wit.complete_authorization(i, s, params))
        })
        .await
    }

    /// `refresh()`.
    pub async fn refresh(&self, plugin: &Plugin, ctx: CallContext) -> Result<TokenInfo, CallError> {
        self.call_export(plugin, ctx, "refresh", |wit, i, s| {
            Box::pin(wit.refresh(i, s))
        })
        .await
    }

    /// `sync(stream, tenant, cursor)`: one page. Pages over the batch cap are refused.
    pub async fn sync(
        &self,
        plugin: &Plugin,
        ctx: CallContext,
        stream: &str,
        tenant: &Tenant,
        cursor: Option<&str>,
    ) -> Result<Batch, CallError> {
        let (stream, tenant) = (stream.to_owned(), tenant.clone());
        let cursor = cursor.map(str::to_owned);
        let batch = self
            .call_export(plugin, ctx, "sync", move |wit, i, s| {
                Box::pin(wit.sync(i, s, stream, tenant, cursor))
            })
            .await?;
        let bytes: usize = batch
            .records
            .iter()
            .map(|r| r.id.len() + r.data.len())
            .sum();
        if bytes > self.limits.batch_bytes {
            return Err(CallError::OutputTooLarge {
                limit_bytes: self.limits.batch_bytes,
            });
        }
        Ok(batch)
    }

    /// `disconnect(tenant)`.
    pub async fn disconnect(
        &self,
        plugin: &Plugin,
        ctx: CallContext,
        tenant: &Tenant,
    ) -> Result<(), CallError> {
        let tenant = tenant.clone();
        self.call_export(plugin, ctx, "disconnect", move |wit, i, s| {
            Box::pin(wit.disconnect(i, s, tenant))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::panic_message;

    #[test]
    fn extracts_rust_panic_messages() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:9:5:\nconnector exploded: test panic\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("connector exploded: test panic")
        );
        assert_eq!(panic_message("nothing here"), None);
    }
}
