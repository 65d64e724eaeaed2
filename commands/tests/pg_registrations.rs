//! Registrations across processes: two `CommandService`s, each on its own
//! `PgStore` (its own pool, LISTEN connection and writer: two gateway
//! processes in all but the address space) over one PostgreSQL log, race
//! registrations of one company. The log-wide registration lock
//! (`Store::registration_lock`, a session advisory lock) lets exactly one
//! through; the others meet the first in the duplicate index.
//!
//! Runs when `SALESLEDGER_PG_URL` is set (a fresh schema per run, dropped
//! afterwards); otherwise prints one line saying it was skipped.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use salesledger_commands::{CommandError, CommandMeta, CommandService, Principal};
use salesledger_domain::customer::{Customer, CustomerCommand, RegisterCustomer};
use salesledger_domain::duplicate::DuplicateCandidate;
use salesledger_domain::stream::customer_stream_id;
use salesledger_domain::value::{ActorId, CompanyName, CustomerAttributes, CustomerId};
use salesledger_domain::{CommandKind, DomainError, Role};
use salesledger_store::{verify_log, PgStore, Store};
use uuid::Uuid;

const PG_URL_VAR: &str = "SALESLEDGER_PG_URL";

fn main() {
    let Ok(url) = std::env::var(PG_URL_VAR) else {
        eprintln!(
            "pg_registrations: PostgreSQL tests SKIPPED ({PG_URL_VAR} is not set); run them with \
             `{PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/test cargo test -p salesledger-commands --test pg_registrations`"
        );
        return;
    };
    if std::env::args().skip(1).any(|arg| arg == "--list") {
        println!("registrations_across_two_processes_let_exactly_one_through: test");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!("\nrunning 1 PostgreSQL test");
    let schema = format!("sl_test_{}", Uuid::now_v7().simple());
    let result = runtime.block_on(async {
        let outcome = tokio::spawn(race(url.clone(), schema.clone())).await;
        drop_schema(&url, &schema).await;
        outcome
    });
    let ok = result.is_ok();
    println!(
        "test registrations_across_two_processes_let_exactly_one_through ... {}",
        if ok { "ok" } else { "FAILED" }
    );
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if ok { "ok" } else { "FAILED" },
        u8::from(ok),
        u8::from(!ok)
    );
    if !ok {
        std::process::exit(1);
    }
}

fn meta() -> CommandMeta {
    CommandMeta::new(
        Principal {
            actor: ActorId::parse("zhang.min").expect("actor"),
            role: Role::Supervisor,
        },
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
            .single()
            .expect("time"),
    )
}

async fn register(service: Arc<CommandService>, name: String) -> Result<CustomerId, CommandError> {
    let customer_id = CustomerId::from_uuid(Uuid::now_v7());
    let company_name = CompanyName::parse(&name).expect("name");
    let attributes = CustomerAttributes::parse(&[("industry", "medical devices")]).expect("attrs");
    service
        .execute_with_registry::<Customer, CommandError>(
            &meta(),
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

async fn race(url: String, schema: String) {
    let connect = || async {
        let store: Arc<dyn Store> = Arc::new(
            PgStore::connect(&url, Some(&schema))
                .await
                .expect("connect to PostgreSQL"),
        );
        Arc::new(CommandService::new(store))
    };
    let (service_a, service_b) = (connect().await, connect().await);
    // Three rounds, each a fresh company raced by 12 registrations (with
    // spelling variants the duplicate index folds), 6 per process.
    let variants = [
        "远景传感科技有限公司",
        "远景传感科技 有限公司",
        "远景传感科技股份有限公司",
    ];
    for (round, city) in ["杭州", "宁波", "苏州"].into_iter().enumerate() {
        let mut tasks = Vec::new();
        for idx in 0..12 {
            let service = if idx % 2 == 0 {
                service_a.clone()
            } else {
                service_b.clone()
            };
            let name = format!("{city}{}", variants[idx % variants.len()]);
            tasks.push(tokio::spawn(register(service, name)));
        }
        let (mut n_registered, mut n_duplicates) = (0, 0);
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => n_registered += 1,
                Err(CommandError::Domain(DomainError::DuplicateRecord { .. })) => n_duplicates += 1,
                Err(error) => panic!("unexpected: {error}"),
            }
        }
        assert_eq!(
            (n_registered, n_duplicates),
            (1, 11),
            "round {round}: exactly one registration of the company"
        );
    }
    let store = service_b.store().clone();
    let mut head = store.watch_head();
    let target = service_a.store().head().len;
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while head.borrow_and_update().len < target {
            head.changed().await.expect("open");
        }
    })
    .await
    .expect("B sees every registration");
    let records = store.read_all(0, 1000).await.expect("read");
    let n_registrations = records
        .iter()
        .filter(|record| record.event_type == "CustomerRegistered")
        .count();
    assert_eq!(n_registrations, 3, "one record per company in the log");
    let report = verify_log(&*store, |_, _| {}).await.expect("verify");
    assert_eq!(report.failure, None);
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
