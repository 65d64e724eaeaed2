//! Cross-crate integration tests of the `salesledger` binary and workspace.
//!
//! Table of contents:
//! - `architecture`: the dependency direction between workspace members
//!   (domain pulls no I/O crates, store knows no salesledger crate, only the
//!   binary uses anyhow) and the top-level layout.
//! - `cli_audit`: `key`, `checkpoint`, `evidence`, `verify-bundle` run from
//!   a copy of the binary with the data directory deleted, `verify` with
//!   checkpoints and `--from-checkpoint` (extended log accepted, fork
//!   refused), `export` read back; checkpoint records skipped by the
//!   registry and the projections.
//! - `cli_backup`: `salesledger backup` against real gateways: the backup
//!   of a demo organisation verifies and serves the same customer and PDF
//!   (no second first-start defaults), a second run transfers only the new
//!   records, a forked log is refused with the position and both hashes,
//!   a wrong token exits non-zero naming the 401.
//! - `cli_files`: files at rest: `serve` leaves directories 0700 and files
//!   0600 (fresh, and an old 0755/0644 directory tightened on start), the
//!   webhook secret in no file while deliveries verify with it, plaintext
//!   secrets migrated, a missing or wrong webhook key a startup error.
//! - `cli_import`: `salesledger import pos`: batches of whole tickets,
//!   a second import appends nothing, a bad line stops it with its number.
//! - `cli_witness`: `salesledger witness` against a running gateway
//!   (cosigns, posts, refuses a forked log with both tree heads) and
//!   `verify-bundle --witness` / `--witness-quorum`.
//! - `cli_i18n`: the CLI in Chinese and English (issue 20): `--lang`, else
//!   LC_ALL / LC_MESSAGES / LANG; verify OK and FAILED, errors at the edge,
//!   token create/list and the help in both languages with the same exit
//!   statuses, and the same JSON bytes.
//! - `cli_verify`: `salesledger verify` exit codes and messages on a healthy
//!   log, a tampered log and a missing data directory.
//! - `cli_pipe`: CLI output into a closed pipe exits 141 quietly, no panic.
//! - `cli_parquet_tables`: `rebuild --format parquet`: every table of
//!   every view as Parquet that DuckDB reads, row counts equal to
//!   tables.json, three view figures (C9, C10, C13) reproduced by SQL over
//!   the rows; `--force`; a tampered log leaves no Parquet file.
//! - `cli_offline`: `export` then `rebuild` writes every view's answer
//!   equal to the live gateway's for the same log (byte for byte where a
//!   file is one route's answer) and tables `serve` resumes at the end; a
//!   tampered export stops it naming line and position; `replay
//!   --position/--as-of` equals tables folded over only that prefix;
//!   `--weights` reports what-if level changes, checked against the live
//!   history.
//! - `cli_faults`: `serve` on a small tmpfs (root; skipped with one line
//!   otherwise) filled to ENOSPC: 507 `insufficient_storage`, `/readyz`
//!   and `/healthz` report the log, a blob upload leaves no temporary
//!   file, appends resume when space returns without a restart, SIGTERM
//!   stops it within the shutdown timeout, nothing acknowledged is lost.
//! - `cli_init`: `salesledger init --config FILE` with the example organisation file, twice; invalid files refused with line and field; `serve` first start publishes the defaults once (issue 16).
//! - `cli_serve`: `salesledger serve` as a process: the admin token printed
//!   once and stored hashed; SIGTERM finishes in-flight commands, exits 0,
//!   and loses no acknowledged event.
//! - `cli_tokens`: against a real `serve`: `token create | list | revoke`
//!   while it runs (in force within a second, no write per request, last
//!   used saved at shutdown); commands on the held data directory say so
//!   once with the gateway's pid and exit 3; stale pid files are ignored.
//! - `dashboard`: the dashboard page over `serve --demo` in headless
//!   Chromium (`tests/dashboard/run.mjs`, playwright-core), once with the
//!   browser's locale zh-CN (no English label of the catalogue visible,
//!   the language switch remembered) and once en-US: risk rows,
//!   heatmap, funnel, a new event shown without a reload, screenshots in
//!   `target/dashboard/<locale>/`; skipped with one line when chromium, node or
//!   `tests/dashboard/node_modules` is missing, unless
//!   `SALESLEDGER_REQUIRE_BROWSER=1`.
//! - `i18n`: the message catalogues (problems, dashboard) hold the same
//!   keys in zh-CN and English, and every problem code the sources can
//!   answer has a message in both (issue 20).
//! - `read_model_tables`: every table projector in the table engine over a
//!   generated history: live, rebuilt from zero and resumed all dump equal
//!   to a pure fold of the log (issue 14).
//! - `http`: the HTTP gateway over real HTTP on a loopback port
//!   (`http::support::spawn_app`, port 0, fresh data dir, fixed clock):
//!   - `http::c1_leads` .. `http::c6_proposals`: SPEC C1 to C6 through the
//!     API (confirmed leads, TOP-3 routing, one owner and 50 concurrent
//!     claims, public pool, visit extraction and to-dos, nurture packs,
//!     2-of-3 proposal evidence with consent before link opens);
//!   - `http::auth`: 401 before the body, 403 by role, read-only auditors;
//!   - `http::bad_input`: malformed, unknown, mistyped, missing, oversized,
//!     wrong media type, bad path ids, unknown routes, wrong methods;
//!   - `http::fuzz`: random bodies at every command route, never a 5xx;
//!   - `http::envelope`: actor, command, correlation and causation ids;
//!   - `http::idempotency`: replayed `Idempotency-Key`s append nothing;
//!   - `http::openapi`: `/openapi.json` covers every route and schema.
//!
//! - `reactions`: 48 clients post visits and follow-ups on one customer
//!   against `salesledger serve`, SIGKILLed twice mid-load and restarted:
//!   every visit answered 201 has exactly one `FollowUpRecorded` caused by
//!   it, and `GET /v1/reactions/{event id}` says `applied`.
//! - `views_rebuild`: after the fixture history, every table projector
//!   rebuilt from position 0 dumps, byte for byte, as the tables that
//!   followed the log live and the ones a restarted runner resumes from
//!   its checkpoints; `serve` SIGKILLed mid catch-up resumes to the same.
//!
//! The store's own suites (conformance, crash recovery, tamper evidence,
//! model-based property test) live in `store/tests/`.

mod architecture;
mod cli_audit;
mod cli_backup;
mod cli_faults;
mod cli_files;
mod cli_i18n;
mod cli_import;
mod cli_import_customers;
mod cli_init;
mod cli_offline;
mod cli_parquet;
mod cli_parquet_tables;
mod cli_pipe;
mod cli_serve;
mod cli_tokens;
mod cli_verify;
mod cli_witness;
mod dashboard;
mod http;
mod i18n;
mod pg_gateways;
mod reactions;
mod read_model_tables;
mod util;
mod views_rebuild;
