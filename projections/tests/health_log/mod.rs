//! A hand-built event log for the health and risk tests.
//!
//! Events are written as JSON payloads (the catalogue's field names, see
//! domain/EVENTS.md), decoded by the domain (so every value is checked) and
//! re-encoded at their current schema version into `RecordedEvent`s with
//! consecutive positions. `close_day` does what the command layer's
//! day-close process manager does: `DayClosed`, then for every account the
//! domain's own `EvaluateHealth` decision (under the policy in force and
//! with the customer's owner), whose events are appended too. So the
//! process events in these logs (level changes, call-back tasks, freezes,
//! success cases) are the domain's, not hand-written.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use salesledger_domain::account::{Account, AccountCommand};
use salesledger_domain::customer::PoolPolicy;
use salesledger_domain::health::HealthPolicy;
use salesledger_domain::value::{CustomerId, RepId};
use salesledger_domain::{Aggregate, Event};
use salesledger_store::{CanonicalJson, Hash32, RecordedEvent};
use serde_json::{json, Value};
use uuid::Uuid;

/// A customer id from a small number.
pub fn customer(n: u128) -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0x0000_2000 + n))
}

/// A rep id from a small number.
pub fn rep(n: u128) -> RepId {
    RepId::from_uuid(Uuid::from_u128(0x0000_1000 + n))
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// The log being built.
#[derive(Default)]
pub struct Log {
    pub records: Vec<RecordedEvent>,
    accounts: BTreeMap<CustomerId, Account>,
    owners: BTreeMap<CustomerId, RepId>,
    policy: Option<HealthPolicy>,
}

impl Log {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event given as `(type, payload)`; returns its position.
    pub fn event(&mut self, event_type: &str, payload: Value) -> u64 {
        let event = salesledger_domain::decode(event_type, 1, payload.clone())
            .or_else(|_| salesledger_domain::decode(event_type, 2, payload))
            .unwrap_or_else(|error| panic!("{event_type} does not decode: {error}"));
        self.push(&event)
    }

    /// Appends a domain event; returns its position.
    pub fn push(&mut self, event: &Event) -> u64 {
        let encoded = salesledger_domain::encode(event).expect("event encodes");
        let position = self.records.len() as u64;
        let stream_id = event.stream_id();
        let stream_version = self
            .records
            .iter()
            .filter(|record| record.stream_id == stream_id)
            .count() as u64;
        self.records.push(RecordedEvent {
            position,
            event_id: Uuid::from_u128(
                0x0190_0000_0000_0000_0000_0000_0000_0000 + u128::from(position),
            ),
            stream_id,
            stream_version,
            event_type: encoded.event_type.to_owned(),
            schema_version: encoded.schema_version,
            // Never read for decisions: a fixed, increasing time.
            recorded_at: at("2027-01-01T00:00:00Z") + Duration::seconds(position as i64),
            actor: "integrator:test".to_owned(),
            command_id: Uuid::nil(),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            payload: CanonicalJson::from_value(&encoded.payload),
            prev_hash: Hash32::ZERO,
            hash: Hash32::ZERO,
        });
        match event {
            Event::HealthPolicyPublished(published) => self.policy = Some(published.policy.clone()),
            Event::CustomerClaimed(claimed) => {
                self.owners.insert(claimed.customer_id, claimed.rep_id);
            }
            _ => {}
        }
        if let Some(customer_id) = account_customer(event) {
            self.accounts.entry(customer_id).or_default().apply(event);
        }
        position
    }

    /// `RepRegistered` with a region.
    pub fn rep(&mut self, rep_id: RepId, region: &str) -> u64 {
        self.event(
            "RepRegistered",
            json!({
                "rep_id": rep_id, "display_name": format!("rep {rep_id}"), "region": region,
                "capability_tags": ["iso13485", "plc-retrofit", "tier3-hospital-his"],
                "registered_at": "2027-01-01T00:00:00Z"
            }),
        )
    }

    /// `CustomerRegistered` with a company name and optional region attribute.
    pub fn customer(
        &mut self,
        customer_id: CustomerId,
        company: &str,
        region: Option<&str>,
    ) -> u64 {
        let attributes = match region {
            Some(region) => json!({ "industry": "制造", "region": region }),
            None => json!({ "industry": "制造" }),
        };
        self.event(
            "CustomerRegistered",
            json!({
                "customer_id": customer_id, "company_name": company,
                "unified_social_credit_code": null, "phone": null, "contact_email": null,
                "attributes": attributes, "registered_at": "2027-01-01T00:00:00Z"
            }),
        )
    }

    /// `CustomerClaimed` by a rep.
    pub fn claim(&mut self, customer_id: CustomerId, rep_id: RepId) -> u64 {
        self.event(
            "CustomerClaimed",
            json!({
                "customer_id": customer_id, "rep_id": rep_id,
                "claimed_at": "2027-01-01T00:00:00Z",
                "protected_until": "2027-01-31T00:00:00Z",
                "maximum_protected_until": "2027-04-01T00:00:00Z",
                "policy_version": 1
            }),
        )
    }

    /// `UsageReported`: `active_days` consecutive days with one login each,
    /// ending on `last_day`, carrying `calls` key-feature calls in total
    /// (spread as evenly as integers allow, the rest on the last day).
    pub fn usage(
        &mut self,
        customer_id: CustomerId,
        last_day: NaiveDate,
        active_days: u32,
        calls: u32,
        modules: &[&str],
    ) -> u64 {
        assert!((1..=31).contains(&active_days));
        let per_day = calls / active_days;
        let days: Vec<Value> = (0..active_days)
            .map(|offset| {
                let day = last_day - Duration::days(i64::from(active_days - 1 - offset));
                let extra = if offset == active_days - 1 {
                    calls % active_days
                } else {
                    0
                };
                json!({ "day": day, "logins": 1, "key_feature_calls": per_day + extra })
            })
            .collect();
        let last_login = last_day.and_hms_opt(1, 30, 0).expect("time").and_utc();
        self.event(
            "UsageReported",
            json!({
                "customer_id": customer_id, "days": days, "modules_used": modules,
                "last_login_at": last_login, "reported_at": last_login
            }),
        )
    }

    /// A ticket opened and, when `resolution_seconds` is given, resolved
    /// that many seconds later.
    pub fn ticket(
        &mut self,
        customer_id: CustomerId,
        ticket_ref: &str,
        opened_at: DateTime<Utc>,
        resolution_seconds: Option<i64>,
    ) -> u64 {
        let mut position = self.event(
            "SupportTicketOpened",
            json!({
                "customer_id": customer_id, "ticket_ref": ticket_ref,
                "subject": null, "opened_at": opened_at
            }),
        );
        if let Some(seconds) = resolution_seconds {
            position = self.event(
                "SupportTicketResolved",
                json!({
                    "customer_id": customer_id, "ticket_ref": ticket_ref,
                    "opened_at": opened_at,
                    "resolved_at": opened_at + Duration::seconds(seconds),
                    "resolution_seconds": seconds
                }),
            );
        }
        position
    }

    pub fn renewal(&mut self, customer_id: CustomerId, renewal_on: NaiveDate, plan: &str) -> u64 {
        self.event(
            "RenewalDateSet",
            json!({
                "customer_id": customer_id, "renewal_on": renewal_on, "plan": plan,
                "set_at": "2027-01-02T00:00:00Z"
            }),
        )
    }

    pub fn reference(
        &mut self,
        customer_id: CustomerId,
        reference_ref: &str,
        on: NaiveDate,
    ) -> u64 {
        self.event(
            "SuccessReferenceRecorded",
            json!({
                "customer_id": customer_id, "reference_ref": reference_ref,
                "title": "案例", "referenced_on": on, "recorded_at": "2027-01-02T00:00:00Z"
            }),
        )
    }

    pub fn keywords(
        &mut self,
        customer_id: CustomerId,
        searches: &[(&str, NaiveDate, u32)],
    ) -> u64 {
        let searches: Vec<Value> = searches
            .iter()
            .map(|(keyword, on, count)| json!({ "keyword": keyword, "searched_on": on, "count": count }))
            .collect();
        self.event(
            "CompetitorKeywordsSearched",
            json!({
                "customer_id": customer_id, "searches": searches,
                "recorded_at": "2027-01-02T00:00:00Z"
            }),
        )
    }

    /// Publishes a health policy.
    pub fn publish(&mut self, policy: &HealthPolicy) -> u64 {
        self.event(
            "HealthPolicyPublished",
            json!({
                "policy": policy, "published_by": "cto-zhao",
                "published_at": "2027-01-02T00:00:00Z"
            }),
        )
    }

    /// The day close: `DayClosed`, then every account's `EvaluateHealth`
    /// decided by the domain (as the command layer does). Returns the
    /// position of `DayClosed`.
    pub fn close_day(&mut self, day: NaiveDate) -> u64 {
        let closes_at = PoolPolicy::default_v1().day_closes_at(day);
        let position = self.event(
            "DayClosed",
            json!({ "day": day, "closes_at": closes_at, "closed_at": closes_at }),
        );
        let policy = self.policy.clone().unwrap_or_else(HealthPolicy::default_v1);
        let accounts: Vec<CustomerId> = self.accounts.keys().copied().collect();
        for customer_id in accounts {
            let command = AccountCommand::EvaluateHealth {
                customer_id,
                day,
                closes_at,
                policy: policy.clone(),
                owner: self.owners.get(&customer_id).copied(),
            };
            let events = self.accounts[&customer_id]
                .decide(command, closes_at)
                .expect("evaluation decides");
            for event in &events {
                self.push(event);
            }
        }
        position
    }

    /// Decides an account command at `now` and appends its events.
    pub fn account(&mut self, command: AccountCommand, now: DateTime<Utc>) -> Vec<u64> {
        let customer_id = command.customer_id();
        let events = self
            .accounts
            .entry(customer_id)
            .or_default()
            .decide(command, now)
            .expect("account command decides");
        events.iter().map(|event| self.push(event)).collect()
    }

    /// The domain's account state.
    pub fn account_state(&self, customer_id: CustomerId) -> Option<&Account> {
        self.accounts.get(&customer_id)
    }
}

fn account_customer(event: &Event) -> Option<CustomerId> {
    Some(match event {
        Event::UsageReported(event) => event.customer_id,
        Event::SupportTicketOpened(event) => event.customer_id,
        Event::SupportTicketResolved(event) => event.customer_id,
        Event::RenewalDateSet(event) => event.customer_id,
        Event::SuccessReferenceRecorded(event) => event.customer_id,
        Event::CompetitorKeywordsSearched(event) => event.customer_id,
        Event::CallbackTaskMissed(event) => event.customer_id,
        Event::HealthLevelChanged(event) => event.customer_id,
        Event::SuccessCasePushed(event) => event.customer_id,
        Event::CallbackTaskCreated(event) => event.customer_id,
        Event::RenewalQuotingFrozen(event) => event.customer_id,
        Event::CallbackTaskCompleted(event) => event.customer_id,
        Event::RescuePlanSubmitted(event) => event.customer_id,
        Event::RescuePlanApproved(event) => event.customer_id,
        Event::RenewalQuotingUnfrozen(event) => event.customer_id,
        Event::RenewalQuoted(event) => event.customer_id,
        _ => return None,
    })
}
