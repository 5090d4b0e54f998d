//! Signing and encryption of tokens, byte-compatible with authentik (PyJWT for the JWS, jwcrypto for the JWE).
//!
//! The JWS is assembled here so its header is exactly PyJWT's (`{"alg","kid","typ":"JWT"}`, sorted keys); the
//! signature and the JWE come from josekit (OpenSSL).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::{JweHeader, RSA_OAEP_256};
use josekit::jws::{ES256, HS256, JwsSigner, RS256};
use serde_json::{Map, Value, json};

use super::keys::{Alg, KeyPair};

#[derive(Debug, thiserror::Error)]
#[error("cannot make a token: {0}")]
pub struct JoseError(#[from] josekit::JoseError);

/// A compact JWS of `claims`. `key` is the signing key pair (RS256/ES256); HS256 uses `client_secret`.
pub fn sign(
    claims: &Map<String, Value>,
    alg: Alg,
    key: Option<&KeyPair>,
    client_secret: &str,
) -> Result<String, JoseError> {
    let header = match (alg, key) {
        (Alg::Hs256, _) | (_, None) => json!({"alg": "HS256", "typ": "JWT"}),
        (alg, Some(k)) => json!({"alg": alg.name(), "kid": k.kid, "typ": "JWT"}),
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    );
    let signer: Box<dyn JwsSigner> = match (alg, key) {
        (Alg::Rs256, Some(k)) => Box::new(RS256.signer_from_pem(&k.pem.key)?),
        (Alg::Es256, Some(k)) => Box::new(ES256.signer_from_pem(&k.pem.key)?),
        _ => Box::new(HS256.signer_from_bytes(client_secret.as_bytes())?),
    };
    let signature = signer.sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// `jws` wrapped in a compact JWE for the encryption key pair's certificate: protected header exactly
/// `{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512","kid":…,"typ":"JWE"}` — members in that (alphabetical) order, as
/// the real authentik 2025.12.4 sends them (jwcrypto serializes with sorted keys) — and no `cty`.
pub fn encrypt(jws: &str, key: &KeyPair) -> Result<String, JoseError> {
    let mut header = JweHeader::new();
    header.set_algorithm("RSA-OAEP-256");
    header.set_content_encryption("A256CBC-HS512");
    header.set_key_id(&key.kid);
    header.set_token_type("JWE");
    let encrypter = RSA_OAEP_256.encrypter_from_pem(key.public_key_pem())?;
    Ok(josekit::jwe::serialize_compact(
        jws.as_bytes(),
        &header,
        &encrypter,
    )?)
}
