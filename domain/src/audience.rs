//! Who an event is about: the reps an event names, so that a rep's view
//! of the log (the integrator feed read with a rep's token) shows the
//! events of its own work and not its colleagues'.
//!
//! Only what the payload says counts: an event that names no rep (a
//! visit's extraction, a contract's payment) is about the rep its stream's
//! opening event names (the visit's `VisitLogged`, the contract's
//! `ContractSigned`); callers that need that look up the opener themselves
//! ([`opener_names_owner`] tells which streams it applies to).

use crate::event::Event;
use crate::value::RepId;

/// The reps `event`'s payload names (owner, claimer, both sides of a
/// transfer, the rep of a visit, to-do, contract or process asset, ...),
/// without duplicates, in payload order.
pub fn named_reps(event: &Event) -> Vec<RepId> {
    let mut reps = match event {
        Event::RepRegistered(event) => vec![event.rep_id],
        Event::RepCapabilitiesChanged(event) => vec![event.rep_id],
        Event::RepDeactivated(event) => vec![event.rep_id],
        Event::CustomerClaimed(event) => vec![event.rep_id],
        Event::CustomerTransferred(event) => event
            .from_rep_id
            .into_iter()
            .chain([event.to_rep_id])
            .collect(),
        Event::CustomerReleased(event) => vec![event.rep_id],
        Event::CustomerRecalledToPool(event) => vec![event.previous_owner],
        Event::CustomerReturnedToPool(event) => vec![event.previous_owner],
        Event::FollowUpRecorded(event) => vec![event.rep_id],
        Event::RoutingConfirmed(event) => vec![event.rep_id],
        Event::VisitLogged(event) => vec![event.rep_id],
        Event::VisitExtractionConfirmed(event) => vec![event.rep_id],
        Event::TodoCreated(event) => vec![event.rep_id],
        Event::TodoCompleted(event) => vec![event.rep_id],
        Event::ContractSigned(event) => vec![event.rep_id],
        Event::ProcessAssetRecorded(event) => vec![event.rep_id],
        Event::SuccessCasePushed(event) => vec![event.owner],
        _ => Vec::new(),
    };
    let mut seen = Vec::with_capacity(reps.len());
    reps.retain(|rep| {
        let first = !seen.contains(rep);
        seen.push(*rep);
        first
    });
    reps
}

/// Whether the opening event of `stream_id` names the rep responsible for
/// the whole stream (visits and contracts), so that an event of that
/// stream naming no rep is about the opener's rep.
pub fn opener_names_owner(stream_id: &str) -> bool {
    stream_id.starts_with("visit-") || stream_id.starts_with("contract-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerTransferred;
    use crate::value::CustomerId;
    use uuid::Uuid;

    fn rep(n: u128) -> RepId {
        RepId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn a_transfer_names_both_sides_once() {
        let transfer = |from: Option<RepId>, to: RepId| {
            Event::CustomerTransferred(CustomerTransferred {
                customer_id: CustomerId::from_uuid(Uuid::from_u128(9)),
                from_rep_id: from,
                to_rep_id: to,
                transferred_by: crate::value::ActorId::parse("boss").expect("an actor id"),
                reason: crate::value::Text::parse("territory change").expect("a text"),
                transferred_at: chrono::DateTime::UNIX_EPOCH,
                protected_until: chrono::DateTime::UNIX_EPOCH,
                maximum_protected_until: chrono::DateTime::UNIX_EPOCH,
                policy_version: 1,
            })
        };
        assert_eq!(
            named_reps(&transfer(Some(rep(1)), rep(2))),
            [rep(1), rep(2)]
        );
        assert_eq!(named_reps(&transfer(None, rep(2))), [rep(2)]);
        assert_eq!(named_reps(&transfer(Some(rep(2)), rep(2))), [rep(2)]);
    }

    #[test]
    fn visits_and_contracts_take_their_opener_s_rep() {
        assert!(opener_names_owner("visit-0190"));
        assert!(opener_names_owner("contract-0190"));
        assert!(!opener_names_owner("customer-0190"));
        assert!(!opener_names_owner("calendar"));
    }
}
