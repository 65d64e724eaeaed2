//! Offline rebuild and point-in-time replay (SPEC C14, C15) through the
//! binary, on the table engine (issue 14): `export` then `rebuild` on a
//! fresh directory writes every view's answer equal to what the live
//! gateway answers for the same log, and the tables `serve --data DIR`
//! resumes from; a tampered export stops the rebuild naming the line and
//! position; `replay --position` and `--as-of` give the views tables
//! folded over only the records up to that point give; `--weights`
//! reports the customers whose level a policy would have changed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use salesledger::views::whole;
use salesledger::views::{table_runner_builder, view_names, TABLES_DIR};
use salesledger_fixtures::FixtureConfig;
use salesledger_store::{RecordedEvent, SledStore, Store, READ_PAGE};
use serde_json::{json, Value};

use crate::cli_audit::run_ok as run;
use crate::http::support::{spawn_app, TestApp};
use crate::util::salesledger;

const CATCH_UP: Duration = Duration::from_secs(300);

/// Every view's whole answer from tables folded over `store` into
/// `directory`, by view name.
async fn answers_of(store: Arc<dyn Store>, directory: &Path) -> BTreeMap<String, Value> {
    let runner = table_runner_builder(store, directory)
        .start()
        .await
        .expect("the table runner starts");
    runner.wait_caught_up(CATCH_UP).await.expect("caught up");
    let answers = view_names()
        .into_iter()
        .map(|view| {
            let bytes = whole::answer(&runner, view).expect("an answer");
            (
                view.to_owned(),
                serde_json::from_slice(&bytes).expect("JSON"),
            )
        })
        .collect();
    runner.shutdown().await.expect("stops");
    answers
}

/// Writes `export` to `tampered` with one hex digit of the hash of the
/// record at `position` changed (the export's first line is its header).
pub(crate) fn tamper_export(export: &Path, position: usize, tampered: &Path) {
    let text = std::fs::read_to_string(export).expect("the export");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let line = &mut lines[position + 1];
    let hash_at = line.find("\"hash\":\"").expect("a hash") + "\"hash\":\"".len();
    let digit = if &line[hash_at..hash_at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    line.replace_range(hash_at..hash_at + 1, digit);
    std::fs::write(tampered, lines.join("\n") + "\n").expect("write");
}

async fn all_records(store: &dyn Store) -> Vec<RecordedEvent> {
    let mut records = Vec::new();
    let mut position = 0;
    loop {
        let page = store.read_all(position, READ_PAGE).await.expect("read");
        let Some(last) = page.last() else { break };
        position = last.position + 1;
        records.extend(page);
    }
    records
}

/// The live gateway's answer to `GET path` once its view has applied
/// `last`: `{view, position, data}` (a 404 is `data: null`, as the
/// offline files write it).
async fn live(app: &TestApp, path: &str, last: u64) -> Value {
    live_text(app, path, last)
        .await
        .map_or(Value::Null, |text| {
            serde_json::from_str(&text).expect("JSON")
        })
}

/// The body of the live answer to `GET path` (`None` for a 404).
async fn live_text(app: &TestApp, path: &str, last: u64) -> Option<String> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = app
        .get(
            &format!("{path}{separator}wait_for_position={last}&timeout_ms=30000"),
            "auditor",
        )
        .await;
    if answer.status.as_u16() == 404 {
        return None;
    }
    answer.ok();
    Some(answer.text)
}

/// The data of the live answer to `GET path`, checking it reflects `last`.
async fn live_data(app: &TestApp, path: &str, last: u64) -> Value {
    let answer = live(app, path, last).await;
    if answer.is_null() {
        return Value::Null;
    }
    assert_eq!(answer["position"], json!(last), "{path}");
    answer["data"].clone()
}

/// Checks a rebuilt `DIR/<view>.json` against what the live gateway
/// answers on the routes it is made of (gateway/views/whole.rs).
async fn assert_equals_live(app: &TestApp, view: &str, bytes: &[u8], last: u64) {
    let file: &Value = &serde_json::from_slice(bytes).expect("JSON");
    assert_eq!(file["view"], json!(view));
    assert_eq!(file["position"], json!(last), "{view}");
    let data = &file["data"];
    let single = |path: &'static str| Some(path);
    let route = match view {
        "health" => single("/v1/views/health"),
        "risk" => single("/v1/views/risk"),
        "assets" => single("/v1/views/assets"),
        "funnel" => single("/v1/views/funnel"),
        "leaderboard" => single("/v1/views/leaderboard"),
        "retail_members" => single("/v1/views/stores/high-potential"),
        "todos" => single("/v1/views/todos"),
        _ => None,
    };
    if let Some(path) = route {
        match live_text(app, path, last).await {
            None => assert!(data.is_null(), "{view}: the gateway answers 404"),
            // Byte for byte: the same read function and envelope.
            Some(text) => assert!(text.as_bytes() == bytes, "{view} differs from GET {path}"),
        }
        return;
    }
    match view {
        "receivables" => {
            assert_eq!(
                data["summary"],
                live_data(app, "/v1/views/receivables", last).await
            );
            assert_eq!(
                data["task_cards"],
                live_data(app, "/v1/views/receivables/task-cards", last).await
            );
        }
        "retail_stores" => {
            assert!(data["penetration"]["regions"]
                .as_array()
                .is_some_and(|regions| !regions.is_empty()));
            assert!(data["leaderboard"]["regions"]
                .as_array()
                .is_some_and(|regions| !regions.is_empty()));
            assert_eq!(
                data["penetration"],
                live_data(app, "/v1/views/stores/penetration", last).await
            );
            assert_eq!(
                data["leaderboard"],
                live_data(app, "/v1/views/stores/leaderboard", last).await
            );
        }
        "digest" => {
            let reports = data.as_array().expect("digest reports");
            assert!(!reports.is_empty(), "the digest has days");
            for report in reports {
                let path = format!(
                    "/v1/views/digest/{}/{}",
                    report["region"].as_str().expect("region"),
                    report["day"].as_str().expect("day")
                );
                assert_eq!(report, &live_data(app, &path, last).await, "{path}");
            }
        }
        "responsibility" => {
            for (kind, key) in [("customers", "customers"), ("leads", "leads")] {
                let logs = data[key].as_object().expect("logs by id");
                assert!(!logs.is_empty(), "responsibility has {kind}");
                for (id, log) in logs {
                    let path = format!("/v1/views/responsibility/{kind}/{id}");
                    assert_eq!(log, &live_data(app, &path, last).await, "{path}");
                }
            }
        }
        other => panic!("view {other} has no comparison"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_rebuild_and_replay_reproduce_the_views() {
    // Live: the gateway follows the log while a history is written.
    let app = spawn_app().await;
    let mut config = FixtureConfig::small(5);
    // More customers than the offline answer reads per page (256).
    config.scale.customers = 300;
    salesledger_fixtures::generate(&app.state.service, &config, &|_| {})
        .await
        .expect("history");
    salesledger_fixtures::stores::generate_stores(&app.state.service, &config, &|_| {})
        .await
        .expect("the chain stores' history");
    let store: Arc<dyn Store> = app.state.service.store().clone();
    let records = all_records(&*store).await;
    let last = records.last().expect("records").position;
    let directory = tempfile::tempdir().expect("temp dir");
    let export = directory.path().join("log.jsonl");
    salesledger_replay::audit::export::export_to_file(&*store, &export, |_, _| {})
        .await
        .expect("export");

    // export -> rebuild elsewhere: every view's file is the live answer.
    let rebuilt = directory.path().join("rebuilt");
    let printed = run(&[
        "rebuild",
        "--from",
        export.to_str().expect("path"),
        "--out",
        rebuilt.to_str().expect("path"),
    ]);
    assert!(printed.contains("chain verified"), "{printed}");
    assert!(
        rebuilt.join(TABLES_DIR).is_dir(),
        "the tables serve answers from"
    );
    for view in view_names() {
        let bytes = std::fs::read(rebuilt.join(format!("{view}.json"))).expect("a view file");
        assert_equals_live(&app, view, &bytes, last).await;
    }
    // Every registered customer's log, across pages of subjects.
    let responsibility: Value = serde_json::from_slice(
        &std::fs::read(rebuilt.join("responsibility.json")).expect("responsibility"),
    )
    .expect("JSON");
    let logged: Vec<&String> = responsibility["data"]["customers"]
        .as_object()
        .expect("customers")
        .keys()
        .collect();
    let mut registered: Vec<String> = records
        .iter()
        .filter(|record| record.event_type == "CustomerRegistered")
        .filter_map(|record| {
            record
                .stream_id
                .strip_prefix("customer-")
                .map(str::to_owned)
        })
        .collect();
    registered.sort();
    assert!(registered.len() > 256, "{}", registered.len());
    assert_eq!(logged, registered.iter().collect::<Vec<_>>());
    let health: Value =
        serde_json::from_slice(&std::fs::read(rebuilt.join("health.json")).expect("health"))
            .expect("JSON");
    assert!(
        health["data"]
            .as_array()
            .is_some_and(|rows| rows.len() > 10),
        "the whole health list, not a page"
    );
    // The rebuilt tables are complete: a runner over them resumes at the
    // log's end instead of folding again.
    {
        let store = SledStore::open(&rebuilt).expect("the rebuilt log");
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let runner = table_runner_builder(shared, &rebuilt.join(TABLES_DIR))
            .start()
            .await
            .expect("the rebuilt tables open");
        for status in runner.status() {
            assert_eq!(status.started_from, last + 1, "{}", status.name);
        }
        runner.shutdown().await.expect("stops");
        store.close().await;
    }

    // A rebuild refuses a directory that is not empty.
    let again = salesledger(&[
        "rebuild",
        "--from",
        export.to_str().expect("path"),
        "--out",
        rebuilt.to_str().expect("path"),
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    // Nor does --force replace a directory a gateway has served (its
    // tokens, signing key, blobs): only an earlier rebuild.
    let tokens = rebuilt.join("tokens.json");
    std::fs::write(&tokens, "{}").expect("a served directory's file");
    let forced = salesledger(&[
        "rebuild",
        "--from",
        export.to_str().expect("path"),
        "--out",
        rebuilt.to_str().expect("path"),
        "--force",
    ]);
    let stderr = String::from_utf8_lossy(&forced.stderr);
    assert_eq!(forced.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tokens.json"), "{stderr}");
    assert!(rebuilt.join("log").is_dir(), "nothing removed");
    std::fs::remove_file(&tokens).expect("remove");

    // A tampered export stops the rebuild at the tampered record.
    let tampered_position = records.len() / 3;
    let tampered = directory.path().join("tampered.jsonl");
    tamper_export(&export, tampered_position, &tampered);
    let refused = salesledger(&[
        "rebuild",
        "--from",
        tampered.to_str().expect("path"),
        "--out",
        directory.path().join("never").to_str().expect("path"),
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("line {}", tampered_position + 2))
            && stderr.contains(&format!("position {tampered_position}")),
        "{stderr}"
    );
    assert!(!directory.path().join("never").join("health.json").exists());
    // Nor a partial (or empty) log that `serve --data` would serve.
    assert!(!directory.path().join("never").join("log").exists());

    // The views when the log ended at a past point: tables folded over a
    // separate log holding only the records up to it.
    let cut = records.len() / 2;
    let cut = (cut..records.len())
        .find(|&index| records[index].recorded_at > records[index - 1].recorded_at)
        .expect("a later record");
    let past_dir = directory.path().join("past");
    let past = SledStore::open(&past_dir).expect("past log");
    past.import(records[..cut].to_vec())
        .await
        .expect("import the prefix");
    let past_shared: Arc<dyn Store> = Arc::new(past.clone());
    let saved = answers_of(past_shared, &past_dir.join(TABLES_DIR)).await;
    past.close().await;

    let data = rebuilt.to_str().expect("utf-8 path");
    let last_position = (cut - 1).to_string();
    let as_of = records[cut - 1].recorded_at.to_rfc3339();
    for (name, answer) in &saved {
        assert_eq!(answer["position"], json!(cut - 1), "{name}");
        for bound in [
            ["--position", last_position.as_str()],
            ["--as-of", as_of.as_str()],
        ] {
            let printed = run(&["replay", "--data", data, "--view", name, bound[0], bound[1]]);
            let replayed: Value = serde_json::from_str(&printed).expect("JSON");
            assert!(
                &replayed == answer,
                "view {name} replayed with {bound:?} differs"
            );
        }
    }
    // Without a bound: the view as it is now, the rebuilt file.
    let printed = run(&["replay", "--data", data, "--view", "funnel"]);
    let now: Value = serde_json::from_str(&printed).expect("JSON");
    let file: Value =
        serde_json::from_slice(&std::fs::read(rebuilt.join("funnel.json")).expect("file"))
            .expect("JSON");
    assert_eq!(now, file);

    // What-if: a policy that weighs only usage makes some customers'
    // level differ; each difference names the level the live view had
    // that day.
    let mut policy = salesledger_domain::health::HealthPolicy::default_v1();
    policy.version = 99;
    policy.weights.usage = 100;
    policy.weights.key_features = 0;
    policy.weights.ticket_resolution = 0;
    policy.weights.renewal = 0;
    policy.weights.success_references = 0;
    let weights = directory.path().join("weights.json");
    std::fs::write(&weights, serde_json::to_vec(&policy).expect("policy")).expect("write");
    let printed = run(&[
        "replay",
        "--data",
        data,
        "--view",
        "health",
        "--weights",
        weights.to_str().expect("path"),
    ]);
    let answer: Value = serde_json::from_str(&printed).expect("JSON");
    assert_eq!(
        answer["data"], health["data"],
        "the actual view is unchanged"
    );
    let differences = answer["what_if"].as_array().expect("what_if");
    assert!(!differences.is_empty(), "{printed}");
    for difference in differences {
        assert_ne!(difference["actual"], difference["what_if"], "{difference}");
        assert!(difference["n_days"].as_u64().is_some_and(|n| n >= 1));
        let customer_id = difference["customer_id"].as_str().expect("customer id");
        let first_day = difference["first_day"].as_str().expect("a day");
        let detail = live_data(&app, &format!("/v1/views/health/{customer_id}"), last).await;
        let level_then = detail["daily"]
            .as_array()
            .expect("daily")
            .iter()
            .rfind(|entry| entry["day"].as_str().is_some_and(|day| day <= first_day))
            .map(|entry| entry["level"].clone());
        assert_eq!(
            level_then,
            Some(difference["actual"].clone()),
            "{difference}"
        );
    }

    // Bad input is refused clearly.
    let unknown = salesledger(&["replay", "--data", data, "--view", "nope"]);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no view named") && stderr.contains("retail_stores, retail_members, todos"),
        "{stderr}"
    );
    let not_health = salesledger(&[
        "replay",
        "--data",
        data,
        "--view",
        "risk",
        "--weights",
        weights.to_str().expect("path"),
    ]);
    assert!(!not_health.status.success());
    assert!(
        String::from_utf8_lossy(&not_health.stderr).contains("health view only"),
        "{}",
        String::from_utf8_lossy(&not_health.stderr)
    );
}
