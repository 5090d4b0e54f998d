//! Rendering: a case, the topology, the run's certificates and secrets → every file the components read.
//! Pure functions: no I/O here (`RunFiles::write_to` is the one place that writes).

mod blueprint;
mod caddy;
mod dashboards;
mod opensearch;
mod security;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::certs::RunCertificates;
use crate::scenario::placeholder::Values;
use crate::scenario::{Case, Document, IssuerMode};
use crate::secrets::Secrets;
use crate::topology::Topology;

/// Relative path → contents, for one case. Paths are grouped by the component that reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFiles(pub BTreeMap<String, String>);

impl RunFiles {
    fn add(&mut self, path: &str, contents: impl Into<String>) {
        self.0.insert(path.to_owned(), contents.into());
    }

    /// Writes every file under `dir` (private keys readable by their owner only).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (rel, contents) in &self.0 {
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
}

/// The files of one case.
pub fn render(inputs: &Inputs) -> Result<RunFiles, RenderError> {
    let mut files = RunFiles::default();
    opensearch::render(inputs, &mut files)?;
    security::render(inputs, &mut files)?;
    dashboards::render(inputs, &mut files)?;
    caddy::render(inputs, &mut files);
    blueprint::render(inputs, &mut files)?;
    files.add("harness/ca.pem", &inputs.certs.ca_cert);
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
