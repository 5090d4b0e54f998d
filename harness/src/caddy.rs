//! Caddy (Debian's package) as the TLS edge of the IdP and Dashboards, run from the rendered `Caddyfile`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{ProcessGroup, StartError};
use crate::render::RunFiles;
use crate::topology::Topology;

#[derive(Debug, thiserror::Error)]
pub enum CaddyError {
    #[error("caddy not found: install Debian's `caddy` (cargo xtask test does it)")]
    Missing,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Start(#[from] crate::process::StartError),
}

pub struct Caddy {
    /// Held, not read: dropping it ends Caddy's whole process group.
    _process: ProcessGroup,
    log: PathBuf,
}

impl Caddy {
    /// Writes the case's `caddy/` files into `dir` and runs Caddy there (its state stays in `dir` too).
    pub async fn start(
        files: &RunFiles,
        topology: &Topology,
        dir: &Path,
    ) -> Result<Caddy, CaddyError> {
        let binary = which::which("caddy").map_err(|_| CaddyError::Missing)?;
        files.write_component("caddy", dir)?;
        let log = dir.join("caddy.log");
        let out = std::fs::File::create(&log)?;
        let mut cmd = Command::new(binary);
        cmd.args(["run", "--adapter", "caddyfile", "--config", "Caddyfile"])
            .current_dir(dir)
            .env("HOME", dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let mut process = ProcessGroup::spawn("caddy", cmd)?;
        let port = topology.https_port;
        let limit = Duration::from_secs(20);
        let ready = process
            .until_ready(limit, Duration::from_millis(50), async || {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
            })
            .await;
        if let Err(w) = ready {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let why = format!("listening on port {port}");
            return Err(StartError::of(w, "Caddy", &why, limit, tail).into());
        }
        Ok(Caddy {
            _process: process,
            log,
        })
    }

    /// Caddy's log (JSON lines: access logs of both sites, errors).
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}
