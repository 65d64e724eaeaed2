//! The command pipeline over a real sled store: authorisation, idempotency,
//! decide + append with expected versions, bounded retry, and the
//! registry-backed duplicate check.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use salesledger_commands::{
    CommandError, CommandMeta, CommandOutcome, CommandService, IdempotencyKey, Principal,
};
use salesledger_domain::customer::{
    ClaimCustomer, Customer, CustomerCommand, FollowUpKind, PoolPolicy, RecordFollowUp,
    RegisterCustomer, SetCustomerAttributes,
};
use salesledger_domain::duplicate::DuplicateCandidate;
use salesledger_domain::stream::customer_stream_id;
use salesledger_domain::value::{ActorId, CompanyName, CustomerAttributes, CustomerId, RepId};
use salesledger_domain::{CommandKind, DomainError, Role};
use salesledger_store::{
    AppendOutcome, AppendRequest, Hash32, LogHead, RecordedEvent, SledStore, Store, StoreError,
    StoredOutcome,
};
use uuid::Uuid;

struct Fixture {
    service: Arc<CommandService>,
    _data_dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    Fixture {
        service: Arc::new(CommandService::new(store)),
        _data_dir: data_dir,
    }
}

fn meta(actor: &str, role: Role) -> CommandMeta {
    let principal = Principal {
        actor: ActorId::parse(actor).expect("actor"),
        role,
    };
    CommandMeta::new(
        principal,
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
            .single()
            .expect("time"),
    )
}

async fn register_customer(
    service: &CommandService,
    name: &str,
) -> Result<CustomerId, CommandError> {
    let customer_id = CustomerId::from_uuid(Uuid::now_v7());
    let company_name = CompanyName::parse(name).expect("name");
    let attributes =
        CustomerAttributes::parse(&[("industry", "medical devices"), ("region", "east")])
            .expect("attrs");
    service
        .execute_with_registry::<Customer, CommandError>(
            &meta("zhang.min", Role::Supervisor),
            CommandKind::RegisterCustomer,
            &customer_stream_id(customer_id),
            |registry| {
                let candidate = DuplicateCandidate {
                    company_name: &company_name,
                    unified_social_credit_code: None,
                    phone: None,
                    linked_customer: None,
                };
                let duplicate_clearance = registry.duplicates().clear(&candidate)?;
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
        .await?;
    Ok(customer_id)
}

fn claim(rep_id: RepId) -> CustomerCommand {
    CustomerCommand::Claim(ClaimCustomer {
        rep_id,
        policy: PoolPolicy::default_v1(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_claims_have_one_winner_and_49_conflicts_naming_the_owner() {
    let Fixture { service, _data_dir } = fixture();
    let customer_id = register_customer(&service, "宁波精工机械有限公司")
        .await
        .expect("register");
    let stream_id = customer_stream_id(customer_id);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let service = service.clone();
        let stream_id = stream_id.clone();
        tasks.push(tokio::spawn(async move {
            let rep_id = RepId::from_uuid(Uuid::now_v7());
            let result = service
                .execute::<Customer>(&meta("rep", Role::Rep), &stream_id, claim(rep_id))
                .await;
            (rep_id, result)
        }));
    }
    let mut winners = Vec::new();
    let mut owners_named = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (rep_id, Ok(_)) => winners.push(rep_id),
            (_, Err(CommandError::Domain(DomainError::CustomerAlreadyOwned { owner, .. }))) => {
                owners_named.push(owner)
            }
            (_, Err(error)) => panic!("unexpected error: {error}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(owners_named.len(), 49);
    assert!(
        owners_named.iter().all(|owner| *owner == winners[0]),
        "every conflict names the winner"
    );
    let loaded = service.load::<Customer>(&stream_id).await.expect("load");
    assert_eq!(loaded.state.owner(), Some(winners[0]));
    assert_eq!(loaded.version, Some(1), "registration + one claim");
}

#[tokio::test]
async fn a_role_outside_the_table_is_refused_before_anything_is_appended() {
    let Fixture { service, _data_dir } = fixture();
    let customer_id = register_customer(&service, "Shenzhen Bright Optics Co., Ltd.")
        .await
        .expect("register");
    let head = service.store().head();
    for role in [Role::Auditor, Role::Analyst, Role::Marketing, Role::Finance] {
        let result = service
            .execute::<Customer>(
                &meta("someone", role),
                &customer_stream_id(customer_id),
                claim(RepId::from_uuid(Uuid::now_v7())),
            )
            .await;
        assert!(
            matches!(
                result,
                Err(CommandError::Forbidden {
                    kind: CommandKind::ClaimCustomer,
                    ..
                })
            ),
            "{role:?}: {result:?}"
        );
    }
    assert_eq!(service.store().head(), head);
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_original_outcome_and_a_changed_body_is_refused() {
    let Fixture { service, _data_dir } = fixture();
    let customer_id = register_customer(&service, "苏州恒通医疗器械有限公司")
        .await
        .expect("register");
    let stream_id = customer_stream_id(customer_id);
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    let mut first_meta = meta("li.wei", Role::Rep);
    first_meta.idempotency = Some(IdempotencyKey {
        key: "claim-1".into(),
        fingerprint: Hash32([7; 32]),
    });
    let original = service
        .execute::<Customer>(&first_meta, &stream_id, claim(rep_id))
        .await
        .expect("claim");
    assert!(!original.replayed);
    let head = service.store().head();

    // The retry arrives as a new request (new command id) with the same key.
    let mut retry_meta = meta("li.wei", Role::Rep);
    retry_meta.idempotency = first_meta.idempotency.clone();
    let repeated = service
        .execute::<Customer>(&retry_meta, &stream_id, claim(rep_id))
        .await
        .expect("replay");
    assert!(repeated.replayed);
    assert_eq!(repeated.events, original.events);
    assert_eq!(
        repeated.command_id, original.command_id,
        "the original command's id"
    );
    assert_eq!(service.store().head(), head, "nothing appended");

    let mut changed = meta("li.wei", Role::Rep);
    changed.idempotency = Some(IdempotencyKey {
        key: "claim-1".into(),
        fingerprint: Hash32([8; 32]),
    });
    let result = service
        .execute::<Customer>(&changed, &stream_id, claim(rep_id))
        .await;
    assert!(
        matches!(result, Err(CommandError::IdempotencyKeyReused { ref key }) if key == "claim-1"),
        "{result:?}"
    );

    // Keys are scoped to the actor: another actor's "claim-1" is its own.
    let mut other_actor = meta("wang.fang", Role::Rep);
    other_actor.idempotency = Some(IdempotencyKey {
        key: "claim-1".into(),
        fingerprint: Hash32([9; 32]),
    });
    let result = service
        .execute::<Customer>(
            &other_actor,
            &stream_id,
            claim(RepId::from_uuid(Uuid::now_v7())),
        )
        .await;
    assert!(
        matches!(
            result,
            Err(CommandError::Domain(
                DomainError::CustomerAlreadyOwned { .. }
            ))
        ),
        "{result:?}"
    );
    assert_eq!(service.store().head(), head);
}

#[tokio::test]
async fn concurrent_registrations_of_one_company_let_exactly_one_through() {
    let Fixture { service, _data_dir } = fixture();
    let mut tasks = Vec::new();
    for name in [
        "杭州远景传感科技有限公司",
        "杭州远景传感科技 有限公司",
        "杭州远景传感科技股份有限公司",
    ] {
        let service = service.clone();
        tasks.push(tokio::spawn(async move {
            register_customer(&service, name).await
        }));
    }
    let mut n_registered = 0;
    let mut n_duplicates = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => n_registered += 1,
            Err(CommandError::Domain(DomainError::DuplicateRecord { .. })) => n_duplicates += 1,
            Err(error) => panic!("unexpected: {error}"),
        }
    }
    assert_eq!((n_registered, n_duplicates), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflicting_follow_ups_are_decided_again_and_all_land() {
    let Fixture { service, _data_dir } = fixture();
    let customer_id = register_customer(&service, "Wuxi Delta Automotive Parts")
        .await
        .expect("register");
    let stream_id = customer_stream_id(customer_id);
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    service
        .execute::<Customer>(&meta("rep", Role::Rep), &stream_id, claim(rep_id))
        .await
        .expect("claim");
    let mut tasks = Vec::new();
    for hour in 0..4 {
        let service = service.clone();
        let stream_id = stream_id.clone();
        tasks.push(tokio::spawn(async move {
            let follow_up = CustomerCommand::RecordFollowUp(RecordFollowUp {
                rep_id,
                kind: FollowUpKind::Call,
                occurred_at: Utc
                    .with_ymd_and_hms(2026, 3, 2, hour, 0, 0)
                    .single()
                    .expect("time"),
                visit_id: None,
                policy: PoolPolicy::default_v1(),
            });
            service
                .execute::<Customer>(&meta("rep", Role::Rep), &stream_id, follow_up)
                .await
        }));
    }
    for task in tasks {
        task.await
            .expect("task")
            .expect("every follow-up lands after retries");
    }
    let loaded = service.load::<Customer>(&stream_id).await.expect("load");
    assert_eq!(
        loaded.version,
        Some(5),
        "registration, claim, four follow-ups"
    );
    let records = service
        .store()
        .read_stream(&stream_id, 0, 10)
        .await
        .expect("read");
    assert!(records
        .iter()
        .all(|record| record.actor.starts_with("rep:") || record.actor.starts_with("supervisor:")));
    assert!(records
        .iter()
        .all(|record| record.causation_id == record.command_id));
}

mod reactions {
    use super::*;
    use salesledger_domain::config::{Config, ConfigCommand};
    use salesledger_domain::customer::{CustomerStance, RecordCustomerStance};
    use salesledger_domain::extraction::ExtractionDictionary;
    use salesledger_domain::nurture::{NurturePack, NurtureTemplate};
    use salesledger_domain::stream::{visit_stream_id, CONFIG_NURTURE_STREAM};
    use salesledger_domain::value::{Text, VisitId};
    use salesledger_domain::visit::{LogVisit, Visit, VisitChannel, VisitCommand};

    #[tokio::test]
    async fn a_logged_visit_is_a_follow_up_that_extends_the_owners_protection() {
        let Fixture { service, _data_dir } = fixture();
        let customer_id = register_customer(&service, "常州华腾电气有限公司")
            .await
            .expect("register");
        let rep_id = RepId::from_uuid(Uuid::now_v7());
        let customer_stream = customer_stream_id(customer_id);
        service
            .execute::<Customer>(&meta("li.wei", Role::Rep), &customer_stream, claim(rep_id))
            .await
            .expect("claim");
        let before = service
            .load::<Customer>(&customer_stream)
            .await
            .expect("load")
            .version;

        let visit_id = VisitId::from_uuid(Uuid::now_v7());
        let log_visit = VisitCommand::Log(LogVisit {
            visit_id,
            customer_id,
            rep_id,
            channel: VisitChannel::OnSite,
            occurred_at: Utc
                .with_ymd_and_hms(2026, 3, 2, 2, 0, 0)
                .single()
                .expect("time"),
            transcript: Text::parse("客户说下个月采购, still comparing with Siemens")
                .expect("text"),
            rep_notes: None,
            dictionary: ExtractionDictionary {
                version: 1,
                competitors: Vec::new(),
                concerns: Vec::new(),
                still_comparing_phrases: vec!["还在比较".into()],
                utc_offset_minutes: 480,
            },
        });
        let visit_meta = meta("li.wei", Role::Rep);
        let outcome = service
            .execute::<Visit>(&visit_meta, &visit_stream_id(visit_id), log_visit)
            .await
            .expect("log visit");
        let follow_up = outcome
            .reactions
            .iter()
            .find(|event| event.event_type == "FollowUpRecorded");
        let follow_up = follow_up.expect("the visit's follow-up is recorded on the customer");
        let after = service
            .load::<Customer>(&customer_stream)
            .await
            .expect("load")
            .version;
        assert_eq!(after, before.map(|version| version + 1));
        let record = service
            .store()
            .read_all(follow_up.position, 1)
            .await
            .expect("read")
            .remove(0);
        assert_eq!(
            record.causation_id, outcome.events[0].event_id,
            "caused by VisitLogged"
        );
        assert_eq!(record.correlation_id, visit_meta.correlation_id);
        assert_eq!(record.actor, "rep:li.wei");
    }

    #[tokio::test]
    async fn still_comparing_starts_exactly_one_nurture_pack_from_the_published_template() {
        let Fixture { service, _data_dir } = fixture();
        let customer_id = register_customer(&service, "东莞新锐精密模具有限公司")
            .await
            .expect("register");
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
        let stance = CustomerCommand::RecordStance(RecordCustomerStance {
            stance: CustomerStance::StillComparing,
            recorded_by: ActorId::parse("li.wei").expect("actor"),
            visit_id: None,
        });
        let outcome = service
            .execute::<Customer>(
                &meta("li.wei", Role::Rep),
                &customer_stream_id(customer_id),
                stance,
            )
            .await
            .expect("stance");
        let started: Vec<_> = outcome
            .reactions
            .iter()
            .filter(|event| event.event_type == "NurturePackStarted")
            .collect();
        assert_eq!(started.len(), 1, "{:?}", outcome.reactions);
        let record = service
            .store()
            .read_all(started[0].position, 1)
            .await
            .expect("read")
            .remove(0);
        assert_eq!(record.actor, "integrator:process-manager");
        assert_eq!(record.causation_id, outcome.events[0].event_id);
        let pack = service
            .load::<NurturePack>(&record.stream_id)
            .await
            .expect("load pack");
        assert_eq!(pack.version, Some(0));
    }
}

#[tokio::test]
async fn a_cached_aggregate_still_sees_events_appended_by_another_writer() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir.path()).expect("open"));
    let first = CommandService::new(store.clone());
    let second = CommandService::new(store);
    let customer_id = register_customer(&first, "佛山顺德智能家电有限公司")
        .await
        .expect("register");
    let stream_id = customer_stream_id(customer_id);
    let before = first
        .load::<Customer>(&stream_id)
        .await
        .expect("load caches the state");
    assert_eq!(before.state.owner(), None);

    // Another process (here another service on the same log) claims it.
    let rep_id = RepId::from_uuid(Uuid::now_v7());
    second
        .execute::<Customer>(&meta("li.wei", Role::Rep), &stream_id, claim(rep_id))
        .await
        .expect("claim");

    let after = first
        .load::<Customer>(&stream_id)
        .await
        .expect("load again");
    assert_eq!(after.state.owner(), Some(rep_id));
    assert_eq!(after.version, Some(1));
    let refused = first
        .execute::<Customer>(
            &meta("wang.fang", Role::Rep),
            &stream_id,
            claim(RepId::from_uuid(Uuid::now_v7())),
        )
        .await;
    assert!(
        matches!(refused, Err(CommandError::Domain(DomainError::CustomerAlreadyOwned { owner, .. })) if owner == rep_id)
    );
}

/// Sets the customer's attributes to `pairs`.
fn set_attributes(pairs: &[(&str, &str)]) -> CustomerCommand {
    CustomerCommand::SetAttributes(SetCustomerAttributes {
        attributes: CustomerAttributes::parse(pairs).expect("attrs"),
    })
}

/// What `register_customer` registers.
const REGISTERED: &[(&str, &str)] = &[("industry", "medical devices"), ("region", "east")];
const CHANGED: &[(&str, &str)] = &[("industry", "automotive"), ("region", "east")];

fn keyed(actor: &str, key: &str, fingerprint: u8) -> CommandMeta {
    let mut keyed = meta(actor, Role::Supervisor);
    keyed.idempotency = Some(IdempotencyKey {
        key: key.into(),
        fingerprint: Hash32([fingerprint; 32]),
    });
    keyed
}

/// A command that changes nothing still records its key: its retry, after
/// someone else changed the customer, replays "nothing appended" (the
/// original command, at the version it was decided on) instead of writing
/// the old attributes back over the new ones, and another body under the
/// key is refused.
#[tokio::test]
async fn an_unchanged_command_records_its_key_so_a_retry_after_a_change_appends_nothing() {
    let Fixture { service, _data_dir } = fixture();
    let customer_id = register_customer(&service, "杭州和睦医疗器械有限公司")
        .await
        .expect("register");
    let stream_id = customer_stream_id(customer_id);
    let original = service
        .execute::<Customer>(
            &keyed("zhang.min", "attrs-1", 1),
            &stream_id,
            set_attributes(REGISTERED),
        )
        .await
        .expect("unchanged attributes");
    assert!(original.events.is_empty() && !original.replayed);
    assert_eq!(
        (original.stream_version, original.last_position),
        (Some(0), None)
    );

    // Someone else changes the attributes.
    let changed = service
        .execute::<Customer>(
            &meta("wang.fang", Role::Supervisor),
            &stream_id,
            set_attributes(CHANGED),
        )
        .await
        .expect("changed attributes");
    assert_eq!(changed.events.len(), 1);
    let head = service.store().head();

    // The client retries its unchanged request: the original answer.
    let retry = service
        .execute::<Customer>(
            &keyed("zhang.min", "attrs-1", 1),
            &stream_id,
            set_attributes(REGISTERED),
        )
        .await
        .expect("replay");
    assert!(retry.replayed, "{retry:?}");
    assert_eq!(
        CommandOutcome {
            replayed: false,
            ..retry
        },
        original
    );
    assert_eq!(service.store().head(), head, "nothing appended");
    let loaded = service.load::<Customer>(&stream_id).await.expect("load");
    assert_eq!(loaded.version, Some(1), "the newer attributes stand");

    // Another body under the key is refused, before anything is decided.
    let result = service
        .execute::<Customer>(
            &keyed("zhang.min", "attrs-1", 2),
            &stream_id,
            set_attributes(&[("industry", "pharma")]),
        )
        .await;
    assert!(
        matches!(result, Err(CommandError::IdempotencyKeyReused { ref key }) if key == "attrs-1"),
        "{result:?}"
    );
    assert_eq!(service.store().head(), head);
}

type Hook = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// A sled store that runs `before_no_events` (another writer's command)
/// just before the first append without events reaches the log: the
/// stream moves between a command's load and the recording of its key.
struct Interleaved {
    inner: SledStore,
    before_no_events: std::sync::Mutex<Option<Hook>>,
}

#[async_trait::async_trait]
impl Store for Interleaved {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        if request.events.is_empty() {
            let hook = self.before_no_events.lock().expect("hook").take();
            if let Some(hook) = hook {
                hook.await;
            }
        }
        self.inner.append(request).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream_id, from_version, limit).await
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(from_position, limit).await
    }

    async fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        self.inner.stream_version(stream_id).await
    }

    async fn idempotent_outcome(&self, key: &str) -> Result<Option<StoredOutcome>, StoreError> {
        self.inner.idempotent_outcome(key).await
    }

    fn head(&self) -> LogHead {
        self.inner.head()
    }

    fn watch_head(&self) -> tokio::sync::watch::Receiver<LogHead> {
        self.inner.watch_head()
    }
}

/// The no-op decision is made on a loaded version; when the stream moves
/// before its key is recorded, the recording conflicts like an append and
/// the command is decided again on the newer state (here: the attributes
/// were changed, so the request now changes them back), and the key
/// answers that decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_command_whose_stream_moves_before_its_key_is_recorded_is_decided_again() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let sled = SledStore::open(data_dir.path()).expect("open");
    let other = Arc::new(CommandService::new(Arc::new(sled.clone())));
    let customer_id = register_customer(&other, "南京康诺医疗科技有限公司")
        .await
        .expect("register");
    let stream_id = customer_stream_id(customer_id);
    let competing: Hook = {
        let (other, stream_id) = (other.clone(), stream_id.clone());
        Box::pin(async move {
            other
                .execute::<Customer>(
                    &meta("wang.fang", Role::Supervisor),
                    &stream_id,
                    set_attributes(CHANGED),
                )
                .await
                .expect("the competing change");
        })
    };
    let store = Arc::new(Interleaved {
        inner: sled,
        before_no_events: std::sync::Mutex::new(Some(competing)),
    });
    let service = CommandService::new(store.clone());

    let outcome = service
        .execute::<Customer>(
            &keyed("zhang.min", "attrs-1", 1),
            &stream_id,
            set_attributes(REGISTERED),
        )
        .await
        .expect("decided again");
    assert!(
        store.before_no_events.lock().expect("hook").is_none(),
        "the key was recorded without events first"
    );
    let event_types: Vec<&str> = outcome
        .events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(event_types, ["CustomerAttributesSet"]);
    assert_eq!(outcome.stream_version, Some(2));
    let head = store.head();

    let retry = service
        .execute::<Customer>(
            &keyed("zhang.min", "attrs-1", 1),
            &stream_id,
            set_attributes(REGISTERED),
        )
        .await
        .expect("replay");
    assert!(retry.replayed);
    assert_eq!(retry.events, outcome.events);
    assert_eq!(store.head(), head);
}
