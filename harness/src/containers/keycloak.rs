//! The real Keycloak in a run's containers (`services::keycloak`): started at the run's first Keycloak case and
//! kept for the rest of the run, as natively; each case's realm goes over its admin REST API
//! (`keycloak::Admin::apply`, only what changed) through the published HTTP port, exactly as the native backend
//! sends it. Ready when `/health/ready` on the management port answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::ContainersError;
use super::component::{self, Running};
use super::docker::{self, Network};
use super::images::{Image, LOCAL_PREFIX};
use super::services::{self, Deploy, KEYCLOAK_ADMIN_SECRET, Run};

pub struct Keycloak {
    pub running: Running,
    admin: crate::keycloak::Admin,
    /// The realm it serves now, as last applied (`None`: none of the harness's yet).
    realm: Option<Value>,
    /// From the container's start to `/health/ready`.
    pub started_in: Duration,
}

/// A local image that is not built, named with the command that builds it (nothing is pulled for it). Looked for
/// before a case starts anything, as the run's other images are before it starts: Keycloak's is needed only once a
/// case uses it.
pub async fn ensure_image(image: &Image) -> Result<(), ContainersError> {
    if image.name.starts_with(LOCAL_PREFIX)
        && !docker::has_image(&docker::connect()?, &image.to_string()).await
    {
        return Err(ContainersError::MissingImages {
            missing: image.to_string(),
            hint: " --only keycloak".into(),
        });
    }
    Ok(())
}

impl Keycloak {
    /// Keycloak's container on the run's network, ready.
    pub async fn start(
        image: &Image,
        idp_url: &str,
        run: &Run<'_>,
        network: &Arc<Network>,
    ) -> Result<Keycloak, ContainersError> {
        let begun = Instant::now();
        let spec = services::keycloak(image, idp_url, &Deploy::Run(*run));
        let running = component::start(spec, run.id, network, run.dir).await?;
        let ready = format!("http://127.0.0.1:{}", running.published(9000).await?);
        running
            .ready_over_http(&reqwest::Client::new(), &ready)
            .await?;
        let admin = crate::keycloak::Admin::new(
            &format!("http://127.0.0.1:{}", running.published(8080).await?),
            crate::keycloak::node::ADMIN_CLIENT_ID,
            &run.secrets.generate(KEYCLOAK_ADMIN_SECRET),
        );
        Ok(Keycloak {
            running,
            admin,
            realm: None,
            started_in: begun.elapsed(),
        })
    }

    /// Makes it serve `realm` (a case's RealmRepresentation). After a failure the realm is unknown: the next
    /// case's is sent whole.
    pub async fn apply(&mut self, realm: Value) -> Result<(), ContainersError> {
        let previous = self.realm.take();
        self.admin.apply(&realm, previous.as_ref()).await?;
        self.realm = Some(realm);
        Ok(())
    }
}
