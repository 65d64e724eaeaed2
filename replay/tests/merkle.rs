//! RFC 9162 Merkle tree: public conformance vectors, hand-derived trees of
//! 1 to 8 leaves with tampering, and random trees against a naive reference.

use proptest::prelude::*;
use salesledger_replay::audit::merkle::{
    self, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, Hash, HashRole,
    MerkleError, MerkleTree,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// Naive reference: RFC 9162 section 2.1 written out recursively, with sha2
// directly (not the crate's hashing functions).
// ---------------------------------------------------------------------------

mod naive {
    use super::*;

    fn sha(parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    fn k(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[n]).
    pub fn mth(d: &[Vec<u8>]) -> Hash {
        match d.len() {
            0 => sha(&[]),
            1 => sha(&[&[0x00], &d[0]]),
            n => {
                let k = k(n);
                sha(&[&[0x01], &mth(&d[..k]), &mth(&d[k..])])
            }
        }
    }

    /// PATH(m, D[n]).
    pub fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
        let n = d.len();
        if n <= 1 {
            return vec![];
        }
        let k = k(n);
        if m < k {
            let mut p = path(m, &d[..k]);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = path(m - k, &d[k..]);
            p.push(mth(&d[..k]));
            p
        }
    }

    fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = k(n);
        if m <= k {
            let mut p = subproof(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = subproof(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    /// PROOF(m, D[n]).
    pub fn proof(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
        subproof(m, d, true)
    }

    // Symbolic trees: which leaves a hash covers and how. Two hashes of
    // distinct leaves are equal exactly when their symbolic trees are.

    /// A hash as a formal tree over leaf indices.
    #[derive(Debug, Clone, PartialEq)]
    pub enum T {
        Leaf(usize),
        Node(Box<T>, Box<T>),
    }

    /// MTH(D[a:b]) as a formal tree.
    pub fn full(a: usize, b: usize) -> T {
        if b - a == 1 {
            return T::Leaf(a);
        }
        let k = k(b - a);
        T::Node(Box::new(full(a, a + k)), Box::new(full(a + k, b)))
    }

    /// PATH(m, D[a:b]) as the leaf ranges of its hashes.
    pub fn path_ranges(m: usize, a: usize, b: usize) -> Vec<(usize, usize)> {
        if b - a <= 1 {
            return vec![];
        }
        let k = k(b - a);
        if m < a + k {
            let mut p = path_ranges(m, a, a + k);
            p.push((a + k, b));
            p
        } else {
            let mut p = path_ranges(m, a + k, b);
            p.push((a, a + k));
            p
        }
    }

    /// SUBPROOF(m, D[a:b], whole) as the leaf ranges of its hashes.
    pub fn proof_ranges(m: usize, a: usize, b: usize, whole: bool) -> Vec<(usize, usize)> {
        if m == b {
            return if whole { vec![] } else { vec![(a, b)] };
        }
        let k = k(b - a);
        if m <= a + k {
            let mut p = proof_ranges(m, a, a + k, whole);
            p.push((a + k, b));
            p
        } else {
            let mut p = proof_ranges(m, a + k, b, false);
            p.push((a, a + k));
            p
        }
    }

    /// MTH(D[a:b]) computed from the inputs whose ranges are `known`, with
    /// input `i` replaced by `vals[i]`; `None` if it cannot be computed.
    fn eval(a: usize, b: usize, known: &[(usize, usize)], vals: &[T]) -> Option<T> {
        if let Some(i) = known.iter().position(|&r| r == (a, b)) {
            return vals.get(i).cloned();
        }
        if b - a <= 1 {
            return None;
        }
        let k = k(b - a);
        Some(T::Node(
            Box::new(eval(a, a + k, known, vals)?),
            Box::new(eval(a + k, b, known, vals)?),
        ))
    }

    /// Whether any verifier computing RFC 9162 hashes must accept `proof`
    /// (formal trees) for leaf `m` of size `n` given a leaf whose tree is
    /// `leaf` and a root whose tree is `root`.
    pub fn inclusion_holds(m: usize, n: usize, leaf: &T, proof: &[T], root: &T) -> bool {
        if m >= n {
            return false;
        }
        let mut known = vec![(m, m + 1)];
        known.extend(path_ranges(m, 0, n));
        if known.len() != proof.len() + 1 {
            return false;
        }
        let mut vals = vec![leaf.clone()];
        vals.extend(proof.iter().cloned());
        eval(0, n, &known, &vals).as_ref() == Some(root)
    }

    /// The same for a consistency proof between sizes `m` and `n`.
    pub fn consistency_holds(m: usize, n: usize, proof: &[T], root1: &T, root2: &T) -> bool {
        if m == 0 || m > n {
            return false;
        }
        if m == n {
            return proof.is_empty() && root1 == root2;
        }
        let ranges = proof_ranges(m, 0, n, true);
        if ranges.len() != proof.len() {
            return false;
        }
        // Input 0 is root1 itself (used when it is a node of the new tree).
        let mut known = vec![(0, m)];
        known.extend(ranges);
        let mut vals = vec![root1.clone()];
        vals.extend(proof.iter().cloned());
        // root1 must be recomputed from the proof alone.
        let r1 = eval(0, m, &known[1..], &vals[1..]).or_else(|| {
            // When [0, m) is itself a node of the new tree, root1 is the
            // proof's seed.
            m.is_power_of_two().then(|| root1.clone())
        });
        r1.as_ref() == Some(root1) && eval(0, n, &known, &vals).as_ref() == Some(root2)
    }
}

/// The eight leaves of the RFC 6962 / certificate-transparency reference
/// tree (also the leaves behind the public vectors).
fn reference_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).expect("hex"))
    .collect()
}

/// Roots of the first 1..=8 reference leaves, as published with the
/// certificate-transparency reference implementation.
const REFERENCE_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn tree_of(data: &[Vec<u8>]) -> MerkleTree<merkle::MemoryNodeStore> {
    let mut t = MerkleTree::in_memory();
    for (i, d) in data.iter().enumerate() {
        assert_eq!(t.append_record(d).expect("append"), i as u64);
    }
    t
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

/// Every tampered variant of a proof: each bit of each element flipped,
/// each element dropped, an element appended and prepended, neighbours
/// swapped.
fn tampered(proof: &[Hash]) -> Vec<(String, Vec<Hash>)> {
    let mut out = Vec::new();
    for i in 0..proof.len() {
        for bit in 0..256 {
            let mut p = proof.to_vec();
            p[i] = flip(&p[i], bit);
            out.push((format!("bit {bit} of element {i}"), p));
        }
        let mut p = proof.to_vec();
        p.remove(i);
        out.push((format!("element {i} dropped"), p));
        if i + 1 < proof.len() && proof[i] != proof[i + 1] {
            let mut p = proof.to_vec();
            p.swap(i, i + 1);
            out.push((format!("elements {i} and {} swapped", i + 1), p));
        }
    }
    for extra in [[0u8; 32], proof.first().copied().unwrap_or([7; 32])] {
        let mut p = proof.to_vec();
        p.push(extra);
        out.push(("element appended".into(), p.clone()));
        let mut p = proof.to_vec();
        p.insert(0, extra);
        out.push(("element prepended".into(), p));
    }
    out
}

// ---------------------------------------------------------------------------
// Hand-derived trees of 1 to 8 leaves
// ---------------------------------------------------------------------------

#[test]
fn roots_of_sizes_1_to_8_match_the_rfc_definition_and_reference() {
    let data = reference_leaves();
    let leaves: Vec<Hash> = data.iter().map(|d| merkle::leaf_hash(d)).collect();
    let tree = tree_of(&data);
    assert_eq!(merkle::root(&[]), naive::mth(&[]));
    assert_eq!(tree.root_at(0).expect("root"), naive::mth(&[]));
    for n in 1..=8usize {
        let want = naive::mth(&data[..n]);
        assert_eq!(hex::encode(want), REFERENCE_ROOTS[n - 1], "naive root {n}");
        assert_eq!(merkle::root(&leaves[..n]), want, "slice root {n}");
        assert_eq!(tree.root_at(n as u64).expect("root"), want, "tree root {n}");
    }
    // The tree and the node layout: < 2n nodes.
    assert!(tree.store().node_count() < 2 * 8);
    assert!(matches!(
        tree.root_at(9),
        Err(MerkleError::SizeBeyondTree {
            requested: 9,
            available: 8
        })
    ));
}

#[test]
fn inclusion_proofs_for_every_index_and_size_up_to_8() {
    let data = reference_leaves();
    let leaves: Vec<Hash> = data.iter().map(|d| merkle::leaf_hash(d)).collect();
    let tree = tree_of(&data);
    let mut tampered_checked = 0usize;
    let mut other_claims_accepted = 0usize;
    for n in 1..=8u64 {
        let root = naive::mth(&data[..n as usize]);
        for m in 0..n {
            let want = naive::path(m as usize, &data[..n as usize]);
            let from_tree = tree.inclusion_proof(m, n).expect("tree proof");
            let from_slice = inclusion_proof(m, n, &leaves).expect("slice proof");
            assert_eq!(from_tree, want, "tree PATH({m}, {n})");
            assert_eq!(from_slice, want, "slice PATH({m}, {n})");
            let leaf = leaves[m as usize];
            verify_inclusion(m, n, &leaf, &want, &root)
                .unwrap_or_else(|e| panic!("PATH({m}, {n}) rejected: {e}"));

            for (what, p) in tampered(&want) {
                assert!(
                    verify_inclusion(m, n, &leaf, &p, &root).is_err(),
                    "PATH({m}, {n}) accepted with {what}"
                );
                tampered_checked += 1;
            }
            for bit in 0..256 {
                assert!(verify_inclusion(m, n, &flip(&leaf, bit), &want, &root).is_err());
                assert!(matches!(
                    verify_inclusion(m, n, &leaf, &want, &flip(&root, bit)),
                    Err(MerkleError::RootMismatch {
                        role: HashRole::Root,
                        ..
                    })
                ));
            }
            // Claimed as another position or tree size, the proof is
            // accepted exactly when the RFC hashing makes that claim
            // indistinguishable (e.g. PATH(1, 2) read as (2, 3): a root
            // only commits to a size through the checkpoint that signs both).
            let sym_leaf = naive::T::Leaf(m as usize);
            let sym_proof: Vec<naive::T> = naive::path_ranges(m as usize, 0, n as usize)
                .into_iter()
                .map(|(a, b)| naive::full(a, b))
                .collect();
            let sym_root = naive::full(0, n as usize);
            for m2 in 0..=9u64 {
                for n2 in 0..=9u64 {
                    let must = naive::inclusion_holds(
                        m2 as usize,
                        n2 as usize,
                        &sym_leaf,
                        &sym_proof,
                        &sym_root,
                    );
                    if must {
                        other_claims_accepted += usize::from((m2, n2) != (m, n));
                    }
                    assert_eq!(
                        verify_inclusion(m2, n2, &leaf, &want, &root).is_ok(),
                        must,
                        "PATH({m}, {n}) claimed as ({m2}, {n2})"
                    );
                }
            }
        }
        assert!(matches!(
            verify_inclusion(n, n, &leaves[0], &[] as &[Hash], &root),
            Err(MerkleError::LeafIndexOutOfRange { .. })
        ));
        assert!(matches!(
            tree.inclusion_proof(n, n),
            Err(MerkleError::LeafIndexOutOfRange { .. })
        ));
    }
    assert!(matches!(
        verify_inclusion(0, 0, &leaves[0], &[] as &[Hash], &merkle::empty_root()),
        Err(MerkleError::EmptyTree)
    ));
    assert!(matches!(
        tree.inclusion_proof(0, 0),
        Err(MerkleError::EmptyTree)
    ));
    assert!(tampered_checked > 10_000);
    println!("inclusion: {tampered_checked} tampered proofs rejected; {other_claims_accepted} (index, size) re-readings indistinguishable by construction");
}

#[test]
fn consistency_proofs_for_every_pair_of_sizes_up_to_8() {
    let data = reference_leaves();
    let leaves: Vec<Hash> = data.iter().map(|d| merkle::leaf_hash(d)).collect();
    let tree = tree_of(&data);
    let roots: Vec<Hash> = (0..=8).map(|n| naive::mth(&data[..n])).collect();
    for n in 1..=8u64 {
        for m in 1..=n {
            let (r1, r2) = (roots[m as usize], roots[n as usize]);
            let want = naive::proof(m as usize, &data[..n as usize]);
            assert_eq!(
                tree.consistency_proof(m, n).expect("tree"),
                want,
                "PROOF({m}, {n})"
            );
            assert_eq!(consistency_proof(m, n, &leaves).expect("slice"), want);
            verify_consistency(m, n, &want, &r1, &r2)
                .unwrap_or_else(|e| panic!("PROOF({m}, {n}) rejected: {e}"));

            for (what, p) in tampered(&want) {
                assert!(
                    verify_consistency(m, n, &p, &r1, &r2).is_err(),
                    "PROOF({m}, {n}) accepted with {what}"
                );
            }
            if m < n {
                assert!(
                    verify_consistency(m, n, &want, &r2, &r1).is_err(),
                    "swapped roots"
                );
                // When size1 is a power of two, root1 seeds the computation
                // of root2, so a wrong root1 surfaces as a root2 mismatch.
                let role1 = if m.is_power_of_two() {
                    HashRole::NewRoot
                } else {
                    HashRole::OldRoot
                };
                for bit in 0..256 {
                    assert!(matches!(
                        verify_consistency(m, n, &want, &flip(&r1, bit), &r2),
                        Err(MerkleError::RootMismatch { role, .. }) if role == role1
                    ));
                    assert!(matches!(
                        verify_consistency(m, n, &want, &r1, &flip(&r2, bit)),
                        Err(MerkleError::RootMismatch {
                            role: HashRole::NewRoot,
                            ..
                        })
                    ));
                }
            } else {
                assert!(matches!(
                    verify_consistency(m, n, &want, &r1, &roots[0]),
                    Err(MerkleError::RootsDiffer { .. })
                ));
            }
            // Claimed for other sizes: accepted exactly when RFC hashing
            // cannot tell (equal sizes with equal roots, or the same shape).
            let sym_proof: Vec<naive::T> = naive::proof_ranges(m as usize, 0, n as usize, true)
                .into_iter()
                .map(|(a, b)| naive::full(a, b))
                .collect();
            let (s1, s2) = (naive::full(0, m as usize), naive::full(0, n as usize));
            for m2 in 0..=9u64 {
                for n2 in 0..=9u64 {
                    let must =
                        naive::consistency_holds(m2 as usize, n2 as usize, &sym_proof, &s1, &s2);
                    assert_eq!(
                        verify_consistency(m2, n2, &want, &r1, &r2).is_ok(),
                        must,
                        "PROOF({m}, {n}) claimed as ({m2}, {n2})"
                    );
                }
            }
        }
        // Named failures.
        let r = roots[n as usize];
        assert!(matches!(
            verify_consistency(0, n, &[] as &[Hash], &roots[0], &r),
            Err(MerkleError::EmptyOldTree)
        ));
        assert!(matches!(
            verify_consistency(n + 1, n, &[] as &[Hash], &r, &r),
            Err(MerkleError::SizesOutOfOrder { .. })
        ));
        assert!(matches!(
            verify_consistency(n, n, &[r], &r, &r),
            Err(MerkleError::WrongProofLength {
                expected: 0,
                actual: 1
            })
        ));
        assert!(matches!(
            tree.consistency_proof(0, n),
            Err(MerkleError::EmptyOldTree)
        ));
    }
    assert!(matches!(
        tree.consistency_proof(3, 2),
        Err(MerkleError::SizesOutOfOrder { size1: 3, size2: 2 })
    ));
    assert!(matches!(
        tree.consistency_proof(3, 9),
        Err(MerkleError::SizeBeyondTree { .. })
    ));
}

#[test]
fn malformed_hashes_are_named() {
    let data = reference_leaves();
    let tree = tree_of(&data);
    let root = tree.root().expect("root");
    let leaf = tree.leaf(2).expect("leaf");
    let proof = tree.inclusion_proof(2, 8).expect("proof");
    let mut short: Vec<Vec<u8>> = proof.iter().map(|h| h.to_vec()).collect();
    short[1].pop();
    assert!(matches!(
        verify_inclusion(2, 8, &leaf, &short, &root),
        Err(MerkleError::MalformedHash {
            role: HashRole::ProofElement(1),
            len: 31
        })
    ));
    assert!(matches!(
        verify_inclusion(2, 8, &leaf[..9], &proof, &root),
        Err(MerkleError::MalformedHash {
            role: HashRole::LeafHash,
            len: 9
        })
    ));
    assert!(matches!(
        verify_inclusion(2, 8, &leaf, &proof, &[]),
        Err(MerkleError::MalformedHash {
            role: HashRole::Root,
            len: 0
        })
    ));
    let err = verify_inclusion(2, 8, &leaf, &proof[..2], &root).expect_err("short proof");
    assert_eq!(
        err.to_string(),
        "wrong proof length: 2 hashes given, 3 required for these sizes"
    );
}

// ---------------------------------------------------------------------------
// Public conformance vectors (transparency-dev/merkle testdata)
// ---------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/rfc9162")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Standard base64 (RFC 4648, `=` padding), strict.
fn base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = s.as_bytes();
    assert!(bytes.len() % 4 == 0, "base64 length of {s:?}");
    let body = s.trim_end_matches('=');
    assert!(bytes.len() - body.len() <= 2, "base64 padding of {s:?}");
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("base64 character {c:?} in {s:?}"));
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn field<'a>(v: &'a serde_json::Value, key: &str, file: &Path) -> &'a serde_json::Value {
    v.get(key)
        .unwrap_or_else(|| panic!("{}: no field {key}", file.display()))
}

fn num(v: &serde_json::Value, key: &str, file: &Path) -> u64 {
    field(v, key, file)
        .as_u64()
        .unwrap_or_else(|| panic!("{}: {key} is not a u64", file.display()))
}

fn bytes(v: &serde_json::Value, key: &str, file: &Path) -> Vec<u8> {
    base64(
        field(v, key, file)
            .as_str()
            .unwrap_or_else(|| panic!("{}: {key} is not a string", file.display())),
    )
}

fn proof(v: &serde_json::Value, file: &Path) -> Vec<Vec<u8>> {
    match field(v, "proof", file) {
        serde_json::Value::Null => vec![],
        serde_json::Value::Array(a) => a
            .iter()
            .map(|h| base64(h.as_str().expect("proof element is a string")))
            .collect(),
        other => panic!("{}: proof is {other}", file.display()),
    }
}

#[test]
fn public_rfc9162_vectors() {
    let dir = vectors_dir();
    assert!(
        dir.join("README.md").is_file(),
        "RFC 9162 conformance vectors not found at {} (vendored in replay/tests/vectors/rfc9162)",
        dir.display()
    );
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();
    let (mut inclusion, mut consistency, mut accepted, mut rejected) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read vector");
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let want_err = field(&v, "wantErr", file)
            .as_bool()
            .unwrap_or_else(|| panic!("{}: wantErr is not a bool", file.display()));
        let rel = file.strip_prefix(&dir).unwrap_or(file);
        let kind = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy());
        let result = match kind.as_deref() {
            Some("inclusion") => {
                inclusion += 1;
                verify_inclusion(
                    num(&v, "leafIdx", file),
                    num(&v, "treeSize", file),
                    &bytes(&v, "leafHash", file),
                    &proof(&v, file),
                    &bytes(&v, "root", file),
                )
            }
            Some("consistency") => {
                consistency += 1;
                verify_consistency(
                    num(&v, "size1", file),
                    num(&v, "size2", file),
                    &proof(&v, file),
                    &bytes(&v, "root1", file),
                    &bytes(&v, "root2", file),
                )
            }
            other => panic!("{}: unknown vector kind {other:?}", file.display()),
        };
        match (&result, want_err) {
            (Ok(()), false) => accepted += 1,
            (Err(_), true) => rejected += 1,
            (Ok(()), true) => failures.push(format!("{}: accepted, must fail", rel.display())),
            (Err(e), false) => {
                failures.push(format!("{}: rejected ({e}), must verify", rel.display()))
            }
        }
    }
    let checked = inclusion + consistency;
    println!(
        "RFC 9162 vectors: {checked} checked ({inclusion} inclusion, {consistency} consistency): \
         {accepted} verified as expected, {rejected} rejected as expected, {} wrong",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "vector failures:\n{}",
        failures.join("\n")
    );
    assert_eq!(checked, files.len(), "every vector file is checked");
    assert_eq!(accepted + rejected, files.len());
    assert!(checked > 0, "no vectors found in {}", dir.display());
}

// ---------------------------------------------------------------------------
// Random trees against the naive reference
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_match_the_naive_reference(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..300),
        picks in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 6),
    ) {
        let n = records.len() as u64;
        let tree = tree_of(&records);
        let leaves: Vec<Hash> = records.iter().map(|d| merkle::leaf_hash(d)).collect();
        prop_assert_eq!(tree.root().expect("root"), naive::mth(&records));
        prop_assert_eq!(merkle::root(&leaves), naive::mth(&records));
        prop_assert!(tree.store().node_count() < 2 * records.len());

        for (a, b, c) in picks {
            // Two sizes 1 <= size1 <= size2 <= n and an index below size2.
            let s2 = 1 + a % n;
            let s1 = 1 + b % s2;
            let idx = c % s2;
            let d2 = &records[..s2 as usize];
            let root1 = naive::mth(&records[..s1 as usize]);
            let root2 = naive::mth(d2);
            prop_assert_eq!(tree.root_at(s1).expect("root"), root1);
            prop_assert_eq!(tree.root_at(s2).expect("root"), root2);

            let want = naive::path(idx as usize, d2);
            let got = tree.inclusion_proof(idx, s2).expect("inclusion");
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(&inclusion_proof(idx, s2, &leaves).expect("slice"), &want);
            prop_assert!(verify_inclusion(idx, s2, &leaves[idx as usize], &got, &root2).is_ok());
            if s2 > 1 {
                let mut bad = got.clone();
                let i = (a as usize) % bad.len();
                bad[i] = flip(&bad[i], (b % 256) as usize);
                prop_assert!(verify_inclusion(idx, s2, &leaves[idx as usize], &bad, &root2).is_err());
            }

            let want = naive::proof(s1 as usize, d2);
            let got = tree.consistency_proof(s1, s2).expect("consistency");
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(&consistency_proof(s1, s2, &leaves).expect("slice"), &want);
            prop_assert!(verify_consistency(s1, s2, &got, &root1, &root2).is_ok());
            if s1 < s2 {
                let mut bad = got.clone();
                let i = (c as usize) % bad.len();
                bad[i] = flip(&bad[i], (a % 256) as usize);
                prop_assert!(verify_consistency(s1, s2, &bad, &root1, &root2).is_err());
                bad = got.clone();
                bad.pop();
                prop_assert!(verify_consistency(s1, s2, &bad, &root1, &root2).is_err());
            }
        }
    }

    #[test]
    fn reopened_tree_keeps_serving(
        n in 1u64..200,
        extra in 1u64..60,
    ) {
        let mut tree = MerkleTree::in_memory();
        let mut data = Vec::new();
        for i in 0..n {
            data.push(i.to_be_bytes().to_vec());
            tree.append_record(&i.to_be_bytes()).expect("append");
        }
        let old_root = tree.root().expect("root");
        let mut tree = MerkleTree::open(tree.into_store(), n).expect("reopen");
        for i in n..n + extra {
            data.push(i.to_be_bytes().to_vec());
            tree.append_record(&i.to_be_bytes()).expect("append");
        }
        let new_root = tree.root().expect("root");
        prop_assert_eq!(new_root, naive::mth(&data));
        let proof = tree.consistency_proof(n, n + extra).expect("proof");
        prop_assert!(verify_consistency(n, n + extra, &proof, &old_root, &new_root).is_ok());
    }
}
