//! What the rules read: a case's observation and the configuration it ran with, and the readers of that
//! configuration the rules (and the import) share.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::run::observe::Observation;
use crate::scenario::{Document, IdpCertificate, IdpProfile, TokenFormat};

/// What the rules read: a case's observation and the configuration it ran with.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    pub observed: &'a Observation,
    pub idp_certificate: IdpCertificate,
    /// The IdP the case ran on (`stack.idp`): a fix names that IdP's setting.
    pub idp: IdpProfile,
    /// The OpenID authenticator of `config.yml`: its auth domain's name and its `http_authenticator.config`.
    pub openid: Option<(&'a str, &'a Map<String, Value>)>,
    /// `opensearch_dashboards.yml` as a document.
    pub dashboards: &'a Map<String, Value>,
    /// `config.yml` as a document (its auth domains, for the rules about their order).
    pub config: &'a Map<String, Value>,
    /// The case's `opensearch.settings`: what it lays over the harness's own opensearch.yml.
    pub opensearch_settings: &'a Map<String, Value>,
}

impl<'a> Evidence<'a> {
    /// The evidence of a case run from `document` (its defaults laid under: what was rendered, placeholders aside).
    pub fn of(observed: &'a Observation, document: &'a Document) -> Evidence<'a> {
        Evidence {
            observed,
            idp_certificate: document.stack.idp_certificate,
            idp: document.stack.idp,
            openid: openid_authenticator(&document.opensearch.security.config),
            dashboards: &document.dashboards.config,
            config: &document.opensearch.security.config,
            opensearch_settings: &document.opensearch.settings,
        }
    }

    pub(super) fn opensearch_has(&self, needle: &str) -> bool {
        self.observed
            .opensearch_log
            .iter()
            .any(|l| l.contains(needle))
    }

    /// The first capture of `re` in the plugin's log.
    pub(super) fn opensearch_capture(&self, re: &Regex) -> Option<String> {
        self.observed
            .opensearch_log
            .iter()
            .find_map(|l| re.captures(l).map(|c| c[1].to_owned()))
    }

    pub(super) fn openid_setting(&self, key: &str) -> Option<&'a Value> {
        self.openid.and_then(|(_, c)| c.get(key))
    }

    pub(super) fn domain(&self) -> &'a str {
        self.openid.map_or("openid_auth_domain", |(d, _)| d)
    }

    /// Where a `config.yml` setting of the OpenID authenticator lives, in words.
    pub(super) fn where_in_config(&self, key: &str) -> String {
        format!(
            "`config.dynamic.authc.{}.http_authenticator.config.{key}` in config.yml",
            self.domain()
        )
    }

    /// An `opensearch.yml` setting the case sets (flat or nested, as the file may write it).
    pub(super) fn opensearch_setting(&self, key: &str) -> Option<&'a Value> {
        lookup(self.opensearch_settings, key)
    }

    pub(super) fn dashboards_setting(&self, key: &str) -> Option<&'a Value> {
        lookup(self.dashboards, key)
    }

    /// The scope Dashboards asks for (its default when unset).
    pub(super) fn scope(&self) -> String {
        self.dashboards_setting("opensearch_security.openid.scope")
            .and_then(Value::as_str)
            .unwrap_or("openid profile email")
            .to_owned()
    }

    pub(super) fn token_claims(&self) -> Option<&'a [String]> {
        self.observed
            .token
            .as_ref()
            .filter(|t| t.format == TokenFormat::Jws && !t.claims.is_empty())
            .map(|t| &t.claims[..])
    }
}

/// The OpenID authenticator of a `config.yml` document: the first auth domain whose `http_authenticator.type` is
/// `openid`, and its `config`.
pub fn openid_authenticator(config: &Map<String, Value>) -> Option<(&str, &Map<String, Value>)> {
    let authc = config
        .get("config")?
        .get("dynamic")?
        .get("authc")?
        .as_object()?;
    authc.iter().find_map(|(name, domain)| {
        let auth = domain.get("http_authenticator")?;
        (auth.get("type")?.as_str()? == "openid").then(|| {
            static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
            (
                name.as_str(),
                auth.get("config")
                    .and_then(Value::as_object)
                    .unwrap_or(&EMPTY),
            )
        })
    })
}

/// A dotted `opensearch_dashboards.yml` key, written flat (`a.b.c: …`) or nested (`a: {b: {c: …}}`) or anything
/// between, as Dashboards reads it.
pub fn lookup<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(v) = map.get(key) {
        return Some(v);
    }
    key.match_indices('.').find_map(|(i, _)| {
        map.get(&key[..i])
            .and_then(Value::as_object)
            .and_then(|m| lookup(m, &key[i + 1..]))
    })
}

pub(super) fn regex(re: &str) -> Regex {
    Regex::new(re).expect("regex")
}

pub(super) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    #[test]
    fn lookup_reads_flat_nested_and_mixed_keys() {
        let flat = map(json!({"opensearch_security.openid.scope": "a"}));
        let nested = map(json!({"opensearch_security": {"openid": {"scope": "b"}}}));
        let mixed = map(json!({"opensearch_security": {"openid.scope": "c"}}));
        for (m, want) in [(flat, "a"), (nested, "b"), (mixed, "c")] {
            assert_eq!(
                lookup(&m, "opensearch_security.openid.scope"),
                Some(&json!(want))
            );
        }
        assert_eq!(lookup(&map(json!({})), "a.b"), None);
    }

    #[test]
    fn the_openid_authenticator_is_found_by_its_type() {
        let config = map(json!({"config": {"dynamic": {"authc": {
            "basic": {"http_authenticator": {"type": "basic"}},
            "sso": {"http_authenticator": {"type": "openid", "config": {"roles_key": "groups"}}}
        }}}}));
        let (name, c) = openid_authenticator(&config).expect("found");
        assert_eq!(name, "sso");
        assert_eq!(c.get("roles_key"), Some(&json!("groups")));
    }
}
