//! The security plugin's files and the IdP: config.yml's OpenID settings (the harness's IdP, client and CA), the
//! provider's slug, users for the posted mappings, roles the mappings name and nothing defines.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

use super::emit::Out;
use super::files::{Kind, Posted};
use super::rebuild::{Action, shown, walk};
use crate::scenario::source::escape_token;

/// A PEM block that cannot be whole: elided lines (`....`, `…`) or no END line.
pub(super) fn truncated_pem(s: &str) -> bool {
    s.contains("...") || s.contains('…') || (s.contains("-----BEGIN") && !s.contains("-----END"))
}

/// The action for a setting of the OpenID authenticator's `config` in config.yml.
pub(super) fn openid_setting(key: &str, v: &Value) -> Action {
    let was = |what: &str| format!("was {}: {what}", shown(v));
    match key {
        "openid_connect_url" => {
            Action::Replace(json!("${idp.discovery_url}"), was("the harness's IdP"))
        }
        "required_issuer" => {
            Action::Replace(json!("${idp.issuer}"), was("the harness's IdP's issuer"))
        }
        "required_audience" => Action::Replace(
            json!("${idp.client_id}"),
            was("the harness's client id (authentik's audience)"),
        ),
        k if k.ends_with("pemtrustedcas_filepath") => Action::Replace(
            json!("${tls.ca_file}"),
            was("the run's CA, as OpenSearch reads it"),
        ),
        k if k.ends_with("pemtrustedcas_content") => {
            let truncated = v.as_str().is_some_and(truncated_pem);
            Action::Replace(
                json!("${tls.ca_pem}"),
                format!(
                    "was a PEM block{}: the run's CA",
                    if truncated {
                        " (truncated as posted)"
                    } else {
                        ""
                    }
                ),
            )
        }
        "client_secret" => Action::Replace(
            json!("${idp.client_secret}"),
            was("the harness's client secret"),
        ),
        _ => Action::Keep,
    }
}

/// The keys above a posted part of config.yml: users often paste only from `authc:` (or `dynamic:`), and the
/// plugin reads those under `config.dynamic`. Empty for a whole file (or anything else).
pub(super) fn config_fragment_prefix(value: &Value) -> &'static [&'static str] {
    // The keys of `config.dynamic` (the plugin's ConfigV7.Dynamic).
    const DYNAMIC: &[&str] = &[
        "authc",
        "authz",
        "http",
        "kibana",
        "auth_failure_listeners",
        "do_not_fail_on_forbidden",
        "do_not_fail_on_forbidden_empty",
        "multi_rolespec_enabled",
        "hosts_resolver_mode",
        "filtered_alias_mode",
        "disable_rest_auth",
        "disable_intertransport_auth",
        "respect_request_indices_options",
        "on_behalf_of",
    ];
    let Some(m) = value.as_object().filter(|m| !m.is_empty()) else {
        return &[];
    };
    let keys: Vec<&str> = m.keys().map(|k| k.trim()).collect();
    if keys == ["dynamic"] {
        &["config"]
    } else if keys.iter().all(|k| DYNAMIC.contains(k)) {
        &["config", "dynamic"]
    } else {
        &[]
    }
}

/// A basic domain for Dashboards' own user, where the posted config.yml's `authc` has none: the harness's
/// Dashboards logs in as `kibanaserver` over HTTP basic (the report's Dashboards was up, so it got in some way — a
/// client certificate, or a part of the file not posted). It goes last (`order` above every posted one) with
/// `challenge: false`, so it answers only what no posted domain does.
pub(super) fn add_basic_domain(config: &mut Value, p: &Posted, out_ptr: &str, out: &mut Out) {
    let Some(authc) = config
        .pointer_mut("/config/dynamic/authc")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let is_basic = |d: &Value| {
        d.pointer("/http_authenticator/type")
            .and_then(Value::as_str)
            == Some("basic")
    };
    if authc.is_empty() || authc.values().any(is_basic) {
        return;
    }
    let order = authc
        .values()
        .filter_map(|d| d.get("order").and_then(Value::as_i64))
        .max()
        .map_or(0, |o| o + 1);
    let name = "basic_internal_auth_domain";
    authc.insert(
        name.to_owned(),
        json!({
            "http_enabled": true,
            "transport_enabled": true,
            "order": order,
            "http_authenticator": { "type": "basic", "challenge": false },
            "authentication_backend": { "type": "internal" }
        }),
    );
    out.comment(
        &format!("{out_ptr}/config/dynamic/authc/{name}"),
        &p.at("/config/dynamic/authc"),
        "added, last: the posted authc has no basic domain, and the harness's Dashboards logs in as kibanaserver \
         over HTTP basic (the report's Dashboards was up: it got in another way, or through a part not posted)",
    );
}

/// The application slug of an authentik discovery URL in `p` (with where it was).
pub(super) fn slug_of(p: &Posted) -> Option<(String, String)> {
    static SLUG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/application/o/([^/]+)/").expect("regex"));
    let mut found = None;
    walk(&p.value, "", &mut |ptr, v| {
        if found.is_none()
            && let Some(s) = v.as_str()
            && s.contains("/.well-known/openid-configuration")
            && let Some(c) = SLUG.captures(s)
        {
            found = Some((c[1].to_owned(), p.at(ptr)));
        }
    });
    found
}

/// The IdP's users: alice in a group the posted `all_access` mapping names (the default `admins` when it does).
pub(super) fn users_for(rm: &mut Map<String, Value>, idp: &mut Value, out: &mut Out) {
    let roles: Vec<String> = rm
        .get("all_access")
        .and_then(|m| m.get("backend_roles"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(first) = roles.first() else {
        return;
    };
    if roles.iter().any(|r| r == "admins") {
        return;
    }
    idp["users"] = json!([
        { "username": "alice", "groups": [first] },
        { "username": "bob" }
    ]);
    out.comments.insert(
        "/idp/users".into(),
        format!(
            "alice is in group `{first}`, the backend role the posted all_access mapping names (the report's \
             user was meant to log in); bob in none"
        ),
    );
}

/// The security plugin's own (static) roles: a mapping may name them without roles.yml defining them.
pub(super) fn is_static_role(name: &str) -> bool {
    const STATIC: &[&str] = &[
        "all_access",
        "kibana_server",
        "kibana_user",
        "readall",
        "readall_and_monitor",
        "own_index",
        "manage_snapshots",
        "logstash",
        "security_manager",
        "security_rest_api_access",
    ];
    STATIC.contains(&name)
        || ["_full_access", "_read_access", "_ack_alerts", "_access"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// A mapping of a role neither static nor in the posted roles.yml: the security REST API the harness applies the
/// files with refuses it ("role 'x' not found"; securityadmin.sh, which users run, does not check), so the role
/// is added, empty.
pub(super) fn roles_for_mappings(
    security: &mut Map<String, Value>,
    posted: &[Posted],
    out: &mut Out,
) {
    let Some(Value::Object(rm)) = security.get("roles_mapping") else {
        return;
    };
    let defined: Vec<String> = security
        .get("roles")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let missing: Vec<String> = rm
        .keys()
        .filter(|k| *k != "_meta" && !is_static_role(k) && !defined.contains(k))
        .cloned()
        .collect();
    if missing.is_empty() {
        return;
    }
    let at = posted
        .iter()
        .find(|p| p.kind == Kind::RolesMapping)
        .map(|p| (p.file.path.clone(), p));
    let roles = security
        .entry("roles")
        .or_insert_with(|| json!({ "_meta": { "type": "roles", "config_version": 2 } }));
    for name in missing {
        roles[name.as_str()] = json!({ "cluster_permissions": [] });
        let place = at
            .as_ref()
            .map(|(_, p)| p.at(&format!("/{}", escape_token(&name))))
            .unwrap_or_default();
        out.comment(
            &format!("/opensearch/security/roles/{}", escape_token(&name)),
            &place,
            "added, empty: roles_mapping.yml maps it and no posted roles.yml defines it (the harness applies the \
             files through the security REST API, which refuses a mapping of a role that does not exist)",
        );
    }
}
#[cfg(test)]
mod tests {
    use super::super::{Idp, Imported, import};
    use crate::scenario::Diagnostic;

    fn one(name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
        import(&[(name.to_owned(), text.to_owned())], Idp::Authentik)
    }

    #[test]
    fn hashes_become_generated_passwords() {
        let i = one(
            "internal_users.yml",
            "kibanaserver:\n  hash: \"$2y$12$abcdefghijklmnopqrstuv\"\n  reserved: true\n",
        )
        .expect("imports");
        assert!(
            i.scenario
                .contains("password: \"generated\"  # was the hash"),
            "{}",
            i.scenario
        );
        assert!(!i.scenario.contains("hash:"), "{}", i.scenario);
    }

    #[test]
    fn a_part_of_config_yml_is_placed_under_config_dynamic_and_mapped_there() {
        // Pasted from `authc:` on, indented as it was in the file.
        let text = "  authc:\n    sso:\n      http_authenticator:\n        type: openid\n        config:\n          \
                    subject_key: email\n          openid_connect_url: https://idp.example/<id>/x\n";
        let i = one("config.yml", text).expect("imports");
        let s = &i.scenario;
        assert!(
            s.contains("    config:\n      config:  # the posted file is a part of config.yml (it starts at `authc:`): placed under `config.dynamic`"),
            "{s}"
        );
        assert!(s.contains("(config.yml:1:3)"), "{s}");
        assert!(
            s.contains("        dynamic:\n          authc:\n            sso:"),
            "{s}"
        );
        assert!(
            s.contains("openid_connect_url: \"${idp.discovery_url}\"  # was"),
            "{s}"
        );
        let whole = one("config.yml", "config:\n  dynamic:\n    authc: {}\n").expect("imports");
        assert!(!whole.scenario.contains("a part of"), "{}", whole.scenario);
        let dynamic = one(
            "config.yml",
            "dynamic:\n  http:\n    anonymous_auth_enabled: false\n",
        )
        .expect("imports");
        assert!(
            dynamic.scenario.contains("placed under `config`"),
            "{}",
            dynamic.scenario
        );
    }

    #[test]
    fn a_basic_domain_is_added_last_only_where_the_posted_authc_has_none() {
        let text = "config:\n  dynamic:\n    authc:\n      oidc:\n        order: 4\n        http_authenticator:\n          \
                    type: openid\n      cert:\n        order: 2\n        http_authenticator:\n          type: clientcert\n";
        let s = one("config.yml", text).expect("imports").scenario;
        assert!(
            s.contains(
                "basic_internal_auth_domain:  # added, last: the posted authc has no basic domain"
            ),
            "{s}"
        );
        assert!(s.contains("order: 5\n"), "{s}");
        let with_basic = "config:\n  dynamic:\n    authc:\n      b:\n        http_authenticator:\n          type: basic\n";
        let s = one("config.yml", with_basic).expect("imports").scenario;
        assert!(!s.contains("added, last"), "{s}");
    }
}
