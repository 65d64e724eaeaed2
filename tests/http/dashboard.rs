//! The dashboard's page and reads: the page, script and style sheet are
//! public, typed and locked down by a Content-Security-Policy with no
//! external origin; `/v1/me` and `/v1/dashboard/health-trend` need a token.

use serde_json::json;

use super::support::spawn_app;

#[tokio::test]
async fn the_page_and_its_assets_are_served_without_a_token_under_a_strict_csp() {
    let app = spawn_app().await;
    for (path, content_type, marker) in [
        ("/", "text/html; charset=utf-8", "<form id=\"sign-in\""),
        (
            "/dashboard/app.js",
            "text/javascript; charset=utf-8",
            "/v1/events?",
        ),
        ("/dashboard/app.css", "text/css; charset=utf-8", "@media"),
        // The message catalogues (issue 20).
        (
            "/dashboard/i18n/zh-CN.json",
            "application/json; charset=utf-8",
            "\"risk.title\": \"风险客户\"",
        ),
        (
            "/dashboard/i18n/en.json",
            "application/json; charset=utf-8",
            "\"risk.title\": \"Risk list\"",
        ),
    ] {
        let response = app.client.get(app.url(path)).send().await.expect(path);
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{path}");
        let csp = headers["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("connect-src 'self'"), "{csp}");
        assert!(!csp.contains("http"), "no external origin: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let body = response.text().await.expect("body");
        assert!(body.contains(marker), "{path}");
        // Nothing is fetched from elsewhere.
        for external in ["http://", "https://", "//cdn"] {
            assert!(
                !body.contains(&format!("src=\"{external}"))
                    && !body.contains(&format!("href=\"{external}"))
                    && !body.contains(&format!("url({external}")),
                "{path} refers to {external}"
            );
        }
    }
}

#[tokio::test]
async fn me_and_the_health_trend_need_a_token_and_answer_the_callers_view() {
    let app = spawn_app().await;
    let anonymous = app.client.get(app.url("/v1/me")).send().await.expect("me");
    assert_eq!(anonymous.status().as_u16(), 401);

    let me = app.get("/v1/me", "csm").await;
    assert_eq!(
        me.ok(),
        &json!({"actor": "test.csm", "role": "csm", "rep_id": null, "may_download_evidence": false, "utc_offset_minutes": 480})
    );

    // Before any day close there is no trend.
    let trend = app.get("/v1/dashboard/health-trend", "rep").await;
    assert_eq!(trend.ok()["view"], "health");
    assert_eq!(trend.json["data"], json!({"last_closed": null, "days": []}));
    app.get("/v1/dashboard/health-trend?days=0", "rep")
        .await
        .assert_problem(400, "invalid_query");
    app.get("/v1/dashboard/health-trend?day=3", "rep")
        .await
        .assert_problem(400, "invalid_query");
}

/// The page shows times in the organisation's time zone: the published
/// pool policy's day-close offset, China Standard Time by default.
#[tokio::test]
async fn me_gives_the_pool_policys_day_close_offset() {
    let app = spawn_app().await;
    let me = app.get("/v1/me", "supervisor").await;
    assert_eq!(me.ok()["utc_offset_minutes"], json!(480));
    let mut policy = super::support::pool_policy();
    policy["day_close_utc_offset_minutes"] = json!(420);
    app.post_json("/v1/config/pool-policy", "supervisor", &policy)
        .await
        .ok();
    let me = app.get("/v1/me", "rep").await;
    assert_eq!(me.ok()["utc_offset_minutes"], json!(420));
}
