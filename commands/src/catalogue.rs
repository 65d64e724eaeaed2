//! The chain-store catalogue (known stores with their regions, SKUs,
//! members) folded from the log by a [`CatalogueFollower`], which the
//! command service keeps and catches up to the head right before a retail
//! command uses it (`CommandService::retail_catalogue`).

use std::sync::Arc;

use salesledger_domain::retail::Catalogue;
use salesledger_domain::Event;
use salesledger_store::{RecordedEvent, Store};

use crate::error::CommandError;
use crate::follow::{follow_log, Follower};

/// The catalogue folded from the log up to `next_position`.
#[derive(Debug, Default)]
pub struct CatalogueFollower {
    next_position: u64,
    catalogue: Arc<Catalogue>,
}

impl CatalogueFollower {
    /// Applies records until `target` (a log length) is reflected. Only
    /// `store-`, `sku-` and `member-` records are decoded.
    pub async fn catch_up_to(
        &mut self,
        store: &dyn Store,
        target: u64,
    ) -> Result<(), CommandError> {
        follow_log(store, self, target).await
    }

    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }

    pub fn position(&self) -> u64 {
        self.next_position
    }

    /// Moves past the records `first..=last` (a POS batch's own, which
    /// hold no catalogue entry) when everything before them is applied.
    pub fn skip(&mut self, first: u64, last: u64) {
        if self.next_position == first {
            self.next_position = last + 1;
        }
    }
}

impl Follower for CatalogueFollower {
    fn next_position(&mut self) -> &mut u64 {
        &mut self.next_position
    }

    /// Only `store-`, `sku-` and `member-` records hold catalogue entries.
    fn wanted(&self, stream: &str) -> bool {
        stream.starts_with("store-") || stream.starts_with("sku-") || stream.starts_with("member-")
    }

    fn apply(&mut self, _record: &RecordedEvent, event: &Event) {
        Arc::make_mut(&mut self.catalogue).apply(event);
    }
}
