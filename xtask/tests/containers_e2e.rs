//! `cargo xtask e2e --backend containers` leaves nothing in Docker when interrupted half-way. Every container and
//! network a run creates is labelled with the harness's pid, so the engine itself says what is left.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// `docker ps -a` / `docker network ls` lines of what carries `sso-harness.pid=<pid>`.
fn labelled(pid: u32) -> Vec<String> {
    let filter = format!("label=sso-harness.pid={pid}");
    let mut found = Vec::new();
    for (what, format) in [
        (vec!["ps", "-a"], "{{.Names}}"),
        (vec!["network", "ls"], "{{.Name}}"),
    ] {
        let out = Command::new("docker")
            .args(&what)
            .args(["--filter", &filter, "--format", format])
            .output()
            .expect("docker");
        assert!(out.status.success(), "docker {what:?} failed: {out:?}");
        found.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    found
}

/// Interrupts the harness if the test ends early: a failed assertion must not leave a run going.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGINT);
            let _ = self.0.wait();
        }
    }
}

#[test]
fn ctrl_c_during_a_containers_run_removes_its_containers_and_network() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/authentik-jwe.yaml");
    let report = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "e2e",
            "--backend",
            "containers",
            "--images",
            "local",
            "--scenario",
        ])
        .arg(&scenario)
        .args(["--variant", "*,roles_key=groups,auth=single", "--report"])
        .arg(report.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let pid = child.0.id();
    // Interrupt once OpenSearch's container exists (the browser's and Caddy's are up by then).
    let deadline = Instant::now() + Duration::from_secs(120);
    while !labelled(pid).iter().any(|n| n.ends_with("-opensearch")) {
        assert!(
            Instant::now() < deadline,
            "no OpenSearch container within 120 s"
        );
        assert!(child.0.try_wait().unwrap().is_none(), "e2e exited early");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(labelled(pid).len() >= 3, "{:?}", labelled(pid));
    kill(Pid::from_raw(pid as i32), Signal::SIGINT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "e2e did not exit within 60 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr: Vec<String> = BufReader::new(child.0.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(
        stderr.iter().any(|l| l.contains("interrupted")),
        "{stderr:?}"
    );
    assert_eq!(labelled(pid), Vec::<String>::new());
}
