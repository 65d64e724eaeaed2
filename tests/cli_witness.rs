//! `salesledger witness` as a process against a running gateway: it
//! cosigns the latest checkpoint and posts the cosignature, which the
//! gateway keeps across a restart and puts in evidence bundles;
//! `verify-bundle --witness` passes with that witness's key and fails with
//! another's or with a quorum not met; a log grown honestly is cosigned
//! again (consistency proof), a forked one (data directory restored from
//! an older copy, other events appended, re-signed) is refused with both
//! tree heads and the state file left as it was.

use crate::cli_audit::{
    copy_dir, path_str, run_ok, start_serve, stop_serve, write_events, CUSTOMER,
};
use crate::util::salesledger;

fn token(data: &std::path::Path, name: &str, role: &str) -> String {
    let created = run_ok(&[
        "token",
        "create",
        "--data",
        path_str(data),
        "--name",
        name,
        "--role",
        role,
    ]);
    created
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("sl_"))
        .unwrap_or_else(|| panic!("no token printed: {created}"))
        .to_owned()
}

#[test]
fn a_witness_cosigns_the_gateway_checkpoints_bundles_carry_them_and_a_fork_is_refused() {
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    write_events(&data, 8, 0);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    let witness_token = token(&data, "witness.one", "witness");
    let auditor_token = token(&data, "outside.auditor", "auditor");
    let backup = work.path().join("backup");
    copy_dir(&data, &backup);
    write_events(&data, 8, 8);
    run_ok(&["checkpoint", "--data", path_str(&data)]);

    // Two witness keys; each prints its C2SP verifier key (type 0x04).
    let key_one = work.path().join("w1.key");
    let key_two = work.path().join("w2.key");
    let vkey_one = run_ok(&[
        "key",
        "--witness",
        path_str(&key_one),
        "--name",
        "witness.example/w1",
    ])
    .trim()
    .to_owned();
    let vkey_two = run_ok(&[
        "key",
        "--witness",
        path_str(&key_two),
        "--name",
        "witness.example/w2",
    ])
    .trim()
    .to_owned();
    assert!(vkey_one.starts_with("witness.example/w1+"), "{vkey_one}");
    assert_eq!(
        run_ok(&["key", "--witness", path_str(&key_one)]).trim(),
        vkey_one,
        "an existing key file is read, not replaced"
    );

    let state = work.path().join("w1.state");
    let witness = |base: &str| {
        salesledger(&[
            "witness",
            "--url",
            base,
            "--token",
            &witness_token,
            "--key",
            path_str(&key_one),
            "--state",
            path_str(&state),
            "--once",
        ])
    };
    let (mut child, base) = start_serve(&data);
    let output = witness(&base);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("(first checkpoint of this log)"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("pinning the key"),
        "the first use says whose key it pins"
    );
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("json");
    let (origin, log) = first["logs"]
        .as_object()
        .and_then(|logs| logs.iter().next())
        .expect("one log in the state");
    assert!(origin.starts_with("salesledger/"), "{origin}");
    assert_eq!(log["tree_size"], 17);
    // A second round with nothing new cosigns nothing new.
    let output = witness(&base);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("nothing new"), "{stdout}");
    stop_serve(&mut child);

    // The log grows honestly: the witness proves consistency and cosigns.
    // (`serve` published its first-start defaults: signed now.)
    write_events(&data, 4, 16);
    run_ok(&["checkpoint", "--data", path_str(&data)]);
    let (mut child, base) = start_serve(&data);
    let output = witness(&base);
    stop_serve(&mut child);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("it extends the 17 records cosigned before"),
        "{stdout}"
    );
    let saved = std::fs::read_to_string(&state).expect("state");
    let saved_json: serde_json::Value = serde_json::from_str(&saved).expect("json");
    let saved_log = &saved_json["logs"][origin.as_str()];
    let saved_size = saved_log["tree_size"].as_u64().expect("size");
    assert!(saved_size > 17, "{saved}");

    // After a restart the bundle's checkpoint carries the cosignature.
    let (mut child, base) = start_serve(&data);
    let bundle = work.path().join("bundle.json");
    run_ok(&[
        "evidence",
        "--url",
        &base,
        "--token",
        &auditor_token,
        "--customer",
        &CUSTOMER.to_string(),
        "--out",
        path_str(&bundle),
    ]);
    // `verify --url --witness`: the latest checkpoint carries the cosignature.
    let auditor_state = work.path().join("auditor.state");
    let verify_url = |vkey: &str| {
        let output = salesledger(&[
            "verify",
            "--url",
            &base,
            "--token",
            &auditor_token,
            "--state",
            path_str(&auditor_state),
            "--witness",
            vkey,
        ]);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, stdout) = verify_url(&vkey_two);
    assert_eq!(code, Some(1), "another witness's key: {stdout}");
    assert!(
        stdout.contains("cosigned by 0 of the 1 given witnesses, 1 required"),
        "{stdout}"
    );
    assert!(!auditor_state.exists(), "a failed check saves nothing");
    let (code, stdout) = verify_url(&vkey_one);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("cosigned by 1 of the 1 given witnesses"),
        "{stdout}"
    );
    stop_serve(&mut child);
    // `evidence --data` on the stopped gateway's directory carries it too.
    let local = work.path().join("local.json");
    run_ok(&[
        "evidence",
        "--data",
        path_str(&data),
        "--customer",
        &CUSTOMER.to_string(),
        "--out",
        path_str(&local),
    ]);
    run_ok(&["verify-bundle", path_str(&local), "--witness", &vkey_one]);
    let verify_bundle = |extra: &[&str]| {
        let mut args = vec!["verify-bundle", path_str(&bundle)];
        args.extend_from_slice(extra);
        let output = salesledger(&args);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, stdout) = verify_bundle(&["--witness", &vkey_one]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("cosigned by 1 of the 1 given witnesses (1 required)"),
        "{stdout}"
    );
    let (code, stdout) = verify_bundle(&["--witness", &vkey_two]);
    assert_eq!(code, Some(1), "another witness's key: {stdout}");
    assert!(
        stdout.starts_with("FAILED: witnesses: 0 of the 1"),
        "{stdout}"
    );
    let (code, stdout) = verify_bundle(&["--witness", &vkey_one, "--witness", &vkey_two]);
    assert_eq!(code, Some(1), "all witnesses by default: {stdout}");
    assert!(stdout.contains("1 of the 2 given witnesses"), "{stdout}");
    let (code, stdout) = verify_bundle(&[
        "--witness",
        &vkey_one,
        "--witness",
        &vkey_two,
        "--witness-quorum",
        "1",
    ]);
    assert_eq!(code, Some(0), "a quorum of 1 of 2: {stdout}");
    // One witness given twice is one witness: it cannot make a quorum of 2.
    let (code, stdout) = verify_bundle(&[
        "--witness",
        &vkey_one,
        "--witness",
        &vkey_one,
        "--witness-quorum",
        "2",
    ]);
    assert_ne!(code, Some(0), "one witness twice, a quorum of 2: {stdout}");

    // The fork: the older copy restored, other events appended, re-signed
    // with the same key. Longer, but not an extension: refused.
    write_events(&backup, 30, 100);
    run_ok(&["checkpoint", "--data", path_str(&backup)]);
    let (mut child, base) = start_serve(&backup);
    let output = witness(&base);
    stop_serve(&mut child);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("REFUSED: the log does not extend"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "cosigned tree head: size {saved_size}, root {}",
            saved_log["root_hash"].as_str().expect("root")
        )),
        "{stdout}"
    );
    assert!(stdout.contains("served tree head:   size "), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&state).expect("state"),
        saved,
        "a refused checkpoint leaves the state as it was"
    );
    assert!(
        !std::fs::read_dir(backup.join("audit").join("cosignatures"))
            .map(|entries| entries.count() > 0)
            .unwrap_or(false),
        "nothing was cosigned on the forked log"
    );
}
