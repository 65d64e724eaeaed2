//! `salesledger copy --from DIR_OR_URL --to DIR_OR_URL`: moves a whole log
//! between backends (sled <-> PostgreSQL, or sled -> sled), verifying as it
//! goes.
//!
//! - The destination must hold an empty log (refused otherwise), and must
//!   not be the source.
//! - The source's committed head is taken once at the start; records
//!   `0..head` are read page by page, every record checked against the
//!   chain ([`ChainVerifier`]: position, `prev_hash`, recomputed hash,
//!   stream version, time) and folded into the RFC 9162 Merkle root, then
//!   appended **verbatim** (ids, times, actors, hashes) with
//!   [`Store::import`], which checks again that each page extends the
//!   destination's head.
//! - Then the destination is read back from position 0 and verified the
//!   same way, independently: its chain head hash and Merkle root must
//!   equal the source's. Both are printed (`head_hash=`, `merkle_root=`).
//!
//! Idempotency keys are not part of the log and are not copied: a client
//! retrying, against the destination, a request acknowledged by the source
//! appends again.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use salesledger_replay::audit::merkle::{empty_root, leaf_hash, node_hash, Hash};
use salesledger_store::{ChainVerifier, Hash32, LogHead, RecordedEvent, Store, READ_PAGE};

use crate::backend::{OpenedStore, StoreChoice};

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The log to copy: a data directory or `postgres://...[?schema=NAME]`.
    #[arg(long, value_name = "DIR_OR_URL")]
    pub from: StoreChoice,
    /// Where to copy it: a data directory or `postgres://...[?schema=NAME]`,
    /// holding no records yet.
    #[arg(long, value_name = "DIR_OR_URL")]
    pub to: StoreChoice,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A log read in order from its start: its hash chain verified and its
/// Merkle tree built, record by record (`copy`, [`summarise`], `backup`).
#[derive(Default)]
pub struct VerifiedLog {
    pub chain: ChainVerifier,
    pub tree: MerkleFrontier,
}

impl VerifiedLog {
    /// Takes in the next record; one that breaks the chain is the error
    /// `broken` words from its position and the reason.
    pub fn take(
        &mut self,
        record: &RecordedEvent,
        broken: impl FnOnce(u64, String) -> String,
    ) -> anyhow::Result<()> {
        if let Err(cause) = self.chain.check(record) {
            bail!(broken(
                record.position,
                crate::i18n::errors::chain_break(&cause)
            ));
        }
        self.tree.push_record(&record.canonical_bytes());
        Ok(())
    }

    /// The next page of `store` to take in, from the first record not yet
    /// verified, at most `want` records: a read error in the context
    /// `reading` words, an empty page (a record missing below the head)
    /// the error `missing` words, each from that position.
    pub async fn next_page(
        &self,
        store: &dyn Store,
        want: usize,
        reading: impl FnOnce(u64) -> String,
        missing: impl FnOnce(u64) -> String,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        let next = self.chain.n_verified();
        let records = store
            .read_all(next, want)
            .await
            .with_context(|| reading(next))?;
        if records.is_empty() {
            bail!(missing(next));
        }
        Ok(records)
    }
}

/// The RFC 9162 root of a growing list of leaves in `O(log n)` memory: the
/// perfect subtrees of the prefix so far, largest first (the same
/// binary-counter merge as [`salesledger_replay::audit::merkle::root`]).
#[derive(Default)]
pub struct MerkleFrontier {
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl MerkleFrontier {
    /// Appends the leaf of a record's canonical bytes.
    pub fn push_record(&mut self, canonical_bytes: &[u8]) {
        let (mut level, mut hash) = (0u32, leaf_hash(canonical_bytes));
        while let Some(&(top_level, left)) = self.stack.last() {
            if top_level != level {
                break;
            }
            self.stack.pop();
            hash = node_hash(&left, &hash);
            level += 1;
        }
        self.stack.push((level, hash));
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.stack.iter().rev();
        let Some((_, last)) = subtrees.next() else {
            return empty_root();
        };
        subtrees.fold(*last, |acc, (_, left)| node_hash(left, &acc))
    }
}

/// One side of a copy: how many records, the chain's head hash, the
/// Merkle root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogSummary {
    pub records: u64,
    pub head_hash: Hash32,
    pub merkle_root: Hash32,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct CopyReport {
    pub source: LogSummary,
    pub destination: LogSummary,
    pub identical: bool,
}

/// `salesledger copy`.
pub fn run(args: &CopyArgs) -> anyhow::Result<ExitCode> {
    let runtime = crate::runtime()?;
    let report = runtime.block_on(copy(&args.from, &args.to))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::say!(
            "cli-copy-copied",
            n = report.destination.records,
            from = args.from.describe(),
            to = args.to.describe()
        )?;
        for (side, summary) in [
            (crate::t!("cli-copy-source"), report.source),
            (crate::t!("cli-copy-destination"), report.destination),
        ] {
            crate::outln!(
                "{side}: records={} head_hash={} merkle_root={}",
                summary.records,
                summary.head_hash,
                summary.merkle_root
            )?;
        }
        crate::outln!(
            "{}",
            if report.identical {
                crate::t!("cli-copy-identical")
            } else {
                crate::t!("cli-copy-different")
            }
        )?;
    }
    Ok(if report.identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Copies `from` into the empty log at `to`; see the module docs.
pub async fn copy(from: &StoreChoice, to: &StoreChoice) -> anyhow::Result<CopyReport> {
    if from == to {
        bail!(crate::t!("cli-copy-same-log"));
    }
    if let (StoreChoice::Sled(a), StoreChoice::Sled(b)) = (from, to) {
        if a.canonicalize()
            .ok()
            .is_some_and(|a| b.canonicalize().ok() == Some(a))
        {
            bail!(crate::t!("cli-copy-same-directory"));
        }
    }
    let source = OpenedStore::open_existing(from)
        .await
        .with_context(|| crate::t!("cli-copy-opening-source", store = from.describe()))?;
    let destination = OpenedStore::open(to)
        .await
        .with_context(|| crate::t!("cli-copy-opening-destination", store = to.describe()))?;
    let result = copy_between(source.store().as_ref(), destination.store().as_ref()).await;
    source.close().await;
    destination.close().await;
    let (source, destination) = result?;
    Ok(CopyReport {
        identical: source == destination,
        source,
        destination,
    })
}

/// The copy itself, between two open stores.
pub async fn copy_between(
    source: &dyn Store,
    destination: &dyn Store,
) -> anyhow::Result<(LogSummary, LogSummary)> {
    let existing = destination.head();
    if existing.len > 0 {
        bail!(crate::t!(
            "cli-copy-destination-not-empty",
            n = existing.len
        ));
    }
    let head = source.head();
    let bar = crate::progress::bar(head.len, &crate::t!("cli-progress-copying"));
    let mut log = VerifiedLog::default();
    while log.chain.n_verified() < head.len {
        let next = log.chain.n_verified();
        let want = usize::try_from(head.len - next)
            .unwrap_or(READ_PAGE)
            .min(READ_PAGE);
        let records = log
            .next_page(
                source,
                want,
                |position| crate::t!("cli-copy-reading-source", position = position),
                |position| {
                    crate::t!(
                        "cli-copy-source-missing",
                        position = position,
                        head = head.len
                    )
                },
            )
            .await?;
        for record in &records {
            log.take(record, |position, reason| {
                crate::t!("cli-copy-source-bad", position = position, reason = reason)
            })?;
        }
        destination
            .import(records)
            .await
            .map_err(crate::i18n::errors::store_error)
            .with_context(|| crate::t!("cli-copy-writing-destination", position = next))?;
        bar.set_position(log.chain.n_verified());
    }
    bar.finish_and_clear();
    if log.chain.last_hash() != head.last_hash {
        bail!(crate::t!("cli-copy-source-head-mismatch"));
    }
    let source_summary = LogSummary {
        records: head.len,
        head_hash: head.last_hash,
        merkle_root: Hash32(log.tree.root()),
    };
    let destination_summary = summarise(destination).await?;
    Ok((source_summary, destination_summary))
}

/// Reads a whole log, verifying its chain; its size, head hash and root.
pub async fn summarise(store: &dyn Store) -> anyhow::Result<LogSummary> {
    let head: LogHead = store.head();
    let bar = crate::progress::bar(head.len, &crate::t!("cli-progress-verifying-copy"));
    let mut log = VerifiedLog::default();
    while log.chain.n_verified() < head.len {
        let next = log.chain.n_verified();
        let records = store.read_all(next, READ_PAGE).await?;
        if records.is_empty() {
            bail!(crate::t!(
                "cli-copy-record-missing",
                position = next,
                head = head.len
            ));
        }
        for record in records
            .iter()
            .take_while(|record| record.position < head.len)
        {
            log.take(record, |position, reason| {
                crate::t!("cli-copy-log-bad", position = position, reason = reason)
            })?;
        }
        bar.set_position(log.chain.n_verified());
    }
    bar.finish_and_clear();
    if log.chain.last_hash() != head.last_hash {
        bail!(crate::t!("cli-copy-log-head-mismatch"));
    }
    Ok(LogSummary {
        records: head.len,
        head_hash: head.last_hash,
        merkle_root: Hash32(log.tree.root()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_gives_the_reference_root_for_every_size() {
        let leaves: Vec<Vec<u8>> = (0..70u32).map(|n| n.to_be_bytes().to_vec()).collect();
        let mut frontier = MerkleFrontier::default();
        assert_eq!(frontier.root(), empty_root());
        for (n, leaf) in leaves.iter().enumerate() {
            frontier.push_record(leaf);
            let hashes: Vec<Hash> = leaves[..=n].iter().map(|l| leaf_hash(l)).collect();
            assert_eq!(
                frontier.root(),
                salesledger_replay::audit::merkle::root(&hashes),
                "{n}"
            );
        }
        assert_eq!(frontier.size(), 70);
    }
}
