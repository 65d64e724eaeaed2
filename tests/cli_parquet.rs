//! Files for analysts (issue 19): `export --format parquet` writes the log
//! as Parquet files cut by position range that DuckDB reads (the Python
//! `duckdb` package, tests/parquet/*.py) with every record and every
//! envelope field as a typed column; an export directory holding files is
//! refused unless `--force`; a tampered log stops the export naming the
//! position and leaves no Parquet file.
//!
//! The DuckDB checks need `python3` with `duckdb`; with
//! `SALESLEDGER_REQUIRE_DUCKDB=1` (set by .ci/run) a missing package fails
//! the test, otherwise the test says it skipped.

use std::path::Path;
use std::process::Command;

use salesledger_store::{RecordedEvent, SledStore, Store, READ_PAGE};
use serde_json::Value;

use crate::cli_audit::{path_str, run_ok, write_events};
use crate::util::{salesledger, workspace_root};

/// Runs tests/parquet/`script` with `args`; `None` when duckdb is missing
/// and not required.
pub(crate) fn duckdb_script(script: &str, args: &[&str]) -> Option<Value> {
    let path = workspace_root().join("tests/parquet").join(script);
    let output = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .expect("python3 runs");
    if output.status.code() == Some(3) {
        assert!(
            std::env::var("SALESLEDGER_REQUIRE_DUCKDB").as_deref() != Ok("1"),
            "SALESLEDGER_REQUIRE_DUCKDB=1 but the Python duckdb package is missing: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("SKIPPED the DuckDB checks of {script}: the Python duckdb package is not installed (pip install duckdb)");
        return None;
    }
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the script prints JSON"))
}

fn records_of(data_dir: &Path) -> Vec<RecordedEvent> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data_dir).expect("open");
        let mut records = Vec::new();
        loop {
            let page = store
                .read_all(records.len() as u64, READ_PAGE)
                .await
                .expect("read");
            if page.is_empty() {
                break;
            }
            records.extend(page);
        }
        store.close().await;
        records
    })
}

fn parquet_files(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".parquet") || name.ends_with(".tmp"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_log_as_parquet_is_read_by_duckdb_with_every_record_and_typed_field() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_events(data_dir.path(), 2_500, 0);
    let out = tempfile::tempdir().expect("tempdir");
    let printed = run_ok(&[
        "export",
        "--data",
        path_str(data_dir.path()),
        "--format",
        "parquet",
        "--records-per-file",
        "1000",
        "--out",
        path_str(out.path()),
    ]);
    assert!(
        printed.contains("2500 records in 3 Parquet files"),
        "{printed}"
    );
    let names = [
        "log-000000000000-000000000999.parquet",
        "log-000000001000-000000001999.parquet",
        "log-000000002000-000000002499.parquet",
    ];
    assert_eq!(parquet_files(out.path()), names);
    let records = records_of(data_dir.path());
    assert_eq!(records.len(), 2_500);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("_log.json")).expect("_log.json"))
            .expect("JSON");
    assert_eq!(manifest["format"], "salesledger-parquet-log/1");
    assert_eq!(manifest["records"], 2_500);
    assert_eq!(
        manifest["head_hash"],
        records.last().expect("records").hash.to_hex()
    );
    assert_eq!(manifest["files"][2]["first_position"], 2_000);
    assert_eq!(manifest["files"][2]["records"], 500);

    let Some(read) = duckdb_script("log.py", &[path_str(out.path())]) else {
        return;
    };
    assert_eq!(read["count"], 2_500);
    let per_file: Vec<(String, u64)> =
        serde_json::from_value(read["files"].clone()).expect("files");
    assert_eq!(
        per_file,
        vec![
            (names[0].to_owned(), 1_000),
            (names[1].to_owned(), 1_000),
            (names[2].to_owned(), 500)
        ]
    );
    // Typed columns, not text: what an analyst's SQL relies on.
    let types = &read["types"];
    assert_eq!(types["position"], "BIGINT");
    assert_eq!(types["event_id"], "UUID");
    assert_eq!(types["causation_id"], "UUID");
    assert_eq!(types["stream_version"], "BIGINT");
    assert_eq!(types["schema_version"], "INTEGER");
    assert_eq!(types["recorded_at"], "TIMESTAMP WITH TIME ZONE");
    assert_eq!(types["payload"], "JSON");
    assert_eq!(types["hash"], "VARCHAR");
    let rows = read["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), records.len());
    for (row, record) in rows.iter().zip(&records) {
        let expected = serde_json::json!([
            record.position,
            record.event_id.to_string(),
            record.stream_id,
            record.stream_version,
            record.event_type,
            record.schema_version,
            record
                .recorded_at
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string(),
            record.actor,
            record.command_id.to_string(),
            record.correlation_id.to_string(),
            record.causation_id.to_string(),
            record.payload.as_str(),
            record.hash.to_hex(),
            record.prev_hash.to_hex(),
            // JSON operators work on the payload column
            record.position.to_string(),
        ]);
        assert_eq!(row, &expected, "position {}", record.position);
    }
}

#[test]
fn a_parquet_export_directory_holding_files_is_refused_unless_forced() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_events(data_dir.path(), 30, 0);
    let out = tempfile::tempdir().expect("tempdir");
    let notes = out.path().join("notes.txt");
    std::fs::write(&notes, "mine").expect("write");
    let args = |force: bool| {
        let mut args = vec![
            "export",
            "--data",
            path_str(data_dir.path()),
            "--format",
            "parquet",
            "--records-per-file",
            "10",
            "--out",
            path_str(out.path()),
        ];
        if force {
            args.push("--force");
        }
        args
    };
    let output = salesledger(&args(false));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pass --force"), "{stderr}");
    assert!(parquet_files(out.path()).is_empty());
    // In Chinese, the same refusal in Chinese.
    let mut chinese = vec!["--lang", "zh-CN"];
    chinese.extend(args(false));
    let output = salesledger(&chinese);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("中已有文件（1 项）；如要替换该处的导出，请加 --force"),
        "{stderr}"
    );

    run_ok(&args(true));
    assert_eq!(parquet_files(out.path()).len(), 3);
    // A second forced export after the log grew replaces the first's
    // files: no stale range is left for `*.parquet` to pick up.
    write_events(data_dir.path(), 5, 30);
    let mut again = args(true);
    again[6] = "20";
    run_ok(&again);
    assert_eq!(
        parquet_files(out.path()),
        [
            "log-000000000000-000000000019.parquet",
            "log-000000000020-000000000034.parquet"
        ]
    );
    assert_eq!(std::fs::read_to_string(&notes).expect("kept"), "mine");
}

#[test]
fn a_tampered_log_stops_the_parquet_export_naming_the_position_and_leaves_no_file() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_events(data_dir.path(), 40, 0);
    crate::cli_verify::tamper_log_record(data_dir.path(), 25);
    let out = tempfile::tempdir().expect("tempdir");
    let output = salesledger(&[
        "export",
        "--data",
        path_str(data_dir.path()),
        "--format",
        "parquet",
        "--records-per-file",
        "10",
        "--out",
        path_str(out.path()),
    ]);
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("position 25"), "{stderr}");
    // The files of positions 0..19 were complete, but a broken export is
    // not an export: nothing is left, not even them.
    let left: Vec<_> = std::fs::read_dir(out.path())
        .expect("read dir")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
