//! The customer aggregate: identity, up to 12 dynamic attributes, at most one
//! owner, the public-pool rule (公海池, SPEC C3) and tracking consent (C6).
//!
//! Stream `customer-<uuid>`. Ownership changes only by claim (from the pool),
//! explicit recorded transfer, voluntary release, supervisor recall, or the
//! pool rule at day close. The pool policy is data ([`PoolPolicy`], published
//! on `config-pool-policy`) handed in with each command that needs it, and the
//! resulting deadline is written into the event, so replay never depends on
//! the policy in force later. Knows nothing of leads, routing or storage.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::calendar::moved_by;
use crate::duplicate::{DuplicateCandidate, DuplicateClearance};
use crate::error::{AggregateKind, DomainError, ValueKind};
use crate::event::Event;
use crate::value::{
    ActorId, CompanyName, CustomerAttributes, CustomerId, Email, Phone, RepId, Text,
    UnifiedSocialCreditCode, VisitId,
};

/// How a follow-up happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    Visit,
    Call,
    Meeting,
    Email,
    Message,
}

/// The public-pool parameters, versioned data (event `PoolPolicyPublished`).
///
/// Ownership protection: on claim or transfer the deadline is
/// `owned_since + protection_days`. A qualifying follow-up (by the owner, of a
/// qualifying kind) moves it to `follow_up + extension_days` if later, but
/// never beyond `owned_since + maximum_protection_days`. When a day closes
/// (at local midnight, `day_close_utc_offset_minutes` from UTC) every customer
/// whose deadline has passed returns to the pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolPolicy {
    pub version: u32,
    pub protection_days: u32,
    pub extension_days: u32,
    pub maximum_protection_days: u32,
    pub qualifying_follow_up_kinds: BTreeSet<FollowUpKind>,
    pub day_close_utc_offset_minutes: i32,
}

impl PoolPolicy {
    /// The defaults of SPEC C3: 30 days, extended 30 days per qualifying
    /// follow-up, at most 90 days; visits, calls and meetings qualify; days
    /// close at midnight China Standard Time. Version 1.
    pub fn default_v1() -> Self {
        PoolPolicy {
            version: 1,
            protection_days: 30,
            extension_days: 30,
            maximum_protection_days: 90,
            qualifying_follow_up_kinds: [
                FollowUpKind::Visit,
                FollowUpKind::Call,
                FollowUpKind::Meeting,
            ]
            .into_iter()
            .collect(),
            day_close_utc_offset_minutes: 8 * 60,
        }
    }

    /// Checks the parameters are coherent: what every decision that uses
    /// the policy checks (a policy in the log keeps passing it).
    pub fn validate(&self) -> Result<(), DomainError> {
        let coherent = self.protection_days >= 1
            && self.extension_days >= 1
            && self.maximum_protection_days >= self.protection_days
            && self.maximum_protection_days <= 3650
            && self.day_close_utc_offset_minutes.unsigned_abs() <= 14 * 60;
        if !coherent {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "pool policy needs 1 <= protection_days <= maximum_protection_days <= 3650 and extension_days >= 1",
            ));
        }
        Ok(())
    }

    /// [`PoolPolicy::validate`] and what a policy must meet to be
    /// published from now on: `extension_days` at most 3,650 (a larger one
    /// only reaches past the maximum protection). A policy published before
    /// this bound keeps working: the decisions check `validate` only, and
    /// add its days without overflow.
    pub fn validate_publishable(&self) -> Result<(), DomainError> {
        self.validate()?;
        if self.extension_days > 3650 {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "pool policy needs 1 <= protection_days <= maximum_protection_days <= 3650 and 1 <= extension_days <= 3650",
            ));
        }
        Ok(())
    }

    /// The instant the given local day closes.
    pub fn day_closes_at(&self, day: NaiveDate) -> DateTime<Utc> {
        let next_midnight = day
            .succ_opt()
            .unwrap_or(day)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        moved_by(
            next_midnight,
            -Duration::minutes(i64::from(self.day_close_utc_offset_minutes)),
        )
    }
}

/// Why a customer went back to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolReturnRule {
    /// No qualifying follow-up within the protection period.
    NoFollowUpWithinProtectionPeriod,
    /// Follow-ups kept extending the protection, but the maximum was reached.
    MaximumProtectionPeriodReached,
}

/// The customer's stance on buying, as recorded by a rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStance {
    /// 还在比较 / 再考虑: starts a nurture pack (SPEC C5).
    StillComparing,
    ReadyToBuy,
    NotInterested,
}

/// Who owns a customer and until when the ownership is protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    pub owner: RepId,
    pub owned_since: DateTime<Utc>,
    pub protected_until: DateTime<Utc>,
    pub last_qualifying_follow_up_at: Option<DateTime<Utc>>,
    pub policy_version: u32,
    pub maximum_protected_until: DateTime<Utc>,
}

/// A registered customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRecord {
    pub customer_id: CustomerId,
    pub company_name: CompanyName,
    pub unified_social_credit_code: Option<UnifiedSocialCreditCode>,
    pub phone: Option<Phone>,
    pub contact_email: Option<Email>,
    pub attributes: CustomerAttributes,
}

/// State of one customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub record: Option<CustomerRecord>,
    pub ownership: Option<Ownership>,
    pub tracking_consent_recorded_at: Option<DateTime<Utc>>,
    pub stance: Option<CustomerStance>,
}

// ---- commands ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterCustomer {
    pub customer_id: CustomerId,
    pub company_name: CompanyName,
    pub unified_social_credit_code: Option<UnifiedSocialCreditCode>,
    pub phone: Option<Phone>,
    pub contact_email: Option<Email>,
    pub attributes: CustomerAttributes,
    /// From [`crate::duplicate::DuplicateIndex::clear`] for these keys.
    pub duplicate_clearance: DuplicateClearance,
}

/// Replaces the customer's attributes (at most 12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCustomerAttributes {
    pub attributes: CustomerAttributes,
}

/// A rep claims a customer from the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimCustomer {
    pub rep_id: RepId,
    pub policy: PoolPolicy,
}

/// A confirmed routing (SPEC C2) makes the chosen rep the owner of the
/// lead's customer when it has none (C3): decided by the same rules as a
/// claim (an owned customer is refused with `customer_already_owned`,
/// naming the owner) and recorded as `CustomerClaimed` for the rep, by the
/// supervisor who confirmed the routing. Issued only as the reaction to
/// `RoutingConfirmed` (causation: that event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignFromRouting {
    pub rep_id: RepId,
    pub policy: PoolPolicy,
}

/// A supervisor moves ownership to another rep; the reason is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferCustomer {
    pub to_rep_id: RepId,
    pub transferred_by: ActorId,
    pub reason: Text,
    pub policy: PoolPolicy,
}

/// The owner gives the customer back to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseCustomer {
    pub rep_id: RepId,
}

/// A supervisor recalls a customer to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallCustomerToPool {
    pub recalled_by: ActorId,
    pub reason: Text,
}

/// A rep records a follow-up (a visit, call, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFollowUp {
    pub rep_id: RepId,
    pub kind: FollowUpKind,
    pub occurred_at: DateTime<Utc>,
    pub visit_id: Option<VisitId>,
    pub policy: PoolPolicy,
}

/// Closes a local day: applies the pool rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseDay {
    pub day: NaiveDate,
    pub policy: PoolPolicy,
}

/// The customer's contact agreed to link-open tracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTrackingConsent {
    pub consent_text: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawTrackingConsent {}

/// Records the customer's stance (e.g. 还在比较).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCustomerStance {
    pub stance: CustomerStance,
    pub recorded_by: ActorId,
    pub visit_id: Option<VisitId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerCommand {
    Register(RegisterCustomer),
    SetAttributes(SetCustomerAttributes),
    Claim(ClaimCustomer),
    AssignFromRouting(AssignFromRouting),
    Transfer(TransferCustomer),
    Release(ReleaseCustomer),
    RecallToPool(RecallCustomerToPool),
    RecordFollowUp(RecordFollowUp),
    CloseDay(CloseDay),
    RecordTrackingConsent(RecordTrackingConsent),
    WithdrawTrackingConsent(WithdrawTrackingConsent),
    RecordStance(RecordCustomerStance),
}

// ---- events ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRegistered {
    pub customer_id: CustomerId,
    pub company_name: CompanyName,
    pub unified_social_credit_code: Option<UnifiedSocialCreditCode>,
    pub phone: Option<Phone>,
    pub contact_email: Option<Email>,
    pub attributes: CustomerAttributes,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerAttributesSet {
    pub customer_id: CustomerId,
    pub attributes: CustomerAttributes,
    pub set_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerClaimed {
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub claimed_at: DateTime<Utc>,
    pub protected_until: DateTime<Utc>,
    pub maximum_protected_until: DateTime<Utc>,
    pub policy_version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerTransferred {
    pub customer_id: CustomerId,
    pub from_rep_id: Option<RepId>,
    pub to_rep_id: RepId,
    pub transferred_by: ActorId,
    pub reason: Text,
    pub transferred_at: DateTime<Utc>,
    pub protected_until: DateTime<Utc>,
    pub maximum_protected_until: DateTime<Utc>,
    pub policy_version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerReleased {
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub released_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRecalledToPool {
    pub customer_id: CustomerId,
    pub previous_owner: RepId,
    pub recalled_by: ActorId,
    pub reason: Text,
    pub recalled_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerReturnedToPool {
    pub customer_id: CustomerId,
    pub previous_owner: RepId,
    pub rule: PoolReturnRule,
    pub policy_version: u32,
    pub protected_until: DateTime<Utc>,
    pub last_qualifying_follow_up_at: Option<DateTime<Utc>>,
    pub day_closed: NaiveDate,
    pub returned_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRecorded {
    pub customer_id: CustomerId,
    pub rep_id: RepId,
    pub kind: FollowUpKind,
    pub occurred_at: DateTime<Utc>,
    pub visit_id: Option<VisitId>,
    /// Whether it extended the owner's protection (owner, qualifying kind).
    pub qualifying: bool,
    /// The protection deadline after this follow-up, when it qualifies.
    pub protected_until: Option<DateTime<Utc>>,
    pub policy_version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingConsentRecorded {
    pub customer_id: CustomerId,
    pub consent_text: Text,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingConsentWithdrawn {
    pub customer_id: CustomerId,
    pub withdrawn_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerStanceRecorded {
    pub customer_id: CustomerId,
    pub stance: CustomerStance,
    pub recorded_by: ActorId,
    pub visit_id: Option<VisitId>,
    pub recorded_at: DateTime<Utc>,
}

fn protection_deadlines(
    policy: &PoolPolicy,
    owned_since: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        moved_by(
            owned_since,
            Duration::days(i64::from(policy.protection_days)),
        ),
        moved_by(
            owned_since,
            Duration::days(i64::from(policy.maximum_protection_days)),
        ),
    )
}

impl Customer {
    fn record(&self) -> Result<&CustomerRecord, DomainError> {
        self.record.as_ref().ok_or(DomainError::NotFound {
            aggregate: AggregateKind::Customer,
        })
    }

    pub fn owner(&self) -> Option<RepId> {
        self.ownership.as_ref().map(|ownership| ownership.owner)
    }
}

impl crate::business_time::BusinessTimes for CustomerCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        use crate::business_time::BusinessTime;
        match self {
            CustomerCommand::Register(RegisterCustomer {
                customer_id: _,
                company_name: _,
                unified_social_credit_code: _,
                phone: _,
                contact_email: _,
                attributes: _,
                duplicate_clearance: _,
            })
            | CustomerCommand::SetAttributes(SetCustomerAttributes { attributes: _ })
            | CustomerCommand::Claim(ClaimCustomer {
                rep_id: _,
                policy: _,
            })
            | CustomerCommand::AssignFromRouting(AssignFromRouting {
                rep_id: _,
                policy: _,
            })
            | CustomerCommand::Transfer(TransferCustomer {
                to_rep_id: _,
                transferred_by: _,
                reason: _,
                policy: _,
            })
            | CustomerCommand::Release(ReleaseCustomer { rep_id: _ })
            | CustomerCommand::RecallToPool(RecallCustomerToPool {
                recalled_by: _,
                reason: _,
            })
            // The day's close is derived from `day` and the policy.
            | CustomerCommand::CloseDay(CloseDay { day: _, policy: _ })
            | CustomerCommand::RecordTrackingConsent(RecordTrackingConsent { consent_text: _ })
            | CustomerCommand::WithdrawTrackingConsent(WithdrawTrackingConsent {})
            | CustomerCommand::RecordStance(RecordCustomerStance {
                stance: _,
                recorded_by: _,
                visit_id: _,
            }) => Vec::new(),
            CustomerCommand::RecordFollowUp(RecordFollowUp {
                rep_id: _,
                kind: _,
                occurred_at,
                visit_id: _,
                policy: _,
            }) => vec![BusinessTime::new("occurred_at", *occurred_at)],
        }
    }
}

impl Aggregate for Customer {
    type Command = CustomerCommand;

    fn command_kind(command: &CustomerCommand) -> crate::role::CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::CustomerRegistered(registered) => {
                self.record = Some(CustomerRecord {
                    customer_id: registered.customer_id,
                    company_name: registered.company_name.clone(),
                    unified_social_credit_code: registered.unified_social_credit_code.clone(),
                    phone: registered.phone.clone(),
                    contact_email: registered.contact_email.clone(),
                    attributes: registered.attributes.clone(),
                });
            }
            Event::CustomerAttributesSet(set) => {
                if let Some(record) = self.record.as_mut() {
                    record.attributes = set.attributes.clone();
                }
            }
            Event::CustomerClaimed(claimed) => {
                self.ownership = Some(Ownership {
                    owner: claimed.rep_id,
                    owned_since: claimed.claimed_at,
                    protected_until: claimed.protected_until,
                    last_qualifying_follow_up_at: None,
                    policy_version: claimed.policy_version,
                    maximum_protected_until: claimed.maximum_protected_until,
                });
            }
            Event::CustomerTransferred(transferred) => {
                self.ownership = Some(Ownership {
                    owner: transferred.to_rep_id,
                    owned_since: transferred.transferred_at,
                    protected_until: transferred.protected_until,
                    last_qualifying_follow_up_at: None,
                    policy_version: transferred.policy_version,
                    maximum_protected_until: transferred.maximum_protected_until,
                });
            }
            Event::CustomerReleased(_)
            | Event::CustomerRecalledToPool(_)
            | Event::CustomerReturnedToPool(_) => {
                self.ownership = None;
            }
            Event::FollowUpRecorded(follow_up) => {
                if let (Some(ownership), Some(protected_until)) =
                    (self.ownership.as_mut(), follow_up.protected_until)
                {
                    if follow_up.qualifying {
                        ownership.protected_until = protected_until;
                        ownership.last_qualifying_follow_up_at = Some(follow_up.occurred_at);
                    }
                }
            }
            Event::TrackingConsentRecorded(recorded) => {
                self.tracking_consent_recorded_at = Some(recorded.recorded_at);
            }
            Event::TrackingConsentWithdrawn(_) => {
                self.tracking_consent_recorded_at = None;
            }
            Event::CustomerStanceRecorded(recorded) => {
                self.stance = Some(recorded.stance);
            }
            _ => {}
        }
    }

    fn decide(
        &self,
        command: CustomerCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            CustomerCommand::Register(register) => {
                if self.record.is_some() {
                    return Err(DomainError::AlreadyExists {
                        aggregate: AggregateKind::Customer,
                    });
                }
                let candidate = DuplicateCandidate {
                    company_name: &register.company_name,
                    unified_social_credit_code: register.unified_social_credit_code.as_ref(),
                    phone: register.phone.as_ref(),
                    linked_customer: None,
                };
                if !register.duplicate_clearance.covers(&candidate) {
                    return Err(DomainError::DuplicateClearanceMismatch);
                }
                Ok(vec![Event::CustomerRegistered(CustomerRegistered {
                    customer_id: register.customer_id,
                    company_name: register.company_name,
                    unified_social_credit_code: register.unified_social_credit_code,
                    phone: register.phone,
                    contact_email: register.contact_email,
                    attributes: register.attributes,
                    registered_at: now,
                })])
            }
            CustomerCommand::SetAttributes(set) => {
                let record = self.record()?;
                if record.attributes == set.attributes {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::CustomerAttributesSet(CustomerAttributesSet {
                    customer_id: record.customer_id,
                    attributes: set.attributes,
                    set_at: now,
                })])
            }
            CustomerCommand::AssignFromRouting(assign) => self.decide(
                CustomerCommand::Claim(ClaimCustomer {
                    rep_id: assign.rep_id,
                    policy: assign.policy,
                }),
                now,
            ),
            CustomerCommand::Claim(claim) => {
                let record = self.record()?;
                claim.policy.validate()?;
                if let Some(ownership) = &self.ownership {
                    return Err(DomainError::CustomerAlreadyOwned {
                        customer_id: record.customer_id,
                        owner: ownership.owner,
                    });
                }
                let (protected_until, maximum_protected_until) =
                    protection_deadlines(&claim.policy, now);
                Ok(vec![Event::CustomerClaimed(CustomerClaimed {
                    customer_id: record.customer_id,
                    rep_id: claim.rep_id,
                    claimed_at: now,
                    protected_until,
                    maximum_protected_until,
                    policy_version: claim.policy.version,
                })])
            }
            CustomerCommand::Transfer(transfer) => {
                let record = self.record()?;
                transfer.policy.validate()?;
                let from_rep_id = self.owner();
                if from_rep_id == Some(transfer.to_rep_id) {
                    return Err(DomainError::TransferToCurrentOwner {
                        rep_id: transfer.to_rep_id,
                    });
                }
                let (protected_until, maximum_protected_until) =
                    protection_deadlines(&transfer.policy, now);
                Ok(vec![Event::CustomerTransferred(CustomerTransferred {
                    customer_id: record.customer_id,
                    from_rep_id,
                    to_rep_id: transfer.to_rep_id,
                    transferred_by: transfer.transferred_by,
                    reason: transfer.reason,
                    transferred_at: now,
                    protected_until,
                    maximum_protected_until,
                    policy_version: transfer.policy.version,
                })])
            }
            CustomerCommand::Release(release) => {
                let record = self.record()?;
                let owner = self.owner();
                if owner != Some(release.rep_id) {
                    return Err(DomainError::NotCustomerOwner {
                        rep_id: release.rep_id,
                        owner,
                    });
                }
                Ok(vec![Event::CustomerReleased(CustomerReleased {
                    customer_id: record.customer_id,
                    rep_id: release.rep_id,
                    released_at: now,
                })])
            }
            CustomerCommand::RecallToPool(recall) => {
                let record = self.record()?;
                let previous_owner = self.owner().ok_or(DomainError::CustomerNotOwned {
                    customer_id: record.customer_id,
                })?;
                Ok(vec![Event::CustomerRecalledToPool(
                    CustomerRecalledToPool {
                        customer_id: record.customer_id,
                        previous_owner,
                        recalled_by: recall.recalled_by,
                        reason: recall.reason,
                        recalled_at: now,
                    },
                )])
            }
            CustomerCommand::RecordFollowUp(follow_up) => {
                let record = self.record()?;
                follow_up.policy.validate()?;
                if follow_up.occurred_at > now {
                    return Err(DomainError::OccursInFuture {
                        what: "follow-up",
                        occurred_at: follow_up.occurred_at,
                        now,
                    });
                }
                // Within the protection period only (C3): a follow-up after
                // it ran out does not bring it back, however late the day
                // close that returns the customer runs.
                let qualifying_ownership = self.ownership.as_ref().filter(|ownership| {
                    ownership.owner == follow_up.rep_id
                        && follow_up.occurred_at >= ownership.owned_since
                        && follow_up.occurred_at <= ownership.protected_until
                        && follow_up
                            .policy
                            .qualifying_follow_up_kinds
                            .contains(&follow_up.kind)
                });
                let protected_until = qualifying_ownership.map(|ownership| {
                    let extended = moved_by(
                        follow_up.occurred_at,
                        Duration::days(i64::from(follow_up.policy.extension_days)),
                    );
                    extended.max(ownership.protected_until).min(
                        ownership
                            .maximum_protected_until
                            .max(ownership.protected_until),
                    )
                });
                Ok(vec![Event::FollowUpRecorded(FollowUpRecorded {
                    customer_id: record.customer_id,
                    rep_id: follow_up.rep_id,
                    kind: follow_up.kind,
                    occurred_at: follow_up.occurred_at,
                    visit_id: follow_up.visit_id,
                    qualifying: protected_until.is_some(),
                    protected_until,
                    policy_version: follow_up.policy.version,
                })])
            }
            CustomerCommand::CloseDay(close) => {
                let record = self.record()?;
                close.policy.validate()?;
                let day_closes_at = close.policy.day_closes_at(close.day);
                if now < day_closes_at {
                    return Err(DomainError::DayNotClosedYet { day: close.day });
                }
                let Some(ownership) = &self.ownership else {
                    return Ok(Vec::new());
                };
                if ownership.protected_until > day_closes_at {
                    return Ok(Vec::new());
                }
                let rule = if ownership.last_qualifying_follow_up_at.is_some()
                    && ownership.protected_until >= ownership.maximum_protected_until
                {
                    PoolReturnRule::MaximumProtectionPeriodReached
                } else {
                    PoolReturnRule::NoFollowUpWithinProtectionPeriod
                };
                Ok(vec![Event::CustomerReturnedToPool(
                    CustomerReturnedToPool {
                        customer_id: record.customer_id,
                        previous_owner: ownership.owner,
                        rule,
                        policy_version: close.policy.version,
                        protected_until: ownership.protected_until,
                        last_qualifying_follow_up_at: ownership.last_qualifying_follow_up_at,
                        day_closed: close.day,
                        returned_at: now,
                    },
                )])
            }
            CustomerCommand::RecordTrackingConsent(consent) => {
                let record = self.record()?;
                Ok(vec![Event::TrackingConsentRecorded(
                    TrackingConsentRecorded {
                        customer_id: record.customer_id,
                        consent_text: consent.consent_text,
                        recorded_at: now,
                    },
                )])
            }
            CustomerCommand::WithdrawTrackingConsent(WithdrawTrackingConsent {}) => {
                let record = self.record()?;
                if self.tracking_consent_recorded_at.is_none() {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::TrackingConsentWithdrawn(
                    TrackingConsentWithdrawn {
                        customer_id: record.customer_id,
                        withdrawn_at: now,
                    },
                )])
            }
            CustomerCommand::RecordStance(stance) => {
                let record = self.record()?;
                Ok(vec![Event::CustomerStanceRecorded(
                    CustomerStanceRecorded {
                        customer_id: record.customer_id,
                        stance: stance.stance,
                        recorded_by: stance.recorded_by,
                        visit_id: stance.visit_id,
                        recorded_at: now,
                    },
                )])
            }
        }
    }
}
