//! `cargo xtask import`: the files a user posts (`config.yml`, `roles_mapping.yml`, `opensearch_dashboards.yml`, …,
//! recognised by name) → a scenario file (docs/scenario-format.md, "Importing a report's files"). Pure: the caller
//! reads the files and writes the result.
//!
//! The documents are kept as they are, except where the harness's own stack must stand in: host names and URLs
//! become placeholders, masked secrets (`***`) and password hashes generated ones, CA paths and PEM blocks the
//! run's CA; settings the harness owns (where Dashboards listens, its TLS, its log) are dropped. Every such change
//! is a comment beside the line, naming where the original was (file, line, column); what cannot be mapped is kept
//! as comments and reported. Its `expect` is `{ login: success }`: what the user wanted.

mod dashboards;
mod emit;
mod files;
mod idp;
mod mask;
mod rebuild;
mod security;
mod trust;

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::scenario::Diagnostic;

use emit::Out;
use emit::emit_map;
pub use files::{FILE_NAMES, knows};
use files::{Kind, keep_as_comments};
use rebuild::transform;
use security::{roles_for_mappings, users_for};

/// The identity provider the scenario is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idp {
    Authentik,
    Keycloak,
}

impl Idp {
    /// Its `stack.idp` value.
    pub fn wire(self) -> &'static str {
        match self {
            Idp::Authentik => "authentik",
            Idp::Keycloak => "keycloak",
        }
    }
}

/// What the import made: the scenario's text, and the notes (each `file:line:column: what`) also in its comments.
#[derive(Clone, Debug)]
pub struct Imported {
    pub scenario: String,
    pub notes: Vec<String>,
}

/// Imports `files` (each its path as the user named it, and its text) for `idp`.
pub fn import(files: &[(String, String)], idp: Idp) -> Result<Imported, Vec<Diagnostic>> {
    let posted = files::parse(files)?;
    let mut out = Out::default();
    for p in &posted {
        for line in &p.masked_lines {
            out.note(
                &format!("{}:{line}:1", p.file.path),
                "an unquoted `***` (not valid YAML: an alias) was read as the masked string \"***\"".into(),
            );
        }
    }
    let mut security = Map::new();
    let mut dashboards = None;
    for p in &posted {
        match p.kind.pointer() {
            Some(ptr) => {
                let value = transform(p, ptr, &mut out);
                if p.kind == Kind::Dashboards {
                    dashboards = Some(value);
                } else {
                    let key = ptr.rsplit('/').next().expect("a key");
                    security.insert(key.to_owned(), value);
                }
            }
            None => keep_as_comments(p, &mut out),
        }
    }
    let mut idp_doc = match idp {
        Idp::Authentik => idp::authentik_section(&posted, &mut out),
        Idp::Keycloak => idp::keycloak_section(&posted, &mut out),
    };
    if let Some(Value::Object(rm)) = security.get_mut("roles_mapping") {
        users_for(rm, &mut idp_doc, &mut out);
    }
    roles_for_mappings(&mut security, &posted, &mut out);
    let mut opensearch = Map::new();
    if !security.is_empty() {
        opensearch.insert("security".into(), Value::Object(security));
    }

    let names: Vec<&str> = posted.iter().map(|p| p.file.path.as_str()).collect();
    let short: Vec<&str> = names
        .iter()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .collect();
    out.doc.insert(
        "title".into(),
        json!(format!("Imported from {}", short.join(", "))),
    );
    out.doc.insert(
        "reference".into(),
        json!("the files a user posted, imported by `cargo xtask import`"),
    );
    let mut stack = json!({ "idp": idp.wire() });
    let mut variants = None;
    if let Some((at, setting)) = trust::idp_ca_named(&posted) {
        stack["idp_certificate"] = json!("private");
        out.comment(
            "/stack/idp_certificate",
            &at,
            &format!(
                "the files give the IdP a CA of its own (`{setting}`): its certificate is not one the servers trust \
                 by default, so the harness's IdP gets one of the run's private CA"
            ),
        );
        if dashboards.is_none() {
            // The harness's Dashboards (its defaults) would not trust that CA, and fail before OpenSearch is asked;
            // the report's got further, or it would have posted that.
            variants = Some(json!([{
                "name": "dashboards-trusts-the-idp",
                "set": { "/dashboards/config/opensearch_security.openid.root_ca": "${tls.ca_file}" }
            }]));
            out.comment(
                "/variants",
                &at,
                "no opensearch_dashboards.yml was posted: the harness's Dashboards trusts the IdP's CA \
                 (`opensearch_security.openid.root_ca`), so the case shows what OpenSearch does",
            );
        }
    }
    out.doc.insert("stack".into(), stack);
    out.doc.insert("idp".into(), idp_doc);
    if !opensearch.is_empty() {
        out.doc
            .insert("opensearch".into(), Value::Object(opensearch));
    }
    if let Some(d) = dashboards {
        out.doc.insert("dashboards".into(), json!({ "config": d }));
    }
    out.doc
        .insert("expect".into(), json!({ "login": "success" }));
    if let Some(v) = variants {
        out.doc.insert("variants".into(), v);
    }

    let mut text = String::new();
    text.push_str("# Imported by `cargo xtask import` from:\n");
    for n in &names {
        let _ = writeln!(text, "#   {n}");
    }
    text.push_str(
        "# The documents are kept as posted, except where the harness's stack stands in (its IdP, URLs, CA,\n\
         # generated secrets): each such line says what it was and where. Run it with `cargo xtask e2e --scenario`.\n",
    );
    let mut body = String::new();
    emit_map(&mut body, &out.doc, "", 0, &out);
    text.push_str(&body);
    for line in &out.trailer {
        let _ = writeln!(text, "{line}");
    }
    Ok(Imported {
        scenario: text,
        notes: out.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SourceFile;

    fn one(name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
        import(&[(name.to_owned(), text.to_owned())], Idp::Authentik)
    }

    #[test]
    fn yaml_errors_are_located_like_scenario_errors() {
        let e = one(
            "roles_mapping.yml",
            "all_access:\n  reserved: false\n  reserved: true\n",
        )
        .unwrap_err();
        let shown = e[0].to_string();
        assert!(shown.starts_with("roles_mapping.yml:3:"), "{shown}");
    }

    #[test]
    fn unknown_files_are_refused_with_why() {
        let e = one("kibana.yml", "a: 1\n").unwrap_err();
        assert!(
            e[0].to_string().contains("opensearch_dashboards.yml"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn keycloak_gets_its_realm_from_the_discovery_url_and_a_loadable_scenario() {
        let config = "_meta: { type: config, config_version: 2 }\nconfig:\n  dynamic:\n    authc:\n      openid_auth_domain:\n\
                      \x20       http_enabled: true\n        transport_enabled: true\n        order: 1\n\
                      \x20       http_authenticator:\n          type: openid\n          challenge: false\n\
                      \x20         config:\n            subject_key: preferred_username\n            roles_key: roles\n\
                      \x20           openid_connect_url: https://kc.example.com/realms/corp/.well-known/openid-configuration\n\
                      \x20       authentication_backend: { type: noop }\n";
        let i = import(
            &[("config.yml".to_owned(), config.to_owned())],
            Idp::Keycloak,
        )
        .expect("imports");
        let s = &i.scenario;
        assert!(s.contains("idp: \"keycloak\""), "{s}");
        assert!(s.contains("realm: \"corp\""), "{s}");
        assert!(!s.contains("provider"), "no authentik section: {s}");
        let file = SourceFile {
            path: "imported.yaml".into(),
            text: s.clone(),
        };
        let loaded = crate::scenario::load(&file)
            .map_err(|e| e[0].to_string())
            .expect("loads");
        assert_eq!(loaded.cases[0].document.idp.keycloak.realm, "corp");
    }
}
