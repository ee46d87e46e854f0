//! The connection state machine: which state may move to which, and the one entry
//! point that moves a connection. [`apply`] reads the connection, checks the move
//! against [`allowed`] (and, when asked, that the connection still holds the grant the
//! caller acted on), runs the caller's edit and writes the connection and its event,
//! all inside the caller's single write transaction.
//!
//! ```text
//!  pending ──consent, 1 tenant──▶ active ◀──recovered── degraded
//!     │                            ▲ │ ▲                   ▲
//!     └─several tenants─▶ awaiting_tenant       rate limit, failing runs
//!                          (choose) ─┘ │ └─reconnect─ needs_reauth / needs_scope
//!                                      └─dead grant / missing scope─▶ (those)
//!  any live state ──operator──▶ disabled ──enable──▶ active;   any ──▶ deleted (final)
//! ```

use mooring_store::{
    Cause, Connection, ConnectionState, Event, EventKind, Store, StoreError, WriteTx,
};

use ConnectionState::{
    Active, AwaitingTenant, Degraded, Deleted, Disabled, NeedsReauth, NeedsScope, Pending,
};

/// Whether a connection in `from` may move to `to`. Staying in a state is a move too
/// (a reconnect of an active connection, a new reason for a degraded one).
pub fn allowed(from: ConnectionState, to: ConnectionState) -> bool {
    match (from, to) {
        (Deleted, _) => false,
        (_, Deleted) | (_, Disabled) => true,
        (Pending, AwaitingTenant | Active | NeedsScope) => true,
        (AwaitingTenant, Active | NeedsScope) => true,
        (Active | Degraded, Active | Degraded | NeedsReauth | NeedsScope) => true,
        (NeedsReauth, Active | NeedsScope) => true,
        (NeedsScope, Active | NeedsScope | NeedsReauth) => true,
        (Disabled, Active) => true,
        _ => false,
    }
}

/// One requested move of one connection.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The connection.
    pub connection: String,
    /// The state it should enter.
    pub to: ConnectionState,
    /// Why.
    pub cause: Cause,
    /// The reason people read (replaces the old one; `None` clears it).
    pub reason: Option<String>,
    /// Move only while the connection still holds this grant: a failure seen on a grant
    /// that a reconnect (or a deletion) has since replaced changes nothing.
    pub if_grant: Option<String>,
    /// When (ms).
    pub at: u64,
}

impl Transition {
    /// A move of `connection` to `to` for `cause`, at `at`.
    pub fn new(connection: &str, to: ConnectionState, cause: Cause, at: u64) -> Self {
        Self {
            connection: connection.to_owned(),
            to,
            cause,
            reason: None,
            if_grant: None,
            at,
        }
    }

    /// With this reason.
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// With this reason, if any.
    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    /// Only while the connection holds `grant`.
    pub fn if_grant(mut self, grant: &str) -> Self {
        self.if_grant = Some(grant.to_owned());
        self
    }
}

/// Why a transition did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// No such connection.
    #[error("connection {0:?} does not exist")]
    NotFound(String),
    /// The state machine does not allow the move.
    #[error("connection {id} is {from}; it cannot become {to}")]
    NotAllowed {
        /// The connection.
        id: String,
        /// Its state.
        from: ConnectionState,
        /// The state asked for.
        to: ConnectionState,
    },
    /// The connection no longer holds the grant the caller acted on.
    #[error("connection {0} no longer holds the grant this outcome concerns")]
    StaleGrant(String),
    /// The tenant is bound to another live connection of the same integration.
    #[error("{0}")]
    TenantTaken(String),
    /// The caller's edit refused (the text says why; nothing was written).
    #[error("{0}")]
    Refused(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransitionError {
    /// Whether the transition was simply not applicable (the connection moved on, or
    /// is gone): callers reacting to a failure treat these as "nothing to do".
    pub fn is_moot(&self) -> bool {
        matches!(
            self,
            TransitionError::NotFound(_)
                | TransitionError::NotAllowed { .. }
                | TransitionError::StaleGrant(_)
        )
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The connection moved (or changed within its state); the event was recorded.
    Moved {
        /// The connection as written.
        connection: Connection,
        /// The event as recorded (with its sequence number).
        event: Event,
    },
    /// The connection already was in that state for that reason and the edit changed
    /// nothing: no write, no event.
    Unchanged(Connection),
}

impl Applied {
    /// The connection after the transition.
    pub fn connection(&self) -> &Connection {
        match self {
            Applied::Moved { connection, .. } | Applied::Unchanged(connection) => connection,
        }
    }
}

/// The single entry point of every state change, inside `tx`: read, check, edit,
/// write the connection and its event. `edit` runs after the checks and may change the
/// connection's other fields and write related rows (grants, plugin state) in the same
/// transaction; its error aborts the transition.
pub fn apply(
    tx: &WriteTx<'_>,
    transition: &Transition,
    edit: impl FnOnce(&WriteTx<'_>, &mut Connection) -> Result<(), TransitionError>,
) -> Result<Applied, TransitionError> {
    let id = transition.connection.as_str();
    let before = tx
        .connection(id)?
        .ok_or_else(|| TransitionError::NotFound(id.to_owned()))?;
    let from = before.state;
    if !allowed(from, transition.to) {
        return Err(TransitionError::NotAllowed {
            id: id.to_owned(),
            from,
            to: transition.to,
        });
    }
    if let Some(expected) = &transition.if_grant
        && before.grant.as_deref() != Some(expected.as_str())
    {
        return Err(TransitionError::StaleGrant(id.to_owned()));
    }
    let mut after = before.clone();
    edit(tx, &mut after)?;
    after.state = transition.to;
    after.reason = transition.reason.clone();
    if after == before {
        return Ok(Applied::Unchanged(before));
    }
    after.updated_at = transition.at;
    tx.put_connection(&after)?;
    let mut event = Event {
        seq: 0,
        at: transition.at,
        connection: id.to_owned(),
        kind: EventKind::entered(transition.to),
        from: Some(from),
        to: Some(transition.to),
        reason: after.reason.clone(),
        cause: Some(transition.cause),
        run: None,
    };
    event.seq = tx.append_event(&event)?;
    Ok(Applied::Moved {
        connection: after,
        event,
    })
}

/// Create `connection` (in `pending`) and record `connection.created`, inside `tx`.
pub fn create(tx: &WriteTx<'_>, connection: &Connection) -> Result<Event, TransitionError> {
    if tx.connection(&connection.id)?.is_some() {
        return Err(TransitionError::Refused(format!(
            "connection {} already exists",
            connection.id
        )));
    }
    tx.put_connection(connection)?;
    let mut event = Event {
        seq: 0,
        at: connection.created_at,
        connection: connection.id.clone(),
        kind: EventKind::ConnectionCreated,
        from: None,
        to: Some(connection.state),
        reason: None,
        cause: Some(Cause::Created),
        run: None,
    };
    event.seq = tx.append_event(&event)?;
    Ok(event)
}

/// Record an event about `connection` that is not a transition (a declined or failed
/// consent), inside `tx`. A connection still `pending` also takes `reason` as its own, so
/// the person sees why the consent did not complete; any other state keeps its reason.
pub fn note(
    tx: &WriteTx<'_>,
    connection: &str,
    kind: EventKind,
    reason: &str,
    at: u64,
) -> Result<Event, TransitionError> {
    if let Some(mut current) = tx.connection(connection)?
        && current.state == Pending
    {
        current.reason = Some(reason.to_owned());
        current.updated_at = at;
        tx.put_connection(&current)?;
    }
    let mut event = Event {
        seq: 0,
        at,
        connection: connection.to_owned(),
        kind,
        from: None,
        to: None,
        reason: Some(reason.to_owned()),
        cause: None,
        run: None,
    };
    event.seq = tx.append_event(&event)?;
    Ok(event)
}

/// Refuse binding `tenant` to `connection` when another live connection of the same
/// integration holds it. Call inside the transaction that binds it, so two concurrent
/// binds of one organisation leave exactly one winner.
pub fn ensure_tenant_free(
    tx: &WriteTx<'_>,
    connection: &Connection,
    tenant: &str,
    tenant_name: &str,
) -> Result<(), TransitionError> {
    // The store's tenant index names the candidates; each is read back and checked, so
    // the index only ever narrows the search.
    let mut holder = None;
    for id in tx.tenant_holders(&connection.integration, tenant)? {
        if id == connection.id {
            continue;
        }
        if let Some(other) = tx.connection(&id)?
            && other.state != Deleted
            && other.integration == connection.integration
            && other.tenant.as_ref().is_some_and(|t| t.id == tenant)
        {
            holder = Some(other);
            break;
        }
    }
    match holder {
        Some(other) => Err(TransitionError::TenantTaken(format!(
            "organisation '{tenant_name}' is already connected as connection {} of this integration",
            other.id
        ))),
        None => Ok(()),
    }
}

/// Run `f` in one write transaction of `store`, committing only when it succeeds; its
/// [`TransitionError`] comes back as it was (a store failure as `Store`).
pub fn in_write<T>(
    store: &Store,
    f: impl FnOnce(&WriteTx<'_>) -> Result<T, TransitionError>,
) -> Result<T, TransitionError> {
    let mut refused = None;
    let result = store.write(|tx| match f(tx) {
        Ok(value) => Ok(Some(value)),
        Err(error) => {
            refused = Some(error);
            Err(StoreError::InvalidInput("transition refused".into()))
        }
    });
    match (result, refused) {
        (_, Some(error)) => Err(error),
        (Ok(Some(value)), None) => Ok(value),
        (Ok(None), None) => Err(TransitionError::Refused(
            "the transition did not run".into(),
        )),
        (Err(error), None) => Err(error.into()),
    }
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
