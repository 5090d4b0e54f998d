//! `opensearch.yml` and the node's certificates.

use serde_json::{Map, Value, json};

use super::{Inputs, RenderError, RunFiles, yaml};
use crate::certs::{ADMIN_DN, NODE_DN};
use crate::scenario::wire_name;

pub fn render(i: &Inputs, files: &mut RunFiles) -> Result<(), RenderError> {
    let t = i.topology;
    let mut yml = Map::new();
    let mut set = |k: &str, v: Value| {
        yml.insert(k.to_owned(), v);
    };
    set("cluster.name", json!("sso-harness"));
    set("node.name", json!("harness-node"));
    set("discovery.type", json!("single-node"));
    set("network.host", json!(t.opensearch_bind));
    set("http.port", json!(t.opensearch_http_port));
    set("transport.port", json!(t.opensearch_transport_port));
    // PEM paths are read relative to the config folder.
    for layer in ["transport", "http"] {
        set(
            &format!("plugins.security.ssl.{layer}.pemcert_filepath"),
            json!("certs/node.pem"),
        );
        set(
            &format!("plugins.security.ssl.{layer}.pemkey_filepath"),
            json!("certs/node-key.pem"),
        );
        set(
            &format!("plugins.security.ssl.{layer}.pemtrustedcas_filepath"),
            json!("certs/ca.pem"),
        );
    }
    set(
        "plugins.security.ssl.transport.enforce_hostname_verification",
        json!(false),
    );
    set("plugins.security.ssl.http.enabled", json!(true));
    set(
        "plugins.security.allow_default_init_securityindex",
        json!(true),
    );
    set(
        "plugins.security.authcz.admin_dn",
        json!([ADMIN_DN.rfc2253()]),
    );
    set("plugins.security.nodes_dn", json!([NODE_DN.rfc2253()]));
    set(
        "plugins.security.restapi.roles_enabled",
        json!(["all_access", "security_rest_api_access"]),
    );
    // The harness swaps security config between cases over the REST API (with the admin certificate).
    set(
        "plugins.security.unsupported.restapi.allow_securityconfig_modification",
        json!(true),
    );
    for (logger, level) in &i.case.document.opensearch.loggers {
        set(&format!("logger.{logger}"), json!(wire_name(level)));
    }
    files.add(super::paths::OPENSEARCH_YML, yaml("opensearch.yml", &yml)?);
    files.add("opensearch/certs/ca.pem", &i.certs.ca_cert);
    files.add("opensearch/certs/node.pem", &i.certs.node.cert);
    files.add("opensearch/certs/node-key.pem", &i.certs.node.key);
    Ok(())
}
