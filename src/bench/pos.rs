//! `bench pos`: N generated POS lines through `POST /v1/pos/sales` of an
//! in-process gateway over loopback (with its read models following the
//! log, as `serve` runs them), against the same batches' events appended
//! straight to a fresh store in the same run, then the latency of the
//! penetration view at that size.
//!
//! The catalogue (327 stores in 17 regions, 240 SKUs, 5,000 members) and a
//! promotion are recorded first (not timed). Lines are generated per batch
//! from a seeded generator (tickets of 1 to 4 lines, whole tickets per
//! batch). Both phases work through windows of batches prepared before
//! their timer starts (NDJSON bodies for the gateway; validated, encoded
//! append requests for the store), each window sent by `clients`
//! concurrent workers; the figures are lines over the summed window times.
//!
//! Prints `lines=`, `batches=`, `pos_lines_per_s=`, `store_lines_per_s=`,
//! `pos_vs_store=` (target >= 0.6) and `penetration_p99_ms=` (200 calls
//! once the views have caught up; target < 50).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{NaiveDate, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use salesledger_commands::{CommandMeta, NewMember, NewPromotion, Principal};
use salesledger_domain::retail::{build_pos_batch, Catalogue, OpenStore, RegisterSku, StoreFormat};
use salesledger_domain::stream::pos_batch_stream_id;
use salesledger_domain::value::{
    ActorId, MemberRef, PosBatchId, PromotionId, Region, SkuCode, StoreCode, Text,
};
use salesledger_domain::Role;
use salesledger_store::{AppendMetadata, AppendRequest, ExpectedVersion, SledStore, Store};
use uuid::Uuid;

use super::emit;
use salesledger::tokens::{generate_token, TokenEntry};

const N_STORES: usize = 327;
const N_REGIONS: usize = 17;
const N_SKUS: usize = 240;
const N_MEMBERS: usize = 5_000;
const NEW_SKU: &str = "SKU-NEW-1";
/// Penetration calls timed.
const N_VIEW_CALLS: usize = 200;

fn store_code(idx: usize) -> String {
    format!("S{idx:04}")
}

fn region_name(idx: usize) -> String {
    format!("region-{:02}", idx % N_REGIONS)
}

fn sku_code(idx: usize) -> String {
    if idx == 0 {
        NEW_SKU.to_owned()
    } else {
        format!("SKU-{idx:04}")
    }
}

fn member_ref(idx: usize) -> String {
    format!("M{idx:06}")
}

/// splitmix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The NDJSON body of batch `index` (about `batch_lines` lines, whole
/// tickets, at most `remaining`) and its line count.
fn batch_body(index: u64, batch_lines: u64, remaining: u64) -> (Vec<u8>, u64) {
    let mut rng = Rng(0x5a1e_51ed_6e4f ^ index.wrapping_mul(0x1000_0000_01b3));
    let target = batch_lines.min(remaining);
    let mut body = Vec::with_capacity(target as usize * 170);
    let mut n_lines = 0;
    // A past year: sales may not be dated after their recording.
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    let mut ticket_idx = 0;
    while n_lines < target {
        let store = store_code(rng.below(N_STORES as u64) as usize);
        let day = start + chrono::Duration::days(((index * 7 + ticket_idx) % 365) as i64);
        let sold_at = format!(
            "{}T{:02}:{:02}:00+08:00",
            day.format("%Y-%m-%d"),
            7 + rng.below(15),
            rng.below(60)
        );
        let member = (rng.below(10) < 4).then(|| member_ref(rng.below(N_MEMBERS as u64) as usize));
        let member = member.map_or_else(|| "null".to_owned(), |member| format!("\"{member}\""));
        let n_ticket_lines = (1 + rng.below(4)).min(target - n_lines);
        for _ in 0..n_ticket_lines {
            let sku = if rng.below(100) < 8 {
                0
            } else {
                1 + rng.below(N_SKUS as u64 - 1) as usize
            };
            let line = format!(
                "{{\"store\":\"{store}\",\"ticket\":\"T{index}-{ticket_idx}\",\"sku\":\"{}\",\"qty\":{},\"amount_cents\":{},\"member\":{member},\"sold_at\":\"{sold_at}\"}}\n",
                sku_code(sku),
                1 + rng.below(3),
                300 + rng.below(5_700),
            );
            body.extend_from_slice(line.as_bytes());
            n_lines += 1;
        }
        ticket_idx += 1;
    }
    (body, n_lines)
}

fn batch_id(index: u64) -> anyhow::Result<PosBatchId> {
    PosBatchId::parse(&format!("bench-{index}")).context("batch id")
}

pub fn run(n_lines: u64, batch_lines: u64, clients: usize) -> anyhow::Result<()> {
    if n_lines == 0 || batch_lines == 0 || clients == 0 {
        bail!(crate::t!("cli-bench-pos-positive"));
    }
    if batch_lines > salesledger_domain::retail::MAX_POS_BATCH_LINES as u64 {
        bail!(
            "--batch-lines is at most {}",
            salesledger_domain::retail::MAX_POS_BATCH_LINES
        );
    }
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        // ---- the gateway (not timed: set-up) ----
        let token = generate_token();
        let (_data_dir, state, store) = super::gateway::open_scratch_gateway(
            "salesledger-bench-pos-",
            vec![TokenEntry::new(&token, "bench-pos", Role::Integrator)],
        )
        .await?;
        let catalogue = seed_catalogue(&state).await?;
        let views = state
            .views
            .current()
            .context("the read models are not open")?;
        let (server, base) = super::gateway::serve_locally(state).await?;
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .timeout(Duration::from_secs(600))
            .build()?;

        // ---- POS through the gateway ----
        let window = (clients * 4).max(8) as u64;
        let mut pos_elapsed = Duration::ZERO;
        let mut pos_lines = 0u64;
        let mut last_position = 0u64;
        let mut n_batches = 0u64;
        let bar = crate::progress::bar(n_lines, "bench pos: gateway");
        while pos_lines < n_lines {
            let mut bodies = Vec::new();
            let mut planned = pos_lines;
            while bodies.len() < window as usize && planned < n_lines {
                let (body, lines) = batch_body(n_batches, batch_lines, n_lines - planned);
                bodies.push((n_batches, body));
                planned += lines;
                n_batches += 1;
            }
            let started = Instant::now();
            let outcomes: Vec<(u64, u64)> = stream::iter(bodies)
                .map(|(index, body)| {
                    let http = http.clone();
                    let url = format!("{base}/v1/pos/sales?batch_id=bench-{index}");
                    let token = token.clone();
                    async move {
                        let response = http
                            .post(url)
                            .bearer_auth(token)
                            .header("content-type", "application/x-ndjson")
                            .body(body)
                            .send()
                            .await?;
                        let status = response.status();
                        let text = response.text().await.unwrap_or_default();
                        if status.as_u16() != 201 {
                            bail!("batch {index}: {status}: {text}");
                        }
                        let outcome: serde_json::Value = serde_json::from_str(&text)?;
                        anyhow::Ok((
                            outcome["lines"].as_u64().unwrap_or_default(),
                            outcome["last_position"].as_u64().unwrap_or_default(),
                        ))
                    }
                })
                .buffer_unordered(clients)
                .try_collect()
                .await?;
            pos_elapsed += started.elapsed();
            for (lines, position) in outcomes {
                pos_lines += lines;
                last_position = last_position.max(position);
            }
            bar.set_position(pos_lines);
        }
        bar.finish_and_clear();
        let pos_lines_per_s = pos_lines as f64 / pos_elapsed.as_secs_f64();

        // ---- the same batches straight to a fresh store ----
        let store_dir = crate::scratch::ScratchDir::new("salesledger-bench-pos-raw-")?;
        let raw_store = Arc::new(SledStore::open(store_dir.path())?);
        let mut store_elapsed = Duration::ZERO;
        let mut store_lines = 0u64;
        let mut index = 0u64;
        let bar = crate::progress::bar(n_lines, "bench pos: store");
        while index < n_batches {
            let mut requests = Vec::new();
            while requests.len() < window as usize && index < n_batches {
                let (body, _) = batch_body(index, batch_lines, n_lines - store_lines);
                let id = batch_id(index)?;
                let (lines, malformed) = crate::gateway::pos_lines::parse_pos_ndjson(&body);
                if !malformed.is_empty() {
                    bail!("generated batch {index} has malformed lines: {malformed:?}");
                }
                let batch = build_pos_batch(
                    &id,
                    &lines,
                    &catalogue,
                    chrono::Utc::now(),
                    salesledger_commands::pipeline::DEFAULT_FUTURE_MARGIN,
                )
                .map_err(|errors| anyhow::anyhow!("batch {index}: {errors:?}"))?;
                store_lines += batch.lines as u64;
                let mut events = Vec::with_capacity(batch.events.len());
                for event in &batch.events {
                    events.push(salesledger_commands::retail::pos_new_event(event)?);
                }
                let command_id = Uuid::now_v7();
                requests.push(AppendRequest {
                    stream_id: pos_batch_stream_id(&id),
                    expected_version: ExpectedVersion::NoStream,
                    events,
                    metadata: AppendMetadata {
                        actor: "integrator:bench-pos".into(),
                        command_id,
                        correlation_id: command_id,
                        causation_id: command_id,
                    },
                    idempotency: None,
                });
                index += 1;
            }
            let started = Instant::now();
            stream::iter(requests)
                .map(|request| {
                    let raw_store = raw_store.clone();
                    async move { raw_store.append(request).await }
                })
                .buffer_unordered(clients)
                .try_collect::<Vec<_>>()
                .await?;
            store_elapsed += started.elapsed();
            bar.set_position(store_lines);
        }
        bar.finish_and_clear();
        raw_store.close().await;
        let store_lines_per_s = store_lines as f64 / store_elapsed.as_secs_f64();

        // ---- the penetration view at that size ----
        let caught_up = Instant::now();
        let view_url = format!("{base}/v1/views/stores/penetration");
        let mut view_error = None;
        loop {
            let response = http
                .get(format!(
                    "{view_url}?wait_for_position={last_position}&timeout_ms=30000"
                ))
                .bearer_auth(&token)
                .send()
                .await?;
            let status = response.status().as_u16();
            if status == 200 {
                break;
            }
            let text = response.text().await.unwrap_or_default();
            if status != 503 || caught_up.elapsed() > Duration::from_secs(3_600) {
                view_error = Some(format!("{status}: {text}"));
                break;
            }
        }
        let views_caught_up_s = caught_up.elapsed().as_secs_f64();
        let mut latencies = Vec::with_capacity(N_VIEW_CALLS);
        if view_error.is_none() {
            for _ in 0..N_VIEW_CALLS {
                let sent = Instant::now();
                let response = http.get(&view_url).bearer_auth(&token).send().await?;
                let status = response.status();
                let _ = response.bytes().await?;
                if !status.is_success() {
                    bail!("penetration view: {status}");
                }
                latencies.push(sent.elapsed());
            }
        }
        server.abort();
        if let Err(error) = views.stop().await {
            tracing::warn!(%error, "stopping the read models");
        }
        store.close().await;

        println!("lines={pos_lines}");
        println!("batches={n_batches}");
        println!("batch_lines={batch_lines}");
        println!("clients={clients}");
        emit("pos_lines_per_s", pos_lines_per_s);
        emit("store_lines_per_s", store_lines_per_s);
        emit("pos_vs_store", pos_lines_per_s / store_lines_per_s);
        emit("views_caught_up_after_s", views_caught_up_s);
        match view_error {
            None => {
                latencies.sort();
                let idx =
                    ((latencies.len() as f64 * 0.99).ceil() as usize).clamp(1, latencies.len()) - 1;
                emit(
                    "penetration_p50_ms",
                    latencies[latencies.len() / 2].as_secs_f64() * 1e3,
                );
                emit("penetration_p99_ms", latencies[idx].as_secs_f64() * 1e3);
            }
            Some(error) => {
                println!("penetration_p99_ms=unavailable");
                eprintln!("the penetration view did not answer: {error}");
            }
        }
        anyhow::Ok(())
    })
}

/// Runs `one` for every index below `n`, 64 at a time, until the first
/// error.
async fn for_each_index<F, Fut>(n: usize, one: F) -> anyhow::Result<()>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    stream::iter(0..n)
        .map(one)
        .buffer_unordered(64)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// Records the catalogue and a promotion through the command service;
/// answers the catalogue as the store phase validates against it.
async fn seed_catalogue(state: &crate::gateway::AppState) -> anyhow::Result<Catalogue> {
    let service = state.service.clone();
    let meta = CommandMeta::new(
        Principal {
            actor: ActorId::parse("bench-hq").context("actor")?,
            role: Role::Supervisor,
        },
        Utc::now(),
    );
    let opened_on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    let text = |raw: &str| Text::parse(raw).context("text");
    for_each_index(N_STORES, |idx| {
        let (service, meta) = (service.clone(), meta.clone());
        async move {
            service
                .open_store(
                    &meta,
                    OpenStore {
                        store: StoreCode::parse(&store_code(idx))?,
                        name: Text::parse(&format!("Store {idx}"))?,
                        region: Region::parse(&region_name(idx))?,
                        format: if idx % 3 == 0 {
                            StoreFormat::Franchised
                        } else {
                            StoreFormat::Direct
                        },
                        opened_on,
                    },
                )
                .await?;
            anyhow::Ok(())
        }
    })
    .await?;
    for_each_index(N_SKUS, |idx| {
        let (service, meta) = (service.clone(), meta.clone());
        async move {
            service
                .register_sku(
                    &meta,
                    RegisterSku {
                        sku: SkuCode::parse(&sku_code(idx))?,
                        name: Text::parse(&format!("Product {idx}"))?,
                        category: Text::parse(&format!("category-{:02}", idx % 12))?,
                        new_product: idx == 0,
                    },
                )
                .await?;
            anyhow::Ok(())
        }
    })
    .await?;
    for_each_index(N_MEMBERS, |idx| {
        let (service, meta) = (service.clone(), meta.clone());
        async move {
            service
                .enroll_member(
                    &meta,
                    NewMember {
                        member: MemberRef::parse(&member_ref(idx))?,
                        home_store: StoreCode::parse(&store_code(idx % N_STORES))?,
                        display_name: Text::parse(&format!("Member {idx}"))?,
                        enrolled_on: opened_on,
                    },
                )
                .await?;
            anyhow::Ok(())
        }
    })
    .await?;
    service
        .launch_promotion(
            &meta,
            NewPromotion {
                promotion_id: PromotionId::from_uuid(Uuid::now_v7()),
                sku: SkuCode::parse(NEW_SKU)?,
                name: text("New product launch")?,
                regions: (0..5)
                    .map(|idx| Region::parse(&region_name(idx)))
                    .collect::<Result<_, _>>()?,
                starts_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
                ends_on: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default(),
            },
        )
        .await?;
    Ok((*service.retail_catalogue().await?).clone())
}
