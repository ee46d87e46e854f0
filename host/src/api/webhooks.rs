//! `/api/webhooks`: endpoints events are delivered to (the secret is returned once, at
//! creation), their delivery logs, and `/api/events/{seq}/deliveries` and
//! `/api/events/{seq}/redeliver`. [`WebhooksDoc`] describes these routes and the
//! reconnect-link ones for the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use mooring_store::Delivery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::schema::ErrorBody;
use crate::app::App;
use crate::webhooks::{EndpointPatch, EndpointView, WebhookError};

/// Largest page of deliveries one request returns.
const MAX_DELIVERIES: usize = 500;

/// The webhook and reconnect-link routes, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        create,
        list,
        get,
        patch,
        delete,
        endpoint_deliveries,
        event_deliveries,
        redeliver,
        super::reconnect_links::create,
        super::reconnect_links::list,
        super::reconnect_links::revoke,
    ),
    tags(
        (name = "webhooks", description = "Signed webhooks: endpoints, deliveries, redelivery"),
        (name = "reconnect links", description = "Links a customer opens to reconnect one connection"),
    )
)]
pub struct WebhooksDoc;

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::NotFound(m) => ApiError::not_found(m),
            WebhookError::Invalid(m) => ApiError::bad_request(m),
            WebhookError::Store(e) => ApiError::internal(e),
        }
    }
}

/// The `{id}` of a webhook endpoint route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EndpointId {
    /// Endpoint id.
    #[param(min_length = 1, max_length = 128)]
    pub id: String,
}

/// The `{seq}` of an event route.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventSeq {
    /// Event sequence number.
    pub seq: u64,
}

/// Body of `POST /api/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// Where events are POSTed (http or https, no credentials).
    #[schema(max_length = 2048)]
    url: String,
    /// What it is for.
    #[serde(default)]
    #[schema(max_length = 200)]
    description: Option<String>,
    /// Event types delivered (`connection.needs_reauth`, `connection.*`); empty: all.
    #[serde(default)]
    event_types: Vec<String>,
}

/// Answer of `POST /api/webhooks`: the endpoint and, this once, its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The signing secret (`whsec_…`); it is never shown again.
    pub secret: String,
}

/// A delivery of one event to one endpoint, as the API shows it (the schema of
/// [`Delivery`]).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Delivery)]
pub struct DeliverySchema {
    /// The endpoint.
    pub endpoint: String,
    /// The event's sequence number.
    pub event: u64,
    /// `pending`, `succeeded`, `failed` (retries used up) or `cancelled`.
    pub status: String,
    /// Attempts, oldest first.
    pub attempts: Vec<AttemptSchema>,
    /// When the next attempt is due (ms), while pending.
    pub next_attempt_at: Option<u64>,
    /// When the current series of attempts started (ms).
    pub window_start: u64,
    /// Attempts in the current series.
    pub series_attempts: u32,
    /// The reconnect link the payload carries.
    pub link: Option<String>,
    /// Created (ms).
    pub created_at: u64,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DeliveryAttempt)]
pub struct AttemptSchema {
    /// When (ms).
    pub at: u64,
    /// The HTTP status answered.
    pub status_code: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took (ms).
    pub duration_ms: u64,
}

fn description(text: Option<&str>) -> Result<(), ApiError> {
    crate::validate::label(text).map_err(|e| ApiError::bad_request(e.0))
}

/// `POST /api/webhooks`.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = CreateRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = Created),
        (status = 400, description = "A field is invalid", body = ErrorBody),
    ))]
pub async fn create(
    State(app): State<App>,
    ApiJson(body): ApiJson<CreateRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    description(body.description.as_deref())?;
    let (endpoint, secret) = app
        .webhooks
        .create(body.url, body.description, body.event_types)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { endpoint, secret })))
}

/// `GET /api/webhooks`.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, description = "Every endpoint, by id", body = [EndpointView])))]
pub async fn list(State(app): State<App>) -> Result<Json<Vec<EndpointView>>, ApiError> {
    Ok(Json(app.webhooks.list().await?))
}

/// `GET /api/webhooks/{id}`.
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks", params(EndpointId),
    responses(
        (status = 200, description = "The endpoint (never its secret)", body = EndpointView),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn get(
    State(app): State<App>,
    ApiPath(EndpointId { id }): ApiPath<EndpointId>,
) -> Result<Json<EndpointView>, ApiError> {
    Ok(Json(app.webhooks.get(&id).await?))
}

/// Body of `PATCH /api/webhooks/{id}`: fields present are changed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    /// New URL.
    #[serde(default)]
    #[schema(max_length = 2048)]
    url: Option<String>,
    /// New description; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    description: Option<Option<String>>,
    /// New event types.
    #[serde(default)]
    event_types: Option<Vec<String>>,
    /// `true` enables it (clearing its failure record); `false` disables it (cancelling
    /// pending deliveries).
    #[serde(default)]
    enabled: Option<bool>,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `PATCH /api/webhooks/{id}` `{url?, description?, event_types?, enabled?}`.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", params(EndpointId),
    request_body = PatchRequest,
    responses(
        (status = 200, description = "The endpoint after the change", body = EndpointView),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn patch(
    State(app): State<App>,
    ApiPath(EndpointId { id }): ApiPath<EndpointId>,
    ApiJson(body): ApiJson<PatchRequest>,
) -> Result<Json<EndpointView>, ApiError> {
    if let Some(text) = &body.description {
        description(text.as_deref())?;
    }
    let patch = EndpointPatch {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled,
    };
    let view = app.webhooks.update(&id, patch).await?;
    if view.enabled {
        app.webhooks.wake();
    }
    Ok(Json(view))
}

/// Answer of `DELETE /api/webhooks/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointDeleted {
    /// The endpoint.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

/// `DELETE /api/webhooks/{id}`: the endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", params(EndpointId),
    responses(
        (status = 200, description = "Deleted", body = EndpointDeleted),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<App>,
    ApiPath(EndpointId { id }): ApiPath<EndpointId>,
) -> Result<Json<EndpointDeleted>, ApiError> {
    app.webhooks.delete(&id).await?;
    Ok(Json(EndpointDeleted { id, deleted: true }))
}

/// Query of `GET /api/webhooks/{id}/deliveries`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only deliveries of events before this sequence number.
    #[serde(default)]
    before: Option<u64>,
    /// At most this many (default 100, cap 500).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// `GET /api/webhooks/{id}/deliveries?before=<seq>&limit=<n>`: newest first, each with
/// its attempts (time, status code or error, duration).
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(EndpointId, DeliveriesQuery),
    responses(
        (status = 200, description = "Deliveries, newest event first", body = [DeliverySchema]),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn endpoint_deliveries(
    State(app): State<App>,
    ApiPath(EndpointId { id }): ApiPath<EndpointId>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_DELIVERIES);
    Ok(Json(
        app.webhooks
            .endpoint_deliveries(&id, query.before, limit)
            .await?,
    ))
}

/// `GET /api/events/{seq}/deliveries`.
#[utoipa::path(get, path = "/api/events/{seq}/deliveries", tag = "webhooks", params(EventSeq),
    responses(
        (status = 200, description = "The event's deliveries, by endpoint", body = [DeliverySchema]),
        (status = 404, description = "No such event", body = ErrorBody),
    ))]
pub async fn event_deliveries(
    State(app): State<App>,
    ApiPath(EventSeq { seq }): ApiPath<EventSeq>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(app.webhooks.event_deliveries(seq).await?))
}

/// Body of `POST /api/events/{seq}/redeliver`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeliverRequest {
    /// Only to this endpoint (otherwise to every enabled endpoint that wants it).
    #[serde(default)]
    #[schema(max_length = 128)]
    endpoint: Option<String>,
}

/// `POST /api/events/{seq}/redeliver` `{endpoint?}` (body optional): deliver the event
/// again to that endpoint, or to every enabled endpoint that wants it.
#[utoipa::path(post, path = "/api/events/{seq}/redeliver", tag = "webhooks", params(EventSeq),
    request_body(content = Option<RedeliverRequest>, description = "Optional"),
    responses(
        (status = 202, description = "Queued: a new series of attempts", body = [DeliverySchema]),
        (status = 400, description = "The endpoint is disabled", body = ErrorBody),
        (status = 404, description = "No such event or endpoint", body = ErrorBody),
    ))]
pub async fn redeliver(
    State(app): State<App>,
    ApiPath(EventSeq { seq }): ApiPath<EventSeq>,
    body: Option<ApiJson<RedeliverRequest>>,
) -> Result<(StatusCode, Json<Vec<Delivery>>), ApiError> {
    let endpoint = body.and_then(|ApiJson(b)| b.endpoint);
    let deliveries = app.webhooks.redeliver(seq, endpoint).await?;
    Ok((StatusCode::ACCEPTED, Json(deliveries)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_routes_are_described() {
        let doc: serde_json::Value =
            serde_json::from_str(&WebhooksDoc::openapi().to_json().expect("json")).expect("parse");
        for (path, method) in [
            ("/api/webhooks", "post"),
            ("/api/webhooks/{id}", "patch"),
            ("/api/webhooks/{id}/deliveries", "get"),
            ("/api/events/{seq}/redeliver", "post"),
            ("/api/connections/{id}/reconnect-link", "post"),
            ("/api/connections/{id}/reconnect-link/{link_id}", "delete"),
        ] {
            assert!(!doc["paths"][path][method].is_null(), "{method} {path}");
        }
        assert!(!doc["components"]["schemas"]["Delivery"].is_null());
        assert!(!doc["components"]["schemas"]["LinkView"].is_null());
    }
}
