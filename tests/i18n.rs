//! The message catalogues (issue 20): the problem catalogue
//! (`src/gateway/i18n/locales/<lang>/problems.ftl`) and the dashboard's
//! (`src/gateway/dashboard/i18n/<lang>.json`) hold exactly the same keys in
//! zh-CN and English, and every problem `code` the sources can answer has a
//! message in both languages.

use std::collections::BTreeSet;
use std::path::Path;

use salesledger::gateway::i18n::{keys, message, Lang, EN_FTL, ZH_CN_FTL};

use crate::util::workspace_root;

/// Keys in one set and not the other, both ways, as a readable report.
fn difference(
    left_name: &str,
    left: &BTreeSet<String>,
    right_name: &str,
    right: &BTreeSet<String>,
) -> String {
    let only_left: Vec<_> = left.difference(right).collect();
    let only_right: Vec<_> = right.difference(left).collect();
    format!("only in {left_name}: {only_left:?}; only in {right_name}: {only_right:?}")
}

#[test]
fn the_problem_catalogues_hold_the_same_keys() {
    let english = keys(EN_FTL);
    let chinese = keys(ZH_CN_FTL);
    assert!(english.len() > 150, "{} keys", english.len());
    assert_eq!(
        english,
        chinese,
        "{}",
        difference("en", &english, "zh-CN", &chinese)
    );
}

#[test]
fn every_title_formats_in_both_languages() {
    for lang in Lang::ALL {
        for status in [400, 401, 403, 404, 405, 409, 413, 415, 422, 500, 503, 507] {
            assert!(
                message(lang, &format!("status-{status}"), &[]).is_some(),
                "{lang:?} {status}"
            );
        }
    }
}

/// The string literal starting at `text[at..]` (after optional
/// whitespace), if there is one there.
fn literal_at(text: &str, at: usize) -> Option<String> {
    let rest = text[at..].trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// Offset just past the `index`-th top-level comma after `start` (inside
/// the call's parentheses), or `None` when the call ends first.
fn after_argument(text: &str, start: usize, index: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut commas = 0;
    let mut in_string = false;
    for (offset, character) in text[start..].char_indices() {
        match character {
            '"' => in_string = !in_string,
            _ if in_string => {}
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
            }
            ',' if depth == 0 => {
                commas += 1;
                if commas == index {
                    return Some(start + offset + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn rust_files(directory: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// Every problem code written in the sources: the second argument of
/// `ApiError::new(..)` and of the gateway's code-taking helpers, and the
/// codes the domain's and the body decoder's `code()` functions return.
fn codes_in_sources() -> BTreeSet<String> {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut codes = BTreeSet::new();
    // (call, index of the code argument)
    let calls = [
        ("ApiError::new(", 1),
        ("unprocessable(", 0),
        ("not_published(", 1),
    ];
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable source");
        for (call, index) in calls {
            for (start, _) in text.match_indices(call) {
                let open = start + call.len();
                let at = if index == 0 {
                    Some(open)
                } else {
                    after_argument(&text, open, index)
                };
                if let Some(code) = at.and_then(|at| literal_at(&text, at)) {
                    if is_code(&code) {
                        codes.insert(code);
                    }
                }
            }
        }
    }
    // `code()` tables: every `=> "code"` arm.
    for file in ["domain/src/error.rs", "src/gateway/requests/mod.rs"] {
        let text = std::fs::read_to_string(root.join(file)).expect("a readable source");
        for (start, _) in text.match_indices("=>") {
            let rest = text[start + 2..].trim_start();
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            if let Some(code) = literal_at(rest, 0) {
                if is_code(&code) {
                    codes.insert(code);
                }
            }
        }
    }
    codes
}

#[test]
fn every_problem_code_has_a_message_in_both_languages() {
    let codes = codes_in_sources();
    // The scan sees the codes it must (a sanity check of the scanner).
    for code in [
        "unauthenticated",
        "forbidden",
        "customer_already_owned",
        "capability_tag_count",
        "invalid_company_name",
        "customer_not_found",
        "malformed_json",
        "invalid_webhook_target",
        "routing_rules_not_published",
        "insufficient_storage",
    ] {
        assert!(codes.contains(code), "the scan missed {code}");
    }
    for lang in Lang::ALL {
        let catalogue = keys(lang.source());
        let missing: Vec<_> = codes.difference(&catalogue).collect();
        assert!(
            missing.is_empty(),
            "codes without a {} message (add them to src/gateway/i18n/locales/*/problems.ftl): {missing:?}",
            lang.tag()
        );
    }
}

fn json_keys(path: &Path) -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let value: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let object = value.as_object().expect("a flat object of messages");
    for (key, message) in object {
        let text = message
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string"));
        assert!(
            !text.trim().is_empty(),
            "{}: {key} is empty",
            path.display()
        );
    }
    object.keys().cloned().collect()
}

#[test]
fn the_dashboard_catalogues_hold_the_same_keys() {
    let directory = workspace_root().join("src/gateway/dashboard/i18n");
    let english = json_keys(&directory.join("en.json"));
    let chinese = json_keys(&directory.join("zh-CN.json"));
    assert!(english.len() > 50, "{} keys", english.len());
    assert_eq!(
        english,
        chinese,
        "{}",
        difference("en", &english, "zh-CN", &chinese)
    );
}

#[test]
fn key_differences_are_reported() {
    // The comparison the catalogue tests rest on fails on a one-sided key.
    let english: BTreeSet<String> = keys("a = A\nb = B\n");
    let chinese: BTreeSet<String> = keys("a = 甲\n");
    assert_ne!(english, chinese);
    assert!(difference("en", &english, "zh-CN", &chinese).contains("only in en: [\"b\"]"));
}
