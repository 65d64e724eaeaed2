//! Problems in the reader's language (issue 20): with `Accept-Language:
//! zh-CN` a 401, a 403, a 409 and a 422 carry Chinese titles and details
//! and the same `code`, `type` and `status` as in English; English stays
//! the default.

use serde_json::json;

use super::support::{assert_plain, spawn_app, Answer, TestApp, REP_A, REP_B};

/// The four refusals, each sent with `headers`.
async fn refusals(app: &TestApp, customer_id: uuid::Uuid, headers: &[(&str, &str)]) -> Vec<Answer> {
    let unauthenticated = app
        .send_raw("GET", "/v1/me", None, None, Vec::new(), headers)
        .await;
    let forbidden = app
        .send_json(
            "POST",
            &format!("/v1/customers/{customer_id}/claim"),
            app.token("marketing"),
            &json!({"rep_id": REP_A}),
            headers,
        )
        .await;
    let conflict = app
        .send_json(
            "POST",
            &format!("/v1/customers/{customer_id}/claim"),
            app.token("rep_b"),
            &json!({"rep_id": REP_B}),
            headers,
        )
        .await;
    let unprocessable = app
        .send_json(
            "POST",
            "/v1/reps",
            app.token("supervisor"),
            &json!({"display_name": "王晓明", "region": "华东", "capability_tags": ["a1", "b2"]}),
            headers,
        )
        .await;
    vec![unauthenticated, forbidden, conflict, unprocessable]
}

const EXPECTED: [(u16, &str); 4] = [
    (401, "unauthenticated"),
    (403, "forbidden"),
    (409, "customer_already_owned"),
    (422, "capability_tag_count"),
];

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn accept_language_zh_cn_gives_chinese_titles_and_the_same_codes() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    let before = app.log_len();

    let english = refusals(&app, customer_id, &[]).await;
    let chinese = refusals(
        &app,
        customer_id,
        &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")],
    )
    .await;
    let titles = ["未认证", "无权操作", "冲突", "请求无法处理"];
    for (((english, chinese), (status, code)), title) in
        english.iter().zip(&chinese).zip(EXPECTED).zip(titles)
    {
        english.assert_problem(status, code);
        chinese.assert_problem(status, code);
        assert_eq!(chinese.json["type"], english.json["type"]);
        assert_eq!(
            chinese.json["type"],
            json!(format!("urn:salesledger:problem:{code}"))
        );
        assert_eq!(chinese.json["title"], json!(title), "{}", chinese.text);
        let detail = chinese.json["detail"].as_str().expect("a detail");
        assert!(has_han(detail), "not Chinese: {detail}");
        assert_plain(detail);
        assert_eq!(chinese.headers["content-language"], "zh-CN");
        assert!(!has_han(english.json["title"].as_str().unwrap_or_default()));
        assert!(!has_han(
            english.json["detail"].as_str().unwrap_or_default()
        ));
        assert_eq!(english.headers["content-language"], "en");
        for answer in [english, chinese] {
            let vary = answer.headers.get_all("vary").iter();
            assert!(
                vary.filter_map(|value| value.to_str().ok())
                    .any(|value| value.to_ascii_lowercase().contains("accept-language")),
                "Vary names Accept-Language"
            );
        }
        // The same structured fields either way.
        let mut english_fields = english.json.as_object().cloned().unwrap_or_default();
        let mut chinese_fields = chinese.json.as_object().cloned().unwrap_or_default();
        for key in ["title", "detail"] {
            english_fields.remove(key);
            chinese_fields.remove(key);
        }
        assert_eq!(english_fields, chinese_fields);
    }
    assert_eq!(english[0].json["title"], json!("Unauthenticated"));
    assert_eq!(chinese[0].headers["www-authenticate"], "Bearer");
    // The conflict names the owner in the Chinese sentence too (撞单).
    let detail = chinese[2].json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&REP_A.to_string()), "{detail}");
    assert!(detail.contains(&customer_id.to_string()), "{detail}");
    assert!(detail.contains("撞单"), "{detail}");
    assert_eq!(chinese[2].json["owner"], json!(REP_A));
    assert_eq!(app.log_len(), before, "nothing appended");
}

#[tokio::test]
async fn english_when_no_supported_language_is_asked_for() {
    let app = spawn_app().await;
    let customer_id = app.reps_customer().await;
    for accept in ["en-US,en;q=0.9", "fr-FR,de;q=0.5", "zh;q=0, en", "*"] {
        let answers = refusals(&app, customer_id, &[("accept-language", accept)]).await;
        for (answer, (status, code)) in answers.iter().zip(EXPECTED) {
            answer.assert_problem(status, code);
            let title = answer.json["title"].as_str().unwrap_or_default();
            let detail = answer.json["detail"].as_str().unwrap_or_default();
            assert!(
                !has_han(title) && !has_han(detail),
                "{accept}: {}",
                answer.text
            );
        }
    }
    // A bare `zh` (or any zh-*) is Chinese.
    let answers = refusals(&app, customer_id, &[("accept-language", "zh-TW")]).await;
    assert_eq!(answers[1].json["title"], json!("无权操作"));
}

/// A bulk answer's per-item problems follow `Accept-Language` too.
#[tokio::test]
async fn bulk_item_problems_follow_accept_language() {
    let app = spawn_app().await;
    let body = json!({"items": [
        {"customer_id": uuid::Uuid::now_v7(), "days": [{"day": "2027-03-15", "logins": 3, "key_feature_calls": 9}]},
        {"days": []}
    ]});
    let chinese = app
        .send_json(
            "POST",
            "/v1/ingest/usage-reports",
            app.token("integrator"),
            &body,
            &[("accept-language", "zh-CN")],
        )
        .await;
    let english = app
        .post_json("/v1/ingest/usage-reports", "integrator", &body)
        .await;
    for (answer, titles) in [
        (&chinese, ["未找到", "请求有误"]),
        (&english, ["Not found", "Bad request"]),
    ] {
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
        let results = answer.json["results"].as_array().expect("results");
        for (result, (title, code)) in results
            .iter()
            .zip(titles.iter().zip(["not_found", "missing_field"]))
        {
            assert_eq!(result["problem"]["code"], json!(code), "{}", answer.text);
            assert_eq!(result["problem"]["title"], json!(title), "{}", answer.text);
        }
    }
    let detail = chinese.json["results"][1]["problem"]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(has_han(detail), "{detail}");
}
