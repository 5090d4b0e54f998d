//! A [`ServiceSpec`] carried out: a container of the run on its network, labelled as the run's, its output
//! followed into a file, and its readiness waited for.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use testcontainers::core::{AccessMode, ExecCommand, Host, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::ContainersError;
use super::docker::{self, COMPONENT_LABEL, LogFile, Network};
use super::services::{self, Ready, ServiceSpec, Source, Stream};
use crate::wait::{self, Look, Waited};

/// A running container of the run, and its output. It holds the run's network: the network goes when the last
/// container on it (or the stack) lets go of it, whatever order they are dropped in.
pub struct Running {
    pub name: String,
    /// `None` only once removed (by [`Running::remove`] or on drop). Boxed: testcontainers' handle is large.
    container: Option<Box<ContainerAsync<GenericImage>>>,
    pub log: LogFile,
    ready: Option<Ready>,
    _network: Arc<Network>,
}

/// Starts `spec`'s container on the run's network, with its files, environment and names, publishing its ports
/// (and the one its readiness is looked at through) on loopback. Returns once its `Ready::Logs` line is written;
/// a `Ready::Http` service is waited for with [`Running::ready_over_http`].
pub async fn start(
    spec: ServiceSpec,
    run: &str,
    network: &Arc<Network>,
    run_dir: &Path,
) -> Result<Running, ContainersError> {
    let mut image = GenericImage::new(&spec.image.name, &spec.image.tag);
    if let Some(Ready::Logs { stream, line }) = &spec.ready {
        image = image.with_wait_for(match stream {
            Stream::Stdout => WaitFor::message_on_stdout(*line),
            Stream::Stderr => WaitFor::message_on_stderr(*line),
        });
    }
    let mut publish = spec.publish.clone();
    if let Some(Ready::Http { port, .. }) = &spec.ready
        && !publish.contains(port)
    {
        publish.push(*port);
    }
    let mut labels: HashMap<String, String> = docker::labels(run);
    labels.insert(COMPONENT_LABEL.into(), spec.name.clone());
    let mut req = image
        .with_network(&network.name)
        .with_container_name(services::container_name(run, spec.service))
        .with_labels(labels)
        .with_startup_timeout(spec.startup)
        .with_host_config_modifier(docker::publish_on_loopback(&publish));
    for m in &spec.mounts {
        let mount = match &m.source {
            Source::Host(path) => Mount::bind_mount(path, &m.target),
            Source::Volume(name) => Mount::volume_mount(name, &m.target),
        };
        req = req.with_mount(if m.writable {
            mount
        } else {
            mount.with_access_mode(AccessMode::ReadOnly)
        });
    }
    for v in spec.all_env() {
        req = req.with_env_var(&v.name, &v.value);
    }
    for (name, ip) in &spec.extra_hosts {
        let addr = ip.parse().map_err(|e| ContainersError::Address {
            name: name.clone(),
            ip: ip.clone(),
            source: e,
        })?;
        req = req.with_host(name, Host::Addr(addr));
    }
    if !spec.command.is_empty() {
        req = req.with_cmd(&spec.command);
    }
    let container = req.start().await.map_err(|e| ContainersError::Start {
        name: spec.name.clone(),
        image: spec.image.to_string(),
        source: Box::new(e),
    })?;
    let logs = run_dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let log = LogFile::follow(
        &container,
        &logs.join(format!("{}-{}.log", spec.name, container.id())),
    )
    .await?;
    Ok(Running {
        name: spec.name,
        container: Some(Box::new(container)),
        log,
        ready: spec.ready,
        _network: network.clone(),
    })
}

impl Running {
    fn container(&self) -> &ContainerAsync<GenericImage> {
        self.container
            .as_ref()
            .expect("removed only by remove(self) or drop")
    }

    /// The loopback port `port` is published on.
    pub async fn published(&self, port: u16) -> Result<u16, ContainersError> {
        Ok(self.container().get_host_port_ipv4(port).await?)
    }

    /// Its address on the run's network.
    pub async fn address(&self) -> Result<String, ContainersError> {
        Ok(self.container().get_bridge_ip_address().await?.to_string())
    }

    /// Waits until it answers its `Ready::Http` path, asked with `client` at `origin` (scheme, host and the
    /// published port, as the harness reaches it); fails at once if the container exits meanwhile.
    pub async fn ready_over_http(
        &self,
        client: &reqwest::Client,
        origin: &str,
    ) -> Result<(), ContainersError> {
        let Some(Ready::Http {
            what,
            path,
            body,
            limit,
            every,
            ..
        }) = self.ready.clone()
        else {
            return Ok(());
        };
        let url = format!("{origin}{path}");
        let answered = wait::until(limit, every, async || {
            match self.container().is_running().await {
                Err(e) => return Look::Failed(ContainersError::from(e)),
                Ok(false) => {
                    return Look::Failed(ContainersError::Exited {
                        name: self.name.clone(),
                        tail: self.log.tail(30),
                    });
                }
                Ok(true) => {}
            }
            let Ok(r) = client.get(&url).send().await else {
                return Look::NotYet;
            };
            let ok = r.status().is_success()
                && match body {
                    None => true,
                    Some(b) => r.text().await.is_ok_and(|t| t.contains(b)),
                };
            if ok { Look::Ready(()) } else { Look::NotYet }
        })
        .await;
        answered.map_err(|e| match e {
            Waited::Failed(e) => e,
            Waited::TimedOut => ContainersError::NotReady {
                what: what.to_owned(),
                limit,
                tail: self.log.tail(30),
            },
        })
    }

    /// Runs `cmd` in the container: its exit code and its output.
    pub async fn exec(&self, cmd: &[&str]) -> Result<(Option<i64>, Vec<u8>), ContainersError> {
        let mut exec = self
            .container()
            .exec(ExecCommand::new(cmd.iter().copied()))
            .await?;
        let output = exec.stdout_to_vec().await.unwrap_or_default();
        Ok((exec.exit_code().await?, output))
    }

    /// Removes the container (then lets go of the network).
    pub async fn remove(mut self) -> Result<(), ContainersError> {
        if let Some(c) = self.container.take() {
            c.rm().await?;
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // The container first (testcontainers removes it on drop, waiting for the engine), and only then, as the
        // fields drop, this hold on the network: a network with a container on it cannot be removed.
        drop(self.container.take());
    }
}
