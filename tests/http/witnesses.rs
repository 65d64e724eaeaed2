//! `POST /v1/audit/cosignatures` and the witness role: who may post, what
//! is refused (unknown checkpoint, another root, a bad signature), that a
//! repeat changes nothing, and that the latest checkpoint is then served
//! with the cosignature, verifiable by the log's key and the witness's.

use salesledger_replay::audit::checkpoint::{Checkpoint, NoteVerifier};
use salesledger_replay::audit::cosignature::{CosignatureSigner, CosignatureVerifier};
use salesledger_replay::audit::log_tree::LogTree;
use salesledger_replay::audit::{sign_checkpoint, CheckpointRecord, ServerKey};
use salesledger_store::ExpectedVersion;
use serde_json::{json, Value};

use super::support::{spawn_app, TestApp};

const ROUTE: &str = "/v1/audit/cosignatures";

async fn signed_checkpoint(app: &TestApp, n_events: u64) -> (CheckpointRecord, String) {
    let store = app.state.service.store().clone();
    for n in 0..n_events {
        store
            .append(salesledger_store::conformance::request(
                "customer-x",
                ExpectedVersion::Any,
                &[json!({ "n": n })],
            ))
            .await
            .expect("append");
    }
    let key = ServerKey::load_or_create(app.data_dir.path()).expect("key");
    let mut tree = LogTree::open(app.data_dir.path(), store.as_ref())
        .await
        .expect("tree");
    let signed = sign_checkpoint(store.as_ref(), &mut tree, &key)
        .await
        .expect("checkpoint");
    let text = key
        .verifier()
        .open(&signed.payload.note)
        .expect("log signature")
        .to_owned();
    (signed, text)
}

fn witness(seed: u8) -> CosignatureSigner {
    CosignatureSigner::from_seed("witness.example/w1", &[seed; 32]).expect("witness key")
}

fn body(signed: &CheckpointRecord, signer: &CosignatureSigner, line: &str) -> Value {
    json!({
        "tree_size": signed.payload.tree_size,
        "root_hash": signed.payload.root_hash.to_hex(),
        "witness_key": signer.verifier().to_vkey(),
        "cosignature": line.trim_end(),
    })
}

#[tokio::test]
async fn a_witness_posts_a_cosignature_and_the_checkpoint_is_served_with_it() {
    let app = spawn_app().await;
    let (signed, text) = signed_checkpoint(&app, 3).await;
    let signer = witness(1);
    let line = signer.cosign(&text, 1_767_000_000).expect("cosign");
    let request = body(&signed, &signer, &line);

    // Only the witness role posts cosignatures.
    for role in ["auditor", "supervisor", "cto"] {
        let answer = app.post_json(ROUTE, role, &request).await;
        assert_eq!(answer.status.as_u16(), 403, "{role}: {}", answer.text);
    }
    let answer = app.post_json(ROUTE, "witness", &request).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert_eq!(answer.json["outcome"], "new");
    assert_eq!(answer.json["cosigned_at"], 1_767_000_000u64);
    // The same line again: nothing changes.
    let again = app.post_json(ROUTE, "witness", &request).await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.text);
    assert_eq!(again.json["outcome"], "already_stored");

    // The latest checkpoint now carries the cosignature (once), and both
    // the log's and the witness's signatures verify on it.
    let latest = app.get("/v1/audit/checkpoints/latest", "witness").await;
    assert_eq!(latest.status.as_u16(), 200, "{}", latest.text);
    let note = latest.json["note"].as_str().expect("note");
    assert_eq!(note.matches(line.as_str()).count(), 1, "{note}");
    let log = NoteVerifier::parse_vkey(latest.json["verifier_key"].as_str().expect("vkey"))
        .expect("log vkey");
    assert_eq!(
        Checkpoint::parse_body(log.open(note).expect("log signature"))
            .expect("body")
            .tree_size,
        signed.payload.tree_size
    );
    let verifier =
        CosignatureVerifier::parse_vkey(&signer.verifier().to_vkey()).expect("witness vkey");
    assert_eq!(verifier.open(note), Ok(1_767_000_000));
    // Another witness key finds no cosignature of its own.
    assert!(witness(2).verifier().open(note).is_err());
}

#[tokio::test]
async fn unknown_checkpoints_other_roots_and_bad_signatures_are_refused() {
    let app = spawn_app().await;
    let (signed, text) = signed_checkpoint(&app, 3).await;
    let signer = witness(1);
    let line = signer.cosign(&text, 1_767_000_000).expect("cosign");

    let mut unknown = body(&signed, &signer, &line);
    unknown["tree_size"] = json!(signed.payload.tree_size + 1);
    let answer = app.post_json(ROUTE, "witness", &unknown).await;
    assert_eq!(answer.status.as_u16(), 404, "{}", answer.text);
    assert_eq!(answer.json["code"], "unknown_checkpoint");

    let mut other_root = body(&signed, &signer, &line);
    other_root["root_hash"] = json!("ab".repeat(32));
    let answer = app.post_json(ROUTE, "witness", &other_root).await;
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    assert_eq!(answer.json["code"], "checkpoint_mismatch");

    // Signed by another key than the one named; over another checkpoint
    // body; a log key instead of a witness key; not a line at all.
    let impostor = witness(2);
    let forged = impostor.cosign(&text, 1_767_000_000).expect("cosign");
    let other_body = signer
        .cosign(
            &Checkpoint {
                origin: signed.payload.origin.clone(),
                tree_size: signed.payload.tree_size,
                root_hash: [0xab; 32],
            }
            .body(),
            1_767_000_000,
        )
        .expect("cosign");
    let mut log_key = body(&signed, &signer, &line);
    log_key["witness_key"] = json!(signed.payload.verifier_key);
    for (what, request) in [
        ("another key's signature", body(&signed, &signer, &forged)),
        (
            "another checkpoint body",
            body(&signed, &signer, &other_body),
        ),
        ("a log key", log_key),
        (
            "not a signature line",
            body(&signed, &signer, "cosigned, trust me"),
        ),
    ] {
        let answer = app.post_json(ROUTE, "witness", &request).await;
        assert_eq!(answer.status.as_u16(), 422, "{what}: {}", answer.text);
        assert_eq!(answer.json["code"], "invalid_cosignature", "{what}");
    }
    // Nothing refused was stored.
    let latest = app.get("/v1/audit/checkpoints/latest", "auditor").await;
    assert_eq!(
        latest.json["note"].as_str().expect("note"),
        signed.payload.note,
        "refused cosignatures are not served"
    );
}

#[tokio::test]
async fn a_witness_token_reads_tree_heads_and_proofs_and_nothing_else() {
    let app = spawn_app().await;
    let (signed, _) = signed_checkpoint(&app, 4).await;
    let latest = app.get("/v1/audit/checkpoints/latest", "witness").await;
    assert_eq!(latest.status.as_u16(), 200, "{}", latest.text);
    let size = signed.payload.tree_size;
    let proof = app
        .get(
            &format!("/v1/audit/consistency?from=1&to={size}"),
            "witness",
        )
        .await;
    assert_eq!(proof.status.as_u16(), 200, "{}", proof.text);
    for path in [
        "/v1/config",
        "/v1/events",
        "/v1/tokens",
        "/v1/audit/export",
        "/v1/audit/evidence/customers/00000000-0000-0000-0000-000000000001",
    ] {
        let answer = app.get(path, "witness").await;
        assert_eq!(answer.status.as_u16(), 403, "{path}: {}", answer.text);
        assert_eq!(answer.json["code"], "forbidden", "{path}");
    }
}

#[tokio::test]
async fn bad_bodies_and_media_types_get_a_4xx_and_store_nothing() {
    let app = spawn_app().await;
    let (signed, text) = signed_checkpoint(&app, 2).await;
    let signer = witness(1);
    let line = signer.cosign(&text, 1_767_000_000).expect("cosign");
    let good = body(&signed, &signer, &line).to_string();
    let token = app.token("witness").to_owned();

    let answer = app
        .send_raw(
            "POST",
            ROUTE,
            None,
            Some("application/json"),
            good.clone().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(answer.status.as_u16(), 401, "{}", answer.text);
    for content_type in [None, Some("text/plain")] {
        let answer = app
            .send_raw(
                "POST",
                ROUTE,
                Some(&token),
                content_type,
                good.clone().into_bytes(),
                &[],
            )
            .await;
        assert_eq!(
            answer.status.as_u16(),
            415,
            "{content_type:?}: {}",
            answer.text
        );
    }
    let two_lines = {
        let mut request = body(&signed, &signer, &line);
        request["cosignature"] = json!(format!("{}\n{}", line.trim_end(), line.trim_end()));
        request
    };
    let mut bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"{".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        json!({"tree_size": -1}).to_string().into_bytes(),
        two_lines.to_string().into_bytes(),
    ];
    for (field, value) in [
        ("tree_size", json!(u64::MAX)),
        ("tree_size", json!(0)),
        ("tree_size", json!("3")),
        ("root_hash", json!("zz")),
        (
            "root_hash",
            json!(signed.payload.root_hash.to_hex().to_uppercase()),
        ),
        ("witness_key", json!("")),
        ("witness_key", json!("a+b+c")),
        ("cosignature", json!("")),
        ("cosignature", json!("\u{2014} witness.example/w1 ////")),
        ("extra", json!(1)),
    ] {
        let mut request = body(&signed, &signer, &line);
        request[field] = value;
        bodies.push(request.to_string().into_bytes());
    }
    for raw in bodies {
        let answer = app
            .send_raw(
                "POST",
                ROUTE,
                Some(&token),
                Some("application/json"),
                raw.clone(),
                &[],
            )
            .await;
        let status = answer.status.as_u16();
        assert!(
            (400..500).contains(&status) && answer.json["code"].is_string(),
            "{}: {status} {}",
            String::from_utf8_lossy(&raw),
            answer.text
        );
    }
    let latest = app.get("/v1/audit/checkpoints/latest", "auditor").await;
    assert_eq!(
        latest.json["note"].as_str().expect("note"),
        signed.payload.note,
        "nothing refused was stored"
    );
}
