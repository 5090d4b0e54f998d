//! The discovery document and the JWKS. Pure: both depend only on the origin a request came in on and the config.
//!
//! authentik `version/2025.12.4`: `providers/oauth2/views/provider.py`, `views/jwks.py`.

use serde_json::{Map, Value, json};

use super::Config;
use super::claims::{User, scope_claims};
use crate::scenario::{IssuerMode, ScopeMapping, wire_name};

/// `<origin>/application/o/<slug>/` (per provider) or `<origin>/` (global): the trailing slash is authentik's.
pub fn issuer(config: &Config, origin: &str) -> String {
    match config.issuer_mode {
        IssuerMode::PerProvider => format!("{origin}/application/o/{}/", config.slug),
        IssuerMode::Global => format!("{origin}/"),
    }
}

pub fn document(config: &Config, origin: &str) -> Value {
    let o = format!("{origin}/application/o");
    let slug = &config.slug;
    let mut d = Map::new();
    let mut put = |k: &str, v: Value| {
        d.insert(k.to_owned(), v);
    };
    put("issuer", json!(issuer(config, origin)));
    put("authorization_endpoint", json!(format!("{o}/authorize/")));
    put("token_endpoint", json!(format!("{o}/token/")));
    put("userinfo_endpoint", json!(format!("{o}/userinfo/")));
    put(
        "end_session_endpoint",
        json!(format!("{o}/{slug}/end-session/")),
    );
    put("introspection_endpoint", json!(format!("{o}/introspect/")));
    put("revocation_endpoint", json!(format!("{o}/revoke/")));
    put(
        "device_authorization_endpoint",
        json!(format!("{o}/device/")),
    );
    put("backchannel_logout_supported", json!(true));
    put("backchannel_logout_session_supported", json!(true));
    put(
        "response_types_supported",
        json!([
            "code",
            "id_token",
            "id_token token",
            "code token",
            "code id_token",
            "code id_token token"
        ]),
    );
    put(
        "response_modes_supported",
        json!(["query", "fragment", "form_post"]),
    );
    put("jwks_uri", json!(format!("{o}/{slug}/jwks/")));
    put(
        "grant_types_supported",
        json!([
            "authorization_code",
            "refresh_token",
            "implicit",
            "client_credentials",
            "password",
            "urn:ietf:params:oauth:grant-type:device_code"
        ]),
    );
    put(
        "id_token_signing_alg_values_supported",
        json!([config.alg.name()]),
    );
    put("subject_types_supported", json!(["public"]));
    put(
        "token_endpoint_auth_methods_supported",
        json!(["client_secret_post", "client_secret_basic"]),
    );
    put("acr_values_supported", json!([super::claims::ACR]));
    let mut scopes: Vec<String> = config.property_mappings.iter().map(wire_name).collect();
    if !scopes.iter().any(|s| s == "openid") {
        scopes.push("openid".into());
    }
    put("scopes_supported", json!(scopes));
    put("request_parameter_supported", json!(false));
    put(
        "claims_supported",
        json!(claims_supported(&config.property_mappings)),
    );
    put("claims_parameter_supported", json!(false));
    put("code_challenge_methods_supported", json!(["plain", "S256"]));
    if config.encryption.is_some() {
        put(
            "id_token_encryption_alg_values_supported",
            json!(["RSA-OAEP-256"]),
        );
        put(
            "id_token_encryption_enc_values_supported",
            json!(["A256CBC-HS512"]),
        );
    }
    Value::Object(d)
}

/// The standard claims, then the keys each mapping gives for an anonymous user, mappings ordered by scope name.
fn claims_supported(mappings: &[ScopeMapping]) -> Vec<String> {
    let mut out: Vec<String> = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "acr",
        "amr",
        "nonce",
    ]
    .map(String::from)
    .to_vec();
    let anonymous = User {
        pk: 0,
        uuid: String::new(),
        username: String::new(),
        name: String::new(),
        email: String::new(),
        groups: vec![],
        entitlements: vec![],
        password: String::new(),
    };
    let mut sorted = mappings.to_vec();
    sorted.sort_by_key(wire_name);
    for m in sorted {
        out.extend(scope_claims(&anonymous, &[m]).keys().cloned());
    }
    out
}

/// `{"keys": [signing, encryption]}`, or `{}` when there is neither (HS256).
pub fn jwks(config: &Config) -> Value {
    let mut keys = Vec::new();
    if let Some(k) = &config.signing {
        keys.push(k.jwk(config.alg.name(), "sig"));
    }
    if let Some(k) = &config.encryption {
        keys.push(k.jwk("RSA-OAEP-256", "enc"));
    }
    if keys.is_empty() {
        json!({})
    } else {
        json!({ "keys": keys })
    }
}
