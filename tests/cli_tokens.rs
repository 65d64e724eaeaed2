//! Against a real `salesledger serve` process (issue 16):
//! - `salesledger token create | list | revoke` work while `serve` holds
//!   the data directory, and the gateway accepts (or refuses) the token
//!   within a second, without a restart; requests do not write the token
//!   file, and "last used" is saved at shutdown;
//! - every CLI command that opens the held data directory says so once,
//!   naming the gateway's pid, and exits 3; after a clean stop the pid file
//!   is gone, and a stale pid file (its process gone) confuses nothing.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::salesledger;

/// `serve` on a loopback port over `data`: the child, the first start's
/// admin token and the base URL.
fn start_serve(data: &str) -> (Child, String, String) {
    let mut child = crate::util::salesledger_command()
        .args([
            "serve",
            "--data",
            data,
            "--listen",
            "127.0.0.1:0",
            "--day-close-every-secs",
            "0",
        ])
        .env("SALESLEDGER_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let (token, address) = crate::util::serve_banner(&mut child);
    (
        child,
        token.expect("the first start prints the admin token"),
        address.expect("the gateway prints its address"),
    )
}

fn stop(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = child.wait().expect("wait for serve");
    assert!(exit.success(), "serve exits 0 after SIGTERM: {exit:?}");
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `GET /v1/me` with `token`: the status and the problem code, if any.
fn me(base: &str, token: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let response = crate::util::http_client()
            .get(format!("{base}/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /v1/me");
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        (status, body["code"].as_str().unwrap_or_default().to_owned())
    })
}

/// Waits (at most a second) until `GET /v1/me` with `token` answers `status`.
fn within_a_second(base: &str, token: &str, status: u16) -> (u16, String) {
    let started = Instant::now();
    loop {
        let answer = me(base, token);
        if answer.0 == status {
            return answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "GET /v1/me still answers {answer:?}, not {status}, a second later"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn tokens_are_managed_from_the_cli_while_serve_runs() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8 path").to_owned();
    let (mut child, admin, base) = start_serve(&data);
    assert_eq!(me(&base, &admin).0, 200);
    let tokens_file = data_dir.path().join("tokens.json");

    let created = salesledger(&[
        "token",
        "create",
        "--data",
        &data,
        "--name",
        "wang.fang",
        "--role",
        "regional_supervisor",
        "--region",
        "华东",
        "--expires",
        "2099-12-31",
    ]);
    let (stdout, stderr) = text(&created);
    assert_eq!(created.status.code(), Some(0), "{stdout}{stderr}");
    let token = stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("sl_"))
        .unwrap_or_else(|| panic!("no token printed: {stdout}"))
        .to_owned();
    assert!(stdout.contains("it is shown only now"), "{stdout}");
    within_a_second(&base, &token, 200);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&tokens_file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is private");
    }

    // Requests do not write the file.
    let before = std::fs::read(&tokens_file).expect("token file");
    for _ in 0..10 {
        assert_eq!(me(&base, &token).0, 200);
    }
    assert_eq!(std::fs::read(&tokens_file).expect("token file"), before);

    // The list: a table by default, JSON on request, never a secret.
    let listed = salesledger(&["token", "list", "--data", &data]);
    let (table, stderr) = text(&listed);
    assert_eq!(listed.status.code(), Some(0), "{stderr}");
    let header = table.lines().next().unwrap_or_default();
    for column in [
        "NAME",
        "ROLE",
        "REP ID",
        "REGION",
        "CREATED",
        "EXPIRES",
        "LAST USED",
        "STATUS",
    ] {
        assert!(header.contains(column), "{table}");
    }
    let row = table
        .lines()
        .find(|line| line.starts_with("wang.fang "))
        .unwrap_or_else(|| panic!("no row for wang.fang: {table}"));
    assert!(
        row.contains("regional_supervisor") && row.contains("华东"),
        "{row}"
    );
    assert!(
        row.contains("2099-12-31 00:00") && row.contains("active"),
        "{row}"
    );
    assert!(
        table.lines().any(|line| line.starts_with("admin ")),
        "{table}"
    );
    assert!(!table.contains(&token) && !table.contains(&admin));
    let listed = salesledger(&["token", "list", "--data", &data, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let names: Vec<&str> = json["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(|token| token["name"].as_str())
        .collect();
    assert_eq!(names, ["admin", "wang.fang"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("sha256"));

    // A second token of the same name is refused.
    let taken = salesledger(&[
        "token",
        "create",
        "--data",
        &data,
        "--name",
        "wang.fang",
        "--role",
        "auditor",
    ]);
    assert_eq!(taken.status.code(), Some(2));
    assert!(
        text(&taken)
            .1
            .contains("an active token is already named wang.fang"),
        "{}",
        text(&taken).1
    );

    // Revoked from the CLI: refused within a second.
    let revoked = salesledger(&["token", "revoke", "--data", &data, "--name", "wang.fang"]);
    assert_eq!(revoked.status.code(), Some(0), "{}", text(&revoked).1);
    assert_eq!(within_a_second(&base, &token, 401).1, "token_revoked");
    assert_eq!(me(&base, &admin).0, 200);

    // "Last used" reaches the file at shutdown.
    stop(&mut child);
    let file = salesledger::tokens::read(&tokens_file).expect("token file");
    let admin_entry = file
        .tokens
        .iter()
        .find(|entry| entry.actor == "admin")
        .expect("admin");
    assert!(admin_entry.last_used_at.is_some(), "{file:?}");
    let listed = salesledger(&["token", "list", "--data", &data]);
    let row = text(&listed)
        .0
        .lines()
        .find(|line| line.starts_with("wang.fang "))
        .map(str::to_owned)
        .expect("row");
    assert!(row.contains("revoked"), "{row}");
}

fn assert_held(output: &Output, pid: u32, what: &str) {
    let (stdout, stderr) = text(output);
    assert_eq!(output.status.code(), Some(3), "{what}: {stdout}{stderr}");
    let message = format!("is in use by a running gateway (pid {pid}); stop it");
    assert_eq!(
        stderr.matches(&message).count(),
        1,
        "{what}: said once: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr}");
    assert!(!stderr.contains("lock"), "{what}: {stderr}");
    assert!(stdout.is_empty(), "{what}: {stdout}");
}

#[test]
fn commands_on_a_held_data_directory_say_so_once_and_exit_3() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let data = data_dir.path().to_str().expect("utf-8 path").to_owned();
    let (mut child, _admin, _base) = start_serve(&data);
    let pid = child.id();
    let pid_file = data_dir.path().join(salesledger::held::PID_FILE);
    assert_eq!(
        std::fs::read_to_string(&pid_file).expect("pid file").trim(),
        pid.to_string()
    );
    let out = data_dir.path().join("out");
    let out = out.to_str().expect("utf-8 path");
    let customer = "0192f0a4-0000-7000-8000-000000000001";
    for args in [
        vec!["verify", "--data", &data],
        vec!["verify", "--data", &data, "--json"],
        vec!["replay", "--data", &data, "--view", "funnel"],
        vec![
            "evidence",
            "--data",
            &data,
            "--customer",
            customer,
            "--out",
            out,
        ],
        vec!["export", "--data", &data, "--out", out],
        vec!["checkpoint", "--data", &data],
        vec!["serve", "--data", &data, "--listen", "127.0.0.1:0"],
    ] {
        assert_held(&salesledger(&args), pid, &args.join(" "));
    }
    assert!(!Path::new(out).exists());

    stop(&mut child);
    assert!(!pid_file.exists(), "removed on a clean exit");
    let verified = salesledger(&["verify", "--data", &data]);
    assert_eq!(verified.status.code(), Some(0), "{:?}", text(&verified));

    // A stale pid file: its process is gone, the directory is free.
    let mut gone = Command::new("true").spawn().expect("spawn true");
    let gone_pid = gone.id();
    gone.wait().expect("wait");
    std::fs::write(&pid_file, format!("{gone_pid}\n")).expect("stale pid file");
    let verified = salesledger(&["verify", "--data", &data]);
    assert_eq!(verified.status.code(), Some(0), "{:?}", text(&verified));
    // And a pid file naming a live process that holds nothing (this test).
    std::fs::write(&pid_file, format!("{}\n", std::process::id())).expect("pid file");
    let verified = salesledger(&["verify", "--data", &data]);
    assert_eq!(verified.status.code(), Some(0), "{:?}", text(&verified));
}
