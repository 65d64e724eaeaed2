//! Reps (capability tags, deactivation) and configuration publications
//! (versions strictly increase).

use salesledger_domain::config::*;
use salesledger_domain::error::DomainError;
use salesledger_domain::event::Event;
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::nurture::NurtureTemplate;
use salesledger_domain::rep::*;
use salesledger_domain::testing::{given, given_no_events};
use salesledger_domain::value::*;

use crate::support::*;

fn registered() -> Event {
    Event::RepRegistered(RepRegistered {
        rep_id: rep_id(1),
        display_name: text("张伟"),
        region: Region::parse("华东").expect("region"),
        capability_tags: tags(&["iso13485", "tier3-hospital-his", "plc-retrofit"]),
        registered_at: time("2027-01-02T09:00:00+08:00"),
    })
}

#[test]
fn a_rep_is_registered_once_and_can_be_deactivated() {
    let state = given_no_events::<Rep>()
        .when(
            RepCommand::Register(RegisterRep {
                rep_id: rep_id(1),
                display_name: text("张伟"),
                region: Region::parse("华东").expect("region"),
                capability_tags: tags(&["iso13485", "tier3-hospital-his", "plc-retrofit"]),
            }),
            time("2027-01-02T09:00:00+08:00"),
        )
        .then_expect_events(&[registered()]);
    assert!(state.profile.as_ref().is_some_and(|profile| profile.active));
    let state = given::<Rep>(&[registered()])
        .when(
            RepCommand::Deactivate(DeactivateRep {}),
            time("2027-02-01T09:00:00+08:00"),
        )
        .then_expect_events(&[Event::RepDeactivated(RepDeactivated {
            rep_id: rep_id(1),
            deactivated_at: time("2027-02-01T09:00:00+08:00"),
        })]);
    assert!(
        state.profile.is_some_and(|profile| !profile.active),
        "inactive reps are not routed"
    );
    given::<Rep>(&[registered()])
        .when(
            RepCommand::ChangeCapabilities(ChangeRepCapabilities {
                capability_tags: tags(&[
                    "iso13485",
                    "tier3-hospital-his",
                    "plc-retrofit",
                    "cold-chain",
                ]),
            }),
            time("2027-02-01T09:00:00+08:00"),
        )
        .then_expect_events(&[Event::RepCapabilitiesChanged(RepCapabilitiesChanged {
            rep_id: rep_id(1),
            capability_tags: tags(&[
                "iso13485",
                "tier3-hospital-his",
                "plc-retrofit",
                "cold-chain",
            ]),
            changed_at: time("2027-02-01T09:00:00+08:00"),
        })]);
}

#[test]
fn configuration_versions_strictly_increase() {
    let publish = |version| ConfigCommand::PublishRoutingRules {
        rule_set: salesledger_domain::routing::RoutingRuleSet {
            version,
            ..rule_set()
        },
        published_by: actor("sup-wang"),
    };
    let (events, state) = given_no_events::<Config>()
        .when(publish(7), time("2027-01-01T09:00:00+08:00"))
        .events();
    assert_eq!(state.routing_rules.map(|rules| rules.version), Some(7));
    for stale in [6, 7] {
        given::<Config>(&events)
            .when(publish(stale), time("2027-01-02T09:00:00+08:00"))
            .then_expect_error(DomainError::ConfigVersionNotNewer {
                current: 7,
                proposed: stale,
            });
    }
    given::<Config>(&events)
        .when(publish(8), time("2027-01-02T09:00:00+08:00"))
        .events();
    let dictionary: ExtractionDictionary = dictionary();
    given_no_events::<Config>()
        .when(
            ConfigCommand::PublishExtractionDictionary {
                dictionary,
                published_by: actor("mkt-liu"),
            },
            time("2027-01-01T09:00:00+08:00"),
        )
        .events();
    given_no_events::<Config>()
        .when(
            ConfigCommand::PublishNurtureTemplate {
                template: NurtureTemplate::default_v1(),
                published_by: actor("mkt-liu"),
            },
            time("2027-01-01T09:00:00+08:00"),
        )
        .events();
    given_no_events::<Config>()
        .when(
            ConfigCommand::PublishPoolPolicy {
                policy: pool_policy(),
                published_by: actor("sup-wang"),
            },
            time("2027-01-01T09:00:00+08:00"),
        )
        .events();
    let mut bad_rules = rule_set();
    bad_rules.candidate_count = 0;
    given_no_events::<Config>()
        .when(
            ConfigCommand::PublishRoutingRules {
                rule_set: bad_rules,
                published_by: actor("sup-wang"),
            },
            time("2027-01-01T09:00:00+08:00"),
        )
        .then_expect_error_code("invalid_rule_set");
}
