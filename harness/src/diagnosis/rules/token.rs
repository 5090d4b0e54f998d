//! The token's form: encrypted (a JWE), or signed with HS256 by a provider without a signing key.

use crate::diagnosis::Evidence;
use crate::scenario::IdpProfile;
use crate::scenario::TokenFormat;

/// The plugin's parser meets a five-part token: `Unexpected number of Base64URL parts, must be three`.
pub(in crate::diagnosis) fn jwe_token(e: &Evidence) -> Option<(String, String)> {
    let token = e
        .observed
        .token
        .as_ref()
        .filter(|t| t.format == TokenFormat::Jwe);
    if token.is_none() && !e.opensearch_has("Unexpected number of Base64URL parts, must be three") {
        return None;
    }
    let how = token
        .map(|t| {
            format!(
                ", {}{}",
                t.alg.as_deref().unwrap_or("?"),
                t.enc
                    .as_deref()
                    .map(|x| format!(" / {x}"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    Some((
        format!(
            "The IdP encrypts its tokens (the id_token is a JWE{how}) and the security plugin reads only signed \
             JWTs (three parts): it rejects the token with \"Unexpected number of Base64URL parts, must be three\", \
             so every login ends in 401 (\"Authentication finally failed for null\")."
        ),
        match e.idp {
            IdpProfile::Keycloak => "Remove the client's `id.token.encrypted.response.alg` and \
                `id.token.encrypted.response.enc` attributes in Keycloak (Clients → <client> → Advanced → Fine grain \
                OpenID Connect configuration → ID token encryption key management algorithm and content encryption \
                algorithm: empty), keeping the realm's signing key."
                .to_owned(),
            _ => "Remove the encryption key in authentik's provider (Applications → Providers → <provider> → Edit → \
                Advanced protocol settings → Encryption Key: none; in a blueprint `encryption_key: null`), keeping \
                its Signing Key."
                .to_owned(),
        },
    ))
}

/// authentik without a signing key signs with HS256 (the client secret) and serves a JWKS without keys.
pub(in crate::diagnosis) fn hs256_without_signing_key(e: &Evidence) -> Option<(String, String)> {
    let hs256 = e
        .observed
        .token
        .as_ref()
        .is_some_and(|t| t.format == TokenFormat::Jws && t.alg.as_deref() == Some("HS256"));
    let no_keys = e.opensearch_has("Missing required \"keys\" member");
    if !hs256 && !no_keys {
        return None;
    }
    let what = match (hs256, no_keys) {
        (true, true) => {
            "The IdP signs its tokens with HS256 (the client secret) and its JWKS has no keys (the \
                         plugin logs `Missing required \"keys\" member`)"
        }
        (true, false) => {
            "The IdP signs its tokens with HS256 (the client secret), a key it does not publish"
        }
        _ => "The IdP's JWKS has no keys (the plugin logs `Missing required \"keys\" member`)",
    };
    Some((
        format!(
            "{what}: the plugin verifies a token only against the keys of `jwks_uri`, so it cannot verify any."
        ),
        "Give authentik's provider a signing key (Applications → Providers → <provider> → Edit → Signing Key: \
         e.g. \"authentik Self-signed Certificate\"; in a blueprint `signing_key`): it then signs with RS256 and \
         publishes the key."
            .to_owned(),
    ))
}
