//! `salesledger import pos FILE --data DIR`: the same validation and append
//! path as `POST /v1/pos/sales`, in batches of whole tickets with ids from
//! the hash of the file up to each batch's end; importing again appends
//! nothing; a bad line stops the import with its line number in the file,
//! keeping the batches before it, and the corrected file's re-run imports
//! the rest without repeating them.

use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use salesledger_commands::{CommandMeta, CommandService, NewMember, Principal};
use salesledger_domain::retail::{OpenStore, RegisterSku, StoreFormat};
use salesledger_domain::value::{ActorId, MemberRef, Region, SkuCode, StoreCode, Text};
use salesledger_domain::Role;
use salesledger_store::{SledStore, Store};
use serde_json::json;

use crate::util::salesledger;

fn seed_catalogue(data_dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let sled = Arc::new(SledStore::open(data_dir).expect("open"));
        let store: Arc<dyn Store> = sled.clone();
        let service = CommandService::new(store);
        let meta = CommandMeta::new(
            Principal {
                actor: ActorId::parse("hq").expect("actor"),
                role: Role::Supervisor,
            },
            Utc::now(),
        );
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        for code in ["S1", "S2"] {
            service
                .open_store(
                    &meta,
                    OpenStore {
                        store: StoreCode::parse(code).expect("store"),
                        name: Text::parse(code).expect("name"),
                        region: Region::parse("east").expect("region"),
                        format: StoreFormat::Direct,
                        opened_on: day,
                    },
                )
                .await
                .expect("store");
        }
        for sku in ["A", "B"] {
            service
                .register_sku(
                    &meta,
                    RegisterSku {
                        sku: SkuCode::parse(sku).expect("sku"),
                        name: Text::parse(sku).expect("name"),
                        category: Text::parse("cat").expect("category"),
                        new_product: false,
                    },
                )
                .await
                .expect("sku");
        }
        service
            .enroll_member(
                &meta,
                NewMember {
                    member: MemberRef::parse("M1").expect("member"),
                    home_store: StoreCode::parse("S1").expect("store"),
                    display_name: Text::parse("One").expect("name"),
                    enrolled_on: day,
                },
            )
            .await
            .expect("member");
        sled.close().await;
    });
}

/// 30 tickets of 2 lines each (60 lines), alternating stores.
fn history(bad_sku_on_line: Option<usize>) -> String {
    let mut body = String::new();
    let mut line_no = 0;
    for ticket in 0..30 {
        for sku in ["A", "B"] {
            line_no += 1;
            let sku = if Some(line_no) == bad_sku_on_line {
                "ZZZ"
            } else {
                sku
            };
            let store = if ticket % 2 == 0 { "S1" } else { "S2" };
            let member = (ticket % 3 == 0).then_some("M1");
            body.push_str(
                &json!({"store": store, "ticket": format!("T{ticket}"), "sku": sku, "qty": 1,
                        "amount_cents": 900, "member": member,
                        "sold_at": format!("2026-03-{:02}T10:15:00+08:00", 1 + ticket % 28)})
                .to_string(),
            );
            body.push('\n');
        }
    }
    body
}

fn log_len(data_dir: &Path) -> u64 {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data_dir).expect("open");
        let len = store.head().len;
        store.close().await;
        len
    })
}

fn import(file: &Path, data_dir: &Path, batch_lines: &str) -> std::process::Output {
    salesledger(&[
        "import",
        "pos",
        file.to_str().expect("utf-8 path"),
        "--data",
        data_dir.to_str().expect("utf-8 path"),
        "--batch-lines",
        batch_lines,
    ])
}

#[test]
fn importing_twice_appends_nothing_the_second_time() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    seed_catalogue(data_dir.path());
    let before = log_len(data_dir.path());
    let file = data_dir.path().join("history.ndjson");
    std::fs::write(&file, history(None)).expect("write");

    let output = import(&file, data_dir.path(), "25");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // 25 lines then the rest of the ticket: batches of 26, 26 and 8 lines,
    // each with both stores (2 events per batch)
    assert!(
        stdout.contains("imported 60 lines in 3 batches (0 already imported), 6 events appended"),
        "{stdout}"
    );
    let after = log_len(data_dir.path());
    assert_eq!(after, before + 6);

    let output = import(&file, data_dir.path(), "25");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("imported 60 lines in 3 batches (3 already imported), 0 events appended"),
        "{stdout}"
    );
    assert_eq!(log_len(data_dir.path()), after, "nothing appended again");

    let verify = salesledger(&["verify", "--data", data_dir.path().to_str().expect("utf-8")]);
    assert_eq!(verify.status.code(), Some(0));
}

#[test]
fn a_bad_line_stops_the_import_with_its_line_number() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    seed_catalogue(data_dir.path());
    let before = log_len(data_dir.path());
    let file = data_dir.path().join("history.ndjson");
    std::fs::write(&file, history(Some(37))).expect("write");

    let output = import(&file, data_dir.path(), "25");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 37: unknown_sku"), "{stderr}");
    assert!(
        stderr.contains("import stopped at batch 1 (lines 27 to 52)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the 1 batch(es) before it (lines 1 to 26) are kept"),
        "{stderr}"
    );
    // the first batch (26 lines, both stores) is kept, nothing of the bad one
    assert_eq!(log_len(data_dir.path()), before + 2);

    // The line corrected, the re-run skips the kept batch and imports the
    // rest: the log ends as one clean import of the corrected file would.
    std::fs::write(&file, history(None)).expect("write the corrected file");
    let output = import(&file, data_dir.path(), "25");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("imported 60 lines in 3 batches (1 already imported), 4 events appended"),
        "{stdout}"
    );
    assert_eq!(log_len(data_dir.path()), before + 6, "no batch twice");
}

#[test]
fn a_malformed_line_never_moves_a_cut_so_its_correction_imports_nothing_twice() {
    // Line 26 ends the ticket line 25 started (batches of 26 lines at
    // --batch-lines 25). Unreadable, it must not end the first batch at
    // line 25: corrected, it would rejoin that batch, change its bytes and
    // id, and the first 25 lines would be imported twice.
    let data_dir = tempfile::tempdir().expect("tempdir");
    seed_catalogue(data_dir.path());
    let before = log_len(data_dir.path());
    let file = data_dir.path().join("history.ndjson");
    let good = history(None);
    let broken: String = good
        .lines()
        .enumerate()
        .map(|(idx, line)| {
            if idx == 25 {
                "{\"store\": \"S1\", this is not JSON\n".to_owned()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    std::fs::write(&file, broken).expect("write");
    let output = import(&file, data_dir.path(), "25");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("line 26: malformed_line"), "{stderr}");
    assert_eq!(
        log_len(data_dir.path()),
        before,
        "nothing of the failed batch"
    );

    std::fs::write(&file, good).expect("write the corrected file");
    let output = import(&file, data_dir.path(), "25");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("imported 60 lines in 3 batches (0 already imported), 6 events appended"),
        "{stdout}"
    );
    assert_eq!(log_len(data_dir.path()), before + 6, "each line once");
}
