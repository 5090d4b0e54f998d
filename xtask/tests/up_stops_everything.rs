//! `cargo xtask up` leaves no process behind when interrupted: neither once the stack is up nor half-way through
//! starting it. Every process the stack starts carries the run folder in its command line or working folder, so
//! a scan of /proc finds any survivor.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Processes (other than the scan itself) whose command line or working folder mentions `needle`.
fn survivors(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let cwd = std::fs::read_link(entry.path().join("cwd"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if cmdline.contains(needle) || cwd.contains(needle) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

fn up(run_dir: &std::path::Path) -> std::process::Child {
    up_case(
        run_dir,
        "authentik-jwe",
        "jwe=off,roles_key=groups,auth=single",
    )
}

fn up_case(run_dir: &std::path::Path, scenario: &str, variant: &str) -> std::process::Child {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../scenarios/{scenario}.yaml"));
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "up",
            scenario.to_str().unwrap(),
            "--variant",
            variant,
            "--run-dir",
        ])
        .arg(run_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn interrupt_and_check(mut child: std::process::Child, run_dir: &std::path::Path) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            // Fail, but leave nothing running: SIGTERM stops `up` the same way, then its processes go with it.
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            let _ = child.wait();
            panic!("xtask up did not exit within 30 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let needle = run_dir.display().to_string();
    let left = survivors(&needle);
    assert!(
        left.is_empty(),
        "left running after Ctrl-C:\n{}",
        left.join("\n")
    );
}

#[test]
fn ctrl_c_once_the_stack_is_up_stops_everything() {
    let run = tempfile::Builder::new()
        .prefix("sso-harness-up-")
        .tempdir()
        .unwrap();
    let mut child = up(run.path());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let up_line = lines.find(|l| l.as_ref().is_ok_and(|l| l.contains(" is up ")));
    assert!(up_line.is_some(), "xtask up never said it was up");
    assert!(
        !survivors(&run.path().display().to_string()).is_empty(),
        "nothing ran in the run folder"
    );
    interrupt_and_check(child, run.path());
}

#[test]
fn ctrl_c_while_opensearch_is_starting_stops_everything() {
    let run = tempfile::Builder::new()
        .prefix("sso-harness-up-")
        .tempdir()
        .unwrap();
    let child = up(run.path());
    let needle = run.path().join("opensearch").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    while survivors(&needle).is_empty() {
        assert!(Instant::now() < deadline, "OpenSearch never started");
        std::thread::sleep(Duration::from_millis(200));
    }
    interrupt_and_check(child, run.path());
}

#[test]
fn ctrl_c_while_keycloak_is_starting_stops_everything() {
    let run = tempfile::Builder::new()
        .prefix("sso-harness-up-")
        .tempdir()
        .unwrap();
    let child = up_case(
        run.path(),
        "keycloak-jwe",
        "jwe=off,roles_key=groups,user=alice",
    );
    // Keycloak's JVM names its run home (`-Dkc.home.dir=<run>/keycloak/home`): it has started, not yet ready.
    let needle = run.path().join("keycloak").display().to_string();
    let deadline = Instant::now() + Duration::from_secs(300);
    while survivors(&needle).is_empty() {
        assert!(Instant::now() < deadline, "Keycloak never started");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    interrupt_and_check(child, run.path());
}
