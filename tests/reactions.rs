//! Reactions that cannot be lost, end to end (issue 13): 48 clients post
//! visits and follow-ups on ONE customer against `salesledger serve` (the
//! built binary), which is SIGKILLed in the middle and restarted; then
//! every visit answered 201 has exactly one `FollowUpRecorded` caused by
//! it, and `GET /v1/reactions/{visit event id}` says `applied`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use salesledger::tokens::{generate_token, TokenEntry, TokenFile};
use salesledger_domain::Role;
use salesledger_store::{Hash32, SledStore, Store};
use serde_json::{json, Value};
use uuid::Uuid;

const CLIENTS: usize = 48;
const REP: Uuid = Uuid::from_u128(0x0192f0a4_5b6c_7d8e_9f00_1122334455aa);

/// Starts `serve` on a free loopback port; returns the child and its base
/// URL.
fn start_serve(data: &Path) -> (Child, String) {
    let mut child = crate::util::salesledger_command()
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("salesledger gateway listening on ") {
            base = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    // Keep draining stdout so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    (child, base.expect("the gateway prints its address"))
}

fn token_entry(token: &str, actor: &str, role: Role, rep_id: Option<Uuid>) -> TokenEntry {
    TokenEntry {
        token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
        actor: actor.to_owned(),
        role,
        rep_id,
        region: None,
        created_at: None,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
) -> Option<(u16, Value)> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let json = response.json().await.unwrap_or(Value::Null);
    Some((status, json))
}

#[test]
fn concurrent_visits_and_follow_ups_through_a_sigkill_end_with_one_follow_up_per_visit() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_owned();
    let supervisor = generate_token();
    let rep = generate_token();
    let auditor = generate_token();
    std::fs::write(
        data.join("tokens.json"),
        serde_json::to_vec(&TokenFile {
            tokens: vec![
                token_entry(&supervisor, "e2e.supervisor", Role::Supervisor, None),
                token_entry(&rep, "e2e.rep", Role::Rep, Some(REP)),
                token_entry(&auditor, "e2e.auditor", Role::Auditor, None),
            ],
            ..TokenFile::default()
        })
        .expect("token file"),
    )
    .expect("write tokens");

    let (child, base) = start_serve(&data);
    let child = Arc::new(Mutex::new(child));
    let base = Arc::new(Mutex::new(base));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (visits, n_kills) = runtime.block_on(async {
        let client = crate::util::http_client();
        let url = |path: &str| format!("{}{path}", base.lock().expect("base"));
        let dictionary = json!({
            "version": 2, "competitors": [], "concerns": [],
            "still_comparing_phrases": ["还在比较"], "utc_offset_minutes": 480
        });
        let (status, _) = post(&client, url("/v1/config/extraction-dictionary"), &supervisor, &dictionary)
            .await
            .expect("publish the dictionary");
        assert!(status < 300, "dictionary: {status}");
        let (status, registered) = post(
            &client,
            url("/v1/customers"),
            &supervisor,
            &json!({"company_name": "苏州恒达精密机械有限公司", "attributes": {"industry": "machinery"}}),
        )
        .await
        .expect("register");
        assert_eq!(status, 201, "{registered}");
        let customer_id = registered["stream_id"]
            .as_str()
            .expect("stream id")
            .trim_start_matches("customer-")
            .to_owned();
        let (status, claimed) = post(
            &client,
            url(&format!("/v1/customers/{customer_id}/claim")),
            &rep,
            &json!({"rep_id": REP}),
        )
        .await
        .expect("claim");
        assert_eq!(status, 200, "{claimed}");

        let visits = Arc::new(Mutex::new(Vec::<Uuid>::new()));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for client_idx in 0..CLIENTS {
            let client = client.clone();
            let base = base.clone();
            let rep = rep.clone();
            let customer_id = customer_id.clone();
            let visits = visits.clone();
            let stop_rx = stop_rx.clone();
            tasks.push(tokio::spawn(async move {
                let mut request_idx = 0usize;
                while !*stop_rx.borrow() {
                    request_idx += 1;
                    let base = base.lock().expect("base").clone();
                    let occurred_at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
                    if (client_idx + request_idx) % 2 == 0 {
                        let body = json!({
                            "customer_id": customer_id, "rep_id": REP, "channel": "phone",
                            "occurred_at": occurred_at,
                            "transcript": format!("Call {client_idx}/{request_idx} about the Q3 budget")
                        });
                        match post(&client, format!("{base}/v1/visits"), &rep, &body).await {
                            Some((201, answer)) => {
                                let event_id = answer["events"]
                                    .as_array()
                                    .and_then(|events| {
                                        events.iter().find(|event| event["event_type"] == "VisitLogged")
                                    })
                                    .and_then(|event| event["event_id"].as_str())
                                    .and_then(|id| Uuid::parse_str(id).ok())
                                    .expect("a 201 names its VisitLogged event");
                                visits.lock().expect("visits").push(event_id);
                            }
                            Some(_) => {}
                            None => tokio::time::sleep(Duration::from_millis(20)).await,
                        }
                    } else {
                        let body = json!({"rep_id": REP, "kind": "call", "occurred_at": occurred_at});
                        if post(&client, format!("{base}/v1/customers/{customer_id}/follow-ups"), &rep, &body)
                            .await
                            .is_none()
                        {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }));
        }
        // SIGKILL in the middle of the load, twice; restart each time.
        let mut n_kills = 0;
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            {
                let mut child = child.lock().expect("child");
                child.kill().expect("SIGKILL serve");
                child.wait().expect("reap");
            }
            n_kills += 1;
            let (restarted, new_base) = start_serve(&data);
            *child.lock().expect("child") = restarted;
            *base.lock().expect("base") = new_base;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        stop_tx.send_replace(true);
        for task in tasks {
            task.await.expect("client task");
        }
        let visits = visits.lock().expect("visits").clone();
        assert!(!visits.is_empty(), "some visits were acknowledged");

        // Every acknowledged visit's reaction is decided, and applied.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        for event_id in &visits {
            loop {
                let response = client
                    .get(url(&format!("/v1/reactions/{event_id}")))
                    .bearer_auth(&auditor)
                    .send()
                    .await
                    .expect("GET reaction");
                let status = response.status().as_u16();
                let answer: Value = response.json().await.expect("json");
                if status == 200 && answer["status"] != "pending" {
                    assert_eq!(answer["status"], "applied", "{event_id}: {answer}");
                    assert_eq!(answer["reactions"][0]["reaction"], "follow_up", "{answer}");
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{event_id} still undecided: {status} {answer}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let unknown = client
            .get(url(&format!("/v1/reactions/{}", Uuid::now_v7())))
            .bearer_auth(&auditor)
            .send()
            .await
            .expect("GET reaction");
        assert_eq!(unknown.status().as_u16(), 404);
        let problem: Value = unknown.json().await.expect("json");
        assert_eq!(problem["code"], "reaction_not_found");
        (visits, n_kills)
    });
    {
        let mut child = child.lock().expect("child");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let exit = child.wait().expect("wait for serve");
        assert!(exit.success(), "serve exits 0 after SIGTERM: {exit:?}");
    }

    let records = runtime.block_on(async {
        let store = SledStore::open(&data).expect("open the log");
        let mut records = Vec::new();
        loop {
            let page = store
                .read_all(records.len() as u64, 1024)
                .await
                .expect("read");
            if page.is_empty() {
                break;
            }
            records.extend(page);
        }
        store.close().await;
        records
    });
    for event_id in &visits {
        let follow_ups = records
            .iter()
            .filter(|record| {
                record.event_type == "FollowUpRecorded" && record.causation_id == *event_id
            })
            .count();
        assert_eq!(
            follow_ups, 1,
            "visit event {event_id}: {follow_ups} follow-ups"
        );
    }
    eprintln!(
        "{} visits acknowledged across {n_kills} SIGKILLs, each with exactly one follow-up ({} records)",
        visits.len(),
        records.len()
    );
}
