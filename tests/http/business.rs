//! The business views over HTTP: process assets (C9), funnel (C11),
//! receivables and overdue task cards (C10), regional digest (C12),
//! leaderboard; read after a few commands and a day close, with
//! read-your-writes, and their 400/404 problems.

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::*;

struct Seeded {
    app: TestApp,
    customer_id: Uuid,
    contract_id: Uuid,
    written: u64,
}

/// A 华东 customer; a contract by rep A signed 2027-03-01 (100 000 fen due
/// 03-05, 50 000 due 04-30); 20 000 received 03-03; a solution by rep A;
/// the day 2027-03-10 closed (the first instalment, 80 000 outstanding,
/// goes overdue: three task cards).
async fn seeded() -> Seeded {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    app.set_now(at("2027-03-11T02:00:00Z"));
    let customer_id = app.hospital_customer().await;
    let signed = app
        .post_json(
            "/v1/contracts",
            "finance",
            &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-01",
                    "instalments": [{"due_on": "2027-03-05", "amount_fen": 100_000},
                                    {"due_on": "2027-04-30", "amount_fen": 50_000}]}),
        )
        .await;
    signed.ok();
    let contract_id = stream_uuid(&signed);
    app.post_json(
        &format!("/v1/contracts/{contract_id}/payments"),
        "finance",
        &json!({"payment_ref": "ICBC-1", "amount_fen": 20_000, "received_on": "2027-03-03"}),
    )
    .await
    .ok();
    app.post_json(
        "/v1/process-assets",
        "supervisor",
        &json!({"customer_id": customer_id, "rep_id": REP_A, "kind": "solution",
                "title": "HIS 对接方案"}),
    )
    .await
    .ok();
    let closed = app
        .post_json("/v1/days/2027-03-10/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    let written = app.log_len() - 1;
    Seeded {
        app,
        customer_id,
        contract_id,
        written,
    }
}

async fn view(seeded: &Seeded, path: &str) -> Value {
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = seeded
        .app
        .get(
            &format!(
                "{path}{separator}wait_for_position={}&timeout_ms=10000",
                seeded.written
            ),
            "auditor",
        )
        .await;
    let body = answer.ok().clone();
    assert!(
        body["position"].as_u64().expect("a position") >= seeded.written,
        "{}",
        answer.text
    );
    body["data"].clone()
}

#[tokio::test]
async fn business_views_reflect_contracts_payments_assets_and_the_day_close() {
    let seeded = seeded().await;

    // Receivables as of 2027-03-10: 80 000 is 5 days past due (1_30),
    // 50 000 not due; sales 150 000 in the 90 days: DSO 130 000 / 150 000 x 90 = 78.
    let receivables = view(&seeded, "/v1/views/receivables").await;
    assert_eq!(receivables["as_of"], json!("2027-03-10"));
    assert_eq!(
        receivables["regions"],
        json!([{"region": "华东",
                "aging": {"current": 50_000, "1_30": 80_000, "31_60": 0, "61_90": 0, "over_90": 0},
                "outstanding_fen": 130_000, "credit_sales_90d_fen": 150_000, "dso_days": 78.0}])
    );

    let cards = view(
        &seeded,
        &format!(
            "/v1/views/receivables/task-cards?customer_id={}",
            seeded.customer_id
        ),
    )
    .await;
    let departments: Vec<&str> = cards
        .as_array()
        .expect("cards")
        .iter()
        .map(|card| card["department"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(departments, ["sales", "finance", "legal"]);
    assert_eq!(cards[0]["outstanding_fen"], json!(80_000));
    assert_eq!(cards[0]["similar_cases"], json!([]));
    let legal = view(&seeded, "/v1/views/receivables/task-cards?department=legal").await;
    assert_eq!(legal.as_array().map(Vec::len), Some(1));

    // Paged: the same cards, in the same order, a card or two a page.
    let app = &seeded.app;
    let all = view(&seeded, "/v1/views/receivables/task-cards").await;
    for limit in [1, 2, 1000] {
        let (paged, pages) = app
            .read_pages(
                "/v1/views/receivables/task-cards",
                "auditor",
                limit,
                seeded.written,
            )
            .await;
        assert_eq!(&paged, all.as_array().expect("cards"), "limit {limit}");
        assert_eq!(pages, 3usize.div_ceil(limit), "limit {limit}");
    }
    let (paged, _) = app
        .read_pages(
            "/v1/views/receivables/task-cards?department=legal",
            "auditor",
            1,
            seeded.written,
        )
        .await;
    assert_eq!(&paged, legal.as_array().expect("cards"));

    let contract = view(
        &seeded,
        &format!("/v1/views/receivables/contracts/{}", seeded.contract_id),
    )
    .await;
    assert_eq!(contract["paid_fen"], json!(20_000));
    assert_eq!(
        contract["instalments"][0]["flagged_overdue_on"],
        json!("2027-03-10")
    );

    let digest = view(&seeded, "/v1/views/digest/华东/2027-03-10").await;
    assert_eq!(digest["closed"], json!(true));
    assert_eq!(digest["overdue_instalments"], json!(1));
    let payment_day = view(&seeded, "/v1/views/digest/华东/2027-03-03").await;
    assert_eq!(payment_day["payments"], json!(1));
    assert_eq!(payment_day["payments_fen"], json!(20_000));

    // The asset was recorded at 2027-03-11 10:00 +08: March; no follow-up: rate null.
    let assets = view(&seeded, "/v1/views/assets?group=rep&period=2027-03").await;
    assert_eq!(assets[0]["rep_id"], json!(REP_A));
    assert_eq!(assets[0]["solutions"], json!(1));
    assert_eq!(assets[0]["rate_bp"], Value::Null);
    let by_region = view(&seeded, "/v1/views/assets?group=region&period=total").await;
    assert_eq!(by_region[0]["region"], json!("华东"));

    let funnel = view(&seeded, "/v1/views/funnel?group=region").await;
    assert!(funnel.is_array(), "{funnel}");

    let board = view(&seeded, "/v1/views/leaderboard?region=华东&period=2027-03").await;
    assert_eq!(
        board,
        json!([{"region": "华东", "period": "2027-03", "rows": [
            {"rank": 1, "rep_id": REP_A, "display_name": "李娜",
             "contract_value_fen": 150_000, "payments_fen": 20_000, "won_leads": 0}]}])
    );
}

#[tokio::test]
async fn business_views_refuse_bad_parameters_and_unknown_subjects() {
    let seeded = seeded().await;
    let app = &seeded.app;
    for (path, status, code) in [
        ("/v1/views/assets?period=2027-13", 400, "invalid_period"),
        ("/v1/views/assets?group=team", 400, "invalid_query"),
        ("/v1/views/assets?wait_for=1", 400, "invalid_query"),
        ("/v1/views/funnel?period=March", 400, "invalid_period"),
        ("/v1/views/receivables?region=华东", 400, "invalid_query"),
        (
            "/v1/views/receivables/task-cards?department=hr",
            400,
            "invalid_query",
        ),
        (
            "/v1/views/receivables/task-cards?customer_id=42",
            400,
            "invalid_query",
        ),
        ("/v1/views/leaderboard?period=total", 400, "invalid_period"),
        (
            "/v1/views/digest/华东/2027-02-30",
            400,
            "invalid_path_parameter",
        ),
        ("/v1/views/digest/西北/2027-03-10", 404, "not_found"),
        (
            "/v1/views/receivables/contracts/not-a-uuid",
            400,
            "invalid_path_parameter",
        ),
    ] {
        let answer = app.get(path, "auditor").await;
        assert_eq!(answer.status.as_u16(), status, "{path}: {}", answer.text);
        assert_eq!(answer.code(), code, "{path}: {}", answer.text);
    }
    app.get(
        &format!(
            "/v1/views/receivables/contracts/{}?wait_for_position={}",
            Uuid::now_v7(),
            seeded.written
        ),
        "auditor",
    )
    .await
    .assert_problem(404, "not_found");
    let anonymous = app
        .client
        .get(app.url("/v1/views/receivables"))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status().as_u16(), 401);
}

/// A closed day's digest is final: the morning after 2027-03-10 closed, a
/// rep logs a visit of 03-10 and finance records a payment received on
/// 03-10. The 03-10 digest still says what it said at the close, and shows
/// the two apart in `late`; the day they were recorded (03-11) counts
/// neither.
#[tokio::test]
async fn a_closed_days_digest_stays_final_and_shows_what_was_recorded_later_as_late() {
    let mut seeded = seeded().await;
    let at_close = view(&seeded, "/v1/views/digest/华东/2027-03-10").await;
    assert_eq!(at_close["closed"], json!(true));
    assert_eq!(
        at_close["late"],
        json!({"new_leads": 0, "visits": 0, "proposals_created": 0, "proposals_delivered": 0,
               "payments": 0, "payments_fen": 0})
    );

    // 2027-03-11 10:00 +08: yesterday's visit and payment.
    let app = &seeded.app;
    app.claim_for_rep_a(seeded.customer_id).await;
    let logged = app
        .post_json(
            "/v1/visits",
            "rep",
            &json!({"customer_id": seeded.customer_id, "rep_id": REP_A, "channel": "on_site",
                    "occurred_at": "2027-03-10T16:30:00+08:00",
                    "transcript": "昨天下午拜访设备科", "rep_notes": null}),
        )
        .await;
    assert_eq!(logged.status.as_u16(), 201, "{}", logged.text);
    app.post_json(
        &format!("/v1/contracts/{}/payments", seeded.contract_id),
        "finance",
        &json!({"payment_ref": "ICBC-2", "amount_fen": 30_000, "received_on": "2027-03-10"}),
    )
    .await
    .ok();
    seeded.written = seeded.app.log_len() - 1;

    let after = view(&seeded, "/v1/views/digest/华东/2027-03-10").await;
    assert_eq!(after["closed"], json!(true));
    let mut figures = after.clone();
    figures["late"] = at_close["late"].clone();
    assert_eq!(figures, at_close, "the closed day's figures did not move");
    assert_eq!(after["visits"], json!(0));
    assert_eq!(after["payments"], json!(0));
    assert_eq!(after["payments_fen"], json!(0));
    assert_eq!(
        after["late"],
        json!({"new_leads": 0, "visits": 1, "proposals_created": 0, "proposals_delivered": 0,
               "payments": 1, "payments_fen": 30_000})
    );
    let recorded_on = view(&seeded, "/v1/views/digest/华东/2027-03-11").await;
    assert_eq!(recorded_on["visits"], json!(0));
    assert_eq!(recorded_on["payments"], json!(0));
    assert_eq!(recorded_on["late"]["visits"], json!(0));
}
