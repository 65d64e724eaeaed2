//! Chain-store views over HTTP (issue 7): the hand-computed case of
//! `projections/tests/retail.rs` (2 regions, 3 stores, 5 SKUs, 4 members,
//! 20 tickets; see the table there) recorded through the write routes
//! (`POST /v1/stores`, `/v1/skus`, `/v1/members`, `/v1/promotions`, two
//! NDJSON batches to `/v1/pos/sales`, `PUT /v1/config/retail-policy`), then read from `/v1/views/stores/...` with
//! read-your-writes: penetration cells, the store leaderboard, a battle
//! map, the high-potential lists, a policy change, and the refusals.

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{spawn_app, TestApp};

/// NDJSON sale lines: `(store, ticket, sold_at, member, [(sku, cents)])`.
type Ticket<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a [(&'a str, u64)],
);

fn ndjson(tickets: &[Ticket<'_>]) -> Vec<u8> {
    let mut body = String::new();
    for (store, ticket, sold_at, member, lines) in tickets {
        for (sku, cents) in *lines {
            body.push_str(
                &json!({"store": store, "ticket": ticket, "sku": sku, "qty": 1,
                        "amount_cents": cents, "member": member, "sold_at": sold_at})
                .to_string(),
            );
            body.push('\n');
        }
    }
    body.into_bytes()
}

/// The case as recorded: the last position written and the promotion's id.
struct Seeded {
    written: u64,
    promotion_id: String,
}

/// Records the case through the write routes (`POST /v1/stores`,
/// `/v1/skus`, `/v1/members`, `/v1/promotions`, `/v1/pos/sales`).
async fn seed(app: &TestApp) -> Seeded {
    for (store, name, region, format) in [
        ("S1", "Bund", "east", "direct"),
        ("S2", "Pudong", "east", "franchised"),
        ("S3", "Chengdu", "west", "direct"),
    ] {
        app.post_json(
            "/v1/stores",
            "supervisor",
            &json!({"store": store, "name": name, "region": region, "format": format,
                    "opened_on": "2026-01-01"}),
        )
        .await
        .ok();
    }
    for (sku, name, category, new_product) in [
        ("MILK", "Milk", "dairy", false),
        ("BREAD", "Bread", "bakery", false),
        ("NEW", "Oat yoghurt", "dairy", true),
        ("TEA", "Green tea", "drinks", false),
        ("SOAP", "Soap", "household", false),
    ] {
        app.post_json(
            "/v1/skus",
            "supervisor",
            &json!({"sku": sku, "name": name, "category": category, "new_product": new_product}),
        )
        .await
        .ok();
    }
    for (member, home, name) in [
        ("M1", "S1", "Li Lei"),
        ("M2", "S1", "Han Meimei"),
        ("M3", "S3", "Wang Fang"),
        ("M4", "S2", "Zhao Min"),
    ] {
        app.post_json(
            "/v1/members",
            "supervisor",
            &json!({"member": member, "home_store": home, "display_name": name,
                    "enrolled_on": "2026-02-01"}),
        )
        .await
        .ok();
    }
    let launched = app
        .post_json(
            "/v1/promotions",
            "marketing",
            &json!({"sku": "NEW", "name": "Oat summer", "regions": ["east"],
                    "starts_on": "2026-06-01", "ends_on": "2026-06-30"}),
        )
        .await;
    let promotion_id = launched.ok()["promotion_id"]
        .as_str()
        .expect("promotion_id")
        .to_owned();
    let batches: [(&str, Vec<u8>); 2] = [
        (
            "B1",
            ndjson(&[
                (
                    "S1",
                    "S1-00",
                    "2026-05-31T10:30:00+08:00",
                    Some("M2"),
                    &[("NEW", 4000), ("MILK", 5000)],
                ),
                (
                    "S1",
                    "S1-01",
                    "2026-06-01T09:30:00+08:00",
                    Some("M1"),
                    &[("MILK", 3000), ("BREAD", 6000)],
                ),
                (
                    "S1",
                    "S1-02",
                    "2026-06-01T12:15:00+08:00",
                    None,
                    &[("BREAD", 11000)],
                ),
                (
                    "S1",
                    "S1-03",
                    "2026-06-02T09:05:00+08:00",
                    Some("M1"),
                    &[("NEW", 4000), ("MILK", 6000)],
                ),
                (
                    "S1",
                    "S1-04",
                    "2026-06-02T18:30:00+08:00",
                    Some("M2"),
                    &[("NEW", 2000), ("NEW", 2000), ("BREAD", 8000)],
                ),
                (
                    "S2",
                    "S2-01",
                    "2026-06-01T11:00:00+08:00",
                    None,
                    &[("MILK", 8500)],
                ),
                (
                    "S2",
                    "S2-02",
                    "2026-06-02T15:00:00+08:00",
                    None,
                    &[("NEW", 4500), ("BREAD", 4000)],
                ),
                (
                    "S2",
                    "S2-03",
                    "2026-06-03T17:00:00+08:00",
                    Some("M4"),
                    &[("BREAD", 9000)],
                ),
                (
                    "S2",
                    "S2-04",
                    "2026-06-03T20:59:00+08:00",
                    None,
                    &[("MILK", 8000)],
                ),
                (
                    "S3",
                    "S3-01",
                    "2026-06-01T07:00:00+08:00",
                    Some("M3"),
                    &[("MILK", 5000)],
                ),
                (
                    "S3",
                    "S3-02",
                    "2026-06-02T13:00:00+08:00",
                    Some("M3"),
                    &[("NEW", 3000), ("BREAD", 3000)],
                ),
                (
                    "S3",
                    "S3-03",
                    "2026-06-02T14:30:00+08:00",
                    None,
                    &[("BREAD", 7000)],
                ),
            ]),
        ),
        (
            "B2",
            ndjson(&[
                (
                    "S3",
                    "S3-04",
                    "2026-06-03T16:00:00+08:00",
                    Some("M3"),
                    &[("MILK", 4000)],
                ),
                (
                    "S3",
                    "S3-05",
                    "2026-06-04T22:00:00+08:00",
                    None,
                    &[("NEW", 6000)],
                ),
                (
                    "S3",
                    "S3-06",
                    "2026-06-04T06:00:00+08:00",
                    None,
                    &[("MILK", 8000)],
                ),
                (
                    "S3",
                    "S3-07",
                    "2026-06-04T12:30:00+08:00",
                    Some("M1"),
                    &[("MILK", 12000)],
                ),
                (
                    "S1",
                    "S1-05",
                    "2026-06-02T19:00:00+08:00",
                    None,
                    &[("MILK", 8000)],
                ),
                (
                    "S1",
                    "S1-06",
                    "2026-06-03T10:00:00+08:00",
                    Some("M1"),
                    &[("BREAD", 8000), ("TEA", 2000)],
                ),
                (
                    "S1",
                    "S1-07",
                    "2026-06-03T21:30:00+08:00",
                    Some("M2"),
                    &[("NEW", 5000), ("MILK", 5000)],
                ),
                (
                    "S1",
                    "S1-08",
                    "2026-06-04T08:00:00+08:00",
                    Some("M1"),
                    &[("NEW", 3000), ("BREAD", 5000), ("SOAP", 2000)],
                ),
            ]),
        ),
    ];
    let mut written = 0;
    for (batch, body) in batches {
        let answer = app
            .send_raw(
                "POST",
                &format!("/v1/pos/sales?batch_id={batch}"),
                Some(app.token("integrator")),
                Some("application/x-ndjson"),
                body,
                &[],
            )
            .await;
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
        written = answer.json["last_position"]
            .as_u64()
            .expect("last_position");
    }
    Seeded {
        written,
        promotion_id,
    }
}

/// `GET path` (as the auditor) once the views have applied `written`.
async fn view(app: &TestApp, path: &str, written: u64) -> Value {
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = app
        .get(
            &format!("{path}{separator}wait_for_position={written}&timeout_ms=10000"),
            "auditor",
        )
        .await;
    let body = answer.ok().clone();
    assert!(
        body["position"]
            .as_u64()
            .is_some_and(|position| position >= written),
        "{body}"
    );
    body["data"].clone()
}

fn cells(store: &Value) -> Vec<(u64, u64, Value)> {
    store["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|cell| {
            (
                cell["tickets"].as_u64().expect("tickets"),
                cell["with_product"].as_u64().expect("with_product"),
                cell["share_bp"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn store_views_reproduce_the_hand_computed_case() {
    let app = spawn_app().await;
    let Seeded {
        written,
        promotion_id,
    } = seed(&app).await;

    // Penetration: the latest promotion, east, 06-01..06-04.
    let penetration = view(&app, "/v1/views/stores/penetration", written).await;
    assert_eq!(
        penetration["promotion"]["promotion_id"],
        json!(promotion_id)
    );
    assert_eq!(
        penetration["days"],
        json!(["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"])
    );
    let east = &penetration["regions"][0];
    assert_eq!(east["region"], "east");
    assert_eq!(penetration["regions"].as_array().map(Vec::len), Some(1));
    assert_eq!(east["stores"][0]["store"], "S1");
    assert_eq!(east["stores"][0]["format"], "direct");
    assert_eq!(
        cells(&east["stores"][0]),
        [
            (2, 0, json!(0)),
            (3, 2, json!(6666)),
            (2, 1, json!(5000)),
            (1, 1, json!(10000))
        ]
    );
    assert_eq!(
        east["stores"][0]["total"],
        json!({"tickets": 8, "with_product": 4, "share_bp": 5000})
    );
    assert_eq!(
        cells(&east["stores"][1]),
        [
            (1, 0, json!(0)),
            (1, 1, json!(10000)),
            (2, 0, json!(0)),
            (0, 0, Value::Null)
        ]
    );
    assert_eq!(
        east["total"],
        json!({"tickets": 12, "with_product": 5, "share_bp": 4166})
    );

    // Paged: one store a page, each with its region, the same cells; the
    // header (promotion, days) on every page.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let answer = app
            .get(
                &format!(
                    "/v1/views/stores/penetration?limit=1{cursor}&wait_for_position={written}"
                ),
                "auditor",
            )
            .await;
        let body = answer.ok().clone();
        assert_eq!(body["data"]["days"], penetration["days"], "{}", answer.text);
        assert_eq!(body["data"]["promotion"], penetration["promotion"]);
        let stores = body["data"]["stores"].as_array().expect("stores").clone();
        assert_eq!(stores.len(), 1, "{}", answer.text);
        paged.extend(stores);
        match &body["next_cursor"] {
            Value::String(next) => cursor = format!("&cursor={next}"),
            Value::Null => break,
            other => panic!("next_cursor {other}"),
        }
    }
    let whole: Vec<Value> = east["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .map(|store| {
            let mut row = store.clone();
            row["region"] = json!("east");
            row
        })
        .collect();
    assert_eq!(paged, whole);
    app.get("/v1/views/stores/penetration?cursor=00", "auditor")
        .await
        .assert_problem(400, "invalid_cursor");
    let west = view(
        &app,
        &format!("/v1/views/stores/penetration?promotion_id={promotion_id}&region=west&from=2026-06-04&to=2026-06-04"),
        written,
    )
    .await;
    assert_eq!(
        cells(&west["regions"][0]["stores"][0]),
        [(3, 1, json!(3333))]
    );

    // Leaderboard.
    let board = view(&app, "/v1/views/stores/leaderboard?region=east", written).await;
    let rows = &board["regions"][0]["stores"];
    assert_eq!(
        (
            rows[0]["rank"].clone(),
            rows[0]["store"].clone(),
            rows[0]["sales_cents"].clone(),
            rows[0]["avg_ticket_cents"].clone(),
            rows[0]["penetration_bp"].clone()
        ),
        (
            json!(1),
            json!("S1"),
            json!(89_000),
            json!(9_888),
            json!(5_000)
        )
    );
    assert_eq!(
        (
            rows[1]["rank"].clone(),
            rows[1]["store"].clone(),
            rows[1]["sales_cents"].clone(),
            rows[1]["penetration_bp"].clone()
        ),
        (json!(2), json!("S2"), json!(34_000), json!(2_500))
    );
    assert_eq!(
        (
            board["regions"][0]["from"].clone(),
            board["regions"][0]["to"].clone()
        ),
        (json!("2026-05-06"), json!("2026-06-04"))
    );

    // Battle map of S1, with its high-potential members.
    let map = view(&app, "/v1/views/stores/S1", written).await;
    assert_eq!(
        (
            map["rank_in_region"].clone(),
            map["stores_in_region"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(
        map["window"],
        json!({"from": "2026-03-07", "to": "2026-06-04", "tickets": 9, "sales_cents": 89_000, "avg_ticket_cents": 9_888})
    );
    assert_eq!(map["region_avg_ticket_cents"], 9_461);
    assert_eq!(map["high_potential"], true);
    assert_eq!(map["daily"].as_array().map(Vec::len), Some(30));
    assert_eq!(
        map["categories"][0],
        json!({"category": "dairy", "sales_cents": 47_000, "share_bp": 5_280})
    );
    assert_eq!(
        map["slots"][0],
        json!({"slot": "morning", "tickets": 5, "share_bp": 5_555})
    );
    assert_eq!(map["promotions"][0]["share_bp"], 5_000);
    assert_eq!(map["promotions"][0]["region_share_bp"], 4_166);
    let members: Vec<&str> = map["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["member"].as_str())
        .collect();
    assert_eq!(members, ["M1", "M2"]);
    // S2 sits exactly at the threshold.
    let s2 = view(&app, "/v1/views/stores/S2", written).await;
    assert_eq!(
        (
            s2["window"]["avg_ticket_cents"].clone(),
            s2["high_potential"].clone()
        ),
        (json!(8_500), json!(false))
    );
    assert_eq!(s2["members"], json!([]));

    // High-potential lists.
    let listed = view(&app, "/v1/views/stores/high-potential", written).await;
    assert_eq!(
        (
            listed["threshold_cents"].clone(),
            listed["window_days"].clone()
        ),
        (json!(8_500), json!(90))
    );
    assert_eq!(listed["stores"].as_array().map(Vec::len), Some(1));
    let m1 = &listed["stores"][0]["members"][0];
    assert_eq!(
        (
            m1["member"].clone(),
            m1["display_name"].clone(),
            m1["tickets"].clone(),
            m1["tickets_per_month_x10"].clone(),
            m1["spend_cents"].clone(),
            m1["preferred_slot"].clone()
        ),
        (
            json!("M1"),
            json!("Li Lei"),
            json!(5),
            json!(16),
            json!(51_000),
            json!("morning")
        )
    );
    assert_eq!(m1["usual_categories"], json!(["dairy", "bakery", "drinks"]));
    let script = m1["script"].as_str().expect("a script");
    assert!(
        script.starts_with("Hello Li Lei, thank you for shopping at Bund."),
        "{script}"
    );
    assert!(
        script.contains("in the morning for dairy, bakery, drinks"),
        "{script}"
    );

    // A new policy: 84.99 puts S2 (exactly 85.00) above the threshold.
    let published = app
        .put_json(
            "/v1/config/retail-policy",
            "supervisor",
            &json!({"version": 1, "high_potential_avg_ticket_cents": 8_499, "window_days": 90,
                    "script_template": "Dear {member}: {store}/{slot}/{categories}"}),
        )
        .await;
    let written = published.ok()["last_position"]
        .as_u64()
        .expect("last_position");
    let listed = view(&app, "/v1/views/stores/high-potential?store=S2", written).await;
    assert_eq!(listed["threshold_cents"], 8_499);
    assert_eq!(listed["stores"][0]["store"], "S2");
    assert_eq!(
        listed["stores"][0]["members"][0]["script"],
        "Dear Zhao Min: Pudong/evening/bakery"
    );
    let s2 = view(&app, "/v1/views/stores/S2", written).await;
    assert_eq!(s2["high_potential"], true);
    assert_eq!(s2["members"][0]["member"], "M4");
}

#[tokio::test]
async fn store_views_refuse_unknown_subjects_and_bad_queries() {
    let app = spawn_app().await;
    // Before any promotion: no default penetration.
    app.get("/v1/views/stores/penetration", "auditor")
        .await
        .assert_problem(404, "not_found");
    let written = seed(&app).await.written;
    let wait = format!("wait_for_position={written}&timeout_ms=10000");
    for (path, status, code) in [
        (format!("/v1/views/stores/S9?{wait}"), 404, "not_found"),
        (
            format!(
                "/v1/views/stores/penetration?promotion_id={}&{wait}",
                Uuid::from_u128(7)
            ),
            404,
            "not_found",
        ),
        (
            format!("/v1/views/stores/penetration?region=north&{wait}"),
            404,
            "not_found",
        ),
        (
            format!("/v1/views/stores/leaderboard?region=north&{wait}"),
            404,
            "not_found",
        ),
        (
            format!("/v1/views/stores/high-potential?store=S9&{wait}"),
            404,
            "not_found",
        ),
        (
            format!("/v1/views/stores/penetration?from=2026-06-03&to=2026-06-02&{wait}"),
            400,
            "invalid_date_range",
        ),
        (
            format!("/v1/views/stores/penetration?from=2026-13-01&{wait}"),
            400,
            "invalid_query",
        ),
        (
            format!("/v1/views/stores/penetration?promotion_id=nope&{wait}"),
            400,
            "invalid_query",
        ),
        (
            format!("/v1/views/stores/penetration?colour=red&{wait}"),
            400,
            "invalid_query",
        ),
        (
            format!("/v1/views/stores/leaderboard?days=0&{wait}"),
            400,
            "invalid_query",
        ),
        (
            format!("/v1/views/stores/leaderboard?limit=100000&{wait}"),
            400,
            "invalid_query",
        ),
        (
            format!("/v1/views/stores/high-potential?limit=-1&{wait}"),
            400,
            "invalid_query",
        ),
    ] {
        let answer = app.get(&path, "auditor").await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{path}: {}",
            answer.text
        );
    }
    // Unauthenticated reads are refused.
    let answer = app
        .send_raw(
            "GET",
            "/v1/views/stores/leaderboard",
            None,
            None,
            Vec::new(),
            &[],
        )
        .await;
    answer.assert_problem(401, "unauthenticated");
}
