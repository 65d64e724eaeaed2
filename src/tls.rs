//! One TLS stack for every outgoing `https` connection: rustls with the
//! `ring` crypto provider (pure Rust and assembly, no OpenSSL and no C
//! toolchain beyond what `ring` brings). reqwest is built with
//! `rustls-no-provider`, so the process-wide provider must be installed
//! before the first client is built: `main` does it at start, and every
//! client this crate builds calls [`install_crypto_provider`] first, so a
//! caller that is not `main` (the in-process gateway of the tests, a bench)
//! cannot build a client without one.
//!
//! Server certificates are checked by reqwest's platform verifier
//! (rustls-platform-verifier): on Linux it trusts the system's CA bundle,
//! the same roots the former native-tls/OpenSSL backend trusted, plus any
//! certificate added with `tls_certs_merge` (the webhook `extra_ca_file`).

use std::sync::Once;

/// Installs rustls's `ring` provider as the process default, once; later
/// calls do nothing. Had something else installed a provider first, that
/// one stays in force.
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err only says a provider was already installed.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}
