//! Chain stores (SPEC C13, docs/design/chain-stores.md): opening stores,
//! registering SKUs, enrolling members, launching promotions, publishing
//! the retail policy, and recording POS batches.
//!
//! The catalogue (known stores with their regions, SKUs, members) is
//! folded from the log by the service's
//! [`CatalogueFollower`](crate::catalogue::CatalogueFollower), caught up
//! to the head right before it is used. A POS batch is validated line by line
//! against it ([`salesledger_domain::retail::build_pos_batch`]) and
//! appended as ONE append to `pos-<batch id>` with expected version "no
//! stream" and the idempotency key `pos-batch:<batch id>` carrying a
//! fingerprint of the lines: all or nothing, once per batch id. The HTTP
//! route and `salesledger import pos` parse their NDJSON in the gateway
//! (`src/gateway/pos_lines.rs`: this crate knows no wire format) and call
//! [`CommandService::record_pos_lines`]; the fixtures call
//! [`CommandService::record_pos_batch`].

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use salesledger_domain::retail::{
    build_pos_batch, Catalogue, EnrollMember, LaunchPromotion, OpenStore, PosInputLine,
    PosLineError, PosTicketsRecorded, PublishRetailPolicy, RegisterSku, RetailCommand,
    RetailEntity, RetailPolicy, MAX_POS_BATCH_LINES,
};
use salesledger_domain::stream::{
    member_stream_id, pos_batch_stream_id, promotion_stream_id, sku_stream_id, store_stream_id,
    CONFIG_RETAIL_STREAM,
};
use salesledger_domain::value::{
    MemberRef, PosBatchId, PromotionId, Region, SkuCode, StoreCode, Text,
};
use salesledger_domain::{CommandKind, DomainError};
use salesledger_store::{
    AppendMetadata, AppendRequest, CanonicalJson, ExpectedVersion, Hash32, Idempotency, NewEvent,
    StoreError,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::CommandError;
use crate::pipeline::{CommandMeta, CommandOutcome, CommandService};

/// The idempotency key of a POS batch (`pos-batch:<batch id>`).
pub fn pos_batch_idempotency_key(batch_id: &PosBatchId) -> String {
    format!("pos-batch:{batch_id}")
}

/// What recording a POS batch did (the route's `201`/`200` body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosBatchOutcome {
    pub batch_id: String,
    /// Sale lines in the batch (blank lines not counted).
    pub lines: u64,
    /// Distinct tickets.
    pub tickets: u64,
    /// `PosTicketsRecorded` events appended (one per store and chunk).
    pub events: u64,
    pub first_position: u64,
    pub last_position: u64,
    /// True when this answers a repeat of an identical, already recorded batch.
    pub replayed: bool,
}

/// A member to enrol ([`CommandService::enroll_member`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    pub member: MemberRef,
    pub home_store: StoreCode,
    pub display_name: Text,
    pub enrolled_on: NaiveDate,
}

/// A promotion to launch ([`CommandService::launch_promotion`]); the
/// launcher is the command's actor, the launch time its `now`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPromotion {
    pub promotion_id: PromotionId,
    pub sku: SkuCode,
    pub name: Text,
    pub regions: Vec<Region>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A retail policy to publish ([`CommandService::publish_retail_policy`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRetailPolicy {
    pub version: u32,
    pub high_potential_avg_ticket_cents: u64,
    pub window_days: u32,
    pub script_template: Text,
}

// ---- the lines' fingerprint ----

/// The fingerprint of a batch's lines (their content, not their line
/// numbers or the body's whitespace).
pub fn pos_lines_fingerprint(lines: &[PosInputLine<'_>]) -> Hash32 {
    let mut hasher = Sha256::new();
    for line in lines {
        for field in [
            line.store.as_ref(),
            line.ticket.as_ref(),
            line.sku.as_ref(),
            line.sold_at.as_ref(),
            line.member.as_deref().unwrap_or("\u{0}none"),
        ] {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        for number in [line.qty, line.amount_cents] {
            match number {
                Some(number) => {
                    hasher.update([1]);
                    hasher.update(number.to_be_bytes());
                }
                None => hasher.update([0]),
            }
        }
    }
    Hash32(hasher.finalize().into())
}

impl CommandService {
    /// The chain-store catalogue (stores with regions, SKUs, members)
    /// caught up to the log's head.
    pub async fn retail_catalogue(&self) -> Result<Arc<Catalogue>, CommandError> {
        let mut follower = self.catalogue.lock().await;
        let target = self.store().head().len;
        follower.catch_up_to(&**self.store(), target).await?;
        Ok(follower.catalogue().clone())
    }

    /// A POS batch's own records hold no catalogue entry: when the
    /// catalogue has applied everything before them, it moves past them
    /// instead of reading them back.
    async fn skip_own_pos_records(&self, appended: &salesledger_store::AppendOutcome) {
        let mut follower = self.catalogue.lock().await;
        follower.skip(appended.first_position, appended.last_position);
    }

    /// Opens a store (`OpenStore`, stream `store-<code>`); a store opens
    /// once (`store_already_exists`).
    pub async fn open_store(
        &self,
        meta: &CommandMeta,
        open: OpenStore,
    ) -> Result<CommandOutcome, CommandError> {
        let stream_id = store_stream_id(&open.store);
        self.execute::<RetailEntity>(meta, &stream_id, RetailCommand::OpenStore(open))
            .await
    }

    /// Registers a SKU (`RegisterSku`, stream `sku-<code>`), once.
    pub async fn register_sku(
        &self,
        meta: &CommandMeta,
        register: RegisterSku,
    ) -> Result<CommandOutcome, CommandError> {
        let stream_id = sku_stream_id(&register.sku);
        self.execute::<RetailEntity>(meta, &stream_id, RetailCommand::RegisterSku(register))
            .await
    }

    /// Enrols a member at a home store that must exist (`unknown_store`),
    /// once (`member_already_exists`).
    pub async fn enroll_member(
        &self,
        meta: &CommandMeta,
        member: NewMember,
    ) -> Result<CommandOutcome, CommandError> {
        Self::authorise(meta.principal.role, CommandKind::EnrollMember)?;
        let catalogue = self.retail_catalogue().await?;
        let stream_id = member_stream_id(&member.member);
        let command = RetailCommand::EnrollMember(EnrollMember {
            home_store_known: catalogue.has_store(member.home_store.as_str()),
            member: member.member,
            home_store: member.home_store,
            display_name: member.display_name,
            enrolled_on: member.enrolled_on,
        });
        self.execute::<RetailEntity>(meta, &stream_id, command)
            .await
    }

    /// Launches a promotion of a known SKU (`unknown_sku`) in regions that
    /// each have a store (`region_without_stores`), `starts_on <= ends_on`.
    pub async fn launch_promotion(
        &self,
        meta: &CommandMeta,
        promotion: NewPromotion,
    ) -> Result<CommandOutcome, CommandError> {
        Self::authorise(meta.principal.role, CommandKind::LaunchPromotion)?;
        let catalogue = self.retail_catalogue().await?;
        let stream_id = promotion_stream_id(promotion.promotion_id);
        let store_regions: BTreeSet<Region> = catalogue.store_regions();
        let command = RetailCommand::LaunchPromotion(LaunchPromotion {
            sku_known: catalogue.has_sku(promotion.sku.as_str()),
            promotion_id: promotion.promotion_id,
            sku: promotion.sku,
            name: promotion.name,
            regions: promotion.regions,
            starts_on: promotion.starts_on,
            ends_on: promotion.ends_on,
            launched_by: meta.principal.actor.clone(),
            store_regions,
        });
        self.execute::<RetailEntity>(meta, &stream_id, command)
            .await
    }

    /// Publishes the retail policy (stream `config-retail`); versions
    /// strictly increase (`config_version_not_newer`).
    pub async fn publish_retail_policy(
        &self,
        meta: &CommandMeta,
        policy: NewRetailPolicy,
    ) -> Result<CommandOutcome, CommandError> {
        let command = RetailCommand::PublishRetailPolicy(PublishRetailPolicy {
            version: policy.version,
            high_potential_avg_ticket_cents: policy.high_potential_avg_ticket_cents,
            window_days: policy.window_days,
            script_template: policy.script_template,
            published_by: meta.principal.actor.clone(),
        });
        self.execute::<RetailPolicy>(meta, CONFIG_RETAIL_STREAM, command)
            .await
    }

    /// Records a POS batch: authorises `RecordPosSales`; answers an
    /// identical repeat of a recorded batch id with its original outcome
    /// (`replayed: true`, nothing appended) and a different one with
    /// `DomainError::PosBatchIdReused` (`pos_batch_id_reused`, 409);
    /// validates every line against the catalogue (any bad line:
    /// `DomainError::InvalidPosBatch` listing every bad line, nothing
    /// appended); then appends every `PosTicketsRecorded` event in ONE
    /// append to `pos-<batch id>` (expected version: no stream,
    /// idempotency key `pos-batch:<batch id>` with the lines'
    /// fingerprint). At most [`MAX_POS_BATCH_LINES`] lines
    /// (`pos_batch_too_large`), at least one (`empty_pos_batch`).
    pub async fn record_pos_batch(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        lines: &[PosInputLine<'_>],
    ) -> Result<PosBatchOutcome, CommandError> {
        self.record_pos_lines(meta, batch_id, lines, Vec::new())
            .await
    }

    /// [`CommandService::record_pos_batch`] for lines the caller parsed
    /// from its wire format (the gateway's NDJSON, `src/gateway/pos_lines.rs`),
    /// with the lines it could not parse (`malformed_line`): those are
    /// reported together with the other bad lines, and a batch holding any
    /// appends nothing (nor is it answered from a recorded batch id).
    pub async fn record_pos_lines(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        lines: &[PosInputLine<'_>],
        malformed: Vec<PosLineError>,
    ) -> Result<PosBatchOutcome, CommandError> {
        Self::authorise(meta.principal.role, CommandKind::RecordPosSales)?;
        self.record_lines(meta, batch_id, lines, malformed).await
    }

    async fn record_lines(
        &self,
        meta: &CommandMeta,
        batch_id: &PosBatchId,
        lines: &[PosInputLine<'_>],
        malformed: Vec<PosLineError>,
    ) -> Result<PosBatchOutcome, CommandError> {
        let n_lines = lines.len() + malformed.len();
        if n_lines > MAX_POS_BATCH_LINES {
            return Err(DomainError::PosBatchTooLarge {
                lines: n_lines,
                max: MAX_POS_BATCH_LINES,
            }
            .into());
        }
        if n_lines == 0 {
            return Err(DomainError::EmptyPosBatch.into());
        }
        let idempotency = Idempotency {
            key: pos_batch_idempotency_key(batch_id),
            fingerprint: Some(pos_lines_fingerprint(lines)),
        };
        let reused = || {
            CommandError::Domain(DomainError::PosBatchIdReused {
                batch_id: batch_id.clone(),
            })
        };
        if malformed.is_empty() {
            if let Some(stored) = self.store().idempotent_outcome(&idempotency.key).await? {
                if stored.fingerprint != idempotency.fingerprint {
                    return Err(reused());
                }
                return Ok(outcome_of(batch_id, lines, &stored.outcome, true));
            }
        }
        let catalogue = self.retail_catalogue().await?;
        let built = build_pos_batch(batch_id, lines, &catalogue, meta.now, self.future_margin());
        let batch = match (built, malformed.is_empty()) {
            (Ok(batch), true) => batch,
            (Ok(_), false) => {
                return Err(DomainError::InvalidPosBatch { errors: malformed }.into());
            }
            (Err(mut errors), _) => {
                errors.extend(malformed);
                errors.sort_by_key(|error| error.line);
                return Err(DomainError::InvalidPosBatch { errors }.into());
            }
        };
        let mut events = Vec::with_capacity(batch.events.len());
        for event in &batch.events {
            events.push(pos_new_event(event)?);
        }
        let request = AppendRequest {
            stream_id: pos_batch_stream_id(batch_id),
            expected_version: ExpectedVersion::NoStream,
            events,
            metadata: AppendMetadata {
                actor: meta.principal.recorded_actor(),
                command_id: meta.command_id,
                correlation_id: meta.correlation_id,
                causation_id: meta.causation_id,
            },
            idempotency: Some(idempotency),
        };
        match self.store().append(request).await {
            Ok(appended) => {
                if !appended.replayed {
                    self.skip_own_pos_records(&appended).await;
                }
                Ok(outcome_of(batch_id, lines, &appended, appended.replayed))
            }
            Err(StoreError::IdempotencyKeyReused { .. })
            | Err(StoreError::WrongExpectedVersion { .. }) => Err(reused()),
            Err(error) => Err(error.into()),
        }
    }
}

/// The `PosTicketsRecorded` event to append, its canonical JSON written
/// directly (keys in sorted order) rather than through a `serde_json::Value`
/// tree: a batch's events are most of its cost. Byte for byte the generic
/// encoding (`encode` then canonicalisation; a test checks it).
pub fn pos_new_event(event: &PosTicketsRecorded) -> Result<NewEvent, CommandError> {
    let text = canonical_pos_payload(event)?;
    let payload = CanonicalJson::from_stored(text).map_err(|error| {
        CommandError::Domain(DomainError::EventEncoding {
            event_type: "PosTicketsRecorded".to_owned(),
            reason: error.to_string(),
        })
    })?;
    Ok(NewEvent {
        event_type: "PosTicketsRecorded".to_owned(),
        schema_version: salesledger_domain::event::current_schema_version("PosTicketsRecorded")
            .unwrap_or(1),
        payload,
    })
}

fn push_json_string(out: &mut String, text: &str) -> Result<(), CommandError> {
    // Codes and refs are plain ASCII without escapes; serde_json escapes
    // anything else exactly as the canonical form does.
    if text
        .bytes()
        .all(|byte| byte.is_ascii_graphic() && byte != b'"' && byte != b'\\')
    {
        out.push('"');
        out.push_str(text);
        out.push('"');
        return Ok(());
    }
    let escaped = serde_json::to_string(text).map_err(|error| {
        CommandError::Domain(DomainError::EventEncoding {
            event_type: "PosTicketsRecorded".to_owned(),
            reason: error.to_string(),
        })
    })?;
    out.push_str(&escaped);
    Ok(())
}

/// Canonical JSON of a `PosTicketsRecorded` payload: `{"batch_id","store",
/// "tickets":[{"lines":[{"amount_cents","qty","sku"}],"member","sold_at",
/// "ticket"}]}`.
fn canonical_pos_payload(event: &PosTicketsRecorded) -> Result<String, CommandError> {
    use std::fmt::Write;
    let mut out = String::with_capacity(64 + event.tickets.len() * 160);
    out.push_str("{\"batch_id\":");
    push_json_string(&mut out, event.batch_id.as_str())?;
    out.push_str(",\"store\":");
    push_json_string(&mut out, event.store.as_str())?;
    out.push_str(",\"tickets\":[");
    for (ticket_idx, ticket) in event.tickets.iter().enumerate() {
        if ticket_idx > 0 {
            out.push(',');
        }
        out.push_str("{\"lines\":[");
        for (line_idx, line) in ticket.lines.iter().enumerate() {
            if line_idx > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"amount_cents\":{},\"qty\":{},\"sku\":",
                line.amount_cents, line.qty
            );
            push_json_string(&mut out, line.sku.as_str())?;
            out.push('}');
        }
        out.push_str("],\"member\":");
        match &ticket.member {
            Some(member) => push_json_string(&mut out, member.as_str())?,
            None => out.push_str("null"),
        }
        out.push_str(",\"sold_at\":");
        let sold_at = serde_json::to_string(&ticket.sold_at).map_err(|error| {
            CommandError::Domain(DomainError::EventEncoding {
                event_type: "PosTicketsRecorded".to_owned(),
                reason: error.to_string(),
            })
        })?;
        out.push_str(&sold_at);
        out.push_str(",\"ticket\":");
        push_json_string(&mut out, ticket.ticket.as_str())?;
        out.push('}');
    }
    out.push_str("]}");
    Ok(out)
}

fn outcome_of(
    batch_id: &PosBatchId,
    lines: &[PosInputLine<'_>],
    appended: &salesledger_store::AppendOutcome,
    replayed: bool,
) -> PosBatchOutcome {
    let mut tickets: HashMap<&str, ()> = HashMap::new();
    for line in lines {
        tickets.insert(line.ticket.as_ref(), ());
    }
    PosBatchOutcome {
        batch_id: batch_id.to_string(),
        lines: lines.len() as u64,
        tickets: tickets.len() as u64,
        events: appended.last_position - appended.first_position + 1,
        first_position: appended.first_position,
        last_position: appended.last_position,
        replayed,
    }
}
