//! The scenario's `idp` section for the IdP the user names (`--idp`): what the posted files can say of it (the
//! provider's slug or the realm, from the discovery URL they name), and a comment for what they cannot.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

use super::emit::Out;
use super::files::Posted;
use super::security::slug_of;

/// authentik's section: the provider, its slug from the discovery URL the files name.
pub(super) fn authentik_section(posted: &[Posted], out: &mut Out) -> Value {
    let mut provider = Map::new();
    if let Some(slug) = posted.iter().find_map(slug_of) {
        provider.insert("slug".into(), json!(slug.0));
        out.comment(
            "/idp/provider/slug",
            &slug.1,
            "from the discovery URL the files name",
        );
    }
    provider.insert("encryption_key".into(), json!(false));
    out.comments.insert(
        "/idp/provider/encryption_key".into(),
        "the posted files cannot say: true if the report's provider has an Encryption Key (authentik then \
         encrypts every token)"
            .into(),
    );
    json!({ "provider": provider })
}

/// Keycloak's section: the realm from a Keycloak discovery URL the files name (`/realms/<realm>/`), and a client
/// with no attributes (the posted files cannot say whether it encrypts its ID tokens).
pub(super) fn keycloak_section(posted: &[Posted], out: &mut Out) -> Value {
    static REALM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/realms/([^/]+)/").expect("regex"));
    let mut keycloak = Map::new();
    let found = posted.iter().find_map(|p| {
        REALM
            .captures(&p.file.text)
            .map(|c| (c[1].to_owned(), p.file.path.clone()))
    });
    if let Some((realm, path)) = found {
        keycloak.insert("realm".into(), json!(realm));
        out.comments.insert(
            "/idp/keycloak/realm".into(),
            format!("from the discovery URL in {path}"),
        );
    }
    keycloak.insert("client".into(), json!({ "attributes": {} }));
    out.comments.insert(
        "/idp/keycloak/client/attributes".into(),
        "the posted files cannot say: add `id.token.encrypted.response.alg` (and `.enc`) if the report's \
         client encrypts its ID tokens (Keycloak then sends a JWE)"
            .into(),
    );
    json!({ "keycloak": keycloak })
}
