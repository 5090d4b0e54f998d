//! What a command needs on this machine, installed when missing (as root on Debian) — so that each command of the
//! README sets itself up on a fresh machine: `e2e`, `up` and `bench` on the native backend need Caddy, Chromium,
//! chromedriver and Maven (which fetches OpenSearch); `test` needs those and more (`test.rs`).

use std::process::Command;

use anyhow::{Context, Result, bail};

/// The native backend's programs: Caddy (in front of the IdP and Dashboards), Chromium and chromedriver (the
/// browser), Maven (fetches OpenSearch and its security plugin from Maven Central).
pub const NATIVE: &[(&str, &str)] = &[
    ("caddy", "caddy"),
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
    ("mvn", "maven"),
];

/// (binary, Debian package) pairs: installs the packages whose binary is not on PATH.
pub fn ensure_apt_packages(needed: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(bin, _)| which::which(bin).is_err())
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if which::which("apt-get").is_err() || !is_root() {
        bail!(
            "this command needs {}: install them with your package manager (Debian: apt-get install {})",
            missing.join(", "),
            missing.join(" ")
        );
    }
    eprintln!("installing {} (apt-get)", missing.join(", "));
    let began = std::time::Instant::now();
    run_checked(Command::new("apt-get").args(["update", "-qq"]))?;
    run_checked(
        Command::new("apt-get")
            .args(["install", "-y", "-qq"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    eprintln!(
        "installed {} in {:.1} s",
        missing.join(", "),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub fn run_checked(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("running {}", shown(cmd)))?;
    if !status.success() {
        bail!("{} failed ({status})", shown(cmd));
    }
    Ok(())
}

pub fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}
