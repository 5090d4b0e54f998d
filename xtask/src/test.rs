//! `cargo xtask test`: make sure what the tests need is installed, then run them with nextest — the fast tier by
//! default, everything with `--heavy`.
//!
//! The tiers are the nextest test group `heavy` (.config/nextest.toml, the one list of the tests that start
//! OpenSearch, Chromium or Docker): the fast tier is `not group(heavy)`, and skips what only those need — the
//! Docker engine, the offline images, and installing Chromium, chromedriver, Maven, docker.io and debootstrap.
//!
//! On a fresh machine (root, Debian) it installs what is missing: from Debian's packages Caddy (the tests validate
//! rendered Caddyfiles with it), shellcheck (actionlint checks the workflows' scripts with it) and docker-compose
//! (checks bundles, no engine needed), and for the heavy tier Chromium and chromedriver (browser tests), Maven
//! (fetches OpenSearch from Maven Central), docker.io and debootstrap (the containers backend and its images); from
//! PyPI jwcrypto (the JOSE library authentik uses, to check the embedded IdP's tokens); cargo-nextest from
//! crates.io (~4 minutes to build on 2 cores, once); actionlint from the Go module proxy into the cache's `bin/`
//! (the workflow tests run it). OpenSearch and a Java 21 runtime are fetched into the cache by the tests that need
//! them.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::setup::{ensure_apt_packages, is_root, run_checked, shown};

/// The fast tier: every test outside the `heavy` group. `group()` needs nextest 0.9.133 (`ensure_nextest`).
const FAST: &str = "not group(heavy)";

pub fn run(heavy: bool, nextest_args: &[String]) -> Result<ExitCode> {
    ensure_apt_packages(&[
        ("caddy", "caddy"),
        ("shellcheck", "shellcheck"),
        ("docker-compose", "docker-compose"),
    ])?;
    if heavy {
        ensure_apt_packages(crate::setup::NATIVE)?;
        ensure_apt_packages(&[("dockerd", "docker.io"), ("debootstrap", "debootstrap")])?;
    }
    ensure_python_module("jwcrypto")?;
    ensure_nextest()?;
    ensure_actionlint()?;
    // The containers backend's tests need an engine and the offline images (the stand-ins image carries this
    // very binary, so it is always built again: 10 s).
    let _engine = if heavy {
        let engine = DockerEngine::ensure()?;
        run_checked(Command::new(std::env::current_exe()?).args(["images"]))?;
        run_checked(Command::new(std::env::current_exe()?).args([
            "images",
            "--only",
            "stand-ins",
            "--rebuild",
        ]))?;
        Some(engine)
    } else {
        None
    };
    let mut cmd = Command::new("cargo");
    cmd.args(["nextest", "run", "--workspace"]);
    if std::env::var_os("CI").is_some() {
        cmd.args(["--profile", "ci"]);
    }
    cmd.args(if heavy {
        nextest_args.to_vec()
    } else {
        within(FAST, nextest_args)
    });
    eprintln!("$ {}", shown(&cmd));
    let status = cmd.status().context("running cargo nextest")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `args` with every filterset they give narrowed to `tier` (nextest runs the union of several `-E`, so adding
/// the tier's as one more would widen a selection), or the tier's filterset added when they give none.
fn within(tier: &str, args: &[String]) -> Vec<String> {
    let narrowed = |expr: &str| format!("({expr}) & ({tier})");
    let mut out = Vec::new();
    let mut found = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if ["-E", "--filterset", "--filter-expr"].contains(&arg.as_str()) {
            out.push(arg.clone());
            if let Some(expr) = args.next() {
                out.push(narrowed(expr));
                found = true;
            }
        } else if let Some((flag, expr)) = arg
            .split_once('=')
            .filter(|(flag, _)| ["--filterset", "--filter-expr"].contains(flag))
        {
            out.push(format!("{flag}={}", narrowed(expr)));
            found = true;
        } else if let Some(expr) = arg.strip_prefix("-E").filter(|e| !e.is_empty()) {
            out.push(format!("-E{}", narrowed(expr)));
            found = true;
        } else {
            out.push(arg.clone());
        }
    }
    if !found {
        out.splice(0..0, ["-E".to_owned(), tier.to_owned()]);
    }
    out
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

/// cargo-nextest, installed when missing or older than `group()` filtersets (0.9.133).
fn ensure_nextest() -> Result<()> {
    let version = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    match version.as_deref().map(nextest_version) {
        Some(Some(v)) if v >= (0, 9, 133) => return Ok(()),
        Some(_) => {
            eprintln!("updating cargo-nextest from crates.io (the tiers need 0.9.133 or later)")
        }
        None => eprintln!("installing cargo-nextest from crates.io (a few minutes, once)"),
    }
    run_checked(Command::new("cargo").args(["install", "cargo-nextest", "--locked"]))
}

/// `cargo-nextest 0.9.151 (6b3f99457 2026-11-02)` → (0, 9, 151).
fn nextest_version(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.split_whitespace().nth(1)?;
    let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_fast_tier_narrows_every_filterset_given_and_is_one_when_none_is() {
        assert_eq!(within(FAST, &[]), args(&["-E", FAST]));
        assert_eq!(
            within(FAST, &args(&["--no-fail-fast", "some_test"])),
            args(&["-E", FAST, "--no-fail-fast", "some_test"])
        );
        let narrowed = format!("(binary(malformed)) & ({FAST})");
        assert_eq!(
            within(FAST, &args(&["-E", "binary(malformed)"])),
            args(&["-E", &narrowed])
        );
        assert_eq!(
            within(FAST, &args(&["--filterset=binary(malformed)"])),
            args(&[&format!("--filterset={narrowed}")])
        );
        assert_eq!(
            within(
                FAST,
                &args(&["-Ebinary(malformed)", "--filter-expr", "test(x)"])
            ),
            args(&[
                &format!("-E{narrowed}"),
                "--filter-expr",
                &format!("(test(x)) & ({FAST})")
            ])
        );
    }

    #[test]
    fn nextest_versions_are_read() {
        assert_eq!(
            nextest_version("cargo-nextest 0.9.151 (6b3f99457 2026-11-02)\nrelease: 0.9.151"),
            Some((0, 9, 151))
        );
        assert_eq!(nextest_version("cargo-nextest 0.9.99"), Some((0, 9, 99)));
        assert_eq!(nextest_version("nonsense"), None);
    }
}
