//! Secrets and files at rest (issue 9, item 9): compiled artifacts carry a MAC and a
//! tampered one is recompiled, never deserialised; text a token endpoint returned never
//! reaches errors, logs, events or run history; the data directory and its files are
//! private.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use mooring::backends::StoreArtifacts;
use mooring::runtime::cache::ArtifactCache;
use mooring_store::{SecretKey, Store};

use crate::harness::Host;
use crate::support;

/// One `get`: component sha256, engine key, and what the runtime was handed.
type Served = (String, String, Option<Vec<u8>>);

/// Wraps the store-backed cache and records what every `get` handed the runtime.
struct Recording {
    inner: StoreArtifacts,
    gets: Mutex<Vec<Served>>,
}

impl ArtifactCache for Recording {
    fn get(&self, sha256: &str, engine_key: &str) -> Option<Vec<u8>> {
        let found = self.inner.get(sha256, engine_key);
        if let Ok(mut gets) = self.gets.lock() {
            gets.push((sha256.to_owned(), engine_key.to_owned(), found.clone()));
        }
        found
    }

    fn put(&self, sha256: &str, engine_key: &str, artifact: &[u8]) {
        self.inner.put(sha256, engine_key, artifact);
    }
}

#[tokio::test]
async fn a_tampered_artifact_is_recompiled_never_deserialised() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&dir.path().join("mooring.redb"), SecretKey::generate()).expect("open");
    let cache = Recording {
        inner: StoreArtifacts(store.clone()),
        gets: Mutex::default(),
    };
    let rt = support::runtime(support::test_limits(), None, Arc::default());
    let bytes = support::component("test-well-behaved");

    rt.load(&bytes, &cache).await.expect("first load compiles");
    assert_eq!(rt.compilations(), 1);
    rt.load(&bytes, &cache)
        .await
        .expect("second load uses the cache");
    assert_eq!(rt.compilations(), 1, "a verified artifact is reused");
    let (sha, engine, served) = cache
        .gets
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("get");
    let artifact = served.expect("the verified artifact was served");

    // Alter one byte of the stored artifact (past the MAC header).
    let mut stored = store
        .compiled_raw_for_tests(&sha, &engine)
        .expect("read")
        .expect("cached");
    assert!(
        stored.ends_with(&artifact),
        "stored = MAC header + artifact"
    );
    let at = stored.len() - artifact.len() / 2;
    stored[at] ^= 0x40;
    store
        .overwrite_compiled_raw_for_tests(&sha, &engine, &stored)
        .expect("tamper");

    rt.load(&bytes, &cache)
        .await
        .expect("loads by compiling again");
    assert_eq!(rt.compilations(), 2, "the tampered artifact was recompiled");
    let (_, _, served) = cache
        .gets
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("get");
    assert!(
        served.is_none(),
        "the tampered bytes never reached Component::deserialize"
    );
    // The fresh artifact replaced it, with a valid MAC.
    let fixed = store
        .compiled(&sha, &engine)
        .expect("read")
        .expect("re-cached");
    assert!(!fixed.is_empty());
    rt.load(&bytes, &cache).await.expect("cached again");
    assert_eq!(rt.compilations(), 2);

    // A component blob altered in the store is refused, not loaded.
    let blob_sha = store.put_plugin_blob(&bytes).expect("blob");
    let mut altered = bytes.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    store
        .overwrite_plugin_blob_raw_for_tests(&blob_sha, &altered)
        .expect("tamper blob");
    let err = store.plugin_blob(&blob_sha).expect_err("refused");
    assert!(
        err.to_string().contains("does not match its sha256"),
        "{err}"
    );
}

/// A reverse proxy in front of the simulator that, once poisoned, answers token
/// requests with a malformed body full of secret-looking text.
struct Proxy {
    upstream: Mutex<String>,
    poison: AtomicBool,
    client: reqwest::Client,
}

/// What the poisoned token endpoint answers: unparsable JSON that starts like a token
/// response, so a careless error message would quote the token.
const POISON: &str =
    r#"{"access_token": "SECRET-at-from-token-endpoint-91c2", "refresh_token": "SECRET-rt-5d"#;

async fn proxy(
    State(p): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    if p.poison.load(Ordering::SeqCst) && uri.path().ends_with("/token") {
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            POISON,
        )
            .into_response();
    }
    let upstream = p.upstream.lock().expect("lock").clone();
    let mut request = p.client.request(method, format!("{upstream}{path}"));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" && name != "transfer-encoding" {
            request = request.header(name, value);
        }
    }
    let Ok(answer) = request.body(body).send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let mut out = HeaderMap::new();
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            out.append(name, value.clone());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    (status, out, bytes).into_response()
}

#[tokio::test]
async fn token_endpoint_text_never_reaches_errors_logs_events_or_runs() {
    let logs = crate::support::CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let state = Arc::new(Proxy {
        upstream: Mutex::default(),
        poison: AtomicBool::new(false),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let router = axum::Router::new()
        .fallback(proxy)
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let overrides = mooring_simulators::HOSTS
        .iter()
        .map(|h| format!("{h}=http://127.0.0.1:{port}/{h}"))
        .collect::<Vec<_>>()
        .join(",");
    let host = Host::start_with(&[("MOORING_HOST_OVERRIDES", &overrides)]).await;
    *state.upstream.lock().expect("lock") = host.sim.base_url().trim_end_matches('/').to_owned();

    let id = host.connect("xero", &[&host.uk], None).await;
    state.poison.store(true, Ordering::SeqCst);
    host.advance(Duration::from_secs(31 * 60));

    // A call that needs a refresh fails: its error names the status and the problem.
    let error = host
        .probe(&id, "organisation")
        .await
        .expect_err("refresh fails");
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains("200") && shown.contains("not a token response"),
        "{shown}"
    );

    // A whole sync fails the same way and leaves a run with its error.
    let synced = host
        .app()
        .sync
        .sync_connection(&id, Some(vec!["organisation".into()]))
        .await;
    let synced = format!("{synced:?}");
    let runs = host
        .api_ok("GET", &format!("/api/connections/{id}/runs"), None)
        .await;
    assert!(runs.to_string().contains("not a token response"), "{runs}");
    let events = host
        .api_ok("GET", &format!("/api/connections/{id}/events"), None)
        .await;
    let connection = host.connection(&id).await;
    let all_events = host.api_ok("GET", "/api/events", None).await;
    let logged = logs.text();

    for (what, text) in [
        ("error", shown.clone()),
        ("sync result", synced.clone()),
        ("runs", runs.to_string()),
        ("events", events.to_string()),
        ("connection", connection.to_string()),
        ("all events", all_events.to_string()),
        ("logs", logged.clone()),
    ] {
        assert!(
            !text.contains("SECRET"),
            "{what} quotes the token endpoint: {text}"
        );
        assert!(!text.contains("access_token\\\": \\\"S"), "{what}: {text}");
    }
    assert!(logged.contains("token"), "logging was captured: {logged}");
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let root = tempfile::tempdir().expect("tmp");
    let data = root.path().join("data");
    let config = |extra: &[(&str, &str)]| {
        let mut vars: Vec<(String, String)> = vec![
            ("MOORING_DATA_DIR".into(), data.display().to_string()),
            (
                "MOORING_PLUGIN_DIR".into(),
                root.path().join("no-plugins").display().to_string(),
            ),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        mooring::config::Config::resolve(None, move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .expect("config")
    };
    let open = |config: mooring::config::Config| async move {
        mooring::app::App::open(config, Arc::new(mooring::clock::SystemClock)).await
    };
    let mode = |name: &str| {
        let path = if name.is_empty() {
            data.clone()
        } else {
            data.join(name)
        };
        std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777
    };
    let chmod = |name: &str, m: u32| {
        let path = if name.is_empty() {
            data.clone()
        } else {
            data.join(name)
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).expect("chmod");
    };
    let files = ["", "mooring.redb", "mooring.key", "admin-token"];

    drop(open(config(&[])).await.expect("first start"));
    let modes: Vec<u32> = files.iter().map(|f| mode(f)).collect();
    assert_eq!(modes, vec![0o700, 0o600, 0o600, 0o600], "{files:?}");

    // Loosened by hand: the next start tightens what the host owns.
    for (file, m) in [("", 0o755), ("mooring.redb", 0o644), ("admin-token", 0o644)] {
        chmod(file, m);
    }
    drop(open(config(&[])).await.expect("second start"));
    let modes: Vec<u32> = files.iter().map(|f| mode(f)).collect();
    assert_eq!(modes, vec![0o700, 0o600, 0o600, 0o600], "{files:?}");

    // A key file others can read is refused, naming the file and the fix...
    chmod("mooring.key", 0o644);
    let err = match open(config(&[])).await {
        Ok(_) => panic!("a shared key file must be refused"),
        Err(err) => err.to_string(),
    };
    let key = data.join("mooring.key");
    assert!(
        err.contains(&format!("chmod 600 {}", key.display())),
        "{err}"
    );
    assert!(err.contains("MOORING_ALLOW_SHARED_KEY_FILE"), "{err}");
    assert_eq!(
        mode("mooring.key"),
        0o644,
        "the key file is the operator's: not changed"
    );
    // ...unless the operator allows it explicitly.
    let allowed = config(&[("MOORING_ALLOW_SHARED_KEY_FILE", "true")]);
    drop(open(allowed).await.expect("allowed"));
}
