//! The token's claims against what the plugin requires: audience, issuer, the subject and the roles claims.

use std::sync::LazyLock;

use regex::Regex;

use crate::diagnosis::Evidence;
use crate::diagnosis::evidence::{regex, scalar};
use crate::scenario::IdpProfile;

pub(in crate::diagnosis) static AUDIENCE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"JWT audience rejected: \[([^\]]*)\]"));

pub(in crate::diagnosis) fn audience_mismatch(e: &Evidence) -> Option<(String, String)> {
    let aud = e.opensearch_capture(&AUDIENCE)?;
    let required = e
        .openid_setting("required_audience")
        .map(|v| format!(" `{}`", scalar(v)))
        .unwrap_or_default();
    Some((
        format!(
            "The token's audience [{aud}] is not the required_audience{required}: the plugin rejects it (\"JWT \
             audience rejected\")."
        ),
        format!(
            "Set {} to the token's `aud` — authentik and Keycloak put the client ID there (`{aud}`) — or remove it.",
            e.where_in_config("required_audience")
        ),
    ))
}

pub(in crate::diagnosis) fn issuer_mismatch(e: &Evidence) -> Option<(String, String)> {
    if !e.opensearch_has("Invalid issuer") {
        return None;
    }
    let required = e.openid_setting("required_issuer").map(scalar);
    let slash = required
        .as_deref()
        .is_some_and(|r| r.contains("/application/o/") && !r.ends_with('/'));
    let summary = match &required {
        Some(r) if slash => format!(
            "The required_issuer `{r}` lacks the trailing slash of authentik's issuer \
             (`…/application/o/<slug>/`): the plugin compares them exactly and rejects the token (\"Invalid \
             issuer\")."
        ),
        Some(r) => format!(
            "The token's `iss` is not the required_issuer `{r}`: the plugin rejects the token (\"Invalid issuer\")."
        ),
        None => "The token's `iss` is not the issuer the plugin expects: it rejects the token (\"Invalid issuer\")."
            .to_owned(),
    };
    Some((
        summary,
        format!(
            "Set {} to the `issuer` of the IdP's discovery document exactly{}, or remove it.",
            e.where_in_config("required_issuer"),
            if slash {
                " (authentik's ends with `/`)"
            } else {
                ""
            }
        ),
    ))
}

pub(in crate::diagnosis) static SUBJECT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"Failed to get subject from JWT claims, check if subject_key '([^']*)' is correct")
});

pub(in crate::diagnosis) fn subject_claim_missing(e: &Evidence) -> Option<(String, String)> {
    let key = e.opensearch_capture(&SUBJECT_KEY);
    if key.is_none() && !e.opensearch_has("No subject found in JWT token") {
        return None;
    }
    let key = key.unwrap_or_else(|| {
        e.openid_setting("subject_key")
            .map(scalar)
            .unwrap_or_else(|| "sub".to_owned())
    });
    let scope = e.scope();
    let without_profile = !scope.split_whitespace().any(|s| s == "profile");
    let profile_claim = matches!(
        key.as_str(),
        "preferred_username" | "name" | "nickname" | "given_name"
    );
    let claims = e
        .token_claims()
        .map(|c| format!(" (the token's claims: {})", c.join(", ")))
        .unwrap_or_default();
    let (why, fix) = if without_profile && profile_claim {
        (
            format!(
                "; Dashboards asks for the scope `{scope}`, without `profile`, and `{key}` comes with {}",
                match e.idp {
                    IdpProfile::Keycloak => "Keycloak's `profile` client scope",
                    _ => "authentik's profile scope mapping",
                }
            ),
            format!(
                "Add `profile` to `opensearch_security.openid.scope` in opensearch_dashboards.yml, or set {} to a \
                 claim the token has (e.g. `email`, `sub`).",
                e.where_in_config("subject_key")
            ),
        )
    } else {
        (
            String::new(),
            format!(
                "Set {} to a claim the token has, or have the IdP add `{key}` ({}).",
                e.where_in_config("subject_key"),
                match e.idp {
                    IdpProfile::Keycloak => {
                        "a protocol mapper of the client, or of a client scope it has, with \"Add to ID token\" on"
                    }
                    _ => {
                        "a scope mapping the provider attaches and Dashboards' `opensearch_security.openid.scope` \
                         asks for"
                    }
                }
            ),
        )
    };
    Some((
        format!(
            "The token has no `{key}` claim (the plugin's subject_key), so the plugin finds no user name and \
             answers 401 (\"No subject found in JWT token\"){why}{claims}."
        ),
        fix,
    ))
}

pub(in crate::diagnosis) static ROLES_KEY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"Failed to get roles from JWT claims with roles_key '([^']*)'"));

pub(in crate::diagnosis) fn roles_claim_missing(e: &Evidence) -> Option<(String, String)> {
    let key = e.opensearch_capture(&ROLES_KEY)?;
    let claims = e.token_claims().unwrap_or_default();
    let has = |c: &str| claims.iter().any(|x| x == c);
    let scope = e.scope();
    let without_profile = !scope.split_whitespace().any(|s| s == "profile");
    let (why, fix) = if e.idp == IdpProfile::Keycloak {
        keycloak_roles_fix(e, &key)
    } else if key == "roles" && has("groups") {
        (
            "; authentik puts the user's groups in `groups`, and `roles` only with its entitlements scope \
             mapping"
                .to_owned(),
            format!(
                "Set {} to `groups` (and map the group names in roles_mapping.yml's backend_roles), or attach \
                 authentik's entitlements scope mapping to the provider and add `entitlements` to \
                 `opensearch_security.openid.scope` in opensearch_dashboards.yml.",
                e.where_in_config("roles_key")
            ),
        )
    } else if key == "roles" {
        (
            "; authentik fills `roles` only through its entitlements scope mapping, when the scope asks for \
             `entitlements`"
                .to_owned(),
            format!(
                "Attach authentik's entitlements scope mapping to the provider and add `entitlements` to \
                 `opensearch_security.openid.scope` in opensearch_dashboards.yml, or set {} to `groups`.",
                e.where_in_config("roles_key")
            ),
        )
    } else if key == "groups" && without_profile {
        (
            format!(
                "; Dashboards asks for the scope `{scope}`, without `profile`, and `groups` comes with authentik's \
                 profile scope mapping"
            ),
            "Add `profile` to `opensearch_security.openid.scope` in opensearch_dashboards.yml."
                .to_owned(),
        )
    } else {
        (
            String::new(),
            format!(
                "Set {} to the claim that carries the user's roles or groups, or have the IdP add `{key}` to the \
                 token.",
                e.where_in_config("roles_key")
            ),
        )
    };
    let have = if claims.is_empty() {
        String::new()
    } else {
        format!(" (the token's claims: {})", claims.join(", "))
    };
    Some((
        format!(
            "The token has no `{key}` claim (the plugin's roles_key), so the user gets no backend roles and no \
             role mapping applies{why}{have}."
        ),
        fix,
    ))
}

/// Keycloak's side of a missing roles claim: its client's protocol mappers put realm roles and groups in the token,
/// and leave the claim out for a user who has none (measured on 26.7.3: `keycloak-jwe`'s carol, with no realm role
/// and no group, gets neither `roles` nor `groups` although the client has both mappers).
fn keycloak_roles_fix(e: &Evidence, key: &str) -> (String, String) {
    let (mapper, what, user) = match key {
        "roles" => (
            "`oidc-usermodel-realm-role-mapper` (User Realm Role) with `claim.name: roles`, multivalued",
            "realm roles",
            "give the user realm roles (`idp.users[].realm_roles`)",
        ),
        "groups" => (
            "`oidc-group-membership-mapper` (Group Membership) with `claim.name: groups`, `full.path: false`",
            "groups",
            "put the user in a group (`idp.users[].groups`)",
        ),
        _ => {
            return (
                String::new(),
                format!(
                    "Set {} to `roles` or `groups` (the claims Keycloak's realm-role and group-membership mappers \
                     fill), or add a protocol mapper to the client that puts `{key}` in the ID token.",
                    e.where_in_config("roles_key")
                ),
            );
        }
    };
    (
        format!(
            "; Keycloak puts the user's {what} in `{key}` only through a protocol mapper of the client with \
             \"Add to ID token\" on, and leaves the claim out when the user has none"
        ),
        format!(
            "In Keycloak, give the client a protocol mapper {mapper} and \"Add to ID token\" \
             (`id.token.claim: true`), and {user}; or set {} to the claim the token carries the user's roles in.",
            e.where_in_config("roles_key")
        ),
    )
}
