//! The real authentik in containers: postgres (+ redis before 2025.10), the worker (which applies blueprints) and
//! the server, named as the IdP (Caddy forwards to it), configured by the rendered blueprint only. Started once
//! per run: a case's provider and users are its blueprint, applied again. And the headless login through which
//! the harness observes the tokens it issues.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ContainersError;
use super::component::{self, Running};
use super::docker::Network;
use super::images::Image;
use super::services::{self, Deploy, Run};
use crate::render::{RunFiles, paths};
use crate::scenario::Case;
use crate::stack::RunContext;
use crate::topology::AUTHENTIK_BLUEPRINTS;

pub struct Authentik {
    /// The IdP's container: Caddy forwards to it.
    pub server: Running,
    postgres: Running,
    redis: Option<Running>,
    /// Applies the blueprints of `blueprints`.
    worker: Running,
    blueprints: PathBuf,
}

/// The images authentik runs from.
pub struct Images<'a> {
    pub server: &'a Image,
    pub postgres: &'a Image,
    pub redis: Option<&'a Image>,
}

impl Authentik {
    /// Starts postgres (and redis), the worker and the server, then applies `blueprint`: ready once the server
    /// answers and the worker has applied the case's blueprint.
    pub async fn start(
        images: Images<'_>,
        blueprint: &str,
        run: &Run<'_>,
        network: &Arc<Network>,
    ) -> Result<Authentik, ContainersError> {
        let deploy = Deploy::Run(*run);
        let blueprints = PathBuf::from(deploy.blueprints());
        std::fs::create_dir_all(&blueprints)?;
        std::fs::write(blueprints.join(file_name()), blueprint)?;
        let start = |spec| component::start(spec, run.id, network, run.dir);
        let postgres = start(services::postgres(images.postgres, &deploy)).await?;
        let redis = match images.redis {
            Some(image) => Some(start(services::redis(image, &deploy)).await?),
            None => None,
        };
        let with_redis = redis.is_some();
        let worker = start(services::authentik_worker(
            images.server,
            with_redis,
            &deploy,
        ))
        .await?;
        let server = start(services::authentik_server(
            images.server,
            with_redis,
            &deploy,
        ))
        .await?;
        let origin = format!("http://127.0.0.1:{}", server.published(9000).await?);
        server
            .ready_over_http(&reqwest::Client::new(), &origin)
            .await?;
        let authentik = Authentik {
            server,
            postgres,
            redis,
            worker,
            blueprints,
        };
        authentik.apply_blueprint(blueprint).await?;
        Ok(authentik)
    }

    /// Writes the case's blueprint where the worker reads blueprints and applies it now (`ak apply_blueprint`
    /// exits non-zero when the blueprint is invalid), rather than waiting for the worker to notice the change.
    pub async fn apply_blueprint(&self, blueprint: &str) -> Result<(), ContainersError> {
        std::fs::write(self.blueprints.join(file_name()), blueprint)?;
        // The worker's path, relative to its blueprints root (`/blueprints`).
        let path = format!(
            "{}/{}",
            AUTHENTIK_BLUEPRINTS.trim_start_matches("/blueprints/"),
            file_name()
        );
        match self
            .worker
            .exec(&["ak", "apply_blueprint", path.as_str()])
            .await?
        {
            (Some(0), _) => Ok(()),
            (code, output) => Err(ContainersError::Blueprint {
                code,
                output: String::from_utf8_lossy(&output).into_owned(),
            }),
        }
    }

    /// Its containers.
    pub fn running(&self) -> impl Iterator<Item = &Running> {
        [&self.server, &self.postgres]
            .into_iter()
            .chain(self.redis.as_ref())
            .chain([&self.worker])
    }

    /// Removes its containers, the server first.
    pub async fn remove(self) {
        for r in [
            Some(self.server),
            Some(self.worker),
            self.redis,
            Some(self.postgres),
        ]
        .into_iter()
        .flatten()
        {
            let _ = r.remove().await;
        }
    }
}

/// The rendered blueprint's name, in the folder the worker reads.
fn file_name() -> &'static str {
    Path::new(paths::BLUEPRINT)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("the blueprint has a file name")
}

/// A token from the real authentik for `user`, as the current case's relying party would get it: the harness
/// logs the user in with no browser (`stack::headless`: discovery, then authentik's headless API) with the relying
/// party's client, through Caddy's published port.
pub async fn id_token(
    context: &RunContext,
    (case, files): (&Case, &RunFiles),
    files_dir: &Path,
    caddy_port: u16,
    user: &str,
) -> Option<String> {
    let scope = crate::stack::headless::dashboards_scope(files, files_dir);
    let caddy = std::net::SocketAddr::from(([127, 0, 0, 1], caddy_port));
    crate::stack::headless::id_token(context, caddy, case, &scope, user)
        .await
        .ok()
}
