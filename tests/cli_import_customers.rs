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

/// A cell holding `text` as an inline string, e.g. `inline_cell("A1",
/// "company_name")`.
pub(crate) fn inline_cell(cell: &str, text: &str) -> String {
    format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
}

/// A minimal `.xlsx` written by hand (no dependency writes one): one
/// worksheet whose `<worksheet>` element holds `sheet` (a `<dimension>`,
/// if any, and the `<sheetData>`), and the shared strings `shared`, in a
/// zip of stored (uncompressed) entries.
pub(crate) fn xlsx(sheet: &str, shared: &[&str]) -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELATIONSHIPS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOCUMENT: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let strings: String = shared
        .iter()
        .map(|text| format!("<si><t>{text}</t></si>"))
        .collect();
    let parts = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
             <Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>\
             </Types>"
                .to_owned(),
        ),
        (
            "_rels/.rels",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{RELATIONSHIPS}\">\
                 <Relationship Id=\"rId1\" Type=\"{DOCUMENT}/officeDocument\" Target=\"xl/workbook.xml\"/>\
                 </Relationships>"
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{MAIN}\" xmlns:r=\"{DOCUMENT}\">\
                 <sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{RELATIONSHIPS}\">\
                 <Relationship Id=\"rId1\" Type=\"{DOCUMENT}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
                 <Relationship Id=\"rId2\" Type=\"{DOCUMENT}/sharedStrings\" Target=\"sharedStrings.xml\"/>\
                 </Relationships>"
            ),
        ),
        (
            "xl/sharedStrings.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"{MAIN}\" count=\"{0}\" \
                 uniqueCount=\"{0}\">{strings}</sst>",
                shared.len()
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{MAIN}\">{sheet}</worksheet>"),
        ),
    ];
    stored_zip(&parts)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive of `parts` (name, content), each stored as it is.
fn stored_zip(parts: &[(&str, String)]) -> Vec<u8> {
    let mut zip = Vec::new();
    let mut central = Vec::new();
    let u16_of = |n: usize| u16::try_from(n).expect("fits a zip's u16");
    let u32_of = |n: usize| u32::try_from(n).expect("fits a zip's u32");
    for (name, content) in parts {
        let (name, content) = (name.as_bytes(), content.as_bytes());
        let offset = u32_of(zip.len());
        let crc = crc32(content);
        // Version 2.0, no flags, stored, 1980-01-01 00:00.
        let common = |out: &mut Vec<u8>| {
            for half in [20u16, 0, 0, 0, 0x21] {
                out.extend_from_slice(&half.to_le_bytes());
            }
            for word in [crc, u32_of(content.len()), u32_of(content.len())] {
                out.extend_from_slice(&word.to_le_bytes());
            }
            out.extend_from_slice(&u16_of(name.len()).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra field
        };
        zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut zip);
        zip.extend_from_slice(name);
        zip.extend_from_slice(content);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        common(&mut central);
        for half in [0u16, 0, 0] {
            // comment, disk, internal attributes
            central.extend_from_slice(&half.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = u32_of(zip.len());
    let central_len = u32_of(central.len());
    zip.extend_from_slice(&central);
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for half in [0u16, 0, u16_of(parts.len()), u16_of(parts.len())] {
        zip.extend_from_slice(&half.to_le_bytes());
    }
    zip.extend_from_slice(&central_len.to_le_bytes());
    zip.extend_from_slice(&central_offset.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes()); // comment
    zip
}

/// Two cells, A1 and XFD1048576, the sheet's declared extent the whole
/// worksheet: read into a dense range it would take 1.7e10 cells (the
/// process aborted). It is refused as it is read (exit 2, in English and
/// Chinese), nothing appended.
#[test]
fn a_workbook_spanning_the_whole_sheet_is_refused_as_it_is_read() {
    let data = tempfile::tempdir().expect("tempdir");
    seed_reps(data.path());
    let before = records(data.path()).len();
    let list = data.path().join("list.xlsx");
    let sheet = format!(
        "<dimension ref=\"A1:XFD1048576\"/><sheetData>\
         <row r=\"1\">{}</row><row r=\"1048576\">{}</row></sheetData>",
        inline_cell("A1", "company_name"),
        inline_cell("XFD1048576", "ACME")
    );
    std::fs::write(&list, xlsx(&sheet, &[])).expect("write");
    let run = |lang: &str| {
        let output = salesledger(&[
            "--lang",
            lang,
            "import",
            "customers",
            list.to_str().expect("path"),
            "--data",
            data.path().to_str().expect("path"),
        ]);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run("en");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "cell XFD1048576 is beyond column IV: at most 256 columns are read; \
             delete or move what is beyond"
        ),
        "{stderr}"
    );
    let (code, stderr) = run("zh-CN");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("单元格 XFD1048576 超出了第 IV 列：最多读取 256 列"),
        "{stderr}"
    );
    assert_eq!(records(data.path()).len(), before, "nothing appended");
}

/// Past the row limit, an `.xlsx` list's rows are counted, not kept: the
/// refusal names how many the list has.
#[test]
fn an_xlsx_list_past_the_row_limit_is_refused_with_its_row_count() {
    let data = tempfile::tempdir().expect("tempdir");
    seed_reps(data.path());
    let before = records(data.path()).len();
    let list = data.path().join("list.xlsx");
    let mut sheet = format!(
        "<sheetData><row r=\"1\">{}</row>",
        inline_cell("A1", "company_name")
    );
    for row in 2..=100_003 {
        sheet.push_str(&format!(
            "<row r=\"{row}\"><c r=\"A{row}\"><v>{row}</v></c></row>"
        ));
    }
    sheet.push_str("</sheetData>");
    std::fs::write(&list, xlsx(&sheet, &[])).expect("write");
    let output = salesledger(&[
        "import",
        "customers",
        list.to_str().expect("path"),
        "--data",
        data.path().to_str().expect("path"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the list has 100002 rows; at most 100000 are imported at once"),
        "{stderr}"
    );
    assert_eq!(records(data.path()).len(), before, "nothing appended");
}
