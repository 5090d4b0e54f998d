//! Keycloak's configuration of a case (`stack.idp: keycloak`): the realm as Keycloak's admin REST API takes it —
//! one RealmRepresentation holding the realm's settings, its realm roles, groups, users (with their passwords,
//! groups and realm roles) and the relying party's client. The native backend `POST`s it to `/admin/realms`
//! (`keycloak::admin`); the containers backend hands the same file to the image's `--import-realm`. Rendered only
//! for Keycloak cases.
//!
//! The default client is what a Dashboards relying party needs (confidential, standard flow, Dashboards' redirect
//! URI, `groups` and `roles` claims in the ID token); the case's `idp.keycloak.client` is laid over it (mappings
//! merge key by key, lists replace). When the client asks for encrypted ID tokens
//! (`id.token.encrypted.response.alg`), the harness gives it the run's encryption key pair's public key as its
//! JWKS (`use.jwks.string`), with `use: enc` and `alg` equal to the requested alg — Keycloak 26.7.3 finds no key
//! otherwise ("can not get encryption KEK") — and `use.jwks.url` set to `"false"` (with both `"true"` it keeps
//! the string key).

use serde_json::{Map, Value, json};

use super::{Inputs, RenderError, RunFiles, placeholder_values};
use crate::idp::keys::KeyPair;
use crate::scenario::{Document, IdpProfile};
use crate::secrets::Secrets;

/// The realm of the case, as JSON.
pub const REALM: &str = "keycloak/realm.json";

/// The client attribute that turns on ID-token encryption (Keycloak's `OIDCConfigAttributes`).
pub const ENCRYPTED_ALG: &str = "id.token.encrypted.response.alg";

/// The relying party's client id: the case's `clientId`, else authentik's default (`opensearch-dashboards`).
pub fn client_id(doc: &Document) -> String {
    match doc.idp.keycloak.client.get("clientId") {
        Some(Value::String(id)) => id.clone(),
        _ => doc.idp.provider.client_id.clone(),
    }
}

/// The client's secret: the case's `secret`, else a generated one.
pub fn client_secret(doc: &Document, secrets: &Secrets) -> String {
    match doc.idp.keycloak.client.get("secret") {
        Some(Value::String(s)) if s != "generated" => s.clone(),
        _ => secrets.client_secret(&doc.idp.provider),
    }
}

/// The issuer Keycloak announces for the case's realm (no trailing slash).
pub fn issuer(doc: &Document, idp_url: &str) -> String {
    format!("{idp_url}/realms/{}", doc.idp.keycloak.realm)
}

pub(super) fn render(i: &Inputs, files: &mut RunFiles) -> Result<(), RenderError> {
    let doc = &i.case.document;
    if doc.stack.idp != IdpProfile::Keycloak {
        return Ok(());
    }
    let values = placeholder_values(doc, i.topology, i.certs, i.secrets)
        .with("tls.ca_file", &i.topology.idp_paths.ca_file);
    let realm = realm(
        doc,
        i,
        &values.substitute_all(&Value::Object(client(doc, i))),
    );
    let realm = values.substitute_all(&realm);
    let text = serde_json::to_string_pretty(&realm).map_err(|e| RenderError::Json {
        file: REALM.to_owned(),
        message: e.to_string(),
    })?;
    files.add(REALM, text);
    Ok(())
}

/// The default client with the case's laid over it, and the run's encryption key when it asks to encrypt.
fn client(doc: &Document, i: &Inputs) -> Map<String, Value> {
    let mapper = |name: &str, kind: &str, extra: Value| {
        let mut config = json!({
            "claim.name": name,
            "id.token.claim": "true",
            "access.token.claim": "true",
            "userinfo.token.claim": "true",
        });
        overlay(&mut config, &extra);
        json!({"name": name, "protocol": "openid-connect", "protocolMapper": kind, "config": config})
    };
    let mut client = json!({
        "clientId": client_id(doc),
        "enabled": true,
        "protocol": "openid-connect",
        "publicClient": false,
        "clientAuthenticatorType": "client-secret",
        "secret": client_secret(doc, i.secrets),
        "standardFlowEnabled": true,
        "directAccessGrantsEnabled": false,
        "redirectUris": ["${dashboards.url}/auth/openid/login"],
        "attributes": {},
        "protocolMappers": [
            mapper("groups", "oidc-group-membership-mapper", json!({"full.path": "false"})),
            mapper("roles", "oidc-usermodel-realm-role-mapper",
                   json!({"multivalued": "true", "jsonType.label": "String"})),
        ],
    });
    let mut over = Value::Object(doc.idp.keycloak.client.clone());
    // `secret: generated` means the harness's secret, as for authentik.
    if let Some(o) = over.as_object_mut() {
        o.remove("secret");
    }
    overlay(&mut client, &over);
    let Value::Object(mut client) = client else {
        unreachable!("the default client is a mapping")
    };
    let alg = client
        .get("attributes")
        .and_then(|a| a.get(ENCRYPTED_ALG))
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    if let (Some(alg), Some(Value::Object(attributes))) = (alg, client.get_mut("attributes")) {
        let mut jwk = KeyPair::new(i.certs.idp_encryption.clone()).jwk(&alg, "enc");
        if let Some(j) = jwk.as_object_mut() {
            // authentik's JWKS member; a client's JWK for Keycloak has none.
            j.remove("enc");
        }
        let keys = json!({"keys": [jwk]}).to_string();
        for (k, v) in [
            ("use.jwks.string", "true".to_owned()),
            ("use.jwks.url", "false".to_owned()),
            ("jwks.string", keys),
        ] {
            attributes
                .entry(k)
                .or_insert_with(|| Value::String(v.clone()));
        }
    }
    client
}

/// The realm: its settings, roles, groups, users and the client.
fn realm(doc: &Document, i: &Inputs, client: &Value) -> Value {
    let mut roles: Vec<&str> = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    for u in &doc.idp.users {
        for r in &u.realm_roles {
            if !roles.contains(&r.as_str()) {
                roles.push(r);
            }
        }
        for g in &u.groups {
            if !groups.contains(&g.as_str()) {
                groups.push(g);
            }
        }
    }
    let users: Vec<Value> = doc
        .idp
        .users
        .iter()
        .map(|u| {
            let password = i
                .secrets
                .idp_password(doc, &u.username)
                .expect("the user is in idp.users");
            // Email and both names set, verified: Keycloak's default user profile asks for them otherwise, which
            // would put an "update your account" page into the login.
            json!({
                "username": u.username,
                "enabled": true,
                "email": u.email(),
                "emailVerified": true,
                "firstName": u.display_name(),
                "lastName": "SSO-Harness",
                "credentials": [{"type": "password", "value": password, "temporary": false}],
                "groups": u.groups.iter().map(|g| format!("/{g}")).collect::<Vec<_>>(),
                "realmRoles": u.realm_roles,
            })
        })
        .collect();
    let mut realm = json!({
        "realm": doc.idp.keycloak.realm,
        "enabled": true,
    });
    overlay(
        &mut realm,
        &Value::Object(doc.idp.keycloak.realm_settings.clone()),
    );
    overlay(
        &mut realm,
        &json!({
            "roles": {"realm": roles.iter().map(|r| json!({"name": r})).collect::<Vec<_>>()},
            "groups": groups.iter().map(|g| json!({"name": g})).collect::<Vec<_>>(),
            "users": users,
            "clients": [client],
        }),
    );
    realm
}

/// `top` laid over `base`: mappings merge key by key, anything else replaces.
fn overlay(base: &mut Value, top: &Value) {
    crate::overlay::overlay(base, top, &|_| true);
}
