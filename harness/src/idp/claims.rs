//! What goes into authentik's tokens and userinfo: granted scopes, scope-mapping claims, `sub`, and the claim
//! order of the id_token and access token. Pure.
//!
//! authentik `version/2025.12.4`: `providers/oauth2/id_token.py`, `models.py`, `constants.py`,
//! `blueprints/system/providers-oauth2.yaml` (the scope mapping expressions).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::scenario::{ScopeMapping, SubMode, wire_name};

/// The `acr` authentik puts in every token.
pub const ACR: &str = "goauthentik.io/providers/oauth2/default";

/// A user of the embedded IdP.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct User {
    /// Database primary key (1, 2, … in scenario order).
    pub pk: u64,
    pub uuid: String,
    pub username: String,
    pub name: String,
    pub email: String,
    pub groups: Vec<String>,
    pub entitlements: Vec<String>,
    pub password: String,
}

/// The scopes a request gets: requested ∩ configured, all configured when none are requested, ordered by scope
/// name (the order authentik evaluates mappings in).
pub fn granted(requested: &str, configured: &[ScopeMapping]) -> Vec<ScopeMapping> {
    let asked: Vec<&str> = requested.split_whitespace().collect();
    let mut out: Vec<ScopeMapping> = configured
        .iter()
        .copied()
        .filter(|m| asked.is_empty() || asked.contains(&wire_name(m).as_str()))
        .collect();
    out.sort_by_key(wire_name);
    out.dedup();
    out
}

/// The `scope` string of a token response and access token. authentik joins a Python set, so its order is the
/// set's, not the request's nor the names'; measured on 2025.12.4: `openid email profile`, also for a request of
/// `profile openid email`. That order here, then any other scope by name. (A set's order of strings follows their
/// hashes, which Python seeds per process: a client must not rely on it.)
pub fn scope_string(scopes: &[ScopeMapping]) -> String {
    const MEASURED: [&str; 3] = ["openid", "email", "profile"];
    let mut names: Vec<String> = scopes.iter().map(wire_name).collect();
    names.sort_by_key(|n| {
        (
            MEASURED
                .iter()
                .position(|m| m == n)
                .unwrap_or(MEASURED.len()),
            n.clone(),
        )
    });
    names.join(" ")
}

/// The claims of the scope mappings, merged in order (later mappings overwrite earlier keys).
pub fn scope_claims(user: &User, scopes: &[ScopeMapping]) -> Map<String, Value> {
    let mut out = Map::new();
    for scope in scopes {
        let claims = match scope {
            ScopeMapping::Openid | ScopeMapping::OfflineAccess => json!({}),
            // `email_verified` is False from 2025.10 on.
            ScopeMapping::Email => json!({"email": user.email, "email_verified": false}),
            ScopeMapping::Profile => json!({
                "name": user.name,
                "given_name": user.name,
                "preferred_username": user.username,
                "nickname": user.username,
                "groups": user.groups,
            }),
            ScopeMapping::Entitlements => {
                json!({"entitlements": user.entitlements, "roles": user.entitlements})
            }
        };
        if let Value::Object(m) = claims {
            out.extend(m);
        }
    }
    out
}

/// The `sub` claim for a user under a `sub_mode`.
pub fn sub(user: &User, mode: SubMode, install_id: &str) -> String {
    let hashed = || hex(&Sha256::digest(format!("{}-{install_id}", user.pk)));
    match mode {
        SubMode::HashedUserId => hashed(),
        SubMode::UserId => user.pk.to_string(),
        SubMode::UserUuid => user.uuid.clone(),
        SubMode::UserUsername => user.username.clone(),
        SubMode::UserEmail => user.email.clone(),
        // `attributes["upn"]`, which scenario users do not have: authentik falls back to the hashed id.
        SubMode::UserUpn => hashed(),
    }
}

/// What a login grants: the parts of the id_token that come from the authorization request and the session.
#[derive(Clone, Debug)]
pub struct Grant {
    pub scopes: Vec<ScopeMapping>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    /// sha256 hex of the session key.
    pub sid: String,
}

/// Everything the id_token's claims depend on besides the user and the grant.
pub struct TokenContext<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub sub_mode: SubMode,
    pub install_id: &'a str,
    pub include_claims_in_id_token: bool,
    pub now: i64,
    pub validity_seconds: i64,
}

/// The id_token claims, in authentik's order: iss, sub, aud, exp, iat, auth_time, acr, amr, nonce, sid, then the
/// scope claims (which may overwrite earlier keys in place).
pub fn id_token(ctx: &TokenContext, user: &User, grant: &Grant) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), json!(ctx.issuer));
    c.insert("sub".into(), json!(sub(user, ctx.sub_mode, ctx.install_id)));
    c.insert("aud".into(), json!(ctx.client_id));
    c.insert("exp".into(), json!(ctx.now + ctx.validity_seconds));
    c.insert("iat".into(), json!(ctx.now));
    c.insert("auth_time".into(), json!(grant.auth_time));
    c.insert("acr".into(), json!(ACR));
    c.insert("amr".into(), json!(["pwd"]));
    if let Some(n) = &grant.nonce {
        c.insert("nonce".into(), json!(n));
    }
    c.insert("sid".into(), json!(grant.sid));
    if ctx.include_claims_in_id_token {
        c.extend(scope_claims(user, &grant.scopes));
    }
    c
}

/// The access token's claims: the id_token's, then `azp`, `uid` (40 random characters) and `scope`.
pub fn access_token(
    id_claims: &Map<String, Value>,
    client_id: &str,
    uid: &str,
    scopes: &[ScopeMapping],
) -> Map<String, Value> {
    let mut c = id_claims.clone();
    c.insert("azp".into(), json!(client_id));
    c.insert("uid".into(), json!(uid));
    c.entry("scope").or_insert(json!(scope_string(scopes)));
    c
}

/// Userinfo: `sub`, then the claims of the token's scopes (never encrypted).
pub fn userinfo(
    sub: &str,
    user: &User,
    scopes: &[ScopeMapping],
    nonce: Option<&str>,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("sub".into(), json!(sub));
    c.extend(scope_claims(user, scopes));
    if let Some(n) = nonce {
        c.insert("nonce".into(), json!(n));
    }
    c
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScopeMapping::*;

    fn alice() -> User {
        User {
            pk: 1,
            uuid: "u".into(),
            username: "alice".into(),
            name: "Alice".into(),
            email: "alice@example.com".into(),
            groups: vec!["admins".into()],
            entitlements: vec![],
            password: "p".into(),
        }
    }

    #[test]
    fn requested_scopes_are_intersected_with_the_configured_ones_and_ordered_by_name() {
        let configured = [Openid, Email, Profile];
        assert_eq!(
            granted("openid profile email address phone", &configured),
            [Email, Openid, Profile]
        );
        assert_eq!(
            granted("openid email entitlements", &configured),
            [Email, Openid]
        );
        assert_eq!(granted("", &configured), [Email, Openid, Profile]);
    }

    #[test]
    fn groups_come_from_profile_and_roles_only_from_entitlements() {
        let c = scope_claims(&alice(), &[Email, Openid, Profile]);
        assert_eq!(c["groups"], json!(["admins"]));
        assert_eq!(c["email_verified"], json!(false));
        assert!(!c.contains_key("roles"));
        let c = scope_claims(
            &User {
                entitlements: vec!["x".into()],
                ..alice()
            },
            &[Entitlements],
        );
        assert_eq!(c["roles"], json!(["x"]));
    }

    #[test]
    fn the_hashed_sub_is_sha256_of_pk_and_install_id() {
        // sha256("1-install") computed independently.
        assert_eq!(
            sub(&alice(), SubMode::HashedUserId, "install"),
            hex(&Sha256::digest(b"1-install"))
        );
        assert_eq!(sub(&alice(), SubMode::UserUsername, "i"), "alice");
    }

    #[test]
    fn id_token_claims_come_in_authentiks_order_without_at_hash() {
        let ctx = TokenContext {
            issuer: "https://idp/application/o/os/",
            client_id: "c",
            sub_mode: SubMode::UserUsername,
            install_id: "i",
            include_claims_in_id_token: true,
            now: 1000,
            validity_seconds: 3600,
        };
        let grant = Grant {
            scopes: vec![Openid, Profile],
            nonce: None,
            auth_time: 990,
            sid: "s".into(),
        };
        let c = id_token(&ctx, &alice(), &grant);
        let keys: Vec<&str> = c.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "amr",
                "sid",
                "name",
                "given_name",
                "preferred_username",
                "nickname",
                "groups"
            ]
        );
        assert_eq!(c["aud"], json!("c"));
        assert_eq!(c["exp"], json!(4600));
        let a = access_token(&c, "c", "uid", &grant.scopes);
        assert_eq!(a["azp"], json!("c"));
        assert_eq!(a["scope"], json!("openid profile"));
    }

    #[test]
    fn the_scope_string_is_in_the_order_authentik_was_measured_to_send() {
        assert_eq!(
            scope_string(&granted("profile openid email", &[Openid, Email, Profile])),
            "openid email profile"
        );
        assert_eq!(
            scope_string(&[Email, OfflineAccess, Openid, Profile]),
            "openid email profile offline_access"
        );
    }
}
