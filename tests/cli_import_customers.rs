//! `salesledger import customers FILE --data DIR`: an organisation's
//! existing list (tests/fixtures/customers, as .csv and .xlsx) registered
//! through the command path: refused rows reported with their lines, owners
//! assigned by name or id, a dry run appending nothing, a re-run appending
//! nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use salesledger_commands::{CommandMeta, CommandService, Principal};
use salesledger_domain::rep::{RegisterRep, Rep, RepCommand};
use salesledger_domain::stream::rep_stream_id;
use salesledger_domain::value::{ActorId, CapabilityTags, Region, RepId, Text};
use salesledger_domain::Role;
use salesledger_store::{RecordedEvent, SledStore, Store};
use serde_json::Value;
use uuid::Uuid;

use crate::util::{salesledger, workspace_root};

const LI_NA: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000a);
const CHEN_JING: Uuid = Uuid::from_u128(0x0192f0a4_0000_7000_8000_00000000000b);

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/customers").join(name)
}

/// Two reps (李娜 and 陈静), registered offline.
fn seed_reps(data_dir: &Path) {
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
        for (id, name) in [(LI_NA, "李娜"), (CHEN_JING, "陈静")] {
            let rep_id = RepId::from_uuid(id);
            service
                .execute::<Rep>(
                    &meta,
                    &rep_stream_id(rep_id),
                    RepCommand::Register(RegisterRep {
                        rep_id,
                        display_name: Text::parse(name).expect("name"),
                        region: Region::parse("华东").expect("region"),
                        capability_tags: CapabilityTags::parse(&["a1", "b2", "c3"]).expect("tags"),
                    }),
                )
                .await
                .expect("rep");
        }
        sled.close().await;
    });
}

fn records(data_dir: &Path) -> Vec<RecordedEvent> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SledStore::open(data_dir).expect("open");
        let records = store.read_all(0, 10_000).await.expect("read");
        store.close().await;
        records
    })
}

fn payloads(records: &[RecordedEvent], event_type: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|record| record.event_type == event_type)
        .map(|record| serde_json::from_str(record.payload.as_str()).expect("payload"))
        .collect()
}

fn import(file: &Path, data_dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec![
        "import",
        "customers",
        file.to_str().expect("utf-8 path"),
        "--data",
        data_dir.to_str().expect("utf-8 path"),
        "--map",
        "行业=attributes.industry",
    ];
    args.extend_from_slice(extra);
    let output = salesledger(&args);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What the fixture list gives, whichever the file's format.
fn check_the_list_imports(file: &Path) {
    let data = tempfile::tempdir().expect("tempdir");
    seed_reps(data.path());
    let before = records(data.path()).len();

    // A dry run: every row checked (the duplicate by phone is of a row
    // above, not of the log), nothing appended.
    let (code, stdout, stderr) = import(file, data.path(), &["--dry-run"]);
    assert_eq!(code, Some(1), "refused rows: exit 1\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("6 rows: would register 3, already imported 0, owners assigned 2, refused 3 (dry run: nothing appended)"),
        "{stdout}"
    );
    assert_eq!(
        records(data.path()).len(),
        before,
        "a dry run appends nothing"
    );

    let (code, stdout, stderr) = import(file, data.path(), &[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("6 rows: registered 3, already imported 0, owners assigned 2, refused 3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("column \"行业\": attributes.industry"),
        "{stdout}"
    );
    assert!(stdout.contains("column \"备注\": ignore"), "{stdout}");
    assert!(
        stderr.contains("line 4: 苏州华信电子有限公司 (invalid_phone)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 5: 瑞康贸易有限公司 (duplicate_record)") && stderr.contains("phone"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 6: 南京星辰软件有限公司 (unknown_owner): owner 孙悟空"),
        "{stderr}"
    );

    let log = records(data.path());
    let registered = payloads(&log, "CustomerRegistered");
    let names: Vec<&str> = registered
        .iter()
        .map(|event| event["company_name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "杭州瑞康医疗器械有限公司",
            "宁波精工汽车零部件有限公司",
            "无锡新材料科技有限公司"
        ]
    );
    assert_eq!(registered[0]["attributes"]["industry"], "医疗器械");
    assert_eq!(registered[0]["phone"], "13800138000");
    let transfers = payloads(&log, "CustomerTransferred");
    assert_eq!(transfers.len(), 2);
    // The owner named by display name, then the one named by id.
    assert_eq!(transfers[0]["to_rep_id"], LI_NA.to_string());
    assert_eq!(transfers[0]["customer_id"], registered[0]["customer_id"]);
    assert_eq!(transfers[1]["to_rep_id"], CHEN_JING.to_string());
    assert!(transfers[0]["reason"]
        .as_str()
        .expect("reason")
        .contains("line 2"));
    assert!(log
        .iter()
        .filter(|record| record.event_type == "CustomerRegistered")
        .all(|record| record.actor == "supervisor:import"));

    // Again: the same rows are the same customers; nothing is appended.
    let (code, stdout, _) = import(file, data.path(), &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("6 rows: registered 0, already imported 3, owners assigned 0, refused 3"),
        "{stdout}"
    );
    assert_eq!(
        records(data.path()).len(),
        log.len(),
        "a re-run appends nothing"
    );
    let (_, stdout, _) = import(file, data.path(), &["--dry-run"]);
    assert!(
        stdout.contains("would register 0, already imported 3"),
        "{stdout}"
    );
}

#[test]
fn a_csv_list_is_registered_row_by_row_with_refusals_by_line() {
    check_the_list_imports(&fixture("customers.csv"));
}

#[test]
fn an_xlsx_list_imports_the_same_as_its_csv() {
    check_the_list_imports(&fixture("customers.xlsx"));
}

#[test]
fn a_list_that_cannot_be_mapped_is_refused_whole() {
    let data = tempfile::tempdir().expect("tempdir");
    seed_reps(data.path());
    let before = records(data.path()).len();
    let list = data.path().join("list.csv");
    std::fs::write(&list, "Firma,Telefon\nACME,13800138000\n").expect("write");
    let output = salesledger(&[
        "import",
        "customers",
        list.to_str().expect("path"),
        "--data",
        data.path().to_str().expect("path"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no column holds the company name (header: Firma, Telefon)"),
        "{stderr}"
    );
    let output = salesledger(&[
        "import",
        "customers",
        list.to_str().expect("path"),
        "--data",
        data.path().to_str().expect("path"),
        "--map",
        "Firma=company_name",
        "--map",
        "Telefon=fax",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--map Telefon=fax: fax is not a field"),
        "{stderr}"
    );
    assert_eq!(records(data.path()).len(), before);

    // Mapped, it imports.
    let output = salesledger(&[
        "import",
        "customers",
        list.to_str().expect("path"),
        "--data",
        data.path().to_str().expect("path"),
        "--map",
        "Firma=company_name",
        "--map",
        "Telefon=phone",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(records(data.path()).len(), before + 1);
}

/// In Chinese (`--lang zh-CN`), a list refused whole and each refused row
/// are worded in Chinese: the import's own refusals (an unknown owner)
/// from the catalogue, the command path's (an invalid phone, a duplicate)
/// from their problem messages.
#[test]
fn refusals_are_worded_in_the_clis_language() {
    let data = tempfile::tempdir().expect("tempdir");
    seed_reps(data.path());
    let list = data.path().join("list.csv");
    std::fs::write(&list, "Firma,Telefon\nACME,13800138000\n").expect("write");
    let in_chinese = |extra: &[&str]| {
        let mut args = vec![
            "--lang",
            "zh-CN",
            "import",
            "customers",
            list.to_str().expect("path"),
            "--data",
            data.path().to_str().expect("path"),
        ];
        args.extend_from_slice(extra);
        let output = salesledger(&args);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = in_chinese(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("没有任何一列是公司名称（表头：Firma, Telefon）"),
        "{stderr}"
    );
    let (code, stderr) = in_chinese(&["--map", "Firma=company_name", "--map", "Telefon=fax"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--map Telefon=fax：fax 不是可用字段"),
        "{stderr}"
    );
    let (_, stderr) = in_chinese(&["--map", "Firma=company_name", "--map", "Nummer=phone"]);
    assert!(
        stderr.contains("没有名为 Nummer 的列（表头：Firma, Telefon）"),
        "{stderr}"
    );

    let output = salesledger(&[
        "--lang",
        "zh-CN",
        "import",
        "customers",
        fixture("customers.csv").to_str().expect("path"),
        "--data",
        data.path().to_str().expect("path"),
        "--dry-run",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    for expected in [
        "第 4 行：苏州华信电子有限公司（invalid_phone）：电话",
        "第 5 行：瑞康贸易有限公司（duplicate_record）：",
        "第 6 行：南京星辰软件有限公司（unknown_owner）：负责人 孙悟空 不是已登记的销售",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    // No English sentence is left in the refusals (the codes stay).
    for english in ["owner 孙", "line ", "names no", "is not", "the same"] {
        assert!(!stderr.contains(english), "{english}\n{stderr}");
    }
}
