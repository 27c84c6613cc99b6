//! TLS for the fake: a throw-away certificate authority made at run time, and a certificate it
//! signs for `localhost` and `127.0.0.1`, so a client that trusts the CA (`SSL_CERT_FILE`,
//! `AWS_CA_BUNDLE`) pays a real handshake and verification, as it does with AWS.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// A CA and the server configuration of a certificate it signed.
pub struct Tls {
    /// The CA's certificate, PEM: what clients must trust.
    pub ca_pem: String,
    pub(crate) config: Arc<ServerConfig>,
}

impl Tls {
    /// Makes a CA and a server certificate for `localhost` and `127.0.0.1` (ECDSA P-256, as
    /// many AWS endpoints use).
    pub fn throwaway() -> Result<Tls, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot make the throw-away CA: {e}");
        let ca_key = KeyPair::generate().map_err(|e| fail(&e))?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| fail(&e))?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "fake-codedeploy throw-away CA");
        let ca_cert = ca.self_signed(&ca_key).map_err(|e| fail(&e))?;
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().map_err(|e| fail(&e))?;
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let server = CertificateParams::new(names).map_err(|e| fail(&e))?;
        let cert = server.signed_by(&key, &issuer).map_err(|e| fail(&e))?;

        let chain = vec![
            CertificateDer::from(cert.der().to_vec()),
            CertificateDer::from(ca_cert.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| fail(&e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| fail(&e))?;
        Ok(Tls {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        })
    }
}
