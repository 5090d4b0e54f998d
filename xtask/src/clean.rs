//! `cargo xtask clean`: removes the containers and networks that runs of the containers backend left behind.

use std::process::ExitCode;

use anyhow::{Result, anyhow};

pub fn run() -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let swept = runtime
        .block_on(harness::containers::docker::sweep())
        .map_err(|e| anyhow!("{e}"))?;
    for c in &swept.containers {
        println!("removed container {c}");
    }
    for n in &swept.networks {
        println!("removed network {n}");
    }
    println!(
        "{} container(s) and {} network(s) removed; {} left alone (their harness is still running)",
        swept.containers.len(),
        swept.networks.len(),
        swept.live
    );
    Ok(ExitCode::SUCCESS)
}
