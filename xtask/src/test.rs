//! `cargo xtask test`: make sure what the tests need is installed, then run them with nextest.
//!
//! On a fresh machine (root, Debian) it installs what is missing: from Debian's packages Caddy (the tests validate
//! rendered Caddyfiles with it), Chromium and chromedriver (browser tests), Maven (fetches OpenSearch from Maven
//! Central) and shellcheck (actionlint checks the workflows' scripts with it); from PyPI jwcrypto (the JOSE library authentik uses, to check the embedded IdP's tokens); and
//! cargo-nextest from crates.io (~4 minutes to build on 2 cores, once); actionlint from the Go module proxy into
//! the cache's `bin/` (the workflow tests run it). OpenSearch and a Java 21 runtime are fetched into the cache by
//! the tests that need them.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::setup::{ensure_apt_packages, is_root, run_checked, shown};

pub fn run(nextest_args: &[String]) -> Result<ExitCode> {
    ensure_apt_packages(crate::setup::NATIVE)?;
    ensure_apt_packages(&[
        ("shellcheck", "shellcheck"),
        ("dockerd", "docker.io"),
        ("docker-compose", "docker-compose"),
        ("debootstrap", "debootstrap"),
    ])?;
    ensure_python_module("jwcrypto")?;
    ensure_nextest()?;
    ensure_actionlint()?;
    // The containers backend's tests need an engine and the offline images (the stand-ins image carries this
    // very binary, so it is always built again: 10 s).
    let _engine = DockerEngine::ensure()?;
    run_checked(Command::new(std::env::current_exe()?).args(["images"]))?;
    run_checked(Command::new(std::env::current_exe()?).args([
        "images",
        "--only",
        "stand-ins",
        "--rebuild",
    ]))?;
    let mut cmd = Command::new("cargo");
    cmd.args(["nextest", "run", "--workspace"]);
    if std::env::var_os("CI").is_some() {
        cmd.args(["--profile", "ci"]);
    }
    cmd.args(nextest_args);
    eprintln!("$ {}", shown(&cmd));
    let status = cmd.status().context("running cargo nextest")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ensure_python_module(module: &str) -> Result<()> {
    let present = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    eprintln!("installing {module} (pip)");
    run_checked(Command::new("python3").args(["-m", "pip", "install", "--quiet", module]))
}

fn ensure_nextest() -> Result<()> {
    let present = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    eprintln!("installing cargo-nextest from crates.io (a few minutes, once)");
    run_checked(Command::new("cargo").args(["install", "cargo-nextest", "--locked"]))
}

/// A Docker engine for the tests: the running one, or `dockerd` started here (as root) and stopped when the
/// tests are done.
struct DockerEngine {
    started: Option<std::process::Child>,
}

impl DockerEngine {
    fn ensure() -> Result<DockerEngine> {
        let answers = || {
            Command::new("docker")
                .arg("info")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if answers() {
            return Ok(DockerEngine { started: None });
        }
        if !is_root() {
            bail!("the tests need a Docker engine: start one (dockerd) or set DOCKER_HOST");
        }
        eprintln!("starting dockerd for the tests");
        let log = std::fs::File::create(std::env::temp_dir().join("sso-harness-dockerd.log"))?;
        let child = Command::new("dockerd")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting dockerd")?;
        let engine = DockerEngine {
            started: Some(child),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !answers() {
            if std::time::Instant::now() > deadline {
                bail!("dockerd did not answer within 60 s (log: /tmp/sso-harness-dockerd.log)");
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        Ok(engine)
    }
}

impl Drop for DockerEngine {
    fn drop(&mut self) {
        if let Some(child) = &mut self.started {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let _ = child.wait();
        }
    }
}

/// The actionlint the workflow tests run (`xtask/tests/workflows.rs` looks for it in the same two places).
const ACTIONLINT: &str = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12";

/// `<cache>/bin/actionlint`, installed with `go install` when neither it nor an `actionlint` on PATH is there.
fn ensure_actionlint() -> Result<()> {
    let bin: PathBuf = harness::cache::dir().join("bin");
    if bin.join("actionlint").is_file() || which::which("actionlint").is_ok() {
        return Ok(());
    }
    if which::which("go").is_err() {
        bail!(
            "the workflow tests need actionlint: install Go (Debian: apt-get install golang-go) and run `cargo xtask test` again, \
             or put actionlint on PATH"
        );
    }
    eprintln!(
        "installing actionlint into {} (go install {ACTIONLINT})",
        bin.display()
    );
    std::fs::create_dir_all(&bin)?;
    run_checked(
        Command::new("go")
            .args(["install", ACTIONLINT])
            .env("GOBIN", &bin),
    )
}
