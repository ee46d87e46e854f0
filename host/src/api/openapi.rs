//! The admin API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! attributes and the view types' schemas, served at `GET /api/openapi.json` (public:
//! the document holds no data).
//!
//! Every operation under `/api` gets the bearer-token security requirement, a `401`
//! and a `default` error response (the API's error body) here, so the handlers list
//! only their own outcomes.

use std::sync::OnceLock;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::Required;
use utoipa::openapi::path::Operation;
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref};
use utoipa::{Modify, OpenApi};

use super::schema::ErrorBody;
use super::{callback, connections, error, events, integrations, plugins, sync, webhooks};
use crate::app::App;

/// Name of the security scheme in the document.
const SCHEME: &str = "admin_token";

/// The document's source: every documented route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mooring admin API",
        description = "Connections, integrations, plugin versions, sync runs, records and \
            events of a Mooring host. Everything under `/api` (but this document) needs \
            `Authorization: Bearer <admin token>`. Every error is \
            `{\"error\": {\"code\", \"message\"}}`. Lists page with `limit` and an opaque \
            `cursor`: array answers carry the next cursor in `X-Next-Cursor` (absent on \
            the last page); the records feed carries `next_cursor` (null at the end).",
    ),
    paths(
        super::healthz,
        callback::callback,
        document,
        plugins::list,
        plugins::upload,
        plugins::activate,
        plugins::rollback,
        plugins::canary,
        events::list,
        integrations::create,
        integrations::list,
        connections::start,
        connections::list,
        connections::get,
        connections::patch,
        connections::delete,
        connections::events,
        connections::select_tenant,
        connections::reconnect,
        sync::trigger,
        sync::runs,
        sync::records,
        super::streams::list,
        super::metrics::scrape,
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "connections", description = "One tenant of one integration, and its life cycle"),
        (name = "sync", description = "Sync runs and the records they committed"),
        (name = "events", description = "What happened, oldest first"),
        (name = "integrations", description = "A provider plus OAuth app credentials"),
        (name = "plugins", description = "Connector versions: upload, activate, roll back, canary"),
        (name = "public", description = "Routes without the admin token"),
    )
)]
pub struct ApiDoc;

/// The whole document: [`ApiDoc`], the webhook and reconnect-link routes
/// ([`webhooks::WebhooksDoc`]), then [`Secured`] over all of them.
pub fn build() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(webhooks::WebhooksDoc::openapi());
    Secured.modify(&mut doc);
    doc
}

/// Adds the security scheme, and to each operation its security requirement and the
/// shared error responses.
struct Secured;

impl Modify for Secured {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The admin token (`MOORING_ADMIN_TOKEN`)"))
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let api = path.starts_with("/api/") && path != "/api/openapi.json";
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    operation.operation_id = Some(operation_id(method, path));
                    decorate(operation, api);
                }
            }
        }
        if let Some(upload) = doc
            .paths
            .paths
            .get_mut("/api/plugins")
            .and_then(|item| item.post.as_mut())
        {
            upload.request_body = Some(component_body());
        }
    }
}

/// A unique, stable operation id: `get_api_connections_id`.
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<&str> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!("{method}_{}", words.join("_"))
}

/// The upload body: the component's bytes, as `application/wasm` (or
/// `application/octet-stream`).
fn component_body() -> RequestBody {
    let bytes = || {
        Content::new(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .build(),
        ))
    };
    RequestBodyBuilder::new()
        .description(Some("The component's bytes"))
        .required(Some(Required::True))
        .content("application/wasm", bytes())
        .content("application/octet-stream", bytes())
        .build()
}

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    )
}

fn decorate(operation: &mut Operation, api: bool) {
    let responses = &mut operation.responses.responses;
    if api {
        operation.security = Some(vec![SecurityRequirement::new(SCHEME, Vec::<String>::new())]);
        responses.entry("401".to_owned()).or_insert_with(|| {
            error_response("Missing or wrong admin token")
                .build()
                .into()
        });
        for (status, description) in [
            ("405", "The route does not take that method (see `Allow`)"),
            ("500", "Internal error (details in the host log)"),
            ("default", "Any other error, in the same shape"),
        ] {
            responses
                .entry(status.to_owned())
                .or_insert_with(|| error_response(description).build().into());
        }
        if operation.request_body.is_some() {
            for (status, description) in [
                (
                    "400",
                    "The body is not valid JSON, or a field is out of bounds",
                ),
                ("413", "The body is larger than the route accepts"),
                (
                    "415",
                    "The body is not sent with the content type the route takes",
                ),
                (
                    "422",
                    "The JSON does not have the expected fields and types",
                ),
            ] {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description).build().into());
            }
        }
        if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
            responses.entry("400".to_owned()).or_insert_with(|| {
                error_response("A path or query parameter is invalid")
                    .build()
                    .into()
            });
        }
    } else if operation.tags.is_none() {
        operation.tags = Some(vec!["public".to_owned()]);
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        build()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise the document: {e}\"}}"))
    })
}

/// `GET /api/openapi.json`: this document. Public.
#[utoipa::path(get, path = "/api/openapi.json", tag = "public",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn document() -> Response {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-cache"),
        ],
        json(),
    )
        .into_response()
}

/// The public route serving the document, with the API's JSON 405.
pub fn router() -> Router<App> {
    Router::new()
        .route("/api/openapi.json", get(document))
        .method_not_allowed_fallback(error::method_not_allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_the_enums() {
        let doc: serde_json::Value = serde_json::from_str(json()).expect("json");
        assert!(
            doc["openapi"]
                .as_str()
                .unwrap_or_default()
                .starts_with("3.1")
        );
        let schemas = &doc["components"]["schemas"];
        for name in [
            "ConnectionState",
            "EventKind",
            "Cause",
            "RunStatus",
            "ErrorBody",
        ] {
            assert!(schemas.get(name).is_some(), "{name} missing from {schemas}");
        }
        let get = &doc["paths"]["/api/connections/{id}"]["get"];
        assert!(get["security"].is_array(), "{get}");
        assert!(get["responses"]["401"].is_object(), "{get}");
        let public = &doc["paths"]["/api/openapi.json"]["get"];
        assert!(public.get("security").is_none(), "{public}");
    }
}
