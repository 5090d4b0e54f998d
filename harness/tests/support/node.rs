//! Shared by the tests that boot a real OpenSearch node: the default version's Java and distribution (from the
//! cache), a native topology on free ports, every case rendered, and the first case's node started in a folder
//! OpenSearch's user can read.

use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use harness::certs::RunCertificates;
use harness::opensearch::{self, Distribution, NATIVE_DEFAULT_VERSION, Node, Trust};
use harness::render::{Inputs, RunFiles, render};
use harness::scenario::Case;
use harness::secrets::Secrets;
use harness::topology::{Ports, Topology};

/// A running node and what it was made from. Bind `dir` first when taking it apart (`let Booted { dir: _dir, node,
/// .. }`): locals drop in reverse, so the node stops before its folder goes.
pub struct Booted {
    pub node: Node,
    pub topology: Topology,
    pub certs: RunCertificates,
    /// Each case's files, in the order of the cases; the node runs the first.
    pub files: Vec<RunFiles>,
    pub dir: tempfile::TempDir,
}

/// Boots `NATIVE_DEFAULT_VERSION` with `cases[0]`'s files, in a temporary folder named `prefix…`.
pub async fn boot(cases: &[Case], prefix: &str) -> Booted {
    let cache = harness::cache::dir();
    let version = NATIVE_DEFAULT_VERSION;
    let jdk = opensearch::select_jdk(version, &cache)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::now();
    let dist = Distribution::ensure(version, &cache, &jdk, &|m| eprintln!("{m}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "distribution ready in {:?} (Java {} at {})",
        t.elapsed(),
        jdk.major,
        jdk.home.display()
    );
    let free = || harness::process::free_port().unwrap();
    let topology = Topology::native(Ports {
        https: free(),
        idp: free(),
        dashboards: free(),
        opensearch_http: free(),
        opensearch_transport: free(),
        keycloak: free(),
    });
    let certs = RunCertificates::generate(&topology.hosts).unwrap();
    let secrets = Secrets::random();
    let files: Vec<_> = cases
        .iter()
        .map(|case| {
            render(&Inputs {
                case,
                topology: &topology,
                certs: &certs,
                secrets: &secrets,
            })
            .unwrap()
        })
        .collect();
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let node = Node::start(
        &dist,
        &jdk,
        &files[0],
        &topology,
        Trust::SystemAndRunCa,
        dir.path(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("OpenSearch {version} security UP in {:?}", node.started_in);
    Booted {
        node,
        topology,
        certs,
        files,
        dir,
    }
}
