//! A running Keycloak: `kc.sh start --optimized` from the cached build, on loopback only, with a run home of its
//! own — the distribution's `bin/` copied (kc.sh finds its home from where it lies) and `lib/`, `conf/`,
//! `providers/`, `themes/` linked, and a fresh `data/` (the H2 database and the transaction log) — so no run
//! sees another's realms. Its admin is a bootstrap *client* (`KC_BOOTSTRAP_ADMIN_CLIENT_ID`/`_SECRET`: a
//! client-credentials service account in the master realm), so the harness never logs in with a password. Ready
//! when `/health/ready` on the management port answers 200: the HTTP port opens before bootstrap ends and answers
//! 503 until then.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Distribution;
use crate::opensearch::Jdk;
use crate::process::{ProcessGroup, StartError};

/// The bootstrap admin client's id (its secret is the run's).
pub const ADMIN_CLIENT_ID: &str = "sso-harness-admin";

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Start(#[from] crate::process::StartError),
}

/// Where Keycloak listens and what it calls itself.
#[derive(Clone, Debug)]
pub struct Listen {
    pub http_port: u16,
    pub management_port: u16,
    /// Its public origin (`https://idp.sso.test:8443`): `--hostname`, so every realm's issuer is
    /// `<origin>/realms/<realm>` whichever way a request came in (the harness's admin calls come direct).
    pub origin: String,
}

pub struct Node {
    process: ProcessGroup,
    dir: PathBuf,
    pub listen: Listen,
    pub admin_secret: String,
    pub started_in: Duration,
}

impl Node {
    /// Starts Keycloak in `dir` (its run home) and waits until it is ready.
    pub async fn start(
        dist: &Distribution,
        jdk: &Jdk,
        listen: Listen,
        admin_secret: &str,
        dir: &Path,
    ) -> Result<Node, NodeError> {
        let begun = Instant::now();
        let home = dir.join("home");
        if home.exists() {
            std::fs::remove_dir_all(&home)?;
        }
        std::fs::create_dir_all(home.join("bin"))?;
        std::fs::create_dir_all(home.join("data"))?;
        for entry in std::fs::read_dir(dist.home.join("bin"))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), home.join("bin").join(entry.file_name()))?;
            }
        }
        for linked in ["lib", "conf", "providers", "themes", "version.txt"] {
            std::os::unix::fs::symlink(dist.home.join(linked), home.join(linked))?;
        }
        let log_file = std::fs::File::create(dir.join("keycloak.log"))?;
        let mut cmd = Command::new(home.join("bin/kc.sh"));
        cmd.args(start_args(&listen))
            .env("JAVA_HOME", &jdk.home)
            .env("KC_BOOTSTRAP_ADMIN_CLIENT_ID", ADMIN_CLIENT_ID)
            .env("KC_BOOTSTRAP_ADMIN_CLIENT_SECRET", admin_secret)
            .env(
                "JAVA_OPTS_APPEND",
                format!("-Djava.io.tmpdir={}", dir.display()),
            )
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let process = ProcessGroup::spawn("keycloak", cmd)?;
        let mut node = Node {
            process,
            dir: dir.to_owned(),
            listen,
            admin_secret: admin_secret.to_owned(),
            started_in: Duration::ZERO,
        };
        node.wait_ready().await?;
        node.started_in = begun.elapsed();
        Ok(node)
    }

    /// Where the harness's admin calls go (direct, not through Caddy).
    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.listen.http_port)
    }

    async fn wait_ready(&mut self) -> Result<(), NodeError> {
        let limit = Duration::from_secs(240);
        let client = reqwest::Client::new();
        let url = format!(
            "http://127.0.0.1:{}/health/ready",
            self.listen.management_port
        );
        let ready = self
            .process
            .until_ready(limit, Duration::from_millis(500), async || {
                // Refused before the port opens; 503 during bootstrap.
                client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            })
            .await;
        ready.map_err(|w| {
            let why = "200 on /health/ready";
            StartError::of(w, "Keycloak", why, limit, self.tail(30)).into()
        })
    }

    /// The last `n` lines of Keycloak's log.
    pub fn tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    pub fn log(&self) -> PathBuf {
        self.dir.join("keycloak.log")
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Ends Keycloak's process group (kc.sh forwards TERM to its JVM; the group goes whole after the grace).
    pub fn stop(mut self) {
        self.process.stop(crate::process::GRACE);
    }
}

/// `kc.sh start --optimized` with what a run needs: plain HTTP on loopback (Caddy terminates TLS in front),
/// the management port on loopback, the public origin pinned, and forwarded headers trusted (Caddy's).
pub fn start_args(listen: &Listen) -> Vec<String> {
    vec![
        "start".into(),
        "--optimized".into(),
        "--http-enabled=true".into(),
        "--http-host=127.0.0.1".into(),
        format!("--http-port={}", listen.http_port),
        "--http-management-host=127.0.0.1".into(),
        format!("--http-management-port={}", listen.management_port),
        format!("--hostname={}", listen.origin),
        "--proxy-headers=xforwarded".into(),
    ]
}
