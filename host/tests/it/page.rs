//! The operator page at `/`.

use crate::harness::Host;

#[tokio::test]
async fn the_operator_page_is_public_and_served_under_a_strict_policy() {
    let host = Host::start().await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/", host.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Sign in") && html.contains("/ui/app.js"),
        "{html}"
    );
    for (path, kind) in [("/ui/app.js", "javascript"), ("/ui/app.css", "css")] {
        let asset = client
            .get(format!("{}{path}", host.base))
            .send()
            .await
            .expect("asset");
        assert_eq!(asset.status(), 200);
        let content_type = asset.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(content_type.contains(kind), "{content_type}");
    }
    // The page itself holds no data: the API behind it still needs the token.
    let (status, _) = (
        client
            .get(format!("{}/api/connections", host.base))
            .send()
            .await
            .expect("api")
            .status(),
        (),
    );
    assert_eq!(status, 401);
}
