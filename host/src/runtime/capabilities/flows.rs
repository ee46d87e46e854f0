//! OAuth flows being completed, one record each. A flow lives in the store's flows
//! table from its authorize URL until its callback arrives; the callback takes it out
//! (spending its `state`) and puts it here, where the code exchange stages its grant
//! and the plugin's state writes, until the host commits them with the connection's
//! transition or drops them. Nothing else holds a flow.

use std::collections::HashMap;
use std::sync::Mutex;

use mooring_store::{Flow, Grant};

use super::state::{StateUsage, admit};

/// A staged state change: `Some` sets the value, `None` deletes the key.
pub type StagedWrite = (String, Option<Vec<u8>>);

/// One flow being completed.
#[derive(Debug)]
pub struct FlowInFlight {
    /// The flow record, taken out of the store.
    pub flow: Flow,
    /// The redirect URI the authorize request used.
    pub redirect_uri: String,
    /// The grant obtained by the code exchange, sealed, not yet any connection's.
    pub staged_grant: Option<Grant>,
    /// Plugin state written during the flow, applied when the grant is committed.
    pub state_writes: Vec<StagedWrite>,
}

impl FlowInFlight {
    /// A flow that has staged nothing yet.
    pub fn new(flow: Flow, redirect_uri: String) -> Self {
        Self {
            flow,
            redirect_uri,
            staged_grant: None,
            state_writes: Vec::new(),
        }
    }
}

/// What the code exchange needs to know of a flow in flight.
#[derive(Debug, Clone)]
pub struct FlowFacts {
    /// The connection being connected or reconnected.
    pub connection: String,
    /// The redirect URI the authorize request used.
    pub redirect_uri: String,
    /// The sealed PKCE verifier.
    pub pkce: Option<mooring_store::Sealed>,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// The grant staged so far.
    pub staged_grant: Option<Grant>,
}

/// The flows being completed, by `state`.
#[derive(Debug, Default)]
pub struct FlowsInFlight {
    flows: Mutex<HashMap<String, FlowInFlight>>,
}

/// The error a plugin sees when it acts for a flow that is no longer in flight.
const NOT_IN_FLIGHT: &str = "the authorization flow is no longer in progress";

impl FlowsInFlight {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, FlowInFlight>) -> R) -> R {
        f(&mut self.flows.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Start completing `flight` (its `state` already spent in the store).
    pub fn begin(&self, flight: FlowInFlight) {
        self.with(|m| m.insert(flight.flow.state.clone(), flight));
    }

    /// Stop completing the flow `state`, returning everything it staged.
    pub fn end(&self, state: &str) -> Option<FlowInFlight> {
        self.with(|m| m.remove(state))
    }

    /// How many flows are being completed.
    pub fn len(&self) -> usize {
        self.with(|m| m.len())
    }

    /// Whether no flow is being completed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The facts of flow `state`, if it is in flight.
    pub fn facts(&self, state: &str) -> Option<FlowFacts> {
        self.with(|m| {
            let f = m.get(state)?;
            Some(FlowFacts {
                connection: f.flow.connection.clone(),
                redirect_uri: f.redirect_uri.clone(),
                pkce: f.flow.pkce_verifier.clone(),
                scopes: f.flow.scopes.clone(),
                staged_grant: f.staged_grant.clone(),
            })
        })
    }

    /// Stage the grant the code exchange of flow `state` obtained.
    pub fn stage_grant(&self, state: &str, grant: Grant) -> Result<(), String> {
        self.with(|m| {
            let f = m.get_mut(state).ok_or(NOT_IN_FLIGHT)?;
            f.staged_grant = Some(grant);
            Ok(())
        })
    }

    /// Stage a change of `key`, replacing an earlier change of the same key, within
    /// the per-connection caps (counting staged deletions as keys, so a flow cannot
    /// grow without bound either). The error text goes to the plugin.
    pub(crate) fn push_write(
        &self,
        state: &str,
        key: String,
        value: Option<Vec<u8>>,
    ) -> Result<(), String> {
        self.with(|m| {
            let writes = &mut m.get_mut(state).ok_or(NOT_IN_FLIGHT)?.state_writes;
            writes.retain(|(k, _)| *k != key);
            let usage = writes
                .iter()
                .fold(StateUsage::default(), |u, (k, v)| StateUsage {
                    keys: u.keys.saturating_add(1),
                    bytes: u
                        .bytes
                        .saturating_add((k.len() + v.as_ref().map_or(0, Vec::len)) as u64),
                });
            admit(usage, &key, value.as_deref().unwrap_or_default())?;
            writes.push((key, value));
            Ok(())
        })
    }

    /// The latest staged change of `key` in flow `state`, if any.
    pub(crate) fn staged_write(&self, state: &str, key: &str) -> Option<Option<Vec<u8>>> {
        self.with(|m| {
            m.get(state)?
                .state_writes
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::capabilities::state::{MAX_KEYS_PER_CONNECTION, MAX_VALUE_BYTES};
    use mooring_store::FlowKind;

    fn flight(state: &str) -> FlowInFlight {
        FlowInFlight::new(
            Flow {
                state: state.into(),
                connection: "c1".into(),
                kind: FlowKind::Connect,
                pkce_verifier: None,
                scopes: vec!["a".into()],
                created_at: 0,
                expires_at: 1,
            },
            "https://host/oauth/callback".into(),
        )
    }

    #[test]
    fn staged_flow_state_is_capped_and_rewrites_do_not_grow_it() {
        let flows = FlowsInFlight::default();
        flows.begin(flight("f"));
        flows.begin(flight("g"));
        for _ in 0..10_000 {
            flows
                .push_write("f", "same".into(), Some(b"v".to_vec()))
                .expect("rewrite");
        }
        assert_eq!(flows.staged_write("f", "same"), Some(Some(b"v".to_vec())));
        for i in 1..MAX_KEYS_PER_CONNECTION {
            let value = (i % 2 == 0).then(|| b"v".to_vec());
            flows
                .push_write("f", format!("k{i}"), value)
                .expect("under the cap");
        }
        let full = flows
            .push_write("f", "k-last".into(), None)
            .expect_err("over the cap");
        assert!(full.contains("plugin state is full"), "{full}");
        let ended = flows.end("f").expect("in flight");
        assert_eq!(ended.state_writes.len() as u64, MAX_KEYS_PER_CONNECTION);
        let big = vec![0u8; MAX_VALUE_BYTES];
        let refused = (0..20).find_map(|i| {
            flows
                .push_write("g", format!("b{i}"), Some(big.clone()))
                .err()
        });
        assert!(refused.is_some_and(|e| e.contains("bytes")));
    }

    #[test]
    fn a_flow_is_one_record_from_begin_to_end() {
        let flows = FlowsInFlight::default();
        assert!(
            flows.stage_grant("f", sealed_grant()).is_err(),
            "not in flight"
        );
        assert!(flows.push_write("f", "k".into(), None).is_err());
        flows.begin(flight("f"));
        assert_eq!(flows.facts("f").map(|f| f.connection), Some("c1".into()));
        flows.stage_grant("f", sealed_grant()).expect("stage");
        flows
            .push_write("f", "k".into(), Some(b"v".to_vec()))
            .expect("write");
        let ended = flows.end("f").expect("ended");
        assert!(ended.staged_grant.is_some() && ended.state_writes.len() == 1);
        assert!(flows.is_empty() && flows.end("f").is_none());
    }

    fn sealed_grant() -> Grant {
        let sealed: mooring_store::Sealed =
            serde_json::from_str(r#"{"v":1,"nonce":"","ct":""}"#).expect("sealed");
        Grant {
            id: "g".into(),
            integration: "i".into(),
            access_token: sealed,
            refresh_token: None,
            previous_refresh_token: None,
            previous_rotated_at: None,
            access_expires_at: None,
            refresh_expires_at: None,
            refresh_hard_expires_at: None,
            last_refreshed_at: None,
            last_used_at: None,
            scopes: vec![],
            extra: vec![],
        }
    }
}
