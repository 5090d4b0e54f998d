//! What going from one case to the next restarts: the one place that decides it. Both backends execute the plan;
//! `e2e` orders cases by the same keys, so that cases needing the same running components run next to each other.
//! Pure: a case's keys come from its document alone (the rest of what a component's files depend on — topology,
//! certificates, secrets — is the same for every case of a run).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::opensearch::settings;
use crate::scenario::{Case, IdpCertificate};

/// What each component must be restarted for, as one case determines it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Keys {
    pub opensearch: OpenSearchKey,
    /// The Dashboards (stand-in's or real) configuration and the CAs it trusts by default.
    pub dashboards: String,
    /// The IdP's configuration: profile, provider, users.
    pub idp: String,
}

/// What OpenSearch boots with that no REST call can change: the trust store of its JVM and the static settings of
/// its `opensearch.yml`. Its loggers, dynamic settings and security configuration go over the REST API
/// (`opensearch::apply_loggers`, `apply_settings`, `apply_security`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OpenSearchKey {
    /// `private` sorts after `public`: the one restart a run cannot avoid comes once, at the end.
    pub private_idp_certificate: bool,
    /// The case's static `opensearch.settings` (`opensearch::settings::kind`; a key the table does not know is
    /// static), key → value as JSON text. None sorts first: cases on the harness's own opensearch.yml run
    /// together.
    pub settings: BTreeMap<String, String>,
}

impl OpenSearchKey {
    fn of(case: &Case) -> OpenSearchKey {
        let d = &case.document;
        let (fixed, _dynamic) = settings::split(&d.opensearch.settings);
        let settings = fixed
            .into_iter()
            .map(|(key, value)| {
                let mut text = value.to_string();
                // A placeholder's value may come from the case's provider or internal users (the rest is the
                // run's): a value that names one is the same setting only where those are the same too.
                if text.contains("${") {
                    text = json!([value, d.idp.provider, d.opensearch.security.internal_users])
                        .to_string();
                }
                (key, text)
            })
            .collect();
        OpenSearchKey {
            private_idp_certificate: d.stack.idp_certificate == IdpCertificate::Private,
            settings,
        }
    }

    /// Why a node serving `self` must restart for `next` (`None`: it need not).
    fn restart_for(&self, next: &OpenSearchKey) -> Option<String> {
        if self.private_idp_certificate != next.private_idp_certificate {
            return Some(trust_store(next).to_owned());
        }
        let changed: Vec<&str> = self
            .settings
            .iter()
            .filter(|(k, v)| next.settings.get(*k) != Some(v))
            .chain(
                next.settings
                    .iter()
                    .filter(|(k, _)| !self.settings.contains_key(*k)),
            )
            .map(|(k, _)| k.as_str())
            .collect();
        (!changed.is_empty()).then(|| format!("its opensearch.yml: {}", changed.join(", ")))
    }
}

fn trust_store(key: &OpenSearchKey) -> &'static str {
    if key.private_idp_certificate {
        "its trust store: the IdP's certificate is private"
    } else {
        "its trust store: the IdP's certificate is public"
    }
}

impl Keys {
    pub fn of(case: &Case) -> Keys {
        let d = &case.document;
        let private = d.stack.idp_certificate == IdpCertificate::Private;
        Keys {
            opensearch: OpenSearchKey::of(case),
            // The stand-in trusts the run CA by default for a "public" IdP certificate: that is part of it too.
            dashboards: {
                let text = json!([private, d.dashboards]).to_string();
                // A placeholder's value may come from the case's IdP (`${idp.discovery_url}`: authentik's provider or
                // Keycloak's realm): the same yml is the same Dashboards only where those values are the same too.
                if text.contains("${") {
                    json!([private, d.dashboards, idp_placeholders(d)]).to_string()
                } else {
                    text
                }
            },
            idp: json!([d.stack.idp, d.idp]).to_string(),
        }
    }
}

/// What a case's `${idp.*}` placeholders stand for, from its document (`render::placeholder_values` — the rest of
/// their values is the run's): the IdP's kind, authentik's provider slug, issuer mode and client, Keycloak's realm
/// and client. Not the rest of the provider: a JWE switch changes no placeholder.
fn idp_placeholders(d: &crate::scenario::Document) -> serde_json::Value {
    let p = &d.idp.provider;
    let kc = &d.idp.keycloak;
    json!([
        d.stack.idp,
        p.slug,
        p.issuer_mode,
        p.client_id,
        p.client_secret,
        kc.realm,
        kc.client.get("clientId"),
        kc.client.get("secret"),
    ])
}

/// The keys of what the stack serves now; `None`: the component is not running (not started yet, stopped, or
/// its last start failed).
#[derive(Clone, Debug, Default)]
pub struct Serving {
    pub opensearch: Option<OpenSearchKey>,
    pub dashboards: Option<String>,
    pub idp: Option<String>,
}

impl Serving {
    /// What the stack serves once `plan` for `next` has been carried out.
    pub fn after(&mut self, next: &Keys) {
        *self = Serving {
            opensearch: Some(next.opensearch.clone()),
            dashboards: Some(next.dashboards.clone()),
            idp: Some(next.idp.clone()),
        };
    }
}

/// Which components to (re)start, each with why; `None`: it keeps running.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub opensearch: Option<String>,
    pub dashboards: Option<String>,
    pub idp: Option<String>,
}

impl Plan {
    /// What `next` restarts of what is `serving`. Dashboards follows a new OpenSearch: its start-up check (its own
    /// connection, as its own user, which decides whether it ever becomes ready) was made against the old node —
    /// and in containers it reaches the node by the old container's address. Both backends run this way: a verdict
    /// must not depend on whether the Dashboards of an earlier case happened to survive.
    pub fn between(serving: &Serving, next: &Keys) -> Plan {
        let why = |running: bool, same: bool, what: &str| match (running, same) {
            (false, _) => Some("not running".to_owned()),
            (true, false) => Some(what.to_owned()),
            (true, true) => None,
        };
        let opensearch = match &serving.opensearch {
            None => Some("not running".to_owned()),
            Some(now) => now.restart_for(&next.opensearch),
        };
        let mut dashboards = why(
            serving.dashboards.is_some(),
            serving.dashboards.as_ref() == Some(&next.dashboards),
            "its configuration",
        );
        if opensearch.is_some() {
            dashboards.get_or_insert_with(|| "a new OpenSearch".to_owned());
        }
        let idp = why(
            serving.idp.is_some(),
            serving.idp.as_ref() == Some(&next.idp),
            "its configuration",
        );
        Plan {
            opensearch,
            dashboards,
            idp,
        }
    }

    /// `component: why` for each restart (reports name them).
    pub fn restarts(&self) -> Vec<String> {
        [
            ("OpenSearch", &self.opensearch),
            ("Dashboards", &self.dashboards),
            ("IdP", &self.idp),
        ]
        .into_iter()
        .filter_map(|(c, why)| why.as_ref().map(|w| format!("{c}: {w}")))
        .collect()
    }
}

/// `cases` in the order that restarts least (stable: file order otherwise): OpenSearch's key first (so the
/// private-certificate cases, which need another trust store, run together at the end), then Dashboards', then
/// the IdP's.
pub fn order(cases: &mut [Case]) {
    cases.sort_by_cached_key(Keys::of);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(yaml: &str) -> Case {
        let file = crate::scenario::SourceFile {
            path: "t.yaml".into(),
            text: yaml.into(),
        };
        crate::scenario::load(&file).unwrap().cases.remove(0)
    }

    #[test]
    fn only_what_changed_restarts_and_a_stopped_component_starts() {
        let a = Keys::of(&case("expect: {login: success}"));
        let mut serving = Serving::default();
        let first = Plan::between(&serving, &a);
        assert_eq!(first.restarts().len(), 3, "{first:?}");
        serving.after(&a);
        assert_eq!(Plan::between(&serving, &a), Plan::default());

        let loggers = Keys::of(&case(
            "opensearch: {loggers: {org.opensearch.security: trace}}\nexpect: {login: success}",
        ));
        assert_eq!(
            Plan::between(&serving, &loggers),
            Plan::default(),
            "loggers are dynamic"
        );

        let other_dashboards = Keys::of(&case(
            "dashboards: {config: {opensearch_security.openid.scope: openid email}}\nexpect: {login: success}",
        ));
        let plan = Plan::between(&serving, &other_dashboards);
        assert_eq!(plan.restarts(), ["Dashboards: its configuration"]);

        // The same yml, whose discovery URL is another IdP's: the stand-in reads discovery once, at its start.
        let discovery = "dashboards: {config: {opensearch_security.openid.connect_url: '${idp.discovery_url}'}}";
        serving.after(&Keys::of(&case(&format!(
            "{discovery}\nexpect: {{login: success}}"
        ))));
        let keycloak = Keys::of(&case(&format!(
            "stack: {{idp: keycloak}}\n{discovery}\nexpect: {{login: success}}"
        )));
        assert_eq!(
            Plan::between(&serving, &keycloak).restarts(),
            ["Dashboards: its configuration", "IdP: its configuration"]
        );
        let jwe = Keys::of(&case(&format!(
            "idp: {{provider: {{encryption_key: true}}}}\n{discovery}\nexpect: {{login: success}}"
        )));
        assert_eq!(
            Plan::between(&serving, &jwe).restarts(),
            ["IdP: its configuration"],
            "the provider's encryption changes no placeholder"
        );
        serving.after(&a);

        let private = Keys::of(&case(
            "stack: {idp_certificate: private}\nexpect: {login: success}",
        ));
        let plan = Plan::between(&serving, &private);
        assert_eq!(
            plan.restarts(),
            [
                "OpenSearch: its trust store: the IdP's certificate is private",
                "Dashboards: its configuration",
            ],
            "the stand-in's default trust follows the certificate too"
        );
        serving.dashboards = None;
        let plan = Plan::between(&serving, &a);
        assert_eq!(plan.restarts(), ["Dashboards: not running"]);
        serving.after(&a);
        let plan = Plan::between(&serving, &private);
        assert_eq!(plan.opensearch.is_some(), plan.dashboards.is_some());
    }

    #[test]
    fn static_settings_restart_opensearch_and_dynamic_ones_do_not() {
        let a = Keys::of(&case("expect: {login: success}"));
        let mut serving = Serving::default();
        serving.after(&a);
        let with = |settings: &str| {
            Keys::of(&case(&format!(
                "opensearch: {{settings: {{{settings}}}}}\nexpect: {{login: success}}"
            )))
        };
        let dynamic = with("search.max_buckets: 20000, action.auto_create_index: false");
        assert_eq!(
            Plan::between(&serving, &dynamic),
            Plan::default(),
            "dynamic settings go through _cluster/settings"
        );
        let header = with("http.max_header_size: 16kb, search.max_buckets: 20000");
        assert_eq!(
            Plan::between(&serving, &header).restarts(),
            [
                "OpenSearch: its opensearch.yml: http.max_header_size",
                "Dashboards: a new OpenSearch"
            ]
        );
        serving.after(&header);
        assert_eq!(
            Plan::between(&serving, &with("http: {max_header_size: 16kb}")),
            Plan::default(),
            "the same static setting, nested, and no dynamic one: nothing to restart"
        );
        assert_eq!(
            Plan::between(&serving, &a).restarts(),
            [
                "OpenSearch: its opensearch.yml: http.max_header_size",
                "Dashboards: a new OpenSearch"
            ],
            "back to the harness's own opensearch.yml"
        );
        assert_eq!(
            Plan::between(&serving, &with("my.plugin.setting: x")).restarts(),
            [
                "OpenSearch: its opensearch.yml: http.max_header_size, my.plugin.setting",
                "Dashboards: a new OpenSearch"
            ],
            "a key the table does not know is static"
        );

        let mut cases = vec![
            case("stack: {idp_certificate: private}\nexpect: {login: success}"),
            case("opensearch: {settings: {http.max_header_size: 1kb}}\nexpect: {login: success}"),
            case("opensearch: {settings: {search.max_buckets: 1}}\nexpect: {login: success}"),
        ];
        order(&mut cases);
        let keys: Vec<OpenSearchKey> = cases.iter().map(|c| Keys::of(c).opensearch).collect();
        assert!(keys[0].settings.is_empty() && !keys[0].private_idp_certificate);
        assert!(keys[1].settings.contains_key("http.max_header_size"));
        assert!(keys[2].private_idp_certificate);
    }

    #[test]
    fn the_order_runs_cases_that_share_components_together_and_private_certificates_last() {
        let mut cases = vec![
            case("stack: {idp_certificate: private}\nexpect: {login: success}"),
            case(
                "dashboards: {config: {opensearch_security.openid.scope: openid email}}\nexpect: {login: success}",
            ),
            case("expect: {login: success}"),
            case(
                "dashboards: {config: {opensearch_security.openid.scope: openid email}}\nexpect: {login: missing_role}",
            ),
        ];
        order(&mut cases);
        let keys: Vec<Keys> = cases.iter().map(Keys::of).collect();
        assert!(keys[3].opensearch.private_idp_certificate);
        let changes = keys
            .windows(2)
            .filter(|w| w[0].dashboards != w[1].dashboards)
            .count();
        assert_eq!(
            changes, 2,
            "each Dashboards configuration once, then the private case"
        );
    }
}
