//! Dashboards' own refusals: the IdP's token endpoint refusing its client secret, its configuration refused at
//! start-up.

use std::sync::LazyLock;

use regex::Regex;

use super::tls::TLS_WORDS;
use crate::diagnosis::Evidence;
use crate::diagnosis::evidence::regex;
use crate::scenario::Outcome;

/// Dashboards' line when the IdP refuses the code exchange: wreck's "Response Error: 401 Unauthorized" for an answer
/// of 400 and more (security-dashboards-plugin `helper.ts:88-93`); "Failed calling token endpoint" as earlier
/// stand-ins worded it.
pub(in crate::diagnosis) static TOKEN_ENDPOINT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"OpenId authentication failed: .*(?:Response Error|Failed calling token endpoint): (40[01])\b",
    )
});

pub(in crate::diagnosis) fn wrong_client_secret(e: &Evidence) -> Option<(String, String)> {
    let status = e
        .observed
        .dashboards_log
        .iter()
        .find_map(|l| TOKEN_ENDPOINT.captures(l).map(|c| c[1].to_owned()))?;
    Some((
        format!(
            "The IdP refused Dashboards' code exchange at its token endpoint ({status}): the client secret \
             Dashboards sends is not the provider's, so Dashboards sends the browser back to log in again."
        ),
        "Set `opensearch_security.openid.client_secret` in opensearch_dashboards.yml to the provider's Client \
         Secret (authentik: Applications → Providers → <provider> → Client Secret; Keycloak: Client → \
         Credentials), with `opensearch_security.openid.client_id` its Client ID."
            .to_owned(),
    ))
}

pub(in crate::diagnosis) fn dashboards_refused_config(e: &Evidence) -> Option<(String, String)> {
    let refusal = e
        .observed
        .login_detail
        .as_deref()
        .filter(|d| {
            e.observed.login == Some(Outcome::Unavailable) && d.contains("refused to start")
        })
        .map(str::to_owned)
        .or_else(|| {
            e.observed
                .dashboards_log
                .iter()
                .find(|l| l.contains("FATAL") || l.contains("[fatal]"))
                .cloned()
        })?;
    // Its TLS refusals are the IdP's certificate (its own rule).
    if TLS_WORDS.iter().any(|w| refusal.contains(w)) {
        return None;
    }
    let fix = if refusal.contains("multiple_auth_enabled") {
        "In opensearch_dashboards.yml, set `opensearch_security.auth.multiple_auth_enabled: true` beside the list \
         in `opensearch_security.auth.type`, or give `opensearch_security.auth.type` one value (`openid`)."
            .to_owned()
    } else {
        "Change the setting of opensearch_dashboards.yml that Dashboards names in its message."
            .to_owned()
    };
    let words = refusal
        .split_once("refused to start: ")
        .map_or(refusal.as_str(), |(_, w)| w);
    Some((
        format!("Dashboards refuses its configuration and does not start: \"{words}\""),
        fix,
    ))
}
