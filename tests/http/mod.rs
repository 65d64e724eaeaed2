//! The HTTP gateway over real HTTP on a loopback port: `support::spawn_app`
//! starts `salesledger::gateway::router` on `127.0.0.1:0` over a fresh data
//! directory with one token per role and a fixed, movable clock.
//!
//! - `c1_leads`: a lead is routable only after both confirmations, each by
//!   a named actor.
//! - `c2_routing`: the TOP 3 with explanations, confirmation only of a
//!   proposed rep, seconds from proposal recorded.
//! - `c3_ownership`: 50 concurrent claims (one winner, 49 conflicts naming
//!   it), reps act only as themselves, transfers, duplicates, public pool.
//! - `c4_visits`: transcript extraction, confirmation into to-dos, completion.
//! - `c5_nurture`: "still comparing" starts a nurture pack; steps and
//!   responses.
//! - `c6_proposals`: the 2-of-3 delivered rule, watermark, consent before
//!   link opens; proofs dated beyond the future margin refused.
//! - `as_of`: ownership and responsibility as of a time
//!   (`/v1/customers/{id}/ownership?as_of=T`, the responsibility views'
//!   `as_of`); an unknown query parameter is a 400 on every route,
//!   generated from the document.
//! - `access`: ownership-scoped access (issue 13): every role against
//!   every command route and every read route, generated from the route
//!   tables; rep B cannot act on or read rep A's customer.
//! - `auth`: 401 before the body, 403 by role, auditors read only; nothing
//!   appended.
//! - `bad_input`: malformed, unknown, mistyped, missing, oversized, wrong
//!   media type, bad path ids, unknown routes, wrong methods.
//! - `customer_import`: a supervisor imports the customer list (.csv,
//!   .xlsx): refused rows by line, owners assigned, dry run and re-run
//!   append nothing; other roles 403; unmappable lists 422.
//! - `content_type`: 415 for a missing or non-JSON `Content-Type` on every
//!   JSON body route, the POS route's own types, bodiless commands.
//! - `fuzz`: random bodies at every command route never give a 5xx.
//! - `envelope`: actor, command, correlation and causation ids on events.
//! - `idempotency`: a replayed `Idempotency-Key` appends nothing.
//! - `health`: health and risk views after inputs and day closes: the red
//!   freeze end to end, yellow call-backs met and missed, the breakdown
//!   summing to the score, risk lists per day.
//! - `inputs`: issue 4 inputs: customer-success inputs on the account, the
//!   red freeze lifted only by a CTO-approved rescue plan, a yellow
//!   call-back, contracts with three task cards per overdue instalment,
//!   process assets, funnel stages, the health policy, bulk ingestion.
//! - `i18n`: problems by `Accept-Language`: a 401, 403, 409 and 422 in
//!   Chinese with the same codes; English by default (issue 20).
//! - `openapi`: `/openapi.json` covers every route and schema.
//! - `reactions`: `GET /v1/reactions/{event_id}` reads a reaction's
//!   outcome by its causing event (applied, refused, 404).
//! - `dashboard`: the dashboard page and assets (public, strict CSP),
//!   `/v1/me` and the health trend.
//! - `evidence`: a customer's evidence bundle downloaded over HTTP verifies
//!   offline; 404 for an unknown customer, 403 for roles that may not.
//! - `views`: read models report their position, wait for read-your-writes,
//!   refuse unknown subjects and parameters.
//! - `feed`: `GET /v1/events` pages in order with linked hashes, filters
//!   by type and role, long-polls; `/v1/events/stream` (SSE) sends history
//!   then live records; a reader resumes across a server restart.
//! - `webhooks`: signed deliveries to a loopback receiver: retries in
//!   order, pause after failures and resume with the backlog, restarts
//!   mid-delivery (dispatcher and killed server) lose nothing; private
//!   targets refused; roles and bad requests.
//! - `business`: assets, funnel, receivables and task cards, digest and
//!   leaderboard after contracts, payments, an asset and a day close.
//! - `store_views`: chain-store views (issue 7) on a hand-computed case:
//!   penetration cells, store leaderboard, battle map, high-potential
//!   members, a policy change, refusals.
//! - `slow_headers`: the accept loop closes a connection whose request
//!   head is not complete within the header read timeout.
//! - `tokens`: `/v1/tokens` (supervisors only), created tokens in force at
//!   once as their name, 401 `token_expired` / `token_revoked`, file changes
//!   by another process in force within a second, no write per request.
//! - `todos`: a rep's work list (issue 16): own items only, supervisors
//!   filter by rep and region, done items leave, a transfer moves the
//!   owner's items, statuses by the last closed day, paging, bad filters.
//! - `stores`: chain-store commands and POS batches in NDJSON (all or
//!   nothing with line numbers, once per batch id, roles, media types, limits).

mod access;
mod as_of;
mod auth;
mod bad_input;
mod business;
mod c1_leads;
mod c2_routing;
mod c3_ownership;
mod c4_visits;
mod c5_nurture;
mod c6_proposals;
mod calendar_edges;
mod content_type;
mod customer_import;
mod dashboard;
mod envelope;
mod evidence;
mod feed;
mod first_start;
mod fuzz;
mod health;
mod i18n;
mod idempotency;
mod inputs;
mod openapi;
mod reactions;
mod slow_headers;
mod store_views;
mod stores;
pub mod support;
mod todos;
mod tokens;
mod views;
mod webhooks;
mod witnesses;
