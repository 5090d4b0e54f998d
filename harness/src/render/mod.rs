//! Rendering: a case, the topology, the run's certificates and secrets → every file the components read.
//! Pure functions: no I/O here (`write_files`, behind `RunFiles::write_to`/`write_component`, is the one place
//! that writes).

mod blueprint;
mod caddy;
mod dashboards;
mod idp;
pub mod keycloak;
mod opensearch;
mod security;

pub use opensearch::CLUSTER_SETTINGS;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::certs::RunCertificates;
use crate::scenario::placeholder::Values;
use crate::scenario::{Case, Document, IdpProfile, IssuerMode};
use crate::secrets::Secrets;
use crate::topology::Topology;

/// Relative path → contents, for one case. Paths are grouped by the component that reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFiles(pub BTreeMap<String, String>);

/// Where each component's files are, relative to a case's folder.
pub mod paths {
    pub const OPENSEARCH_YML: &str = "opensearch/opensearch.yml";
    pub const DASHBOARDS_YML: &str = "dashboards/opensearch_dashboards.yml";
    pub const BLUEPRINT: &str = "authentik/blueprints/sso-harness.yaml";
    pub const IDP_CONFIG: &str = super::idp::CONFIG;
    pub const KEYCLOAK_REALM: &str = super::keycloak::REALM;
    pub const CA: &str = "harness/ca.pem";
}

impl RunFiles {
    fn add(&mut self, path: &str, contents: impl Into<String>) {
        self.0.insert(path.to_owned(), contents.into());
    }

    /// A file `render` always writes.
    fn rendered(&self, path: &str) -> &str {
        self.0
            .get(path)
            .unwrap_or_else(|| panic!("`render` writes {path}"))
    }

    pub fn opensearch_yml(&self) -> &str {
        self.rendered(paths::OPENSEARCH_YML)
    }

    pub fn dashboards_yml(&self) -> &str {
        self.rendered(paths::DASHBOARDS_YML)
    }

    /// authentik's blueprint of the case (the real authentik's whole configuration).
    pub fn blueprint(&self) -> &str {
        self.rendered(paths::BLUEPRINT)
    }

    /// The run CA's certificate.
    pub fn ca(&self) -> &str {
        self.rendered(paths::CA)
    }

    /// The embedded IdP's configuration of the case, as JSON.
    pub fn idp_config_json(&self) -> &str {
        self.rendered(paths::IDP_CONFIG)
    }

    /// The embedded IdP's configuration of the case.
    pub fn idp_config(&self) -> crate::idp::Config {
        serde_json::from_str(self.idp_config_json()).expect("`render` writes the config as JSON")
    }

    /// Keycloak's realm of the case (a RealmRepresentation), for a case with `stack.idp: keycloak`.
    pub fn keycloak_realm(&self) -> Option<serde_json::Value> {
        self.0
            .get(paths::KEYCLOAK_REALM)
            .map(|t| serde_json::from_str(t).expect("`render` writes the realm as JSON"))
    }

    /// The files one component reads (`opensearch/`, `dashboards/`, `caddy/`, …): each path without that folder,
    /// and its contents.
    pub fn of_component<'a>(
        &'a self,
        component: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0.iter().filter_map(move |(p, c)| {
            p.strip_prefix(component)
                .and_then(|rest| rest.strip_prefix('/'))
                .map(|rest| (rest, c.as_str()))
        })
    }

    /// Writes every file under `dir` (private keys readable by their owner only).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        write_files(self.0.iter().map(|(p, c)| (p.as_str(), c.as_str())), dir)
    }

    /// Writes the files of one component (`of_component`) under `dir`, as that component's own folder.
    pub fn write_component(&self, component: &str, dir: &Path) -> std::io::Result<()> {
        write_files(self.of_component(component), dir)
    }
}

/// The one place that writes rendered files: private keys readable by their owner only.
fn write_files<'a>(
    files: impl Iterator<Item = (&'a str, &'a str)>,
    dir: &Path,
) -> std::io::Result<()> {
    for (rel, contents) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents)?;
        #[cfg(unix)]
        if rel.ends_with("-key.pem") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Everything rendering reads.
pub struct Inputs<'a> {
    pub case: &'a Case,
    pub topology: &'a Topology,
    pub certs: &'a RunCertificates,
    pub secrets: &'a Secrets,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot hash the password of internal user `{user}`: {source}")]
    Bcrypt {
        user: String,
        source: bcrypt::BcryptError,
    },
    #[error("cannot write YAML for {file}: {message}")]
    Yaml { file: String, message: String },
    #[error("cannot write JSON for {file}: {message}")]
    Json { file: String, message: String },
}

/// The files of one case.
pub fn render(inputs: &Inputs) -> Result<RunFiles, RenderError> {
    let mut files = RunFiles::default();
    opensearch::render(inputs, &mut files)?;
    security::render(inputs, &mut files)?;
    dashboards::render(inputs, &mut files)?;
    caddy::render(inputs, &mut files);
    blueprint::render(inputs, &mut files)?;
    idp::render(inputs, &mut files)?;
    keycloak::render(inputs, &mut files)?;
    files.add(paths::CA, &inputs.certs.ca_cert);
    files.add("harness/admin.pem", &inputs.certs.admin.cert);
    files.add("harness/admin-key.pem", &inputs.certs.admin.key);
    Ok(files)
}

/// The placeholder values every component shares; each adds its own `tls.ca_file`.
pub fn placeholder_values(
    doc: &Document,
    topology: &Topology,
    certs: &RunCertificates,
    secrets: &Secrets,
) -> Values {
    let p = &doc.idp.provider;
    let idp_url = topology.idp_url();
    let issuer = match p.issuer_mode {
        IssuerMode::PerProvider => format!("{idp_url}/application/o/{}/", p.slug),
        IssuerMode::Global => format!("{idp_url}/"),
    };
    let mut values = Values::default()
        .with("idp.url", &idp_url)
        .with("idp.slug", &p.slug)
        .with("idp.issuer", issuer)
        .with(
            "idp.discovery_url",
            format!(
                "{idp_url}/application/o/{}/.well-known/openid-configuration",
                p.slug
            ),
        )
        .with("idp.client_id", &p.client_id)
        .with("idp.client_secret", secrets.client_secret(p))
        .with("dashboards.url", topology.dashboards_url())
        .with("opensearch.url", topology.opensearch_url())
        .with("tls.ca_pem", &certs.ca_cert);
    if doc.stack.idp == IdpProfile::Keycloak {
        let issuer = keycloak::issuer(doc, &idp_url);
        values = values
            .with("idp.realm", &doc.idp.keycloak.realm)
            .with(
                "idp.discovery_url",
                format!("{issuer}/.well-known/openid-configuration"),
            )
            .with("idp.issuer", issuer)
            .with("idp.client_id", keycloak::client_id(doc))
            .with("idp.client_secret", keycloak::client_secret(doc, secrets));
    } else {
        values = values.with("idp.realm", &doc.idp.keycloak.realm);
    }
    for name in doc.opensearch.security.internal_users.keys() {
        if let Some(pw) = secrets.internal_password(doc, name) {
            values = values.with(&format!("internal_users.{name}.password"), pw);
        }
    }
    values
}

/// YAML for OpenSearch and Dashboards, which read YAML 1.1: strings like `on` stay quoted, and long strings stay
/// on one line rather than folded (easier to read and to grep).
fn yaml(file: &str, value: &impl Serialize) -> Result<String, RenderError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    serde_saphyr::to_string_with_options(value, options).map_err(|e| RenderError::Yaml {
        file: file.to_owned(),
        message: e.to_string(),
    })
}
