//! The auth domains of config.yml, in the order the plugin asks them: a domain that challenges before the OpenID
//! one answers Dashboards' Bearer token itself.

use serde_json::Value;

use crate::diagnosis::Evidence;

/// An auth domain as the plugin orders it: its name, `order` (0 when unset) and whether it challenges (the
/// plugin's default for an unset `challenge` is `true`).
struct Domain<'a> {
    name: &'a str,
    order: i64,
    kind: Option<&'a str>,
    challenge: bool,
}

fn domains<'a>(e: &Evidence<'a>) -> Vec<Domain<'a>> {
    let Some(authc) = e
        .config
        .get("config")
        .and_then(|c| c.get("dynamic"))
        .and_then(|d| d.get("authc"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    authc
        .iter()
        .filter(|(_, d)| d.get("http_enabled").and_then(Value::as_bool) != Some(false))
        .map(|(name, d)| Domain {
            name,
            order: d.get("order").and_then(Value::as_i64).unwrap_or(0),
            kind: d
                .pointer("/http_authenticator/type")
                .and_then(Value::as_str),
            challenge: d
                .pointer("/http_authenticator/challenge")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        })
        .collect()
}

/// An HTTP basic domain with `challenge: true` ordered before the OpenID domain: Dashboards sends the id_token as
/// `Authorization: Bearer …`, the basic authenticator finds no Basic credentials in it, and the registry answers
/// with the basic challenge (401) before the OpenID domain is asked (security plugin `BackendRegistry`: no
/// credentials + `isChallenge()` → `reRequestAuthentication`, return).
pub(in crate::diagnosis) fn basic_challenge_before_openid(
    e: &Evidence,
) -> Option<(String, String)> {
    if !e.opensearch_has("send 401 and 'WWW-Authenticate Basic'") {
        return None;
    }
    let (openid, _) = e.openid?;
    let all = domains(e);
    let openid = all.iter().find(|d| d.name == openid)?;
    let basic = all
        .iter()
        .filter(|d| d.kind == Some("basic") && d.challenge && d.order < openid.order)
        .min_by_key(|d| d.order)?;
    Some((
        format!(
            "The auth domain `{}` (HTTP basic, `challenge: true`, order {}) comes before the OpenID domain `{}` \
             (order {}): it finds no Basic credentials in Dashboards' Bearer token and answers 401 with its \
             challenge at once (\"send 401 and 'WWW-Authenticate Basic'\"), so the OpenID domain never sees the \
             token.",
            basic.name, basic.order, openid.name, openid.order
        ),
        format!(
            "In config.yml, set `config.dynamic.authc.{}.http_authenticator.challenge: false` (the basic domain \
             may stay first, as OpenSearch's OpenID Connect documentation has it), or give the OpenID domain the \
             lower `order`.",
            basic.name
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::observe::Observation;
    use crate::scenario::IdpCertificate;
    use serde_json::{Map, json};

    fn run(config: Value, log: &str) -> Option<(String, String)> {
        let config = config.as_object().expect("an object").clone();
        let openid = crate::diagnosis::openid_authenticator(&config);
        let o = Observation {
            opensearch_log: vec![log.to_owned()],
            ..Default::default()
        };
        let d = Map::new();
        basic_challenge_before_openid(&Evidence {
            observed: &o,
            idp_certificate: IdpCertificate::Public,
            idp: crate::scenario::IdpProfile::Authentik,
            openid,
            dashboards: &d,
            config: &config,
            opensearch_settings: &d,
        })
    }

    fn config(basic_challenge: Option<bool>, basic_order: i64) -> Value {
        let mut basic = json!({"order": basic_order, "http_authenticator": {"type": "basic"}});
        if let Some(c) = basic_challenge {
            basic["http_authenticator"]["challenge"] = json!(c);
        }
        json!({"config": {"dynamic": {"authc": {
            "b": basic,
            "o": {"order": 1, "http_authenticator": {"type": "openid", "challenge": false}}
        }}}})
    }

    const LINE: &str = "[WARN ][o.o.s.a.BackendRegistry  ] No 'Authorization' header, send 401 and 'WWW-Authenticate Basic'";

    #[test]
    fn a_challenging_basic_domain_first_is_named_with_its_fix() {
        let (summary, fix) = run(config(Some(true), 0), LINE).expect("fires");
        assert!(
            summary.contains("`b` (HTTP basic, `challenge: true`, order 0)"),
            "{summary}"
        );
        assert!(
            fix.contains("authc.b.http_authenticator.challenge: false"),
            "{fix}"
        );
        // The plugin's default for an unset `challenge` is true.
        assert!(run(config(None, 0), LINE).is_some());
    }

    #[test]
    fn no_challenge_a_later_basic_domain_or_no_such_line_is_nothing() {
        assert!(run(config(Some(false), 0), LINE).is_none());
        assert!(run(config(Some(true), 2), LINE).is_none());
        assert!(
            run(
                config(Some(true), 0),
                "[WARN ][o.o.s.a.BackendRegistry  ] Authentication finally failed"
            )
            .is_none()
        );
    }
}
