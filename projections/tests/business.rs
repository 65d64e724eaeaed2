//! Hand-checked scenarios of the business views: process assets (C9),
//! funnel (C11), receivables (C10), regional digest (C12), leaderboard.
//!
//! Each scenario builds a small log in code (events as their JSON
//! payloads, or, for contracts, decided by the real `Contract` aggregate),
//! folds it, and compares the served output with
//! `fixtures/<view>/expected.json` byte for byte. The arithmetic behind
//! every expected figure is written in `fixtures/<view>/README.md` and
//! asserted again here. `UPDATE_GOLDEN=1` regenerates the golden files
//! (review the diff).

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use salesledger_domain::contract::{Contract, ContractCommand, Department, InstalmentTerm};
use salesledger_domain::value::{ContractId, CustomerId, PaymentRef, RepId};
use salesledger_domain::{Aggregate, Event};
use salesledger_projections::assets::AssetGroup;
use salesledger_projections::digest::LateFigures;
use salesledger_projections::funnel::FunnelGroup;
use salesledger_projections::receivables::{CaseOutcome, ReceivablesView};
use salesledger_projections::tables::digest::DigestTables;
use salesledger_projections::tables::funnel::FunnelTables;
use salesledger_projections::tables::leaderboard::LeaderboardTables;
use salesledger_projections::tables::receivables::ReceivablesTables;
use salesledger_projections::tables::{self, MemoryTables, Reader, TableProjector};
use salesledger_projections::{
    apply_record, fold_all, Assets, Digest, Funnel, Leaderboard, Projector, Receivables,
};
use salesledger_store::{CanonicalJson, Hash32, RecordedEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

// ---- a tiny log builder ----

fn id(prefix: u32, n: u32) -> String {
    format!("00000000-0000-0000-0000-{:08}{:04}", prefix, n)
}
fn rep(n: u32) -> String {
    id(1, n)
}
fn customer(n: u32) -> String {
    id(2, n)
}
fn lead(n: u32) -> String {
    id(3, n)
}
fn contract(n: u32) -> String {
    id(4, n)
}
fn uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).expect("uuid")
}
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("rfc3339")
        .with_timezone(&Utc)
}
fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

#[derive(Default)]
struct Log {
    records: Vec<RecordedEvent>,
}

impl Log {
    fn push(&mut self, stream_id: &str, event_type: &str, schema_version: u32, payload: Value) {
        let position = self.records.len() as u64;
        self.records.push(RecordedEvent {
            position,
            event_id: Uuid::from_u128(0x0190_0000_0000_0000_0000_0000_0000_0000 + position as u128),
            stream_id: stream_id.to_owned(),
            stream_version: 0,
            event_type: event_type.to_owned(),
            schema_version,
            recorded_at: at("2027-06-01T00:00:00Z"),
            actor: "integrator:test".to_owned(),
            command_id: Uuid::nil(),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            payload: CanonicalJson::from_value(&payload),
            prev_hash: Hash32::ZERO,
            hash: Hash32::ZERO,
        });
    }

    fn event(&mut self, event: &Event) {
        let encoded = salesledger_domain::encode(event).expect("encodes");
        self.push(
            &event.stream_id(),
            encoded.event_type,
            encoded.schema_version,
            encoded.payload,
        );
    }

    fn rep(&mut self, n: u32, name: &str, region: &str) {
        self.push(
            &format!("rep-{}", rep(n)),
            "RepRegistered",
            2,
            json!({"rep_id": rep(n), "display_name": name, "region": region,
                   "capability_tags": ["crm", "erp", "mes"], "registered_at": "2027-01-01T00:00:00Z"}),
        );
    }

    fn customer(&mut self, n: u32, attributes: Value) {
        self.push(
            &format!("customer-{}", customer(n)),
            "CustomerRegistered",
            1,
            json!({"customer_id": customer(n), "company_name": format!("测试客户{n}有限公司"),
                   "unified_social_credit_code": null, "phone": null, "contact_email": null,
                   "attributes": attributes, "registered_at": "2027-01-01T00:00:00Z"}),
        );
    }

    fn claim(&mut self, customer_n: u32, rep_n: u32) {
        self.push(
            &format!("customer-{}", customer(customer_n)),
            "CustomerClaimed",
            1,
            json!({"customer_id": customer(customer_n), "rep_id": rep(rep_n),
                   "claimed_at": "2027-01-02T00:00:00Z", "protected_until": "2027-02-01T00:00:00Z",
                   "maximum_protected_until": "2027-04-01T00:00:00Z", "policy_version": 1}),
        );
    }

    fn lead(&mut self, n: u32, registered_at: &str, attributes: Value) {
        self.push(
            &format!("lead-{}", lead(n)),
            "LeadRegistered",
            1,
            json!({"lead_id": lead(n), "company_name": format!("线索公司{n}有限公司"),
                   "unified_social_credit_code": null, "phone": null, "contact_email": null,
                   "attributes": attributes, "customer_id": null, "registered_by": "mkt-liu",
                   "registered_at": registered_at}),
        );
    }

    fn route(&mut self, lead_n: u32, rep_n: u32, confirmed_at: &str) {
        self.push(
            &format!("lead-{}", lead(lead_n)),
            "RoutingConfirmed",
            1,
            json!({"lead_id": lead(lead_n), "rep_id": rep(rep_n), "confirmed_by": "sup-wang",
                   "rule_version": 1, "candidate_rank": 1, "score": 80,
                   "proposed_at": confirmed_at, "confirmed_at": confirmed_at,
                   "seconds_from_proposal": 0}),
        );
    }

    fn advance(&mut self, lead_n: u32, from: &str, to: &str, advanced_at: &str) {
        self.push(
            &format!("lead-{}", lead(lead_n)),
            "LeadStageAdvanced",
            1,
            json!({"lead_id": lead(lead_n), "from": from, "to": to, "reason": null,
                   "advanced_by": "sup-wang", "advanced_at": advanced_at}),
        );
    }

    fn follow_up(&mut self, customer_n: u32, rep_n: u32, occurred_at: &str) {
        self.push(
            &format!("customer-{}", customer(customer_n)),
            "FollowUpRecorded",
            1,
            json!({"customer_id": customer(customer_n), "rep_id": rep(rep_n), "kind": "call",
                   "occurred_at": occurred_at, "visit_id": null, "qualifying": false,
                   "protected_until": null, "policy_version": 1}),
        );
    }

    fn asset(&mut self, n: u32, customer_n: u32, rep_n: u32, kind: &str, recorded_at: &str) {
        self.push(
            &format!("asset-{}", id(5, n)),
            "ProcessAssetRecorded",
            1,
            json!({"asset_id": id(5, n), "customer_id": customer(customer_n), "rep_id": rep(rep_n),
                   "kind": kind, "title": format!("asset {n}"), "recorded_at": recorded_at}),
        );
    }

    fn day_closed(&mut self, day: &str) {
        self.push(
            "calendar",
            "DayClosed",
            1,
            json!({"day": day, "closes_at": format!("{day}T16:00:00Z"),
                   "closed_at": format!("{day}T16:00:01Z")}),
        );
    }

    fn contract_signed(
        &mut self,
        n: u32,
        customer_n: u32,
        rep_n: u32,
        signed_on: &str,
        instalments: &[(&str, u64)],
    ) {
        let total: u64 = instalments.iter().map(|(_, amount)| amount).sum();
        let instalments: Vec<Value> = instalments
            .iter()
            .enumerate()
            .map(|(index, (due_on, amount))| json!({"index": index, "due_on": due_on, "amount_fen": amount}))
            .collect();
        self.push(
            &format!("contract-{}", contract(n)),
            "ContractSigned",
            1,
            json!({"contract_id": contract(n), "customer_id": customer(customer_n), "rep_id": rep(rep_n),
                   "signed_on": signed_on, "total_fen": total, "instalments": instalments,
                   "signed_at": format!("{signed_on}T02:00:00Z")}),
        );
    }

    fn payment(
        &mut self,
        contract_n: u32,
        customer_n: u32,
        payment_ref: &str,
        amount: u64,
        received_on: &str,
    ) {
        self.push(
            &format!("contract-{}", contract(contract_n)),
            "PaymentReceived",
            1,
            json!({"contract_id": contract(contract_n), "customer_id": customer(customer_n),
                   "payment_ref": payment_ref, "amount_fen": amount, "received_on": received_on,
                   "allocations": [{"index": 0, "amount_fen": amount}],
                   "recorded_at": format!("{received_on}T03:00:00Z")}),
        );
    }
}

// ---- golden files and restart checks ----

fn fixture_path(view: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(view)
        .join("expected.json")
}

fn assert_golden(view: &str, actual: &impl Serialize) {
    let mut text = serde_json::to_string_pretty(actual).expect("serialises");
    text.push('\n');
    let path = fixture_path(view);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("fixture dir");
        std::fs::write(&path, &text).expect("write expected.json");
    }
    let expected = std::fs::read_to_string(&path)
        .expect("expected.json exists (run with UPDATE_GOLDEN=1 to create it)");
    assert!(
        text == expected,
        "{view} differs from {}; rerun with UPDATE_GOLDEN=1 and review the diff\n{text}",
        path.display()
    );
}

fn canonical<T: Serialize>(model: &T) -> String {
    serde_json::to_string(model).expect("serialises")
}

/// What a restarted runner may do: persist the model after any record,
/// load it, continue; or deliver records it already applied again. Every
/// way gives the model folded once, byte for byte.
fn assert_restartable<P: Projector>(records: &[RecordedEvent])
where
    P::Model: DeserializeOwned,
{
    let whole = canonical(&fold_all::<P>(records).expect("folds"));
    for split in 0..=records.len() {
        let (head, tail) = records.split_at(split);
        let partial = fold_all::<P>(head).expect("head folds");
        let stored = serde_json::to_vec(&partial).expect("serialise");
        let mut resumed: P::Model = serde_json::from_slice(&stored).expect("deserialise");
        // A runner that lost its checkpoint but not its model re-delivers
        // the head: nothing may count twice.
        for record in head.iter().chain(tail) {
            apply_record::<P>(&mut resumed, record).expect("record folds");
        }
        assert_eq!(canonical(&resumed), whole, "{} split at {split}", P::NAME);
    }
    // A change of a view's rules bumps its version (the digest's 2: a
    // closed day's `late` section).
    let version = if P::NAME == "digest" { 2 } else { 1 };
    assert_eq!(P::VERSION, version, "{}", P::NAME);
}

/// The log folded by a table projector (the directory first, as the
/// runner does).
fn fold_tables<P: TableProjector>(records: &[RecordedEvent]) -> MemoryTables {
    let mut tables = MemoryTables::default();
    for record in records {
        tables
            .apply_with_directory::<P>(record)
            .expect("the table projector applies");
    }
    tables
}

fn json_of<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serialises")
}

// ---- assets (C9) ----

fn assets_log() -> Log {
    let mut log = Log::default();
    log.rep(1, "Alice", "华东");
    log.rep(2, "Bob", "华东");
    log.rep(3, "Carol", "华北");
    // Alice, March: follows C1 (twice) and C2; 2 solutions, 1 objection answer, 1 won action.
    log.follow_up(1, 1, "2027-03-02T02:00:00Z");
    log.follow_up(1, 1, "2027-03-09T02:00:00Z");
    log.follow_up(2, 1, "2027-03-10T02:00:00Z");
    log.asset(1, 1, 1, "solution", "2027-03-03T02:00:00Z");
    log.asset(2, 2, 1, "solution", "2027-03-04T02:00:00Z");
    log.asset(3, 1, 1, "objection_answer", "2027-03-05T02:00:00Z");
    log.asset(4, 1, 1, "won_deal_action", "2027-03-06T02:00:00Z");
    // Bob, March: follows C2 (also Alice's) and C3; 1 solution.
    log.follow_up(2, 2, "2027-03-11T02:00:00Z");
    log.follow_up(3, 2, "2027-03-12T02:00:00Z");
    log.asset(5, 3, 2, "solution", "2027-03-12T03:00:00Z");
    // Carol, March: 1 objection answer, no follow-up.
    log.asset(6, 4, 3, "objection_answer", "2027-03-13T02:00:00Z");
    // Alice, April (China time): 2027-03-31T17:00Z is 2027-04-01 01:00 +08.
    log.follow_up(1, 1, "2027-03-31T17:00:00Z");
    log.asset(7, 1, 1, "solution", "2027-04-02T02:00:00Z");
    log
}

#[test]
fn assets_rates_are_hand_computed() {
    let log = assets_log();
    let view = fold_all::<Assets>(&log.records).expect("folds");
    let by_rep = view.rows(AssetGroup::Rep, None);
    let by_region = view.rows(AssetGroup::Region, None);
    let rate = |rows: &[salesledger_projections::assets::AssetRow], key: &str, period: &str| {
        rows.iter()
            .find(|row| {
                (row.rep_id.map(|rep| rep.to_string()).as_deref() == Some(key) || row.region == key)
                    && row.period == period
            })
            .map(|row| (row.assets, row.active_customers, row.rate_bp))
            .expect("row")
    };
    assert_eq!(rate(&by_rep, &rep(1), "2027-03"), (4, 2, Some(20_000)));
    assert_eq!(rate(&by_rep, &rep(1), "2027-04"), (1, 1, Some(10_000)));
    assert_eq!(rate(&by_rep, &rep(1), "total"), (5, 2, Some(25_000)));
    assert_eq!(rate(&by_rep, &rep(2), "2027-03"), (1, 2, Some(5_000)));
    assert_eq!(rate(&by_rep, &rep(3), "2027-03"), (1, 0, None));
    assert_eq!(rate(&by_region, "华东", "2027-03"), (5, 3, Some(16_666)));
    assert_eq!(rate(&by_region, "华东", "total"), (6, 3, Some(20_000)));
    assert_eq!(rate(&by_region, "华北", "total"), (1, 0, None));
    let march_only = view.rows(AssetGroup::Region, Some("2027-03"));
    assert!(march_only.iter().all(|row| row.period == "2027-03"));
    assert_eq!(march_only.len(), 2);
    assert_golden("assets", &json!({"by_rep": by_rep, "by_region": by_region}));
    assert_restartable::<Assets>(&log.records);
}

// ---- funnel (C11) ----

fn funnel_log() -> Log {
    let mut log = Log::default();
    log.rep(1, "Alice", "华东");
    log.rep(2, "Bob", "华东");
    // L1: 1 day as lead, 2 qualified, 1 proposal, 6 negotiation, won after 10 days.
    log.lead(1, "2027-03-01T02:00:00Z", json!({"region": "华东"}));
    log.route(1, 1, "2027-03-02T02:00:00Z");
    log.advance(1, "qualified", "proposal", "2027-03-04T02:00:00Z");
    log.advance(1, "proposal", "negotiation", "2027-03-05T02:00:00Z");
    log.advance(1, "negotiation", "won", "2027-03-11T02:00:00Z");
    // L2: 2 days as lead, 4 qualified, 14 in proposal, won (skipping negotiation) after 20 days.
    log.lead(2, "2027-03-01T02:00:00Z", json!({}));
    log.route(2, 1, "2027-03-03T02:00:00Z");
    log.advance(2, "qualified", "proposal", "2027-03-07T02:00:00Z");
    log.advance(2, "proposal", "won", "2027-03-21T02:00:00Z");
    // L3: Bob's, 1 day as lead, lost after 2 days qualified.
    log.lead(3, "2027-03-02T02:00:00Z", json!({}));
    log.route(3, 2, "2027-03-03T02:00:00Z");
    log.advance(3, "qualified", "lost", "2027-03-05T02:00:00Z");
    // L4: never routed.
    log.lead(4, "2027-03-03T02:00:00Z", json!({}));
    // L5: registered 2027-04-01 02:00 +08 (April), routed to Bob a day later.
    log.lead(5, "2027-03-31T18:00:00Z", json!({}));
    log.route(5, 2, "2027-04-01T18:00:00Z");
    log
}

#[test]
fn funnel_conversions_and_cycle_times_are_hand_computed() {
    let log = funnel_log();
    let view = fold_all::<Funnel>(&log.records).expect("folds");
    let by_rep = view.rows(FunnelGroup::Rep, None);
    let by_region = view.rows(FunnelGroup::Region, None);

    let alice = by_rep
        .iter()
        .find(|row| row.rep_id.map(|r| r.to_string()) == Some(rep(1)) && row.period == "2027-03")
        .expect("alice march");
    assert_eq!(
        json_of(&alice.reached),
        json!({"lead": 2, "qualified": 2, "proposal": 2, "negotiation": 2, "won": 2, "lost": 0})
    );
    assert_eq!(alice.cycle_mean_days, Some(15.0));
    assert_eq!(alice.cycle_median_days, Some(15.0));
    assert_eq!(
        json_of(&alice.stage_mean_days),
        json!({"lead": 1.5, "qualified": 3.0, "proposal": 7.5, "negotiation": 6.0})
    );

    let east = by_region
        .iter()
        .find(|row| row.region == "华东" && row.period == "2027-03")
        .expect("east march");
    assert_eq!(
        json_of(&east.reached),
        json!({"lead": 3, "qualified": 3, "proposal": 2, "negotiation": 2, "won": 2, "lost": 1})
    );
    assert_eq!(
        json_of(&east.conversion),
        json!({"lead_to_qualified_bp": 10000, "qualified_to_proposal_bp": 6666,
               "proposal_to_negotiation_bp": 10000, "negotiation_to_won_bp": 10000,
               "lead_to_won_bp": 6666})
    );
    // Lead stage: (1 + 2 + 1) / 3 days; qualified: (2 + 4 + 2) / 3 days.
    assert_eq!(east.stage_mean_days.lead, Some(1.33));
    assert_eq!(east.stage_mean_days.qualified, Some(2.67));

    let unassigned = by_region
        .iter()
        .find(|row| row.region == "unassigned" && row.period == "2027-03")
        .expect("unrouted lead");
    assert_eq!(unassigned.reached.lead, 1);
    assert_eq!(unassigned.conversion.lead_to_qualified_bp, Some(0));
    assert!(by_region
        .iter()
        .any(|row| row.region == "华东" && row.period == "2027-04" && row.reached.qualified == 1));

    assert_golden("funnel", &json!({"by_rep": by_rep, "by_region": by_region}));
    assert_restartable::<Funnel>(&log.records);

    // The table projector gives the same golden file.
    let mut tables = fold_tables::<FunnelTables>(&log.records);
    let mut reader = Reader::new(&mut tables);
    let by_rep = tables::funnel::rows(&mut reader, FunnelGroup::Rep, None).expect("reads");
    let by_region = tables::funnel::rows(&mut reader, FunnelGroup::Region, None).expect("reads");
    assert_golden("funnel", &json!({"by_rep": by_rep, "by_region": by_region}));
}

// ---- receivables (C10) ----

/// Decides a contract command with the real aggregate and logs its events.
struct Contracts {
    states: std::collections::BTreeMap<u32, Contract>,
}

impl Contracts {
    fn run(&mut self, log: &mut Log, n: u32, command: ContractCommand, now: &str) -> usize {
        let state = self.states.entry(n).or_default();
        let events = state.decide(command, at(now)).expect("decides");
        for event in &events {
            state.apply(event);
            log.event(event);
        }
        events.len()
    }

    /// What the day close does for contracts: `CheckOverdue` on each.
    fn close(&mut self, log: &mut Log, day: &str, newly: bool) -> usize {
        if newly {
            log.day_closed(day);
        }
        let keys: Vec<u32> = self.states.keys().copied().collect();
        keys.into_iter()
            .map(|n| {
                self.run(
                    log,
                    n,
                    ContractCommand::CheckOverdue { day: date(day) },
                    &format!("{day}T16:00:05Z"),
                )
            })
            .sum()
    }
}

fn sign(
    n: u32,
    customer_n: u32,
    rep_n: u32,
    signed_on: &str,
    terms: &[(&str, u64)],
) -> ContractCommand {
    ContractCommand::SignContract {
        contract_id: ContractId::from_uuid(uuid(&contract(n))),
        customer_id: CustomerId::from_uuid(uuid(&customer(customer_n))),
        rep_id: RepId::from_uuid(uuid(&rep(rep_n))),
        signed_on: date(signed_on),
        instalments: terms
            .iter()
            .map(|(due_on, amount_fen)| InstalmentTerm {
                due_on: date(due_on),
                amount_fen: *amount_fen,
            })
            .collect(),
    }
}

fn pay(reference: &str, amount_fen: u64, received_on: &str) -> ContractCommand {
    ContractCommand::RecordPayment {
        payment_ref: PaymentRef::parse(reference).expect("payment ref"),
        amount_fen,
        received_on: date(received_on),
    }
}

fn receivables_log() -> (Log, usize) {
    let mut log = Log::default();
    let mut contracts = Contracts {
        states: Default::default(),
    };
    log.rep(1, "Alice", "华东");
    log.rep(2, "Bob", "华东");
    log.rep(3, "Carol", "华北");
    log.customer(1, json!({"region": "华东", "industry": "制造"}));
    log.customer(2, json!({"region": "华东", "industry": "制造"}));
    // C3 has no region attribute: its owner Carol's region, 华北.
    log.customer(3, json!({"industry": "制造"}));
    log.claim(3, 3);
    log.customer(4, json!({"region": "华南", "industry": "医疗"}));

    let terms1 = [
        ("2027-01-20", 100_000),
        ("2027-02-20", 100_000),
        ("2027-05-20", 100_000),
    ];
    contracts.run(
        &mut log,
        1,
        sign(1, 1, 1, "2026-12-20", &terms1),
        "2026-12-20T02:00:00Z",
    );
    contracts.run(
        &mut log,
        2,
        sign(2, 2, 2, "2027-02-01", &[("2027-02-10", 50_000)]),
        "2027-02-01T02:00:00Z",
    );
    contracts.run(
        &mut log,
        3,
        sign(3, 3, 3, "2027-03-01", &[("2027-03-05", 80_000)]),
        "2027-03-01T02:00:00Z",
    );
    contracts.run(
        &mut log,
        4,
        sign(4, 4, 1, "2027-03-10", &[("2027-03-12", 40_000)]),
        "2027-03-10T02:00:00Z",
    );

    let mut flagged = 0;
    flagged += contracts.close(&mut log, "2027-01-21", true); // K1#0
    contracts.run(
        &mut log,
        1,
        pay("PAY-1", 100_000, "2027-01-25"),
        "2027-01-25T03:00:00Z",
    );
    flagged += contracts.close(&mut log, "2027-02-11", true); // K2#0
    flagged += contracts.close(&mut log, "2027-02-21", true); // K1#1
    contracts.run(
        &mut log,
        2,
        pay("PAY-2", 30_000, "2027-03-01"),
        "2027-03-01T03:00:00Z",
    );
    flagged += contracts.close(&mut log, "2027-03-06", true); // K3#0
    flagged += contracts.close(&mut log, "2027-03-13", true); // K4#0
                                                              // The close of 2027-03-13 re-run (an interrupted fan-out completed): nothing.
    assert_eq!(contracts.close(&mut log, "2027-03-13", false), 0);
    flagged += contracts.close(&mut log, "2027-03-31", true);
    // Received after the last closed day: not in the aging as of 2027-03-31.
    contracts.run(
        &mut log,
        4,
        pay("PAY-4", 40_000, "2027-04-02"),
        "2027-04-02T03:00:00Z",
    );
    (log, flagged)
}

fn cards_of(
    view: &ReceivablesView,
    contract_n: u32,
    index: u32,
) -> Vec<&salesledger_projections::receivables::TaskCard> {
    view.task_cards(None, None)
        .into_iter()
        .filter(|card| card.contract_id.to_string() == contract(contract_n) && card.index == index)
        .collect()
}

#[test]
fn overdue_instalments_get_exactly_three_cards_with_similar_cases() {
    let (log, flagged) = receivables_log();
    // 5 overdue instalments, each InstalmentOverdue + 3 cards.
    assert_eq!(flagged, 5 * 4);
    let view = fold_all::<Receivables>(&log.records).expect("folds");
    assert_eq!(view.task_cards.len(), 15);
    for (contract_n, index) in [(1, 0), (2, 0), (1, 1), (3, 0), (4, 0)] {
        let cards = cards_of(&view, contract_n, index);
        let departments: Vec<Department> = cards.iter().map(|card| card.department).collect();
        assert_eq!(departments, Department::ALL, "K{contract_n}#{index}");
        assert!(cards
            .windows(2)
            .all(|pair| pair[0].similar_cases == pair[1].similar_cases));
    }
    // K1#0 is the first overdue instalment: nothing to compare with.
    assert!(cards_of(&view, 1, 0)[0].similar_cases.is_empty());
    // K2#0 (C2, 华东): K1#0 of C1, same region, paid 5 days after its due date.
    let k2 = &cards_of(&view, 2, 0)[0].similar_cases;
    assert_eq!(k2.len(), 1);
    assert_eq!(k2[0].matched_on, "region");
    assert_eq!(
        k2[0].outcome,
        CaseOutcome::Paid {
            paid_on: date("2027-01-25"),
            days_past_due: 5
        }
    );
    // K1#1 (C1, 华东): only C2's K2#0 (its own K1#0 is the same customer),
    // open as of 2027-02-21: 11 days past due, 50 000 fen.
    let k1 = &cards_of(&view, 1, 1)[0].similar_cases;
    assert_eq!(k1.len(), 1);
    assert_eq!(k1[0].customer_id.to_string(), customer(2));
    assert_eq!(
        k1[0].outcome,
        CaseOutcome::Open {
            as_of: date("2027-02-21"),
            days_past_due: 11,
            outstanding_fen: 50_000
        }
    );
    // K3#0 (C3, 华北 through its owner): no case in 华北, so the same
    // industry 制造, newest first: K1#1, K2#0 (20 000 left after PAY-2), K1#0.
    let k3 = &cards_of(&view, 3, 0)[0].similar_cases;
    assert_eq!(
        k3.iter()
            .map(|case| (
                case.contract_id.to_string(),
                case.index,
                case.matched_on.as_str()
            ))
            .collect::<Vec<_>>(),
        [
            (contract(1), 1, "industry"),
            (contract(2), 0, "industry"),
            (contract(1), 0, "industry")
        ]
    );
    assert_eq!(
        k3[1].outcome,
        CaseOutcome::Open {
            as_of: date("2027-03-06"),
            days_past_due: 24,
            outstanding_fen: 20_000
        }
    );
    // K4#0 (C4, 华南, 医疗): nothing alike.
    assert!(cards_of(&view, 4, 0)[0].similar_cases.is_empty());

    assert_eq!(view.task_cards(None, Some(Department::Legal)).len(), 5);
    assert_eq!(
        view.task_cards(Some(CustomerId::from_uuid(uuid(&customer(1)))), None)
            .len(),
        6
    );
    assert_golden(
        "receivables",
        &json!({
            "summary": view.summary(),
            "task_cards": view.task_cards(None, None),
            "contracts": view.contracts,
        }),
    );

    // The table projector gives the same golden file.
    let mut tables = fold_tables::<ReceivablesTables>(&log.records);
    let mut reader = Reader::new(&mut tables);
    let mut contracts = std::collections::BTreeMap::new();
    for contract_id in view.contracts.keys() {
        let entry = tables::receivables::contract(&mut reader, *contract_id)
            .expect("reads")
            .expect("a contract");
        contracts.insert(*contract_id, entry);
    }
    assert_golden(
        "receivables",
        &json!({
            "summary": tables::receivables::summary(&mut reader).expect("reads"),
            "task_cards": tables::receivables::task_cards(&mut reader, None, None).expect("reads"),
            "contracts": contracts,
        }),
    );
}

#[test]
fn receivables_aging_and_dso_are_hand_computed() {
    let (log, _) = receivables_log();
    let view = fold_all::<Receivables>(&log.records).expect("folds");
    let summary = view.summary();
    assert_eq!(summary.as_of, Some(date("2027-03-31")));
    assert_eq!(
        json_of(&summary.regions),
        json!([
            {"region": "华东", "aging": {"current": 100000, "1_30": 0, "31_60": 120000, "61_90": 0, "over_90": 0},
             "outstanding_fen": 220000, "credit_sales_90d_fen": 50000, "dso_days": 396.0},
            {"region": "华北", "aging": {"current": 0, "1_30": 80000, "31_60": 0, "61_90": 0, "over_90": 0},
             "outstanding_fen": 80000, "credit_sales_90d_fen": 80000, "dso_days": 90.0},
            {"region": "华南", "aging": {"current": 0, "1_30": 40000, "31_60": 0, "61_90": 0, "over_90": 0},
             "outstanding_fen": 40000, "credit_sales_90d_fen": 40000, "dso_days": 90.0}
        ])
    );
    // K4 was paid on 2027-04-02: the contract shows it, the aging as of 03-31 does not.
    let k4 = view
        .contract(ContractId::from_uuid(uuid(&contract(4))))
        .expect("K4");
    assert_eq!(k4.outstanding_fen, 0);
}

#[test]
fn receivables_never_duplicate_cards_on_restart_or_replay() {
    let (log, _) = receivables_log();
    assert_restartable::<Receivables>(&log.records);
    // Folding the whole log twice into one model (a runner re-delivering
    // everything) still has 15 cards and the same similar cases.
    let once = fold_all::<Receivables>(&log.records).expect("folds");
    let mut twice = once.clone();
    for record in &log.records {
        apply_record::<Receivables>(&mut twice, record).expect("folds");
    }
    assert_eq!(twice.task_cards.len(), 15);
    assert_eq!(canonical(&twice), canonical(&once));
}

// ---- digest (C12) ----

fn digest_log() -> Log {
    let mut log = Log::default();
    log.rep(1, "Alice", "华东");
    log.customer(1, json!({"region": "华东"}));
    log.customer(4, json!({"region": "华南"}));
    // Leads: 2027-03-15 23:00 +08 (华东), 2027-03-16 00:30 +08 (华东), one without region.
    log.lead(1, "2027-03-15T15:00:00Z", json!({"region": "华东"}));
    log.lead(2, "2027-03-15T16:30:00Z", json!({"region": "华东"}));
    log.lead(3, "2027-03-15T04:00:00Z", json!({}));
    for (visit, customer_n) in [(1, 1), (2, 4)] {
        log.push(
            &format!("visit-{}", id(7, visit)),
            "VisitLogged",
            2,
            json!({"visit_id": id(7, visit), "customer_id": customer(customer_n), "rep_id": rep(1),
                   "channel": "on_site", "occurred_at": "2027-03-15T02:00:00Z",
                   "transcript": "拜访", "rep_notes": null}),
        );
    }
    log.push(
        &format!("proposal-{}", id(6, 1)),
        "ProposalCreated",
        1,
        json!({"proposal_id": id(6, 1), "customer_id": customer(1), "contact_email": "li@example.cn",
               "title": "方案", "created_at": "2027-03-15T03:00:00Z"}),
    );
    log.push(
        &format!("proposal-{}", id(6, 1)),
        "ProposalDelivered",
        1,
        json!({"proposal_id": id(6, 1), "proofs": [], "delivered_at": "2027-03-16T01:00:00Z"}),
    );
    log.payment(1, 1, "PAY-A", 30_000, "2027-03-15");
    log.payment(1, 1, "PAY-B", 20_000, "2027-03-15");
    for (customer_n, to, day) in [
        (1, "yellow", "2027-03-15"),
        (4, "red", "2027-03-15"),
        (1, "green", "2027-03-16"),
    ] {
        log.push(
            &format!("account-{}", customer(customer_n)),
            "HealthLevelChanged",
            1,
            json!({"customer_id": customer(customer_n), "day": day, "from": null, "to": to,
                   "score_bp": 5000, "policy_version": 1, "indicators": []}),
        );
    }
    log.push(
        &format!("contract-{}", contract(9)),
        "InstalmentOverdue",
        1,
        json!({"contract_id": contract(9), "customer_id": customer(4), "index": 0,
               "due_on": "2027-03-14", "outstanding_fen": 1000, "day": "2027-03-15"}),
    );
    log.day_closed("2027-03-15");
    log
}

#[test]
fn digest_counts_per_region_and_day_are_hand_checked() {
    let log = digest_log();
    let view = fold_all::<Digest>(&log.records).expect("folds");
    let report =
        |region: &str, day: &str| json_of(&view.report(region, date(day)).expect("region"));
    let east = report("华东", "2027-03-15");
    assert_eq!(east["new_leads"], json!(1));
    assert_eq!(east["visits"], json!(1));
    assert_eq!(east["proposals_created"], json!(1));
    assert_eq!(east["proposals_delivered"], json!(0));
    assert_eq!(east["payments"], json!(2));
    assert_eq!(east["payments_fen"], json!(50_000));
    assert_eq!(east["turned_yellow"], json!([customer(1)]));
    assert_eq!(east["closed"], json!(true));
    let east_next = report("华东", "2027-03-16");
    assert_eq!(east_next["new_leads"], json!(1));
    assert_eq!(east_next["proposals_delivered"], json!(1));
    assert_eq!(east_next["turned_yellow"], json!([]));
    assert_eq!(east_next["closed"], json!(false));
    let south = report("华南", "2027-03-15");
    assert_eq!(south["visits"], json!(1));
    assert_eq!(south["turned_red"], json!([customer(4)]));
    assert_eq!(south["overdue_instalments"], json!(1));
    assert_eq!(report("unassigned", "2027-03-15")["new_leads"], json!(1));
    assert!(view.report("西北", date("2027-03-15")).is_none());
    assert_golden(
        "digest",
        &json!([
            report("华东", "2027-03-15"),
            report("华东", "2027-03-16"),
            report("华南", "2027-03-15"),
            report("unassigned", "2027-03-15"),
        ]),
    );
    assert_restartable::<Digest>(&log.records);

    // The table projector gives the same reports and golden file.
    let mut tables = fold_tables::<DigestTables>(&log.records);
    let mut reader = Reader::new(&mut tables);
    let mut report = |region: &str, day: &str| {
        json_of(
            &tables::digest::report(&mut reader, region, date(day))
                .expect("reads")
                .expect("region"),
        )
    };
    let reports = json!([
        report("华东", "2027-03-15"),
        report("华东", "2027-03-16"),
        report("华南", "2027-03-15"),
        report("unassigned", "2027-03-15"),
    ]);
    assert_golden("digest", &reports);
    assert!(
        tables::digest::report(&mut reader, "西北", date("2027-03-15"))
            .expect("reads")
            .is_none()
    );
    assert_eq!(
        tables::digest::region_names(&mut reader).expect("reads"),
        view.region_names()
    );
}

/// A closed day's figures are final: a lead, a visit, a proposal created
/// and delivered, and a payment whose business day is 2027-03-15, all
/// recorded after `DayClosed(2027-03-15)` (a visit of yesterday logged the
/// next morning, a payment received on the closed day recorded later),
/// leave the day's figures as they stood at the close and count in its
/// `late` section, only there; an event of the open next day still counts
/// in that day's figures. Model and tables agree.
#[test]
fn digest_of_a_closed_day_stays_final_and_later_records_for_it_count_as_late() {
    let closed = digest_log();
    let mut log = digest_log();
    // Recorded after 2027-03-15 closed, all on 2027-03-15 (+08):
    log.lead(9, "2027-03-15T08:00:00Z", json!({"region": "华东"}));
    log.push(
        &format!("visit-{}", id(7, 9)),
        "VisitLogged",
        2,
        json!({"visit_id": id(7, 9), "customer_id": customer(1), "rep_id": rep(1),
               "channel": "on_site", "occurred_at": "2027-03-15T09:00:00Z",
               "transcript": "昨天的拜访", "rep_notes": null}),
    );
    log.push(
        &format!("proposal-{}", id(6, 9)),
        "ProposalCreated",
        1,
        json!({"proposal_id": id(6, 9), "customer_id": customer(1), "contact_email": "li@example.cn",
               "title": "补录方案", "created_at": "2027-03-15T05:00:00Z"}),
    );
    log.push(
        &format!("proposal-{}", id(6, 9)),
        "ProposalDelivered",
        1,
        json!({"proposal_id": id(6, 9), "proofs": [], "delivered_at": "2027-03-15T06:00:00Z"}),
    );
    log.payment(1, 1, "PAY-LATE", 7_000, "2027-03-15");
    // On the open day 2027-03-16 (+08): counts in its figures.
    log.push(
        &format!("visit-{}", id(7, 10)),
        "VisitLogged",
        2,
        json!({"visit_id": id(7, 10), "customer_id": customer(1), "rep_id": rep(1),
               "channel": "phone", "occurred_at": "2027-03-16T02:00:00Z",
               "transcript": "今天的拜访", "rep_notes": null}),
    );

    let before = fold_all::<Digest>(&closed.records).expect("folds");
    let view = fold_all::<Digest>(&log.records).expect("folds");
    let mut tables = fold_tables::<DigestTables>(&log.records);
    let mut reader = Reader::new(&mut tables);
    for (region, day) in [
        ("华东", "2027-03-15"),
        ("华东", "2027-03-16"),
        ("华南", "2027-03-15"),
        ("unassigned", "2027-03-15"),
    ] {
        assert_eq!(
            json_of(
                &tables::digest::report(&mut reader, region, date(day))
                    .expect("reads")
                    .expect("region")
            ),
            json_of(&view.report(region, date(day)).expect("region")),
            "{region} {day}: tables and model agree"
        );
    }

    let east = view.report("华东", date("2027-03-15")).expect("region");
    let at_close = before.report("华东", date("2027-03-15")).expect("region");
    assert!(east.closed);
    let mut frozen = east.figures.clone();
    frozen.late = LateFigures::default();
    assert_eq!(
        frozen, at_close.figures,
        "the closed day's figures did not move"
    );
    assert_eq!(at_close.figures.late, LateFigures::default());
    assert_eq!(
        east.figures.late,
        LateFigures {
            new_leads: 1,
            visits: 1,
            proposals_created: 1,
            proposals_delivered: 1,
            payments: 1,
            payments_fen: 7_000,
        }
    );
    let east = json_of(&east);
    assert_eq!(east["visits"], json!(1));
    assert_eq!(east["payments"], json!(2));
    assert_eq!(east["payments_fen"], json!(50_000));
    assert_eq!(
        east["late"],
        json!({"new_leads": 1, "visits": 1, "proposals_created": 1, "proposals_delivered": 1,
               "payments": 1, "payments_fen": 7_000})
    );

    // The open day counts its own visit and none of the late ones.
    let next = view.report("华东", date("2027-03-16")).expect("region");
    let next_before = before.report("华东", date("2027-03-16")).expect("region");
    assert!(!next.closed);
    assert_eq!(next.figures.visits, next_before.figures.visits + 1);
    assert_eq!(next.figures.new_leads, next_before.figures.new_leads);
    assert_eq!(next.figures.payments, next_before.figures.payments);
    assert_eq!(next.figures.late, LateFigures::default());
    assert_restartable::<Digest>(&log.records);
}

// ---- leaderboard ----

fn leaderboard_log() -> Log {
    let mut log = Log::default();
    for (n, name) in [(1, "Alice"), (2, "Bob"), (4, "Dan"), (5, "Eve"), (6, "Fay")] {
        log.rep(n, name, "华东");
    }
    log.rep(3, "Carol", "华北");
    // Contract n is rep n's; customer n.
    log.contract_signed(5, 5, 5, "2027-03-02", &[("2027-06-01", 600_000)]);
    for n in [1, 2, 4, 6] {
        log.contract_signed(n, n, n, "2027-03-05", &[("2027-06-01", 500_000)]);
    }
    log.contract_signed(3, 3, 3, "2027-03-05", &[("2027-06-01", 100_000)]);
    log.payment(1, 1, "PAY-1", 150_000, "2027-03-20");
    for n in [2, 4, 6] {
        log.payment(n, n, &format!("PAY-{n}"), 100_000, "2027-03-21");
    }
    // Won leads for Bob and Dan; a lost one for Fay.
    for (lead_n, rep_n, to) in [(1, 2, "won"), (2, 4, "won"), (3, 6, "lost")] {
        log.route(lead_n, rep_n, "2027-03-01T02:00:00Z");
        log.advance(lead_n, "qualified", "proposal", "2027-03-10T02:00:00Z");
        log.advance(lead_n, "proposal", to, "2027-03-25T02:00:00Z");
    }
    // April: Alice collects 50 000 more (received 2027-04-01).
    log.payment(1, 1, "PAY-1B", 50_000, "2027-04-01");
    log
}

#[test]
fn leaderboard_orders_by_value_payments_wins_then_rep_id() {
    let log = leaderboard_log();
    let view = fold_all::<Leaderboard>(&log.records).expect("folds");
    let boards = view.boards(Some("华东"), Some("2027-03"));
    assert_eq!(boards.len(), 1);
    let order: Vec<(u32, String)> = boards[0]
        .rows
        .iter()
        .map(|row| (row.rank, row.display_name.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        order,
        [
            (1, "Eve".to_owned()),   // 600 000 signed
            (2, "Alice".to_owned()), // 500 000, 150 000 collected
            (3, "Bob".to_owned()),   // 500 000, 100 000, 1 won, rep id ...1002
            (4, "Dan".to_owned()),   // the same figures, rep id ...1004
            (5, "Fay".to_owned()),   // 500 000, 100 000, 0 won (1 lost)
        ]
    );
    let april = view.boards(None, Some("2027-04"));
    assert_eq!(april.len(), 1);
    assert_eq!(april[0].rows[0].figures.payments_fen, 50_000);
    assert_eq!(april[0].rows[0].figures.contract_value_fen, 0);
    assert_golden("leaderboard", &view.boards(None, None));
    assert_restartable::<Leaderboard>(&log.records);

    // The table projector gives the same golden file.
    let mut tables = fold_tables::<LeaderboardTables>(&log.records);
    let mut reader = Reader::new(&mut tables);
    assert_golden(
        "leaderboard",
        &tables::leaderboard::boards(&mut reader, None, None).expect("reads"),
    );
}

// ---- extreme amounts: sums are exact up to u64, then saturate ----

/// A signed contract of one instalment, hand-made (no aggregate checks), so
/// a test can put amounts into the log that requests can no longer carry.
fn raw_contract(log: &mut Log, n: u32, customer_n: u32, rep_n: u32, amount_fen: u64) {
    log.push(
        &format!("contract-{}", contract(n)),
        "ContractSigned",
        1,
        json!({"contract_id": contract(n), "customer_id": customer(customer_n), "rep_id": rep(rep_n),
               "signed_on": "2027-03-01", "total_fen": amount_fen,
               "instalments": [{"index": 0, "due_on": "2027-03-10", "amount_fen": amount_fen}],
               "signed_at": "2027-03-01T02:00:00Z"}),
    );
}

#[test]
fn the_largest_valid_amounts_sum_exactly_in_receivables_and_the_leaderboard() {
    use salesledger_domain::value::MAX_AMOUNT_FEN;
    let mut log = Log::default();
    let mut contracts = Contracts {
        states: Default::default(),
    };
    log.rep(1, "Alice", "华东");
    log.customer(1, json!({"region": "华东", "industry": "制造"}));
    let terms: Vec<(&str, u64)> = (0..60).map(|_| ("2027-03-10", MAX_AMOUNT_FEN)).collect();
    for n in 1..=3 {
        contracts.run(
            &mut log,
            n,
            sign(n, 1, 1, "2027-03-01", &terms),
            "2027-03-01T02:00:00Z",
        );
    }
    // One fen more than the maximum is refused by the aggregate.
    let refused = Contract::default().decide(
        sign(9, 1, 1, "2027-03-01", &[("2027-03-10", MAX_AMOUNT_FEN + 1)]),
        at("2027-03-01T02:00:00Z"),
    );
    assert_eq!(
        refused.expect_err("over the maximum").code(),
        "invalid_amount"
    );
    contracts.close(&mut log, "2027-03-31", true);

    let total = 3 * 60 * MAX_AMOUNT_FEN;
    let view = fold_all::<Receivables>(&log.records).expect("folds");
    let regions = json_of(&view.summary().regions);
    assert_eq!(regions[0]["outstanding_fen"], json!(total));
    assert_eq!(regions[0]["credit_sales_90d_fen"], json!(total));
    assert_eq!(regions[0]["aging"]["1_30"], json!(total));
    let leaderboard = fold_all::<Leaderboard>(&log.records).expect("folds");
    let boards = leaderboard.boards(Some("华东"), Some("2027-03"));
    assert_eq!(boards[0].rows[0].figures.contract_value_fen, total);
}

#[test]
fn sums_past_u64_saturate_instead_of_wrapping() {
    // Two contracts of u64::MAX fen each (only a hand-made log holds them):
    // a wrapping sum would report u64::MAX - 1.
    let mut log = Log::default();
    log.rep(1, "Alice", "华东");
    log.customer(1, json!({"region": "华东", "industry": "制造"}));
    raw_contract(&mut log, 1, 1, 1, u64::MAX);
    raw_contract(&mut log, 2, 1, 1, u64::MAX);
    raw_contract(&mut log, 3, 1, 1, 7);
    log.payment(3, 1, "PAY-1", 7, "2027-03-20");
    log.day_closed("2027-03-31");

    let view = fold_all::<Receivables>(&log.records).expect("folds");
    let regions = json_of(&view.summary().regions);
    assert_eq!(regions[0]["outstanding_fen"], json!(u64::MAX));
    assert_eq!(regions[0]["credit_sales_90d_fen"], json!(u64::MAX));
    assert_eq!(regions[0]["aging"]["1_30"], json!(u64::MAX));
    let leaderboard = fold_all::<Leaderboard>(&log.records).expect("folds");
    let boards = leaderboard.boards(Some("华东"), Some("2027-03"));
    assert_eq!(boards[0].rows[0].figures.contract_value_fen, u64::MAX);
    assert_eq!(boards[0].rows[0].figures.payments_fen, 7);

    // The table projectors saturate the same way.
    let mut tables = fold_tables::<ReceivablesTables>(&log.records);
    let summary = tables::receivables::summary(&mut Reader::new(&mut tables)).expect("reads");
    assert_eq!(json_of(&summary.regions), regions);
    let mut tables = fold_tables::<LeaderboardTables>(&log.records);
    let board = tables::leaderboard::boards(&mut Reader::new(&mut tables), Some("华东"), None)
        .expect("reads");
    assert_eq!(json_of(&board), json_of(&boards));
}
