//! Child processes that leave nothing behind: each runs in its own process group, and the whole group is ended
//! (SIGTERM, then SIGKILL after a grace period) on [`ProcessGroup::stop`] or drop — so the browsers chromedriver
//! starts, or the JVM a script starts, go with it.

use std::collections::HashMap;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::wait::{self, Look, Waited};

/// Why a process that was starting did not get ready, with the end of its log.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{name} exited while starting ({status}); the end of its log:\n{tail}")]
    Exited {
        name: String,
        status: std::process::ExitStatus,
        tail: String,
    },
    #[error("{name} was not ready ({ready}) within {limit:?}; the end of its log:\n{tail}")]
    NotReady {
        name: String,
        ready: String,
        limit: Duration,
        tail: String,
    },
}

impl StartError {
    /// `name`'s wait (`ProcessGroup::until_ready` for at most `limit`, until `ready`) ended without it.
    pub fn of(
        waited: Waited<std::process::ExitStatus>,
        name: &str,
        ready: &str,
        limit: Duration,
        tail: String,
    ) -> StartError {
        match waited {
            Waited::Failed(status) => StartError::Exited {
                name: name.to_owned(),
                status,
                tail,
            },
            Waited::TimedOut => StartError::NotReady {
                name: name.to_owned(),
                ready: ready.to_owned(),
                limit,
                tail,
            },
        }
    }
}

/// How long a group gets to exit after SIGTERM before SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

pub struct ProcessGroup {
    name: String,
    child: Child,
    stopped: bool,
}

impl ProcessGroup {
    /// Starts `cmd` as the leader of a new process group.
    pub fn spawn(name: &str, mut cmd: Command) -> io::Result<Self> {
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {name}: {e}")))?;
        Ok(ProcessGroup {
            name: name.to_owned(),
            child,
            stopped: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` if the leader has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits until `ready` answers true (asked at once, then every `every`, for at most `limit`); the leader's exit
    /// ends the wait at once. `StartError::of` says why it did not get ready.
    pub async fn until_ready(
        &mut self,
        limit: Duration,
        every: Duration,
        mut ready: impl AsyncFnMut() -> bool,
    ) -> Result<(), Waited<std::process::ExitStatus>> {
        wait::until(limit, every, async || {
            if let Some(status) = self.exited() {
                return Look::Failed(status);
            }
            if ready().await {
                Look::Ready(())
            } else {
                Look::NotYet
            }
        })
        .await
    }

    /// Ends the whole group: SIGTERM, up to `grace` to exit, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = Pid::from_raw(self.child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() && killpg(group, None).is_err() {
                return; // leader reaped and no process of the group is left
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.stop(GRACE);
    }
}

/// A free TCP port on loopback (bound and released: the caller binds it next), chosen at random below the kernel's
/// ephemeral range. A port from that range (what binding port 0 gives) can be taken by any outgoing connection
/// between this check and the component's own bind — OpenSearch once failed to bind its HTTP port so, in a test
/// run beside other runs —; below it only another listener can take it.
pub fn free_port() -> io::Result<u16> {
    use rand::Rng as _;
    let first_ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let range = 10_000..first_ephemeral.max(10_001);
    let mut rng = rand::rng();
    for _ in 0..200 {
        let port = rng.random_range(range.clone());
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs a short-lived helper (keytool, mvn, a plugin installer, pip) to its end and returns its output. It runs in
/// its own process group, which is killed if the future is dropped first (Ctrl-C during a start), so nothing it
/// started outlives the harness.
pub async fn output(mut cmd: Command) -> io::Result<std::process::Output> {
    cmd.process_group(0).stdin(std::process::Stdio::null());
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn()?;
    let guard = GroupGuard(child.id());
    let out = child.wait_with_output().await;
    std::mem::forget(guard); // finished: nothing left to kill
    out
}

/// Kills a process group when dropped.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}

/// Resident memory (KiB) of this process and every process it started, directly or not (OpenSearch's JVM, Caddy,
/// chromedriver and its browsers): what a native stack holds right now, also after a component restarted with a
/// new pid. Read from /proc; processes that vanish mid-read are skipped.
pub fn tree_rss_kib() -> u64 {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    // pid → (parent, resident KiB)
    let mut procs: HashMap<u32, (u32, u64)> = HashMap::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        };
        let parent = field("PPid:").unwrap_or(0) as u32;
        procs.insert(pid, (parent, field("VmRSS:").unwrap_or(0)));
    }
    let descends = |mut pid: u32| {
        // Bounded: a pid reused mid-read could make a cycle.
        for _ in 0..64 {
            if pid == me {
                return true;
            }
            match procs.get(&pid) {
                Some(&(parent, _)) if parent != 0 => pid = parent,
                _ => return false,
            }
        }
        false
    };
    procs
        .iter()
        .filter(|(pid, _)| descends(**pid))
        .map(|(_, (_, rss))| rss)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_ends_the_group_of_a_process_it_owned() {
        let pid = std::thread::spawn(|| {
            let mut cmd = Command::new("sleep");
            cmd.arg("300");
            let g = ProcessGroup::spawn("sleep", cmd).unwrap();
            let pid = g.pid();
            std::panic::panic_any(pid); // unwinding drops `g`
        })
        .join()
        .unwrap_err()
        .downcast::<u32>()
        .unwrap();
        assert!(
            killpg(Pid::from_raw(*pid as i32), None).is_err(),
            "the group survived the panic"
        );
    }

    #[test]
    fn stopping_a_group_ends_its_grandchildren_too() {
        // A shell that starts a background sleeper and waits: both are in the group.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 300 & echo $! ; wait"])
            .stdout(std::process::Stdio::piped());
        let mut g = ProcessGroup::spawn("sh", cmd).unwrap();
        let mut line = String::new();
        io::BufRead::read_line(
            &mut io::BufReader::new(g.child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let sleeper = Pid::from_raw(line.trim().parse().unwrap());
        assert!(
            nix::sys::signal::kill(sleeper, None).is_ok(),
            "the sleeper runs"
        );
        g.stop(Duration::from_secs(2));
        // The sleeper was our grandchild; once killed it is reaped by init, so it disappears.
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            nix::sys::signal::kill(sleeper, None).is_err()
        });
        assert!(gone, "the grandchild survived its group");
    }
}
