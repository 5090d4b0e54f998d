//! The certificates of a run, made fresh with rcgen: a run CA, OpenSearch's node and admin certificates, the
//! server certificates of Caddy's sites, and the IdP's signing and encryption key pairs (as authentik keeps them:
//! certificate + key). Private keys are PKCS#8 PEM, which OpenSearch requires.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, RsaKeySize,
    SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

use crate::topology::Hostnames;

/// A certificate and its private key, both PEM.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Pem {
    pub cert: String,
    /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`).
    pub key: String,
}

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pem { cert, key: [redacted] }")
    }
}

/// A distinguished name as an ordered list of attributes, most general first (the order in the certificate).
pub struct Dn(pub &'static [(DnType, &'static str)]);

impl Dn {
    /// The RFC 2253 string OpenSearch compares against (`plugins.security.authcz.admin_dn`): most specific first.
    pub fn rfc2253(&self) -> String {
        self.0
            .iter()
            .rev()
            .map(|(t, v)| format!("{}={v}", short_name(t)))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn to_rcgen(&self) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        for (t, v) in self.0 {
            dn.push(t.clone(), *v);
        }
        dn
    }
}

fn short_name(t: &DnType) -> &'static str {
    match t {
        DnType::CountryName => "C",
        DnType::OrganizationName => "O",
        DnType::OrganizationalUnitName => "OU",
        DnType::CommonName => "CN",
        DnType::LocalityName => "L",
        DnType::StateOrProvinceName => "ST",
        _ => unreachable!("only the attributes used below"),
    }
}

pub const CA_DN: Dn = Dn(&[
    (DnType::OrganizationName, "sso-harness"),
    (DnType::CommonName, "sso-harness run CA"),
]);
/// The client certificate the harness uses for the security REST API.
pub const ADMIN_DN: Dn = Dn(&[
    (DnType::OrganizationName, "sso-harness"),
    (DnType::OrganizationalUnitName, "harness"),
    (DnType::CommonName, "harness-admin"),
]);
pub const NODE_DN: Dn = Dn(&[
    (DnType::OrganizationName, "sso-harness"),
    (DnType::OrganizationalUnitName, "harness"),
    (DnType::CommonName, "opensearch-node"),
]);

/// Everything with a key that a run needs.
#[derive(Clone, Debug)]
pub struct RunCertificates {
    /// The run CA (the key is kept only to sign the others, then dropped).
    pub ca_cert: String,
    pub node: Pem,
    pub admin: Pem,
    pub idp_site: Pem,
    pub dashboards_site: Pem,
    /// The IdP's token signing key pairs (a case picks one by `signing_key`) and its encryption key pair.
    pub idp_signing_rsa: Pem,
    pub idp_signing_ec: Pem,
    pub idp_encryption: Pem,
}

impl RunCertificates {
    /// The site certificates Caddy presents, as SPKI hashes (base64 SHA-256): what the harness's browser trusts like
    /// the run CA.
    pub fn site_spkis(&self) -> Vec<String> {
        [&self.idp_site.cert, &self.dashboards_site.cert]
            .iter()
            .map(|c| spki_sha256_base64(c))
            .collect()
    }

    pub fn generate(hosts: &Hostnames) -> Result<Self, rcgen::Error> {
        let now = OffsetDateTime::now_utc();
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut ca = params(&CA_DN, &[], now)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key)?.pem();
        let issuer = Issuer::new(ca, ca_key);

        let server = [ExtendedKeyUsagePurpose::ServerAuth];
        // Transport TLS uses the node certificate both ways.
        let both = [
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let node_names = [
            hosts.opensearch.as_str(),
            "opensearch",
            "localhost",
            "127.0.0.1",
            "::1",
        ];
        Ok(RunCertificates {
            node: leaf(&issuer, &NODE_DN, &node_names, &both, Key::Rsa, now)?,
            admin: leaf(
                &issuer,
                &ADMIN_DN,
                &[],
                &[ExtendedKeyUsagePurpose::ClientAuth],
                Key::Rsa,
                now,
            )?,
            idp_site: leaf(
                &issuer,
                &SITE_DN,
                &[hosts.idp.as_str()],
                &server,
                Key::Rsa,
                now,
            )?,
            dashboards_site: leaf(
                &issuer,
                &SITE_DN,
                &[hosts.dashboards.as_str()],
                &server,
                Key::Rsa,
                now,
            )?,
            idp_signing_rsa: leaf(&issuer, &IDP_KEY_DN, &[], &[], Key::Rsa, now)?,
            idp_signing_ec: leaf(&issuer, &IDP_KEY_DN, &[], &[], Key::Ec, now)?,
            idp_encryption: leaf(&issuer, &IDP_KEY_DN, &[], &[], Key::Rsa, now)?,
            ca_cert,
        })
    }
}

const IDP_KEY_DN: Dn = Dn(&[
    (DnType::OrganizationName, "sso-harness"),
    (DnType::CommonName, "sso-harness IdP key"),
]);

const SITE_DN: Dn = Dn(&[
    (DnType::OrganizationName, "sso-harness"),
    (DnType::CommonName, "sso-harness site"),
]);

#[derive(Clone, Copy)]
enum Key {
    Rsa,
    Ec,
}

fn params(dn: &Dn, names: &[&str], now: OffsetDateTime) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    p.distinguished_name = dn.to_rcgen();
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(30);
    Ok(p)
}

fn leaf(
    issuer: &Issuer<'_, KeyPair>,
    dn: &Dn,
    names: &[&str],
    usages: &[ExtendedKeyUsagePurpose],
    key: Key,
    now: OffsetDateTime,
) -> Result<Pem, rcgen::Error> {
    let key = match key {
        Key::Rsa => {
            KeyPair::generate_rsa_for(&PKCS_RSA_SHA256 as &SignatureAlgorithm, RsaKeySize::_2048)?
        }
        Key::Ec => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?,
    };
    let mut p = params(dn, names, now)?;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = usages.to_vec();
    let cert = p.signed_by(&key, issuer)?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo: how Chromium's
/// `--ignore-certificate-errors-spki-list` names the certificates the browser is to trust.
pub fn spki_sha256_base64(cert_pem: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let cert =
        openssl::x509::X509::from_pem(cert_pem.as_bytes()).expect("a certificate this module made");
    let spki = cert
        .public_key()
        .and_then(|k| k.public_key_to_der())
        .expect("a public key");
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2253_puts_the_most_specific_attribute_first() {
        assert_eq!(
            ADMIN_DN.rfc2253(),
            "CN=harness-admin,OU=harness,O=sso-harness"
        );
    }
}
