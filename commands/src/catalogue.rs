//! The chain-store catalogue (known stores with their regions, SKUs,
//! members) folded from the log by a [`CatalogueFollower`], which the
//! command service keeps and catches up to the head right before a retail
//! command uses it (`CommandService::retail_catalogue`).

use std::sync::Arc;

use salesledger_domain::retail::Catalogue;
use salesledger_domain::DomainError;
use salesledger_store::{Store, READ_PAGE};

use crate::error::{decode_record, CommandError};

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
        while self.next_position < target {
            let records = store.read_all(self.next_position, READ_PAGE).await?;
            if records.is_empty() {
                break;
            }
            for record in &records {
                let id = record.stream_id.as_str();
                if id.starts_with("store-") || id.starts_with("sku-") || id.starts_with("member-") {
                    match decode_record(record) {
                        Ok(event) => Arc::make_mut(&mut self.catalogue).apply(&event),
                        Err(CommandError::Corrupt {
                            source: DomainError::UnknownEventType { .. },
                            ..
                        }) => {}
                        Err(error) => return Err(error),
                    }
                }
                self.next_position = record.position + 1;
            }
        }
        Ok(())
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
