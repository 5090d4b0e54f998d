//! `opensearch_dashboards.yml`: the scenario's document with placeholders substituted, and where to listen.

use serde_json::{Value, json};

use super::{Inputs, RenderError, RunFiles, placeholder_values, yaml};

pub fn render(i: &Inputs, files: &mut RunFiles) -> Result<(), RenderError> {
    let doc = &i.case.document;
    let t = i.topology;
    let values = placeholder_values(doc, t, i.certs, i.secrets)
        .with("tls.ca_file", &t.dashboards_paths.ca_file);
    let Value::Object(mut config) =
        values.substitute_all(&Value::Object(doc.dashboards.config.clone()))
    else {
        unreachable!("a mapping stays a mapping")
    };
    // Mounting a config replaces the image's, which carried `server.host`; where it listens is the backend's call
    // unless the scenario says otherwise.
    config
        .entry("server.host")
        .or_insert(json!(t.dashboards_bind));
    config
        .entry("server.port")
        .or_insert(json!(t.dashboards_port));
    files.add(
        super::paths::DASHBOARDS_YML,
        yaml("opensearch_dashboards.yml", &config)?,
    );
    files.add("dashboards/certs/ca.pem", &i.certs.ca_cert);
    Ok(())
}
