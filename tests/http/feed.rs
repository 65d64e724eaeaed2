//! The event feed: `GET /v1/events` pages the log in order with hashes,
//! filters by type and by the caller's role, long-polls with `wait_ms`;
//! `GET /v1/events/stream` streams live records as Server-Sent Events; a
//! reader resumes from its last `next_after` across a server restart
//! (the `salesledger serve` process killed and started again) with no gap.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use super::support::*;

/// Reads the whole feed as `token`, `limit` records a page; returns every
/// record and the final `next_after`.
async fn read_all(app: &TestApp, token: &str, query: &str, limit: usize) -> (Vec<Value>, Value) {
    let mut records = Vec::new();
    let mut after: Option<u64> = None;
    loop {
        let mut path = format!("/v1/events?limit={limit}{query}");
        if let Some(after) = after {
            path.push_str(&format!("&after={after}"));
        }
        let answer = app.get(&path, token).await;
        let page = answer.ok().clone();
        let batch = page["records"].as_array().expect("records").clone();
        let next = page["next_after"].clone();
        if batch.is_empty() && next.as_u64() == after {
            return (records, next);
        }
        records.extend(batch);
        after = next.as_u64();
        if after.is_none() {
            return (records, next);
        }
    }
}

async fn seeded_app() -> TestApp {
    let app = spawn_app().await;
    app.seed_config().await;
    app.register_reps().await;
    app
}

#[tokio::test]
async fn the_feed_pages_the_whole_log_in_order_with_linked_hashes() {
    let app = seeded_app().await;
    let (records, next_after) = read_all(&app, "auditor", "", 3).await;
    let positions: Vec<u64> = records
        .iter()
        .map(|record| record["position"].as_u64().expect("position"))
        .collect();
    assert_eq!(positions, (0..app.log_len()).collect::<Vec<_>>());
    assert_eq!(next_after, json!(app.log_len() - 1));
    for pair in records.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "{}", pair[1]);
    }
    let first = &records[0];
    for field in [
        "event_id",
        "stream_id",
        "event_type",
        "schema_version",
        "actor",
        "recorded_at",
        "payload",
        "hash",
        "prev_hash",
    ] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }

    let (reps, _) = read_all(&app, "integrator", "&types=RepRegistered", 100).await;
    assert_eq!(reps.len(), 5);
    assert!(reps
        .iter()
        .all(|record| record["event_type"] == json!("RepRegistered")));
}

#[tokio::test]
async fn each_role_sees_only_the_event_types_of_its_work() {
    let app = seeded_app().await;
    let (all, _) = read_all(&app, "integrator", "", 1000).await;
    assert_eq!(all.len() as u64, app.log_len());
    for role in ["supervisor", "auditor", "analyst"] {
        let (seen, _) = read_all(&app, role, "", 1000).await;
        assert_eq!(seen.len(), all.len(), "{role}");
    }
    // Configuration and rep registrations are not the work of CSMs,
    // finance, legal or reps: their pages are empty, but `next_after`
    // still moves past what was examined.
    for role in ["csm", "finance", "legal", "rep"] {
        let answer = app.get("/v1/events?limit=1000", role).await;
        let page = answer.ok();
        assert_eq!(page["records"], json!([]), "{role}: {}", answer.text);
        assert_eq!(page["next_after"], json!(app.log_len() - 1), "{role}");
    }
    // Store managers see rep registrations, not configuration.
    let (seen, _) = read_all(&app, "store_manager", "", 1000).await;
    assert_eq!(seen.len(), 5);
    // Asking for a type the role may not see yields nothing, not an error.
    let (none, _) = read_all(&app, "csm", "&types=RepRegistered", 1000).await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_rep_sees_only_the_events_of_its_own_work() {
    let app = seeded_app().await;
    // Rep A claims one customer and logs a visit there; rep B claims another.
    let first = app.hospital_customer().await;
    let second = app
        .register_customer(json!({"company_name": "杭州远景包装材料有限公司", "contact_email": "buyer@yuanjing-pack.cn"}))
        .await;
    for (customer, token, rep) in [(first, "rep", REP_A), (second, "rep_b", REP_B)] {
        let claimed = app
            .post_json(
                &format!("/v1/customers/{customer}/claim"),
                token,
                &json!({"rep_id": rep}),
            )
            .await;
        assert_eq!(claimed.status.as_u16(), 200, "{}", claimed.text);
    }
    let visit = app
        .post_json(
            "/v1/visits",
            "rep",
            &json!({
                "customer_id": first,
                "rep_id": REP_A,
                "channel": "on_site",
                "occurred_at": "2027-03-15T10:30:00+08:00",
                "transcript": "客户还在比较西门子的方案, 价格 is a concern.",
                "rep_notes": null
            }),
        )
        .await;
    assert_eq!(visit.status.as_u16(), 201, "{}", visit.text);

    let stream_of = |records: &[Value]| -> Vec<(String, String)> {
        records
            .iter()
            .map(|record| {
                (
                    record["event_type"].as_str().unwrap_or_default().to_owned(),
                    record["stream_id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let (mine, _) = read_all(&app, "rep", "", 1000).await;
    let mine = stream_of(&mine);
    let first_stream = format!("customer-{first}");
    let second_stream = format!("customer-{second}");
    assert!(
        mine.contains(&("CustomerClaimed".into(), first_stream.clone())),
        "{mine:?}"
    );
    assert!(
        mine.iter().any(|(kind, _)| kind == "VisitLogged"),
        "{mine:?}"
    );
    // The extraction names no rep: it is rep A's through the visit's opener.
    assert!(
        mine.iter()
            .any(|(kind, _)| kind == "VisitExtractionProposed"),
        "{mine:?}"
    );
    assert!(
        mine.iter().all(|(_, stream)| stream != &second_stream),
        "{mine:?}"
    );

    let (theirs, _) = read_all(&app, "rep_b", "", 1000).await;
    let theirs = stream_of(&theirs);
    assert_eq!(
        theirs,
        [("CustomerClaimed".to_owned(), second_stream)],
        "{theirs:?}"
    );

    // A rep token without a rep id sees none of the rep-scoped events.
    let (none, _) = read_all(&app, "rep_no_id", "", 1000).await;
    assert!(none.is_empty(), "{none:?}");
    // Store managers oversee every rep's claims.
    let (managed, _) = read_all(&app, "store_manager", "&types=CustomerClaimed", 1000).await;
    assert_eq!(managed.len(), 2);
}

#[tokio::test]
async fn bad_feed_queries_are_problems() {
    let app = seeded_app().await;
    for path in [
        "/v1/events?limit=0",
        "/v1/events?limit=1001",
        "/v1/events?limit=-1",
        "/v1/events?after=x",
        "/v1/events?types=Rep-Registered",
        "/v1/events?types=",
        "/v1/events?since=3",
        "/v1/events/stream?types=a,,b",
        "/v1/events/stream?bogus=1",
    ] {
        app.get(path, "auditor")
            .await
            .assert_problem(400, "invalid_query");
    }
    let anonymous = app
        .client
        .get(app.url("/v1/events"))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status().as_u16(), 401);
    // Past the end: an empty page, `next_after` unchanged.
    let answer = app.get("/v1/events?after=100000", "auditor").await;
    assert_eq!(answer.ok()["records"], json!([]));
    assert_eq!(answer.json["next_after"], json!(100000));
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_matching_record_commits() {
    let app = seeded_app().await;
    let last = app.log_len() - 1;
    let started = std::time::Instant::now();
    let url = app.url(&format!(
        "/v1/events?after={last}&types=RepRegistered&wait_ms=10000"
    ));
    let poll = app
        .client
        .get(url)
        .bearer_auth(app.token("integrator"))
        .send();
    let write = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.register_rep(
            Uuid::now_v7(),
            "新人",
            "华东",
            &["iso13485", "plc-retrofit", "robot-cell"],
        )
        .await;
    };
    let (response, ()) = tokio::join!(poll, write);
    let page: Value = response.expect("poll").json().await.expect("JSON");
    let records = page["records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{page}");
    assert_eq!(records[0]["position"], json!(last + 1));
    assert!(started.elapsed() < Duration::from_secs(8));

    // Nothing matching: answers empty after the wait.
    let answer = app
        .get(
            &format!("/v1/events?after={}&wait_ms=100", app.log_len() - 1),
            "integrator",
        )
        .await;
    assert_eq!(answer.ok()["records"], json!([]));
}

/// Reads SSE chunks until `want` records arrived; returns the data lines.
async fn sse_records(response: &mut reqwest::Response, want: usize) -> Vec<Value> {
    let mut buffer = String::new();
    let mut records = Vec::new();
    while records.len() < want {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("a chunk within 10 s")
            .expect("read the stream")
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) {
                let record: Value = serde_json::from_str(data).expect("JSON data");
                let id = event
                    .lines()
                    .find_map(|line| line.strip_prefix("id: "))
                    .expect("an id line");
                assert_eq!(
                    json!(id.parse::<u64>().expect("a position")),
                    record["position"]
                );
                records.push(record);
            }
        }
    }
    records
}

#[tokio::test]
async fn the_stream_sends_history_then_live_records_as_they_commit() {
    let app = seeded_app().await;
    let last = app.log_len() - 1;
    let mut response = app
        .client
        .get(app.url(&format!(
            "/v1/events/stream?after={}&types=RepRegistered",
            last - 2
        )))
        .bearer_auth(app.token("integrator"))
        .send()
        .await
        .expect("open the stream");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream")));
    let history = sse_records(&mut response, 2).await;
    assert_eq!(history[0]["position"], json!(last - 1));
    assert_eq!(history[1]["position"], json!(last));
    app.register_rep(
        Uuid::now_v7(),
        "新人",
        "华东",
        &["iso13485", "plc-retrofit", "robot-cell"],
    )
    .await;
    let live = sse_records(&mut response, 1).await;
    assert_eq!(live[0]["position"], json!(last + 1));
    assert_eq!(live[0]["event_type"], json!("RepRegistered"));

    // Last-Event-ID resumes after the position it names.
    let mut resumed = app
        .client
        .get(app.url("/v1/events/stream?types=RepRegistered"))
        .bearer_auth(app.token("integrator"))
        .header("last-event-id", last.to_string())
        .send()
        .await
        .expect("reconnect");
    let again = sse_records(&mut resumed, 1).await;
    assert_eq!(again[0]["position"], json!(last + 1));
}

/// `salesledger serve` as a child process over `data`.
pub struct ServeProcess {
    pub child: Child,
    pub base: String,
}

impl ServeProcess {
    /// Starts the server; on a fresh data directory also returns the admin
    /// (supervisor) token it prints once.
    pub fn start(data: &str, env: &[(&str, &str)]) -> (ServeProcess, Option<String>) {
        let mut command = crate::util::salesledger_command();
        command
            .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
            .env("SALESLEDGER_LOG", "warn")
            .stdout(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn serve");
        let (token, base) = crate::util::serve_banner(&mut child);
        let base = base.expect("the gateway prints its address");
        (ServeProcess { child, base }, token)
    }

    /// SIGKILL: no graceful shutdown.
    pub fn kill(mut self) {
        self.child.kill().expect("kill serve");
        self.child.wait().expect("wait for serve");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn register_rep_at(client: &reqwest::Client, base: &str, token: &str, name: &str) {
    let response = client
        .post(format!("{base}/v1/reps"))
        .bearer_auth(token)
        .json(&json!({"display_name": name, "region": "华东", "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]}))
        .send()
        .await
        .expect("register a rep");
    assert_eq!(response.status().as_u16(), 201);
}

#[tokio::test]
async fn a_feed_reader_resumes_from_its_last_position_across_a_server_restart() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8").to_owned();
    let client = crate::util::http_client();
    let (server, token) = ServeProcess::start(&data, &[]);
    let token = token.expect("admin token");
    for idx in 0..4 {
        register_rep_at(&client, &server.base, &token, &format!("销售 {idx}")).await;
    }
    let page: Value = client
        .get(format!("{}/v1/events?limit=3", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("JSON");
    let mut positions: Vec<u64> = page["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|record| record["position"].as_u64())
        .collect();
    let mut after = page["next_after"].as_u64().expect("next_after");
    assert_eq!(positions.len(), 3);
    server.kill();

    let (server, printed) = ServeProcess::start(&data, &[]);
    assert!(
        printed.is_none(),
        "the token is printed only on the first start"
    );
    for idx in 4..6 {
        register_rep_at(&client, &server.base, &token, &format!("销售 {idx}")).await;
    }
    loop {
        let page: Value = client
            .get(format!("{}/v1/events?limit=2&after={after}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("feed")
            .json()
            .await
            .expect("JSON");
        let records = page["records"].as_array().expect("records");
        if records.is_empty() {
            break;
        }
        positions.extend(
            records
                .iter()
                .filter_map(|record| record["position"].as_u64()),
        );
        after = page["next_after"].as_u64().expect("next_after");
    }
    // The reader's positions are exactly the log's, with no gap and no
    // repeat (the day-close scheduler may have appended records too).
    let head: Value = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .expect("healthz")
        .json()
        .await
        .expect("JSON");
    let log_len = head["log_len"].as_u64().expect("log_len");
    assert_eq!(positions, (0..log_len).collect::<Vec<u64>>());
    let reps: Value = client
        .get(format!("{}/v1/events?types=RepRegistered", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("JSON");
    assert_eq!(reps["records"].as_array().map(Vec::len), Some(6));
}

#[tokio::test]
async fn an_open_event_stream_does_not_hold_up_a_graceful_shutdown() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8").to_owned();
    let client = crate::util::http_client();
    let (mut server, token) = ServeProcess::start(&data, &[]);
    let token = token.expect("admin token");
    register_rep_at(&client, &server.base, &token, "销售").await;
    let mut stream = client
        .get(format!("{}/v1/events/stream", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("open the stream");
    let first = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
        .await
        .expect("the first record")
        .expect("read");
    assert!(first.is_some());
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    // The stream ends and the server exits cleanly.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends on shutdown");
    let mut exit = None;
    for _ in 0..100 {
        if let Some(status) = server.child.try_wait().expect("try_wait") {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exit.is_some_and(|status| status.success()), "{exit:?}");
}
