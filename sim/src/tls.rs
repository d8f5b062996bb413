//! The sim's optional HTTPS front, for tests of how NumberDesk trusts certificates.
//!
//! Real Microsoft endpoints are HTTPS, and behind a corporate proxy that inspects TLS they
//! present a certificate signed by the company's own root. To test that NumberDesk trusts what
//! the operating system trusts (and stops, sending nothing, when it does not), a test gives the
//! sim a certificate signed by a throwaway authority it made, and trusts that authority — or
//! not — through the OS mechanism the verifier reads. The TLS is terminated here, in front of
//! the same hyper service, so everything else about the sim is unchanged. The demo never uses
//! this: it stays plain http on loopback.

use std::io;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The certificate both sim listeners present. It must name `127.0.0.1` (the listeners'
/// address) as a subject alternative name.
#[derive(Clone)]
pub struct SimTls {
    /// The server certificate first, then any intermediates, DER-encoded.
    pub cert_chain: Vec<Vec<u8>>,
    /// The server's private key, PKCS#8 DER.
    pub private_key_pkcs8: Vec<u8>,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTls")
            .field("certificates", &self.cert_chain.len())
            .finish_non_exhaustive()
    }
}

/// A TLS acceptor for `tls` (HTTP/1.1 only, as the sim speaks nothing else).
pub(crate) fn acceptor(tls: &SimTls) -> io::Result<TlsAcceptor> {
    let chain = tls
        .cert_chain
        .iter()
        .map(|der| CertificateDer::from(der.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(tls.private_key_pkcs8.clone()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
