//! OpenSearch with its security plugin, run natively: the distribution from Maven Central, a Java runtime that
//! fits, the node's lifecycle, and the security REST API the harness swaps configuration through.

mod distribution;
mod jdk;
mod node;
mod security_api;

pub use distribution::{Distribution, DistributionError};
pub use jdk::{Jdk, JdkError, for_keytool as jdk_for_keytool, select as select_jdk};
pub use node::{Node, NodeError, Trust, chown_tree, trust_store, without_missing_modules};
pub use security_api::{ApiError, apply_security};

use crate::certs::Pem;
use crate::topology::Topology;

/// The version the native backend runs by default: the newest whose security plugin is on Maven Central.
pub const NATIVE_DEFAULT_VERSION: &str = "2.19.4";

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
