//! Issue 4 inputs over HTTP: customer-success inputs on a customer's
//! account, the health policies decided at a day close (a red customer's
//! renewal quotes frozen until the CTO approves a rescue plan, a yellow
//! customer's call-back task), contracts with instalments, payments and
//! overdue task cards, process assets, funnel stages, the health policy,
//! and bulk ingestion (one result per item, in order).

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{at, spawn_app, Answer, TestApp, REP_A, REP_B};

/// Registers a customer named `name` (as the supervisor); returns its id.
async fn customer(app: &TestApp, name: &str) -> Uuid {
    app.register_customer(json!({"company_name": name})).await
}

/// [`customer`], claimed by rep A (the `rep` token), for tests where the
/// rep acts on it: reps act only on customers they own.
async fn reps_customer(app: &TestApp, name: &str) -> Uuid {
    let customer_id = customer(app, name).await;
    app.claim_for_rep_a(customer_id).await;
    customer_id
}

/// The payloads of the events of `event_type` in an answer.
fn payloads<'a>(answer: &'a Answer, event_type: &str) -> Vec<&'a Value> {
    answer.json["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|event| event["event_type"] == json!(event_type))
                .map(|event| &event["payload"])
                .collect()
        })
        .unwrap_or_default()
}

/// `n` consecutive days ending on `last` (YYYY-MM-DD), one login each; the
/// first day carries `key_feature_calls`.
fn usage_days(last: &str, n: i64, key_feature_calls: u32) -> Vec<Value> {
    let last = chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").expect("a date");
    (0..n)
        .map(|offset| {
            let day = last - chrono::Duration::days(n - 1 - offset);
            let calls = if offset == 0 { key_feature_calls } else { 0 };
            json!({"day": day.to_string(), "logins": 1, "key_feature_calls": calls})
        })
        .collect()
}

/// A realistic health policy as published (the request conversion tests
/// read the same file), at `version`.
fn health_policy(version: u32) -> Value {
    let mut policy: Value =
        serde_json::from_str(include_str!("../fixtures/requests/health-policy.json"))
            .expect("the health policy fixture is JSON");
    policy["version"] = json!(version);
    policy
}

#[tokio::test]
async fn customer_success_inputs_land_on_the_customers_account() {
    let app = spawn_app().await;
    let customer_id = reps_customer(&app, "杭州瑞康医疗器械有限公司").await;
    let base = format!("/v1/customers/{customer_id}");

    let usage = app
        .post_json(
            &format!("{base}/usage-reports"),
            "csm",
            &json!({"days": usage_days("2027-03-15", 3, 40), "modules_used": ["CRM", "reports"], "last_login_at": "2027-03-15T17:42:00+08:00"}),
        )
        .await;
    usage.ok();
    assert_eq!(
        usage.json["stream_id"],
        json!(format!("account-{customer_id}"))
    );
    let reported = usage.event("UsageReported");
    assert_eq!(reported["modules_used"], json!(["crm", "reports"]));
    assert_eq!(reported["days"].as_array().map(Vec::len), Some(3));

    let opened = app
        .post_json(
            &format!("{base}/support-tickets"),
            "integrator",
            &json!({"action": "open", "ticket_ref": "ZD-0042", "opened_at": "2027-03-15T09:00:00+08:00", "subject": "报表导出超时"}),
        )
        .await;
    opened.ok();
    assert_eq!(
        opened.event("SupportTicketOpened")["ticket_ref"],
        json!("ZD-0042")
    );
    let resolved = app
        .post_json(
            &format!("{base}/support-tickets"),
            "csm",
            &json!({"action": "resolve", "ticket_ref": "ZD-0042", "resolved_at": "2027-03-15T15:00:00+08:00"}),
        )
        .await;
    resolved.ok();
    assert_eq!(
        resolved.event("SupportTicketResolved")["resolution_seconds"],
        json!(6 * 3600)
    );

    let renewal = app
        .put_json(
            &format!("{base}/renewal"),
            "finance",
            &json!({"renewal_on": "2027-12-31", "plan": "Enterprise"}),
        )
        .await;
    renewal.ok();
    assert_eq!(renewal.event("RenewalDateSet")["plan"], json!("enterprise"));

    let reference = app
        .post_json(
            &format!("{base}/success-references"),
            "rep",
            &json!({"reference_ref": "CASE-2027-017", "title": "工单时效提升 40%", "referenced_on": "2027-03-10"}),
        )
        .await;
    reference.ok();
    assert_eq!(
        reference.event("SuccessReferenceRecorded")["reference_ref"],
        json!("CASE-2027-017")
    );

    let searches = app
        .post_json(
            &format!("{base}/keyword-searches"),
            "marketing",
            &json!({"searches": [{"keyword": "西门子", "searched_on": "2027-03-14", "count": 3}]}),
        )
        .await;
    searches.ok();
    assert_eq!(
        searches.event("CompetitorKeywordsSearched")["searches"][0]["keyword"],
        json!("西门子")
    );

    // The account's state reads back.
    let account = app.get(&format!("{base}/account"), "auditor").await;
    account.ok();
    assert_eq!(
        account.json["stream_id"],
        json!(format!("account-{customer_id}"))
    );
    assert_eq!(account.json["version"], json!(5));
    assert_eq!(account.json["state"]["customer_id"], json!(customer_id));
    assert!(
        account.json["state"]["ticket_refs"]
            .as_array()
            .is_some_and(|refs| refs.contains(&json!("ZD-0042"))),
        "{}",
        account.text
    );

    // Roles come from the domain's table: a rep reports no usage, a CSM
    // records no keyword searches, an auditor writes nothing.
    let before = app.log_len();
    for (path, token, body) in [
        (
            "usage-reports",
            "rep",
            json!({"days": usage_days("2027-03-15", 1, 0)}),
        ),
        ("keyword-searches", "csm", json!({"searches": []})),
        ("support-tickets", "rep", json!({})),
        ("success-references", "finance", json!({})),
        ("rescue-plans", "finance", json!({})),
        ("renewal-quotes", "integrator", json!({})),
    ] {
        app.post_json(&format!("{base}/{path}"), token, &body)
            .await
            .assert_problem(403, "forbidden");
    }
    app.put_json(&format!("{base}/renewal"), "rep", &json!({}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before, "nothing appended");

    // A customer that does not exist has no account.
    let unknown = Uuid::now_v7();
    app.post_json(
        &format!("/v1/customers/{unknown}/usage-reports"),
        "csm",
        &json!({"days": usage_days("2027-03-15", 1, 0)}),
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("/v1/customers/{unknown}/account"), "auditor")
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn bad_input_is_a_typed_problem_and_appends_nothing() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer_id = customer(&app, "无锡新松精密传动有限公司").await;
    let base = format!("/v1/customers/{customer_id}");
    let contract = app
        .post_json(
            "/v1/contracts",
            "finance",
            &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-01", "instalments": [{"due_on": "2027-04-01", "amount_fen": 100_000}]}),
        )
        .await;
    assert_eq!(contract.status.as_u16(), 201, "{}", contract.text);
    let contract_id = super::support::stream_uuid(&contract);
    let lead_id = app.confirmed_lead().await;
    let before = app.log_len();

    let too_many_days = usage_days("2027-03-15", 32, 0);
    let cases: Vec<(&str, String, &str, Value, u16, &str)> = vec![
        // body shape
        (
            "POST",
            format!("{base}/usage-reports"),
            "csm",
            json!({"days": [], "sessions": 1}),
            400,
            "unknown_field",
        ),
        (
            "POST",
            format!("{base}/usage-reports"),
            "csm",
            json!({"days": [{"day": "2027-03-15", "logins": -1, "key_feature_calls": 0}]}),
            400,
            "wrong_type",
        ),
        (
            "POST",
            format!("{base}/support-tickets"),
            "csm",
            json!({"action": "close", "ticket_ref": "ZD-1"}),
            400,
            "wrong_type",
        ),
        (
            "POST",
            format!("{base}/support-tickets"),
            "csm",
            json!({"ticket_ref": "ZD-1"}),
            400,
            "missing_field",
        ),
        (
            "PUT",
            format!("{base}/renewal"),
            "csm",
            json!({"renewal_on": "2027-02-30", "plan": "basic"}),
            400,
            "invalid_body",
        ),
        // domain rules
        (
            "POST",
            format!("{base}/usage-reports"),
            "csm",
            json!({"days": too_many_days}),
            422,
            "invalid_usage_report",
        ),
        (
            "POST",
            format!("{base}/usage-reports"),
            "csm",
            json!({"days": [{"day": "2027-03-17", "logins": 1, "key_feature_calls": 0}]}),
            422,
            "date_in_future",
        ),
        (
            "POST",
            format!("{base}/usage-reports"),
            "csm",
            json!({"days": usage_days("2027-03-15", 1, 0), "modules_used": [" "]}),
            422,
            "invalid_module_name",
        ),
        (
            "POST",
            format!("{base}/support-tickets"),
            "csm",
            json!({"action": "open", "ticket_ref": "ZD 1", "opened_at": "2027-03-15T09:00:00Z"}),
            422,
            "invalid_ticket_ref",
        ),
        (
            "POST",
            format!("{base}/support-tickets"),
            "csm",
            json!({"action": "resolve", "ticket_ref": "ZD-404", "resolved_at": "2027-03-15T09:00:00Z"}),
            404,
            "ticket_not_found",
        ),
        (
            "POST",
            format!("{base}/keyword-searches"),
            "marketing",
            json!({"searches": []}),
            422,
            "invalid_keyword_searches",
        ),
        (
            "POST",
            format!("{base}/rescue-plans"),
            "csm",
            json!({"summary": "培训"}),
            409,
            "not_frozen",
        ),
        (
            "POST",
            format!("{base}/renewal-quotes"),
            "finance",
            json!({"amount_fen": 0, "valid_until": "2027-04-30"}),
            422,
            "invalid_amount",
        ),
        (
            "POST",
            format!("{base}/callbacks/{}/completion", Uuid::now_v7()),
            "csm",
            json!({}),
            404,
            "callback_task_not_found",
        ),
        (
            "POST",
            "/v1/contracts".to_owned(),
            "finance",
            json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-01", "instalments": []}),
            422,
            "invalid_instalments",
        ),
        (
            "POST",
            "/v1/contracts".to_owned(),
            "finance",
            json!({"customer_id": Uuid::now_v7(), "rep_id": REP_A, "signed_on": "2027-03-01", "instalments": [{"due_on": "2027-04-01", "amount_fen": 1}]}),
            422,
            "unknown_customer",
        ),
        (
            "POST",
            format!("/v1/contracts/{contract_id}/payments"),
            "finance",
            json!({"payment_ref": "P-1", "amount_fen": 100_001, "received_on": "2027-03-15"}),
            409,
            "payment_exceeds_outstanding",
        ),
        (
            "POST",
            format!("/v1/contracts/{}/payments", Uuid::now_v7()),
            "finance",
            json!({"payment_ref": "P-1", "amount_fen": 1, "received_on": "2027-03-15"}),
            404,
            "contract_not_found",
        ),
        (
            "POST",
            "/v1/process-assets".to_owned(),
            "supervisor",
            json!({"customer_id": customer_id, "rep_id": REP_A, "kind": "solution", "title": " "}),
            422,
            "invalid_text",
        ),
        (
            "POST",
            format!("/v1/leads/{lead_id}/stage"),
            "rep",
            json!({"stage": "proposal"}),
            409,
            "lead_stage_not_allowed",
        ),
        (
            "POST",
            "/v1/config/health-policy".to_owned(),
            "cto",
            {
                let mut policy = health_policy(2);
                policy["weights"]["usage"] = json!(31);
                policy
            },
            422,
            "invalid_health_policy",
        ),
        (
            "POST",
            "/v1/config/health-policy".to_owned(),
            "cto",
            health_policy(1),
            409,
            "config_version_not_newer",
        ),
    ];
    for (method, path, token, body, status, code) in cases {
        let answer = app
            .send_json(method, &path, app.token(token), &body, &[])
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{method} {path} {body}: {}",
            answer.text
        );
        assert_eq!(answer.content_type(), "application/problem+json");
        assert_eq!(app.log_len(), before, "{method} {path}: nothing appended");
    }
}

#[tokio::test]
async fn a_red_customer_cannot_be_quoted_until_the_cto_approves_a_rescue_plan() {
    let app = spawn_app().await;
    let red = reps_customer(&app, "上海凯达精密机械有限公司").await;
    let yellow = customer(&app, "北京华康医院管理有限公司").await;

    // Red: no usage at all and no renewal date (only the ticket indicator
    // scores: 20.00 points).
    app.post_json(
        &format!("/v1/customers/{red}/usage-reports"),
        "integrator",
        &json!({"days": [{"day": "2027-03-15", "logins": 0, "key_feature_calls": 0}]}),
    )
    .await
    .ok();
    // Yellow: 20 active days (30), half the basic plan's key-feature calls
    // (12.5), no tickets (20), renewal far away (15): 77.50 points.
    app.post_json(
        &format!("/v1/customers/{yellow}/usage-reports"),
        "integrator",
        &json!({"days": usage_days("2027-03-16", 20, 50)}),
    )
    .await
    .ok();
    app.put_json(
        &format!("/v1/customers/{yellow}/renewal"),
        "csm",
        &json!({"renewal_on": "2027-12-31", "plan": "basic"}),
    )
    .await
    .ok();

    // Before any evaluation, quoting is open.
    let quote = json!({"amount_fen": 38_000_000u64, "valid_until": "2027-04-30"});
    app.post_json(
        &format!("/v1/customers/{red}/renewal-quotes"),
        "rep",
        &quote,
    )
    .await
    .ok();

    // 2027-03-16 (local) closes at 16:00 UTC.
    app.set_now(at("2027-03-16T16:30:00Z"));
    let closed = app
        .post_json("/v1/days/2027-03-16/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    let changes = payloads(&closed, "HealthLevelChanged");
    let change_of = |customer_id: Uuid| {
        changes
            .iter()
            .find(|change| change["customer_id"] == json!(customer_id))
            .unwrap_or_else(|| panic!("no change for {customer_id}: {}", closed.text))
    };
    assert_eq!(change_of(red)["to"], json!("red"), "{}", closed.text);
    assert_eq!(change_of(red)["score_bp"], json!(2000));
    assert_eq!(change_of(yellow)["to"], json!("yellow"), "{}", closed.text);
    assert_eq!(change_of(yellow)["score_bp"], json!(7750));
    let frozen = payloads(&closed, "RenewalQuotingFrozen");
    assert_eq!(frozen.len(), 1, "{}", closed.text);
    assert_eq!(frozen[0]["customer_id"], json!(red));
    assert_eq!(frozen[0]["day"], json!("2027-03-16"));
    let tasks = payloads(&closed, "CallbackTaskCreated");
    assert_eq!(tasks.len(), 1, "{}", closed.text);
    assert_eq!(tasks[0]["customer_id"], json!(yellow));
    assert_eq!(tasks[0]["due_at"], json!("2027-03-18T16:00:00Z"));
    let task_id = tasks[0]["task_id"].as_str().expect("task_id").to_owned();

    // The yellow customer's call-back: CSMs only, met before it is due.
    let completion = format!("/v1/customers/{yellow}/callbacks/{task_id}/completion");
    let before = app.log_len();
    app.post_json(&completion, "rep", &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let completed = app
        .post_json(&completion, "csm", &json!({"note": "约好下周培训"}))
        .await;
    completed.ok();
    let completed = completed.event("CallbackTaskCompleted");
    assert_eq!(completed["met"], json!(true));
    assert_eq!(completed["completed_by"], json!("test.csm"));
    assert_eq!(app.log_len(), before + 1);

    // Frozen: the quote is refused with a clear error, nothing appended.
    let quotes = format!("/v1/customers/{red}/renewal-quotes");
    let before = app.log_len();
    let refused = app.post_json(&quotes, "finance", &quote).await;
    refused.assert_problem(409, "renewal_quoting_frozen");
    assert_eq!(app.log_len(), before);

    // A rescue plan; the id is the client's when given.
    let plan_id = Uuid::now_v7();
    let submitted = app
        .post_json(
            &format!("/v1/customers/{red}/rescue-plans"),
            "csm",
            &json!({"plan_id": plan_id, "summary": "两周内完成关键用户培训"}),
        )
        .await;
    submitted.ok();
    assert_eq!(
        submitted.event("RescuePlanSubmitted")["plan_id"],
        json!(plan_id)
    );
    let approval = format!("/v1/customers/{red}/rescue-plans/{plan_id}/approval");

    // A supervisor (or anyone but the CTO) may not approve it; still frozen.
    let before = app.log_len();
    for role in [
        "supervisor",
        "csm",
        "rep",
        "regional_supervisor",
        "integrator",
    ] {
        app.post_json(&approval, role, &json!({}))
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(app.log_len(), before);
    app.post_json(&quotes, "finance", &quote)
        .await
        .assert_problem(409, "renewal_quoting_frozen");

    // The CTO approves: quoting is unfrozen.
    let approved = app.post_json(&approval, "cto", &json!({})).await;
    approved.ok();
    assert_eq!(
        approved.event_types(),
        ["RescuePlanApproved", "RenewalQuotingUnfrozen"]
    );
    assert_eq!(
        approved.event("RescuePlanApproved")["approved_by"],
        json!("test.cto")
    );
    app.post_json(&approval, "cto", &json!({}))
        .await
        .assert_problem(409, "rescue_plan_already_approved");
    let quoted = app.post_json(&quotes, "finance", &quote).await;
    quoted.ok();
    assert_eq!(
        quoted.event("RenewalQuoted")["amount_fen"],
        json!(38_000_000u64)
    );

    // The account shows the freeze lifted and the approved plan.
    let account = app.state_of(&format!("/v1/customers/{red}/account")).await;
    assert_eq!(account["frozen_since"], Value::Null, "{account}");
    assert_eq!(account["level"], json!("red"));
}

#[tokio::test]
async fn contracts_payments_and_three_task_cards_per_overdue_instalment() {
    let app = spawn_app().await;
    let customer_id = reps_customer(&app, "宁波海天精工机械有限公司").await;
    let terms = json!([
        {"due_on": "2027-03-20", "amount_fen": 100_000},
        {"due_on": "2027-04-20", "amount_fen": 200_000}
    ]);

    // A rep signs only as itself; finance for any rep.
    let before = app.log_len();
    app.post_json(
        "/v1/contracts",
        "rep",
        &json!({"customer_id": customer_id, "rep_id": REP_B, "signed_on": "2027-03-15", "instalments": terms}),
    )
    .await
    .assert_problem(403, "not_own_rep");
    app.post_json(
        "/v1/contracts",
        "marketing",
        &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-15", "instalments": terms}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before);
    let signed = app
        .post_json(
            "/v1/contracts",
            "rep",
            &json!({"customer_id": customer_id, "rep_id": REP_A, "signed_on": "2027-03-15", "instalments": terms}),
        )
        .await;
    assert_eq!(signed.status.as_u16(), 201, "{}", signed.text);
    let contract_id = super::support::stream_uuid(&signed);
    assert_eq!(
        signed.headers["location"],
        format!("/v1/contracts/{contract_id}").as_str()
    );
    assert_eq!(signed.event("ContractSigned")["total_fen"], json!(300_000));
    let by_finance = app
        .post_json(
            "/v1/contracts",
            "finance",
            &json!({"customer_id": customer_id, "rep_id": REP_B, "signed_on": "2027-03-15", "instalments": [{"due_on": "2027-06-30", "amount_fen": 5}]}),
        )
        .await;
    assert_eq!(by_finance.status.as_u16(), 201, "{}", by_finance.text);

    // A partial payment goes to the oldest instalment; reps record none.
    let payments = format!("/v1/contracts/{contract_id}/payments");
    let payment =
        json!({"payment_ref": "ICBC-778812", "amount_fen": 40_000, "received_on": "2027-03-16"});
    app.post_json(&payments, "rep", &payment)
        .await
        .assert_problem(403, "forbidden");
    let paid = app.post_json(&payments, "finance", &payment).await;
    paid.ok();
    assert_eq!(
        paid.event("PaymentReceived")["allocations"],
        json!([{"index": 0, "amount_fen": 40_000}])
    );
    app.post_json(&payments, "finance", &payment)
        .await
        .assert_problem(409, "payment_already_recorded");
    let contract = app.state_of(&format!("/v1/contracts/{contract_id}")).await;
    assert_eq!(
        contract["instalments"]["0"]["paid_fen"],
        json!(40_000),
        "{contract}"
    );

    // Due on 03-20, overdue from 03-21: the close of 03-20 issues nothing,
    // the close of 03-21 flags it with one card each for sales, finance and
    // legal, and no later close (or a repeated one) issues more.
    app.set_now(at("2027-03-23T00:00:00Z"));
    let close = |day: &'static str| {
        let app = &app;
        async move {
            let closed = app
                .post_json(&format!("/v1/days/{day}/close"), "integrator", &json!({}))
                .await;
            closed.ok();
            closed
        }
    };
    let closed = close("2027-03-20").await;
    assert!(
        payloads(&closed, "OverdueTaskCardIssued").is_empty(),
        "{}",
        closed.text
    );
    let closed = close("2027-03-21").await;
    let overdue = payloads(&closed, "InstalmentOverdue");
    assert_eq!(overdue.len(), 1, "{}", closed.text);
    assert_eq!(overdue[0]["contract_id"], json!(contract_id));
    assert_eq!(overdue[0]["index"], json!(0));
    assert_eq!(overdue[0]["outstanding_fen"], json!(60_000));
    let cards = payloads(&closed, "OverdueTaskCardIssued");
    let departments: Vec<&Value> = cards.iter().map(|card| &card["department"]).collect();
    assert_eq!(
        departments,
        [&json!("sales"), &json!("finance"), &json!("legal")]
    );
    assert!(cards
        .iter()
        .all(|card| card["contract_id"] == json!(contract_id)));
    for day in ["2027-03-21", "2027-03-22"] {
        let closed = close(day).await;
        assert!(
            payloads(&closed, "OverdueTaskCardIssued").is_empty()
                && payloads(&closed, "InstalmentOverdue").is_empty(),
            "{day}: {}",
            closed.text
        );
    }
}

#[tokio::test]
async fn process_assets_funnel_stages_and_the_health_policy() {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    let customer_id = reps_customer(&app, "深圳迈科医疗设备有限公司").await;

    // Process assets: a rep records its own, a supervisor anyone's.
    let asset = |rep_id: Uuid| json!({"customer_id": customer_id, "rep_id": rep_id, "kind": "objection_answer", "title": "交期顾虑的标准答复"});
    let before = app.log_len();
    app.post_json("/v1/process-assets", "rep", &asset(REP_B))
        .await
        .assert_problem(403, "not_own_rep");
    app.post_json("/v1/process-assets", "csm", &asset(REP_A))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before);
    let recorded = app
        .post_json("/v1/process-assets", "rep", &asset(REP_A))
        .await;
    assert_eq!(recorded.status.as_u16(), 201, "{}", recorded.text);
    let asset_id = super::support::stream_uuid(&recorded);
    assert_eq!(
        recorded.headers["location"],
        format!("/v1/process-assets/{asset_id}").as_str()
    );
    let state = app
        .state_of(&format!("/v1/process-assets/{asset_id}"))
        .await;
    assert_eq!(state["record"]["kind"], json!("objection_answer"));
    let by_supervisor = app
        .post_json("/v1/process-assets", "supervisor", &asset(REP_B))
        .await;
    assert_eq!(by_supervisor.status.as_u16(), 201, "{}", by_supervisor.text);

    // Funnel: a routed lead moves forward; won is final.
    let lead_id = app.confirmed_lead().await;
    app.post_json(
        &format!("/v1/leads/{lead_id}/routing-proposals"),
        "supervisor",
        &json!({}),
    )
    .await
    .ok();
    app.post_json(
        &format!("/v1/leads/{lead_id}/routing-confirmation"),
        "supervisor",
        &json!({"rep_id": REP_A}),
    )
    .await
    .ok();
    let stage = format!("/v1/leads/{lead_id}/stage");
    app.post_json(&stage, "marketing", &json!({"stage": "proposal"}))
        .await
        .assert_problem(403, "forbidden");
    let advanced = app
        .post_json(
            &stage,
            "rep",
            &json!({"stage": "proposal", "reason": "方案已提交"}),
        )
        .await;
    advanced.ok();
    let event = advanced.event("LeadStageAdvanced");
    assert_eq!(
        (&event["from"], &event["to"]),
        (&json!("qualified"), &json!("proposal"))
    );
    assert_eq!(event["advanced_by"], json!("test.rep"));
    app.post_json(&stage, "supervisor", &json!({"stage": "won"}))
        .await
        .ok();
    app.post_json(&stage, "rep", &json!({"stage": "lost"}))
        .await
        .assert_problem(409, "lead_stage_not_allowed");

    // The health policy: supervisors and the CTO publish it, versioned.
    app.post_json("/v1/config/health-policy", "rep", &health_policy(2))
        .await
        .assert_problem(403, "forbidden");
    let published = app
        .post_json("/v1/config/health-policy", "cto", &health_policy(2))
        .await;
    published.ok();
    let event = published.event("HealthPolicyPublished");
    assert_eq!(event["policy"]["version"], json!(2));
    assert_eq!(event["published_by"], json!("test.cto"));
    let config = app.get("/v1/config", "auditor").await;
    assert_eq!(
        config.json["config"]["health_policy"]["version"],
        json!(2),
        "{}",
        config.text
    );
    app.post_json("/v1/config/health-policy", "supervisor", &health_policy(2))
        .await
        .assert_problem(409, "config_version_not_newer");
}

/// The results of a bulk answer: (status, problem code or "").
fn item_results(answer: &Answer) -> Vec<(u64, String)> {
    answer.json["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {}", answer.text))
        .iter()
        .enumerate()
        .map(|(index, result)| {
            assert_eq!(result["index"], json!(index), "{}", answer.text);
            (
                result["status"].as_u64().expect("status"),
                result["problem"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

fn expected(results: &[(u64, &str)]) -> Vec<(u64, String)> {
    results
        .iter()
        .map(|(status, code)| (*status, (*code).to_owned()))
        .collect()
}

#[tokio::test]
async fn bulk_ingestion_runs_each_item_and_answers_one_result_per_item_in_order() {
    let app = spawn_app().await;
    let first = customer(&app, "广州康源医疗科技有限公司").await;
    let second = customer(&app, "成都天府智能制造有限公司").await;
    let day = |day: &str| json!([{"day": day, "logins": 3, "key_feature_calls": 9}]);

    // Usage reports: good, unknown field, good, unknown customer, a day in
    // the future, not an object, a bad customer id.
    let before = app.log_len();
    let answer = app
        .post_json(
            "/v1/ingest/usage-reports",
            "integrator",
            &json!({"items": [
                {"customer_id": first, "days": day("2027-03-14")},
                {"customer_id": first, "days": day("2027-03-14"), "sessions": 4},
                {"customer_id": second, "days": day("2027-03-15"), "modules_used": ["crm"]},
                {"customer_id": Uuid::now_v7(), "days": day("2027-03-15")},
                {"customer_id": second, "days": day("2027-03-20")},
                [first],
                {"customer_id": "not-a-uuid", "days": day("2027-03-15")},
                {"days": day("2027-03-15")}
            ]}),
        )
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert_eq!(
        item_results(&answer),
        expected(&[
            (200, ""),
            (400, "unknown_field"),
            (200, ""),
            (404, "not_found"),
            (422, "date_in_future"),
            (400, "wrong_type"),
            (400, "invalid_body"),
            (400, "missing_field"),
        ])
    );
    assert_eq!(answer.json["n_items"], json!(8));
    assert_eq!(answer.json["n_succeeded"], json!(2));
    assert_eq!(answer.json["n_failed"], json!(6));
    assert_eq!(
        answer.json["results"][1]["problem"]["path"],
        json!("sessions")
    );
    assert_eq!(
        answer.json["results"][2]["outcome"]["stream_id"],
        json!(format!("account-{second}"))
    );
    assert_eq!(
        app.log_len(),
        before + 2,
        "only the good items were appended"
    );

    // Support tickets: items of one customer run in order (open, then
    // resolve); a resolve of an unknown ticket fails alone.
    let answer = app
        .post_json(
            "/v1/ingest/support-tickets",
            "csm",
            &json!({"items": [
                {"customer_id": first, "action": "open", "ticket_ref": "ZD-1", "opened_at": "2027-03-15T09:00:00+08:00"},
                {"customer_id": second, "action": "resolve", "ticket_ref": "ZD-9", "resolved_at": "2027-03-15T10:00:00+08:00"},
                {"customer_id": first, "action": "resolve", "ticket_ref": "ZD-1", "resolved_at": "2027-03-15T10:00:00+08:00"},
                {"customer_id": first, "action": "open", "ticket_ref": "ZD-1", "opened_at": "2027-03-15T09:00:00+08:00"}
            ]}),
        )
        .await;
    assert_eq!(
        item_results(&answer),
        expected(&[
            (200, ""),
            (404, "ticket_not_found"),
            (200, ""),
            (409, "ticket_already_recorded"),
        ])
    );

    // Keyword searches, by marketing; a CSM may not ingest them at all.
    let searches = json!({"items": [
        {"customer_id": first, "searches": [{"keyword": "Siemens", "searched_on": "2027-03-14", "count": 2}]},
        {"customer_id": second, "searches": [{"keyword": "siemens", "searched_on": "2027-03-14", "count": 0}]}
    ]});
    let before = app.log_len();
    app.post_json("/v1/ingest/keyword-searches", "csm", &searches)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.log_len(), before);
    let answer = app
        .post_json("/v1/ingest/keyword-searches", "marketing", &searches)
        .await;
    assert_eq!(
        item_results(&answer),
        expected(&[(200, ""), (422, "invalid_keyword_searches")])
    );

    // Payments on contracts, with an idempotency key per item: a retry of
    // the same batch replays what succeeded and appends nothing new.
    let signed = app
        .post_json(
            "/v1/contracts",
            "finance",
            &json!({"customer_id": first, "rep_id": REP_A, "signed_on": "2027-03-01", "instalments": [{"due_on": "2027-04-01", "amount_fen": 1_000}]}),
        )
        .await;
    let contract_id = super::support::stream_uuid(&signed);
    let payments = json!({"items": [
        {"contract_id": contract_id, "payment_ref": "P-1", "amount_fen": 400, "received_on": "2027-03-10"},
        {"contract_id": Uuid::now_v7(), "payment_ref": "P-2", "amount_fen": 1, "received_on": "2027-03-10"},
        {"contract_id": contract_id, "payment_ref": "P-3", "amount_fen": 700, "received_on": "2027-03-11"},
        {"contract_id": contract_id, "payment_ref": "P-4", "amount_fen": 600, "received_on": "2027-03-12"}
    ]});
    let send = || {
        app.send_json(
            "POST",
            "/v1/ingest/payments",
            app.token("finance"),
            &payments,
            &[("idempotency-key", "bank-file-20270312")],
        )
    };
    let before = app.log_len();
    let answer = send().await;
    assert_eq!(
        item_results(&answer),
        expected(&[
            (200, ""),
            (404, "contract_not_found"),
            (409, "payment_exceeds_outstanding"),
            (200, ""),
        ])
    );
    assert_eq!(app.log_len(), before + 2);
    let retried = send().await;
    assert_eq!(item_results(&retried), item_results(&answer));
    assert_eq!(
        retried.json["results"][0]["outcome"]["replayed"],
        json!(true)
    );
    assert_eq!(
        retried.json["results"][0]["outcome"]["events"],
        answer.json["results"][0]["outcome"]["events"]
    );
    assert_eq!(app.log_len(), before + 2, "a retried batch appends nothing");

    // The batch itself: 1 to 1,000 items, nothing else in the body.
    let before = app.log_len();
    for (body, status, code) in [
        (json!({"items": []}), 422, "invalid_batch_size"),
        (json!({"items": [], "source": "crm"}), 400, "unknown_field"),
        (json!({"item": []}), 400, "unknown_field"),
        (json!({}), 400, "missing_field"),
        (json!({"items": {}}), 400, "wrong_type"),
    ] {
        app.post_json("/v1/ingest/usage-reports", "integrator", &body)
            .await
            .assert_problem(status, code);
    }
    let too_many: Vec<Value> = (0..1_001)
        .map(|_| json!({"customer_id": first, "days": day("2027-03-14")}))
        .collect();
    app.post_json(
        "/v1/ingest/usage-reports",
        "integrator",
        &json!({"items": too_many}),
    )
    .await
    .assert_problem(422, "invalid_batch_size");
    assert_eq!(app.log_len(), before);
}

#[tokio::test]
async fn a_thousand_items_over_the_single_request_body_limit_are_ingested() {
    let app = spawn_app().await;
    let known = customer(&app, "武汉光谷精密仪器有限公司").await;
    // 31 days per item: about 2 MB, far over the 256 KiB limit of a single
    // command. Unknown customers fail alone (404) without an append.
    let days = usage_days("2027-03-15", 31, 5);
    let items: Vec<Value> = (0..1_000)
        .map(|index| {
            let customer_id = if index % 250 == 0 {
                known
            } else {
                Uuid::now_v7()
            };
            json!({"customer_id": customer_id, "days": days})
        })
        .collect();
    let body = json!({"items": items});
    assert!(body.to_string().len() > 1024 * 1024);
    let before = app.log_len();
    let answer = app
        .post_json("/v1/ingest/usage-reports", "integrator", &body)
        .await;
    assert_eq!(
        answer.status.as_u16(),
        200,
        "{}",
        &answer.text[..answer.text.len().min(500)]
    );
    assert_eq!(answer.json["n_items"], json!(1_000));
    assert_eq!(answer.json["n_succeeded"], json!(4));
    let results = item_results(&answer);
    for (index, (status, code)) in results.iter().enumerate() {
        if index % 250 == 0 {
            assert_eq!(*status, 200, "item {index}");
        } else {
            assert_eq!((*status, code.as_str()), (404, "not_found"), "item {index}");
        }
    }
    assert_eq!(app.log_len(), before + 4);
}
