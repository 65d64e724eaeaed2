//! Every read-model table as Parquet (issue 19, part 2): a fixture log
//! exported and rebuilt with `rebuild --format parquet`; DuckDB (the
//! Python `duckdb` package, tests/parquet/tables.py) reads every file, each
//! row count equals `tables.json`'s, and three figures computed by SQL from
//! the table rows equal the JSON views of a `rebuild` of the same log: a
//! rep's process-asset rate for a month (SPEC C9), a region's receivables
//! aging (C10), a promotion's penetration by store-day (C13). A directory
//! holding files is refused unless `--force`; a tampered log stops the
//! rebuild naming the position and leaves no Parquet file.
//!
//! The DuckDB checks follow tests/cli_parquet.rs: with
//! `SALESLEDGER_REQUIRE_DUCKDB=1` (set by .ci/run) a missing package fails
//! the test, otherwise the test says it skipped.

use std::path::Path;

use salesledger_fixtures::FixtureConfig;
use serde_json::Value;

use crate::cli_audit::{path_str as path, run_ok as run};
use crate::cli_offline::tamper_export;
use crate::cli_parquet::duckdb_script;
use crate::http::support::spawn_app;
use crate::util::salesledger;

/// Every `*.parquet` or staged file under `directory` (recursively).
fn parquet_files(directory: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(directory) else {
        return found;
    };
    for entry in entries {
        let entry = entry.expect("an entry");
        let path = entry.path();
        if path.is_dir() {
            found.extend(parquet_files(&path));
        } else {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".parquet") || name.ends_with(".tmp") {
                found.push(name);
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_as_parquet_reproduces_the_views_in_duckdb() {
    let app = spawn_app().await;
    let config = FixtureConfig::small(5);
    salesledger_fixtures::generate(&app.state.service, &config, &|_| {})
        .await
        .expect("history");
    salesledger_fixtures::stores::generate_stores(&app.state.service, &config, &|_| {})
        .await
        .expect("the chain stores' history");
    let store = app.state.service.store().clone();
    let directory = tempfile::tempdir().expect("temp dir");
    let export = directory.path().join("log.jsonl");
    salesledger_replay::audit::export::export_to_file(&*store, &export, |_, _| {})
        .await
        .expect("export");

    let json = directory.path().join("json");
    run(&["rebuild", "--from", path(&export), "--out", path(&json)]);
    let tables = directory.path().join("tables");
    let printed = run(&[
        "rebuild",
        "--from",
        path(&export),
        "--out",
        path(&tables),
        "--format",
        "parquet",
    ]);
    assert!(printed.contains("Parquet files"), "{printed}");
    let parquet = tables.join("parquet");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(parquet.join("tables.json")).expect("tables.json"))
            .expect("JSON");
    assert_eq!(manifest["format"], "salesledger-parquet-tables/1");
    let described = manifest["tables"].as_array().expect("tables");
    // Every table of every projector serve runs, typed columns.
    let n_declared: usize = salesledger::views::table_projectors()
        .iter()
        .map(|projector| projector.tables().len())
        .sum();
    assert_eq!(described.len(), n_declared);
    let months = described
        .iter()
        .find(|table| table["projector"] == "assets" && table["table"] == "months")
        .expect("assets.months");
    let types: Vec<(&str, &str)> = months["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|column| {
            (
                column["name"].as_str().expect("name"),
                column["type"].as_str().expect("type"),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("key.0", "STRING"),
            ("key.1", "STRING"),
            ("solutions", "INT64"),
            ("objection_answers", "INT64"),
            ("won_deal_actions", "INT64"),
        ]
    );
    let files: Vec<String> = described
        .iter()
        .filter_map(|table| table["file"].as_str().map(str::to_owned))
        .collect();
    let mut on_disk = parquet_files(&parquet);
    on_disk.sort();
    let mut listed = files.clone();
    listed.sort();
    assert_eq!(on_disk, listed, "one file per non-empty table, none staged");
    assert!(files.len() > 30, "{}", files.len());

    if let Some(answer) = duckdb_script("tables.py", &[path(&parquet), path(&json)]) {
        for count in answer["counts"].as_array().expect("counts") {
            assert_eq!(count[1], count[2], "{count}");
        }
        for figure in ["assets", "aging", "penetration"] {
            let sql = &answer[figure]["sql"];
            assert!(
                sql.as_array().is_some_and(|rows| !rows.is_empty()),
                "{figure}: {answer}"
            );
            assert_eq!(sql, &answer[figure]["view"], "{figure}");
        }
        // Some figures are not trivial.
        assert!(answer["assets"]["sql"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|row| row[3].as_u64().is_some_and(|rate| rate > 0)));
        assert!(answer["penetration"]["sql"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|row| row[3].as_u64().is_some_and(|with| with > 0)));
    }

    // A directory that holds files is refused unless --force.
    let again = salesledger(&[
        "rebuild",
        "--from",
        path(&export),
        "--out",
        path(&tables),
        "--format",
        "parquet",
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--force"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(parquet_files(&parquet), on_disk, "nothing touched");
    let forced = run(&[
        "rebuild",
        "--from",
        path(&export),
        "--out",
        path(&tables),
        "--format",
        "parquet",
        "--force",
    ]);
    assert!(forced.contains("Parquet files"), "{forced}");
    assert_eq!(parquet_files(&parquet), on_disk);
    let again: Value =
        serde_json::from_slice(&std::fs::read(parquet.join("tables.json")).expect("tables.json"))
            .expect("JSON");
    assert_eq!(again, manifest, "the same log gives the same tables");

    // A tampered log stops the rebuild naming the position, no Parquet
    // file left (also over an earlier rebuild replaced with --force).
    let n_records = std::fs::read_to_string(&export)
        .expect("the export")
        .lines()
        .count()
        - 1;
    let tampered_position = n_records / 3;
    let tampered = directory.path().join("tampered.jsonl");
    tamper_export(&export, tampered_position, &tampered);
    for (out, force) in [(directory.path().join("never"), false), (tables, true)] {
        let mut args = vec![
            "rebuild",
            "--from",
            path(&tampered),
            "--out",
            path(&out),
            "--format",
            "parquet",
        ];
        if force {
            args.push("--force");
        }
        let refused = salesledger(&args);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("position {tampered_position}")),
            "{stderr}"
        );
        assert_eq!(parquet_files(&out), Vec::<String>::new());
    }
}
