//! Unit tests of the health table projector: the usage boundary by range,
//! the inputs' stored form and what an evaluation decodes.

use super::*;

/// `next_boundary` before it looked the usage days up by range: every
/// usage day and the day 30 later, the first strictly after `as_of`
/// (the renewal and the other windows are as they are).
fn usage_boundary_by_walk(inputs: &HealthInputs, as_of: NaiveDate) -> Option<NaiveDate> {
    inputs
        .usage
        .keys()
        .flat_map(|day| [Some(*day), plus_days(*day, 30)])
        .flatten()
        .filter(|day| *day > as_of)
        .min()
}

/// The two range look-ups find what the walk over every usage day
/// found, for days before, inside, between and after the usage days.
#[test]
fn the_usage_boundary_by_range_is_the_walks() -> Result<(), chrono::ParseError> {
    let start = day("2026-01-01")?;
    let policy = HealthPolicy::default_v1();
    for pattern in [
        &[][..],
        &[0],
        &[0, 1, 2],
        &[0, 29, 30, 31, 95],
        &[3, 40, 41, 90],
    ] {
        let mut inputs = HealthInputs::default();
        for offset in pattern {
            inputs
                .usage
                .insert(start + Duration::days(*offset), DayUsage::default());
        }
        for offset in -5..140 {
            let as_of = start + Duration::days(offset);
            assert_eq!(
                next_boundary(&inputs, as_of, &policy),
                usage_boundary_by_walk(&inputs, as_of),
                "usage days {pattern:?}, as of {as_of}"
            );
        }
    }
    Ok(())
}

fn day(text: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
}

fn time(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc))
}

/// Inputs with every field filled, including the ones an evaluation
/// skips (so the skipping is exercised on every kind of field).
fn full_inputs() -> Result<HealthInputs, Box<dyn std::error::Error>> {
    let mut inputs = HealthInputs::default();
    for (offset, logins) in [(0, 3), (1, 0), (5, 7), (40, 2)] {
        inputs.usage.insert(
            day("2026-03-01")? + Duration::days(offset),
            DayUsage {
                logins,
                key_feature_calls: logins * 11,
            },
        );
    }
    inputs.modules_used.insert(ModuleName::parse("crm")?);
    inputs.modules_used.insert(ModuleName::parse("reports")?);
    inputs.last_login_at = Some(time("2026-04-10T08:00:00Z")?);
    inputs.open_tickets.insert(
        TicketRef::parse("T-1")?,
        OpenTicket {
            opened_at: time("2026-04-01T09:30:00Z")?,
            subject: Some(Text::parse("导出报表失败")?),
        },
    );
    inputs.open_tickets.insert(
        TicketRef::parse("T-2")?,
        OpenTicket {
            opened_at: time("2026-04-02T09:30:00Z")?,
            subject: None,
        },
    );
    inputs.resolved_tickets.insert(
        TicketRef::parse("T-0")?,
        ResolvedTicket {
            opened_at: time("2026-03-20T09:00:00Z")?,
            resolved_at: time("2026-03-21T15:00:00Z")?,
            resolution_seconds: 108_000,
        },
    );
    inputs.renewal = Some(Renewal {
        renewal_on: day("2026-06-30")?,
        plan: PlanName::parse("enterprise")?,
    });
    inputs
        .success_references
        .insert(ReferenceRef::parse("CASE-7")?, day("2026-02-14")?);
    let mut counts = BTreeMap::new();
    counts.insert(Keyword::parse("siemens")?, 4);
    counts.insert(Keyword::parse("西门子")?, 1);
    inputs.keyword_searches.insert(day("2026-04-03")?, counts);
    Ok(inputs)
}

#[test]
fn the_inputs_encode_as_their_stored_form_would() -> Result<(), Box<dyn std::error::Error>> {
    let full = full_inputs()?;
    // Every field empty, every field full, and each field alone.
    let mut cases = vec![HealthInputs::default(), full.clone()];
    let only = |keep: &dyn Fn(&mut HealthInputs, &HealthInputs)| {
        let mut inputs = HealthInputs::default();
        keep(&mut inputs, &full);
        inputs
    };
    cases.push(only(&|inputs, full| inputs.usage = full.usage.clone()));
    cases.push(only(&|inputs, full| {
        inputs.modules_used = full.modules_used.clone()
    }));
    cases.push(only(&|inputs, full| {
        inputs.last_login_at = full.last_login_at
    }));
    cases.push(only(&|inputs, full| {
        inputs.open_tickets = full.open_tickets.clone()
    }));
    cases.push(only(&|inputs, full| {
        inputs.resolved_tickets = full.resolved_tickets.clone()
    }));
    cases.push(only(&|inputs, full| inputs.renewal = full.renewal.clone()));
    cases.push(only(&|inputs, full| {
        inputs.success_references = full.success_references.clone()
    }));
    cases.push(only(&|inputs, full| {
        inputs.keyword_searches = full.keyword_searches.clone()
    }));
    for inputs in &cases {
        let stored = super::super::encode_value("health-inputs", &StoredInputs::of(inputs))?;
        let borrowed = super::super::encode_value("health-inputs", &StoredInputsRef(inputs))?;
        assert_eq!(borrowed, stored, "{inputs:?}");
        let decoded: StoredInputs = postcard::from_bytes(&borrowed)?;
        assert_eq!(&decoded.into_inputs()?, inputs);
    }
    Ok(())
}

#[test]
fn evaluation_inputs_decode_what_evaluate_and_next_boundary_read(
) -> Result<(), Box<dyn std::error::Error>> {
    let inputs = full_inputs()?;
    let mut rows = super::super::MemoryTables::default();
    let customer_id = CustomerId::from_uuid(Uuid::from_u128(7));
    Tx::new(&mut rows).put(&INPUTS, &customer_id, &StoredInputs::of(&inputs))?;
    let mut tx = Tx::new(&mut rows);
    assert_eq!(load_inputs(&mut tx, customer_id)?.as_ref(), Some(&inputs));
    let light = load_evaluation_inputs(&mut tx, customer_id)?.ok_or("no inputs")?;
    assert_eq!(light.usage, inputs.usage);
    assert_eq!(light.resolved_tickets, inputs.resolved_tickets);
    assert_eq!(light.renewal, inputs.renewal);
    assert_eq!(light.success_references, inputs.success_references);
    let policy = HealthPolicy::default_v1();
    for as_of in day("2026-03-01")?.iter_days().take(200) {
        assert_eq!(
            evaluate(&light, as_of, &policy),
            evaluate(&inputs, as_of, &policy)
        );
        assert_eq!(
            next_boundary(&light, as_of, &policy),
            next_boundary(&inputs, as_of, &policy)
        );
    }
    let absent = CustomerId::from_uuid(Uuid::from_u128(8));
    assert_eq!(load_evaluation_inputs(&mut tx, absent)?, None);
    Ok(())
}
