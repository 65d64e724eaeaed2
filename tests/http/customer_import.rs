//! `POST /v1/customers/import` (issue 16): a supervisor posts the
//! organisation's customer list (.csv or .xlsx) and gets a report of what
//! was registered and every refused row by line; a dry run appends
//! nothing; the same list again appends nothing; other roles get 403;
//! a list that cannot be mapped is a 422 with its code.

use serde_json::Value;

use super::support::{spawn_app, TestApp, REP_A, REP_B, REP_E};
use crate::util::workspace_root;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/fixtures/customers").join(name)).expect("fixture")
}

async fn post(
    app: &TestApp,
    token: &str,
    query: &str,
    media_type: &str,
    body: Vec<u8>,
) -> super::support::Answer {
    app.send_raw(
        "POST",
        &format!("/v1/customers/import{query}"),
        Some(app.token(token)),
        Some(media_type),
        body,
        &[],
    )
    .await
}

fn refused_codes(report: &Value) -> Vec<(u64, String)> {
    report["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|row| {
            (
                row["line"].as_u64().expect("line"),
                row["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_supervisor_imports_the_list_and_owners_are_assigned() {
    let app = spawn_app().await;
    app.register_reps().await;
    let map = "?map=%E8%A1%8C%E4%B8%9A%3Dattributes.industry"; // 行业=attributes.industry
    let before = app.log_len();

    let dry = post(
        &app,
        "supervisor",
        &format!("{map}&dry_run=true"),
        XLSX,
        fixture("customers.xlsx"),
    )
    .await;
    let report = dry.ok().clone();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["registered"], 3);
    assert_eq!(app.log_len(), before, "a dry run appends nothing");

    let answer = post(
        &app,
        "supervisor",
        map,
        "text/csv",
        fixture("customers.csv"),
    )
    .await;
    let report = answer.ok().clone();
    assert_eq!(report["rows"], 6);
    assert_eq!(report["registered"], 3);
    assert_eq!(report["owners_assigned"], 2);
    assert_eq!(
        refused_codes(&report),
        [
            (4, "invalid_phone".to_owned()),
            (5, "duplicate_record".to_owned()),
            (6, "unknown_owner".to_owned())
        ]
    );
    let first = &report["imported"][0];
    assert_eq!(first["line"], 2);
    assert_eq!(first["owner"], REP_A.to_string());
    let customer = app
        .state_of(&format!(
            "/v1/customers/{}",
            first["customer_id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(
        customer["ownership"]["owner"],
        REP_A.to_string(),
        "{customer}"
    );
    assert_eq!(report["imported"][1]["owner"], REP_B.to_string());

    // The same list as a workbook: the same customers, nothing appended.
    let after = app.log_len();
    let again = post(&app, "supervisor", map, XLSX, fixture("customers.xlsx")).await;
    let report = again.ok().clone();
    assert_eq!(report["registered"], 0);
    assert_eq!(report["already_imported"], 3);
    assert_eq!(app.log_len(), after);

    // Another supervisor (or the CLI, acting as `supervisor:import`) with
    // the same list: already imported too, not refused as duplicates of
    // themselves; an owner changed by hand since stays.
    let line_2 = report["imported"][0]["customer_id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post_json(
        &format!("/v1/customers/{line_2}/transfer"),
        "supervisor",
        &serde_json::json!({"to_rep_id": REP_B, "reason": "客户要求"}),
    )
    .await
    .ok();
    // And one recalled to the pool stays there.
    let line_3 = report["imported"][1]["customer_id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post_json(
        &format!("/v1/customers/{line_3}/recall"),
        "supervisor",
        &serde_json::json!({"reason": "长期未跟进"}),
    )
    .await
    .ok();
    let after = app.log_len();
    let other = post(&app, "supervisor_2", map, XLSX, fixture("customers.xlsx")).await;
    let report = other.ok().clone();
    assert_eq!(report["registered"], 0, "{report}");
    assert_eq!(report["already_imported"], 3, "{report}");
    assert_eq!(report["owners_assigned"], 0, "{report}");
    assert_eq!(app.log_len(), after, "nothing appended");
    let customer = app.state_of(&format!("/v1/customers/{line_2}")).await;
    assert_eq!(customer["ownership"]["owner"], REP_B.to_string());
    let customer = app.state_of(&format!("/v1/customers/{line_3}")).await;
    assert!(customer["ownership"].is_null(), "{customer}");
}

#[tokio::test]
async fn only_supervisors_import_and_bad_lists_are_refused_whole() {
    let app = spawn_app().await;
    let before = app.log_len();
    for role in ["rep", "auditor", "marketing", "integrator", "regional_east"] {
        post(&app, role, "", "text/csv", fixture("customers.csv"))
            .await
            .assert_problem(403, "forbidden");
    }
    post(&app, "supervisor", "", "application/json", b"{}".to_vec())
        .await
        .assert_problem(415, "unsupported_media_type");
    let answer = post(
        &app,
        "supervisor",
        "",
        "text/csv",
        b"Firma,Telefon\nACME,1\n".to_vec(),
    )
    .await;
    answer.assert_problem(422, "no_company_name_column");
    post(
        &app,
        "supervisor",
        "?map=Telefon%3Dfax",
        "text/csv",
        b"Firma,Telefon\nACME,1\n".to_vec(),
    )
    .await
    .assert_problem(422, "invalid_column_mapping");
    post(&app, "supervisor", "", XLSX, b"not a workbook".to_vec())
        .await
        .assert_problem(422, "unreadable_sheet");
    post(
        &app,
        "supervisor",
        "?dry_run=maybe",
        "text/csv",
        fixture("customers.csv"),
    )
    .await
    .assert_problem(400, "invalid_query");
    post(
        &app,
        "supervisor",
        "?mapping=x",
        "text/csv",
        fixture("customers.csv"),
    )
    .await
    .assert_problem(400, "invalid_query");
    assert_eq!(app.log_len(), before, "nothing appended");
}

/// With `Accept-Language: zh-CN`, every refused row's `reason` is
/// Chinese: the import's own refusals (an owner no rep has, the same
/// customer twice in one list) and the command path's (an invalid phone).
/// The codes stay as they are.
#[tokio::test]
async fn refused_rows_are_worded_in_the_requests_language() {
    let app = spawn_app().await;
    app.register_reps().await;
    let list = "客户名称,联系电话,负责人\n\
                杭州瑞康医疗器械有限公司,13800138000,\n\
                苏州华信电子有限公司,138 0013 800,\n\
                杭州瑞康医疗器械有限公司,13800138000,\n\
                南京星辰软件有限公司,,孙悟空\n\
                ,13900139000,\n";
    let answer = app
        .send_raw(
            "POST",
            "/v1/customers/import?dry_run=true",
            Some(app.token("supervisor")),
            Some("text/csv"),
            list.as_bytes().to_vec(),
            &[("accept-language", "zh-CN")],
        )
        .await;
    let report = answer.ok().clone();
    assert_eq!(
        refused_codes(&report),
        [
            (3, "invalid_phone".to_owned()),
            (4, "duplicate_record".to_owned()),
            (5, "unknown_owner".to_owned()),
            (6, "missing_company_name".to_owned()),
        ]
    );
    let reasons: Vec<&str> = report["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|row| row["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(
        reasons,
        [
            // The rule the value breaks follows, as the domain states it.
            "电话号码无效（a mainland mobile number has 11 digits）",
            "与第 2 行是同一客户。",
            "负责人 孙悟空 不是已登记的销售（按编号或姓名均未找到）。",
            "第 6 行没有公司名称。",
        ]
    );
}

#[tokio::test]
async fn no_customer_goes_to_a_deactivated_rep() {
    let app = spawn_app().await;
    app.register_reps().await;
    app.post_json(
        &format!("/v1/reps/{REP_E}/deactivation"),
        "supervisor",
        &serde_json::json!({}),
    )
    .await
    .ok();
    // By id, and by display name (赵磊).
    let csv = format!("客户名称,负责人\n常州新客户有限公司,{REP_E}\n扬州新客户有限公司,赵磊\n");
    let answer = post(&app, "supervisor", "", "text/csv", csv.into_bytes()).await;
    let report = answer.ok().clone();
    assert_eq!(report["registered"], 0);
    assert_eq!(
        refused_codes(&report),
        [
            (2, "owner_deactivated".to_owned()),
            (3, "owner_deactivated".to_owned())
        ]
    );
}

/// A workbook of two cells, A1 and XFD1048576, declaring the whole sheet:
/// read into a dense range it took 1.7e10 cells and the gateway aborted.
/// It is refused as it is read (`too_many_columns`), nothing appended, and
/// the gateway answers on. Memory follows the cells the sheet holds, not
/// its extent: a header and one row at the sheet's last line import; a
/// malformed cell reference is unreadable, not a panic; cells naming one
/// long shared string are refused past the text the import reads.
#[tokio::test]
async fn a_workbook_spanning_the_whole_sheet_is_refused_not_allocated() {
    use crate::cli_import_customers::{inline_cell, xlsx};
    let app = spawn_app().await;
    let before = app.log_len();
    let hostile = xlsx(
        &format!(
            "<dimension ref=\"A1:XFD1048576\"/><sheetData>\
             <row r=\"1\">{}</row><row r=\"1048576\">{}</row></sheetData>",
            inline_cell("A1", "company_name"),
            inline_cell("XFD1048576", "ACME")
        ),
        &[],
    );
    post(&app, "supervisor", "", XLSX, hostile.clone())
        .await
        .assert_problem(422, "too_many_columns");
    post(&app, "supervisor", "?dry_run=true", XLSX, hostile)
        .await
        .assert_problem(422, "too_many_columns");

    // The last line of a sheet, its only row: read as it is.
    let sparse = xlsx(
        &format!(
            "<dimension ref=\"A1:A1048576\"/><sheetData>\
             <row r=\"1\">{}</row><row r=\"1048576\">{}</row></sheetData>",
            inline_cell("A1", "company_name"),
            inline_cell("A1048576", "苏州远航精密机械有限公司")
        ),
        &[],
    );
    let answer = post(&app, "supervisor", "?dry_run=true", XLSX, sparse).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["rows"], 1);
    assert_eq!(answer.json["imported"][0]["line"], 1_048_576);
    assert_eq!(answer.json["imported"][0]["status"], "would_register");

    // A row number beyond u32: unreadable (the reader's arithmetic
    // overflowed, a panic in a debug build).
    let malformed = xlsx(
        &format!(
            "<sheetData><row r=\"1\">{}</row><row>{}</row></sheetData>",
            inline_cell("A1", "company_name"),
            inline_cell("A99999999999", "ACME")
        ),
        &[],
    );
    post(&app, "supervisor", "", XLSX, malformed)
        .await
        .assert_problem(422, "unreadable_sheet");

    // 33 cells naming one 2 MiB shared string: 66 MiB of text.
    let long = "x".repeat(2 * 1024 * 1024);
    let mut rows = format!("<row r=\"1\">{}</row>", inline_cell("A1", "company_name"));
    for row in 2..=34 {
        rows.push_str(&format!(
            "<row r=\"{row}\"><c r=\"A{row}\" t=\"s\"><v>0</v></c></row>"
        ));
    }
    let copied = xlsx(&format!("<sheetData>{rows}</sheetData>"), &[&long]);
    post(&app, "supervisor", "", XLSX, copied)
        .await
        .assert_problem(422, "too_much_text");

    assert_eq!(app.log_len(), before, "nothing appended");
    // The gateway answers on: the fixture list still imports.
    let answer = post(
        &app,
        "supervisor",
        "?dry_run=true",
        XLSX,
        fixture("customers.xlsx"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["rows"], 6);
    assert_eq!(app.log_len(), before, "nothing appended");
}
