//! Reactions that cannot be lost: the reaction process manager
//! (`commands/src/process_manager.rs`) over a real sled store.
//!
//! - a visit whose follow-up was never issued (appended past the pipeline,
//!   as if the process died right after it) gets exactly one follow-up once
//!   the manager runs; a follow-up already in the log without the new key
//!   (a log written before reactions were keyed) is recognised, not issued
//!   again;
//! - a manager restarted from its checkpoint, or with its directory wiped,
//!   issues nothing twice;
//! - a refused reaction is recorded as refused with its problem code;
//! - many concurrent visits and follow-ups on one customer end with exactly
//!   one `FollowUpRecorded` per `VisitLogged`, caused by it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use salesledger_commands::process_manager::{ReactionOutcome, CHECKPOINT_FILE, OUTCOMES_FILE};
use salesledger_commands::{
    CommandError, CommandMeta, CommandService, Principal, ReactionManager, ReactionManagerConfig,
    ReactionStatus,
};
use salesledger_domain::customer::{
    ClaimCustomer, Customer, CustomerCommand, FollowUpKind, PoolPolicy, RecordFollowUp,
    RegisterCustomer,
};
use salesledger_domain::duplicate::DuplicateCandidate;
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::stream::{customer_stream_id, visit_stream_id};
use salesledger_domain::value::{
    ActorId, CompanyName, CustomerAttributes, CustomerId, RepId, Text, VisitId,
};
use salesledger_domain::visit::{LogVisit, Visit, VisitChannel, VisitCommand};
use salesledger_domain::{encode, Aggregate, CommandKind, Role};
use salesledger_store::{
    AppendMetadata, AppendRequest, ExpectedVersion, NewEvent, RecordedEvent, SledStore, Store,
};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
        .single()
        .expect("time")
}

fn meta(actor: &str, role: Role) -> CommandMeta {
    CommandMeta::new(
        Principal {
            actor: ActorId::parse(actor).expect("actor"),
            role,
        },
        now(),
    )
}

fn fast() -> ReactionManagerConfig {
    ReactionManagerConfig {
        grace: Duration::from_millis(50),
        ..ReactionManagerConfig::default()
    }
}

async fn register_customer(service: &CommandService, name: &str) -> CustomerId {
    let customer_id = CustomerId::from_uuid(Uuid::now_v7());
    let company_name = CompanyName::parse(name).expect("name");
    let attributes = CustomerAttributes::parse(&[("industry", "medical devices")]).expect("attrs");
    service
        .execute_with_registry::<Customer, CommandError>(
            &meta("zhang.min", Role::Supervisor),
            CommandKind::RegisterCustomer,
            &customer_stream_id(customer_id),
            |registry| {
                let duplicate_clearance = registry.duplicates().clear(&DuplicateCandidate {
                    company_name: &company_name,
                    unified_social_credit_code: None,
                    phone: None,
                    linked_customer: None,
                })?;
                Ok(CustomerCommand::Register(RegisterCustomer {
                    customer_id,
                    company_name: company_name.clone(),
                    unified_social_credit_code: None,
                    phone: None,
                    contact_email: None,
                    attributes,
                    duplicate_clearance,
                }))
            },
        )
        .await
        .expect("register");
    customer_id
}

async fn claimed_customer(service: &CommandService, name: &str, rep_id: RepId) -> CustomerId {
    let customer_id = register_customer(service, name).await;
    service
        .execute::<Customer>(
            &meta("li.wei", Role::Rep),
            &customer_stream_id(customer_id),
            CustomerCommand::Claim(ClaimCustomer {
                rep_id,
                policy: PoolPolicy::default_v1(),
            }),
        )
        .await
        .expect("claim");
    customer_id
}

fn log_visit(customer_id: CustomerId, rep_id: RepId) -> (VisitId, VisitCommand) {
    let visit_id = VisitId::from_uuid(Uuid::now_v7());
    let command = VisitCommand::Log(LogVisit {
        visit_id,
        customer_id,
        rep_id,
        channel: VisitChannel::Phone,
        occurred_at: Utc
            .with_ymd_and_hms(2026, 3, 2, 2, 0, 0)
            .single()
            .expect("time"),
        transcript: Text::parse("Call about the Q3 budget").expect("text"),
        rep_notes: None,
        dictionary: ExtractionDictionary {
            version: 1,
            competitors: Vec::new(),
            concerns: Vec::new(),
            still_comparing_phrases: vec!["还在比较".into()],
            utc_offset_minutes: 480,
        },
    });
    (visit_id, command)
}

/// Decides and appends `command` past the pipeline (so no reaction runs,
/// as when the process died right after the append); returns the
/// appended records' event ids.
async fn append_directly<A: Aggregate>(
    service: &CommandService,
    stream_id: &str,
    command: A::Command,
    actor: &str,
    causation_id: Option<Uuid>,
) -> Vec<Uuid> {
    let loaded = service.load::<A>(stream_id).await.expect("load");
    let events = loaded.state.decide(command, now()).expect("decide");
    let command_id = Uuid::now_v7();
    let outcome = service
        .store()
        .append(AppendRequest {
            stream_id: stream_id.to_owned(),
            expected_version: loaded
                .version
                .map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
            events: events
                .iter()
                .map(|event| {
                    let encoded = encode(event).expect("encode");
                    NewEvent::new(encoded.event_type, encoded.schema_version, &encoded.payload)
                })
                .collect(),
            metadata: AppendMetadata {
                actor: actor.to_owned(),
                command_id,
                correlation_id: command_id,
                causation_id: causation_id.unwrap_or(command_id),
            },
            idempotency: None,
        })
        .await
        .expect("append");
    outcome.event_ids
}

async fn all_records(store: &Arc<dyn Store>) -> Vec<RecordedEvent> {
    let mut records = Vec::new();
    loop {
        let page = store
            .read_all(records.len() as u64, 1024)
            .await
            .expect("read");
        if page.is_empty() {
            return records;
        }
        records.extend(page);
    }
}

/// How many `FollowUpRecorded` records each event id caused.
fn follow_ups_caused_by(records: &[RecordedEvent], trigger: Uuid) -> Vec<&RecordedEvent> {
    records
        .iter()
        .filter(|record| record.event_type == "FollowUpRecorded" && record.causation_id == trigger)
        .collect()
}

async fn start(service: &Arc<CommandService>, dir: &Path) -> ReactionManager {
    ReactionManager::start(service.clone(), dir, fast())
        .await
        .expect("start the manager")
}

/// Waits until the manager has seen the whole log, its own appends
/// included, and nothing is pending.
async fn settle(manager: &ReactionManager, service: &CommandService) {
    loop {
        let head = service.store().head().len;
        assert!(
            manager.settled(head, Duration::from_secs(20)).await,
            "the manager settles: {:?}",
            manager.progress()
        );
        if service.store().head().len == head {
            return;
        }
    }
}

fn applied(manager: &ReactionManager, trigger: Uuid) -> Vec<u64> {
    match manager.outcome(trigger) {
        Some(ReactionStatus::Decided(outcome)) => {
            assert_eq!(outcome.status(), "applied", "{outcome:?}");
            outcome
                .reactions
                .iter()
                .flat_map(|reaction| match reaction {
                    ReactionOutcome::Applied { positions, .. } => positions.clone(),
                    ReactionOutcome::Refused { .. } => Vec::new(),
                })
                .collect()
        }
        other => panic!("{trigger} is not decided: {other:?}"),
    }
}

#[tokio::test]
async fn a_visit_whose_follow_up_was_never_issued_gets_exactly_one_and_restarts_issue_nothing_twice(
) {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(SledStore::open(&data_dir.path().join("log")).expect("open"));
    let service = Arc::new(CommandService::new(store.clone()));
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    let customer_id = claimed_customer(&service, "常州华腾电气有限公司", rep_id).await;

    // A: the process "died" right after the visit's append.
    let (visit_a, command) = log_visit(customer_id, rep_id);
    let trigger_a = append_directly::<Visit>(
        &service,
        &visit_stream_id(visit_a),
        command,
        "rep:li.wei",
        None,
    )
    .await[0];
    // B: written before reactions were keyed: its follow-up is in the log
    // under no idempotency key at all.
    let (visit_b, command) = log_visit(customer_id, rep_id);
    let trigger_b = append_directly::<Visit>(
        &service,
        &visit_stream_id(visit_b),
        command,
        "rep:li.wei",
        None,
    )
    .await[0];
    let follow_up_b = RecordFollowUp {
        rep_id,
        kind: FollowUpKind::Call,
        occurred_at: Utc
            .with_ymd_and_hms(2026, 3, 2, 2, 0, 0)
            .single()
            .expect("time"),
        visit_id: Some(visit_b),
        policy: PoolPolicy::default_v1(),
    };
    append_directly::<Customer>(
        &service,
        &customer_stream_id(customer_id),
        CustomerCommand::RecordFollowUp(follow_up_b),
        "rep:li.wei",
        Some(trigger_b),
    )
    .await;
    let records = all_records(&store).await;
    assert!(follow_ups_caused_by(&records, trigger_a).is_empty());

    let manager_dir = data_dir.path().join("reactions");
    let manager = start(&service, &manager_dir).await;
    settle(&manager, &service).await;
    let records = all_records(&store).await;
    let follow_ups = follow_ups_caused_by(&records, trigger_a);
    assert_eq!(follow_ups.len(), 1, "one follow-up for the visit");
    assert_eq!(
        follow_ups[0].actor, "rep:li.wei",
        "on behalf of the visit's rep"
    );
    let trigger_record = records
        .iter()
        .find(|record| record.event_id == trigger_a)
        .expect("trigger");
    assert_eq!(follow_ups[0].correlation_id, trigger_record.correlation_id);
    assert_eq!(applied(&manager, trigger_a), vec![follow_ups[0].position]);
    assert_eq!(
        follow_ups_caused_by(&records, trigger_b).len(),
        1,
        "the follow-up already in the log is not issued again"
    );
    assert_eq!(applied(&manager, trigger_b).len(), 1);
    let log_len = store.head().len;
    manager.stop().await;
    assert_eq!(
        std::fs::read_to_string(manager_dir.join(CHECKPOINT_FILE)).expect("checkpoint"),
        format!("{{\"next_position\":{log_len}}}")
    );

    // Restarted from its checkpoint: nothing issued, outcomes kept.
    let manager = start(&service, &manager_dir).await;
    settle(&manager, &service).await;
    assert_eq!(store.head().len, log_len, "a restart issues nothing");
    assert_eq!(applied(&manager, trigger_a).len(), 1);
    manager.stop().await;

    // With its directory wiped it scans the whole log again and finds
    // every reaction already there.
    std::fs::remove_file(manager_dir.join(CHECKPOINT_FILE)).expect("remove");
    std::fs::remove_file(manager_dir.join(OUTCOMES_FILE)).expect("remove");
    let manager = start(&service, &manager_dir).await;
    settle(&manager, &service).await;
    assert_eq!(store.head().len, log_len, "nothing issued twice");
    assert_eq!(applied(&manager, trigger_a).len(), 1);
    assert_eq!(applied(&manager, trigger_b).len(), 1);
    assert!(
        manager.outcome(Uuid::now_v7()).is_none(),
        "an unknown event triggered nothing"
    );
    manager.stop().await;
}

#[tokio::test]
async fn a_refused_reaction_is_recorded_as_refused_with_its_code() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    let service = Arc::new(CommandService::new(store.clone()));
    // A visit to a customer that was never registered: its follow-up is
    // refused by the domain.
    let unknown_customer = CustomerId::from_uuid(Uuid::now_v7());
    let (visit_id, command) = log_visit(unknown_customer, RepId::from_uuid(Uuid::now_v7()));
    let trigger = append_directly::<Visit>(
        &service,
        &visit_stream_id(visit_id),
        command,
        "rep:li.wei",
        None,
    )
    .await[0];
    let log_len = store.head().len;
    let manager = start(&service, &data_dir.path().join("reactions")).await;
    settle(&manager, &service).await;
    let Some(ReactionStatus::Decided(outcome)) = manager.outcome(trigger) else {
        panic!("decided: {:?}", manager.outcome(trigger));
    };
    assert_eq!(outcome.status(), "refused");
    match &outcome.reactions[..] {
        [ReactionOutcome::Refused { code, reaction, .. }] => {
            assert_eq!(code, "customer_not_found");
            assert_eq!(reaction, "follow_up");
        }
        other => panic!("one refused follow-up: {other:?}"),
    }
    assert_eq!(store.head().len, log_len, "a refusal appends nothing");
    manager.stop().await;
    // Recorded durably: a restart knows it without deciding again.
    let manager = start(&service, &data_dir.path().join("reactions")).await;
    assert!(matches!(
        manager.outcome(trigger),
        Some(ReactionStatus::Decided(outcome)) if outcome.status() == "refused"
    ));
    manager.stop().await;
}

#[tokio::test]
async fn a_reaction_is_decided_with_the_configuration_published_before_its_trigger() {
    use salesledger_domain::config::{Config, ConfigCommand};
    use salesledger_domain::customer::{CustomerStance, RecordCustomerStance};
    use salesledger_domain::nurture::NurtureTemplate;
    use salesledger_domain::stream::CONFIG_NURTURE_STREAM;

    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    let service = Arc::new(CommandService::new(store.clone()));
    let customer_id = register_customer(&service, "东莞新锐精密模具有限公司").await;
    // "Still comparing" while no nurture template is published; the
    // process dies before any reaction.
    let trigger = append_directly::<Customer>(
        &service,
        &customer_stream_id(customer_id),
        CustomerCommand::RecordStance(RecordCustomerStance {
            stance: CustomerStance::StillComparing,
            recorded_by: ActorId::parse("li.wei").expect("actor"),
            visit_id: None,
        }),
        "rep:li.wei",
        None,
    )
    .await[0];
    // A template published afterwards does not apply to it.
    service
        .execute::<Config>(
            &meta("zhang.min", Role::Supervisor),
            CONFIG_NURTURE_STREAM,
            ConfigCommand::PublishNurtureTemplate {
                template: NurtureTemplate::default_v1(),
                published_by: ActorId::parse("zhang.min").expect("actor"),
            },
        )
        .await
        .expect("publish template");
    let log_len = store.head().len;
    let manager = start(&service, &data_dir.path().join("reactions")).await;
    settle(&manager, &service).await;
    match manager.outcome(trigger) {
        Some(ReactionStatus::Decided(outcome)) => match &outcome.reactions[..] {
            [ReactionOutcome::Refused { code, reaction, .. }] => {
                assert_eq!(code, "nurture_template_not_published");
                assert_eq!(reaction, "nurture_pack");
            }
            other => panic!("one refused nurture pack: {other:?}"),
        },
        other => panic!("decided: {other:?}"),
    }
    assert_eq!(store.head().len, log_len, "no pack started");
    manager.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_visits_and_follow_ups_on_one_customer_end_with_one_follow_up_per_visit() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(SledStore::open(&data_dir.path().join("log")).expect("open"));
    let service = Arc::new(CommandService::new(store.clone()));
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    let customer_id = claimed_customer(&service, "东莞新锐精密模具有限公司", rep_id).await;
    let manager = start(&service, &data_dir.path().join("reactions")).await;

    let mut tasks = Vec::new();
    for task_idx in 0..96 {
        let service = service.clone();
        tasks.push(tokio::spawn(async move {
            if task_idx % 2 == 0 {
                let (visit_id, command) = log_visit(customer_id, rep_id);
                let outcome = service
                    .execute::<Visit>(
                        &meta("li.wei", Role::Rep),
                        &visit_stream_id(visit_id),
                        command,
                    )
                    .await
                    .expect("a visit is logged");
                let trigger = outcome.events[0].event_id;
                let inline = outcome
                    .reactions
                    .iter()
                    .any(|event| event.event_type == "FollowUpRecorded");
                let pending = outcome.pending_reactions.contains(&trigger);
                assert!(
                    inline != pending,
                    "the answer lists the follow-up or names it pending: {outcome:?}"
                );
                Some((trigger, pending))
            } else {
                let follow_up = CustomerCommand::RecordFollowUp(RecordFollowUp {
                    rep_id,
                    kind: FollowUpKind::Call,
                    occurred_at: Utc
                        .with_ymd_and_hms(2026, 3, 2, 3, 0, 0)
                        .single()
                        .expect("time"),
                    visit_id: None,
                    policy: PoolPolicy::default_v1(),
                });
                // A client's own follow-up may give up under contention.
                let _ = service
                    .execute::<Customer>(
                        &meta("li.wei", Role::Rep),
                        &customer_stream_id(customer_id),
                        follow_up,
                    )
                    .await;
                None
            }
        }));
    }
    let mut visits = Vec::new();
    for task in tasks {
        if let Some(visit) = task.await.expect("task") {
            visits.push(visit);
        }
    }
    let n_pending = visits.iter().filter(|(_, pending)| *pending).count();
    eprintln!(
        "{n_pending} of {} follow-ups were left to the manager",
        visits.len()
    );
    settle(&manager, &service).await;
    let records = all_records(&store).await;
    for (trigger, _) in &visits {
        assert_eq!(
            follow_ups_caused_by(&records, *trigger).len(),
            1,
            "one follow-up caused by visit event {trigger}"
        );
        assert_eq!(applied(&manager, *trigger).len(), 1);
    }
    let n_visits = records
        .iter()
        .filter(|record| record.event_type == "VisitLogged")
        .count();
    assert_eq!(n_visits, visits.len());
    manager.stop().await;
}

/// Every gateway on a shared PostgreSQL log runs a manager: two managers
/// (two services, each with its own `PgStore`) racing to complete the same
/// missing follow-ups append each exactly once. Runs when
/// `SALESLEDGER_PG_URL` is set (a fresh schema, dropped afterwards).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_managers_on_one_postgres_log_complete_each_reaction_once() {
    let Ok(url) = std::env::var("SALESLEDGER_PG_URL") else {
        eprintln!("two_managers_on_one_postgres_log: SKIPPED (SALESLEDGER_PG_URL is not set)");
        return;
    };
    let schema = format!("sl_test_{}", Uuid::now_v7().simple());
    let outcome = tokio::spawn(two_managers(url.clone(), schema.clone())).await;
    drop_schema(&url, &schema).await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn two_managers(url: String, schema: String) {
    let connect = || async {
        let store: Arc<dyn Store> = Arc::new(
            salesledger_store::PgStore::connect(&url, Some(&schema))
                .await
                .expect("connect to PostgreSQL"),
        );
        Arc::new(CommandService::new(store))
    };
    let (service_a, service_b) = (connect().await, connect().await);
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    let customer_id = claimed_customer(&service_a, "宁波远景传感科技有限公司", rep_id).await;
    let mut triggers = Vec::new();
    for _ in 0..12 {
        let (visit_id, command) = log_visit(customer_id, rep_id);
        triggers.push(
            append_directly::<Visit>(
                &service_a,
                &visit_stream_id(visit_id),
                command,
                "rep:li.wei",
                None,
            )
            .await[0],
        );
    }
    let dirs = tempfile::tempdir().expect("tempdir");
    let racing = ReactionManagerConfig {
        grace: Duration::ZERO,
        ..ReactionManagerConfig::default()
    };
    let manager_a =
        ReactionManager::start(service_a.clone(), &dirs.path().join("a"), racing.clone())
            .await
            .expect("start A");
    let manager_b = ReactionManager::start(service_b.clone(), &dirs.path().join("b"), racing)
        .await
        .expect("start B");
    settle(&manager_a, &service_a).await;
    settle(&manager_b, &service_a).await;
    let records = all_records(service_a.store()).await;
    for trigger in &triggers {
        assert_eq!(
            follow_ups_caused_by(&records, *trigger).len(),
            1,
            "one follow-up for visit event {trigger}"
        );
        assert_eq!(applied(&manager_a, *trigger), applied(&manager_b, *trigger));
    }
    manager_a.stop().await;
    manager_b.stop().await;
}

async fn drop_schema(url: &str, schema: &str) {
    let Ok((client, connection)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        eprintln!("could not connect to drop schema {schema}");
        return;
    };
    let driver = tokio::spawn(connection);
    if let Err(error) = client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
    {
        eprintln!("could not drop schema {schema}: {error}");
    }
    drop(client);
    let _ = driver.await;
}
