//! Offline rebuild and point-in-time replay (SPEC C14, C15) through the
//! binary: `export` then `rebuild` on a fresh directory gives the live
//! views byte for byte; `replay --position` and `--as-of` give the views a
//! runner had at that point; `--weights` reports what-if level changes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use salesledger::views::runner_builder;
use salesledger_commands::CommandService;
use salesledger_fixtures::FixtureConfig;
use salesledger_replay::readmodel::model_runner::ProjectionRunner;
use salesledger_store::{SledStore, Store, READ_PAGE};
use serde_json::Value;

use crate::util::salesledger;

async fn models_of(store: Arc<dyn Store>, views: &Path) -> BTreeMap<String, Value> {
    let runner: ProjectionRunner = runner_builder(store, views).start().await.expect("runner");
    runner
        .wait_caught_up(Duration::from_secs(300))
        .await
        .expect("caught up");
    let models = runner
        .status()
        .into_iter()
        .map(|status| {
            let (json, _) = runner.read_json(status.name).expect("model");
            (
                status.name.to_owned(),
                serde_json::from_slice(&json).expect("JSON"),
            )
        })
        .collect();
    runner.shutdown().await.expect("stops");
    models
}

fn run(args: &[&str]) -> String {
    let output = salesledger(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_rebuild_and_replay_reproduce_the_views() {
    let directory = tempfile::tempdir().expect("temp dir");
    let data = directory.path().join("data");
    let store = SledStore::open(&data).expect("the log");
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let service = CommandService::new(shared.clone());
    salesledger_fixtures::generate(&service, &FixtureConfig::small(5), &|_| {})
        .await
        .expect("history");
    let live = models_of(shared.clone(), &data.join("views")).await;
    let mut records = Vec::new();
    let mut position = 0;
    loop {
        let page = shared.read_all(position, READ_PAGE).await.expect("read");
        let Some(last) = page.last() else { break };
        position = last.position + 1;
        records.extend(page);
    }
    drop(service);
    drop(shared);
    store.close().await;
    drop(store);
    let data_arg = data.to_str().expect("utf-8 path");

    // export -> rebuild elsewhere: every view byte for byte.
    let export = directory.path().join("log.jsonl");
    run(&[
        "export",
        "--data",
        data_arg,
        "--out",
        export.to_str().expect("path"),
    ]);
    let rebuilt = directory.path().join("rebuilt");
    run(&[
        "rebuild",
        "--from",
        export.to_str().expect("path"),
        "--out",
        rebuilt.to_str().expect("path"),
    ]);
    for (name, model) in &live {
        let bytes = std::fs::read(rebuilt.join(format!("{name}.json"))).expect("a view file");
        let rebuilt_model: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert!(&rebuilt_model == model, "view {name} differs after rebuild");
    }

    // The views a runner had when the log ended at a past point, built in a
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
    let saved = models_of(past_shared, &past_dir.join("views")).await;
    past.close().await;

    let last_position = (cut - 1).to_string();
    let as_of = records[cut - 1].recorded_at.to_rfc3339();
    for (name, model) in &saved {
        for bound in [
            ["--position", last_position.as_str()],
            ["--as-of", as_of.as_str()],
        ] {
            let printed = run(&[
                "replay", "--data", data_arg, "--view", name, bound[0], bound[1],
            ]);
            let answer: Value = serde_json::from_str(&printed).expect("JSON");
            assert_eq!(
                answer["position"],
                serde_json::json!(cut - 1),
                "{name} {bound:?}"
            );
            assert!(
                &answer["data"] == model,
                "view {name} replayed with {bound:?} differs"
            );
        }
    }

    // What-if: a policy that weighs only usage, with a target nobody meets,
    // makes some customer's level differ, from a named day.
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
        data_arg,
        "--view",
        "health",
        "--weights",
        weights.to_str().expect("path"),
    ]);
    let answer: Value = serde_json::from_str(&printed).expect("JSON");
    let differences = answer["what_if"].as_array().expect("what_if");
    assert!(!differences.is_empty(), "{printed}");
    assert!(differences
        .iter()
        .all(|difference| difference["first_day"].is_string()));

    // Bad input is refused clearly.
    let unknown = salesledger(&["replay", "--data", data_arg, "--view", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no view named"));
}
