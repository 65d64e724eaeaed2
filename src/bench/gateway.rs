//! `bench gateway`: the gateway on loopback under a mixed command load
//! (visits with their follow-up reaction, proposal evidence, claims) from
//! concurrent clients, against the store's own group-commit append rate at
//! the same concurrency, measured in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use salesledger_domain::Role;
use salesledger_store::SledStore;
use serde_json::json;
use uuid::Uuid;

use super::emit;
use crate::app::{open_state, GatewayConfig};
use crate::gateway::router;
use salesledger::tokens::{generate_token, TokenEntry, TokenStore};

pub fn run(n_clients: usize, n_commands: usize) -> anyhow::Result<()> {
    if n_clients == 0 || n_commands < n_clients {
        bail!(crate::t!("cli-bench-gateway-clients"));
    }
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let supervisor_token = generate_token();
        let mut entries = vec![TokenEntry::new(&supervisor_token, "bench-supervisor", Role::Supervisor)];
        let mut clients = Vec::new();
        for client_idx in 0..n_clients {
            let token = generate_token();
            let rep_id = Uuid::now_v7();
            entries.push(TokenEntry {
                rep_id: Some(rep_id),
                ..TokenEntry::new(&token, &format!("bench-rep-{client_idx}"), Role::Rep)
            });
            clients.push((token, rep_id));
        }
        let (_data_dir, state, store) = open_scratch_gateway("salesledger-bench-gateway-", entries).await?;
        let (server, base) = serve_locally(state).await?;
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder().pool_max_idle_per_host(n_clients).build()?;

        // Set-up (not timed): configuration and one pool of customers per client.
        let post = |path: String, token: String, body: serde_json::Value| {
            let http = http.clone();
            let url = format!("{base}{path}");
            async move {
                let response = http.post(url).bearer_auth(token).json(&body).send().await?;
                let status = response.status();
                if !status.is_success() {
                    bail!("{path}: {status}: {}", response.text().await.unwrap_or_default());
                }
                anyhow::Ok(())
            }
        };
        post("/v1/config/extraction-dictionary".into(), supervisor_token.clone(), json!({
            "version": 1,
            "competitors": [{"name": "Siemens", "aliases": ["西门子"]}, {"name": "汇川", "aliases": ["Inovance"]}],
            "concerns": [{"concern": "交期", "keywords": ["交期", "lead time"]}],
            "still_comparing_phrases": ["还在比较", "再考虑"],
            "utc_offset_minutes": 480
        })).await?;
        let per_client = n_commands / n_clients;
        let mut customers: Vec<Vec<Uuid>> = Vec::new();
        for client_idx in 0..n_clients {
            let mut own = Vec::new();
            for customer_idx in 0..per_client.div_ceil(4) + 1 {
                let customer_id = Uuid::now_v7();
                post("/v1/customers".into(), supervisor_token.clone(), json!({
                    "customer_id": customer_id,
                    "company_name": format!("基准测试客户 c{client_idx}n{customer_idx}"),
                    "contact_email": format!("buyer{client_idx}x{customer_idx}@example.cn"),
                    "attributes": {"industry": "machinery", "region": "华东"}
                })).await?;
                own.push(customer_id);
            }
            customers.push(own);
        }
        // Every client owns its first customer (visits need an owner to extend).
        for ((token, rep_id), own) in clients.iter().zip(&customers) {
            post(format!("/v1/customers/{}/claim", own[0]), token.clone(), json!({"rep_id": rep_id})).await?;
        }

        let started = Instant::now();
        let mut tasks = Vec::new();
        for ((token, rep_id), own) in clients.into_iter().zip(customers) {
            let http = http.clone();
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                let mut next_customer = 1;
                let mut n_done = 0;
                while n_done < per_client {
                    let (path, body) = match n_done % 4 {
                        // Claims of fresh customers.
                        0 => {
                            let customer_id = own[next_customer % own.len()];
                            next_customer += 1;
                            (format!("/v1/customers/{customer_id}/claim"), json!({"rep_id": rep_id}))
                        }
                        // Proposal evidence: a proposal, then its e-mail receipt.
                        1 => {
                            let proposal_id = Uuid::now_v7();
                            let create = json!({"proposal_id": proposal_id, "customer_id": own[0],
                                "contact_email": "buyer@example.cn", "title": "PLC 改造方案 v1"});
                            let sent = Instant::now();
                            let response = http.post(format!("{base}/v1/proposals")).bearer_auth(&token).json(&create).send().await?;
                            if !response.status().is_success() {
                                bail!("create proposal: {}", response.status());
                            }
                            latencies.push(sent.elapsed());
                            n_done += 1;
                            (format!("/v1/proposals/{proposal_id}/email-receipts"), json!({
                                "message_id": format!("<{proposal_id}@mail.example.cn>"),
                                "recipient": "buyer@example.cn",
                                "delivered_at": Utc::now()
                            }))
                        }
                        // Visits (each also records a follow-up reaction).
                        _ => ("/v1/visits".into(), json!({
                            "customer_id": own[0], "rep_id": rep_id, "channel": "on_site",
                            "occurred_at": Utc::now(),
                            "transcript": "客户说下个月采购, 交期是关键, still comparing with 西门子 and 汇川"
                        })),
                    };
                    let sent = Instant::now();
                    let response = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body).send().await?;
                    if !response.status().is_success() {
                        bail!("{path}: {}: {}", response.status(), response.text().await.unwrap_or_default());
                    }
                    latencies.push(sent.elapsed());
                    n_done += 1;
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies: Vec<Duration> = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        let elapsed = started.elapsed();
        let (n_batches, n_records) = store.writer_counters();
        server.abort();
        store.close().await;

        latencies.sort();
        let percentile = |p: f64| {
            let idx = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
            latencies[idx].as_secs_f64() * 1e3
        };
        let commands_per_s = latencies.len() as f64 / elapsed.as_secs_f64();

        // The store alone at the same concurrency, same machine, same run.
        let store_dir = crate::scratch::ScratchDir::new("salesledger-bench-gateway-raw-")?;
        let raw_store = Arc::new(SledStore::open(store_dir.path())?);
        let store_rate = super::store::append_phase(&raw_store, "gw", n_clients as u64, latencies.len() as u64).await?;
        raw_store.close().await;

        println!("clients={n_clients}");
        println!("gateway_log_records={n_records}");
        println!("gateway_log_batches={n_batches}");
        println!("commands={}", latencies.len());
        emit("commands_per_s", commands_per_s);
        emit("p50_ms", percentile(0.50));
        emit("p99_ms", percentile(0.99));
        emit(&format!("store_append_{n_clients}"), store_rate);
        emit("gateway_vs_store", commands_per_s / store_rate);
        anyhow::Ok(())
    })
}

/// A scratch data directory with `entries` in its token file, and the
/// gateway's state opened on it (set-up, not timed).
pub(super) async fn open_scratch_gateway(
    prefix: &str,
    entries: Vec<TokenEntry>,
) -> anyhow::Result<(
    crate::scratch::ScratchDir,
    crate::gateway::AppState,
    crate::backend::OpenedStore,
)> {
    let data_dir = crate::scratch::ScratchDir::new(prefix)
        .with_context(|| crate::t!("cli-creating-temporary-directory"))?;
    let tokens_path = data_dir.path().join("tokens.json");
    TokenStore::add_to_file(&tokens_path, entries)?;
    let mut config = GatewayConfig::new(data_dir.path().to_path_buf(), "127.0.0.1:0".parse()?);
    config.tokens_path = Some(tokens_path);
    let (state, store) = open_state(&config).await?;
    Ok((data_dir, state, store))
}

/// Serves `state`'s router on a local port: the server's task and its
/// base URL.
pub(super) async fn serve_locally(
    state: crate::gateway::AppState,
) -> anyhow::Result<(tokio::task::JoinHandle<std::io::Result<()>>, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server =
        tokio::spawn(async move { axum::serve(listener, router(state).into_make_service()).await });
    Ok((server, format!("http://{address}")))
}
