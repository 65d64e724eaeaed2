//! Several `salesledger serve` processes on one PostgreSQL log (issue 6),
//! each test on its own fresh schema (`?schema=sl_test_<uuid>`, dropped
//! afterwards), each gateway with its own data directory and a shared
//! token file:
//! - 50 concurrent claims on one customer split across two gateways: one
//!   winner; the responsibility view of either process reflects every
//!   event of both, in the same order;
//! - SIGKILL one gateway mid-load: every acknowledged event is in the
//!   log, the chain verifies (`copy` to a data directory, then
//!   `salesledger verify`), the other keeps serving;
//! - `copy` sled -> PostgreSQL -> sled: identical export files, identical
//!   chain head and Merkle root; a non-empty destination is refused;
//! - evidence on a shared log: the gateways refuse to sign (409); the
//!   designated signer's `checkpoint --store` and `evidence --store` give
//!   a bundle that verifies against its key.
//!
//! They run whenever `SALESLEDGER_PG_URL` is set (`.ci/run` sets it);
//! without it each returns at once and one line on stderr says so.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use salesledger::tokens::{generate_token, TokenEntry, TokenFile};
use salesledger_domain::Role;
use salesledger_store::{
    verify_log, AppendMetadata, AppendRequest, ExpectedVersion, Hash32, NewEvent, PgStore,
    SledStore, Store,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::util::salesledger;

const PG_URL_VAR: &str = "SALESLEDGER_PG_URL";

/// The PostgreSQL URL, or `None` after saying (once) that these tests are
/// skipped. Written to stderr directly, past the test harness's capture.
fn pg_url() -> Option<String> {
    static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            SKIP_NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "pg_gateways: PostgreSQL tests SKIPPED ({PG_URL_VAR} is not set); run them \
                     with `{PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/test cargo test \
                     --test integration pg_gateways`"
                );
            });
            None
        }
    }
}

/// A fresh schema, dropped when this is dropped (even after a panic).
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn fresh(url: &str) -> Schema {
        Schema {
            url: url.to_owned(),
            name: format!("sl_test_{}", Uuid::now_v7().simple()),
        }
    }

    /// The store location `serve --store` and `copy` take.
    fn location(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}schema={}", self.url, self.name)
    }

    async fn connect(&self) -> PgStore {
        PgStore::connect(&self.url, Some(&self.name))
            .await
            .expect("connect to PostgreSQL")
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let store = PgStore::connect(&url, None).await.expect("connect");
                let client = store.pool().get().await.expect("pool");
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .await
                    .expect("drop schema");
            });
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop schema {}", self.name);
        }
    }
}

/// The callers of a test: one supervisor and `n_reps` reps, in a token
/// file every gateway of the test reads.
struct Tokens {
    supervisor: String,
    reps: Vec<(Uuid, String)>,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn tokens(n_reps: usize) -> Tokens {
    let dir = tempfile::tempdir().expect("tempdir");
    let supervisor = generate_token();
    let mut entries = vec![TokenEntry {
        token_sha256: Hash32::sha256(supervisor.as_bytes()).to_hex(),
        actor: "test.supervisor".into(),
        role: Role::Supervisor,
        rep_id: None,
        region: None,
        created_at: None,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }];
    let mut reps = Vec::new();
    for rep_idx in 0..n_reps {
        let token = generate_token();
        let rep_id = Uuid::now_v7();
        entries.push(TokenEntry {
            token_sha256: Hash32::sha256(token.as_bytes()).to_hex(),
            actor: format!("test.rep-{rep_idx}"),
            role: Role::Rep,
            rep_id: Some(rep_id),
            region: None,
            created_at: None,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        });
        reps.push((rep_id, token));
    }
    let path = dir.path().join("tokens.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&TokenFile {
            tokens: entries,
            ..TokenFile::default()
        })
        .expect("token file"),
    )
    .expect("write the token file");
    Tokens {
        supervisor,
        reps,
        path,
        _dir: dir,
    }
}

/// A `salesledger serve --store <schema>` process with its own data
/// directory; killed when dropped.
struct Gateway {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Gateway {
    fn start(schema: &Schema, tokens: &Tokens) -> Gateway {
        let data = tempfile::tempdir().expect("tempdir");
        let mut child = crate::util::salesledger_command()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--day-close-every-secs",
                "0",
            ])
            .arg("--data")
            .arg(data.path())
            .arg("--store")
            .arg(schema.location())
            .arg("--tokens")
            .arg(&tokens.path)
            .env("SALESLEDGER_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.expect("line");
            if let Some(rest) = line.strip_prefix("salesledger gateway listening on ") {
                base = rest.split_whitespace().next().map(str::to_owned);
                break;
            }
        }
        // Keep draining stdout so the child never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Gateway {
            child,
            base: base.expect("the gateway prints its address"),
            _data: data,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn sigkill(&mut self) {
        // `Child::kill` is SIGKILL on Unix: no shutdown path runs.
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let json = response.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, json))
}

async fn get(client: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    (
        status,
        response.json::<Value>().await.unwrap_or(Value::Null),
    )
}

async fn register_customer(
    client: &reqwest::Client,
    gateway: &Gateway,
    token: &str,
    name: &str,
) -> (Uuid, u64) {
    let (status, answer) = post(
        client,
        gateway.url("/v1/customers"),
        token,
        &json!({"company_name": name, "attributes": {"industry": "medical devices", "region": "华东"}}),
    )
    .await
    .expect("register");
    assert_eq!(status, 201, "{answer}");
    let stream = answer["stream_id"].as_str().expect("stream_id");
    let id = Uuid::parse_str(stream.trim_start_matches("customer-")).expect("a customer id");
    (id, answer["last_position"].as_u64().expect("position"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn two_gateways_fifty_claims_one_winner_and_one_order_in_every_view() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url);
    let tokens = tokens(50);
    let gateways = [
        Gateway::start(&schema, &tokens),
        Gateway::start(&schema, &tokens),
    ];
    runtime().block_on(async {
        let client = crate::util::http_client();
        let mut last_position = 0;
        let mut customers = Vec::new();
        for (idx, city) in ["宁波", "苏州", "无锡", "常州"].into_iter().enumerate() {
            // Registered through one gateway, claimed through both.
            let (id, position) = register_customer(
                &client,
                &gateways[idx % 2],
                &tokens.supervisor,
                &format!("{city}精工机械有限公司"),
            )
            .await;
            last_position = last_position.max(position);
            customers.push(id);
        }
        let target = customers[0];
        let claims: Vec<_> = tokens
            .reps
            .iter()
            .enumerate()
            .map(|(idx, (rep_id, token))| {
                let client = client.clone();
                let url = gateways[idx % 2].url(&format!("/v1/customers/{target}/claim"));
                let (rep_id, token) = (*rep_id, token.clone());
                tokio::spawn(async move {
                    let answer = post(&client, url, &token, &json!({"rep_id": rep_id}))
                        .await
                        .expect("claim");
                    (rep_id, answer)
                })
            })
            .collect();
        let mut winners = Vec::new();
        let mut n_owned = 0;
        for claim in claims {
            let (rep_id, (status, answer)) = claim.await.expect("task");
            match status {
                200 => {
                    last_position =
                        last_position.max(answer["last_position"].as_u64().expect("position"));
                    winners.push(rep_id);
                }
                409 => {
                    assert_eq!(answer["code"], "customer_already_owned", "{answer}");
                    n_owned += 1;
                }
                other => panic!("unexpected claim answer {other}: {answer}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one winner across both gateways");
        assert_eq!(n_owned, 49);
        // The other customers: claims through the gateway that did not
        // register them, each rep through either.
        for (idx, customer) in customers.iter().enumerate().skip(1) {
            let (rep_id, token) = &tokens.reps[idx];
            let (status, answer) = post(
                &client,
                gateways[(idx + 1) % 2].url(&format!("/v1/customers/{customer}/claim")),
                token,
                &json!({"rep_id": rep_id}),
            )
            .await
            .expect("claim");
            assert_eq!(status, 200, "{answer}");
            last_position = last_position.max(answer["last_position"].as_u64().expect("pos"));
        }

        // Every view of every customer, read in each process after waiting
        // for the last position written by either: the same entries, in
        // the same (position) order.
        for customer in &customers {
            let mut seen = Vec::new();
            for gateway in &gateways {
                let (status, view) = get(
                    &client,
                    gateway.url(&format!(
                        "/v1/views/responsibility/customers/{customer}?wait_for_position={last_position}&timeout_ms=20000"
                    )),
                    &tokens.supervisor,
                )
                .await;
                assert_eq!(status, 200, "{view}");
                seen.push(view["data"].clone());
            }
            assert_eq!(seen[0], seen[1], "both processes show one history");
            let positions: Vec<u64> = seen[0]["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .map(|entry| entry["position"].as_u64().expect("position"))
                .collect();
            assert!(positions.len() >= 2, "registration and claim: {}", seen[0]);
            assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{positions:?}");
        }

        // Both are ready, and their metrics count the claims by template.
        for gateway in &gateways {
            let ready = client.get(gateway.url("/readyz")).send().await.expect("readyz");
            assert_eq!(ready.status().as_u16(), 200);
            let metrics = client
                .get(gateway.url("/metrics"))
                .send()
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text");
            assert!(
                metrics.contains(
                    "salesledger_http_requests_total{method=\"POST\",route=\"/v1/customers/{customer_id}/claim\",status=\"409\"}"
                ),
                "{metrics}"
            );
            assert!(metrics.contains("salesledger_pg_listener_up 1"), "{metrics}");
            assert!(metrics.contains("salesledger_projection_lag_positions{projector="));
        }
    });
}

#[test]
fn sigkill_one_gateway_mid_load_loses_no_acknowledged_event_and_the_other_serves_on() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url);
    let tokens = tokens(0);
    let mut gateways = [
        Gateway::start(&schema, &tokens),
        Gateway::start(&schema, &tokens),
    ];
    let runtime = runtime();
    let acknowledged: BTreeSet<Uuid> = runtime.block_on(async {
        let client = crate::util::http_client();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for (gateway_idx, gateway) in gateways.iter().enumerate() {
            for task_idx in 0..6 {
                let (client, stop) = (client.clone(), stop.clone());
                let url = gateway.url("/v1/reps");
                let token = tokens.supervisor.clone();
                tasks.push(tokio::spawn(async move {
                    let mut acknowledged = Vec::new();
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        n += 1;
                        let body = json!({
                            "display_name": format!("销售 {gateway_idx}-{task_idx}-{n}"),
                            "region": "华东",
                            "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]
                        });
                        match post(&client, url.clone(), &token, &body).await {
                            Ok((201, answer)) => {
                                for event in answer["events"].as_array().expect("events") {
                                    acknowledged.push(
                                        Uuid::parse_str(
                                            event["event_id"].as_str().expect("event id"),
                                        )
                                        .expect("uuid"),
                                    );
                                }
                            }
                            Ok((status, answer)) => panic!("unexpected {status}: {answer}"),
                            // The killed gateway: connection refused or reset.
                            Err(_) => break,
                        }
                    }
                    acknowledged
                }));
            }
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        gateways[0].sigkill();
        // B keeps serving under load after A is gone.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut acknowledged = BTreeSet::new();
        for task in tasks {
            acknowledged.extend(task.await.expect("task"));
        }
        let survivor = &gateways[1];
        let health = client.get(survivor.url("/healthz")).send().await.expect("healthz");
        assert_eq!(health.status().as_u16(), 200);
        let (status, answer) = post(
            &client,
            survivor.url("/v1/reps"),
            &tokens.supervisor,
            &json!({"display_name": "销售 after", "region": "华北", "capability_tags": ["iso13485", "plc-retrofit", "robot-cell"]}),
        )
        .await
        .expect("a command after the kill");
        assert_eq!(status, 201, "{answer}");
        acknowledged
    });
    assert!(acknowledged.len() > 20, "load ran: {}", acknowledged.len());

    // Every acknowledged event is in the log, and the chain verifies.
    let in_log: BTreeSet<Uuid> = runtime.block_on(async {
        let store = schema.connect().await;
        let report = verify_log(&store, |_, _| {}).await.expect("verify");
        assert_eq!(report.failure, None);
        store
            .read_all(0, usize::MAX)
            .await
            .expect("read")
            .into_iter()
            .map(|record| record.event_id)
            .collect()
    });
    let missing: Vec<_> = acknowledged.difference(&in_log).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not in the log: {missing:?}"
    );
    eprintln!(
        "{} events acknowledged by the two gateways, {} in the log",
        acknowledged.len(),
        in_log.len()
    );
    // The same log through the CLI: copied to a data directory, verified.
    let copy_dir = tempfile::tempdir().expect("tempdir");
    let copy_to = copy_dir.path().join("copy");
    let copied = salesledger(&[
        "copy",
        "--from",
        &schema.location(),
        "--to",
        copy_to.to_str().expect("utf-8"),
    ]);
    assert_eq!(copied.status.code(), Some(0), "{copied:?}");
    let verified = salesledger(&["verify", "--data", copy_to.to_str().expect("utf-8")]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// A sled log with a few thousand records of varied shapes.
async fn seed_sled(dir: &Path) -> u64 {
    let store = SledStore::open(dir).expect("open");
    let mut n_records = 0;
    for n in 0..1500u64 {
        let command_id = Uuid::now_v7();
        let events: Vec<NewEvent> = (0..1 + n % 3)
            .map(|k| {
                NewEvent::new(
                    if k == 0 { "CustomerRegistered" } else { "CustomerClaimed" },
                    1 + u32::try_from(k).unwrap_or(0),
                    &json!({"n": n, "k": k, "name": format!("客户 {n}"), "nested": {"b": [1, 2], "a": null}}),
                )
            })
            .collect();
        n_records += events.len() as u64;
        store
            .append(AppendRequest {
                stream_id: format!("customer-{}", n % 97),
                expected_version: ExpectedVersion::Any,
                events,
                metadata: AppendMetadata {
                    actor: format!("rep:r{}", n % 7),
                    command_id,
                    correlation_id: command_id,
                    causation_id: Uuid::now_v7(),
                },
                idempotency: None,
            })
            .await
            .expect("append");
    }
    store.close().await;
    n_records
}

fn summary_lines(output: &std::process::Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| {
            line.split_once(": records=")
                .map(|(_, rest)| format!("records={rest}"))
        })
        .collect()
}

#[test]
fn copy_sled_to_postgres_to_sled_gives_identical_exports() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url);
    let dir = tempfile::tempdir().expect("tempdir");
    let (source, back) = (dir.path().join("source"), dir.path().join("back"));
    let n_records = runtime().block_on(seed_sled(&source));
    let source_arg = source.to_str().expect("utf-8");
    let back_arg = back.to_str().expect("utf-8");

    let started = Instant::now();
    let to_pg = salesledger(&["copy", "--from", source_arg, "--to", &schema.location()]);
    assert_eq!(to_pg.status.code(), Some(0), "{to_pg:?}");
    let to_sled = salesledger(&["copy", "--from", &schema.location(), "--to", back_arg]);
    assert_eq!(to_sled.status.code(), Some(0), "{to_sled:?}");
    eprintln!(
        "{n_records} records there and back in {:.2?}",
        started.elapsed()
    );

    // Each copy prints the same head and root for both sides, and both
    // copies print the same.
    let (first, second) = (summary_lines(&to_pg), summary_lines(&to_sled));
    assert_eq!(first.len(), 2, "{to_pg:?}");
    assert_eq!(first[0], first[1]);
    assert_eq!(first, second);
    assert!(first[0].starts_with(&format!("records={n_records} head_hash=")));

    // Identical export files.
    let (export_a, export_b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    for (data, out) in [(source_arg, &export_a), (back_arg, &export_b)] {
        let exported = salesledger(&[
            "export",
            "--data",
            data,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(exported.status.code(), Some(0), "{exported:?}");
    }
    let (a, b) = (
        std::fs::read(&export_a).expect("export a"),
        std::fs::read(&export_b).expect("export b"),
    );
    assert!(a.len() > 1000);
    assert!(a == b, "the round trip changed the export");

    // A non-empty destination is refused, and left as it was.
    let again = salesledger(&["copy", "--from", source_arg, "--to", &schema.location()]);
    assert_ne!(again.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{again:?}"
    );
    let runtime = runtime();
    runtime.block_on(async {
        let store = schema.connect().await;
        assert_eq!(store.head().len, n_records);
    });
}

/// On a shared log the gateways sign no checkpoints, so their evidence
/// route refuses (409) instead of signing with their own keys; the one
/// designated signer runs `checkpoint --store` and `evidence --store` with
/// its own data directory (key and tree), and the bundle verifies offline
/// against that signer's key.
#[test]
fn on_a_shared_log_evidence_comes_from_the_designated_signer() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url);
    let tokens = tokens(0);
    let gateway = Gateway::start(&schema, &tokens);
    let customer = runtime().block_on(async {
        let client = crate::util::http_client();
        let (customer, _) = register_customer(
            &client,
            &gateway,
            &tokens.supervisor,
            "绍兴华宇纺织有限公司",
        )
        .await;
        let (status, problem) = get(
            &client,
            gateway.url(&format!("/v1/audit/evidence/customers/{customer}")),
            &tokens.supervisor,
        )
        .await;
        assert_eq!(status, 409, "{problem}");
        assert_eq!(
            problem["code"],
            json!("evidence_needs_the_designated_signer")
        );
        customer
    });

    let signer = tempfile::tempdir().expect("tempdir");
    let signer_dir = signer.path().join("signer");
    let location = schema.location();
    let checkpoint = crate::util::salesledger_command()
        .args(["checkpoint", "--store", &location, "--data"])
        .arg(&signer_dir)
        .output()
        .expect("checkpoint");
    assert!(checkpoint.status.success(), "{checkpoint:?}");
    let bundle = signer.path().join("bundle.json");
    let evidence = crate::util::salesledger_command()
        .args([
            "evidence",
            "--store",
            &location,
            "--customer",
            &customer.to_string(),
            "--data",
        ])
        .arg(&signer_dir)
        .arg("--out")
        .arg(&bundle)
        .output()
        .expect("evidence");
    assert!(evidence.status.success(), "{evidence:?}");
    let key = crate::util::salesledger_command()
        .args(["key", "--data"])
        .arg(&signer_dir)
        .output()
        .expect("key");
    let vkey = String::from_utf8_lossy(&key.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let verified = crate::util::salesledger_command()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--pubkey", &vkey])
        .output()
        .expect("verify-bundle");
    assert!(verified.status.success(), "{verified:?}");
}

/// Issue 16 point 2 on a shared log: two gateways started at the same time
/// on a fresh PostgreSQL log race to publish the first-start defaults. Each
/// configuration stream gets its defaults exactly once (the losing append
/// expected no stream, met the winner's version and published nothing), and
/// both gateways answer the same configuration with every default in force.
#[test]
fn two_gateways_starting_together_on_a_fresh_log_publish_the_defaults_once() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url);
    let tokens = tokens(1);
    let gateways: Vec<Gateway> = std::thread::scope(|scope| {
        let starting: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| Gateway::start(&schema, &tokens)))
            .collect();
        starting
            .into_iter()
            .map(|handle| handle.join().expect("a gateway starts"))
            .collect()
    });
    runtime().block_on(async {
        let store = schema.connect().await;
        let records = store.read_all(0, 10_000).await.expect("read the log");
        let mut published: BTreeSet<&str> = BTreeSet::new();
        for record in records
            .iter()
            .filter(|record| record.actor == "system:init")
        {
            assert!(
                published.insert(record.stream_id.as_str()),
                "{} published twice at first start: {:?}",
                record.stream_id,
                records
                    .iter()
                    .map(|record| (&record.stream_id, record.stream_version, &record.actor))
                    .collect::<Vec<_>>()
            );
            assert_eq!(record.stream_version, 0, "{}", record.stream_id);
        }
        assert_eq!(
            published.len(),
            salesledger_commands::system::CONFIG_STREAMS.len(),
            "every default published: {published:?}"
        );
        let client = crate::util::http_client();
        let mut answers = Vec::new();
        for gateway in &gateways {
            let (status, config) =
                get(&client, gateway.url("/v1/config"), &tokens.supervisor).await;
            assert_eq!(status, 200, "{config}");
            for key in [
                "routing_rules",
                "pool_policy",
                "extraction_dictionary",
                "nurture_template",
                "health_policy",
            ] {
                assert_eq!(
                    config["config"][key]["version"],
                    json!(1),
                    "{key}: {config}"
                );
            }
            answers.push(config);
        }
        assert_eq!(answers[0], answers[1]);
        store.close();
    });
}
