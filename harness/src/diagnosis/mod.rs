//! What a case's observation says went wrong, and what to change: a table of rules from the observation (the
//! token's shape, the security plugin's log lines, Dashboards' log, where the login ended, authinfo) and the case's
//! configuration (`config.yml`'s OpenID authenticator, `opensearch_dashboards.yml`) to `diagnosis` entries
//! (docs/scenario-format.md, "Diagnosis"). Pure.
//!
//! Every rule matches what the real components write — the plugin's own log lines as `run::observe` normalises
//! them, the token the IdP issued — never a scenario's expectation. Each rule names the scenario whose observation
//! it was written from (`Rule::scenario`); `tests/diagnosis.rs` checks that every rule fires on that scenario's
//! snapshotted observation and on no other case (in particular on no case that logs in).

mod evidence;
mod rules;

use serde::{Deserialize, Serialize};

pub use evidence::{Evidence, lookup, openid_authenticator};

/// One known cause: `results.json`'s `diagnosis` entries.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Diagnosis {
    /// The rule's name (`Rule::name`), stable: reports and tests refer to it.
    pub rule: String,
    /// What happened, in one sentence.
    pub summary: String,
    /// What to change, and where.
    pub fix: String,
}

/// A known cause: a name, the scenario it was written from, and the check.
pub struct Rule {
    pub name: &'static str,
    /// The file of `scenarios/` (and variant) whose observation shows the cause.
    pub scenario: &'static str,
    check: fn(&Evidence) -> Option<(String, String)>,
}

/// The rules, in the order their entries are listed.
pub static RULES: &[Rule] = &[
    Rule {
        name: "jwe-token",
        scenario: "authentik-jwe (jwe=on)",
        check: rules::jwe_token,
    },
    Rule {
        name: "hs256-without-signing-key",
        scenario: "hs256-without-signing-key/no-signing-key",
        check: rules::hs256_without_signing_key,
    },
    Rule {
        name: "audience-mismatch",
        scenario: "audience/wrong-audience",
        check: rules::audience_mismatch,
    },
    Rule {
        name: "issuer-mismatch",
        scenario: "issuer-trailing-slash/no-trailing-slash",
        check: rules::issuer_mismatch,
    },
    Rule {
        name: "subject-claim-missing",
        scenario: "scope-without-profile/subject-preferred-username",
        check: rules::subject_claim_missing,
    },
    Rule {
        name: "roles-claim-missing",
        scenario: "entitlements-roles/default-scope, authentik-jwe (jwe=off,roles_key=roles), scope-without-profile/subject-email",
        check: rules::roles_claim_missing,
    },
    Rule {
        name: "idp-tls-keys-unprefixed",
        scenario: "idp-certificate-private/ca-without-prefix",
        check: rules::idp_tls_keys_unprefixed,
    },
    Rule {
        name: "idp-ca-untrusted-by-opensearch",
        scenario: "idp-certificate-private/no-ca",
        check: rules::idp_ca_untrusted_by_opensearch,
    },
    Rule {
        name: "idp-ca-untrusted-by-dashboards",
        scenario: "idp-certificate-private/dashboards-without-root-ca",
        check: rules::idp_ca_untrusted_by_dashboards,
    },
    Rule {
        name: "basic-challenge-before-openid",
        scenario: "basic-challenge-before-openid/challenge-true",
        check: rules::basic_challenge_before_openid,
    },
    Rule {
        name: "token-over-header-limit",
        scenario: "token-over-header-limit/many-groups",
        check: rules::token_over_header_limit,
    },
    Rule {
        name: "authorization-not-in-header-allowlist",
        scenario: "dashboards-session/allowlist-without-authorization",
        check: rules::authorization_not_in_header_allowlist,
    },
    Rule {
        name: "wrong-client-secret",
        scenario: "wrong-client-secret/wrong-secret",
        check: rules::wrong_client_secret,
    },
    Rule {
        name: "dashboards-refused-config",
        scenario: "dashboards-refuses-config/list-without-multiple-auth",
        check: rules::dashboards_refused_config,
    },
];

/// Every rule that matches, in table order; empty when nothing is known.
pub fn diagnose(evidence: &Evidence) -> Vec<Diagnosis> {
    RULES
        .iter()
        .filter_map(|r| {
            (r.check)(evidence).map(|(summary, fix)| Diagnosis {
                rule: r.name.to_owned(),
                summary,
                fix,
            })
        })
        .collect()
}

/// The diagnosis as the case folder's `diagnosis.txt` (and the end of `e2e`) shows it: each entry its rule, what
/// happened and the fix.
pub fn text(diagnosis: &[Diagnosis]) -> String {
    diagnosis
        .iter()
        .map(|d| format!("{}: {}\n  fix: {}\n", d.rule, d.summary, d.fix))
        .collect()
}

/// The case folder's `diagnosis.txt` ([`text`]), written only when something is known (`result.json` holds the
/// list either way).
pub fn write_to(case_dir: &std::path::Path, diagnosis: &[Diagnosis]) -> std::io::Result<()> {
    if diagnosis.is_empty() {
        return Ok(());
    }
    std::fs::write(case_dir.join("diagnosis.txt"), text(diagnosis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::observe::Observation;
    use crate::scenario::IdpCertificate;
    use serde_json::Map;

    #[test]
    fn nothing_observed_is_nothing_known() {
        let o = Observation::default();
        let d = Map::new();
        let e = Evidence {
            observed: &o,
            idp_certificate: IdpCertificate::Public,
            idp: crate::scenario::IdpProfile::Authentik,
            openid: None,
            dashboards: &d,
            config: &d,
            opensearch_settings: &d,
        };
        assert_eq!(diagnose(&e), vec![]);
    }

    #[test]
    fn dashboards_tls_words_count_only_about_the_idp() {
        let d = Map::new();
        let run = |line: &str| {
            let o = Observation {
                dashboards_log: vec![line.to_owned()],
                ..Default::default()
            };
            let e = Evidence {
                observed: &o,
                idp_certificate: IdpCertificate::Public,
                idp: crate::scenario::IdpProfile::Authentik,
                openid: None,
                dashboards: &d,
                config: &d,
                opensearch_settings: &d,
            };
            diagnose(&e).into_iter().map(|d| d.rule).collect::<Vec<_>>()
        };
        assert_eq!(
            run(
                "[error][plugins][securityDashboards] Failed when trying to obtain the endpoints from your IdP: unable to get local issuer certificate"
            ),
            vec!["idp-ca-untrusted-by-dashboards"]
        );
        assert!(run("[error][data][opensearch] Request error: self signed certificate in certificate chain").is_empty());
    }

    #[test]
    fn rule_names_are_unique() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }
}
