//! The shared directory on tables answers as the model's `Directory` does,
//! over a generated history (the comparison that every ported view repeats
//! for its own answers).

use crate::support;

use salesledger_projections::directory::Directory;
use salesledger_projections::tables::directory::{self, DirectoryTables};
use salesledger_projections::tables::{MemoryTables, Reader};
use salesledger_projections::{decode_record, ProjectionError};

#[test]
fn the_directory_on_tables_places_reps_and_customers_as_the_model_does() {
    let records = support::small_history();
    let mut model = Directory::default();
    let mut tables = MemoryTables::default();
    for record in records {
        if let Some(event) = decode_record(record).expect("decodes") {
            model.apply(&event);
        }
        tables
            .apply::<DirectoryTables>(record)
            .expect("the directory applies");
    }
    assert!(
        model.reps.len() >= 5 && model.customers.len() >= 30,
        "a real history"
    );
    let mut reader = Reader::new(&mut tables);
    let check = |reader: &mut Reader<'_>| -> Result<(), ProjectionError> {
        for (rep_id, info) in &model.reps {
            assert_eq!(directory::rep_region(reader, *rep_id)?, info.region);
            assert_eq!(
                directory::rep_name(reader, *rep_id)?,
                model.rep_name(*rep_id)
            );
        }
        let mut owned = 0;
        for customer_id in model.customers.keys() {
            assert_eq!(
                directory::customer_region(reader, *customer_id)?,
                model.customer_region(*customer_id)
            );
            assert_eq!(
                directory::customer_industry(reader, *customer_id)?,
                model.customer_industry(*customer_id)
            );
            let owner = directory::customer_owner(reader, *customer_id)?;
            assert_eq!(owner, model.customers[customer_id].owner);
            owned += usize::from(owner.is_some());
        }
        assert!(owned > 0, "some customers have owners");
        Ok(())
    };
    check(&mut reader).expect("reads");
}
