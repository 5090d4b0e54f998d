//! The Docker side of a run that testcontainers does not cover: the run's labelled network, following a
//! container's output into a file, publishing ports on loopback only, and sweeping leftovers by label.
//!
//! Every container and network of a run carries [`RUN_LABEL`] (the run's id) and [`PID_LABEL`] (the harness's
//! process), so `cargo xtask clean` finds what a killed run left behind and leaves live runs alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use testcontainers::bollard::Docker;
use testcontainers::bollard::models::{HostConfig, NetworkCreateRequest, PortBinding};
use testcontainers::bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder,
    StatsOptionsBuilder,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

pub const RUN_LABEL: &str = "sso-harness.run";
pub const PID_LABEL: &str = "sso-harness.pid";
pub const COMPONENT_LABEL: &str = "sso-harness.component";

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "cannot reach a Docker engine ({0}): start one (Debian: `apt-get install docker.io`, then `dockerd`), or set \
         DOCKER_HOST"
    )]
    Unreachable(String),
    #[error("Docker: {0}")]
    Api(#[from] testcontainers::bollard::errors::Error),
}

pub fn connect() -> Result<Docker, DockerError> {
    let docker =
        Docker::connect_with_defaults().map_err(|e| DockerError::Unreachable(e.to_string()))?;
    Ok(docker)
}

/// Fails fast, with how to fix it, when no engine answers.
pub async fn ping() -> Result<Docker, DockerError> {
    let docker = connect()?;
    docker
        .ping()
        .await
        .map_err(|e| DockerError::Unreachable(e.to_string()))?;
    Ok(docker)
}

/// The labels of everything a run creates.
pub fn labels(run: &str) -> HashMap<String, String> {
    HashMap::from([
        (RUN_LABEL.to_owned(), run.to_owned()),
        (PID_LABEL.to_owned(), std::process::id().to_string()),
    ])
}

/// A run's own bridge network (its containers find each other by name on it). Removed on drop: the stack and
/// each of its containers (`component::Running`) hold it in an `Arc`, so it goes after the last container.
pub struct Network {
    pub name: String,
}

impl Network {
    pub async fn create(run: &str) -> Result<Network, DockerError> {
        let docker = connect()?;
        let name = format!("sso-harness-{run}");
        docker
            .create_network(NetworkCreateRequest {
                name: name.clone(),
                labels: Some(labels(run)),
                ..Default::default()
            })
            .await?;
        Ok(Network { name })
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside or outside a runtime: a thread of its own can always block on the removal.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let docker = connect().ok()?;
                docker.remove_network(&name).await.ok()
            })
        })
        .join();
    }
}

/// Publishes `ports` of a container on 127.0.0.1 only (testcontainers publishes on every interface), each on a
/// free port Docker picks.
pub fn publish_on_loopback(ports: &[u16]) -> impl Fn(&mut HostConfig) + Send + Sync + 'static {
    let ports = ports.to_vec();
    move |hc: &mut HostConfig| {
        hc.publish_all_ports = Some(false);
        hc.port_bindings = Some(
            ports
                .iter()
                .map(|p| {
                    (
                        format!("{p}/tcp"),
                        Some(vec![PortBinding {
                            host_ip: Some("127.0.0.1".into()),
                            host_port: Some(String::new()),
                        }]),
                    )
                })
                .collect(),
        );
    }
}

/// A container's output (stdout and stderr, interleaved as they come), copied line by line into a file, so a case
/// reads the lines written since it began as with a native process's log.
pub struct LogFile {
    pub path: PathBuf,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl LogFile {
    pub async fn follow<I: testcontainers::Image>(
        container: &testcontainers::ContainerAsync<I>,
        path: &Path,
    ) -> std::io::Result<LogFile> {
        let file = tokio::fs::File::create(path).await?;
        let file = std::sync::Arc::new(tokio::sync::Mutex::new(file));
        let mut tasks = Vec::new();
        for mut stream in [container.stdout(true), container.stderr(true)] {
            let file = file.clone();
            tasks.push(tokio::spawn(async move {
                let mut line = String::new();
                while stream.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                    let mut f = file.lock().await;
                    let _ = f.write_all(line.as_bytes()).await;
                    let _ = f.flush().await;
                    line.clear();
                }
            }));
        }
        Ok(LogFile {
            path: path.to_owned(),
            tasks,
        })
    }

    pub fn offset(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    pub fn since(&self, offset: u64) -> Vec<String> {
        let text = std::fs::read(&self.path).unwrap_or_default();
        let start = (offset as usize).min(text.len());
        String::from_utf8_lossy(&text[start..])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn tail(&self, n: usize) -> String {
        let lines = self.since(0);
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What a sweep removed.
#[derive(Debug, Default)]
pub struct Swept {
    pub containers: Vec<String>,
    pub networks: Vec<String>,
    /// Left alone: their harness process is still running.
    pub live: usize,
}

/// Removes every container and network of earlier runs (by [`RUN_LABEL`]) whose harness process is gone.
pub async fn sweep() -> Result<Swept, DockerError> {
    let alive = |labels: &HashMap<String, String>| {
        labels
            .get(PID_LABEL)
            .and_then(|p| p.parse::<i32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
    };
    remove_labelled(RUN_LABEL, &alive).await
}

/// Removes every container and network this process created (by its [`PID_LABEL`]). After an interruption: one
/// cut short inside testcontainers' start exists in the engine before the harness has a handle to remove it by.
pub async fn remove_own() -> Result<Swept, DockerError> {
    remove_labelled(&format!("{PID_LABEL}={}", std::process::id()), &|_| false).await
}

/// Removes the containers, then the networks, that carry `label` (`key` or `key=value`), but those `keep` spares.
async fn remove_labelled(
    label: &str,
    keep: &dyn Fn(&HashMap<String, String>) -> bool,
) -> Result<Swept, DockerError> {
    let docker = ping().await?;
    let filters = HashMap::from([("label", vec![label])]);
    let mut swept = Swept::default();
    let no_labels = HashMap::new();
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await?;
    for c in containers {
        if keep(c.labels.as_ref().unwrap_or(&no_labels)) {
            swept.live += 1;
            continue;
        }
        let id = c.id.unwrap_or_default();
        docker
            .remove_container(
                &id,
                Some(
                    RemoveContainerOptionsBuilder::default()
                        .force(true)
                        .v(true)
                        .build(),
                ),
            )
            .await?;
        swept.containers.push(
            c.names
                .and_then(|n| n.first().cloned())
                .unwrap_or(id)
                .trim_start_matches('/')
                .to_owned(),
        );
    }
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await?;
    for n in networks {
        if keep(n.labels.as_ref().unwrap_or(&no_labels)) {
            swept.live += 1;
            continue;
        }
        let name = n.name.unwrap_or_default();
        docker.remove_network(&name).await?;
        swept.networks.push(name);
    }
    Ok(swept)
}

/// What the run's running containers hold in memory now, summed, in KiB (the engine's figure for each: its
/// cgroup's usage).
pub async fn memory_kib(run: &str) -> Result<u64, DockerError> {
    use futures_util::StreamExt;
    let docker = connect()?;
    let label = format!("{RUN_LABEL}={run}");
    let filters = HashMap::from([("label", vec![label.as_str()])]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await?;
    let mut total = 0;
    for c in containers {
        let once = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(true)
            .build();
        let mut stats = docker.stats(&c.id.unwrap_or_default(), Some(once));
        if let Some(Ok(s)) = stats.next().await {
            total += s.memory_stats.and_then(|m| m.usage).unwrap_or(0);
        }
    }
    Ok(total / 1024)
}

/// Whether an image is present in the engine (nothing is pulled).
pub async fn has_image(docker: &Docker, reference: &str) -> bool {
    docker.inspect_image(reference).await.is_ok()
}
