//! The token in a request's headers: larger than OpenSearch's HTTP layer reads (`http.max_header_size`), or not
//! forwarded by Dashboards on its calls as the user (`authorization` missing from its header allowlist).

use serde_json::Value;

use crate::diagnosis::Evidence;
use crate::diagnosis::evidence::scalar;
use crate::scenario::Outcome;

/// OpenSearch 2.19's default `http.max_header_size` (`HttpTransportSettings.SETTING_HTTP_MAX_HEADER_SIZE`).
const DEFAULT_MAX_HEADER_SIZE: &str = "8kb";

/// OpenSearch answers a request whose headers pass `http.max_header_size` with 400 before the security plugin
/// reads them (measured on 2.19.4 with the limit at 2kb: `{"error":{"type":"too_long_http_header_exception",
/// "reason":"HTTP header is larger than 2048 bytes."},"status":400}`; its log says only `Authentication finally
/// failed for null`, the plugin having found no credentials). Seen as the harness's own authinfo call with the
/// token answering 400, or OpenSearch's words in Dashboards' log (its callback failing on authinfo's 400:
/// `OpenId authentication failed: Error: [too_long_http_header_exception] HTTP header is larger than … bytes.`).
pub(in crate::diagnosis) fn token_over_header_limit(e: &Evidence) -> Option<(String, String)> {
    let by_harness = e
        .observed
        .authinfo
        .as_ref()
        .is_some_and(|a| a.status == 400);
    let by_dashboards = e.observed.dashboards_log.iter().any(|l| {
        l.contains("too_long_http_header_exception") || l.contains("HTTP header is larger than")
    });
    if !by_harness && !by_dashboards {
        return None;
    }
    let limit = e
        .opensearch_setting("http.max_header_size")
        .map(|v| format!("`{}`", scalar(v)))
        .unwrap_or_else(|| format!("{DEFAULT_MAX_HEADER_SIZE}, the default"));
    let many_groups = e
        .token_claims()
        .is_some_and(|c| c.iter().any(|x| x == "groups"));
    let groups = if many_groups {
        " (most often a long `groups` claim: the user is in many groups)"
    } else {
        ""
    };
    Some((
        format!(
            "The token Dashboards sends as `Authorization: Bearer …` is larger than OpenSearch reads in a \
             request's headers (`http.max_header_size`: {limit}){groups}: its HTTP layer answers 400 \
             (`too_long_http_header_exception`, \"HTTP header is larger than … bytes\") before the security plugin \
             sees the token, so the user cannot log in."
        ),
        "Raise `http.max_header_size` in opensearch.yml on every node (e.g. `16kb`; a static setting: restart the \
         nodes), or make the token smaller: fewer groups in its claim (the IdP's mapping of `groups` — authentik's \
         scope mapping, Keycloak's group mapper — limited to the groups OpenSearch maps)."
            .to_owned(),
    ))
}

/// The header allowlist of `opensearch_dashboards.yml` (`opensearch.requestHeadersAllowlist`, or its deprecated
/// name `opensearch.requestHeadersWhitelist`), when set: which name it was set under, and its entries.
fn header_allowlist(e: &Evidence) -> Option<(&'static str, Vec<String>)> {
    [
        "opensearch.requestHeadersAllowlist",
        "opensearch.requestHeadersWhitelist",
    ]
    .into_iter()
    .find_map(|k| {
        let v = e.dashboards_setting(k)?;
        let entries = match v {
            Value::Array(items) => items.iter().map(scalar).collect(),
            // OSD's schema takes one string as a list of one.
            other => vec![scalar(other)],
        };
        Some((k, entries))
    })
}

/// OSD's scoped client forwards to OpenSearch only the request headers its allowlist names (its default:
/// `[authorization]`); the security plugin passes the token explicitly at the callback and in its auth handler, so
/// the login itself works, and then the first call Dashboards makes as the user (the UI settings read of
/// `/app/home`) carries no credentials and OpenSearch's 401 comes back as JSON.
pub(in crate::diagnosis) fn authorization_not_in_header_allowlist(
    e: &Evidence,
) -> Option<(String, String)> {
    let (key, entries) = header_allowlist(e)?;
    if entries
        .iter()
        .any(|h| h.eq_ignore_ascii_case("authorization"))
    {
        return None;
    }
    // After the login: unauthorized at a page of the app (under `server.basePath` if any), not at the IdP's or
    // the callback's.
    let failed_in_app = e.observed.login == Some(Outcome::Unauthorized)
        && e.observed
            .final_url
            .as_deref()
            .is_some_and(|u| u.contains("/app/") && !u.contains("/auth/"));
    if !failed_in_app {
        return None;
    }
    let listed = if entries.is_empty() {
        "an empty list".to_owned()
    } else {
        format!(
            "[{}]",
            entries
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut wanted = vec!["authorization".to_owned()];
    if !entries
        .iter()
        .any(|h| h.eq_ignore_ascii_case("securitytenant"))
    {
        wanted.push("securitytenant".to_owned());
    }
    Some((
        format!(
            "`{key}` in opensearch_dashboards.yml is {listed}, without `authorization`: the login works (the \
             security plugin passes the token itself), then every call Dashboards makes to OpenSearch as the user \
             goes without credentials and OpenSearch answers 401."
        ),
        format!(
            "Add {} to `{key}` in opensearch_dashboards.yml (Dashboards forwards only the headers it lists{}).",
            wanted
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(" and "),
            if key.ends_with("Whitelist") {
                "; `opensearch.requestHeadersAllowlist` is the current name"
            } else {
                ""
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::diagnose;
    use crate::run::observe::{Authinfo, Observation, TokenShape};
    use crate::scenario::{IdpCertificate, TokenFormat};
    use serde_json::{Map, json};

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    /// The evidence of an authentik case with a public IdP certificate and no `config.yml` to speak of.
    fn evidence<'a>(
        o: &'a Observation,
        dashboards: &'a Map<String, Value>,
        settings: &'a Map<String, Value>,
    ) -> Evidence<'a> {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        Evidence {
            observed: o,
            idp: crate::scenario::IdpProfile::Authentik,
            idp_certificate: IdpCertificate::Public,
            openid: None,
            dashboards,
            config: &EMPTY,
            opensearch_settings: settings,
        }
    }

    fn rules(
        o: &Observation,
        dashboards: &Map<String, Value>,
        settings: &Map<String, Value>,
    ) -> Vec<String> {
        diagnose(&evidence(o, dashboards, settings))
            .into_iter()
            .map(|d| d.rule)
            .collect()
    }

    fn after_login(url: &str) -> Observation {
        Observation {
            login: Some(Outcome::Unauthorized),
            login_detail: Some(format!("401 JSON at {url}")),
            final_url: Some(url.to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn a_400_from_authinfo_names_the_header_limit_and_its_setting() {
        let o = Observation {
            login: Some(Outcome::RedirectLoop),
            authinfo: Some(Authinfo {
                status: 400,
                ..Default::default()
            }),
            token: Some(TokenShape {
                format: TokenFormat::Jws,
                alg: Some("RS256".into()),
                enc: None,
                kid_present: true,
                claims: vec!["sub".into(), "groups".into()],
                inner: None,
            }),
            ..Default::default()
        };
        let settings = map(json!({"http.max_header_size": "4kb"}));
        let d = Map::new();
        let e = evidence(&o, &d, &settings);
        let (summary, fix) = token_over_header_limit(&e).expect("fires");
        assert!(
            summary.contains("(`http.max_header_size`: `4kb`)"),
            "{summary}"
        );
        assert!(summary.contains("many groups"), "{summary}");
        assert!(
            fix.contains("`http.max_header_size` in opensearch.yml"),
            "{fix}"
        );
        // Nested as opensearch.yml may write it, and the default when unset.
        let nested = map(json!({"http": {"max_header_size": "16kb"}}));
        let (summary, _) = token_over_header_limit(&Evidence {
            opensearch_settings: &nested,
            ..e
        })
        .expect("fires");
        assert!(summary.contains("`16kb`"), "{summary}");
        let (summary, _) = token_over_header_limit(&Evidence {
            opensearch_settings: &d,
            ..e
        })
        .expect("fires");
        assert!(summary.contains("8kb, the default"), "{summary}");
    }

    #[test]
    fn dashboards_words_alone_are_enough_and_other_statuses_are_nothing() {
        let d = Map::new();
        let logged = Observation {
            dashboards_log: vec![
                "[error][plugins][securityDashboards] OpenId authentication failed: Error: [too_long_http_header_exception] HTTP header is larger than 4096 bytes."
                    .into(),
            ],
            ..Default::default()
        };
        assert_eq!(rules(&logged, &d, &d), ["token-over-header-limit"]);
        for status in [200, 401, 403, 500] {
            let o = Observation {
                authinfo: Some(Authinfo {
                    status,
                    ..Default::default()
                }),
                ..Default::default()
            };
            assert!(rules(&o, &d, &d).is_empty(), "{status}");
        }
    }

    #[test]
    fn an_allowlist_without_authorization_fails_after_the_login() {
        let o = after_login("/app/home");
        let allow = map(json!({"opensearch.requestHeadersAllowlist": ["securitytenant"]}));
        let d = Map::new();
        let e = evidence(&o, &allow, &d);
        let (summary, fix) = authorization_not_in_header_allowlist(&e).expect("fires");
        assert!(
            summary.contains("is [`securitytenant`], without `authorization`"),
            "{summary}"
        );
        assert_eq!(
            fix,
            "Add `authorization` to `opensearch.requestHeadersAllowlist` in opensearch_dashboards.yml (Dashboards \
             forwards only the headers it lists)."
        );
        // The deprecated name, nested, one string: named as written, with both headers and the current name.
        let old = map(json!({"opensearch": {"requestHeadersWhitelist": "x-forwarded-for"}}));
        let (summary, fix) = authorization_not_in_header_allowlist(&Evidence {
            dashboards: &old,
            ..e
        })
        .expect("fires");
        assert!(
            summary.contains("`opensearch.requestHeadersWhitelist`"),
            "{summary}"
        );
        assert!(
            fix.contains("`authorization` and `securitytenant`") && fix.contains("current name"),
            "{fix}"
        );
        assert_eq!(
            rules(&o, &allow, &d),
            ["authorization-not-in-header-allowlist"]
        );
    }

    #[test]
    fn an_allowlist_with_authorization_no_allowlist_or_a_failure_before_the_app_is_nothing() {
        let d = Map::new();
        let with =
            map(json!({"opensearch.requestHeadersAllowlist": ["securitytenant", "Authorization"]}));
        let without = map(json!({"opensearch.requestHeadersAllowlist": ["securitytenant"]}));
        assert!(rules(&after_login("/app/home"), &with, &d).is_empty());
        assert!(rules(&after_login("/app/home"), &d, &d).is_empty());
        assert!(
            rules(
                &after_login("/auth/openid/login?code=[code]&state=[state]"),
                &without,
                &d
            )
            .is_empty()
        );
        let success = Observation {
            login: Some(Outcome::Success),
            final_url: Some("/app/home".into()),
            ..Default::default()
        };
        assert!(rules(&success, &without, &d).is_empty());
    }
}
