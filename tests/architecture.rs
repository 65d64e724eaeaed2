//! Keeps the architecture as ARCHITECTURE.md draws it: dependencies point
//! one way (`domain` <- `commands`, `projections` <- `replay` <- the
//! binary), `store` depends on no other salesledger crate, `domain` does no
//! I/O, and `anyhow` stays at the binary's edge.

use std::collections::BTreeSet;

use crate::util::workspace_root;

/// The names in a manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(member: &str) -> BTreeSet<String> {
    let path = workspace_root().join(member).join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let manifest: toml::Table = toml::from_str(&text).expect("valid Cargo.toml");
    manifest
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default()
}

fn our_crates(dependencies: &BTreeSet<String>) -> BTreeSet<String> {
    dependencies
        .iter()
        .filter(|name| name.starts_with("salesledger-"))
        .cloned()
        .collect()
}

#[test]
fn the_top_level_shows_the_architecture() {
    for entry in [
        "Cargo.toml",
        "domain",
        "commands",
        "projections",
        "store",
        "replay",
        "fixtures",
        "tests",
        "src",
        "README.md",
        "ARCHITECTURE.md",
        "docs/PERFORMANCE.md",
        ".ci/run",
    ] {
        assert!(workspace_root().join(entry).exists(), "{entry} is missing");
    }
}

#[test]
fn store_knows_no_other_salesledger_crate() {
    assert_eq!(our_crates(&dependencies("store")), BTreeSet::new());
}

#[test]
fn domain_is_pure() {
    let domain = dependencies("domain");
    assert_eq!(
        our_crates(&domain),
        BTreeSet::new(),
        "domain depends on no other salesledger crate"
    );
    for forbidden in [
        "tokio",
        "sled",
        "axum",
        "hyper",
        "tokio-postgres",
        "reqwest",
        "anyhow",
        "async-trait",
        "rand",
        "tracing-subscriber",
    ] {
        assert!(
            !domain.contains(forbidden),
            "domain must not depend on {forbidden}"
        );
    }
}

#[test]
fn dependencies_point_one_way() {
    let allowed: [(&str, &[&str]); 5] = [
        ("commands", &["salesledger-domain", "salesledger-store"]),
        ("projections", &["salesledger-domain", "salesledger-store"]),
        (
            "replay",
            &[
                "salesledger-domain",
                "salesledger-store",
                "salesledger-projections",
            ],
        ),
        (
            "fixtures",
            &[
                "salesledger-domain",
                "salesledger-store",
                "salesledger-commands",
            ],
        ),
        ("store", &[]),
    ];
    for (member, allowed) in allowed {
        let allowed: BTreeSet<String> = allowed.iter().map(|name| (*name).to_owned()).collect();
        let actual = our_crates(&dependencies(member));
        assert!(
            actual.is_subset(&allowed),
            "{member} depends on {:?}",
            actual.difference(&allowed).collect::<Vec<_>>()
        );
    }
}

#[test]
fn anyhow_stays_at_the_binary_edge() {
    for member in [
        "domain",
        "commands",
        "projections",
        "store",
        "replay",
        "fixtures",
    ] {
        assert!(
            !dependencies(member).contains("anyhow"),
            "{member} uses anyhow; library crates use thiserror enums"
        );
    }
}

fn manifest(member: &str) -> toml::Table {
    let path = workspace_root().join(member).join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    toml::from_str(&text).expect("valid Cargo.toml")
}

/// One lint table, `[workspace.lints]`, denies `unwrap` and forbids
/// `unsafe`; every crate, the root package included, inherits it.
#[test]
fn every_crate_inherits_the_workspace_lints() {
    let root = manifest("");
    let lints = root
        .get("workspace")
        .and_then(|workspace| workspace.get("lints"))
        .expect("[workspace.lints]");
    assert_eq!(
        lints
            .get("clippy")
            .and_then(|clippy| clippy.get("unwrap_used"))
            .and_then(toml::Value::as_str),
        Some("deny"),
        "[workspace.lints] must deny clippy::unwrap_used"
    );
    assert_eq!(
        lints
            .get("rust")
            .and_then(|rust| rust.get("unsafe_code"))
            .and_then(toml::Value::as_str),
        Some("forbid"),
        "[workspace.lints] must forbid unsafe_code"
    );
    for member in [
        "",
        "domain",
        "commands",
        "projections",
        "store",
        "replay",
        "fixtures",
    ] {
        let inherits = manifest(member)
            .get("lints")
            .and_then(|lints| lints.get("workspace"))
            .and_then(toml::Value::as_bool);
        assert_eq!(
            inherits,
            Some(true),
            "{} must set lints.workspace = true",
            if member.is_empty() {
                "the root package"
            } else {
                member
            }
        );
    }
}

/// The repository stands alone: a fresh clone with nothing beside it builds
/// and tests. No source, test, script or document may reach outside it
/// into the folder beside the clone (the product rules are `docs/SPEC.md`,
/// the Merkle conformance vectors are vendored under `replay/tests/vectors/`).
#[test]
fn nothing_reaches_outside_the_repository() {
    fn walk(dir: &std::path::Path, offenders: &mut Vec<String>, needle: &str) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if !matches!(name, "target" | "node_modules" | ".git" | "vectors") {
                    walk(&path, offenders, needle);
                }
                continue;
            }
            let text_like = ["rs", "md", "toml", "sh", "mjs", "js", "json", "yml"]
                .iter()
                .any(|extension| path.extension().is_some_and(|own| own == *extension))
                || name == "run";
            if !text_like {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                if text.contains(needle) {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    let needle = ["..", "/shared"].concat();
    let mut offenders = Vec::new();
    walk(workspace_root(), &mut offenders, &needle);
    assert!(
        offenders.is_empty(),
        "files that depend on a path outside the repository: {offenders:?}"
    );
}

/// Every file or folder of the repository that the reader's documents
/// name in code spans (`ARCHITECTURE.md`, the README and the guides under
/// `docs/`, not the design notes, which record what was replaced) is
/// there: a moved or removed file leaves no map pointing at nothing.
/// Names from a top-level folder are checked (a name relative to a crate,
/// `views/whole.rs`, is not: its folder is the sentence's); a code span
/// may run onto the next line of its paragraph; fenced blocks (commands,
/// layouts with placeholders) are left out. Names with a pattern in them
/// (`{a,b}`, `*`, `<name>`) and Rust paths after `::` are taken up to
/// where the pattern starts.
#[test]
fn the_documents_name_only_paths_that_exist() {
    const TOP: &[&str] = &[
        "domain/",
        "commands/",
        "projections/",
        "store/",
        "replay/",
        "fixtures/",
        "tests/",
        "src/",
        "docs/",
        "scripts/",
        ".ci/",
    ];
    let root = workspace_root();
    let mut documents = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    let guides = std::fs::read_dir(root.join("docs")).expect("docs/");
    for entry in guides {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|extension| extension == "md") {
            documents.push(path);
        }
    }
    let mut checked = 0;
    let mut missing = Vec::new();
    for document in &documents {
        let text = std::fs::read_to_string(document).expect("document");
        let name = document.strip_prefix(root).unwrap_or(document).display();
        // Code spans of each paragraph outside fences, with the line each
        // starts on.
        let mut spans: Vec<(usize, String)> = Vec::new();
        let mut fenced = false;
        let mut open: Option<(usize, String)> = None;
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                open = None;
                continue;
            }
            if fenced || line.trim().is_empty() {
                // A span does not run past its paragraph.
                open = None;
                continue;
            }
            for (index, piece) in line.split('`').enumerate() {
                if index > 0 {
                    // A backtick: a span opens or closes here.
                    open = match open.take() {
                        Some(span) => {
                            spans.push(span);
                            None
                        }
                        None => Some((number + 1, String::new())),
                    };
                }
                if let Some((_, span)) = open.as_mut() {
                    if index == 0 {
                        span.push(' ');
                    }
                    span.push_str(piece);
                }
            }
        }
        for (number, span) in spans {
            let span = span.trim();
            if !TOP.iter().any(|top| span.starts_with(top)) {
                continue;
            }
            let end = span
                .find(|c: char| c.is_whitespace() || "{}*<>#:".contains(c))
                .unwrap_or(span.len());
            let path = span[..end].trim_end_matches(['/', '.', ',', ';', ')']);
            checked += 1;
            if !root.join(path).exists() {
                missing.push(format!("{name}:{number}: {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the documents name paths that are not in the repository: {missing:#?}"
    );
    // The documents name well over a hundred such paths: fewer means the
    // scan no longer finds them.
    assert!(checked > 100, "only {checked} paths found in the documents");
}

/// The `use` paths of every Rust file under `dir` (relative to the
/// workspace), as `(file, path)`: `use` lines and inline `crate::...` paths
/// in code (comments and doc comments are not code).
fn crate_paths(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
                continue;
            }
            if path.extension().map_or(true, |extension| extension != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            for line in text.lines() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                let mut rest = code;
                while let Some(at) = rest.find("crate::").or_else(|| rest.find("super::")) {
                    let tail = &rest[at..];
                    let end = tail
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .unwrap_or(tail.len());
                    out.push((path.display().to_string(), tail[..end].to_owned()));
                    rest = &tail[end..];
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace_root().join(dir), &mut out);
    out
}

/// `replay` holds two modules that do not know each other: the read-model
/// engine (`readmodel`) and the audit stack (`audit`). Each may use the
/// store and the other crates, never the other module; `super::` from the
/// module's own root (`replay/src/<module>/mod.rs`) would reach the crate
/// root, so it counts as leaving the module too.
#[test]
fn the_read_model_engine_and_the_audit_stack_do_not_import_each_other() {
    for (module, other) in [("readmodel", "audit"), ("audit", "readmodel")] {
        let offenders: Vec<(String, String)> = crate_paths(&format!("replay/src/{module}"))
            .into_iter()
            .filter(|(file, path)| {
                path.starts_with(&format!("crate::{other}"))
                    || (file.ends_with(&format!("{module}/mod.rs")) && path.starts_with("super::"))
            })
            .collect();
        assert!(
            offenders.is_empty(),
            "replay::{module} reaches into replay::{other}: {offenders:?}"
        );
        // And the check sees real imports: each module uses its own parts.
        assert!(
            crate_paths(&format!("replay/src/{module}"))
                .iter()
                .any(|(_, path)| path.starts_with("super::")),
            "no imports found under replay/src/{module}: the scan is broken"
        );
    }
}

/// `store` is a core (records, the `Store` trait, subscriptions,
/// verification, conformance) with each database driver behind a feature
/// (`sled`, `postgres`), none on by default; the pure crates build the core
/// alone, only the root package (and tests) turn the backends on.
#[test]
fn the_pure_crates_build_the_store_without_database_drivers() {
    let store = manifest("store");
    let features = store.get("features").expect("store has [features]");
    assert_eq!(
        features
            .get("default")
            .and_then(toml::Value::as_array)
            .map(Vec::len),
        Some(0),
        "store's default features must be empty"
    );
    let store_dependencies = store
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .expect("store [dependencies]");
    for driver in ["sled", "tokio-postgres", "deadpool-postgres"] {
        let optional = store_dependencies
            .get(driver)
            .and_then(|dependency| dependency.get("optional"))
            .and_then(toml::Value::as_bool);
        assert_eq!(optional, Some(true), "store's {driver} must be optional");
    }
    let root = manifest("");
    let shared = root
        .get("workspace")
        .and_then(|workspace| workspace.get("dependencies"))
        .and_then(|dependencies| dependencies.get("salesledger-store"))
        .expect("workspace salesledger-store");
    assert!(
        shared.get("features").is_none(),
        "the workspace's salesledger-store must not turn features on"
    );
    for member in ["domain", "commands", "projections", "fixtures", "replay"] {
        let entry = manifest(member)
            .get("dependencies")
            .and_then(|dependencies| dependencies.get("salesledger-store"))
            .cloned();
        let Some(entry) = entry else { continue };
        let features: Vec<String> = entry
            .get("features")
            .and_then(toml::Value::as_array)
            .map(|features| {
                features
                    .iter()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            !features
                .iter()
                .any(|feature| feature == "sled" || feature == "postgres"),
            "{member} builds the store with a database driver: {features:?}"
        );
        assert_ne!(
            entry.get("default-features").and_then(toml::Value::as_bool),
            Some(true),
            "{member}"
        );
    }
}

/// Every Rust file under `dir` (relative to the workspace), in a stable
/// order.
fn rust_files(dir: &str) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace_root().join(dir), &mut out);
    out
}

/// The code (not comments, not test modules: a file's lines before its
/// first `#[cfg(test)]`) of every Rust file under `dir`, except test
/// modules' files (`tests.rs`, and every file of a `tests/` directory
/// below `dir`), as `(file, line)`.
fn code_lines(dir: &str) -> Vec<(String, String)> {
    let root = workspace_root().join(dir);
    let mut out = Vec::new();
    for path in rust_files(dir) {
        let in_test_module = path.strip_prefix(&root).is_ok_and(|relative| {
            relative
                .parent()
                .is_some_and(|parent| parent.components().any(|part| part.as_os_str() == "tests"))
        });
        if in_test_module || path.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break;
            }
            if !code.starts_with("//") {
                out.push((path.display().to_string(), code.to_owned()));
            }
        }
    }
    out
}

/// The non-comment lines of every Rust file under `dir` (relative to the
/// workspace), as `(file, code)`, files in a stable order.
fn code_of(dir: &str) -> Vec<(String, String)> {
    rust_files(dir)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable source");
            let code: Vec<&str> = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect();
            let relative = path
                .strip_prefix(workspace_root())
                .unwrap_or(&path)
                .display()
                .to_string();
            (relative, code.join("\n"))
        })
        .collect()
}

/// `(file, line)` of the lines under `dir` (outside `except`) that contain
/// any of `needles`.
fn lines_naming(dir: &str, except: &[&str], needles: &[&str]) -> Vec<(String, String)> {
    code_lines(dir)
        .into_iter()
        .filter(|(file, _)| {
            !except
                .iter()
                .any(|skipped| file.contains(&format!("/{skipped}")))
        })
        .filter(|(_, line)| needles.iter().any(|needle| line.contains(needle)))
        .collect()
}

/// Inside the root package, only `src/gateway` knows the HTTP server: no
/// other module of the library imports axum or hyper (the benchmarks, a
/// module of the binary, serve the gateway's router to measure it).
#[test]
fn only_the_gateway_imports_axum() {
    let offenders = lines_naming("src", &["src/gateway/", "src/bench/"], &["axum", "hyper::"]);
    assert!(
        offenders.is_empty(),
        "HTTP server code outside src/gateway: {offenders:?}"
    );
    // The scan sees real imports.
    assert!(
        !lines_naming("src/gateway", &[], &["use axum"]).is_empty(),
        "no axum import found in src/gateway: the scan is broken"
    );
}

/// The rows of the gateway's route tables (`gateway/route.rs`) and body
/// decoding (`requests/body.rs`) are leaves: every module that declares
/// routes or decodes bodies imports them, and they import no gateway
/// module (the state type aside), so the route modules, the runner and
/// the request types form no circle.
#[test]
fn route_rows_and_body_decoding_are_leaves() {
    let lines: Vec<_> = code_lines("src")
        .into_iter()
        .filter(|(file, _)| {
            file.ends_with("gateway/route.rs") || file.ends_with("requests/body.rs")
        })
        .collect();
    for leaf in ["gateway/route.rs", "requests/body.rs"] {
        assert!(
            lines.iter().any(|(file, _)| file.ends_with(leaf)),
            "no code found in {leaf}: the scan is broken"
        );
    }
    let offenders: Vec<_> = lines
        .iter()
        .filter(|(_, line)| {
            (line.contains("super::") || line.contains("crate::gateway::"))
                && !line.contains("super::AppState")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "a leaf (route rows, body decoding) imports a gateway module: {offenders:?}"
    );
}

/// Webhook subscriptions, the outbox and delivery (`src/webhooks`) know no
/// HTTP server and not the gateway; their routes are `gateway::webhooks`.
#[test]
fn webhooks_do_not_import_the_gateway() {
    let offenders = lines_naming("src/webhooks", &[], &["crate::gateway", "axum"]);
    assert!(
        offenders.is_empty(),
        "src/webhooks reaches into the gateway: {offenders:?}"
    );
    assert!(
        !lines_naming("src/webhooks", &[], &["use super::"]).is_empty(),
        "no imports found under src/webhooks: the scan is broken"
    );
}

/// `src/app.rs` is the composition root: it opens the log, the blob store,
/// the read models and the token file and starts the background tasks; the
/// gateway serves HTTP over the state it is given and opens or starts
/// none of them, nor knows the application above it.
#[test]
fn the_gateway_opens_no_store_and_starts_no_task() {
    let offenders = lines_naming(
        "src/gateway",
        &[],
        &[
            "OpenedStore::open",
            "SledStore::open",
            "PgStore::",
            "FsBlobStore::open",
            "TokenStore::load_or_create",
            "table_runner_builder",
            "ReactionManager::start",
            "Dispatcher::start",
            "Checkpointer::start",
            "Subscriptions::open",
            "crate::app",
            "crate::demo",
            "crate::scheduler",
            "crate::init",
        ],
    );
    assert!(
        offenders.is_empty(),
        "the gateway opens or starts what crate::app wires: {offenders:?}"
    );
    let app = std::fs::read_to_string(workspace_root().join("src/app.rs")).expect("src/app.rs");
    for wired in [
        "OpenedStore::open",
        "FsBlobStore::open",
        "table_runner_builder",
        "ReactionManager::start",
        "Dispatcher::start",
        "Checkpointer::start",
        "scheduler::run",
        "demo::seed",
    ] {
        assert!(app.contains(wired), "src/app.rs does not wire {wired}");
    }
}

/// The benchmarks are a module of the binary (`src/main.rs`), not of the
/// library's public API.
#[test]
fn the_benchmarks_are_not_in_the_library() {
    let lib = std::fs::read_to_string(workspace_root().join("src/lib.rs")).expect("src/lib.rs");
    assert!(
        !lib.lines()
            .any(|line| line.trim() == "pub mod bench;" || line.trim() == "mod bench;"),
        "src/lib.rs declares the benchmarks"
    );
    let main = std::fs::read_to_string(workspace_root().join("src/main.rs")).expect("src/main.rs");
    assert!(main.lines().any(|line| line.trim() == "mod bench;"));
}

/// The gateway decodes no stored record itself: records are decoded as
/// every reader decodes them (`salesledger_projections::decode_record`,
/// over the domain's one decoder).
#[test]
fn the_gateway_does_not_decode_records_itself() {
    let offenders = lines_naming(
        "src/gateway",
        &[],
        &["salesledger_domain::decode", "domain::decode_record"],
    );
    assert!(
        offenders.is_empty(),
        "the gateway calls the domain's decoder itself: {offenders:?}"
    );
}

/// What a view's whole answer is, evidence bundles, consistency proofs,
/// cosignatures and the export stream, and who sees which record on the
/// feed, and the tokens in memory are not HTTP: they live beside the
/// gateway (`src/views/`, `src/evidence.rs`, `src/feed.rs`,
/// `src/tokens/`), import no HTTP server and not the
/// gateway; and the offline and audit CLI (`src/offline.rs`,
/// `src/audit_cli.rs`) reach no further into it.
#[test]
fn non_http_logic_lives_outside_the_gateway() {
    let homes = [
        "src/views.rs",
        "src/views/",
        "src/evidence.rs",
        "src/feed.rs",
        "src/offline.rs",
        "src/audit_cli.rs",
        "src/tokens.rs",
        "src/tokens/",
        "src/requests/",
    ];
    let lines: Vec<_> = code_lines("src")
        .into_iter()
        .filter(|(file, _)| homes.iter().any(|home| file.contains(home)))
        .collect();
    for home in homes {
        assert!(
            lines.iter().any(|(file, _)| file.contains(home)),
            "no code found in {home}: the scan is broken"
        );
    }
    let offenders: Vec<_> = lines
        .iter()
        .filter(|(_, line)| {
            ["axum", "hyper::", "crate::gateway", "salesledger::gateway"]
                .iter()
                .any(|needle| line.contains(needle))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "non-HTTP modules reach into HTTP or the gateway: {offenders:?}"
    );
    let gateway = code_lines("src/gateway");
    for moved in [
        "pub fn answer_to(",
        "pub struct EvidenceTree",
        "pub const VISIBILITY",
        "pub struct TokenStore",
    ] {
        let found: Vec<_> = gateway
            .iter()
            .filter(|(_, line)| line.contains(moved))
            .collect();
        assert!(
            found.is_empty(),
            "{moved} is back in the gateway: {found:?}"
        );
    }
}

/// `tempfile` is a dev-dependency only: what the binary needs of scratch
/// directories (`replay`'s folds, the benchmarks) is `src/scratch.rs`.
#[test]
fn tempfile_is_not_a_runtime_dependency() {
    assert!(
        !dependencies(".").contains("tempfile"),
        "tempfile is in the root package's [dependencies]"
    );
    let offenders: Vec<_> = code_lines("src")
        .into_iter()
        .filter(|(_, line)| line.contains("tempfile::"))
        .collect();
    assert!(
        offenders.is_empty(),
        "tempfile used outside tests: {offenders:?}"
    );
}

/// Every JSON command route's `CommandRoute` impl is one entry of the one
/// `command_routes!` list (`src/gateway/routes.rs`), which also writes
/// `ALL_COMMAND_ROUTES`; no hand-written impl repeats the trait's items,
/// and the request types (`src/requests/`) know no route.
#[test]
fn command_routes_are_one_declared_list() {
    // The one `impl CommandRoute for $request` is the macro's own body.
    let hand_written: Vec<_> = lines_naming("src", &[], &["impl CommandRoute for"])
        .into_iter()
        .filter(|(_, line)| !line.contains("for $"))
        .collect();
    assert!(
        hand_written.is_empty(),
        "hand-written CommandRoute impls: {hand_written:?}"
    );
    let routes: Vec<_> = code_lines("src/gateway")
        .into_iter()
        .filter(|(file, _)| file.ends_with("gateway/routes.rs"))
        .map(|(_, line)| line)
        .collect();
    let lists = routes
        .iter()
        .filter(|line| line.starts_with("command_routes! {"))
        .count();
    assert_eq!(lists, 1, "one command_routes! list");
    // An entry starts `XRequest: Aggregate, Kind, POST "/v1/..."`.
    let entries = routes
        .iter()
        .filter(|line| {
            let mut words = line.split_whitespace();
            words.next().is_some_and(|head| head.ends_with("Request:")) && line.contains(" \"/v1/")
        })
        .count();
    assert!(entries >= 53, "only {entries} entries in command_routes!");
    let routed = lines_naming(
        "src/requests",
        &[],
        &["CommandRoute", "gateway::", "StatusCode", "axum"],
    );
    assert!(routed.is_empty(), "request types know routes: {routed:?}");
}

/// Stored records are decoded by the domain alone
/// (`salesledger_domain::decode_record`: type, schema version, payload
/// text). The command layer and the projections each keep one thin
/// `decode_record` over it that maps its error to their own; no lower
/// crate parses a record's payload and decodes it by itself.
#[test]
fn stored_records_are_decoded_by_the_domain_alone() {
    let domain = code_of("domain/src");
    assert!(
        domain.iter().any(
            |(file, code)| file.ends_with("event.rs") && code.contains("pub fn decode_record(")
        ),
        "domain's event module defines decode_record"
    );
    let mut adapters = Vec::new();
    let mut own_decoders = Vec::new();
    for dir in [
        "commands/src",
        "projections/src",
        "replay/src",
        "fixtures/src",
    ] {
        for (file, code) in code_of(dir) {
            let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            if squeezed.contains("fndecode_record(") {
                assert!(
                    squeezed.contains("salesledger_domain::decode_record(&record.event_type,"),
                    "{file} defines a decode_record that does not call the domain's"
                );
                adapters.push(file.clone());
            }
            // `decode(&record.event_type, ..)` called directly (not the
            // `decode_record` it ends in).
            let direct = squeezed
                .match_indices("decode(&record.event_type")
                .any(|(at, _)| {
                    squeezed[..at]
                        .chars()
                        .next_back()
                        .map_or(true, |c| !(c.is_alphanumeric() || c == '_'))
                });
            if direct {
                own_decoders.push(file);
            }
        }
    }
    assert_eq!(
        adapters,
        vec![
            "commands/src/error.rs".to_owned(),
            "projections/src/projector.rs".to_owned()
        ],
        "one decode_record adapter per crate that folds records"
    );
    assert!(
        own_decoders.is_empty(),
        "files decoding stored records by themselves: {own_decoders:?}"
    );
}

/// `commands` knows no request shapes or wire formats: no serde shape that
/// refuses unknown fields or borrows from a body, nothing that takes a raw
/// body or names NDJSON. The POS NDJSON line lives in the gateway
/// (`src/gateway/pos_lines.rs`).
#[test]
fn commands_knows_no_request_shapes() {
    let mut offenders = Vec::new();
    for (file, code) in code_of("commands/src") {
        let lower = code.to_lowercase();
        for marker in [
            "deny_unknown_fields",
            "serde(borrow",
            "ndjson",
            "body: &[u8]",
        ] {
            if lower.contains(marker) {
                offenders.push(format!("{file}: {marker}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "request shapes in commands: {offenders:?}"
    );
    // The scan sees a shape where it belongs.
    let gateway = code_of("src/gateway");
    assert!(
        gateway
            .iter()
            .any(|(file, code)| file.ends_with("pos_lines.rs")
                && code.contains("deny_unknown_fields")
                && code.contains("struct RawLine")),
        "the POS NDJSON line is parsed in src/gateway/pos_lines.rs"
    );
}

/// No non-test source file over 2,000 lines (issue 18's measure): files
/// under a `tests/` directory and `target/` aside, every `.rs` file.
#[test]
fn no_source_file_is_over_two_thousand_lines() {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, usize)>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if !matches!(name, "target" | "tests" | "node_modules" | ".git") {
                    walk(&path, out);
                }
                continue;
            }
            if path.extension().is_some_and(|extension| extension == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                out.push((path.display().to_string(), text.lines().count()));
            }
        }
    }
    let mut files = Vec::new();
    walk(workspace_root(), &mut files);
    assert!(
        files.len() > 100,
        "the scan found only {} files",
        files.len()
    );
    let long: Vec<&(String, usize)> = files.iter().filter(|(_, lines)| *lines > 2_000).collect();
    assert!(long.is_empty(), "source files over 2,000 lines: {long:?}");
}

/// The command service's extension modules (`reactions.rs`, `retail.rs`)
/// import the pipeline, never the other way round, and the catalogue the
/// service follows (`catalogue.rs`) is a leaf: no import circle inside the
/// commands crate. Likewise in the root package, the command-line value
/// readers (`arg_values.rs`) import no command module, and the remote
/// auditor's commands (`remote.rs`) do not import the offline ones
/// (`audit_cli.rs`), which call them; the projections crate's error types
/// do not import the tables module that returns them; and the store's
/// error type imports only the rules module, a leaf.
#[test]
fn the_command_service_and_the_audit_commands_import_in_one_direction() {
    let in_file = |dir: &str, file: &str, needles: &[&str]| -> Vec<(String, String)> {
        let lines = code_lines(dir);
        assert!(
            lines.iter().any(|(path, _)| path.ends_with(file)),
            "no code found in {dir}/{file}: the scan is broken"
        );
        lines
            .into_iter()
            .filter(|(path, line)| {
                path.ends_with(file) && needles.iter().any(|needle| line.contains(needle))
            })
            .collect()
    };
    let checks = [
        (
            "commands/src",
            "/pipeline.rs",
            &[
                "crate::reactions",
                "crate::retail",
                "crate::process_manager",
            ][..],
        ),
        (
            "commands/src",
            "/catalogue.rs",
            &["crate::pipeline", "crate::reactions", "crate::retail"][..],
        ),
        (
            "src",
            "/remote.rs",
            &["crate::audit_cli", "crate::witness"][..],
        ),
        ("src", "/witness.rs", &["crate::audit_cli"][..]),
        (
            "src",
            "/arg_values.rs",
            &[
                "crate::audit_cli",
                "crate::remote",
                "crate::witness",
                "crate::backup",
            ][..],
        ),
    ];
    for (dir, file, needles) in checks {
        let offenders = in_file(dir, file, needles);
        assert!(
            offenders.is_empty(),
            "{dir}{file} imports a module that imports it: {offenders:?}"
        );
    }
    // The projections crate's error types know of the tables only their
    // key encoding's error (`tables/key.rs`), so the tables module, which
    // returns them, and the errors form no circle.
    let crate_imports = in_file("projections/src", "/error.rs", &["crate::"]);
    assert!(
        !crate_imports.is_empty(),
        "no crate import found in projections/src/error.rs: the scan is broken"
    );
    let offenders: Vec<_> = crate_imports
        .iter()
        .filter(|(_, line)| !line.contains("crate::tables::key::"))
        .collect();
    assert!(
        offenders.is_empty(),
        "projections/src/error.rs imports more than the key encoding: {offenders:?}"
    );
    // In the store, the error type names only the rules module's words
    // (`rules.rs`: the hash, the expected version, the name limits, how a
    // record breaks the chain), and that module imports no other: the
    // record and log modules, which return the error, form no circle with it.
    let rules_imports = in_file("store/src", "/rules.rs", &["crate::"]);
    assert!(
        rules_imports.is_empty(),
        "store/src/rules.rs must be a leaf: {rules_imports:?}"
    );
    let error_imports = in_file("store/src", "/error.rs", &["crate::"]);
    let offenders: Vec<_> = error_imports
        .iter()
        .filter(|(_, line)| line.starts_with("use ") && !line.starts_with("use crate::rules::"))
        .collect();
    assert!(
        offenders.is_empty(),
        "store/src/error.rs imports more than the rules module: {offenders:?}"
    );
}

/// A module's path inside its crate (`["gateway", "reads"]`) from its
/// file's path relative to the crate's source directory: a directory's
/// `mod.rs` (and the crate's `lib.rs` or `main.rs`) is the directory's
/// module.
fn module_path(relative: &std::path::Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|last| ["mod", "lib", "main"].contains(&last.as_str()))
    {
        parts.pop();
    }
    parts
}

/// Every path a `use` tree names, its groups expanded:
/// `super::{auth::Caller, problem::{self, ApiError}}` names
/// `super::auth::Caller`, `super::problem` and `super::problem::ApiError`.
fn use_tree_paths(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let mut path = prefix.to_vec();
        let head = tree.split(" as ").next().unwrap_or(tree);
        path.extend(
            head.split("::")
                .map(str::trim)
                .filter(|part| !part.is_empty() && *part != "self" && *part != "*")
                .map(str::to_owned),
        );
        if !path.is_empty() {
            out.push(path);
        }
        return;
    };
    let mut path = prefix.to_vec();
    path.extend(
        tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(str::to_owned),
    );
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start) = (0usize, 0usize);
    for (at, character) in inner.char_indices() {
        match character {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                use_tree_paths(&path, &inner[start..at], out);
                start = at + 1;
            }
            _ => {}
        }
    }
    use_tree_paths(&path, &inner[start..], out);
}

/// The paths (`a::b::c`, as segments) that `code` names: every `use` tree
/// expanded, and every path written elsewhere in the code.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = String::with_capacity(code.len());
    for statement in code.split(';') {
        // A `use` starts a line of its own, after whatever ended the
        // statement before it (a `}`, an attribute): the text before that
        // line is other code.
        let mut at = 0;
        let mut tree = None;
        for line in statement.split_inclusive('\n') {
            let trimmed = line.trim_start();
            let visibility = ["pub(crate) ", "pub(super) ", "pub "]
                .iter()
                .find_map(|prefix| trimmed.strip_prefix(prefix))
                .unwrap_or(trimmed);
            if let Some(found) = visibility.strip_prefix("use ") {
                let start = statement.len() - statement[at..].len() + (line.len() - found.len());
                tree = Some((at, start));
                break;
            }
            at += line.len();
        }
        match tree {
            Some((before, start)) => {
                rest.push_str(&statement[..before]);
                use_tree_paths(&[], &statement[start..], &mut out);
            }
            None => rest.push_str(statement),
        }
        rest.push(';');
    }
    let is_ident = |character: char| character.is_ascii_alphanumeric() || character == '_';
    let chars: Vec<char> = rest.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        let boundary = at == 0 || !(is_ident(chars[at - 1]) || chars[at - 1] == ':');
        if !(boundary && is_ident(chars[at])) {
            at += 1;
            continue;
        }
        let mut path = Vec::new();
        loop {
            let start = at;
            while at < chars.len() && is_ident(chars[at]) {
                at += 1;
            }
            path.push(chars[start..at].iter().collect::<String>());
            if chars.get(at) == Some(&':')
                && chars.get(at + 1) == Some(&':')
                && chars.get(at + 2).is_some_and(|next| is_ident(*next))
            {
                at += 2;
            } else {
                break;
            }
        }
        if path.len() > 1 {
            out.push(path);
        }
    }
    out
}

/// Which module imports which inside one crate, given each module's path
/// and code: `a -> b` when `a` names a path into `b` from the crate root
/// (`crate::`), an ancestor (`super::`), itself (`self::`) or by one of
/// its child modules' names. A path into one of `a`'s own ancestors is
/// not an edge: a parent module composes its children and shares with
/// them what they all use (the gateway's state type, its error helpers,
/// the webhooks' re-exported types), so counting those would make every
/// parent a circle with its children. The rule's price: a child that
/// reaches a sibling through the parent's re-export is not seen.
fn module_imports(
    modules: &[(Vec<String>, String)],
) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<&[String]> = modules.iter().map(|(path, _)| path.as_slice()).collect();
    let name = |path: &[String]| {
        if path.is_empty() {
            "crate".to_owned()
        } else {
            path.join("::")
        }
    };
    let mut edges = std::collections::BTreeMap::new();
    for (me, code) in modules {
        let mut targets = BTreeSet::new();
        for path in named_paths(code) {
            let (base, rest): (Vec<String>, &[String]) = match path[0].as_str() {
                "crate" => (Vec::new(), &path[1..]),
                "self" => (me.clone(), &path[1..]),
                "super" => {
                    let ups = path.iter().take_while(|part| *part == "super").count();
                    (me[..me.len().saturating_sub(ups)].to_vec(), &path[ups..])
                }
                child => {
                    let mut own = me.clone();
                    own.push(child.to_owned());
                    if !known.contains(own.as_slice()) {
                        continue;
                    }
                    (me.clone(), &path[..])
                }
            };
            let full: Vec<String> = base.iter().chain(rest).cloned().collect();
            let Some(target) = (base.len() + 1..=full.len())
                .rev()
                .map(|end| &full[..end])
                .find(|candidate| known.contains(candidate))
            else {
                continue;
            };
            if !me.starts_with(target) {
                targets.insert(name(target));
            }
        }
        edges.insert(name(me), targets);
    }
    edges
}

/// The circles (strongly connected sets of two or more modules) of an
/// import graph, each sorted, in a stable order.
fn circles(edges: &std::collections::BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(module) = stack.pop() {
            for next in edges.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: std::collections::BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|module| (module, reach(module))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for module in edges.keys() {
        let circle: Vec<String> = edges
            .keys()
            .filter(|other| {
                *other == module
                    || (reachable[module].contains(*other) && reachable[*other].contains(module))
            })
            .cloned()
            .collect();
        if circle.len() > 1 && !out.contains(&circle) {
            out.push(circle);
        }
    }
    out
}

/// The modules of the crate whose sources are under `dir`, test modules
/// aside (files in a `tests/` directory, `tests.rs`, and a file's
/// `#[cfg(test)] mod`, which ends it by convention), with their code:
/// whole-line comments and everything after a `//` outside a string left
/// out.
fn crate_modules(dir: &str) -> Vec<(Vec<String>, String)> {
    let root = workspace_root().join(dir);
    let mut out = Vec::new();
    for path in rust_files(dir) {
        let relative = path.strip_prefix(&root).unwrap_or(&path).to_path_buf();
        let in_tests = relative
            .parent()
            .is_some_and(|parent| parent.components().any(|part| part.as_os_str() == "tests"));
        if in_tests || relative.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        let lines: Vec<&str> = text.lines().collect();
        let mut code = String::with_capacity(text.len());
        for (index, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let test_module = trimmed.starts_with("#[cfg(test)]")
                && lines[index + 1..]
                    .iter()
                    .map(|next| next.trim_start())
                    .find(|next| !next.is_empty() && !next.starts_with("#["))
                    .is_some_and(|next| next.starts_with("mod ") || next.starts_with("pub mod "));
            if test_module {
                break;
            }
            code.push_str(without_comment(line));
            code.push('\n');
        }
        out.push((module_path(&relative), code));
    }
    out
}

/// A line without its `//` comment (a `//` inside a string literal, such
/// as a URL, is kept; a quote in a character literal, `'"'`, opens no
/// string).
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    let mut at = 0;
    while let Some(byte) = bytes.get(at) {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'\'' if !in_string && bytes.get(at + 1..at + 3) == Some(&b"\"'"[..]) => at += 2,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(at + 1) == Some(&b'/') => return &line[..at],
            _ => {}
        }
        at += 1;
    }
    line
}

/// No two modules of a crate import each other, directly or around a
/// circle, in the root package and in every lower crate but `domain`
/// (whose `Event` wraps every aggregate's events and is what every
/// aggregate applies: one circle by design, the log's one type). A circle
/// is code in the wrong home: the gateway's access checks took the
/// customer of a visit from the read routes, which imported the checks;
/// the OpenAPI document took the POS route's operation from the POS
/// module, which took its helpers from the document.
#[test]
fn no_import_circle_between_modules() {
    for dir in [
        "src",
        "commands/src",
        "projections/src",
        "replay/src",
        "store/src",
    ] {
        let modules = crate_modules(dir);
        let edges = module_imports(&modules);
        assert!(
            edges.values().map(BTreeSet::len).sum::<usize>() > modules.len() / 2,
            "{dir}: almost no imports found: the scan is broken"
        );
        let found = circles(&edges);
        assert!(found.is_empty(), "{dir}: modules in a circle: {found:?}");
    }
    // The scan sees the imports it must: `use super::{...}` groups, paths
    // from the crate root, and a root file naming its child modules.
    let edges = module_imports(&crate_modules("src"));
    for (from, to) in [
        ("gateway::reads", "gateway::readable"),
        ("gateway::auth", "gateway::readable"),
        ("gateway", "gateway::routes"),
        ("app", "gateway"),
    ] {
        assert!(
            edges.get(from).is_some_and(|targets| targets.contains(to)),
            "the scan misses {from} -> {to}: {:?}",
            edges.get(from)
        );
    }
}

/// The circle finder finds a circle when there is one: two modules that
/// import each other through a `use` group and a path written in code, and
/// a third that only imports them.
#[test]
fn the_circle_finder_finds_circles() {
    let module = |path: &[&str], code: &str| {
        (
            path.iter()
                .map(|part| (*part).to_owned())
                .collect::<Vec<_>>(),
            code.to_owned(),
        )
    };
    let modules = [
        module(&[], "pub mod a;\npub mod b;\npub mod c;\n"),
        module(&["a"], "pub mod inner;\nfn f() {}\n#[allow(unused)]\nuse super::{b::Thing, Shared};\nfn g() { inner::h(); }\n"),
        module(&["a", "inner"], "use crate::a::Parent;\nfn h() { super::f(); }\n"),
        module(&["b"], "fn f() { crate::a::g(); }\n"),
        module(&["c"], "use crate::a;\nuse super::b::Thing;\n"),
    ];
    let edges = module_imports(&modules);
    assert_eq!(circles(&edges), vec![vec!["a".to_owned(), "b".to_owned()]]);
    assert!(edges["c"].contains("a") && edges["c"].contains("b"));
    // A `use` after an attribute is read; a root file names its child by
    // its name; what a child takes from its parent is not an edge, so the
    // parent and the child it uses form no circle.
    assert!(edges["a"].contains("b"), "{:?}", edges["a"]);
    assert!(edges["a"].contains("a::inner"), "{:?}", edges["a"]);
    assert!(edges["a::inner"].is_empty(), "{:?}", edges["a::inner"]);
    // Comments are not code; a `//` in a string and a quote in a
    // character literal do not start or hide one.
    assert_eq!(without_comment("f(); // crate::b"), "f(); ");
    assert_eq!(
        without_comment(r#"let u = "https://x"; // crate::b"#),
        r#"let u = "https://x"; "#
    );
    assert_eq!(
        without_comment(r#"b'"' => g(), // crate::b"#),
        r#"b'"' => g(), "#
    );
}
