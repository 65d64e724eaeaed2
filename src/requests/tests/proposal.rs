//! The proposal requests' rows (`requests/proposal.rs`): creation, the
//! PDF, delivery receipts, link opens.
//!
//! `successes()` (realistic bodies and a check of the command each converts
//! to) and `bad_bodies()` (bodies refused, with the error code and JSON path)
//! are concatenated with the other aggregates' in `tests/mod.rs`.

use super::*;

/// Realistic bodies and a check of the command each converts to.
pub(super) fn successes() -> Vec<Success> {
    vec![
        (
            "CreateProposalRequest",
            json!({"customer_id": CUSTOMER, "contact_email": "purchasing@ruikang-med.cn", "title": "手术室设备升级方案 v2"}),
            |command| {
                bind!(AnyCommand::Proposal(ProposalCommand::Create(create)) = command);
                assert_eq!(create.proposal_id.as_uuid(), Uuid::from_u128(PATH_ID));
                assert_eq!(create.contact_email.as_str(), "purchasing@ruikang-med.cn");
                assert_eq!(create.title.as_str(), "手术室设备升级方案 v2");
            },
        ),
        (
            "RecordProposalPdfRequest",
            json!({"sha256": SHA, "watermark_email": "Purchasing@ruikang-med.cn"}),
            |command| {
                bind!(AnyCommand::Proposal(ProposalCommand::RecordPdf(pdf)) = command);
                assert_eq!(pdf.sha256.as_str(), SHA.to_ascii_lowercase());
                assert_eq!(pdf.watermark_email.as_str(), "purchasing@ruikang-med.cn");
                assert_eq!(pdf.size_bytes, 482_133);
            },
        ),
        (
            "RecordEmailDeliveryReceiptRequest",
            json!({"message_id": "<20270316.8812@mail.example.com>", "recipient": "purchasing@ruikang-med.cn", "delivered_at": "2027-03-16T09:12:00+08:00"}),
            |command| {
                bind!(
                    AnyCommand::Proposal(ProposalCommand::RecordEmailDeliveryReceipt(receipt)) =
                        command
                );
                assert_eq!(
                    receipt.message_id.as_str(),
                    "<20270316.8812@mail.example.com>"
                );
                assert_eq!(receipt.delivered_at, time("2027-03-16T01:12:00Z"));
            },
        ),
        (
            "RecordLinkOpenedRequest",
            json!({"opened_at": "2027-03-16T10:02:11+08:00", "ip_address": "2001:0db8:0000::1", "coarse_location": "上海市"}),
            |command| {
                bind!(AnyCommand::Proposal(ProposalCommand::RecordLinkOpened(opened)) = command);
                assert_eq!(opened.ip_address.as_str(), "2001:db8::1");
                assert_eq!(opened.coarse_location.as_str(), "上海市");
                assert_eq!(
                    opened.tracking_consent_recorded_at,
                    Some(time("2027-03-10T09:00:00+08:00"))
                );
            },
        ),
    ]
}

/// Bodies refused, with the error code and the JSON path it names.
#[rustfmt::skip] // one row per line, as a table
pub(super) fn bad_bodies() -> Vec<BadBody> {
    vec![
        // invalid values (domain rules)
        ("CreateProposalRequest", format!(r#"{{"customer_id": "{CUSTOMER}", "contact_email": "a@b", "title": "T"}}"#), "invalid_email", "contact_email"),
        ("RecordProposalPdfRequest", r#"{"sha256": "abc", "watermark_email": "a@b.cn"}"#.to_owned(), "invalid_sha256", "sha256"),
        ("RecordLinkOpenedRequest", r#"{"opened_at": "2027-03-16T10:02:11Z", "ip_address": "300.1.1.1", "coarse_location": "上海"}"#.to_owned(), "invalid_ip_address", "ip_address"),
        ("RecordEmailDeliveryReceiptRequest", r#"{"message_id": "m", "recipient": "x", "delivered_at": "2027-03-16T10:02:11Z"}"#.to_owned(), "invalid_email", "recipient"),
    ]
}
