//! Issue 16, point 3: `GET /v1/views/todos`, a rep's work list. Rep A's
//! visit confirms two next actions and "still comparing" (a nurture pack of
//! three steps follows); rep B's visit one. Each rep sees only their own
//! items; supervisors filter by rep and by region; a regional supervisor
//! sees their region; a completed to-do and a sent step leave the list; a
//! transfer moves the customer's nurture steps to the new owner; statuses
//! follow the last closed day; pages follow to the whole list; bad filters
//! are 400s with stable codes and append nothing.

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{spawn_app, stream_uuid, TestApp, REP_A, REP_B};

/// Rep A's customer (华东) and rep B's (华北), each with a confirmed
/// visit; returns (A's customer, B's customer, A's visit, the last
/// position).
async fn two_reps_with_work(app: &TestApp) -> (Uuid, Uuid, Uuid, u64) {
    app.seed_config().await;
    app.register_reps().await;
    let customer_a = app.reps_customer().await;
    let customer_b = app
        .register_customer(json!({
            "company_name": "北京恒泰精密机械有限公司",
            "contact_email": "buyer@hengtai-jm.cn",
            "attributes": {"industry": "machinery", "region": "华北"}
        }))
        .await;
    app.post_json(
        &format!("/v1/customers/{customer_b}/claim"),
        "rep_b",
        &json!({"rep_id": REP_B}),
    )
    .await
    .ok();

    let visit_a = visit(app, "rep", REP_A, customer_a).await;
    app.post_json(
        &format!("/v1/visits/{visit_a}/extraction-confirmation"),
        "rep",
        &json!({
            "rep_id": REP_A, "competitors": [], "concerns": [],
            "stance": "still_comparing",
            "next_actions": [
                {"title": "发送交期承诺函", "due_on": "2027-03-15"},
                {"title": "Send the price comparison", "due_on": "2027-03-20"}
            ]
        }),
    )
    .await
    .ok();
    let visit_b = visit(app, "rep_b", REP_B, customer_b).await;
    app.post_json(
        &format!("/v1/visits/{visit_b}/extraction-confirmation"),
        "rep_b",
        &json!({
            "rep_id": REP_B, "competitors": [], "concerns": [],
            "next_actions": [{"title": "回访设备验收", "due_on": "2027-03-16"}]
        }),
    )
    .await
    .ok();
    (customer_a, customer_b, visit_a, app.log_len() - 1)
}

async fn visit(app: &TestApp, token: &str, rep_id: Uuid, customer_id: Uuid) -> Uuid {
    let logged = app
        .post_json(
            "/v1/visits",
            token,
            &json!({
                "customer_id": customer_id, "rep_id": rep_id, "channel": "on_site",
                "occurred_at": "2027-03-15T10:30:00+08:00",
                "transcript": "客户说还在比较, 预计下个月采购。"
            }),
        )
        .await;
    assert_eq!(logged.status.as_u16(), 201, "{}", logged.text);
    stream_uuid(&logged)
}

/// The list at `path` under `token`, once the view reflects `position`.
async fn list(app: &TestApp, path: &str, token: &str, position: u64) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = app
        .get(
            &format!("{path}{separator}wait_for_position={position}&timeout_ms=10000"),
            token,
        )
        .await;
    let body = answer.ok();
    assert_eq!(body["view"], json!("todos"), "{}", answer.text);
    body["data"].as_array().expect("a list").clone()
}

fn field<'a>(items: &'a [Value], name: &str) -> Vec<&'a Value> {
    items.iter().map(|item| &item[name]).collect()
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|item| item["kind"].as_str().expect("a kind"))
        .collect()
}

#[tokio::test]
async fn each_rep_sees_their_own_work_and_supervisors_filter_by_rep_and_region() {
    let app = spawn_app().await;
    let (customer_a, customer_b, visit_a, position) = two_reps_with_work(&app).await;

    let mine = list(&app, "/v1/views/todos", "rep", position).await;
    assert_eq!(
        kinds(&mine),
        // Due 03-15, the first step 03-17, then 03-20 (the to-do, whose
        // event came first, and the second step), the third step 03-26.
        [
            "visit_todo",
            "nurture_step",
            "visit_todo",
            "nurture_step",
            "nurture_step"
        ],
        "{mine:?}"
    );
    assert!(mine.iter().all(|item| item["rep_id"] == json!(REP_A)));
    assert!(mine
        .iter()
        .all(|item| item["customer_id"] == json!(customer_a) && item["region"] == json!("华东")));
    let due: Vec<&str> = mine
        .iter()
        .map(|item| item["due_on"].as_str().expect("due_on"))
        .collect();
    let mut sorted = due.clone();
    sorted.sort();
    assert_eq!(due, sorted, "in due-day order");
    let todo = &mine[0];
    assert_eq!(todo["title"], json!("发送交期承诺函"));
    assert_eq!(todo["visit_id"], json!(visit_a));
    assert_eq!(todo["source"]["event_type"], json!("TodoCreated"));
    assert!(todo["source"]["position"].as_u64().is_some(), "{todo}");
    assert_eq!(todo["status"], json!("upcoming"), "no day has closed");
    let step = &mine[1];
    assert_eq!(step["source"]["event_type"], json!("NurturePackStarted"));
    assert_eq!(step["step_index"], json!(0));
    assert!(step["due_at"].is_string(), "{step}");

    let theirs = list(&app, "/v1/views/todos", "rep_b", position).await;
    assert_eq!(kinds(&theirs), ["visit_todo"]);
    assert_eq!(theirs[0]["customer_id"], json!(customer_b));
    assert_eq!(theirs[0]["title"], json!("回访设备验收"));
    // A rep naming themselves gets the same list; naming another, a 403.
    let own = list(
        &app,
        &format!("/v1/views/todos?rep={REP_A}"),
        "rep",
        position,
    )
    .await;
    assert_eq!(own, mine);
    app.get(&format!("/v1/views/todos?rep={REP_B}"), "rep")
        .await
        .assert_problem(403, "not_own_rep");
    app.get("/v1/views/todos", "rep_no_id")
        .await
        .assert_problem(403, "rep_identity_unknown");

    let everyone = list(&app, "/v1/views/todos", "supervisor", position).await;
    assert_eq!(everyone.len(), 6, "{everyone:?}");
    let by_b = list(
        &app,
        &format!("/v1/views/todos?rep={REP_B}"),
        "supervisor",
        position,
    )
    .await;
    assert_eq!(by_b, theirs);
    let by_a = list(
        &app,
        &format!("/v1/views/todos?rep={REP_A}"),
        "supervisor",
        position,
    )
    .await;
    assert_eq!(by_a, mine);
    let north = list(&app, "/v1/views/todos?region=华北", "supervisor", position).await;
    assert_eq!(north, theirs);
    let east = list(&app, "/v1/views/todos?region=华东", "supervisor", position).await;
    assert_eq!(east, mine);
    let both = list(
        &app,
        &format!("/v1/views/todos?rep={REP_A}&region=华北"),
        "supervisor",
        position,
    )
    .await;
    assert!(both.is_empty(), "{both:?}");
    let nowhere = list(&app, "/v1/views/todos?region=华南", "supervisor", position).await;
    assert!(nowhere.is_empty());
    // By kind: the whole list's items of that kind; each says whose work
    // it is (a call-back is a CSM's, the rest a rep's).
    let all = list(&app, "/v1/views/todos", "supervisor", position).await;
    for kind in ["visit_todo", "callback"] {
        let of_kind = list(
            &app,
            &format!("/v1/views/todos?kind={kind}"),
            "supervisor",
            position,
        )
        .await;
        let wanted: Vec<Value> = all
            .iter()
            .filter(|item| item["kind"] == kind)
            .cloned()
            .collect();
        assert_eq!(of_kind, wanted, "{kind}");
    }
    assert!(!all.is_empty());
    for item in &all {
        let role = if item["kind"] == "callback" {
            "csm"
        } else {
            "rep"
        };
        assert_eq!(item["for_role"], role, "{item}");
    }
    // A regional supervisor sees their region's customers only.
    let regional = list(&app, "/v1/views/todos", "regional_north", position).await;
    assert_eq!(regional, theirs);
}

#[tokio::test]
async fn done_items_leave_the_list_and_a_transfer_moves_the_owners_items() {
    let app = spawn_app().await;
    let (customer_a, _, visit_a, position) = two_reps_with_work(&app).await;
    let mine = list(&app, "/v1/views/todos", "rep", position).await;
    let todo_id = mine[0]["todo_id"].as_str().expect("todo_id").to_owned();
    let pack_id = mine[1]["pack_id"].as_str().expect("pack_id").to_owned();

    let done = app
        .post_json(
            &format!("/v1/visits/{visit_a}/todos/{todo_id}/completion"),
            "rep",
            &json!({"rep_id": REP_A}),
        )
        .await;
    done.ok();
    let sent = app
        .post_json(
            &format!("/v1/nurture-packs/{pack_id}/sent-steps"),
            "rep",
            &json!({"step_index": 0, "channel": "企业微信"}),
        )
        .await;
    sent.ok();
    let position = app.log_len() - 1;
    let now = list(&app, "/v1/views/todos", "rep", position).await;
    assert_eq!(
        kinds(&now),
        ["visit_todo", "nurture_step", "nurture_step"],
        "{now:?}"
    );
    assert!(
        !field(&now, "todo_id").contains(&&json!(todo_id)),
        "the completed to-do left"
    );
    assert_eq!(field(&now, "step_index")[1..], [&json!(1), &json!(2)]);
    let everyone = list(&app, "/v1/views/todos", "supervisor", position).await;
    assert_eq!(everyone.len(), 4);

    // Transferred to rep B: the nurture steps follow the owner; the visit
    // to-do stays rep A's (only the visiting rep completes it), and rep A
    // no longer reads that customer.
    app.post_json(
        &format!("/v1/customers/{customer_a}/transfer"),
        "supervisor",
        &json!({"to_rep_id": REP_B, "reason": "原负责人调岗"}),
    )
    .await
    .ok();
    let position = app.log_len() - 1;
    let theirs = list(&app, "/v1/views/todos", "rep_b", position).await;
    assert_eq!(
        kinds(&theirs),
        ["visit_todo", "nurture_step", "nurture_step"],
        "{theirs:?}"
    );
    assert!(theirs.iter().all(|item| item["rep_id"] == json!(REP_B)));
    let by_a = list(
        &app,
        &format!("/v1/views/todos?rep={REP_A}"),
        "supervisor",
        position,
    )
    .await;
    assert_eq!(kinds(&by_a), ["visit_todo"]);
    assert!(list(&app, "/v1/views/todos", "rep", position)
        .await
        .is_empty());

    // Closing the pack takes its unsent steps off.
    app.post_json(
        &format!("/v1/nurture-packs/{pack_id}/close"),
        "rep_b",
        &json!({"reason": "converted"}),
    )
    .await
    .ok();
    let position = app.log_len() - 1;
    let theirs = list(&app, "/v1/views/todos", "rep_b", position).await;
    assert_eq!(kinds(&theirs), ["visit_todo"], "{theirs:?}");
}

#[tokio::test]
async fn statuses_follow_the_last_closed_day_and_pages_follow_to_the_whole_list() {
    let app = spawn_app().await;
    let (_, _, _, _) = two_reps_with_work(&app).await;
    let closed = app
        .post_json("/v1/days/2027-03-15/close", "supervisor", &json!({}))
        .await;
    closed.ok();
    let position = app.log_len() - 1;
    let everyone = list(&app, "/v1/views/todos", "supervisor", position).await;
    let status_of = |title: &str| {
        everyone
            .iter()
            .find(|item| item["title"] == json!(title))
            .map(|item| item["status"].clone())
            .unwrap_or_else(|| panic!("no {title} in {everyone:?}"))
    };
    assert_eq!(status_of("发送交期承诺函"), json!("overdue"));
    assert_eq!(status_of("回访设备验收"), json!("due"));
    assert_eq!(status_of("Send the price comparison"), json!("upcoming"));

    for limit in [1, 2, 4, 6, 7] {
        let (rows, pages) = app
            .read_pages("/v1/views/todos", "supervisor", limit, position)
            .await;
        assert_eq!(rows, everyone, "limit {limit}");
        assert_eq!(
            pages,
            everyone.len().div_ceil(limit).max(1),
            "limit {limit}"
        );
    }
    let (rows, _) = app
        .read_pages(&format!("/v1/views/todos?rep={REP_A}"), "rep", 2, position)
        .await;
    assert_eq!(rows, list(&app, "/v1/views/todos", "rep", position).await);
    let (rows, _) = app
        .read_pages("/v1/views/todos?region=华北", "supervisor", 1, position)
        .await;
    assert_eq!(kinds(&rows), ["visit_todo"]);
}

#[tokio::test]
async fn bad_filters_are_400s_with_stable_codes_and_append_nothing() {
    let app = spawn_app().await;
    let (_, _, _, position) = two_reps_with_work(&app).await;
    for (query, code) in [
        ("rep=not-a-uuid", "invalid_query"),
        ("region=", "invalid_region"),
        ("region=%20%20", "invalid_region"),
        ("limit=0", "invalid_query"),
        ("limit=1001", "invalid_query"),
        ("limit=ten", "invalid_query"),
        ("cursor=zz", "invalid_cursor"),
        ("cursor=00", "invalid_cursor"),
        ("owner=me", "invalid_query"),
        ("kind=meeting", "invalid_query"),
    ] {
        app.get(&format!("/v1/views/todos?{query}"), "supervisor")
            .await
            .assert_problem(400, code);
    }
    assert_eq!(app.log_len(), position + 1, "nothing appended");
}
