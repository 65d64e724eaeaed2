//! Reactions: commands that follow from events, issued by the pipeline
//! right after the events that call for them are durable.
//!
//! - SPEC C3: a logged visit is a follow-up on its customer, which extends
//!   the owner's protection period (`visit::follow_up_for`), issued on
//!   behalf of the rep who logged it.
//! - SPEC C5: a customer recorded as "still comparing" (还在比较 / 再考虑)
//!   starts a nurture pack (`nurture::nurture_trigger`), issued by the
//!   `process-manager` actor. The pack's id is derived from the triggering
//!   event's id (UUID v5), so the same trigger can never start two packs.
//!
//! Each reaction records the triggering event as its causation and keeps
//! the command's correlation id. A reaction that fails is logged and does
//! not undo the command that triggered it. Reactions run in the process
//! that appended the trigger; a crash between the two loses the reaction
//! (the log-driven process manager of the read-model issue closes that gap).

use salesledger_domain::config::Config;
use salesledger_domain::customer::Customer;
use salesledger_domain::nurture::{nurture_trigger, NurtureCommand, NurturePack, StartNurturePack};
use salesledger_domain::stream::{customer_stream_id, nurture_stream_id, CONFIG_NURTURE_STREAM};
use salesledger_domain::value::{ActorId, NurturePackId};
use salesledger_domain::{decode, Event, Role};
use uuid::Uuid;

use crate::error::CommandError;
use crate::pipeline::{CommandMeta, CommandService, EventSummary, Principal};

/// Namespace of the UUID v5 ids of packs started by reactions.
const NURTURE_PACK_NAMESPACE: Uuid = Uuid::from_u128(0x5a1e_51ed_9e7d_4c0b_a11e_d9e7_7a0c_0001);

/// One command a reaction issues.
enum Reaction {
    FollowUp {
        stream_id: String,
        command: salesledger_domain::customer::CustomerCommand,
        principal: Principal,
    },
    StartNurture {
        stream_id: String,
        command: NurtureCommand,
    },
}

impl CommandService {
    /// Issues the reactions `events` call for; returns the events they
    /// appended.
    pub(crate) async fn react(
        &self,
        meta: &CommandMeta,
        events: &[EventSummary],
    ) -> Vec<EventSummary> {
        let mut appended = Vec::new();
        let command_key = meta.scoped_idempotency().map(|idempotency| idempotency.key);
        let mut reaction_idx = 0;
        for summary in events {
            let event = match decode(
                &summary.event_type,
                summary.schema_version,
                summary.payload.clone(),
            ) {
                Ok(event) => event,
                Err(_) => continue,
            };
            let reactions = match self.reactions_to(meta, &event, summary.event_id).await {
                Ok(reactions) => reactions,
                Err(error) => {
                    tracing::warn!(%error, event_id = %summary.event_id, "could not prepare reactions");
                    continue;
                }
            };
            for reaction in reactions {
                let mut reaction_meta = CommandMeta::new(meta.principal.clone(), meta.now);
                reaction_meta.correlation_id = meta.correlation_id;
                reaction_meta.causation_id = summary.event_id;
                if let Some(command_key) = &command_key {
                    reaction_meta.idempotency = meta.idempotency.clone();
                    reaction_meta.reaction_key =
                        Some(crate::pipeline::reaction_key(command_key, reaction_idx));
                }
                reaction_idx += 1;
                let result = match reaction {
                    Reaction::FollowUp {
                        stream_id,
                        command,
                        principal,
                    } => {
                        reaction_meta.principal = principal;
                        Box::pin(self.execute::<Customer>(&reaction_meta, &stream_id, command))
                            .await
                    }
                    Reaction::StartNurture { stream_id, command } => match process_manager() {
                        Ok(principal) => {
                            reaction_meta.principal = principal;
                            Box::pin(self.execute::<NurturePack>(
                                &reaction_meta,
                                &stream_id,
                                command,
                            ))
                            .await
                        }
                        Err(error) => Err(error),
                    },
                };
                match result {
                    Ok(outcome) => {
                        appended.extend(outcome.events.into_iter().chain(outcome.reactions))
                    }
                    Err(error) => {
                        tracing::warn!(%error, trigger = %summary.event_id, "a reaction was refused");
                    }
                }
            }
        }
        appended
    }

    async fn reactions_to(
        &self,
        meta: &CommandMeta,
        event: &Event,
        event_id: Uuid,
    ) -> Result<Vec<Reaction>, CommandError> {
        let mut reactions = Vec::new();
        if let Event::VisitLogged(logged) = event {
            let policy = self.pool_policy().await?;
            reactions.push(Reaction::FollowUp {
                stream_id: customer_stream_id(logged.customer_id),
                command: salesledger_domain::visit::follow_up_for(logged, policy),
                principal: meta.principal.clone(),
            });
        }
        if let Some((customer_id, trigger)) = nurture_trigger(event) {
            let template = self
                .load::<Config>(CONFIG_NURTURE_STREAM)
                .await?
                .state
                .nurture_template;
            match template {
                Some(template) => {
                    let pack_id = NurturePackId::from_uuid(Uuid::new_v5(
                        &NURTURE_PACK_NAMESPACE,
                        event_id.as_bytes(),
                    ));
                    reactions.push(Reaction::StartNurture {
                        stream_id: nurture_stream_id(pack_id),
                        command: NurtureCommand::Start(StartNurturePack {
                            pack_id,
                            customer_id,
                            trigger,
                            template,
                        }),
                    });
                }
                None => {
                    tracing::warn!(%customer_id, "still comparing, but no nurture template is published")
                }
            }
        }
        Ok(reactions)
    }
}

fn process_manager() -> Result<Principal, CommandError> {
    Ok(Principal {
        actor: ActorId::parse("process-manager")?,
        role: Role::Integrator,
    })
}
