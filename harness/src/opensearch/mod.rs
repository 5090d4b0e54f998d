//! OpenSearch with its security plugin, run natively: the distribution from Maven Central, a Java runtime that
//! fits, the node's lifecycle, and the security REST API the harness swaps configuration through.

mod cluster_settings;
mod distribution;
mod jdk;
mod loggers;
mod node;
mod security_api;
pub mod settings;

pub use cluster_settings::apply_settings;
pub use distribution::{Distribution, DistributionError};
pub use jdk::{Jdk, JdkError, for_keytool as jdk_for_keytool, select as select_jdk};
pub use loggers::apply_loggers;
pub use node::{Node, NodeError, Trust, chown_tree, trust_store, without_missing_modules};
pub use security_api::{ApiError, apply_security};

use crate::certs::Pem;
use crate::topology::Topology;

/// The version the native backend runs by default: the newest in [`NATIVE_VERSIONS`].
pub const NATIVE_DEFAULT_VERSION: &str = "2.19.4";

/// The OpenSearch versions the native backend can fetch and run: Maven Central serves both the security plugin
/// zip (`org.opensearch.plugin:opensearch-security:<v>.0:zip`) and the integ-test zip
/// (`org.opensearch.distribution.integ-test-zip:opensearch:<v>:zip`) of each, and the plugin installs into it.
///
/// Checked on 2026-12-01 with `mvn` only: the versions either artifact's `maven-metadata.xml` lists (resolved
/// through a throwaway POM with an empty version range), plus 2.19.0–2.19.6, each probed by fetching the zip's
/// `.sha1` (`dependency:get`). The plugin is served for 2.11.1, 2.19.3, 2.19.4 and 3.4.0 only (not 2.19.0–2.19.2,
/// listed on 2026-11-28: what is served changes); the integ-test zip for all of those and more. Both zips of 2.11.1
/// and 3.4.0 came with `dependency:copy --strict-checksums`; 2.11.1 boots on Java 21 and passes
/// `tests/opensearch_node.rs`. 3.4.0 is left out: its plugin needs the `rule-framework` and `workload-management`
/// plugins, which the integ-test zip lacks and Maven Central does not serve as plugin zips.
pub const NATIVE_VERSIONS: &[&str] = &["2.11.1", "2.19.3", "2.19.4"];

/// What a running node has been given over its REST API: through `_cluster/settings`, so that a case without it
/// puts it back; through the security API, so that a document the node already has is not sent again.
#[derive(Clone, Debug, Default)]
pub struct Dynamic {
    /// The level of each logger the node has had one for (booted with, or set since): logger → `TRACE`, ….
    pub loggers: std::collections::BTreeMap<String, String>,
    /// The dynamic settings the last case set (a node boots without any: they are never in opensearch.yml).
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Each security document the node was given and read back as applied: file name → its rendered text.
    pub security: std::collections::BTreeMap<String, String>,
}

impl Dynamic {
    /// What a node booted with `case`'s files has.
    pub fn booted_with(case: &crate::scenario::Case) -> Dynamic {
        Dynamic {
            loggers: case
                .document
                .opensearch
                .loggers
                .iter()
                .map(|(n, l)| (n.clone(), loggers::level_name(l)))
                .collect(),
            // What it initialised its security index from is sent again all the same: the read-back is the proof.
            settings: Default::default(),
            security: Default::default(),
        }
    }
}

/// Gives the running node a case's loggers, dynamic settings and security configuration, all over its REST API
/// with the admin client (`known`: what earlier cases gave it, see [`apply_loggers`] and [`apply_settings`]).
pub async fn apply_case(
    admin: &reqwest::Client,
    url: &str,
    case: &crate::scenario::Case,
    files: &crate::render::RunFiles,
    known: &mut Dynamic,
) -> Result<(), ApiError> {
    apply_loggers(
        admin,
        url,
        &case.document.opensearch.loggers,
        &mut known.loggers,
    )
    .await?;
    apply_settings(admin, url, files, &mut known.settings).await?;
    apply_security(admin, url, files, &mut known.security).await
}

/// An HTTPS client for OpenSearch: trusts only the run CA, resolves the node's hostname to loopback, and presents
/// `identity` (the admin certificate) when given.
pub fn client(
    ca_pem: &str,
    topology: &Topology,
    identity: Option<&Pem>,
) -> Result<reqwest::Client, reqwest::Error> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], topology.opensearch_http_port));
    let mut b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes())?])
        .resolve(&topology.hosts.opensearch, addr)
        .timeout(std::time::Duration::from_secs(30));
    if let Some(id) = identity {
        b = b.identity(reqwest::Identity::from_pem(
            format!("{}{}", id.cert, id.key).as_bytes(),
        )?);
    }
    b.build()
}
