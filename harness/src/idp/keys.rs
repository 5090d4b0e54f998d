//! The IdP's key pairs as authentik keeps them (certificate + private key), their `kid`, and their JWKS entries.
//!
//! authentik `version/2025.12.4`: `authentik/crypto/models.py` (kid = MD5 hex of the stored `key_data` PEM text,
//! trimmed on the way in),
//! `authentik/providers/oauth2/views/jwks.py` (members and their order).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::rsa::RsaKeyPair;
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

use crate::certs::Pem;

/// The signing algorithm a provider's tokens carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Alg {
    Rs256,
    Es256,
    /// No key pair: HMAC keyed with the client secret.
    Hs256,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
            Alg::Hs256 => "HS256",
        }
    }
}

/// A key pair with what is derived from it. Serialized as its PEMs; the kid is derived again when read.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(from = "Pem", into = "Pem")]
pub struct KeyPair {
    pub pem: Pem,
    pub kid: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair {{ kid: {} }}", self.kid)
    }
}

impl From<Pem> for KeyPair {
    fn from(pem: Pem) -> Self {
        KeyPair::new(pem)
    }
}

impl From<KeyPair> for Pem {
    fn from(k: KeyPair) -> Self {
        k.pem
    }
}

impl KeyPair {
    pub fn new(pem: Pem) -> Self {
        KeyPair {
            kid: kid(&pem.key),
            pem,
        }
    }

    /// The certificate's DER.
    fn der(&self) -> Vec<u8> {
        let body: String = self
            .pem
            .cert
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        STANDARD.decode(body).expect("rcgen writes valid PEM")
    }

    /// The public key as PEM (`PUBLIC KEY`), taken from the certificate as authentik does for encryption.
    pub fn public_key_pem(&self) -> String {
        let cert =
            openssl::x509::X509::from_pem(self.pem.cert.as_bytes()).expect("valid certificate");
        let pem = cert
            .public_key()
            .and_then(|k| k.public_key_to_pem())
            .expect("a public key");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// The JWKS entry, members in authentik's order.
    pub fn jwk(&self, alg: &str, use_: &str) -> Value {
        let mut m = Map::new();
        m.insert("alg".into(), json!(alg));
        if use_ == "enc" {
            m.insert("enc".into(), json!("A256CBC-HS512"));
        }
        m.insert("kid".into(), json!(self.kid));
        if alg == "ES256" {
            let ec = EcKeyPair::from_pem(self.pem.key.as_bytes(), Some(EcCurve::P256))
                .expect("an EC P-256 key");
            let jwk = ec.to_jwk_public_key();
            m.insert("kty".into(), json!("EC"));
            m.insert("use".into(), json!(use_));
            m.insert("x".into(), json!(jwk.parameter("x")));
            m.insert("y".into(), json!(jwk.parameter("y")));
            m.insert("crv".into(), json!("P-256"));
        } else {
            let rsa = RsaKeyPair::from_pem(self.pem.key.as_bytes()).expect("an RSA key");
            let jwk = rsa.to_jwk_public_key();
            m.insert("kty".into(), json!("RSA"));
            m.insert("use".into(), json!(use_));
            m.insert("n".into(), json!(jwk.parameter("n")));
            m.insert("e".into(), json!(jwk.parameter("e")));
        }
        let der = self.der();
        m.insert("x5c".into(), json!([STANDARD.encode(&der)]));
        m.insert(
            "x5t".into(),
            json!(URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der))),
        );
        m.insert(
            "x5t#S256".into(),
            json!(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&der))),
        );
        Value::Object(m)
    }
}

/// authentik's kid: the MD5 hex digest of the private key's PEM text as authentik stores it. A blueprint's
/// `key_data` goes through the API serializer, which trims surrounding whitespace, so the stored text has no final
/// newline (measured on authentik 2025.12.4: the kid of the rendered signing key is the MD5 of its 1703 characters
/// without the newline).
pub fn kid(key_pem: &str) -> String {
    Md5::digest(stored(key_pem).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A PEM text as authentik keeps it from a blueprint: surrounding whitespace trimmed.
pub fn stored(pem: &str) -> &str {
    pem.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_the_md5_of_the_pem_text() {
        // md5("abc") — a fixed vector, so the digest and its hex form are checked, not just self-consistent.
        assert_eq!(kid("abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn the_kid_is_of_the_text_without_its_final_newline() {
        assert_eq!(kid("abc\n"), kid("abc"));
    }
}
