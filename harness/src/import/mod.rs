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
mod mask;
mod rebuild;
mod security;
mod trust;

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::scenario::{Diagnostic, SourceFile};

use emit::Out;
use emit::emit_map;
pub use files::{FILE_NAMES, knows};
use files::{Kind, keep_as_comments};
use rebuild::transform;
use security::{roles_for_mappings, slug_of, users_for};

/// The identity provider the scenario is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idp {
    Authentik,
    Keycloak,
}

/// What the import made: the scenario's text, and the notes (each `file:line:column: what`) also in its comments.
#[derive(Clone, Debug)]
pub struct Imported {
    pub scenario: String,
    pub notes: Vec<String>,
}

/// Imports `files` (each its path as the user named it, and its text) for `idp`.
pub fn import(files: &[(String, String)], idp: Idp) -> Result<Imported, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    if idp == Idp::Keycloak {
        errors.push(Diagnostic::at(
            &SourceFile {
                path: "--idp keycloak".into(),
                text: String::new(),
            },
            None,
            "the harness cannot run Keycloak yet (`stack.idp` is `authentik` only in this build): import with \
             `--idp authentik`, the default",
        ));
        return Err(errors);
    }
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
    // The provider: the slug from the discovery URL the files name.
    let mut provider = Map::new();
    if let Some(slug) = posted.iter().find_map(slug_of) {
        provider.insert("slug".into(), json!(slug.0));
        out.comment(
            "/idp/provider/slug",
            &slug.1,
            "from the discovery URL the files name",
        );
    }
    provider.insert("encryption_key".into(), json!(false));
    out.comments.insert(
        "/idp/provider/encryption_key".into(),
        "the posted files cannot say: true if the report's provider has an Encryption Key (authentik then \
         encrypts every token)"
            .into(),
    );
    let mut idp_doc = json!({ "provider": provider });
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
    let mut stack = json!({ "idp": "authentik" });
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
    fn unknown_files_and_keycloak_are_refused_with_why() {
        let e = one("kibana.yml", "a: 1\n").unwrap_err();
        assert!(
            e[0].to_string().contains("opensearch_dashboards.yml"),
            "{}",
            e[0]
        );
        let e = import(&[], Idp::Keycloak).unwrap_err();
        assert!(
            e[0].to_string().contains("cannot run Keycloak yet"),
            "{}",
            e[0]
        );
    }
}
