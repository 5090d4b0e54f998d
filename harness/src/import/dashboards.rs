//! `opensearch_dashboards.yml`: each setting by its dotted key (flat or nested, as Dashboards reads it) — the
//! harness's URLs, CA and generated password, where it listens and logs dropped — and the connection to OpenSearch
//! added where the posted file leaves it to defaults.

use serde_json::{Map, Value, json};

use super::emit::Out;
use super::files::Posted;
use super::rebuild::{Action, shown};
use crate::scenario::source::escape_token;

/// The action for an `opensearch_dashboards.yml` setting, by its dotted key.
pub(super) fn dashboards_setting(key: &str, v: &Value, username: &str) -> Action {
    let was = |what: &str| format!("was {}: {what}", shown(v));
    match key {
        "opensearch.hosts" => Action::Replace(json!(["${opensearch.url}"]), was("the harness's OpenSearch")),
        "opensearch.ssl.certificateAuthorities" => {
            Action::Replace(json!(["${tls.ca_file}"]), was("the run's CA"))
        }
        "opensearch.password" => Action::Replace(
            json!(format!("${{internal_users.{username}.password}}")),
            format!("was {}: the generated password of internal user {username}", shown(v)),
        ),
        "opensearch_security.openid.connect_url" => {
            Action::Replace(json!("${idp.discovery_url}"), was("the harness's IdP"))
        }
        "opensearch_security.openid.base_redirect_url" => {
            Action::Replace(json!("${dashboards.url}"), was("the harness's Dashboards"))
        }
        "opensearch_security.openid.client_id" => {
            Action::Replace(json!("${idp.client_id}"), was("the harness's client"))
        }
        "opensearch_security.openid.client_secret" => {
            Action::Replace(json!("${idp.client_secret}"), was("the harness's client secret"))
        }
        "opensearch_security.openid.root_ca" => Action::Replace(json!("${tls.ca_file}"), was("the run's CA")),
        "opensearch_security.openid.logout_url" => {
            Action::Drop("the report's own logout page; the harness's IdP offers its end-session endpoint".into())
        }
        "server.host" | "server.port" => Action::Drop(
            "where Dashboards listens is the harness's (behind its Caddy, which serves ${dashboards.url})".into(),
        ),
        "server.publicBaseUrl" => Action::Drop("the harness's Dashboards is at ${dashboards.url}".into()),
        k if k.starts_with("server.ssl") => {
            Action::Drop("TLS is Caddy's in the harness's stack; Dashboards serves plain HTTP behind it".into())
        }
        "logging.dest" => Action::Drop(
            "a path on the report's server; the harness reads Dashboards' log where it puts it".into(),
        ),
        k if k == "logging" || k.starts_with("logging.") => Action::Drop(
            "Dashboards' logging is the harness's to set: it reads the log in the form it configures".into(),
        ),
        "opensearch.requestHeadersWhitelist" => Action::Keep,
        _ => Action::Keep,
    }
}

/// The connection to OpenSearch the harness's Dashboards needs, where the posted file leaves it to defaults.
pub(super) fn add_dashboards_connection(
    m: &mut Map<String, Value>,
    p: &Posted,
    out_ptr: &str,
    out: &mut Out,
) {
    let has = |m: &Map<String, Value>, k: &str| crate::diagnosis::lookup(m, k).is_some();
    let mut added = Vec::new();
    if !has(m, "opensearch.hosts") {
        added.push(("opensearch.hosts", json!(["${opensearch.url}"])));
    }
    if !has(m, "opensearch.ssl.certificateAuthorities")
        && crate::diagnosis::lookup(m, "opensearch.ssl.verificationMode").and_then(Value::as_str)
            != Some("none")
    {
        added.push((
            "opensearch.ssl.certificateAuthorities",
            json!(["${tls.ca_file}"]),
        ));
    }
    if !has(m, "opensearch.username") {
        added.push(("opensearch.username", json!("kibanaserver")));
    }
    if !has(m, "opensearch.password") {
        added.push((
            "opensearch.password",
            json!("${internal_users.kibanaserver.password}"),
        ));
    }
    for (k, v) in added {
        m.insert(k.to_owned(), v);
        out.comment(
            &format!("{out_ptr}/{}", escape_token(k)),
            &format!("{}:1:1", p.file.path),
            "added: the harness's connection to OpenSearch (the posted file leaves it to Dashboards' defaults)",
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
    fn dashboards_settings_are_mapped_dropped_or_kept_in_flat_and_nested_form() {
        let text = "server.port: 15061\nserver:\n  ssl:\n    enabled: false\nopensearch:\n  password: ***\n\
                    opensearch_security.openid.client_secret: \"***\"\nlogging:\n  root:\n    level: debug\n\
                    \"opensearch.requestHeadersWhitelist \": [\"Authorization\"]\n";
        let i = one("opensearch_dashboards.yml", text).expect("imports");
        let s = &i.scenario;
        assert!(
            s.contains("client_secret: \"${idp.client_secret}\"  # was `***`"),
            "{s}"
        );
        assert!(
            s.contains("password: \"${internal_users.kibanaserver.password}\""),
            "{s}"
        );
        assert!(
            s.contains("# dropped `server.port: 15061` (opensearch_dashboards.yml:1:1)"),
            "{s}"
        );
        assert!(
            s.contains(
                "# dropped `server.ssl: {\"enabled\":false}` (opensearch_dashboards.yml:3:3)"
            ),
            "{s}"
        );
        assert_eq!(s.matches("password: ").count(), 1, "{s}");
        assert!(!s.contains("server:"), "{s}");
        assert!(s.contains("# dropped `logging:"), "{s}");
        assert!(
            s.contains(
                "opensearch.requestHeadersWhitelist: [\"Authorization\"]  # the key had spaces"
            ),
            "{s}"
        );
        assert!(
            i.notes
                .iter()
                .any(|n| n.starts_with("opensearch_dashboards.yml:6:1: an unquoted")),
            "{:?}",
            i.notes
        );
        assert!(
            s.contains("opensearch.hosts: [\"${opensearch.url}\"]  # added"),
            "{s}"
        );
    }

    #[test]
    fn typographic_quotes_are_kept_and_said() {
        let i = one(
            "opensearch_dashboards.yml",
            "opensearch_security.readonly_mode.roles: [\u{201c}ro\u{201d}]\nopensearch_security.openid.scope: openid\n",
        )
        .expect("imports");
        let s = &i.scenario;
        assert!(
            s.contains("opensearch_security.readonly_mode.roles: [\"\u{201c}ro\u{201d}\"]  # kept: typographic quotes"),
            "{s}"
        );
        assert_eq!(s.matches("typographic").count(), 1, "{s}");
    }
}
