//! `opensearch.yml` and the node's certificates; a case's dynamic settings in `opensearch/cluster-settings.json`.

use serde_json::{Map, Value, json};

use super::{Inputs, RenderError, RunFiles, placeholder_values, yaml};
use crate::certs::{ADMIN_DN, NODE_DN};
use crate::opensearch::settings::{self, Kind};
use crate::scenario::wire_name;

/// The body of `PUT _cluster/settings` (`persistent`) that gives a node the case's dynamic settings
/// (`opensearch::apply_settings`); rendered only when the case has some.
pub const CLUSTER_SETTINGS: &str = "opensearch/cluster-settings.json";

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
    // The case's settings, laid over the harness's (the keys it must own were refused when the scenario loaded).
    // Static ones (and keys the table does not know) go into opensearch.yml. Dynamic ones do not: a value in
    // opensearch.yml is the node's fallback for as long as it runs, so a later case that leaves the setting out
    // (reset to `null` through `_cluster/settings`) would still get the first case's value, and the file, the node
    // and `plan`'s restart key would disagree. They go to the cluster-settings body instead, which the harness
    // applies on the running node, as it does loggers.
    let values = placeholder_values(&i.case.document, t, i.certs, i.secrets)
        .with("tls.ca_file", &t.opensearch_paths.ca_file);
    let mut cluster = Map::new();
    for leaf in settings::flatten(&i.case.document.opensearch.settings) {
        let value = values.substitute_all(&leaf.value);
        match settings::kind(&leaf.key) {
            Kind::Static => set(&leaf.key, value),
            Kind::Dynamic => {
                cluster.insert(leaf.key, value);
            }
        }
    }
    files.add(super::paths::OPENSEARCH_YML, yaml("opensearch.yml", &yml)?);
    if !cluster.is_empty() {
        let body = json!({ "persistent": cluster });
        files.add(
            CLUSTER_SETTINGS,
            serde_json::to_string_pretty(&body).expect("JSON values serialise") + "\n",
        );
    }
    files.add("opensearch/certs/ca.pem", &i.certs.ca_cert);
    files.add("opensearch/certs/node.pem", &i.certs.node.cert);
    files.add("opensearch/certs/node-key.pem", &i.certs.node.key);
    Ok(())
}
