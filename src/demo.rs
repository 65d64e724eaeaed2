//! `serve --demo`: one token per role, printed at every start, and (once
//! per data directory, when the log is empty) the fixture year of SPEC
//! section 4 (`salesledger-fixtures`: 17 regions, 40 reps, 427 customers,
//! a year of leads, visits, proposals, usage, tickets, contracts, payments
//! and day closes; then the chain's 327 stores, their catalogue, members,
//! two mid-year promotions and a year of POS tickets) written through the
//! command pipeline, ending yesterday, so every view has a year of history
//! behind it. `--demo-scale small` seeds the small configuration instead
//! (60 days of a small organisation, 6 stores over the last 30 days):
//! seconds, for browser tests in a debug build.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{bail, Context};
use chrono::{Duration, NaiveDate};
use salesledger_domain::Role;
use salesledger_fixtures::{FixtureConfig, Progress};
use serde_json::json;
use uuid::Uuid;

use crate::gateway::{post_in_process, AppState};
use crate::tokens::{generate_token, TokenEntry, TokenFile, TokenStore};

/// A customer in the public pool that the README's walk-through claims and
/// sends a proposal to, registered after the fixture year.
pub const DEMO_CUSTOMER_ID: &str = "0192f0a4-0000-7000-9000-000000000001";

/// The demo's seed: the same seed and start give the same history.
pub const DEMO_SEED: u64 = 2025;

/// How much history the demo seeds (`serve --demo-scale`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DemoScale {
    /// `FixtureConfig::small`: 60 days of a small organisation, 6 stores
    /// over the last 30 days.
    Small,
    /// `FixtureConfig::year`: SPEC section 4's year, 327 stores.
    #[default]
    Year,
}

impl DemoScale {
    /// The fixture configuration of this scale, with the demo's seed.
    pub fn config(self) -> FixtureConfig {
        match self {
            DemoScale::Small => FixtureConfig::small(DEMO_SEED),
            DemoScale::Year => FixtureConfig::year(DEMO_SEED),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DemoScale::Small => "small",
            DemoScale::Year => "year",
        }
    }
}

impl FromStr for DemoScale {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "small" => Ok(DemoScale::Small),
            "year" => Ok(DemoScale::Year),
            other => Err(format!("{other:?}: the demo scale is small or year")),
        }
    }
}

impl std::fmt::Display for DemoScale {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Issues demo tokens and seeds an empty log with the fixture year ending
/// the day before `today`; the caller reloads the token file.
pub async fn seed(state: &AppState, tokens_path: &Path, today: NaiveDate) -> anyhow::Result<()> {
    seed_with_scale(state, tokens_path, today, DemoScale::Year).await
}

/// [`seed`] at the given scale.
pub async fn seed_with_scale(
    state: &AppState,
    tokens_path: &Path,
    today: NaiveDate,
    scale: DemoScale,
) -> anyhow::Result<()> {
    if state.service.store().head().len == 0 {
        let mut config = scale.config();
        config.start = today - Duration::days(i64::from(config.days));
        println!(
            "{}",
            crate::t!(
                "cli-demo-seeding",
                scale = scale,
                from = config.start,
                to = config.last_day(),
                seed = DEMO_SEED
            )
        );
        let bar = crate::progress::bar(
            u64::from(config.days),
            &crate::t!("cli-progress-demo-history"),
        );
        let summary = salesledger_fixtures::generate_with_blobs(
            &state.service,
            Some(&state.blobs),
            &config,
            &|progress: Progress| bar.set_position(u64::from(progress.day_number)),
        )
        .await
        .with_context(|| crate::t!("cli-demo-seeding-year"))?;
        bar.finish_and_clear();
        let bar = crate::progress::bar(
            u64::from(config.stores.days),
            &crate::t!("cli-progress-demo-stores"),
        );
        let stores = salesledger_fixtures::stores::generate_stores(
            &state.service,
            &config,
            &|progress: Progress| bar.set_position(u64::from(progress.day_number)),
        )
        .await
        .with_context(|| crate::t!("cli-demo-seeding-stores"))?;
        bar.finish_and_clear();
        register_walkthrough_customer(state).await?;
        println!(
            "{}",
            crate::t!(
                "cli-demo-seeded",
                commands = summary.commands + stores.commands,
                events = summary.events + stores.events,
                reps = summary.rep_ids.len(),
                regions = summary.regions.len(),
                customers = summary.customer_ids.len()
            )
        );
        println!(
            "{}",
            crate::t!(
                "cli-demo-seeded-stores",
                stores = stores.stores,
                franchised = stores.franchised_stores,
                regions = stores.regions.len(),
                skus = stores.skus,
                members = stores.members,
                promotions = stores.promotions.len(),
                tickets = stores.tickets,
                lines = stores.lines,
                avg_cents = stores.avg_ticket_cents(),
                from = stores
                    .first_day
                    .map_or_else(String::new, |day| day.to_string()),
                to = stores
                    .last_day
                    .map_or_else(String::new, |day| day.to_string())
            )
        );
    } else {
        println!(
            "{}",
            crate::t!(
                "cli-demo-already-seeded",
                events = state.service.store().head().len
            )
        );
    }

    // The demo rep token acts as the first registered rep.
    let first_rep = state
        .service
        .with_registry(|registry| {
            registry
                .rep_profiles()
                .first()
                .map(|profile| profile.rep_id.as_uuid())
        })
        .await?;
    let mut entries = Vec::new();
    let mut plain = Vec::new();
    for role in Role::ALL {
        let token = generate_token();
        let rep_id: Option<Uuid> = if role == Role::Rep { first_rep } else { None };
        entries.push(TokenEntry {
            rep_id,
            ..TokenEntry::new(
                &token,
                &format!("demo-{}", role.as_str().replace('_', "-")),
                role,
            )
        });
        plain.push((role, token));
    }
    TokenStore::add_to_file(tokens_path, entries)?;
    println!("{}", crate::t!("cli-demo-tokens"));
    for (role, token) in &plain {
        println!("  {:<20} {token}", role.as_str());
    }
    if let Some(rep_id) = first_rep {
        println!("{}", crate::t!("cli-demo-rep-token", rep_id = rep_id));
    }
    Ok(())
}

/// Registers [`DEMO_CUSTOMER_ID`] through the gateway's own route, as a
/// supervisor holding a one-off token that is never written anywhere.
async fn register_walkthrough_customer(state: &AppState) -> anyhow::Result<()> {
    let token = generate_token();
    let mut seeding = state.clone();
    seeding.tokens = Arc::new(TokenStore::from_file(&TokenFile {
        tokens: vec![TokenEntry::new(&token, "demo-seed", Role::Supervisor)],
        ..TokenFile::default()
    })?);
    let body = json!({
        "customer_id": DEMO_CUSTOMER_ID,
        "company_name": "上海瑞康医疗器械有限公司",
        "contact_email": "purchasing@ruikang-med.cn",
        "attributes": {"industry": "三甲医院 设备", "compliance": "ISO13485", "region": "华东", "size": "500-1000"}
    });
    let (status, answer) = post_in_process(seeding, "/v1/customers", &token, &body)
        .await
        .with_context(|| crate::t!("cli-demo-request"))?;
    if !(200..300).contains(&status) {
        bail!(crate::t!(
            "cli-demo-request-refused",
            status = status,
            answer = String::from_utf8_lossy(&answer)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use salesledger_store::READ_PAGE;

    use super::*;
    use crate::app::{open_state, GatewayConfig};

    #[test]
    fn the_demo_scale_is_small_or_year() {
        assert_eq!("small".parse::<DemoScale>(), Ok(DemoScale::Small));
        assert_eq!("year".parse::<DemoScale>(), Ok(DemoScale::Year));
        assert!("medium".parse::<DemoScale>().is_err());
        assert_eq!(DemoScale::default(), DemoScale::Year);
        assert_eq!(DemoScale::Year.config().stores.stores, 327);
    }

    /// `serve --demo --demo-scale small`: the data directory gets the
    /// chain's stores, catalogue, members, promotions and a POS batch for
    /// each of the last 30 days ending yesterday; a second start seeds
    /// nothing more.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_small_demo_has_the_chain_stores_and_their_pos_history_up_to_yesterday() {
        let seeded = tokio::time::timeout(std::time::Duration::from_secs(300), small_demo());
        seeded.await.expect("the small demo seeds within 5 minutes");
    }

    async fn small_demo() {
        let directory = tempfile::tempdir().expect("temp dir");
        let config = GatewayConfig::new(
            directory.path().to_path_buf(),
            "127.0.0.1:0".parse().expect("an address"),
        );
        let (state, opened) = open_state(&config).await.expect("the state");
        let tokens = directory.path().join("tokens.json");
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("a day");
        seed_with_scale(&state, &tokens, today, DemoScale::Small)
            .await
            .expect("seeded");
        let log = state.service.store().clone();
        let mut by_type: std::collections::BTreeMap<String, u64> = Default::default();
        let mut pos_streams = std::collections::BTreeSet::new();
        let mut from = 0;
        loop {
            let page = log.read_all(from, READ_PAGE).await.expect("read");
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            for record in &page {
                *by_type.entry(record.event_type.clone()).or_default() += 1;
                if let Some(batch) = record.stream_id.strip_prefix("pos-") {
                    pos_streams.insert(batch.to_owned());
                }
            }
        }
        assert_eq!(by_type.get("StoreOpened"), Some(&6));
        assert_eq!(by_type.get("PromotionLaunched"), Some(&2));
        assert!(by_type.get("SkuRegistered").copied().unwrap_or(0) >= 48);
        assert!(by_type.get("MemberEnrolled").copied().unwrap_or(0) >= 6);
        assert!(by_type.get("PosTicketsRecorded").copied().unwrap_or(0) >= 30);
        assert!(
            by_type.get("RepRegistered").copied().unwrap_or(0) >= 5,
            "the sales history too"
        );
        assert_eq!(pos_streams.len(), 30, "one batch a day: {pos_streams:?}");
        assert!(pos_streams.contains("fx-20261126-1"), "up to yesterday");
        assert!(pos_streams.contains("fx-20261028-1"));
        assert!(!pos_streams.contains("fx-20261027-1"));

        let len = log.head().len;
        seed_with_scale(&state, &tokens, today, DemoScale::Small)
            .await
            .expect("a second start");
        assert_eq!(log.head().len, len, "seeded once per data directory");
        state
            .views()
            .expect("open")
            .stop()
            .await
            .expect("the read models stop");
        drop(log);
        drop(state);
        opened.close().await;
    }
}
