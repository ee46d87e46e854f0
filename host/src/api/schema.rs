//! OpenAPI schemas the derive cannot write: the store's enums, built from the store's
//! own lists and names so that a new state or event kind shows up in the document
//! without anyone touching it, and the error body every refusal uses.
//!
//! The types here are never serialised; view fields name them with
//! `#[schema(value_type = …)]`.

use std::borrow::Cow;

use mooring_store::{Cause, ConnectionState, EventKind, RunStatus};
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A string schema that allows exactly `values`.
fn string_enum<'a>(description: &str, values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.into_iter().map(str::to_owned)))
}

/// Schema of [`ConnectionState`], named `ConnectionState`.
pub struct ConnectionStateSchema;

impl PartialSchema for ConnectionStateSchema {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "Where a connection is in its life cycle.",
            ConnectionState::ALL.map(ConnectionState::as_str),
        )
        .into()
    }
}

impl ToSchema for ConnectionStateSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ConnectionState")
    }
}

/// Every [`Cause`], in declaration order. The match in the test below fails to compile
/// when a cause is added and not listed here.
pub const CAUSES: [Cause; 13] = [
    Cause::Created,
    Cause::Connected,
    Cause::TenantChoice,
    Cause::TenantSelected,
    Cause::Reconnected,
    Cause::CallFailed,
    Cause::GrantFailed,
    Cause::RateLimited,
    Cause::RunsFailing,
    Cause::Recovered,
    Cause::Disabled,
    Cause::Enabled,
    Cause::Deleted,
];

/// Schema of [`Cause`], named `Cause`.
pub struct CauseSchema;

impl PartialSchema for CauseSchema {
    fn schema() -> RefOr<Schema> {
        string_enum("Why a connection changed state.", CAUSES.map(Cause::as_str)).into()
    }
}

impl ToSchema for CauseSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Cause")
    }
}

/// Every [`RunStatus`].
pub const RUN_STATUSES: [RunStatus; 4] = [
    RunStatus::Running,
    RunStatus::Succeeded,
    RunStatus::Failed,
    RunStatus::Interrupted,
];

/// The serialised name of a [`RunStatus`].
fn run_status_name(status: RunStatus) -> String {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{status:?}").to_lowercase(),
    }
}

/// Schema of [`RunStatus`], named `RunStatus`.
pub struct RunStatusSchema;

impl PartialSchema for RunStatusSchema {
    fn schema() -> RefOr<Schema> {
        let names: Vec<String> = RUN_STATUSES.into_iter().map(run_status_name).collect();
        string_enum(
            "How a sync run ended, or `running`.",
            names.iter().map(String::as_str),
        )
        .into()
    }
}

impl ToSchema for RunStatusSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RunStatus")
    }
}

/// Schema of [`EventKind`], named `EventKind`: one of the known kinds, or (for events
/// written by another version) any other string.
pub struct EventKindSchema;

impl PartialSchema for EventKindSchema {
    fn schema() -> RefOr<Schema> {
        let known = string_enum(
            "A kind this version writes.",
            EventKind::KNOWN.iter().map(EventKind::as_str),
        );
        let other = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A kind written by an older or newer version."));
        AnyOfBuilder::new()
            .description(Some(
                "What happened, as a stable dotted string (`connection.active`, \
                 `plugin.activated`, …). A connection transition's kind names the state it \
                 entered.",
            ))
            .item(known)
            .item(other)
            .into()
    }
}

impl ToSchema for EventKindSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("EventKind")
    }
}

/// Schema of a scope, named `Scope`: 1-200 characters, no whitespace or control
/// characters (see `crate::validate::scopes`).
pub struct Scope;

impl PartialSchema for Scope {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(crate::validate::MAX_SCOPE_CHARS))
            .pattern(Some("^[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$"))
            .into()
    }
}

impl ToSchema for Scope {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Scope")
    }
}

/// The body of every error under `/api`: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The `error` of an [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `bad_request`, `invalid_body`, `invalid_json`,
    /// `invalid_query`, `invalid_path`, `invalid_cursor`, `unauthorized`, `not_found`,
    /// `unknown_stream`, `unknown_provider`, `method_not_allowed`, `conflict`,
    /// `capabilities_not_approved`, `not_syncable`, `too_large`,
    /// `unsupported_media_type`, `invalid_plugin`, `plugin_unavailable`,
    /// `authorization_failed`, `internal`, …
    pub code: String,
    /// What went wrong, for a person. Never quotes a refused value.
    pub message: String,
}

/// Any JSON value (a synced record's data).
pub fn any_json() -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .description(Some("Any JSON value."))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_is_listed() {
        for cause in CAUSES {
            // Exhaustive: a new cause breaks the build here until CAUSES lists it.
            let index = match cause {
                Cause::Created => 0,
                Cause::Connected => 1,
                Cause::TenantChoice => 2,
                Cause::TenantSelected => 3,
                Cause::Reconnected => 4,
                Cause::CallFailed => 5,
                Cause::GrantFailed => 6,
                Cause::RateLimited => 7,
                Cause::RunsFailing => 8,
                Cause::Recovered => 9,
                Cause::Disabled => 10,
                Cause::Enabled => 11,
                Cause::Deleted => 12,
            };
            assert_eq!(CAUSES[index], cause);
            assert_eq!(
                serde_json::to_value(cause).expect("serialise"),
                serde_json::Value::String(cause.as_str().to_owned())
            );
        }
    }

    #[test]
    fn every_run_status_is_listed() {
        for status in RUN_STATUSES {
            let index = match status {
                RunStatus::Running => 0,
                RunStatus::Succeeded => 1,
                RunStatus::Failed => 2,
                RunStatus::Interrupted => 3,
            };
            assert_eq!(RUN_STATUSES[index], status);
        }
        assert_eq!(run_status_name(RunStatus::Interrupted), "interrupted");
    }

    #[test]
    fn enum_schemas_use_the_serialised_names() {
        let json = serde_json::to_value(ConnectionStateSchema::schema()).expect("json");
        assert_eq!(json["enum"].as_array().map(Vec::len), Some(8), "{json}");
        assert!(json.to_string().contains("needs_reauth"), "{json}");
        let json = serde_json::to_value(EventKindSchema::schema()).expect("json");
        assert!(json.to_string().contains("connection.active"), "{json}");
    }
}
