//! The CLI in Chinese and English (issue 20): the language follows
//! `--lang`, else `LC_ALL` / `LC_MESSAGES` / `LANG` (zh* -> zh-CN, anything
//! else English); a failure says so in that language with the same exit
//! status, a success too; JSON output is the same bytes in both.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use crate::cli_verify::{tamper_log_record as tamper, write_log};

/// The binary with exactly these locale variables (the others removed).
fn run(locale: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_salesledger"));
    command
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    for (name, value) in locale {
        command.env(name, value);
    }
    command.args(args).output().expect("run salesledger")
}

const ZH: &[(&str, &str)] = &[("LANG", "zh_CN.UTF-8")];
const C: &[(&str, &str)] = &[("LANG", "C")];

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn verify_ok_is_said_in_chinese_or_english() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 12);
    let data = data_dir.path().to_str().expect("utf-8 path");

    let chinese = run(ZH, &["verify", "--data", data]);
    assert_eq!(chinese.status.code(), Some(0), "{}", stderr(&chinese));
    let text = stdout(&chinese);
    assert!(
        text.starts_with("通过：12 条记录校验无误；链头哈希 "),
        "{text}"
    );
    assert!(
        text.contains("Merkle 树：每个节点都与日志一致（12 个叶子）"),
        "{text}"
    );
    assert!(text.contains("检查点：日志中没有"), "{text}");
    assert!(!text.contains("records verify"), "{text}");

    let english = run(C, &["verify", "--data", data]);
    assert_eq!(english.status.code(), Some(0));
    let text = stdout(&english);
    assert!(
        text.starts_with("ok: 12 records verify; head hash "),
        "{text}"
    );
    assert!(text.contains("checkpoints: none in the log"), "{text}");
    // The same head hash in both.
    let head = |text: &str| {
        text.lines()
            .next()
            .and_then(|line| line.split(' ').next_back())
            .map(str::to_owned)
    };
    assert_eq!(head(&stdout(&chinese)), head(&text));
}

#[test]
fn a_tampered_log_fails_in_chinese_with_the_same_exit_status_and_json() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 12);
    tamper(data_dir.path(), 5);
    let data = data_dir.path().to_str().expect("utf-8 path");

    let chinese = run(ZH, &["verify", "--data", data]);
    let english = run(C, &["verify", "--data", data]);
    assert_eq!(chinese.status.code(), Some(1), "{}", stdout(&chinese));
    assert_eq!(english.status.code(), chinese.status.code());
    assert!(
        stdout(&chinese).starts_with("失败，位置 5："),
        "{}",
        stdout(&chinese)
    );
    assert!(
        stdout(&chinese).contains("（其前 5 条记录校验无误）"),
        "{}",
        stdout(&chinese)
    );
    assert!(
        stdout(&english).starts_with("FAILED at position 5: "),
        "{}",
        stdout(&english)
    );

    // Machine-readable output never changes with the language.
    let chinese_json = run(ZH, &["verify", "--json", "--data", data]);
    let english_json = run(C, &["verify", "--json", "--data", data]);
    assert_eq!(chinese_json.status.code(), Some(1));
    assert_eq!(english_json.status.code(), Some(1));
    assert_eq!(chinese_json.stdout, english_json.stdout);
    let report: serde_json::Value =
        serde_json::from_slice(&chinese_json.stdout).expect("json report");
    assert_eq!(report["failure"]["position"], 5);
}

#[test]
fn an_error_at_the_edge_is_said_in_the_chosen_language() {
    let empty = tempfile::tempdir().expect("tempdir");
    let dir = empty.path().to_str().expect("utf-8 path");

    // No log to verify: exit 2 in both languages.
    let chinese = run(ZH, &["verify", "--data", dir]);
    let english = run(C, &["verify", "--data", dir]);
    assert_eq!(chinese.status.code(), Some(2));
    assert_eq!(english.status.code(), Some(2));
    assert_eq!(
        stderr(&chinese).trim_end(),
        format!("salesledger: {dir} 中没有 salesledger 日志（没有 log/ 目录）")
    );
    assert_eq!(
        stderr(&english).trim_end(),
        format!("salesledger: {dir} holds no salesledger log (no log/ directory)")
    );

    // `copy` from a directory without a log: the same sentence.
    let to = empty.path().join("copy");
    let to = to.to_str().expect("utf-8 path");
    let chinese = run(ZH, &["copy", "--from", dir, "--to", to]);
    assert_eq!(chinese.status.code(), Some(2));
    assert!(
        stderr(&chinese).contains(&format!("{dir} 中没有 salesledger 日志（没有 log/ 目录）")),
        "{}",
        stderr(&chinese)
    );

    // `serve` with a token file that is not one: said in Chinese, before
    // anything is served.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let tokens = elsewhere.path().join("tokens.json");
    std::fs::write(&tokens, "{").expect("write");
    let data = elsewhere.path().join("served");
    let chinese = run(
        ZH,
        &[
            "serve",
            "--data",
            data.to_str().expect("utf-8 path"),
            "--tokens",
            tokens.to_str().expect("utf-8 path"),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    assert_eq!(chinese.status.code(), Some(2), "{}", stderr(&chinese));
    assert!(
        stderr(&chinese).contains("不是有效的令牌文件"),
        "{}",
        stderr(&chinese)
    );

    // No token file yet.
    let chinese = run(ZH, &["token", "list", "--data", dir]);
    let english = run(C, &["token", "list", "--data", dir]);
    assert_eq!(chinese.status.code(), Some(2));
    assert_eq!(english.status.code(), Some(2));
    assert!(
        stderr(&chinese).contains("不存在（还没有任何令牌）"),
        "{}",
        stderr(&chinese)
    );
    assert!(
        stderr(&english).contains("does not exist (no tokens yet)"),
        "{}",
        stderr(&english)
    );
}

#[test]
fn a_token_is_created_and_listed_in_chinese() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().to_str().expect("utf-8 path");
    let created = run(
        ZH,
        &[
            "token",
            "create",
            "--data",
            dir,
            "--name",
            "审计员甲",
            "--role",
            "auditor",
        ],
    );
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    assert!(
        stdout(&created).starts_with("已在 "),
        "{}",
        stdout(&created)
    );
    assert!(
        stdout(&created).contains("令牌只显示这一次"),
        "{}",
        stdout(&created)
    );

    // A name already taken: the same refusal, exit 2, in each language.
    let again = [
        "token",
        "create",
        "--data",
        dir,
        "--name",
        "审计员甲",
        "--role",
        "auditor",
    ];
    let chinese = run(ZH, &again);
    let english = run(C, &again);
    assert_eq!(chinese.status.code(), Some(2));
    assert_eq!(english.status.code(), Some(2));
    assert!(
        stderr(&chinese).contains("已有一个有效令牌名为 审计员甲"),
        "{}",
        stderr(&chinese)
    );
    assert!(
        stderr(&english).contains("an active token is already named 审计员甲"),
        "{}",
        stderr(&english)
    );

    let listed = run(ZH, &["token", "list", "--data", dir]);
    assert_eq!(listed.status.code(), Some(0));
    let header = stdout(&listed);
    assert!(header.starts_with("名称"), "{header}");
    assert!(header.contains("最近使用"), "{header}");
    assert!(
        header
            .lines()
            .nth(1)
            .is_some_and(|row| row.trim_end().ends_with("有效")),
        "the status in Chinese: {header}"
    );
    // JSON is the same in both languages (the token list has no clock in
    // it that moves between the two runs: last use is never set here).
    let chinese = run(ZH, &["token", "list", "--json", "--data", dir]);
    let english = run(C, &["token", "list", "--json", "--data", dir]);
    assert_eq!(chinese.stdout, english.stdout);
}

#[test]
fn the_flag_wins_over_the_locale_and_lc_all_over_lang() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 3);
    let data = data_dir.path().to_str().expect("utf-8 path");

    let english = run(ZH, &["--lang", "en", "verify", "--data", data]);
    assert!(
        stdout(&english).starts_with("ok: 3 records verify"),
        "{}",
        stdout(&english)
    );
    // Global: also after the subcommand, and as `--lang=...`.
    let chinese = run(C, &["verify", "--data", data, "--lang=zh-CN"]);
    assert!(
        stdout(&chinese).starts_with("通过：3 条记录"),
        "{}",
        stdout(&chinese)
    );

    let chinese = run(
        &[("LC_ALL", "zh_CN.UTF-8"), ("LANG", "en_US.UTF-8")],
        &["verify", "--data", data],
    );
    assert!(
        stdout(&chinese).starts_with("通过："),
        "{}",
        stdout(&chinese)
    );
    let english = run(
        &[("LC_ALL", "en_US.UTF-8"), ("LANG", "zh_CN.UTF-8")],
        &["verify", "--data", data],
    );
    assert!(stdout(&english).starts_with("ok: "), "{}", stdout(&english));
    let chinese = run(
        &[("LC_MESSAGES", "zh_TW.UTF-8"), ("LANG", "C")],
        &["verify", "--data", data],
    );
    assert!(
        stdout(&chinese).starts_with("通过："),
        "{}",
        stdout(&chinese)
    );

    // An unknown language is clap's usage error (exit 2).
    let refused = run(C, &["--lang", "fr", "verify", "--data", data]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn the_help_lists_the_commands_in_chinese() {
    let chinese = run(ZH, &["--help"]);
    assert_eq!(chinese.status.code(), Some(0));
    let help = stdout(&chinese);
    assert!(
        help.contains("以不可篡改、可验证的事件日志记录销售行为"),
        "{help}"
    );
    assert!(help.contains("校验整个日志的哈希链"), "{help}");
    let english = run(C, &["--help"]);
    let help = stdout(&english);
    assert!(
        help.contains("Sales actions as an immutable, verifiable event log"),
        "{help}"
    );
    assert!(help.contains("Check the whole log's hash chain"), "{help}");
    // A subcommand's own help: its description in Chinese.
    let verify = run(ZH, &["verify", "--help"]);
    assert!(
        stdout(&verify).contains("校验整个日志的哈希链"),
        "{}",
        stdout(&verify)
    );
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// A help line a Chinese reader would read as English: it holds no
/// Chinese character, and ASCII letters are left once the flag names
/// (`-x`, `--name`), placeholders (`<VALUE>`, `[OPTIONS]`) and command
/// names (`salesledger`, `token`, `create`...) are taken out.
fn english_only(line: &str, names: &[String]) -> bool {
    if line.chars().any(is_cjk) {
        return false;
    }
    line.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| {
            !(word.starts_with('-')
                || word.starts_with('<')
                || word.starts_with('[')
                || names.iter().any(|name| name == word))
        })
        .any(|word| word.chars().any(|c| c.is_ascii_alphabetic()))
}

/// The commands a help text lists under its `命令:` heading.
fn listed_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("命令"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_help_of_every_command_is_chinese_in_zh_cn() {
    // Every command, found from the help itself (`命令:`), down the tree.
    let mut names = vec!["salesledger".to_owned(), "help".to_owned()];
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    let mut helps = Vec::new();
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let output = run(ZH, &args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let help = stdout(&output);
        for name in listed_commands(&help) {
            names.push(name.clone());
            let mut sub = path.clone();
            sub.push(name);
            queue.push(sub);
        }
        helps.push((path, help));
    }
    // The program, 17 commands, token's and import's 5, bench's 5.
    assert!(helps.len() >= 28, "{} commands", helps.len());
    let mut english = Vec::new();
    for (path, help) in &helps {
        assert!(help.contains("用法："), "{path:?}: {help}");
        for line in help.lines() {
            if english_only(line, &names) {
                english.push(format!("{}: {line}", path.join(" ")));
            }
        }
    }
    assert!(english.is_empty(), "English left: {english:#?}");
    // The check would see English help (and the walk sees flags).
    let serve = stdout(&run(C, &["serve", "--help"]));
    assert!(serve
        .lines()
        .any(|line| line.contains("--demo") && english_only(line, &names)));
}

#[test]
fn a_parse_error_is_said_in_chinese_with_exit_status_2() {
    let chinese = run(ZH, &["verify", "--bogus"]);
    assert_eq!(chinese.status.code(), Some(2));
    let said = stderr(&chinese);
    assert!(said.contains("错误：无法识别的参数“--bogus”"), "{said}");
    assert!(said.contains("用法： salesledger verify"), "{said}");
    assert!(!said.contains("error:"), "{said}");
    let bad_value = run(ZH, &["serve", "--demo-scale", "huge"]);
    assert_eq!(bad_value.status.code(), Some(2));
    assert!(
        stderr(&bad_value).contains("“huge”无效"),
        "{}",
        stderr(&bad_value)
    );
    let english = run(C, &["verify", "--bogus"]);
    assert_eq!(english.status.code(), Some(2));
    assert!(
        stderr(&english).contains("error: unexpected argument '--bogus' found"),
        "{}",
        stderr(&english)
    );
}

/// `serve` on port 0 in `locale` on a fresh data directory: its first
/// lines, up to the one naming its address; then it is stopped.
fn serve_start_up_lines(locale: &[(&str, &str)]) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8 path");
    let mut command = Command::new(env!("CARGO_BIN_EXE_salesledger"));
    command
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .env("SALESLEDGER_LOG", "warn");
    for (name, value) in locale {
        command.env(name, value);
    }
    let mut child = command
        .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        let done = line.contains("http://127.0.0.1:");
        lines.push(line);
        if done || lines.len() > 20 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn serve_says_its_start_up_lines_in_chinese() {
    let chinese = serve_start_up_lines(ZH);
    let text = chinese.join("\n");
    assert!(text.contains("管理员令牌："), "{text}");
    assert!(
        text.contains("salesledger 网关正在监听 http://127.0.0.1:"),
        "{text}"
    );
    for line in &chinese {
        assert!(line.chars().any(|c| c > '\u{2e80}'), "English left: {line}");
    }
    let english = serve_start_up_lines(C).join("\n");
    assert!(english.contains("  admin token: "), "{english}");
    assert!(
        english.contains("salesledger gateway listening on http://127.0.0.1:"),
        "{english}"
    );
}

/// The message `key` of a CLI catalogue source.
fn catalogue_text<'a>(source: &'a str, key: &str) -> &'a str {
    source
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(" = "))
        .unwrap_or_else(|| panic!("no {key} in the catalogue"))
}

/// The fixed parts of a catalogue message (the text between its
/// `{ $variable }`s), each trimmed and not empty.
fn fixed_parts(message: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        parts.push(rest[..open].to_owned());
        rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
    }
    parts.push(rest.to_owned());
    parts
        .into_iter()
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect()
}

/// The English words of the messages whose keys start with one of
/// `prefixes` (the variables taken out), lower-cased.
fn english_words(prefixes: &[&str]) -> BTreeSet<String> {
    salesledger::i18n::EN_CLI_FTL
        .lines()
        .filter(|line| prefixes.iter().any(|prefix| line.starts_with(prefix)))
        .filter_map(|line| line.split_once(" = "))
        .flat_map(|(_, message)| fixed_parts(message))
        .flat_map(|part| {
            part.split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
                .filter(|word| word.len() > 1)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The ASCII words of `text` that are not hex digits (hashes) and that
/// the English catalogue's messages `prefixes` hold.
fn english_left(text: &str, prefixes: &[&str]) -> Vec<String> {
    let english = english_words(prefixes);
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_lowercase)
        .filter(|word| english.contains(word))
        .collect()
}

/// The keys a failed verification, export or rebuild words its reason
/// with (src/i18n/errors.rs) and the lines around it.
const REASON_KEYS: &[&str] = &[
    "cli-chain-",
    "cli-err-chain-",
    "cli-audit-",
    "cli-err-audit-",
    "cli-verify-failed",
    "cli-export-chain-broken",
    "cli-export-line-chain-broken",
];

/// Asserts `chinese` holds every fixed part of the Chinese message `key`
/// and no English word of [`REASON_KEYS`], and `english` every fixed part
/// of the English one.
fn assert_reason_in_both(chinese: &str, english: &str, key: &str) {
    for part in fixed_parts(catalogue_text(salesledger::i18n::ZH_CN_CLI_FTL, key)) {
        assert!(chinese.contains(&part), "{key}: {part:?} not in {chinese}");
    }
    let left = english_left(chinese, REASON_KEYS);
    assert!(left.is_empty(), "English left {left:?} in {chinese}");
    for part in fixed_parts(catalogue_text(salesledger::i18n::EN_CLI_FTL, key)) {
        assert!(english.contains(&part), "{key}: {part:?} not in {english}");
    }
}

#[test]
fn a_broken_chain_is_worded_in_chinese_by_verify_export_and_rebuild() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 12);
    let data = data_dir.path().to_str().expect("utf-8 path");
    let work = tempfile::tempdir().expect("tempdir");
    let export = work.path().join("log.jsonl");
    let export = export.to_str().expect("utf-8 path");
    let exported = run(C, &["export", "--data", data, "--out", export]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));

    // rebuild --from an export whose record 4 has another hash.
    let tampered = work.path().join("tampered.jsonl");
    crate::cli_offline::tamper_export(export.as_ref(), 4, &tampered);
    let tampered = tampered.to_str().expect("utf-8 path");
    let rebuild = |locale, out: &str| {
        let out = work.path().join(out);
        run(
            locale,
            &[
                "rebuild",
                "--from",
                tampered,
                "--out",
                out.to_str().expect("utf-8 path"),
            ],
        )
    };
    let chinese = rebuild(ZH, "zh");
    let english = rebuild(C, "en");
    assert_eq!(chinese.status.code(), english.status.code());
    assert_ne!(chinese.status.code(), Some(0));
    assert!(
        stderr(&chinese).contains("导出文件第 6 行，位置 4："),
        "{}",
        stderr(&chinese)
    );
    assert!(
        stderr(&english).contains("export file line 6: position 4: "),
        "{}",
        stderr(&english)
    );
    assert_reason_in_both(
        &stderr(&chinese),
        &stderr(&english),
        "cli-err-chain-hash-mismatch",
    );

    // verify and the Parquet export of a log whose record 5 links to
    // another hash.
    tamper(data_dir.path(), 5);
    let chinese = run(ZH, &["verify", "--data", data]);
    let english = run(C, &["verify", "--data", data]);
    assert_eq!(chinese.status.code(), Some(1), "{}", stderr(&chinese));
    assert_reason_in_both(
        &stdout(&chinese),
        &stdout(&english),
        "cli-err-chain-prev-hash-mismatch",
    );
    assert!(
        stdout(&chinese).starts_with("失败，位置 5：记录："),
        "{}",
        stdout(&chinese)
    );
    let json = run(ZH, &["verify", "--json", "--data", data]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json report");
    assert_eq!(report["failure"]["kind"], "prev_hash_mismatch");
    assert_eq!(report["failure"]["what"], "record");
    assert!(report["failure"]["reason"]
        .as_str()
        .is_some_and(|reason| reason.contains("does not match the previous record's hash")));

    let parquet = |locale, out: &str| {
        let out = work.path().join(out);
        run(
            locale,
            &[
                "export",
                "--data",
                data,
                "--format",
                "parquet",
                "--out",
                out.to_str().expect("utf-8 path"),
            ],
        )
    };
    let chinese = parquet(ZH, "zh-parquet");
    let english = parquet(C, "en-parquet");
    assert_ne!(chinese.status.code(), Some(0));
    assert_eq!(chinese.status.code(), english.status.code());
    assert!(
        stderr(&chinese).contains("位置 5："),
        "{}",
        stderr(&chinese)
    );
    assert_reason_in_both(
        &stderr(&chinese),
        &stderr(&english),
        "cli-err-chain-prev-hash-mismatch",
    );
}

#[test]
fn a_tampered_bundle_fails_in_chinese_and_its_json_keeps_the_english_reason_and_kind() {
    use crate::cli_audit::{path_str, write_events, CUSTOMER};
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    write_events(&data, 12, 0);
    let keyed = run(C, &["key", "--data", path_str(&data)]);
    assert_eq!(keyed.status.code(), Some(0), "{}", stderr(&keyed));
    let vkey = stdout(&keyed).lines().next().expect("vkey line").to_owned();
    let bundle = work.path().join("bundle.json");
    let written = run(
        C,
        &[
            "evidence",
            "--data",
            path_str(&data),
            "--customer",
            &CUSTOMER.to_string(),
            "--out",
            path_str(&bundle),
        ],
    );
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    // One digit of event 2's readable payload changed.
    let text = std::fs::read_to_string(&bundle).expect("bundle");
    let tampered = text.replacen("\"policy_version\": 4", "\"policy_version\": 5", 1);
    assert_ne!(tampered, text);
    std::fs::write(&bundle, tampered).expect("write");
    let args = ["verify-bundle", path_str(&bundle), "--pubkey", &vkey];

    let chinese = run(ZH, &args);
    let english = run(C, &args);
    assert_eq!(chinese.status.code(), Some(1), "{}", stderr(&chinese));
    assert_eq!(english.status.code(), Some(1));
    assert_eq!(
        stdout(&chinese).trim_end(),
        "失败：第 2 号事件（位置 4）：可读记录与规范字节不一致"
    );
    let left = english_left(
        &stdout(&chinese),
        &["cli-err-at-", "cli-err-bundle-", "cli-failed"],
    );
    assert!(
        left.is_empty(),
        "English left {left:?} in {}",
        stdout(&chinese)
    );
    assert_eq!(
        stdout(&english).trim_end(),
        "FAILED: event 2 (position 4): the readable record differs from the canonical bytes"
    );

    // JSON: the same bytes in both languages, the English location and
    // reason, and the stable kind.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let chinese_json = run(ZH, &json_args);
    let english_json = run(C, &json_args);
    assert_eq!(chinese_json.status.code(), Some(1));
    assert_eq!(chinese_json.stdout, english_json.stdout);
    let report: serde_json::Value =
        serde_json::from_slice(&chinese_json.stdout).expect("json report");
    assert_eq!(report["ok"], false);
    assert_eq!(report["failure"]["location"], "event 2 (position 4)");
    assert_eq!(
        report["failure"]["reason"],
        "the readable record differs from the canonical bytes"
    );
    assert_eq!(report["failure"]["kind"], "view_differs");

    // Another key than the bundle's: the key named, in Chinese.
    let other_dir = work.path().join("other");
    std::fs::create_dir_all(&other_dir).expect("mkdir");
    let other = run(C, &["key", "--data", path_str(&other_dir)]);
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    let other = stdout(&other).lines().next().expect("vkey line").to_owned();
    let refused = run(
        ZH,
        &["verify-bundle", path_str(&bundle), "--pubkey", &other],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stdout(&refused).starts_with("失败：密钥：证据包指明的密钥是 "),
        "{}",
        stdout(&refused)
    );
}

/// `rebuild --from` an export `lines` (header first) in `locale`, into a
/// fresh directory under `work`.
fn rebuild_from(
    locale: &[(&str, &str)],
    work: &std::path::Path,
    lines: &[String],
    name: &str,
) -> Output {
    let export = work.join(format!("{name}.jsonl"));
    std::fs::write(&export, lines.join("\n") + "\n").expect("write the export");
    let out = work.join(format!("{name}-out"));
    run(
        locale,
        &[
            "rebuild",
            "--from",
            export.to_str().expect("utf-8 path"),
            "--out",
            out.to_str().expect("utf-8 path"),
        ],
    )
}

#[test]
fn an_export_that_ends_early_or_an_import_refused_is_worded_in_chinese() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    write_log(data_dir.path(), 12);
    let data = data_dir.path().to_str().expect("utf-8 path");
    let work = tempfile::tempdir().expect("tempdir");
    let export = work.path().join("log.jsonl");
    let exported = run(
        C,
        &[
            "export",
            "--data",
            data,
            "--out",
            export.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    let lines: Vec<String> = std::fs::read_to_string(&export)
        .expect("the export")
        .lines()
        .map(str::to_owned)
        .collect();

    // The last record line dropped: the file ends before the header's count.
    let short = &lines[..lines.len() - 1];
    let chinese = rebuild_from(ZH, work.path(), short, "short-zh");
    let english = rebuild_from(C, work.path(), short, "short-en");
    assert_ne!(chinese.status.code(), Some(0));
    assert_eq!(chinese.status.code(), english.status.code());
    assert!(
        stderr(&chinese).contains("导出文件第 13 行：文件只有 11 条记录，文件头标明 12 条"),
        "{}",
        stderr(&chinese)
    );
    assert!(
        stderr(&english)
            .contains("export file line 13: the file ends after 11 records; the header says 12"),
        "{}",
        stderr(&english)
    );

    // One record whose stream id holds a control character, chained and
    // hashed: the export reads, the store refuses to import it.
    let mut record =
        salesledger_replay::audit::export::ExportReader::new(lines.join("\n").as_bytes())
            .expect("header")
            .next()
            .expect("a record")
            .expect("record 0");
    record.stream_id = "customer\u{7}1".into();
    record.hash = record.compute_hash();
    let header = salesledger_replay::audit::export::ExportHeader {
        format: salesledger_replay::audit::export::EXPORT_FORMAT.into(),
        records: 1,
        head_hash: record.hash,
    };
    let bad = vec![
        serde_json::to_string(&header).expect("header"),
        String::from_utf8(salesledger_replay::audit::export::record_line(&record).expect("line"))
            .expect("utf-8")
            .trim_end()
            .to_owned(),
    ];
    let chinese = rebuild_from(ZH, work.path(), &bad, "bad-zh");
    let english = rebuild_from(C, work.path(), &bad, "bad-en");
    assert_ne!(chinese.status.code(), Some(0));
    assert_eq!(chinese.status.code(), english.status.code());
    assert!(
        stderr(&chinese).contains("位置 0 的记录被拒绝导入：流 ID 含控制字符"),
        "{}",
        stderr(&chinese)
    );
    assert!(
        stderr(&english)
            .contains("import refused at position 0: stream id contains control characters"),
        "{}",
        stderr(&english)
    );
}
