//! `cargo xtask render`: every file of the matching cases, written to a folder.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use harness::certs::RunCertificates;
use harness::render::{Inputs, render};
use harness::secrets::Secrets;
use harness::select;
use harness::topology::{Ports, Topology};

pub fn run(target: &str, variant: Option<&str>, out: &Path, dir: &Path) -> Result<ExitCode> {
    let paths = select::files(&[target.to_owned()], dir).map_err(|e| anyhow!(e))?;
    let (scenarios, errors) = select::load(&paths);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}\n");
        }
        bail!(
            "{} error(s) in the scenario file; nothing was written",
            errors.len()
        );
    }
    let cases: Vec<_> = scenarios
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| select::matches(c, variant))
        .collect();
    if cases.is_empty() {
        let all: Vec<String> = scenarios
            .iter()
            .flat_map(|s| &s.cases)
            .map(|c| c.name())
            .collect();
        bail!(
            "no case matches `--variant {}`; the cases are:\n  {}",
            variant.unwrap_or("*"),
            all.join("\n  ")
        );
    }
    let topology = Topology::native(Ports::default());
    let certs = RunCertificates::generate(&topology.hosts).context("generating certificates")?;
    let secrets = Secrets::random();
    let several = cases.len() > 1;
    for case in &cases {
        let files = render(&Inputs {
            case,
            topology: &topology,
            certs: &certs,
            secrets: &secrets,
        })
        .with_context(|| format!("rendering {}", case.name()))?;
        let dir = if several {
            out.join(case.variant.as_deref().unwrap_or(&case.scenario))
        } else {
            out.to_owned()
        };
        files
            .write_to(&dir)
            .with_context(|| format!("writing {}", dir.display()))?;
        println!(
            "{}: {} files in {}",
            case.name(),
            files.0.len(),
            dir.display()
        );
    }
    println!(
        "(native layout: Caddy on :{}, OpenSearch on :{}; files hold real secrets and keys)",
        topology.https_port, topology.opensearch_http_port
    );
    Ok(ExitCode::SUCCESS)
}
