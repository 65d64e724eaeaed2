//! Chain stores (SPEC C13): stores, SKUs and their categories, loyalty
//! members, headquarters' promotions, and POS sales arriving in bulk.
//!
//! Streams: `store-<code>`, `sku-<code>`, `member-<ref>`,
//! `promotion-<uuid>`, one `pos-<batch id>` stream per POS batch (a batch
//! id is accepted once, so the stream is its idempotency), and
//! `config-retail` for the retail policy (high-potential threshold and
//! script template).
//!
//! A POS batch is recorded as one or more [`PosTicketsRecorded`] events on
//! its batch stream, one per store and chunk of tickets, appended together
//! (all or nothing). A ticket is whole inside one batch: its lines share
//! the store, the member and the sale time. Business time is the sale's
//! own local time (`sold_at` keeps the store's UTC offset), so a ticket's
//! day and time slot never depend on the server's time zone.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::error::{AggregateKind, DomainError, ValueKind};
use crate::event::Event;
use crate::role::CommandKind;
use crate::value::{
    ActorId, MemberRef, PosBatchId, PosTicketRef, PromotionId, Region, SkuCode, StoreCode, Text,
};

/// How a store is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreFormat {
    Direct,
    Franchised,
}

/// The part of the (store-local) day a sale falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSlot {
    /// 06:00 to 10:59
    Morning,
    /// 11:00 to 13:59
    Midday,
    /// 14:00 to 16:59
    Afternoon,
    /// 17:00 to 20:59
    Evening,
    /// 21:00 to 05:59
    Night,
}

impl TimeSlot {
    pub const ALL: [TimeSlot; 5] = [
        TimeSlot::Morning,
        TimeSlot::Midday,
        TimeSlot::Afternoon,
        TimeSlot::Evening,
        TimeSlot::Night,
    ];

    /// The slot of a local wall-clock hour (0 to 23).
    pub fn of_hour(hour: u32) -> TimeSlot {
        match hour {
            6..=10 => TimeSlot::Morning,
            11..=13 => TimeSlot::Midday,
            14..=16 => TimeSlot::Afternoon,
            17..=20 => TimeSlot::Evening,
            _ => TimeSlot::Night,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeSlot::Morning => "morning",
            TimeSlot::Midday => "midday",
            TimeSlot::Afternoon => "afternoon",
            TimeSlot::Evening => "evening",
            TimeSlot::Night => "night",
        }
    }
}

// ---- events ----

/// A store opened (or was taken into the system) in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreOpened {
    pub store: StoreCode,
    pub name: Text,
    pub region: Region,
    pub format: StoreFormat,
    pub opened_on: NaiveDate,
}

/// A SKU entered the catalogue, with its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuRegistered {
    pub sku: SkuCode,
    pub name: Text,
    pub category: Text,
    /// A new product (the subject of promotions and penetration).
    pub new_product: bool,
}

/// A loyalty member enrolled at a home store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEnrolled {
    pub member: MemberRef,
    pub home_store: StoreCode,
    pub display_name: Text,
    pub enrolled_on: NaiveDate,
}

/// Headquarters launched a promotion of a (new) product in some regions,
/// from `starts_on` to `ends_on` inclusive (store-local dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionLaunched {
    pub promotion_id: PromotionId,
    pub sku: SkuCode,
    pub name: Text,
    /// Sorted, without duplicates, at least one.
    pub regions: Vec<Region>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub launched_by: ActorId,
    pub launched_at: DateTime<Utc>,
}

/// One line of a POS ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosLine {
    pub sku: SkuCode,
    /// At least 1.
    pub qty: u32,
    /// The line's amount in cents (fen), after discounts; at least 0.
    pub amount_cents: u64,
}

/// One ticket (receipt) of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosTicket {
    pub ticket: PosTicketRef,
    /// The sale's local time with the store's UTC offset.
    pub sold_at: DateTime<FixedOffset>,
    pub member: Option<MemberRef>,
    /// At least one line.
    pub lines: Vec<PosLine>,
}

impl PosTicket {
    /// The ticket's total in cents (saturating: a stored line never
    /// exceeds [`MAX_LINE_AMOUNT_CENTS`], so only a hand-made log gets there).
    pub fn total_cents(&self) -> u64 {
        self.lines
            .iter()
            .fold(0u64, |total, line| total.saturating_add(line.amount_cents))
    }

    /// The store-local date of the sale.
    pub fn local_day(&self) -> NaiveDate {
        self.sold_at.date_naive()
    }

    /// The store-local time slot of the sale.
    pub fn time_slot(&self) -> TimeSlot {
        TimeSlot::of_hour(self.sold_at.hour())
    }

    /// Whether any line is of `sku`.
    pub fn contains(&self, sku: &SkuCode) -> bool {
        self.lines.iter().any(|line| &line.sku == sku)
    }
}

/// Tickets of one store from one POS batch (a batch of many stores, or of
/// many tickets, is several of these events, appended together).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosTicketsRecorded {
    pub batch_id: PosBatchId,
    pub store: StoreCode,
    /// At least one; in the order the batch gave their first lines.
    pub tickets: Vec<PosTicket>,
}

/// The retail policy: which stores are "high potential" and the script a
/// store suggests to their best members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetailPolicyPublished {
    /// Strictly increasing per publication, from 1.
    pub version: u32,
    /// A store is high potential when its average ticket over the window
    /// exceeds this (default 8,500 cents: SPEC C13's 85).
    pub high_potential_avg_ticket_cents: u64,
    /// The window, in days, ending at the store's latest sale day (default 90: "3 months").
    pub window_days: u32,
    /// The suggested script, with placeholders `{member}`, `{store}`,
    /// `{slot}` and `{categories}`.
    pub script_template: Text,
    pub published_by: ActorId,
    pub published_at: DateTime<Utc>,
}

/// The largest amount of one POS line: 10^10 cents (100 million yuan).
pub const MAX_LINE_AMOUNT_CENTS: u64 = 10_000_000_000;

/// The policy in force before any publication.
pub const DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS: u64 = 8_500;
pub const DEFAULT_WINDOW_DAYS: u32 = 90;
pub const DEFAULT_SCRIPT_TEMPLATE: &str = "Hello {member}, thank you for shopping at {store}. \
As you usually come in the {slot} for {categories}, we have set aside this week's new \
arrivals in those aisles for you; may we show you when you next visit?";

/// Fills a script template (unknown placeholders are left as they are).
pub fn fill_script(
    template: &str,
    member: &str,
    store: &str,
    slot: TimeSlot,
    categories: &[&str],
) -> String {
    template
        .replace("{member}", member)
        .replace("{store}", store)
        .replace("{slot}", slot.as_str())
        .replace("{categories}", &categories.join(", "))
}

// ---- the catalogue (what a POS batch is validated against) ----

/// A known store, as the catalogue keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueStore {
    pub name: Text,
    pub region: Region,
    pub format: StoreFormat,
}

/// A known SKU, as the catalogue keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueSku {
    pub name: Text,
    pub category: Text,
    pub new_product: bool,
}

/// The stores (with their regions), SKUs and members known to the log,
/// folded from `StoreOpened`, `SkuRegistered` and `MemberEnrolled`.
/// Keys are the codes' strings, so a raw POS line is looked up without
/// parsing it first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    pub stores: BTreeMap<String, CatalogueStore>,
    pub skus: BTreeMap<String, CatalogueSku>,
    /// Member ref -> home store code.
    pub members: BTreeMap<String, StoreCode>,
}

impl Catalogue {
    /// Folds one event (events of other families are ignored).
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::StoreOpened(opened) => {
                self.stores.insert(
                    opened.store.as_str().to_owned(),
                    CatalogueStore {
                        name: opened.name.clone(),
                        region: opened.region.clone(),
                        format: opened.format,
                    },
                );
            }
            Event::SkuRegistered(registered) => {
                self.skus.insert(
                    registered.sku.as_str().to_owned(),
                    CatalogueSku {
                        name: registered.name.clone(),
                        category: registered.category.clone(),
                        new_product: registered.new_product,
                    },
                );
            }
            Event::MemberEnrolled(enrolled) => {
                self.members.insert(
                    enrolled.member.as_str().to_owned(),
                    enrolled.home_store.clone(),
                );
            }
            _ => {}
        }
    }

    pub fn has_store(&self, store: &str) -> bool {
        self.stores.contains_key(store)
    }

    pub fn has_sku(&self, sku: &str) -> bool {
        self.skus.contains_key(sku)
    }

    pub fn has_member(&self, member: &str) -> bool {
        self.members.contains_key(member)
    }

    /// The regions that have at least one store, sorted.
    pub fn store_regions(&self) -> BTreeSet<Region> {
        self.stores
            .values()
            .map(|store| store.region.clone())
            .collect()
    }
}

// ---- commands ----

/// `OpenStore` (stream `store-<code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStore {
    pub store: StoreCode,
    pub name: Text,
    pub region: Region,
    pub format: StoreFormat,
    pub opened_on: NaiveDate,
}

/// `RegisterSku` (stream `sku-<code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSku {
    pub sku: SkuCode,
    pub name: Text,
    pub category: Text,
    pub new_product: bool,
}

/// `EnrollMember` (stream `member-<ref>`). `home_store_known` comes from
/// the catalogue (the command layer's cross-stream input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollMember {
    pub member: MemberRef,
    pub home_store: StoreCode,
    pub display_name: Text,
    pub enrolled_on: NaiveDate,
    pub home_store_known: bool,
}

/// `LaunchPromotion` (stream `promotion-<uuid>`). `sku_known` and
/// `store_regions` (the regions with at least one store) come from the
/// catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchPromotion {
    pub promotion_id: PromotionId,
    pub sku: SkuCode,
    pub name: Text,
    pub regions: Vec<Region>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub launched_by: ActorId,
    pub sku_known: bool,
    pub store_regions: BTreeSet<Region>,
}

/// `PublishRetailPolicy` (stream `config-retail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRetailPolicy {
    pub version: u32,
    pub high_potential_avg_ticket_cents: u64,
    pub window_days: u32,
    pub script_template: Text,
    pub published_by: ActorId,
}

/// `RecordPosSales` (stream `pos-<batch id>`): the events built by
/// [`build_pos_batch`], appended once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPosSales {
    pub batch_id: PosBatchId,
    pub events: Vec<PosTicketsRecorded>,
}

/// Every chain-store command. Each aggregate below decides the variant of
/// its own stream and refuses the others (`decide` never sees them: the
/// command layer routes by stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetailCommand {
    OpenStore(OpenStore),
    RegisterSku(RegisterSku),
    EnrollMember(EnrollMember),
    LaunchPromotion(LaunchPromotion),
    PublishRetailPolicy(PublishRetailPolicy),
    RecordPosSales(RecordPosSales),
}

impl RetailCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            RetailCommand::OpenStore(_) => CommandKind::OpenStore,
            RetailCommand::RegisterSku(_) => CommandKind::RegisterSku,
            RetailCommand::EnrollMember(_) => CommandKind::EnrollMember,
            RetailCommand::LaunchPromotion(_) => CommandKind::LaunchPromotion,
            RetailCommand::PublishRetailPolicy(_) => CommandKind::PublishRetailPolicy,
            RetailCommand::RecordPosSales(_) => CommandKind::RecordPosSales,
        }
    }

    /// The stream this command is decided on.
    pub fn stream_id(&self) -> String {
        use crate::stream::{
            member_stream_id, pos_batch_stream_id, promotion_stream_id, sku_stream_id,
            store_stream_id, CONFIG_RETAIL_STREAM,
        };
        match self {
            RetailCommand::OpenStore(open) => store_stream_id(&open.store),
            RetailCommand::RegisterSku(register) => sku_stream_id(&register.sku),
            RetailCommand::EnrollMember(enroll) => member_stream_id(&enroll.member),
            RetailCommand::LaunchPromotion(launch) => promotion_stream_id(launch.promotion_id),
            RetailCommand::PublishRetailPolicy(_) => CONFIG_RETAIL_STREAM.to_owned(),
            RetailCommand::RecordPosSales(record) => pos_batch_stream_id(&record.batch_id),
        }
    }
}

// ---- aggregates ----

/// One chain-store stream's state (`store-`, `sku-`, `member-`,
/// `promotion-` or `pos-`): what was created on it, if anything. One
/// aggregate type for the five "created once" streams keeps the command
/// layer's routing to one `execute::<RetailEntity>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetailEntity {
    pub store: Option<StoreOpened>,
    pub sku: Option<SkuRegistered>,
    pub member: Option<MemberEnrolled>,
    pub promotion: Option<PromotionLaunched>,
    /// Events of a recorded POS batch.
    pub pos_events: usize,
}

impl RetailEntity {
    fn exists(&self) -> bool {
        self.store.is_some()
            || self.sku.is_some()
            || self.member.is_some()
            || self.promotion.is_some()
            || self.pos_events > 0
    }
}

fn already_exists(aggregate: AggregateKind) -> DomainError {
    DomainError::AlreadyExists { aggregate }
}

impl crate::business_time::BusinessTimes for RetailCommand {
    fn business_times(&self) -> Vec<crate::business_time::BusinessTime> {
        use crate::business_time::BusinessTime;
        match self {
            // Calendar dates (`opened_on`, `enrolled_on`, `starts_on`...)
            // are plans and days, not instants.
            RetailCommand::OpenStore(OpenStore {
                store: _,
                name: _,
                region: _,
                format: _,
                opened_on: _,
            })
            | RetailCommand::RegisterSku(RegisterSku {
                sku: _,
                name: _,
                category: _,
                new_product: _,
            })
            | RetailCommand::EnrollMember(EnrollMember {
                member: _,
                home_store: _,
                display_name: _,
                enrolled_on: _,
                home_store_known: _,
            })
            | RetailCommand::LaunchPromotion(LaunchPromotion {
                promotion_id: _,
                sku: _,
                name: _,
                regions: _,
                starts_on: _,
                ends_on: _,
                launched_by: _,
                sku_known: _,
                store_regions: _,
            })
            | RetailCommand::PublishRetailPolicy(PublishRetailPolicy {
                version: _,
                high_potential_avg_ticket_cents: _,
                window_days: _,
                script_template: _,
                published_by: _,
            }) => Vec::new(),
            RetailCommand::RecordPosSales(RecordPosSales {
                batch_id: _,
                events,
            }) => events
                .iter()
                .flat_map(
                    |PosTicketsRecorded {
                         batch_id: _,
                         store: _,
                         tickets,
                     }| tickets.iter(),
                )
                .map(
                    |PosTicket {
                         ticket: _,
                         sold_at,
                         member: _,
                         lines: _,
                     }| {
                        BusinessTime::new("sold_at", sold_at.with_timezone(&Utc))
                    },
                )
                .collect(),
        }
    }
}

impl Aggregate for RetailEntity {
    type Command = RetailCommand;

    fn command_kind(command: &RetailCommand) -> CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::StoreOpened(opened) => self.store = Some(opened.clone()),
            Event::SkuRegistered(registered) => self.sku = Some(registered.clone()),
            Event::MemberEnrolled(enrolled) => self.member = Some(enrolled.clone()),
            Event::PromotionLaunched(launched) => self.promotion = Some(launched.clone()),
            Event::PosTicketsRecorded(_) => self.pos_events += 1,
            _ => {}
        }
    }

    fn decide(
        &self,
        command: RetailCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        match command {
            RetailCommand::OpenStore(open) => {
                if self.exists() {
                    return Err(already_exists(AggregateKind::Store));
                }
                Ok(vec![Event::StoreOpened(StoreOpened {
                    store: open.store,
                    name: open.name,
                    region: open.region,
                    format: open.format,
                    opened_on: open.opened_on,
                })])
            }
            RetailCommand::RegisterSku(register) => {
                if self.exists() {
                    return Err(already_exists(AggregateKind::Sku));
                }
                Ok(vec![Event::SkuRegistered(SkuRegistered {
                    sku: register.sku,
                    name: register.name,
                    category: register.category,
                    new_product: register.new_product,
                })])
            }
            RetailCommand::EnrollMember(enroll) => {
                if self.exists() {
                    return Err(already_exists(AggregateKind::Member));
                }
                if !enroll.home_store_known {
                    return Err(DomainError::UnknownStore {
                        store: enroll.home_store,
                    });
                }
                Ok(vec![Event::MemberEnrolled(MemberEnrolled {
                    member: enroll.member,
                    home_store: enroll.home_store,
                    display_name: enroll.display_name,
                    enrolled_on: enroll.enrolled_on,
                })])
            }
            RetailCommand::LaunchPromotion(launch) => {
                if self.exists() {
                    return Err(already_exists(AggregateKind::Promotion));
                }
                if !launch.sku_known {
                    return Err(DomainError::UnknownSku { sku: launch.sku });
                }
                if launch.starts_on > launch.ends_on {
                    return Err(DomainError::PromotionDatesReversed {
                        starts_on: launch.starts_on,
                        ends_on: launch.ends_on,
                    });
                }
                let regions: BTreeSet<Region> = launch.regions.into_iter().collect();
                if regions.is_empty() {
                    return Err(DomainError::PromotionWithoutRegions);
                }
                if let Some(region) = regions
                    .iter()
                    .find(|region| !launch.store_regions.contains(*region))
                {
                    return Err(DomainError::RegionWithoutStores {
                        region: region.clone(),
                    });
                }
                Ok(vec![Event::PromotionLaunched(PromotionLaunched {
                    promotion_id: launch.promotion_id,
                    sku: launch.sku,
                    name: launch.name,
                    regions: regions.into_iter().collect(),
                    starts_on: launch.starts_on,
                    ends_on: launch.ends_on,
                    launched_by: launch.launched_by,
                    launched_at: now,
                })])
            }
            RetailCommand::RecordPosSales(record) => {
                if self.exists() {
                    return Err(DomainError::PosBatchIdReused {
                        batch_id: record.batch_id,
                    });
                }
                if record.events.is_empty()
                    || record
                        .events
                        .iter()
                        .any(|event| event.batch_id != record.batch_id || event.tickets.is_empty())
                {
                    return Err(DomainError::EmptyPosBatch);
                }
                Ok(record
                    .events
                    .into_iter()
                    .map(Event::PosTicketsRecorded)
                    .collect())
            }
            RetailCommand::PublishRetailPolicy(_) => Err(DomainError::invalid(
                ValueKind::RetailPolicy,
                "the retail policy is published on config-retail",
            )),
        }
    }
}

/// The retail policy stream's state (`config-retail`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetailPolicy {
    pub current: Option<RetailPolicyPublished>,
}

impl RetailPolicy {
    /// The threshold in force: the last published, else the default.
    pub fn high_potential_avg_ticket_cents(&self) -> u64 {
        self.current
            .as_ref()
            .map_or(DEFAULT_HIGH_POTENTIAL_AVG_TICKET_CENTS, |policy| {
                policy.high_potential_avg_ticket_cents
            })
    }
}

/// The longest window a policy may ask for (about three years).
pub const MAX_WINDOW_DAYS: u32 = 1_100;

impl Aggregate for RetailPolicy {
    type Command = RetailCommand;

    fn command_kind(command: &RetailCommand) -> CommandKind {
        command.kind()
    }

    fn apply(&mut self, event: &Event) {
        if let Event::RetailPolicyPublished(published) = event {
            self.current = Some(published.clone());
        }
    }

    fn decide(
        &self,
        command: RetailCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, DomainError> {
        let RetailCommand::PublishRetailPolicy(publish) = command else {
            return Err(DomainError::invalid(
                ValueKind::RetailPolicy,
                "config-retail only takes retail policy publications",
            ));
        };
        if publish.version == 0 {
            return Err(DomainError::invalid(
                ValueKind::RetailPolicy,
                "versions start at 1",
            ));
        }
        if publish.window_days == 0 || publish.window_days > MAX_WINDOW_DAYS {
            return Err(DomainError::invalid(
                ValueKind::RetailPolicy,
                format!("window_days must be 1 to {MAX_WINDOW_DAYS}"),
            ));
        }
        if publish.high_potential_avg_ticket_cents > crate::value::MAX_AMOUNT_FEN {
            return Err(DomainError::invalid(
                ValueKind::RetailPolicy,
                format!(
                    "high_potential_avg_ticket_cents must be at most {}",
                    crate::value::MAX_AMOUNT_FEN
                ),
            ));
        }
        if let Some(current) = &self.current {
            if publish.version <= current.version {
                return Err(DomainError::ConfigVersionNotNewer {
                    current: current.version,
                    proposed: publish.version,
                });
            }
        }
        Ok(vec![Event::RetailPolicyPublished(RetailPolicyPublished {
            version: publish.version,
            high_potential_avg_ticket_cents: publish.high_potential_avg_ticket_cents,
            window_days: publish.window_days,
            script_template: publish.script_template,
            published_by: publish.published_by,
            published_at: now,
        })])
    }
}

// ---- POS batches ----

/// Lines per batch at most (413 beyond).
pub const MAX_POS_BATCH_LINES: usize = 200_000;
/// Bytes per batch body at most (413 beyond).
pub const MAX_POS_BATCH_BYTES: usize = 64 * 1024 * 1024;
/// Each `PosTicketsRecorded` payload's canonical JSON stays below this.
pub const MAX_POS_EVENT_PAYLOAD_BYTES: usize = 48 * 1024;

/// One POS sale line as read from the input, before validation. Numbers
/// are `None` when the input's value was not an integer (or out of `i64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosInputLine<'a> {
    /// 1-based line number in the input.
    pub line: u64,
    pub store: Cow<'a, str>,
    pub ticket: Cow<'a, str>,
    pub sku: Cow<'a, str>,
    pub qty: Option<i64>,
    pub amount_cents: Option<i64>,
    pub member: Option<Cow<'a, str>>,
    pub sold_at: Cow<'a, str>,
}

/// Why a POS line was refused (stable codes, docs/design/chain-stores.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PosLineErrorCode {
    MalformedLine,
    UnknownStore,
    UnknownSku,
    UnknownMember,
    InvalidQty,
    InvalidAmount,
    InvalidSoldAt,
    TicketMismatch,
    /// `sold_at` more than the future margin ahead of the server's clock.
    TimeInFuture,
    /// A single ticket too large for one event payload (about 700 lines).
    TicketTooLarge,
}

impl PosLineErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            PosLineErrorCode::MalformedLine => "malformed_line",
            PosLineErrorCode::UnknownStore => "unknown_store",
            PosLineErrorCode::UnknownSku => "unknown_sku",
            PosLineErrorCode::UnknownMember => "unknown_member",
            PosLineErrorCode::InvalidQty => "invalid_qty",
            PosLineErrorCode::InvalidAmount => "invalid_amount",
            PosLineErrorCode::InvalidSoldAt => "invalid_sold_at",
            PosLineErrorCode::TicketMismatch => "ticket_mismatch",
            PosLineErrorCode::TimeInFuture => "time_in_future",
            PosLineErrorCode::TicketTooLarge => "ticket_too_large",
        }
    }
}

/// One bad line of a POS batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosLineError {
    /// 1-based line number in the input.
    pub line: u64,
    pub code: PosLineErrorCode,
    /// What is wrong, in English (the API's `detail` for an English
    /// reader).
    pub detail: String,
    /// The values `detail` names, by name (`store`, `sku`, `ticket`, ...):
    /// the variables of the message that words it in another language
    /// (the binary's catalogue, one message per code). Not serialised.
    #[serde(skip)]
    pub args: Vec<(&'static str, String)>,
}

impl PosLineError {
    pub fn new(line: u64, code: PosLineErrorCode, detail: impl Into<String>) -> PosLineError {
        PosLineError {
            line,
            code,
            detail: detail.into(),
            args: Vec::new(),
        }
    }

    /// The same error naming `value` as `name`.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> PosLineError {
        self.args.push((name, value.to_string()));
        self
    }
}

/// A validated POS batch: its events and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosBatch {
    pub events: Vec<PosTicketsRecorded>,
    pub lines: usize,
    pub tickets: usize,
}

struct TicketDraft {
    store: StoreCode,
    first_line: u64,
    /// Index of its first line in the input.
    input_idx: usize,
    ticket: PosTicket,
}

/// Builds a POS batch from parsed lines, validated against the catalogue:
/// either the `PosTicketsRecorded` events (one group per store, stores in
/// code order, tickets in the order of their first line, chunked by whole
/// tickets so each payload's canonical JSON stays under
/// [`MAX_POS_EVENT_PAYLOAD_BYTES`]) or every bad line, in line order.
/// A sale later than `recorded_at` plus `max_ahead` (the command layer's
/// future margin, the same for every business time) is refused
/// (`time_in_future`): one mistyped year would otherwise move a store's
/// "latest sale day", and with it every window of its views, for good. A line's amount is at most [`MAX_LINE_AMOUNT_CENTS`].
/// Pure: no clock (`recorded_at` is passed in), no I/O.
pub fn build_pos_batch(
    batch_id: &PosBatchId,
    lines: &[PosInputLine<'_>],
    catalogue: &Catalogue,
    recorded_at: DateTime<Utc>,
    max_ahead: chrono::Duration,
) -> Result<PosBatch, Vec<PosLineError>> {
    let latest_sale = recorded_at + max_ahead;
    let mut errors = Vec::new();
    let mut drafts: Vec<TicketDraft> = Vec::new();
    let mut by_ticket: HashMap<&str, usize> = HashMap::new();
    for (input_idx, input) in lines.iter().enumerate() {
        let line = input.line;
        let store_ok = catalogue.has_store(&input.store);
        if !store_ok {
            errors.push(
                PosLineError::new(
                    line,
                    PosLineErrorCode::UnknownStore,
                    format!("store {} is not known", input.store),
                )
                .with("store", &input.store),
            );
            continue;
        }
        if !catalogue.has_sku(&input.sku) {
            errors.push(
                PosLineError::new(
                    line,
                    PosLineErrorCode::UnknownSku,
                    format!("SKU {} is not known", input.sku),
                )
                .with("sku", &input.sku),
            );
            continue;
        }
        if let Some(member) = &input.member {
            if !catalogue.has_member(member) {
                errors.push(
                    PosLineError::new(
                        line,
                        PosLineErrorCode::UnknownMember,
                        format!("member {member} is not known"),
                    )
                    .with("member", member),
                );
                continue;
            }
        }
        let qty = match input.qty.and_then(|qty| u32::try_from(qty).ok()) {
            Some(qty) if qty >= 1 => qty,
            _ => {
                errors.push(PosLineError::new(
                    line,
                    PosLineErrorCode::InvalidQty,
                    "qty must be an integer from 1",
                ));
                continue;
            }
        };
        let amount_cents = match input
            .amount_cents
            .and_then(|amount| u64::try_from(amount).ok())
        {
            Some(amount) if amount <= MAX_LINE_AMOUNT_CENTS => amount,
            _ => {
                errors.push(
                    PosLineError::new(
                        line,
                        PosLineErrorCode::InvalidAmount,
                        format!(
                            "amount_cents must be an integer from 0 to {MAX_LINE_AMOUNT_CENTS}"
                        ),
                    )
                    .with("max", MAX_LINE_AMOUNT_CENTS),
                );
                continue;
            }
        };
        let Ok(sku) = SkuCode::parse(&input.sku) else {
            errors.push(
                PosLineError::new(
                    line,
                    PosLineErrorCode::MalformedLine,
                    "sku must be 1 to 64 of A-Z a-z 0-9 . _ : -",
                )
                .with("field", "sku"),
            );
            continue;
        };
        let pos_line = PosLine {
            sku,
            qty,
            amount_cents,
        };
        // A further line of a seen ticket: its store, member and sale time
        // must be the first line's, as written.
        if let Some(&idx) = by_ticket.get(input.ticket.as_ref()) {
            let draft = &mut drafts[idx];
            let first = &lines[draft.input_idx];
            if first.store != input.store
                || first.member != input.member
                || first.sold_at != input.sold_at
            {
                errors.push(
                    PosLineError::new(
                        line,
                        PosLineErrorCode::TicketMismatch,
                        format!(
                            "ticket {} started on line {} with another store, member or sold_at",
                            draft.ticket.ticket, draft.first_line
                        ),
                    )
                    .with("ticket", &draft.ticket.ticket)
                    .with("first_line", draft.first_line),
                );
                continue;
            }
            draft.ticket.lines.push(pos_line);
            continue;
        }
        let Ok(sold_at) = DateTime::parse_from_rfc3339(&input.sold_at) else {
            errors.push(
                PosLineError::new(
                    line,
                    PosLineErrorCode::InvalidSoldAt,
                    format!(
                        "sold_at {} is not an RFC 3339 time with a UTC offset",
                        input.sold_at
                    ),
                )
                .with("sold_at", &input.sold_at),
            );
            continue;
        };
        if sold_at > latest_sale {
            errors.push(
                PosLineError::new(
                    line,
                    PosLineErrorCode::TimeInFuture,
                    format!(
                        "sold_at {} is more than {} s ahead of the server's clock ({})",
                        input.sold_at,
                        max_ahead.num_seconds(),
                        recorded_at.to_rfc3339()
                    ),
                )
                .with("sold_at", &input.sold_at)
                .with("margin_secs", max_ahead.num_seconds())
                .with("server_time", recorded_at.to_rfc3339()),
            );
            continue;
        }
        let parsed = (
            StoreCode::parse(&input.store),
            PosTicketRef::parse(&input.ticket),
            input.member.as_deref().map(MemberRef::parse).transpose(),
        );
        let (Ok(store), Ok(ticket_ref), Ok(member)) = parsed else {
            errors.push(
                PosLineError::new(
                    line,
                    PosLineErrorCode::MalformedLine,
                    "ticket must be 1 to 64 of A-Z a-z 0-9 . _ : -",
                )
                .with("field", "ticket"),
            );
            continue;
        };
        by_ticket.insert(input.ticket.as_ref(), drafts.len());
        drafts.push(TicketDraft {
            store,
            first_line: line,
            input_idx,
            ticket: PosTicket {
                ticket: ticket_ref,
                sold_at,
                member,
                lines: vec![pos_line],
            },
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let n_tickets = drafts.len();
    let mut by_store: BTreeMap<StoreCode, Vec<TicketDraft>> = BTreeMap::new();
    for draft in drafts {
        by_store.entry(draft.store.clone()).or_default().push(draft);
    }
    let mut events = Vec::new();
    for (store, drafts) in by_store {
        // `{"batch_id":"..","store":"..","tickets":[]}`
        let overhead = json_len(&PosTicketsRecorded {
            batch_id: batch_id.clone(),
            store: store.clone(),
            tickets: Vec::new(),
        });
        let mut chunk: Vec<PosTicket> = Vec::new();
        let mut chunk_len = overhead;
        for draft in drafts {
            let ticket_len = ticket_json_len(&draft.ticket);
            // A comma before every ticket but the first.
            let added = ticket_len + usize::from(!chunk.is_empty());
            if overhead + ticket_len >= MAX_POS_EVENT_PAYLOAD_BYTES {
                errors.push(
                    PosLineError::new(
                        draft.first_line,
                        PosLineErrorCode::TicketTooLarge,
                        format!(
                            "ticket {} is {} bytes as JSON; one event holds less than {}",
                            draft.ticket.ticket, ticket_len, MAX_POS_EVENT_PAYLOAD_BYTES
                        ),
                    )
                    .with("ticket", &draft.ticket.ticket)
                    .with("bytes", ticket_len)
                    .with("max", MAX_POS_EVENT_PAYLOAD_BYTES),
                );
                continue;
            }
            if chunk_len + added >= MAX_POS_EVENT_PAYLOAD_BYTES {
                events.push(PosTicketsRecorded {
                    batch_id: batch_id.clone(),
                    store: store.clone(),
                    tickets: std::mem::take(&mut chunk),
                });
                chunk_len = overhead;
            }
            chunk_len += ticket_len + usize::from(!chunk.is_empty());
            chunk.push(draft.ticket);
        }
        if !chunk.is_empty() {
            events.push(PosTicketsRecorded {
                batch_id: batch_id.clone(),
                store: store.clone(),
                tickets: chunk,
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|error| error.line);
        return Err(errors);
    }
    Ok(PosBatch {
        events,
        lines: lines.len(),
        tickets: n_tickets,
    })
}

/// The length of a ticket's JSON, computed without serialising it whole:
/// codes and refs never need escaping (their alphabet has no `"`, `\\` or
/// control character), numbers are their decimal digits, and only the sale
/// time is formatted (by serde, as the payload will be). Equal to
/// [`json_len`] (a test checks it).
fn ticket_json_len(ticket: &PosTicket) -> usize {
    fn digits(mut n: u64) -> usize {
        let mut count = 1;
        while n >= 10 {
            n /= 10;
            count += 1;
        }
        count
    }
    // {"ticket":"..","sold_at":..,"member":..,"lines":[..]}
    let member = ticket
        .member
        .as_ref()
        .map_or(4, |member| member.as_str().len() + 2);
    let lines: usize = ticket
        .lines
        .iter()
        .map(|line| {
            // {"sku":"..","qty":N,"amount_cents":N}
            2 + 6
                + line.sku.as_str().len()
                + 2
                + 1
                + 6
                + digits(u64::from(line.qty))
                + 1
                + 15
                + digits(line.amount_cents)
        })
        .sum::<usize>()
        + ticket.lines.len().saturating_sub(1);
    2 + 9
        + ticket.ticket.as_str().len()
        + 2
        + 1
        + 10
        + json_len(&ticket.sold_at)
        + 1
        + 9
        + member
        + 1
        + 8
        + 2
        + lines
}

/// The length of a value's JSON (the same as its canonical JSON: sorting
/// keys changes no length).
fn json_len<T: Serialize>(value: &T) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Serialising these plain structs into a sink cannot fail; a failure
    // would only make the estimate smaller, and the store still refuses
    // a payload over its own limit.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cover_the_day_at_the_documented_hours() {
        let slots: Vec<TimeSlot> = (0..24).map(TimeSlot::of_hour).collect();
        assert_eq!(slots[5], TimeSlot::Night);
        assert_eq!(slots[6], TimeSlot::Morning);
        assert_eq!(slots[10], TimeSlot::Morning);
        assert_eq!(slots[11], TimeSlot::Midday);
        assert_eq!(slots[14], TimeSlot::Afternoon);
        assert_eq!(slots[17], TimeSlot::Evening);
        assert_eq!(slots[20], TimeSlot::Evening);
        assert_eq!(slots[21], TimeSlot::Night);
    }

    #[test]
    fn a_ticket_keeps_its_local_day_and_slot_whatever_the_offset() {
        let ticket = PosTicket {
            ticket: PosTicketRef::parse("T1").expect("test value"),
            sold_at: DateTime::parse_from_rfc3339("2026-03-01T23:30:00+08:00").expect("test value"),
            member: None,
            lines: vec![PosLine {
                sku: SkuCode::parse("A").expect("test value"),
                qty: 2,
                amount_cents: 1_250,
            }],
        };
        assert_eq!(
            ticket.local_day(),
            NaiveDate::from_ymd_opt(2026, 3, 1).expect("test value")
        );
        assert_eq!(ticket.time_slot(), TimeSlot::Night);
        assert_eq!(ticket.total_cents(), 1_250);
    }

    #[test]
    fn a_ticket_s_json_length_is_computed_exactly() {
        for (member, sold_at, amounts) in [
            (None, "2026-03-01T23:30:00+08:00", vec![0, 9, 10, 1_250]),
            (
                Some("M:1.a_b-c"),
                "2026-03-01T23:30:00.125-05:30",
                vec![u64::MAX],
            ),
            (Some("M1"), "2026-03-01T00:00:00Z", vec![99_999]),
        ] {
            let ticket = PosTicket {
                ticket: PosTicketRef::parse("T-20260301-0001").expect("test value"),
                sold_at: DateTime::parse_from_rfc3339(sold_at).expect("test value"),
                member: member.map(|member| MemberRef::parse(member).expect("test value")),
                lines: amounts
                    .iter()
                    .enumerate()
                    .map(|(idx, amount)| PosLine {
                        sku: SkuCode::parse(&format!("SKU-{idx}")).expect("test value"),
                        qty: u32::try_from(idx * 1_000 + 1).expect("test value"),
                        amount_cents: *amount,
                    })
                    .collect(),
            };
            assert_eq!(ticket_json_len(&ticket), json_len(&ticket), "{ticket:?}");
        }
    }

    #[test]
    fn the_script_template_is_filled() {
        let script = fill_script(
            "{member} at {store}: {slot}, {categories} {unknown}",
            "Li Lei",
            "S1",
            TimeSlot::Evening,
            &["dairy", "bakery"],
        );
        assert_eq!(script, "Li Lei at S1: evening, dairy, bakery {unknown}");
    }
}
