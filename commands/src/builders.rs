//! Server-side inputs of commands, read from the log: what a command needs
//! beyond its request (the routing rule set and the reps' profiles, the
//! customer's tracking consent, the published extraction dictionary and
//! nurture template). The gateway and the fixtures generator both build
//! their commands with these, so a generated history goes through exactly
//! the inputs an integrator's requests get.

use chrono::{DateTime, Utc};
use salesledger_domain::config::Config;
use salesledger_domain::customer::Customer;
use salesledger_domain::extraction::ExtractionDictionary;
use salesledger_domain::lead::{LeadCommand, ProposeRouting};
use salesledger_domain::nurture::NurtureTemplate;
use salesledger_domain::proposal::Proposal;
use salesledger_domain::rep::RepProfile;
use salesledger_domain::routing::RoutingRuleSet;
use salesledger_domain::stream::{
    customer_stream_id, CONFIG_EXTRACTION_STREAM, CONFIG_NURTURE_STREAM, CONFIG_ROUTING_STREAM,
};

use crate::error::CommandError;
use crate::pipeline::CommandService;

/// The inputs of a routing proposal: the published rule set (`None` when
/// none is published yet) and every registered rep's profile.
pub async fn routing_inputs(
    service: &CommandService,
) -> Result<Option<(RoutingRuleSet, Vec<RepProfile>)>, CommandError> {
    let Some(rule_set) = service
        .load::<Config>(CONFIG_ROUTING_STREAM)
        .await?
        .state
        .routing_rules
    else {
        return Ok(None);
    };
    let reps = service
        .with_registry(|registry| registry.rep_profiles())
        .await?;
    Ok(Some((rule_set, reps)))
}

/// `LeadCommand::ProposeRouting` with its inputs from the log; `None` when
/// no routing rule set is published yet.
pub async fn propose_routing_command(
    service: &CommandService,
) -> Result<Option<LeadCommand>, CommandError> {
    Ok(routing_inputs(service)
        .await?
        .map(|(rule_set, reps)| LeadCommand::ProposeRouting(ProposeRouting { rule_set, reps })))
}

/// The published extraction dictionary, if any.
pub async fn extraction_dictionary(
    service: &CommandService,
) -> Result<Option<ExtractionDictionary>, CommandError> {
    Ok(service
        .load::<Config>(CONFIG_EXTRACTION_STREAM)
        .await?
        .state
        .extraction_dictionary)
}

/// The published nurture template, if any.
pub async fn nurture_template(
    service: &CommandService,
) -> Result<Option<NurtureTemplate>, CommandError> {
    Ok(service
        .load::<Config>(CONFIG_NURTURE_STREAM)
        .await?
        .state
        .nurture_template)
}

/// When the customer a proposal belongs to recorded its tracking consent
/// (consent is the customer's fact, read from the customer's stream);
/// `None` when it never did, withdrew it, or the proposal is unknown.
pub async fn proposal_tracking_consent(
    service: &CommandService,
    proposal_stream_id: &str,
) -> Result<Option<DateTime<Utc>>, CommandError> {
    let proposal = service.load::<Proposal>(proposal_stream_id).await?;
    match proposal.state.customer_id {
        Some(customer_id) => Ok(service
            .load::<Customer>(&customer_stream_id(customer_id))
            .await?
            .state
            .tracking_consent_recorded_at),
        None => Ok(None),
    }
}
