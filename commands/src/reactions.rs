//! Reactions: commands that follow from events in the log.
//!
//! - SPEC C3: a logged visit is a follow-up on its customer, which extends
//!   the owner's protection period (`visit::follow_up_for`), issued on
//!   behalf of the rep who logged it.
//! - SPEC C5: a customer recorded as "still comparing" (还在比较 / 再考虑)
//!   starts a nurture pack (`nurture::nurture_trigger`), issued by the
//!   `process-manager` actor. The pack's id is derived from the triggering
//!   event's id (UUID v5), so the same trigger can never start two packs.
//!
//! - SPEC C2 then C3: a confirmed routing makes the chosen rep the owner
//!   of the lead's customer when it has none (`AssignFromRouting`, decided
//!   like a claim), issued on behalf of the supervisor who confirmed it. An
//!   owned customer is left as is: the reaction is refused with
//!   `customer_already_owned` naming the owner, and the confirmation's
//!   answer lists it under `refused_reactions`.
//!
//! Which events call for which reactions is decided in one place,
//! [`reactions_called_for`], shared by the two paths that issue them:
//!
//! 1. **Inline**: the pipeline issues a command's reactions right after its
//!    events are durable, so the answer lists them (`reactions`). When a
//!    reaction cannot be decided there (the customer kept changing under
//!    it, the store failed), the answer names the trigger in
//!    `pending_reactions` instead of silently leaving it out.
//! 2. **The reaction process manager** ([`crate::process_manager`]) follows
//!    the log from its own durable checkpoint and makes sure every
//!    trigger's reactions are decided (applied, or refused for a domain
//!    reason), including after a crash between a trigger and its reaction.
//!
//! Every reaction command carries the store idempotency key
//! [`reaction_idempotency_key`] (`reaction:<trigger event id>:<n>`,
//! whichever path issues it and whether or not the client sent an
//! `Idempotency-Key`), so the two paths can never both append it. Each
//! reaction records the triggering event as its causation and keeps the
//! trigger's correlation id. A refused reaction does not undo its trigger.

use chrono::{DateTime, Utc};
use salesledger_domain::config::Config;
use salesledger_domain::customer::PoolPolicy;
use salesledger_domain::customer::{AssignFromRouting, Customer, CustomerCommand};
use salesledger_domain::nurture::{
    nurture_trigger, NurtureCommand, NurturePack, NurtureTrigger, StartNurturePack,
};
use salesledger_domain::stream::{
    customer_stream_id, nurture_stream_id, CONFIG_NURTURE_STREAM, CONFIG_POOL_POLICY_STREAM,
};
use salesledger_domain::value::{ActorId, CustomerId, LeadId, NurturePackId, RepId};
use salesledger_domain::visit::VisitLogged;
use salesledger_domain::Aggregate;
use salesledger_domain::{decode, Event, Role};
use uuid::Uuid;

use crate::error::decode_record;
use crate::error::CommandError;
pub use crate::pipeline::{reaction_idempotency_key, RefusedReaction};
use crate::pipeline::{CommandMeta, CommandOutcome, CommandService, EventSummary, Principal};

/// Namespace of the UUID v5 ids of packs started by reactions.
const NURTURE_PACK_NAMESPACE: Uuid = Uuid::from_u128(0x5a1e_51ed_9e7d_4c0b_a11e_d9e7_7a0c_0001);

/// The actor nurture packs are started as.
pub const PROCESS_MANAGER_ACTOR: &str = "process-manager";

/// A reaction an event calls for, known from the event alone.
#[derive(Clone, Debug, PartialEq)]
pub enum ReactionCall {
    /// A logged visit is a follow-up on its customer (C3).
    FollowUp { visit: VisitLogged },
    /// "Still comparing" starts a nurture pack (C5).
    StartNurture {
        customer_id: CustomerId,
        trigger: NurtureTrigger,
        pack_id: NurturePackId,
    },
    /// A confirmed routing assigns the lead's customer to the chosen rep
    /// when it has no owner (C2, C3).
    AssignOwner {
        lead_id: LeadId,
        customer_id: CustomerId,
        rep_id: RepId,
    },
}

impl ReactionCall {
    /// The stream the reaction's command is decided on.
    pub fn stream_id(&self) -> String {
        match self {
            ReactionCall::FollowUp { visit } => customer_stream_id(visit.customer_id),
            ReactionCall::StartNurture { pack_id, .. } => nurture_stream_id(*pack_id),
            ReactionCall::AssignOwner { customer_id, .. } => customer_stream_id(*customer_id),
        }
    }

    /// A stable name, as outcomes show it.
    pub fn name(&self) -> &'static str {
        match self {
            ReactionCall::FollowUp { .. } => "follow_up",
            ReactionCall::StartNurture { .. } => "nurture_pack",
            ReactionCall::AssignOwner { .. } => "routing_owner",
        }
    }

    /// The earliest `now` the trigger was decided at: a visit is refused
    /// when it occurs in the future, so its command's clock read at least
    /// its `occurred_at`. The process manager decides no earlier than this.
    pub fn decided_no_earlier_than(&self) -> Option<DateTime<Utc>> {
        match self {
            ReactionCall::FollowUp { visit } => Some(visit.occurred_at),
            ReactionCall::StartNurture { .. } | ReactionCall::AssignOwner { .. } => None,
        }
    }
}

/// The reactions `event` (whose id is `event_id`) calls for, in order; the
/// position in this list is the reaction's index in its idempotency key.
/// The one copy of the rules, used inline and by the process manager.
pub fn reactions_called_for(event: &Event, event_id: Uuid) -> Vec<ReactionCall> {
    let mut calls = Vec::new();
    if let Event::VisitLogged(logged) = event {
        calls.push(ReactionCall::FollowUp {
            visit: logged.clone(),
        });
    }
    if let Event::RoutingConfirmed(confirmed) = event {
        if let Some(customer_id) = confirmed.customer_id {
            calls.push(ReactionCall::AssignOwner {
                lead_id: confirmed.lead_id,
                customer_id,
                rep_id: confirmed.rep_id,
            });
        }
    }
    if let Some((customer_id, trigger)) = nurture_trigger(event) {
        calls.push(ReactionCall::StartNurture {
            customer_id,
            trigger,
            pack_id: NurturePackId::from_uuid(Uuid::new_v5(
                &NURTURE_PACK_NAMESPACE,
                event_id.as_bytes(),
            )),
        });
    }
    calls
}

/// A reaction ready to issue, or refused before a command could be built
/// (no nurture template is published).
pub(crate) enum Prepared {
    Issue(Reaction),
    Refused { code: &'static str, message: String },
}

/// One command a reaction issues.
pub(crate) enum Reaction {
    FollowUp {
        stream_id: String,
        command: CustomerCommand,
        principal: Principal,
    },
    StartNurture {
        stream_id: String,
        command: NurtureCommand,
    },
    AssignOwner {
        stream_id: String,
        command: CustomerCommand,
        principal: Principal,
    },
}

/// Who issues a trigger's reaction: a follow-up on behalf of `trigger_actor`
/// (the caller who logged the visit), a nurture pack as `process-manager`.
pub(crate) fn process_manager() -> Result<Principal, CommandError> {
    Ok(Principal {
        actor: ActorId::parse(PROCESS_MANAGER_ACTOR)?,
        role: Role::Integrator,
    })
}

/// Config events read per page.
const CONFIG_PAGE: usize = 64;

impl CommandService {
    /// A configuration stream folded from the records before
    /// `before_position` only: what was published when the trigger was
    /// appended, whenever the reaction is decided.
    async fn config_before(
        &self,
        stream_id: &str,
        before_position: u64,
    ) -> Result<Config, CommandError> {
        let mut config = Config::default();
        let mut from_version = 0;
        loop {
            let records = self
                .store()
                .read_stream(stream_id, from_version, CONFIG_PAGE)
                .await?;
            let n_records = records.len();
            for record in records {
                if record.position >= before_position {
                    return Ok(config);
                }
                config.apply(&decode_record(&record)?);
                from_version = record.stream_version + 1;
            }
            if n_records < CONFIG_PAGE {
                return Ok(config);
            }
        }
    }

    /// The first ownership event (its type and position) of a customer's
    /// stream after `after_position`, if any, but for the routing's own
    /// assignment, applied already by the request or by the process
    /// manager (issuing it again replays it): a `CustomerClaimed` caused by
    /// the trigger `trigger_event_id` and recorded by its actor
    /// `trigger_actor` (a causation id alone a client may set; a claim
    /// otherwise is a rep's own).
    async fn ownership_change_after(
        &self,
        stream_id: &str,
        after_position: u64,
        (trigger_event_id, trigger_actor): (Uuid, &str),
    ) -> Result<Option<String>, CommandError> {
        const OWNERSHIP_EVENTS: &[&str] = &[
            "CustomerClaimed",
            "CustomerTransferred",
            "CustomerReleased",
            "CustomerRecalledToPool",
            "CustomerReturnedToPool",
        ];
        let mut from_version = 0;
        loop {
            let records = self
                .store()
                .read_stream(stream_id, from_version, CONFIG_PAGE)
                .await?;
            let n_records = records.len();
            for record in records {
                from_version = record.stream_version + 1;
                let own_assignment = record.event_type == "CustomerClaimed"
                    && record.causation_id == trigger_event_id
                    && record.actor == trigger_actor;
                if record.position > after_position
                    && !own_assignment
                    && OWNERSHIP_EVENTS.contains(&record.event_type.as_str())
                {
                    return Ok(Some(format!(
                        "{} at position {}",
                        record.event_type, record.position
                    )));
                }
            }
            if n_records < CONFIG_PAGE {
                return Ok(None);
            }
        }
    }

    /// Builds the command a reaction call stands for from the published
    /// configuration (pool policy, nurture template) as it was when the
    /// trigger (`trigger_event_id`) was appended at `trigger_position`, so
    /// the inline path and a later process manager build the same command.
    pub(crate) async fn prepare_reaction(
        &self,
        call: &ReactionCall,
        trigger_actor: &Principal,
        (trigger_event_id, trigger_position): (Uuid, u64),
    ) -> Result<Prepared, CommandError> {
        Ok(match call {
            ReactionCall::FollowUp { visit } => {
                let policy = self
                    .config_before(CONFIG_POOL_POLICY_STREAM, trigger_position)
                    .await?
                    .pool_policy
                    .unwrap_or_else(PoolPolicy::default_v1);
                Prepared::Issue(Reaction::FollowUp {
                    stream_id: call.stream_id(),
                    command: salesledger_domain::visit::follow_up_for(visit, policy),
                    principal: trigger_actor.clone(),
                })
            }
            ReactionCall::AssignOwner {
                rep_id,
                customer_id,
                ..
            } => {
                // Assigns what the routing found unowned, not what it finds
                // later: a process manager deciding long after the trigger
                // (a fresh data directory, a restart) must not claim a
                // customer whose ownership changed since (claimed,
                // transferred, released, returned to the pool), nor one
                // that was owned then and has been released since.
                if let Some(changed) = self
                    .ownership_change_after(
                        call.stream_id().as_str(),
                        trigger_position,
                        (trigger_event_id, &trigger_actor.recorded_actor()),
                    )
                    .await?
                {
                    return Ok(Prepared::Refused {
                        code: "ownership_changed_since_routing",
                        message: format!(
                            "customer {customer_id}'s ownership changed after the routing was confirmed ({changed}); the routing assigns no owner"
                        ),
                    });
                }
                // Nor to a rep deactivated since (the gateway refuses a
                // confirmation for one; this catches a deactivation
                // between the confirmation and a later decision).
                let rep = self
                    .load::<salesledger_domain::rep::Rep>(
                        &salesledger_domain::stream::rep_stream_id(*rep_id),
                    )
                    .await?;
                if rep.state.profile.is_some_and(|profile| !profile.active) {
                    return Ok(Prepared::Refused {
                        code: "rep_deactivated",
                        message: format!(
                            "rep {rep_id} was deactivated after the routing was confirmed; the routing assigns no owner"
                        ),
                    });
                }
                let policy = self
                    .config_before(CONFIG_POOL_POLICY_STREAM, trigger_position)
                    .await?
                    .pool_policy
                    .unwrap_or_else(PoolPolicy::default_v1);
                Prepared::Issue(Reaction::AssignOwner {
                    stream_id: call.stream_id(),
                    command: CustomerCommand::AssignFromRouting(AssignFromRouting {
                        rep_id: *rep_id,
                        policy,
                    }),
                    principal: trigger_actor.clone(),
                })
            }
            ReactionCall::StartNurture {
                customer_id,
                trigger,
                pack_id,
            } => {
                let template = self
                    .config_before(CONFIG_NURTURE_STREAM, trigger_position)
                    .await?
                    .nurture_template;
                match template {
                    Some(template) => Prepared::Issue(Reaction::StartNurture {
                        stream_id: call.stream_id(),
                        command: NurtureCommand::Start(StartNurturePack {
                            pack_id: *pack_id,
                            customer_id: *customer_id,
                            trigger: *trigger,
                            template,
                        }),
                    }),
                    None => Prepared::Refused {
                        code: "nurture_template_not_published",
                        message: format!(
                            "customer {customer_id} is still comparing, but no nurture template is published; publish one with POST /v1/config/nurture-template"
                        ),
                    },
                }
            }
        })
    }

    /// Issues one reaction through the pipeline with its event-derived
    /// idempotency key, the trigger as causation and the trigger's
    /// correlation.
    pub(crate) async fn issue_reaction(
        &self,
        reaction: Reaction,
        trigger_event_id: Uuid,
        index: usize,
        correlation_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<CommandOutcome, CommandError> {
        let principal = match &reaction {
            Reaction::FollowUp { principal, .. } | Reaction::AssignOwner { principal, .. } => {
                principal.clone()
            }
            Reaction::StartNurture { .. } => process_manager()?,
        };
        let mut meta = CommandMeta::new(principal, now);
        meta.correlation_id = correlation_id;
        meta.causation_id = trigger_event_id;
        meta.reaction_key = Some(reaction_idempotency_key(trigger_event_id, index));
        match reaction {
            Reaction::FollowUp {
                stream_id, command, ..
            }
            | Reaction::AssignOwner {
                stream_id, command, ..
            } => Box::pin(self.execute::<Customer>(&meta, &stream_id, command)).await,
            Reaction::StartNurture { stream_id, command } => {
                Box::pin(self.execute::<NurturePack>(&meta, &stream_id, command)).await
            }
        }
    }

    /// Issues the reactions `events` call for (inline, right after they are
    /// durable); returns the events the reactions appended, the ids of
    /// the triggers whose reactions could not be decided here (left to the
    /// process manager) and the reactions refused for a domain reason.
    pub(crate) async fn react(
        &self,
        meta: &CommandMeta,
        events: &[EventSummary],
    ) -> (Vec<EventSummary>, Vec<Uuid>, Vec<RefusedReaction>) {
        let mut appended = Vec::new();
        let mut pending = Vec::new();
        let mut refused = Vec::new();
        for summary in events {
            let Ok(event) = decode(
                &summary.event_type,
                summary.schema_version,
                summary.payload.clone(),
            ) else {
                continue;
            };
            for (index, call) in reactions_called_for(&event, summary.event_id)
                .iter()
                .enumerate()
            {
                let decided = match self
                    .prepare_reaction(call, &meta.principal, (summary.event_id, summary.position))
                    .await
                {
                    Ok(Prepared::Issue(reaction)) => {
                        self.issue_reaction(
                            reaction,
                            summary.event_id,
                            index,
                            meta.correlation_id,
                            meta.now,
                        )
                        .await
                    }
                    Ok(Prepared::Refused { code, message }) => {
                        tracing::warn!(code, %message, trigger = %summary.event_id, "a reaction was refused");
                        refused.push(RefusedReaction {
                            trigger_event_id: summary.event_id,
                            reaction: call.name(),
                            stream_id: call.stream_id(),
                            code: code.to_owned(),
                            message,
                        });
                        continue;
                    }
                    Err(error) => Err(error),
                };
                match decided {
                    Ok(outcome) => {
                        for trigger in outcome.pending_reactions {
                            if !pending.contains(&trigger) {
                                pending.push(trigger);
                            }
                        }
                        appended.extend(outcome.events.into_iter().chain(outcome.reactions))
                    }
                    // A decision: the process manager records it too.
                    Err(error @ (CommandError::Domain(_) | CommandError::Forbidden { .. })) => {
                        tracing::warn!(%error, trigger = %summary.event_id, "a reaction was refused");
                        let code = match &error {
                            CommandError::Domain(domain) => domain.code(),
                            _ => "forbidden",
                        };
                        refused.push(RefusedReaction {
                            trigger_event_id: summary.event_id,
                            reaction: call.name(),
                            stream_id: call.stream_id(),
                            code: code.to_owned(),
                            message: error.to_string(),
                        });
                    }
                    Err(error) => {
                        tracing::warn!(%error, trigger = %summary.event_id, "a reaction is left to the process manager");
                        if !pending.contains(&summary.event_id) {
                            pending.push(summary.event_id);
                        }
                    }
                }
            }
        }
        (appended, pending, refused)
    }
}

#[cfg(test)]
mod tests {
    use salesledger_domain::customer::{ClaimCustomer, RegisterCustomer};
    use salesledger_domain::duplicate::DuplicateCandidate;
    use salesledger_domain::value::{CompanyName, CustomerAttributes};
    use salesledger_store::{SledStore, Store};

    use super::*;
    use salesledger_domain::role::CommandKind;

    fn at(role: Role, actor: &str) -> CommandMeta {
        CommandMeta::new(
            Principal {
                actor: ActorId::parse(actor).expect("actor"),
                role,
            },
            chrono::DateTime::parse_from_rfc3339("2027-03-16T10:00:00+08:00")
                .expect("time")
                .with_timezone(&Utc),
        )
    }

    /// The code a prepared reaction is refused with (`None`: issued).
    async fn refused(
        service: &CommandService,
        call: &ReactionCall,
        by: &CommandMeta,
        trigger: (Uuid, u64),
    ) -> Option<&'static str> {
        match service
            .prepare_reaction(call, &by.principal, trigger)
            .await
            .expect("prepared")
        {
            Prepared::Issue(_) => None,
            Prepared::Refused { code, .. } => Some(code),
        }
    }

    /// The routing's own assignment, applied already (by the request, or by
    /// the process manager when the request was slow), is not a change of
    /// ownership since the routing: preparing it again issues it (and the
    /// reaction key replays it), where it used to be refused as
    /// `ownership_changed_since_routing`. A claim by anyone else is one.
    #[tokio::test]
    async fn the_routings_own_assignment_is_not_a_change_of_ownership_since_it() {
        let directory = tempfile::tempdir().expect("temp dir");
        let store: std::sync::Arc<dyn Store> =
            std::sync::Arc::new(SledStore::open(directory.path()).expect("log"));
        let service = CommandService::new(store.clone());
        let supervisor = at(Role::Supervisor, "zhang.min");
        let register = |name: &'static str| {
            let customer_id = CustomerId::from_uuid(Uuid::now_v7());
            let service = &service;
            let supervisor = &supervisor;
            async move {
                let company_name = CompanyName::parse(name).expect("name");
                service
                    .execute_with_registry::<Customer, CommandError>(
                        supervisor,
                        CommandKind::RegisterCustomer,
                        &customer_stream_id(customer_id),
                        |registry| {
                            let duplicate_clearance =
                                registry.duplicates().clear(&DuplicateCandidate {
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
                                attributes: CustomerAttributes::default(),
                                duplicate_clearance,
                            }))
                        },
                    )
                    .await
                    .expect("register");
                customer_id
            }
        };
        let rep_id = RepId::from_uuid(Uuid::from_u128(0x5eb));
        let trigger = Uuid::now_v7();

        // Assigned by the routing's reaction (caused by the trigger).
        let routed = register("杭州仁和医院有限公司").await;
        // The trigger stands at the last position so far.
        let trigger_position = store.head().len - 1;
        let mut reaction = at(Role::Supervisor, "zhang.min");
        reaction.causation_id = trigger;
        service
            .execute::<Customer>(
                &reaction,
                &customer_stream_id(routed),
                CustomerCommand::AssignFromRouting(AssignFromRouting {
                    rep_id,
                    policy: PoolPolicy::default_v1(),
                }),
            )
            .await
            .expect("assigned");
        let call = ReactionCall::AssignOwner {
            lead_id: LeadId::from_uuid(Uuid::now_v7()),
            customer_id: routed,
            rep_id,
        };
        assert_eq!(
            refused(&service, &call, &supervisor, (trigger, trigger_position)).await,
            None,
            "refused"
        );

        // A transfer sent with the trigger's id as its causation (a client
        // may set one) is still a change of ownership.
        let mut forged = at(Role::Supervisor, "zhang.min");
        forged.causation_id = trigger;
        service
            .execute::<Customer>(
                &forged,
                &customer_stream_id(routed),
                CustomerCommand::Transfer(salesledger_domain::customer::TransferCustomer {
                    to_rep_id: RepId::from_uuid(Uuid::from_u128(0x5ec)),
                    transferred_by: ActorId::parse("zhang.min").expect("actor"),
                    reason: salesledger_domain::value::Text::parse("换人跟进").expect("text"),
                    policy: PoolPolicy::default_v1(),
                }),
            )
            .await
            .expect("transferred");
        assert_eq!(
            refused(&service, &call, &supervisor, (trigger, trigger_position)).await,
            Some("ownership_changed_since_routing"),
            "a forged causation hides a transfer"
        );

        // Routed to a rep deactivated since: refused.
        let unowned = register("无锡新材料科技有限公司").await;
        let trigger_position = store.head().len - 1;
        let gone = RepId::from_uuid(Uuid::from_u128(0x5ed));
        let rep_stream = salesledger_domain::stream::rep_stream_id(gone);
        service
            .execute::<salesledger_domain::rep::Rep>(
                &supervisor,
                &rep_stream,
                salesledger_domain::rep::RepCommand::Register(
                    salesledger_domain::rep::RegisterRep {
                        rep_id: gone,
                        display_name: salesledger_domain::value::Text::parse("王芳").expect("name"),
                        region: salesledger_domain::value::Region::parse("华东").expect("region"),
                        capability_tags: salesledger_domain::value::CapabilityTags::parse(&[
                            "iso13485",
                            "plc-retrofit",
                            "robot-cell",
                        ])
                        .expect("tags"),
                    },
                ),
            )
            .await
            .expect("registered");
        service
            .execute::<salesledger_domain::rep::Rep>(
                &supervisor,
                &rep_stream,
                salesledger_domain::rep::RepCommand::Deactivate(
                    salesledger_domain::rep::DeactivateRep {},
                ),
            )
            .await
            .expect("deactivated");
        let call = ReactionCall::AssignOwner {
            lead_id: LeadId::from_uuid(Uuid::now_v7()),
            customer_id: unowned,
            rep_id: gone,
        };
        assert_eq!(
            refused(&service, &call, &supervisor, (trigger, trigger_position)).await,
            Some("rep_deactivated"),
            "assigned to a deactivated rep"
        );

        // Claimed by a rep after the routing: refused.
        let claimed = register("宁波精工汽车零部件有限公司").await;
        // The trigger stands at the last position so far.
        let trigger_position = store.head().len - 1;
        service
            .execute::<Customer>(
                &at(Role::Rep, "li.wei"),
                &customer_stream_id(claimed),
                CustomerCommand::Claim(ClaimCustomer {
                    rep_id,
                    policy: PoolPolicy::default_v1(),
                }),
            )
            .await
            .expect("claimed");
        let call = ReactionCall::AssignOwner {
            lead_id: LeadId::from_uuid(Uuid::now_v7()),
            customer_id: claimed,
            rep_id,
        };
        assert_eq!(
            refused(&service, &call, &supervisor, (trigger, trigger_position)).await,
            Some("ownership_changed_since_routing"),
            "not refused"
        );
    }
}
