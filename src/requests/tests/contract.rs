//! The contract requests' rows (`requests/contract.rs`): signing a
//! contract, recording a payment.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "SignContractRequest",
            json!({
                "customer_id": CUSTOMER, "rep_id": REP, "signed_on": "2027-03-15",
                "instalments": [{"due_on": "2027-03-31", "amount_fen": 12_000_000u64}, {"due_on": "2027-06-30", "amount_fen": 26_000_000u64}]
            }),
            |command| {
                bind!(
                    AnyCommand::Contract(ContractCommand::SignContract {
                        contract_id,
                        customer_id,
                        rep_id,
                        signed_on,
                        instalments,
                    }) = command
                );
                assert_eq!(contract_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(customer_id, customer());
                assert_eq!(rep_id.as_uuid(), uuid(REP));
                assert_eq!(signed_on, date("2027-03-15"));
                assert_eq!(instalments.len(), 2);
                assert_eq!(instalments[1].amount_fen, 26_000_000);
            },
        ),
        (
            "RecordPaymentRequest",
            json!({"payment_ref": "ICBC-20270331-778812", "amount_fen": 12_000_000u64, "received_on": "2027-03-31"}),
            |command| {
                bind!(
                    AnyCommand::Contract(ContractCommand::RecordPayment {
                        payment_ref,
                        amount_fen,
                        received_on,
                    }) = command
                );
                assert_eq!(payment_ref.as_str(), "ICBC-20270331-778812");
                assert_eq!(amount_fen, 12_000_000);
                assert_eq!(received_on, date("2027-03-31"));
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // the new inputs
        ("SignContractRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "rep_id": "{REP}", "signed_on": "2027-03-15", "instalments": [{{"due_on": "2027-03-31"}}]}}"#), "missing_field", "instalments[0].amount_fen"),
        ("RecordPaymentRequest", r#"{"payment_ref": "", "amount_fen": 1, "received_on": "2027-03-31"}"#.to_owned(), "invalid_payment_ref", "payment_ref"),
    ]
}
