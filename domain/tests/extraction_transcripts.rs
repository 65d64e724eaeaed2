//! C4: the extractor on realistic transcripts (fixtures/transcripts.json),
//! Chinese, English and mixed: competitors, purchase window (resolved
//! against the visit's local date) and concerns, plus "still comparing".

use chrono::DateTime;
use salesledger_domain::customer::CustomerStance;
use salesledger_domain::extraction::{extract, local_date};
use serde::Deserialize;

use crate::support::{date, dictionary};

#[derive(Debug, Deserialize)]
struct TranscriptCase {
    name: String,
    visit_at: String,
    transcript: String,
    competitors: Vec<String>,
    window: Option<[String; 2]>,
    concerns: Vec<String>,
    still_comparing: bool,
}

#[derive(Debug, Deserialize)]
struct Fixture {
    transcripts: Vec<TranscriptCase>,
}

#[test]
fn every_transcript_extracts_as_expected() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/transcripts.json")).expect("fixture decodes");
    assert!(fixture.transcripts.len() >= 30, "at least 30 transcripts");
    let dictionary = dictionary();
    let mut failures = Vec::new();
    for case in &fixture.transcripts {
        let visit_at = DateTime::parse_from_rfc3339(&case.visit_at)
            .expect("visit_at is RFC 3339")
            .to_utc();
        let visit_date = local_date(visit_at, dictionary.utc_offset_minutes);
        let extraction = extract(&case.transcript, visit_date, &dictionary);
        let mut expected_competitors = case.competitors.clone();
        expected_competitors.sort();
        let mut expected_concerns = case.concerns.clone();
        expected_concerns.sort();
        let expected_window = case
            .window
            .as_ref()
            .map(|[earliest, latest]| (date(earliest), date(latest)));
        let actual_window = extraction
            .purchase_window
            .as_ref()
            .map(|window| (window.earliest, window.latest));
        let expected_stance = case
            .still_comparing
            .then_some(CustomerStance::StillComparing);
        if extraction.competitors != expected_competitors
            || extraction.concerns != expected_concerns
            || actual_window != expected_window
            || extraction.stance != expected_stance
        {
            failures.push(format!(
                "{}:\n  competitors {:?} expected {:?}\n  concerns {:?} expected {:?}\n  window {:?} (phrase {:?}) expected {:?}\n  stance {:?} expected {:?}",
                case.name,
                extraction.competitors,
                expected_competitors,
                extraction.concerns,
                expected_concerns,
                actual_window,
                extraction.purchase_window.as_ref().map(|window| window.phrase.clone()),
                expected_window,
                extraction.stance,
                expected_stance,
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} transcript(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ascii_terms_respect_word_boundaries() {
    let dictionary = dictionary();
    let extraction = extract(
        "The sapling project uses a gear made in general assembly.",
        date("2027-03-01"),
        &dictionary,
    );
    assert!(
        extraction.competitors.is_empty(),
        "{:?}",
        extraction.competitors
    );
}

#[test]
fn full_width_text_is_matched() {
    let dictionary = dictionary();
    let extraction = extract(
        "客户在用ＳＡＰ，计划Ｑ３采购。",
        date("2027-03-01"),
        &dictionary,
    );
    assert_eq!(extraction.competitors, vec!["SAP".to_owned()]);
    let window = extraction.purchase_window.expect("a window");
    assert_eq!(
        (window.earliest, window.latest),
        (date("2027-07-01"), date("2027-09-30"))
    );
}
