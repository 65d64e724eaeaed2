//! Chain stores' write side over HTTP (issue 7): stores, SKUs, members, a
//! promotion and the retail policy through their routes; POS batches in
//! NDJSON: one bad line rejects the whole batch naming its line, a repeated
//! batch id appends nothing, the same id with other lines is a conflict,
//! roles, media types and limits are checked before anything is appended.

use serde_json::{json, Value};

use super::support::{spawn_app, TestApp};

async fn seed_catalogue(app: &TestApp) {
    for (store, region) in [("S0001", "east"), ("S0002", "east"), ("S0003", "west")] {
        let answer = app
            .post_json(
                "/v1/stores",
                "regional_supervisor",
                &json!({"store": store, "name": format!("Store {store}"), "region": region,
                        "format": "direct", "opened_on": "2025-01-15"}),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
        assert_eq!(answer.event("StoreOpened")["region"], json!(region));
    }
    for (sku, category, new_product) in [
        ("SKU-0042", "bakery", false),
        ("SKU-0043", "dairy", false),
        ("SKU-NEW-1", "drinks", true),
    ] {
        let answer = app
            .post_json(
                "/v1/skus",
                "marketing",
                &json!({"sku": sku, "name": sku, "category": category, "new_product": new_product}),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    }
    let answer = app
        .post_json(
            "/v1/members",
            "store_manager",
            &json!({"member": "M000123", "home_store": "S0001", "display_name": "王芳",
                    "enrolled_on": "2026-02-01"}),
        )
        .await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
}

fn line(store: &str, ticket: &str, sku: &str, member: Option<&str>) -> String {
    json!({"store": store, "ticket": ticket, "sku": sku, "qty": 1, "amount_cents": 1250,
           "member": member, "sold_at": "2026-03-01T10:15:00+08:00"})
    .to_string()
}

fn good_batch() -> String {
    [
        line("S0001", "T-1", "SKU-0042", Some("M000123")),
        line("S0001", "T-1", "SKU-NEW-1", Some("M000123")),
        line("S0003", "T-2", "SKU-0043", None),
        String::new(),
        line("S0002", "T-3", "SKU-0042", None),
    ]
    .join("\n")
}

async fn post_pos(
    app: &TestApp,
    batch_id: &str,
    token: &str,
    body: &str,
) -> super::support::Answer {
    app.send_raw(
        "POST",
        &format!("/v1/pos/sales?batch_id={batch_id}"),
        Some(app.token(token)),
        Some("application/x-ndjson"),
        body.as_bytes().to_vec(),
        &[],
    )
    .await
}

#[tokio::test]
async fn the_catalogue_is_created_once_and_checked() {
    let app = spawn_app().await;
    seed_catalogue(&app).await;
    let before = app.log_len();
    app.post_json(
        "/v1/stores",
        "supervisor",
        &json!({"store": "S0001", "name": "again", "region": "east", "format": "franchised",
                "opened_on": "2025-01-15"}),
    )
    .await
    .assert_problem(409, "store_already_exists");
    app.post_json(
        "/v1/members",
        "integrator",
        &json!({"member": "M9", "home_store": "S0404", "display_name": "x", "enrolled_on": "2026-02-01"}),
    )
    .await
    .assert_problem(422, "unknown_store");
    app.post_json(
        "/v1/promotions",
        "marketing",
        &json!({"sku": "SKU-NEW-1", "name": "launch", "regions": ["north"],
                "starts_on": "2026-06-01", "ends_on": "2026-08-31"}),
    )
    .await
    .assert_problem(422, "region_without_stores");
    app.post_json(
        "/v1/promotions",
        "marketing",
        &json!({"sku": "SKU-NOPE", "name": "launch", "regions": ["east"],
                "starts_on": "2026-06-01", "ends_on": "2026-08-31"}),
    )
    .await
    .assert_problem(422, "unknown_sku");
    app.post_json(
        "/v1/promotions",
        "marketing",
        &json!({"sku": "SKU-NEW-1", "name": "launch", "regions": ["east"],
                "starts_on": "2026-09-01", "ends_on": "2026-08-31"}),
    )
    .await
    .assert_problem(422, "promotion_dates_reversed");
    app.post_json(
        "/v1/skus",
        "store_manager",
        &json!({"sku": "SKU-9", "name": "x", "category": "y", "new_product": false}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before, "no refusal appends");

    let launched = app
        .post_json(
            "/v1/promotions",
            "marketing",
            &json!({"sku": "SKU-NEW-1", "name": "燕麦拿铁上市", "regions": ["west", "east"],
                    "starts_on": "2026-06-01", "ends_on": "2026-08-31"}),
        )
        .await;
    assert_eq!(launched.status.as_u16(), 201, "{}", launched.text);
    let promotion_id = launched.json["promotion_id"]
        .as_str()
        .expect("promotion_id");
    let payload = launched.event("PromotionLaunched");
    assert_eq!(payload["promotion_id"], json!(promotion_id));
    assert_eq!(payload["regions"], json!(["east", "west"]));

    let policy = json!({"version": 1, "high_potential_avg_ticket_cents": 9000, "window_days": 60,
                        "script_template": "Hello {member}"});
    let answer = app
        .put_json("/v1/config/retail-policy", "supervisor", &policy)
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert_eq!(
        answer.event("RetailPolicyPublished")["high_potential_avg_ticket_cents"],
        json!(9000)
    );
    app.put_json("/v1/config/retail-policy", "marketing", &policy)
        .await
        .assert_problem(409, "config_version_not_newer");
}

#[tokio::test]
async fn a_pos_batch_is_all_or_nothing_and_accepted_once() {
    let app = spawn_app().await;
    seed_catalogue(&app).await;

    // line 3 names an unknown SKU, line 5 is not JSON: 422 naming both, nothing appended
    let head = app.log_len();
    let bad = [
        line("S0001", "T-1", "SKU-0042", Some("M000123")),
        line("S0001", "T-1", "SKU-NEW-1", Some("M000123")),
        line("S0003", "T-2", "SKU-UNKNOWN", None),
        line("S0002", "T-3", "SKU-0042", None),
        "{\"store\":".to_owned(),
    ]
    .join("\n");
    let answer = post_pos(&app, "B-2026-03-01", "integrator", &bad).await;
    answer.assert_problem(422, "invalid_pos_batch");
    let errors: Vec<(u64, &str)> = answer.json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| {
            (
                error["line"].as_u64().expect("line"),
                error["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(errors, vec![(3, "unknown_sku"), (5, "malformed_line")]);
    assert_eq!(answer.json["n_errors"], json!(2));
    assert_eq!(app.log_len(), head, "nothing of the batch appended");

    // the good batch: 201, one event per store, one append
    let answer = post_pos(&app, "B-2026-03-01", "integrator", &good_batch()).await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    let outcome = answer.json.clone();
    assert_eq!(outcome["lines"], json!(4));
    assert_eq!(outcome["tickets"], json!(3));
    assert_eq!(outcome["events"], json!(3));
    assert_eq!(outcome["replayed"], json!(false));
    assert_eq!(app.log_len(), head + 3);

    // the same batch again: the original outcome, nothing appended
    let answer = post_pos(&app, "B-2026-03-01", "store_manager", &good_batch()).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert_eq!(answer.json["replayed"], json!(true));
    assert_eq!(answer.json["first_position"], outcome["first_position"]);
    assert_eq!(answer.json["last_position"], outcome["last_position"]);
    assert_eq!(app.log_len(), head + 3);

    // the same id with other lines: 409
    let other = good_batch().replace("1250", "1300");
    post_pos(&app, "B-2026-03-01", "integrator", &other)
        .await
        .assert_problem(409, "pos_batch_id_reused");
    assert_eq!(app.log_len(), head + 3);

    // the events are in the log, on the batch's stream
    let first = outcome["first_position"].as_u64().expect("first");
    let feed = app
        .get(
            &format!("/v1/events?after={}&limit=10", first - 1),
            "auditor",
        )
        .await;
    let records: Vec<&Value> = feed.ok()["records"]
        .as_array()
        .or_else(|| feed.json["events"].as_array())
        .expect("records")
        .iter()
        .collect();
    let pos: Vec<&&Value> = records
        .iter()
        .filter(|record| record["event_type"] == json!("PosTicketsRecorded"))
        .collect();
    assert_eq!(pos.len(), 3, "{}", feed.text);
    assert!(pos
        .iter()
        .all(|record| record["stream_id"] == json!("pos-B-2026-03-01")));
    let stores: Vec<&str> = pos
        .iter()
        .filter_map(|record| record["payload"]["store"].as_str())
        .collect();
    assert_eq!(stores, vec!["S0001", "S0002", "S0003"]);
    assert_eq!(
        pos[0]["payload"]["tickets"][0]["lines"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn pos_batches_are_refused_before_anything_is_appended() {
    let app = spawn_app().await;
    seed_catalogue(&app).await;
    let head = app.log_len();
    // roles that may not record sales: 403 before the body is read
    for role in ["analyst", "auditor", "marketing", "rep", "finance"] {
        post_pos(&app, "B-1", role, "not even ndjson")
            .await
            .assert_problem(403, "forbidden");
    }
    // wrong media type
    app.send_raw(
        "POST",
        "/v1/pos/sales?batch_id=B-1",
        Some(app.token("integrator")),
        Some("application/json"),
        good_batch().into_bytes(),
        &[],
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    // other accepted media types
    let answer = app
        .send_raw(
            "POST",
            "/v1/pos/sales?batch_id=B-jsonl",
            Some(app.token("integrator")),
            Some("application/jsonl"),
            line("S0001", "T-9", "SKU-0042", None).into_bytes(),
            &[],
        )
        .await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    let head = head + 1;
    // no or a bad batch id
    app.send_raw(
        "POST",
        "/v1/pos/sales",
        Some(app.token("integrator")),
        Some("application/x-ndjson"),
        good_batch().into_bytes(),
        &[],
    )
    .await
    .assert_problem(400, "missing_batch_id");
    post_pos(&app, "bad%20id", "integrator", &good_batch())
        .await
        .assert_problem(422, "invalid_pos_batch_id");
    // more than 200,000 lines
    let one = line("S0001", "T-1", "SKU-0042", None);
    let mut huge = String::with_capacity((one.len() + 1) * 200_001);
    for _ in 0..200_001 {
        huge.push_str(&one);
        huge.push('\n');
    }
    post_pos(&app, "B-huge", "integrator", &huge)
        .await
        .assert_problem(413, "pos_batch_too_large");
    // an empty batch
    post_pos(&app, "B-empty", "integrator", "\n\n")
        .await
        .assert_problem(422, "empty_pos_batch");
    assert_eq!(app.log_len(), head, "nothing appended");
}

/// Issue 15's time sanity on the POS path: a sale dated more than the
/// future margin (10 minutes) ahead of the server's clock is a bad line
/// `time_in_future`; the whole batch is refused, nothing appended.
#[tokio::test]
async fn a_sale_dated_beyond_the_future_margin_is_a_bad_line() {
    let app = spawn_app().await;
    seed_catalogue(&app).await;
    let head = app.log_len();
    // The gateway's clock: 2027-03-16T02:00:00Z.
    let ahead = |sold_at: &str| {
        json!({"store": "S0001", "ticket": "T-9", "sku": "SKU-0042", "qty": 1, "amount_cents": 1250,
               "member": null, "sold_at": sold_at})
        .to_string()
    };
    let bad = [
        line("S0001", "T-1", "SKU-0042", Some("M000123")),
        ahead("2027-03-16T10:10:01+08:00"),
    ]
    .join("\n");
    let answer = post_pos(&app, "B-FUTURE", "integrator", &bad).await;
    answer.assert_problem(422, "invalid_pos_batch");
    assert_eq!(answer.json["errors"][0]["line"], json!(2));
    assert_eq!(answer.json["errors"][0]["code"], json!("time_in_future"));
    assert!(answer.json["errors"][0]["detail"]
        .as_str()
        .is_some_and(|detail| detail.contains("sold_at")));
    assert_eq!(app.log_len(), head, "nothing appended");
    let within = [
        line("S0001", "T-1", "SKU-0042", Some("M000123")),
        ahead("2027-03-16T10:09:59+08:00"),
    ]
    .join("\n");
    let answer = post_pos(&app, "B-FUTURE", "integrator", &within).await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
}

/// With `Accept-Language: zh-CN`, each bad line's `detail` is Chinese,
/// naming the line's values; in English it is the domain's sentence. One
/// line of every code a batch can meet in one request (a ticket too large
/// for one event aside: it needs about 700 lines).
#[tokio::test]
async fn bad_lines_are_worded_in_the_requests_language() {
    let app = spawn_app().await;
    seed_catalogue(&app).await;
    let with = |change: serde_json::Value| {
        let mut value: serde_json::Value =
            serde_json::from_str(&line("S0001", "T-9", "SKU-0042", None)).expect("a line");
        for (key, field) in change.as_object().expect("an object") {
            value[key] = field.clone();
        }
        value.to_string()
    };
    let batch = [
        line("S0009", "T-1", "SKU-0042", None),
        line("S0001", "T-2", "SKU-0099", None),
        line("S0001", "T-3", "SKU-0042", Some("M999")),
        with(json!({"ticket": "T-4", "qty": 0})),
        with(json!({"ticket": "T-5", "amount_cents": -1})),
        with(json!({"ticket": "T-6", "sold_at": "yesterday"})),
        with(json!({"ticket": "T-7", "sold_at": "2999-01-01T00:00:00+08:00"})),
        with(json!({"ticket": "T-8"})),
        with(json!({"ticket": "T-8", "store": "S0002"})),
        with(json!({"ticket": "T 10"})),
        "{\"store\":".to_owned(),
    ]
    .join("\n");
    let expected = [
        (1, "unknown_store", "门店 S0009 不存在。"),
        (2, "unknown_sku", "SKU SKU-0099 不存在。"),
        (3, "unknown_member", "会员 M999 不存在。"),
        (4, "invalid_qty", "qty 须为不小于 1 的整数。"),
        (
            5,
            "invalid_amount",
            "amount_cents 须为 0 至 10000000000 之间的整数。",
        ),
        (
            6,
            "invalid_sold_at",
            "sold_at yesterday 不是带时区偏移的 RFC 3339 时间。",
        ),
        (
            7,
            "time_in_future",
            "sold_at 2999-01-01T00:00:00+08:00 比服务器时钟（",
        ),
        (
            9,
            "ticket_mismatch",
            "小票 T-8 从第 8 行开始时的门店、会员或 sold_at 与本行不同。",
        ),
        (
            10,
            "malformed_line",
            "ticket 须为 1 至 64 个字符（A-Z a-z 0-9 . _ : -）",
        ),
        (11, "malformed_line", "该行不是有效的 POS 记录："),
    ];
    for lang in ["zh-CN", "en"] {
        let answer = app
            .send_raw(
                "POST",
                "/v1/pos/sales?batch_id=B-WORDS",
                Some(app.token("integrator")),
                Some("application/x-ndjson"),
                batch.as_bytes().to_vec(),
                &[("accept-language", lang)],
            )
            .await;
        answer.assert_problem(422, "invalid_pos_batch");
        let errors = answer.json["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), expected.len(), "{}", answer.text);
        for (error, (line, code, chinese)) in errors.iter().zip(expected) {
            assert_eq!(error["line"], json!(line), "{error}");
            assert_eq!(error["code"], json!(code), "{error}");
            let detail = error["detail"].as_str().expect("detail");
            if lang == "en" {
                assert!(detail.is_ascii(), "{detail}");
            } else {
                assert!(detail.starts_with(chinese), "{detail}");
            }
        }
    }
}
