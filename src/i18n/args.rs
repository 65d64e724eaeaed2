//! The variables of a domain refusal's message: the refusal's own fields,
//! as text (ids, dates, counts; never an English phrase).

use salesledger_domain::DomainError;

fn pairs<const N: usize>(items: [(&str, String); N]) -> Vec<(String, String)> {
    items
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// The named fields of `error` its catalogue messages use.
pub fn domain_args(error: &DomainError) -> Vec<(String, String)> {
    use DomainError as E;
    match error {
        E::CustomerAlreadyOwned { customer_id, owner } => pairs([
            ("customer_id", customer_id.to_string()),
            ("owner", owner.to_string()),
        ]),
        E::CustomerNotOwned { customer_id } | E::NotFrozen { customer_id } => {
            pairs([("customer_id", customer_id.to_string())])
        }
        E::NotCustomerOwner { rep_id, .. }
        | E::TransferToCurrentOwner { rep_id }
        | E::LeadAlreadyRouted { rep_id }
        | E::RepNotAmongCandidates { rep_id, .. } => pairs([("rep_id", rep_id.to_string())]),
        E::NotVisitRep {
            rep_id,
            visit_rep_id,
        } => pairs([
            ("rep_id", rep_id.to_string()),
            ("visit_rep_id", visit_rep_id.to_string()),
        ]),
        E::ConfigVersionNotNewer { current, proposed } => pairs([
            ("current", current.to_string()),
            ("proposed", proposed.to_string()),
        ]),
        E::WatermarkEmailMismatch { expected, found }
        | E::ReceiptRecipientMismatch { expected, found } => {
            pairs([("expected", expected.clone()), ("found", found.clone())])
        }
        E::TodoNotFound { todo_id } | E::TodoAlreadyCompleted { todo_id } => {
            pairs([("todo_id", todo_id.to_string())])
        }
        E::DueBeforeVisit { due_on, visit_on } => pairs([
            ("due_on", due_on.to_string()),
            ("visit_on", visit_on.to_string()),
        ]),
        E::OccursInFuture {
            occurred_at, now, ..
        } => pairs([
            ("occurred_at", occurred_at.to_rfc3339()),
            ("now", now.to_rfc3339()),
        ]),
        E::DayNotClosedYet { day } => pairs([("day", day.to_string())]),
        E::NurtureStepNotFound { step_index }
        | E::NurtureStepAlreadySent { step_index }
        | E::NurtureStepNotSent { step_index } => pairs([("step_index", step_index.to_string())]),
        E::DateInFuture { date, today, .. } => {
            pairs([("date", date.to_string()), ("today", today.to_string())])
        }
        E::DayOutOfOrder { day, last_closed } => pairs([
            ("day", day.to_string()),
            ("last_closed", last_closed.to_string()),
        ]),
        E::DayNotNext {
            day,
            next_day,
            last_closed,
        } => pairs([
            ("day", day.to_string()),
            ("next_day", next_day.to_string()),
            ("last_closed", last_closed.to_string()),
        ]),
        E::AccountCustomerMismatch { expected, found } => pairs([
            ("expected", expected.to_string()),
            ("found", found.to_string()),
        ]),
        E::TicketAlreadyRecorded { ticket_ref }
        | E::TicketNotFound { ticket_ref }
        | E::TicketAlreadyResolved { ticket_ref } => {
            pairs([("ticket_ref", ticket_ref.to_string())])
        }
        E::ResolvedBeforeOpened {
            opened_at,
            resolved_at,
        } => pairs([
            ("opened_at", opened_at.to_rfc3339()),
            ("resolved_at", resolved_at.to_rfc3339()),
        ]),
        E::SuccessReferenceAlreadyRecorded { reference_ref } => {
            pairs([("reference_ref", reference_ref.to_string())])
        }
        E::CallbackTaskNotFound { task_id } | E::CallbackTaskAlreadyCompleted { task_id } => {
            pairs([("task_id", task_id.to_string())])
        }
        E::RescuePlanAlreadySubmitted { plan_id }
        | E::RescuePlanNotFound { plan_id }
        | E::RescuePlanAlreadyApproved { plan_id }
        | E::RescuePlanOfEarlierFreeze { plan_id } => pairs([("plan_id", plan_id.to_string())]),
        E::RenewalQuotingFrozen { customer_id, since } => pairs([
            ("customer_id", customer_id.to_string()),
            ("since", since.to_string()),
        ]),
        E::QuoteAlreadyRecorded { quote_id } => pairs([("quote_id", quote_id.to_string())]),
        E::PaymentAlreadyRecorded { payment_ref } => {
            pairs([("payment_ref", payment_ref.to_string())])
        }
        E::PaymentExceedsOutstanding {
            amount_fen,
            outstanding_fen,
        } => pairs([
            ("amount_fen", amount_fen.to_string()),
            ("outstanding_fen", outstanding_fen.to_string()),
        ]),
        E::LeadStageNotAllowed { from, to } => {
            pairs([("from", from.to_string()), ("to", to.to_string())])
        }
        E::UnknownStore { store } => pairs([("store", store.to_string())]),
        E::UnknownSku { sku } => pairs([("sku", sku.to_string())]),
        E::RegionWithoutStores { region } => pairs([("region", region.to_string())]),
        E::PromotionDatesReversed { starts_on, ends_on } => pairs([
            ("starts_on", starts_on.to_string()),
            ("ends_on", ends_on.to_string()),
        ]),
        E::InvalidPosBatch { errors } => pairs([("n_errors", errors.len().to_string())]),
        E::PosBatchIdReused { batch_id } => pairs([("batch_id", batch_id.to_string())]),
        _ => Vec::new(),
    }
}
