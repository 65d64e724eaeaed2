//! The message catalogues (issue 20): the problem catalogue
//! (`src/i18n/locales/<lang>/problems.ftl`), the CLI's
//! (`src/i18n/locales/<lang>/cli.ftl`) and the dashboard's
//! (`src/gateway/dashboard/i18n/<lang>.json`) hold exactly the same keys in
//! zh-CN and English; every problem `code` the sources can answer has a
//! message in both languages; every CLI message the code names (through
//! `t!`, `said!` or `t_in!`) exists in both, formats with the variables
//! the call gives, and every CLI message is used.

use std::collections::BTreeSet;
use std::path::Path;

use salesledger::i18n::{
    catalogue_message, keys, message, Catalogue, Lang, EN_CLI_FTL, EN_FTL, ZH_CN_CLI_FTL, ZH_CN_FTL,
};

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
    for file in ["domain/src/error.rs", "src/requests/body.rs"] {
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
            "codes without a {} message (add them to src/i18n/locales/*/problems.ftl): {missing:?}",
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

#[test]
fn the_cli_catalogues_hold_the_same_keys_and_variables() {
    for source in [EN_CLI_FTL, ZH_CN_CLI_FTL] {
        assert!(
            fluent_bundle::FluentResource::try_new(source.to_owned()).is_ok(),
            "a CLI catalogue does not parse"
        );
    }
    let english = keys(EN_CLI_FTL);
    let chinese = keys(ZH_CN_CLI_FTL);
    assert!(english.len() > 150, "{} keys", english.len());
    assert_eq!(
        english,
        chinese,
        "{}",
        difference("en", &english, "zh-CN", &chinese)
    );
    // A translation names the same variables: none lost, none invented.
    let english_variables = variables_by_key(EN_CLI_FTL);
    let chinese_variables = variables_by_key(ZH_CN_CLI_FTL);
    for (key, variables) in &english_variables {
        assert_eq!(
            Some(variables),
            chinese_variables.get(key),
            "{key}: the variables differ between en and zh-CN"
        );
    }
}

/// Each message of a catalogue source with the `$variables` it names,
/// in all its lines (a select's variants continue on indented lines).
fn variables_by_key(source: &str) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let mut map: std::collections::BTreeMap<String, BTreeSet<String>> =
        std::collections::BTreeMap::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let value = if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let Some((key, value)) = line.split_once(" =") else {
                current = None;
                continue;
            };
            current = Some(key.trim().to_owned());
            value
        } else if line.starts_with([' ', '}']) {
            line
        } else {
            current = None;
            continue;
        };
        let Some(key) = &current else {
            continue;
        };
        let variables = map.entry(key.clone()).or_default();
        variables.extend(value.match_indices('$').map(|(at, _)| {
            value[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
        }));
    }
    map
}

/// One use of a CLI message in the sources: its key and the names of the
/// variables the call gives, with the file for the report.
#[derive(Debug)]
struct CliUse {
    file: String,
    key: String,
    variables: Vec<String>,
}

/// Every `t!("key", name = value, ...)`, `said!(...)`, `say!(...)`,
/// `say_detail!(...)` and `t_in!(lang, "key", ...)` in src/ (the macros'
/// own definitions, in src/i18n/mod.rs and src/output.rs, name no literal
/// key).
fn cli_uses_in_sources() -> Vec<CliUse> {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut uses = Vec::new();
    for file in &files {
        if *file == root.join("src/i18n/mod.rs") || *file == root.join("src/output.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source");
        for (call, key_index) in [
            ("t!(", 0),
            ("said!(", 0),
            ("say!(", 0),
            ("say_detail!(", 0),
            ("t_in!(", 1),
        ] {
            for (start, _) in text.match_indices(call) {
                // `print!(`, `out!(`...: another macro whose name ends so.
                let before = text[..start].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let open = start + call.len();
                let key_at = if key_index == 0 {
                    Some(open)
                } else {
                    after_argument(&text, open, key_index)
                };
                let Some(key) = key_at.and_then(|at| literal_at(&text, at)) else {
                    panic!(
                        "{}: a {call}..) without a literal key at byte {start}",
                        file.display()
                    );
                };
                let mut variables = Vec::new();
                let mut index = key_index + 1;
                while let Some(at) = after_argument(&text, open, index) {
                    let argument = text[at..].trim_start();
                    let name: String = argument
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && argument[name.len()..].trim_start().starts_with('=') {
                        variables.push(name);
                    }
                    index += 1;
                }
                uses.push(CliUse {
                    file: file.display().to_string(),
                    key,
                    variables,
                });
            }
        }
    }
    uses
}

#[test]
fn every_cli_message_the_code_uses_formats_in_both_languages() {
    let uses = cli_uses_in_sources();
    // The scan sees what it must (a sanity check of the scanner).
    let used: BTreeSet<&str> = uses.iter().map(|used| used.key.as_str()).collect();
    for key in [
        "cli-verify-ok",
        "cli-verify-failed",
        "cli-extends-ok",
        "cli-held-by-gateway",
        "cli-clap-usage",
        "cli-clap-unknown-argument",
    ] {
        assert!(used.contains(key), "the scan missed {key}");
    }
    let verify_ok = uses
        .iter()
        .find(|used| used.key == "cli-verify-ok")
        .expect("cli-verify-ok");
    assert_eq!(verify_ok.variables, ["n", "head"]);
    for used in &uses {
        let args: Vec<(String, String)> = used
            .variables
            .iter()
            .map(|name| (name.clone(), "x".to_owned()))
            .collect();
        for lang in Lang::ALL {
            assert!(
                catalogue_message(Catalogue::Cli, lang, &used.key, &args).is_some(),
                "{}: {} has no {} message taking {:?} (src/i18n/locales/*/cli.ftl)",
                used.file,
                used.key,
                lang.tag(),
                used.variables
            );
        }
    }
    // And no message is left that nothing uses. The command line's
    // `cli-about...` and `cli-arg-...` keys are computed from the clap
    // definition (src/i18n/command_line.rs), the `cli-err-...` keys from
    // the library errors' variants (src/i18n/errors.rs); the binary's unit
    // tests (`cargo test -p salesledger --lib`) walk the definition and
    // word every variant, and fail on one missing or naming nothing.
    let unused: Vec<String> = keys(EN_CLI_FTL)
        .into_iter()
        .filter(|key| {
            !key.starts_with("cli-about")
                && !key.starts_with("cli-arg-")
                && !key.starts_with("cli-err-")
        })
        .filter(|key| !used.contains(key.as_str()))
        .collect();
    assert!(unused.is_empty(), "CLI messages nothing uses: {unused:?}");
}

#[test]
fn a_cli_message_missing_a_variable_does_not_format() {
    // What the test above rests on: a call giving fewer variables than the
    // message names is caught.
    assert!(catalogue_message(Catalogue::Cli, Lang::ZhCn, "cli-verify-ok", &[]).is_none());
    let args = [
        ("n".to_owned(), "12".to_owned()),
        ("head".to_owned(), "ab".to_owned()),
    ];
    assert_eq!(
        catalogue_message(Catalogue::Cli, Lang::ZhCn, "cli-verify-ok", &args).as_deref(),
        Some("通过：12 条记录校验无误；链头哈希 ab")
    );
    assert_eq!(
        catalogue_message(Catalogue::Cli, Lang::En, "cli-verify-ok", &args).as_deref(),
        Some("ok: 12 records verify; head hash ab")
    );
}
