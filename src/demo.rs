//! `serve --demo`: one token per role, printed at every start, and (once
//! per data directory, when the log is empty) demo configuration, reps,
//! customers and a lead, written through the gateway's own routes so they
//! pass the same validation and authorisation as any integrator's
//! requests. The fixture year of SPEC section 4 comes with the fixtures
//! crate (issue 4).

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::{header, Method, Request};
use salesledger_domain::Role;
use salesledger_store::Hash32;
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

use crate::gateway::auth::{generate_token, TokenEntry, TokenStore};
use crate::gateway::{router, AppState};

/// Fixed ids so the README's walk-through can name them.
pub const DEMO_REP_IDS: [&str; 6] = [
    "0192f0a4-0000-7000-8000-000000000001",
    "0192f0a4-0000-7000-8000-000000000002",
    "0192f0a4-0000-7000-8000-000000000003",
    "0192f0a4-0000-7000-8000-000000000004",
    "0192f0a4-0000-7000-8000-000000000005",
    "0192f0a4-0000-7000-8000-000000000006",
];
pub const DEMO_CUSTOMER_ID: &str = "0192f0a4-0000-7000-9000-000000000001";

/// Issues demo tokens, seeds an empty log, and returns nothing: the caller
/// reloads the token file.
pub async fn seed(state: &AppState, tokens_path: &Path) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    let mut plain = Vec::new();
    for role in Role::ALL {
        let token = generate_token();
        let rep_id = (role == Role::Rep)
            .then(|| Uuid::parse_str(DEMO_REP_IDS[0]))
            .transpose()?;
        entries.push(TokenEntry {
            token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
            actor: format!("demo-{}", role.as_str().replace('_', "-")),
            role,
            rep_id,
        });
        plain.push((role, token));
    }
    TokenStore::add_to_file(tokens_path, entries.clone())?;
    println!("demo tokens (one per role; new ones at every --demo start):");
    for (role, token) in &plain {
        println!("  {:<20} {token}", role.as_str());
    }

    if state.service.store().head().len > 0 {
        println!(
            "the log already holds {} events: demo data not seeded again",
            state.service.store().head().len
        );
        return Ok(());
    }
    let mut seeding_state = state.clone();
    seeding_state.tokens = Arc::new(TokenStore::from_file(&crate::gateway::auth::TokenFile {
        tokens: entries,
    })?);
    let token_of = |role: Role| {
        plain
            .iter()
            .find(|(candidate, _)| *candidate == role)
            .map(|(_, token)| token.clone())
    };
    let supervisor = token_of(Role::Supervisor).context("supervisor token")?;
    let marketing = token_of(Role::Marketing).context("marketing token")?;
    let app = router(seeding_state);

    let mut requests: Vec<(&str, String, &str, Value)> = vec![
        (
            "POST",
            "/v1/config/routing-rules".into(),
            &supervisor,
            json!({
                "version": 1,
                "rules": [
                    {"tag": "iso13485", "attribute_key": "compliance", "attribute_value_contains": "ISO13485", "weight": 40},
                    {"tag": "tier3-hospital-his", "attribute_key": "industry", "attribute_value_contains": "三甲医院", "weight": 30},
                    {"tag": "automotive-grade-cert", "attribute_key": "compliance", "attribute_value_contains": "IATF16949", "weight": 40},
                    {"tag": "plc-retrofit", "attribute_key": "pain_points", "attribute_value_contains": "PLC", "weight": 25}
                ],
                "direct_tag_match_weight": 10, "region_match_weight": 5, "minimum_score": 1, "candidate_count": 3
            }),
        ),
        (
            "POST",
            "/v1/config/pool-policy".into(),
            &supervisor,
            json!({
                "version": 1, "protection_days": 30, "extension_days": 30, "maximum_protection_days": 90,
                "qualifying_follow_up_kinds": ["visit", "call", "meeting"], "day_close_utc_offset_minutes": 480
            }),
        ),
        (
            "POST",
            "/v1/config/extraction-dictionary".into(),
            &supervisor,
            json!({
                "version": 1,
                "competitors": [{"name": "Siemens", "aliases": ["西门子"]}, {"name": "汇川", "aliases": ["Inovance"]}, {"name": "Mindray", "aliases": ["迈瑞"]}],
                "concerns": [{"concern": "交期", "keywords": ["交期", "lead time"]}, {"concern": "price", "keywords": ["价格", "price", "预算"]}],
                "still_comparing_phrases": ["还在比较", "再考虑", "still comparing"],
                "utc_offset_minutes": 480
            }),
        ),
        (
            "POST",
            "/v1/config/nurture-template".into(),
            &supervisor,
            json!({"version": 1, "steps": [
                {"kind": "case_video", "delay_hours": 24, "content_ref": "case-video/tier3-hospital-or"},
                {"kind": "third_party_review", "delay_hours": 96, "content_ref": "review/ccid-2026"},
                {"kind": "time_limited_offer", "delay_hours": 240, "content_ref": "offer/2027-q1"}
            ]}),
        ),
    ];
    let reps = [
        (
            "王晓明",
            "华东",
            ["iso13485", "tier3-hospital-his", "plc-retrofit"],
        ),
        (
            "李娜",
            "华东",
            ["iso13485", "automotive-grade-cert", "plc-retrofit"],
        ),
        (
            "张伟",
            "华南",
            ["tier3-hospital-his", "iso13485", "lab-automation"],
        ),
        (
            "陈静",
            "华北",
            ["automotive-grade-cert", "plc-retrofit", "robot-cell"],
        ),
        (
            "刘洋",
            "西南",
            ["lab-automation", "robot-cell", "plc-retrofit"],
        ),
        (
            "赵磊",
            "华南",
            ["automotive-grade-cert", "iso13485", "robot-cell"],
        ),
    ];
    for ((name, region, tags), rep_id) in reps.iter().zip(DEMO_REP_IDS) {
        requests.push((
            "POST",
            "/v1/reps".into(),
            &supervisor,
            json!({
                "rep_id": rep_id, "display_name": name, "region": region, "capability_tags": tags
            }),
        ));
    }
    requests.push(("POST", "/v1/customers".into(), &supervisor, json!({
        "customer_id": DEMO_CUSTOMER_ID,
        "company_name": "上海瑞康医疗器械有限公司",
        "contact_email": "purchasing@ruikang-med.cn",
        "attributes": {"industry": "三甲医院 设备", "compliance": "ISO13485", "region": "华东", "size": "500-1000"}
    })));
    requests.push(("POST", "/v1/leads".into(), &marketing, json!({
        "company_name": "苏州精锐汽车零部件有限公司",
        "attributes": {"industry": "automotive parts", "compliance": "IATF16949", "pain_points": "PLC 老化", "region": "华东"}
    })));
    for (method, path, token, body) in requests {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes())?)
            .uri(&path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&body)?))?;
        let response = app.clone().oneshot(request).await.context("demo request")?;
        if !response.status().is_success() {
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            bail!(
                "demo seeding: {method} {path} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    println!("demo data seeded: configuration, 6 reps, customer {DEMO_CUSTOMER_ID}, one lead");
    Ok(())
}
