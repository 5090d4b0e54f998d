//! The token in a request's headers: larger than OpenSearch's HTTP layer reads (`http.max_header_size`).

use crate::diagnosis::Evidence;
use crate::diagnosis::evidence::scalar;

/// OpenSearch 2.19's default `http.max_header_size` (`HttpTransportSettings.SETTING_HTTP_MAX_HEADER_SIZE`).
const DEFAULT_MAX_HEADER_SIZE: &str = "8kb";

/// OpenSearch answers a request whose headers pass `http.max_header_size` with 400 before the security plugin
/// reads them (measured on 2.19.4 with the limit at 2kb: `{"error":{"type":"too_long_http_header_exception",
/// "reason":"HTTP header is larger than 2048 bytes."},"status":400}`; its log says only `Authentication finally
/// failed for null`, the plugin having found no credentials). Seen as the harness's own authinfo call with the
/// token answering 400, or Dashboards' callback failing on authinfo's 400 (the stand-in's words, "authinfo
/// answered 400"), or OpenSearch's words in Dashboards' log.
pub(in crate::diagnosis) fn token_over_header_limit(e: &Evidence) -> Option<(String, String)> {
    let by_harness = e
        .observed
        .authinfo
        .as_ref()
        .is_some_and(|a| a.status == 400);
    let by_dashboards = e.observed.dashboards_log.iter().any(|l| {
        l.contains("authinfo answered 400")
            || l.contains("too_long_http_header_exception")
            || l.contains("HTTP header is larger than")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::diagnose;
    use crate::run::observe::{Authinfo, Observation, TokenShape};
    use crate::scenario::{IdpCertificate, Outcome, TokenFormat};
    use serde_json::{Map, Value, json};

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    fn rules(
        o: &Observation,
        dashboards: &Map<String, Value>,
        settings: &Map<String, Value>,
    ) -> Vec<String> {
        let c = Map::new();
        diagnose(&Evidence {
            observed: o,
            idp_certificate: IdpCertificate::Public,
            openid: None,
            dashboards,
            config: &c,
            opensearch_settings: settings,
        })
        .into_iter()
        .map(|d| d.rule)
        .collect()
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
            }),
            ..Default::default()
        };
        let settings = map(json!({"http.max_header_size": "4kb"}));
        let d = Map::new();
        let e = Evidence {
            observed: &o,
            idp_certificate: IdpCertificate::Public,
            openid: None,
            dashboards: &d,
            config: &d,
            opensearch_settings: &settings,
        };
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
                "[error][plugins][securityDashboards] OpenId authentication failed: authinfo answered 400 Bad Request"
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
}
