//! Issue 16 over the CLI: `salesledger init --data DIR --config FILE`
//! publishes an organisation's own reps and configuration from the
//! documented example file (docs/examples/organisation.toml), again
//! appends nothing, refuses an invalid file with its line and field
//! (appending nothing); `serve` on a fresh data directory publishes the
//! defaults at first start and nothing at a restart or after `init`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/examples/organisation.toml"
);

fn salesledger(args: &[&str], data: &Path) -> Output {
    crate::util::salesledger_command()
        .args(args)
        .arg("--data")
        .arg(data)
        .env("SALESLEDGER_LOG", "warn")
        .output()
        .expect("run salesledger")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts `serve`, reads stdout up to the listening line, stops it with
/// SIGTERM; returns what it printed before listening.
fn serve_once(data: &Path) -> String {
    let mut child: Child = crate::util::salesledger_command()
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let listening = line.starts_with("salesledger gateway listening on ");
        printed.push_str(&line);
        printed.push('\n');
        if listening {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(
        exit.success(),
        "serve exits 0 after SIGTERM: {exit:?}\n{printed}"
    );
    printed
}

#[test]
fn init_publishes_the_example_organisation_once_and_serve_then_publishes_no_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let first = salesledger(&["init", "--config", EXAMPLE], &data);
    let out = text(&first.stdout);
    assert!(first.status.success(), "{out}{}", text(&first.stderr));
    for expected in [
        "config-routing: published version 1 as system:config-file",
        "config-pool-policy: published version 1 as system:config-file",
        "config-extraction: published version 1 as system:config-file",
        "config-nurture: published version 1 as system:config-file",
        // Left out of the file: the default, as system:init.
        "config-health: published version 1 as system:init",
        "(王磊, 华东): registered",
        "rep 0192f0a4-0000-7000-8000-0000000000c3 (张伟, 华北): registered",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
    // Again: nothing new.
    let second = salesledger(&["init", "--config", EXAMPLE], &data);
    let out = text(&second.stdout);
    assert!(second.status.success(), "{out}{}", text(&second.stderr));
    assert!(
        !out.contains("published version") && !out.contains("registered"),
        "{out}"
    );
    assert_eq!(out.matches("unchanged").count(), 4 + 3, "{out}");
    // The organisation configured itself: serve publishes no defaults.
    let printed = serve_once(&data);
    assert!(!printed.contains("first start"), "{printed}");
}

#[test]
fn serve_on_a_fresh_data_directory_publishes_the_defaults_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let printed = serve_once(&data);
    assert!(
        printed.contains("first start: default configuration published as system:init"),
        "{printed}"
    );
    let printed = serve_once(&data);
    assert!(
        !printed.contains("first start"),
        "a restart publishes nothing: {printed}"
    );
    // init over the defaults publishes the organisation's own as newer
    // versions.
    let init = salesledger(&["init", "--config", EXAMPLE], &data);
    let out = text(&init.stdout);
    assert!(init.status.success(), "{out}{}", text(&init.stderr));
    assert!(
        out.contains("config-routing: published version 2 as system:config-file"),
        "{out}"
    );
    assert!(out.contains("config-health: not in the file"), "{out}");
}

#[test]
fn an_invalid_file_is_refused_with_its_line_and_field_and_appends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        // A rep with two tags (3 to 5 needed), on line 4.
        (
            "[[reps]]\nname = \"王磊\"\nregion = \"华东\"\ntags = [\"plc\", \"scada\"]\n",
            "line 4",
            "field `tags`",
        ),
        // An unknown key.
        (
            "[pool_policy]\nprotection_days = 30\nextension_days = 30\nmaximum_protection_days = 90\nqualifying_follow_up_kinds = [\"visit\"]\nday_close_utc_offset_minutes = 480\nprotection_dayz = 3\n",
            "line 7",
            "field `protection_dayz`",
        ),
        // A missing field names it.
        (
            "\n[nurture_template]\n",
            "line 2",
            "field `steps`",
        ),
        // The same rep twice (one name, so one id), at the second.
        (
            "[[reps]]\nname = \"王磊\"\nregion = \"华东\"\ntags = [\"a1\", \"b2\", \"c3\"]\n\n[[reps]]\nname = \"王磊\"\nregion = \"华北\"\ntags = [\"a1\", \"b2\", \"c3\"]\n",
            "line 6",
            "(王磊) is already reps[0]; give each rep its own name or id",
        ),
        // A section the domain refuses (candidate_count 0), at its header.
        (
            "# routing\n\n[routing_rules]\ndirect_tag_match_weight = 10\nregion_match_weight = 5\nminimum_score = 1\ncandidate_count = 0\n",
            "line 3",
            "candidate_count must be 1 to 10",
        ),
    ];
    for (index, (file, line, field)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{index}.toml"));
        std::fs::write(&path, file).expect("write");
        let data = dir.path().join(format!("data{index}"));
        let output = salesledger(
            &["init", "--config", path.to_str().expect("utf-8 path")],
            &data,
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{file}: {stderr}");
        assert!(stderr.contains(line), "{line} in {stderr}");
        assert!(stderr.contains(field), "{field} in {stderr}");
        assert!(!data.exists(), "nothing opened, nothing appended: {file}");
    }
    // In Chinese: `init` of file `badN.toml` refused with status 1, its stderr.
    let data = dir.path().join("data-zh");
    let refused_in_chinese = |n: usize| {
        let path = dir.path().join(format!("bad{n}.toml"));
        let output = salesledger(
            &[
                "--lang",
                "zh-CN",
                "init",
                "--config",
                path.to_str().expect("utf-8 path"),
            ],
            &data,
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        stderr
    };
    // The same rep twice.
    let stderr = refused_in_chinese(3);
    assert!(
        stderr.contains("（王磊）已是 reps[0]；请给每名销售不同的姓名或编号"),
        "{stderr}"
    );
    // A section the domain refuses: what is invalid worded from the
    // catalogue, the rule it breaks after it.
    let stderr = refused_in_chinese(4);
    assert!(
        stderr.contains("规则集无效（candidate_count must be 1 to 10）"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid rule set"), "{stderr}");
}
