//! The IdP's certificate not trusted: by OpenSearch (its CA missing, or configured under keys the plugin
//! ignores without the `openid_connect_idp.` prefix) or by Dashboards (`openid.root_ca`).

use crate::diagnosis::Evidence;
use crate::scenario::{IdpCertificate, Outcome};

/// The plugin could not fetch the IdP's discovery document or JWKS over TLS: the IdP's CA is not trusted.
pub(in crate::diagnosis) fn opensearch_distrusts_idp(e: &Evidence) -> bool {
    e.observed.opensearch_log.iter().any(|l| {
        l.contains("Error while getting")
            && (l.contains("PKIX path building failed")
                || l.contains("unable to find valid certification path"))
    })
}

/// `openid_connect_idp.` TLS keys the plugin reads; without the prefix it ignores them.
pub(in crate::diagnosis) const IDP_TLS_KEYS: &[&str] = &[
    "enable_ssl",
    "pemtrustedcas_filepath",
    "pemtrustedcas_content",
    "verify_hostnames",
    "trust_all",
    "enable_ssl_client_auth",
    "pemcert_filepath",
    "pemcert_content",
    "pemkey_filepath",
    "pemkey_content",
    "pemkey_password",
];

pub(in crate::diagnosis) fn unprefixed_tls_keys<'a>(e: &Evidence<'a>) -> Vec<&'a str> {
    e.openid
        .map(|(_, c)| {
            c.keys()
                .map(String::as_str)
                .filter(|k| IDP_TLS_KEYS.contains(k))
                .collect()
        })
        .unwrap_or_default()
}

pub(in crate::diagnosis) fn idp_tls_keys_unprefixed(e: &Evidence) -> Option<(String, String)> {
    let keys = unprefixed_tls_keys(e);
    if keys.is_empty() || !opensearch_distrusts_idp(e) {
        return None;
    }
    let listed = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>();
    let renamed = keys
        .iter()
        .map(|k| format!("`openid_connect_idp.{k}`"))
        .collect::<Vec<_>>();
    Some((
        format!(
            "OpenSearch does not trust the IdP's certificate (\"PKIX path building failed\" fetching its \
             discovery document): the CA is configured with {}, which the plugin ignores without the \
             `openid_connect_idp.` prefix.",
            listed.join(", ")
        ),
        format!(
            "Rename them in config.yml, under `config.dynamic.authc.{}.http_authenticator.config`, to {}.",
            e.domain(),
            renamed.join(", ")
        ),
    ))
}

pub(in crate::diagnosis) fn idp_ca_untrusted_by_opensearch(
    e: &Evidence,
) -> Option<(String, String)> {
    if !opensearch_distrusts_idp(e) || !unprefixed_tls_keys(e).is_empty() {
        return None;
    }
    let configured = e
        .openid_setting("openid_connect_idp.pemtrustedcas_filepath")
        .or_else(|| e.openid_setting("openid_connect_idp.pemtrustedcas_content"))
        .is_some();
    let summary = if configured {
        "OpenSearch does not trust the IdP's certificate (\"PKIX path building failed\" fetching its discovery \
         document): the CA named by `openid_connect_idp.pemtrustedcas_*` is not the one that signed it."
    } else {
        "OpenSearch does not trust the IdP's certificate (\"PKIX path building failed\" fetching its discovery \
         document): it checks the IdP against the JVM's default trust store, which lacks the IdP's CA."
    };
    Some((
        summary.to_owned(),
        format!(
            "In config.yml, under `config.dynamic.authc.{}.http_authenticator.config`, set \
             `openid_connect_idp.enable_ssl: true` and `openid_connect_idp.pemtrustedcas_filepath` (a PEM file \
             under OpenSearch's config folder) or `openid_connect_idp.pemtrustedcas_content` to the CA that signed \
             the IdP's certificate — or add that CA to the JVM's trust store.",
            e.domain()
        ),
    ))
}

/// Dashboards' words when its calls to the IdP fail on the IdP's certificate (Node's and the stand-in's).
pub(in crate::diagnosis) const TLS_WORDS: &[&str] = &[
    "unable to get local issuer certificate",
    "self-signed certificate",
    "self signed certificate",
    "unable to verify the first certificate",
    "UNABLE_TO_GET_ISSUER_CERT",
    "certificate verify failed",
    "invalid peer certificate",
    "UnknownIssuer",
];

pub(in crate::diagnosis) fn idp_ca_untrusted_by_dashboards(
    e: &Evidence,
) -> Option<(String, String)> {
    let said = |l: &String| TLS_WORDS.iter().any(|w| l.contains(w));
    // Dashboards calls OpenSearch over TLS too: only a line about its OpenID calls counts.
    let about_the_idp = |l: &String| {
        ["IdP", "token endpoint", "openid-configuration", "OpenId"]
            .iter()
            .any(|w| l.contains(w))
    };
    let in_log = e
        .observed
        .dashboards_log
        .iter()
        .any(|l| said(l) && about_the_idp(l));
    let in_refusal = e
        .observed
        .login_detail
        .as_ref()
        .is_some_and(|d| d.contains("refused to start") && said(d));
    // The stand-in, as Dashboards before 2.4, starts without its OpenID routes when discovery fails (its log
    // says so at start-up, before the case's slice): the login ends in a 401 under Dashboards' own
    // /auth/openid/, never having come back from the IdP with a code, no token issued, OpenSearch asked nothing
    // — with an IdP whose CA only a config can make trusted, and no `openid.root_ca` naming it.
    let never_left = e.observed.login == Some(Outcome::Unauthorized)
        && e.observed.token.is_none()
        && e.observed.opensearch_log.is_empty()
        && e.observed
            .final_url
            .as_deref()
            .is_some_and(|u| u.starts_with("/auth/openid/") && !u.contains("code="))
        && e.idp_certificate == IdpCertificate::Private
        && e.dashboards_setting("opensearch_security.openid.root_ca")
            .is_none();
    if !in_log && !in_refusal && !never_left {
        return None;
    }
    Some((
        "Dashboards does not trust the IdP's certificate: its discovery call fails at start-up, so it has no \
         OpenID login to offer (Dashboards 2.4+ exits; earlier ones answer 401 at /auth/openid/login)."
            .to_owned(),
        "Set `opensearch_security.openid.root_ca` in opensearch_dashboards.yml to the PEM file of the CA that \
         signed the IdP's certificate (it replaces Node's default roots for the IdP calls)."
            .to_owned(),
    ))
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::diagnose;
    use crate::run::observe::Observation;
    use serde_json::{Map, Value, json};

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    #[test]
    fn unprefixed_keys_without_a_tls_failure_are_no_diagnosis() {
        let o = Observation::default();
        let c = map(json!({"enable_ssl": true, "pemtrustedcas_content": "PEM"}));
        let d = Map::new();
        let e = Evidence {
            observed: &o,
            idp_certificate: IdpCertificate::Public,
            idp: crate::scenario::IdpProfile::Authentik,
            openid: Some(("openid_auth_domain", &c)),
            dashboards: &d,
            config: &d,
            opensearch_settings: &d,
        };
        assert_eq!(
            unprefixed_tls_keys(&e),
            vec!["enable_ssl", "pemtrustedcas_content"]
        );
        assert!(diagnose(&e).is_empty());
    }
}
