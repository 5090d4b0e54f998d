//! `cargo xtask compose`: a self-contained reproduction bundle of one case over the official images.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use harness::certs::RunCertificates;
use harness::compose;
use harness::containers::images::Images;
use harness::render::{Inputs, render};
use harness::scenario::IdpCertificate;
use harness::secrets::Secrets;
use harness::select;
use harness::versions::{Support, VersionSet};

pub fn run(
    scenario: &str,
    variant: Option<&str>,
    out: &Path,
    (set, support): (VersionSet, Support),
    overrides: &[(String, String)],
    dir: &Path,
) -> Result<ExitCode> {
    let case = select::one_case(Some(scenario), variant, dir).map_err(|e| anyhow!(e))?;
    let images = Images::official(&set, &support)
        .with_overrides(overrides)
        .map_err(|e| anyhow!(e))?;
    let topology = compose::topology();
    let certs = RunCertificates::generate(&topology.hosts).context("generating certificates")?;
    let secrets = Secrets::random();
    let files = render(&Inputs {
        case: &case,
        topology: &topology,
        certs: &certs,
        secrets: &secrets,
    })?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    compose::bundle_files(files).write_to(out)?;
    std::fs::write(
        out.join("compose.yaml"),
        compose::compose_yaml(&case, &images),
    )?;
    std::fs::write(out.join(".env"), compose::env_file(&case, &secrets))?;
    std::fs::write(out.join("README.md"), compose::readme(&case, &images))?;
    let runtime = tokio::runtime::Runtime::new()?;
    if case.document.stack.idp_certificate == IdpCertificate::Public {
        runtime.block_on(async {
            let cache = harness::cache::dir();
            let jdk = harness::opensearch::jdk_for_keytool(&cache).await?;
            let store_dir = out.join("opensearch");
            let store = harness::opensearch::trust_store(&jdk, &certs.ca_cert, &store_dir).await?;
            std::fs::rename(&store, out.join(compose::TRUSTSTORE))?;
            let _ = std::fs::remove_file(store_dir.join("run-ca.pem"));
            Ok::<_, anyhow::Error>(())
        })?;
    }
    if nix::unistd::geteuid().is_root() {
        for d in ["opensearch", "dashboards"] {
            harness::opensearch::chown_tree(&out.join(d), (1000, 1000))?;
        }
    }
    println!(
        "bundle for {} in {} (compose.yaml, README.md, .env with its secrets, rendered files, certificates)",
        case.name(),
        out.display()
    );
    println!("run it there with `docker compose up`; README.md says what should happen");
    Ok(ExitCode::SUCCESS)
}
