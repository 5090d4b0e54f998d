//! A run's stack in containers: Caddy, OpenSearch, the IdP, Dashboards and the browser on a network of the run's
//! own, each from its description in `services`. Caddy starts first and never restarts: the others find
//! `idp.sso.test` and `dashboards.sso.test` at its address (`extra_hosts`), as the browser does
//! (`--host-resolver-rules`); a case whose Caddyfile leads the IdP's name elsewhere (to Keycloak, and back) has it
//! reloaded in place (`caddy::reload`). Between cases the security configuration goes over the REST API; a
//! component whose own files change gets a new container (and a new log), as `plan::Plan` says. Keycloak starts at
//! the run's first Keycloak case and serves the rest of them, each case's realm over its admin API.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ContainersError;
use super::authentik::{self, Authentik};
use super::component::{self, Running};
use super::docker::{self, Network};
use super::images::{self, IdpImages, Images};
use super::keycloak::Keycloak;
use super::services::{self, Deploy, IMAGE_UID, Run, Service};
use crate::browser;
use crate::opensearch::{self, Trust};
use crate::plan::{self, Plan};
use crate::render::RunFiles;
use crate::run::StackError;
use crate::scenario::{Case, IdpProfile};
use crate::stack::RunContext;
use crate::topology::Topology;

/// `impl run::Target`: what a case needs of the stack.
mod target;

/// What a run of the containers backend is asked for.
#[derive(Clone, Debug)]
pub struct Options {
    pub images: Images,
    /// Where the run's files and container logs go (holds secrets: keep it out of reports).
    pub run_dir: PathBuf,
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub opensearch_boot: Duration,
    /// Keycloak's container start to ready, when a case used it.
    pub keycloak_boot: Duration,
}

/// The IdP's containers.
enum Idp {
    Embedded(Running),
    Authentik(Box<Authentik>),
}

impl Idp {
    fn running(&self) -> Box<dyn Iterator<Item = &Running> + '_> {
        match self {
            Idp::Embedded(r) => Box::new(std::iter::once(r)),
            Idp::Authentik(a) => Box::new(a.running()),
        }
    }

    async fn remove(self) {
        match self {
            Idp::Embedded(r) => {
                let _ = r.remove().await;
            }
            Idp::Authentik(a) => a.remove().await,
        }
    }
}

pub struct Stack {
    pub context: RunContext,
    pub images: Images,
    pub run_dir: PathBuf,
    pub timings: Timings,
    run: String,
    /// Each new container's files get a folder of their own (`files-<n>`).
    generation: u32,
    caddy_ip: String,
    /// Caddy's 443 published on loopback: for a person's browser (`up`); the harness's browser is on the network.
    caddy_port: u16,
    opensearch_ip: String,
    opensearch_port: u16,
    driver_url: String,
    /// The run's browser session (`run::Target::warm_browser`), in the browser container.
    session: Option<browser::Browser>,
    caddy: Running,
    browser: Running,
    opensearch: Option<Running>,
    idp: Option<Idp>,
    /// Keycloak, started by the first case that uses it and kept for the rest of the run.
    keycloak: Option<Keycloak>,
    dashboards: Option<Running>,
    /// Caddy's mounted folder, and the Caddyfile it serves now (a Keycloak case's leads the IdP's name to Keycloak).
    caddy_dir: PathBuf,
    caddyfile: String,
    /// What each component serves now (`plan`: the one place that decides what a case restarts).
    serving: plan::Serving,
    /// What the node has been given over REST (`opensearch::Dynamic`: loggers and dynamic settings, which a case
    /// without them puts back; security documents, not sent again unchanged).
    dynamic: opensearch::Dynamic,
    /// The case the stack serves now, and its files.
    current: Option<(Case, RunFiles)>,
    /// The run's network. Every container holds it too: it is removed when the last of them lets go.
    network: Arc<Network>,
}

impl Stack {
    /// Starts everything for `case`. `progress` hears about each phase.
    pub async fn start(
        case: &Case,
        options: &Options,
        progress: &dyn Fn(&str),
    ) -> Result<Stack, StackError> {
        Ok(Stack::start_with(case, options, progress).await?)
    }

    async fn start_with(
        case: &Case,
        options: &Options,
        progress: &dyn Fn(&str),
    ) -> Result<Stack, ContainersError> {
        progress("connecting to the Docker engine");
        let engine = docker::ping().await?;
        missing_images(&engine, &options.images).await?;
        std::fs::create_dir_all(&options.run_dir)?;
        let run: String = {
            use rand::distr::{Alphanumeric, SampleString};
            Alphanumeric
                .sample_string(&mut rand::rng(), 8)
                .to_lowercase()
        };
        let network = Arc::new(Network::create(&run).await?);
        let context = RunContext::new(Topology::containers(
            &services::container_name(&run, Service::Idp),
            &services::container_name(&run, Service::Dashboards),
            &services::container_name(&run, Service::Keycloak),
        ))?;
        let files = context.render(case)?;
        let dir = options.run_dir.join("files-0");
        files.write_to(&dir)?;
        let start = async |spec| component::start(spec, &run, &network, &options.run_dir).await;
        let hosts = &context.topology.hosts;
        let deploy = Deploy::Run(Run {
            id: &run,
            files: &dir,
            dir: &options.run_dir,
            secrets: &context.secrets,
            caddy_ip: "",
            opensearch_ip: "",
        });

        progress(&format!("starting Caddy ({})", options.images.caddy));
        let caddy = start(services::caddy(&options.images.caddy, hosts, &deploy)).await?;
        let caddy_ip = caddy.address().await?;
        let caddy_port = caddy.published(443).await?;
        progress(&format!(
            "starting the browser ({})",
            options.images.browser
        ));
        let browser = start(services::browser(&options.images.browser, &deploy)).await?;
        let driver_url = format!("http://127.0.0.1:{}", browser.published(9515).await?);

        let mut stack = Stack {
            context,
            images: options.images.clone(),
            run_dir: options.run_dir.clone(),
            timings: Timings::default(),
            run,
            generation: 0,
            caddy_ip,
            caddy_port,
            opensearch_ip: String::new(),
            opensearch_port: 0,
            driver_url,
            session: None,
            caddy,
            browser,
            opensearch: None,
            idp: None,
            keycloak: None,
            dashboards: None,
            caddy_dir: dir.join("caddy"),
            caddyfile: caddyfile(&files),
            serving: plan::Serving::default(),
            dynamic: Default::default(),
            current: None,
            network,
        };
        stack.apply_with(case, progress).await?;
        Ok(stack)
    }

    /// Makes the running stack serve `case`; returns the case's files and what it restarted for it.
    pub async fn apply(&mut self, case: &Case) -> Result<(RunFiles, Vec<String>), StackError> {
        Ok(self.apply_with(case, &|_| {}).await?)
    }

    async fn apply_with(
        &mut self,
        case: &Case,
        progress: &dyn Fn(&str),
    ) -> Result<(RunFiles, Vec<String>), ContainersError> {
        let files = self.context.render(case)?;
        let keys = plan::Keys::of(case);
        let keycloak_case = case.document.stack.idp == IdpProfile::Keycloak;
        let plan = match Plan::between(&self.serving, &keys) {
            // A Keycloak case leaves the run's other IdP as it is (Caddy leads the IdP's name away from it): what
            // it serves is still what the plan compares the next case of that IdP with.
            plan if keycloak_case => Plan { idp: None, ..plan },
            plan => plan,
        };
        let mut restarted = plan.restarts();
        if keycloak_case && self.keycloak.is_none() {
            super::keycloak::ensure_image(&self.images.keycloak).await?;
        }
        if plan.opensearch.is_some() {
            progress(&format!("starting OpenSearch ({})", self.images.opensearch));
            if let Some(old) = self.opensearch.take() {
                self.serving.opensearch = None;
                old.remove().await?;
            }
            let dir = self.fresh_files(&files)?;
            self.start_opensearch(&dir, case).await?;
            self.serving.opensearch = Some(keys.opensearch.clone());
            self.dynamic = opensearch::Dynamic::booted_with(case);
        }
        let (admin, url) = self.opensearch_client(Some(&self.context.certs.admin))?;
        opensearch::apply_case(&admin, &url, case, &files, &mut self.dynamic).await?;

        // Tokens of earlier cases are not this case's. (The folder itself stays: the IdP's container mounts it.)
        let tokens = self.run_dir.join("tokens");
        std::fs::create_dir_all(&tokens)?;
        for entry in std::fs::read_dir(&tokens)? {
            std::fs::remove_file(entry?.path())?;
        }
        if nix::unistd::geteuid().is_root() {
            opensearch::chown_tree(&tokens, IMAGE_UID)?;
        }
        if plan.idp.is_some() {
            self.serving.idp = None;
            match (self.images.idp.clone(), &self.idp) {
                (IdpImages::Embedded(image), _) => {
                    progress("starting the IdP");
                    if let Some(old) = self.idp.take() {
                        old.remove().await;
                    }
                    // `fresh_files` writes the case's `idp/config.json` there.
                    let dir = self.fresh_files(&files)?;
                    let spec = services::embedded_idp(&image, &self.site(&dir));
                    self.idp = Some(Idp::Embedded(self.run_container(spec).await?));
                }
                // authentik starts once; a case's provider and users are its blueprint, applied again.
                (IdpImages::Authentik { .. }, Some(Idp::Authentik(a))) => {
                    a.apply_blueprint(files.blueprint()).await?;
                }
                (
                    IdpImages::Authentik {
                        server,
                        postgres,
                        redis,
                    },
                    _,
                ) => {
                    progress(
                        "starting authentik (postgres, worker, server; first start migrates its database)",
                    );
                    let images = authentik::Images {
                        server: &server,
                        postgres: &postgres,
                        redis: redis.as_ref(),
                    };
                    let run_dir = self.run_dir.clone();
                    let a = Authentik::start(
                        images,
                        files.blueprint(),
                        &self.site(&run_dir),
                        &self.network,
                    )
                    .await?;
                    self.idp = Some(Idp::Authentik(Box::new(a)));
                }
            }
            self.serving.idp = Some(keys.idp.clone());
        }
        if let Some(realm) = files.keycloak_realm() {
            if self.keycloak.is_none() {
                progress(&format!("starting Keycloak ({})", self.images.keycloak));
                let run_dir = self.run_dir.clone();
                let kc = Keycloak::start(
                    &self.images.keycloak,
                    &self.context.topology.idp_url(),
                    &self.site(&run_dir),
                    &self.network,
                )
                .await?;
                self.timings.keycloak_boot += kc.started_in;
                self.keycloak = Some(kc);
                restarted.push("Keycloak: not running".to_owned());
            }
            let kc = self.keycloak.as_mut().expect("started above");
            kc.apply(realm).await?;
        }
        // After the IdP is in place, before Dashboards (whose start reads the IdP's discovery through Caddy).
        let wanted = caddyfile(&files);
        if wanted != self.caddyfile {
            super::caddy::reload(&self.caddy, &self.caddy_dir, &wanted).await?;
            self.caddyfile = wanted;
        }
        if plan.dashboards.is_some() {
            progress("starting Dashboards");
            if let Some(old) = self.dashboards.take() {
                self.serving.dashboards = None;
                old.remove().await?;
            }
            let dir = self.fresh_files(&files)?;
            let spec = services::dashboards(
                &self.images.dashboards,
                case.document.stack.idp_certificate,
                &self.context.topology.hosts,
                &Deploy::Run(self.site(&dir)),
            );
            self.dashboards = Some(self.run_container(spec).await?);
            self.serving.dashboards = Some(keys.dashboards.clone());
        }
        self.current = Some((case.clone(), files.clone()));
        Ok((files, restarted))
    }

    /// The run as a description of a container with its files in `files` needs it.
    fn site<'a>(&'a self, files: &'a std::path::Path) -> Run<'a> {
        Run {
            id: &self.run,
            files,
            dir: &self.run_dir,
            secrets: &self.context.secrets,
            caddy_ip: &self.caddy_ip,
            opensearch_ip: &self.opensearch_ip,
        }
    }

    async fn run_container(&self, spec: services::ServiceSpec) -> Result<Running, ContainersError> {
        component::start(spec, &self.run, &self.network, &self.run_dir).await
    }

    /// A new folder with the case's files, owned as the images need.
    fn fresh_files(&mut self, files: &RunFiles) -> Result<PathBuf, ContainersError> {
        self.generation += 1;
        let dir = self.run_dir.join(format!("files-{}", self.generation));
        files.write_to(&dir)?;
        if nix::unistd::geteuid().is_root() {
            opensearch::chown_tree(&dir, IMAGE_UID)?;
        }
        Ok(dir)
    }

    /// OpenSearch on the case's files in `dir` (with the truststore of `services::TRUSTSTORE` when the IdP's
    /// certificate is "public"), ready once its security plugin is UP.
    async fn start_opensearch(
        &mut self,
        dir: &std::path::Path,
        case: &Case,
    ) -> Result<(), ContainersError> {
        let begun = Instant::now();
        if Trust::of(case) == Trust::SystemAndRunCa {
            // The JVM's CAs (of the harness's Java runtime) plus the run CA: the IdP's certificate is "public".
            let jdk = opensearch::jdk_for_keytool(&crate::cache::dir()).await?;
            let folder = dir.join(services::TRUSTSTORE);
            let folder = folder.parent().expect("the truststore is in a folder");
            let store = opensearch::trust_store(&jdk, &self.context.certs.ca_cert, folder).await?;
            // Only the store is mounted; keytool's input is not the node's.
            std::fs::remove_file(folder.join("run-ca.pem"))?;
            if nix::unistd::geteuid().is_root() {
                std::os::unix::fs::chown(&store, Some(IMAGE_UID.0), Some(IMAGE_UID.1))?;
            }
        }
        let spec = services::opensearch(
            &self.images.opensearch,
            case.document.stack.idp_certificate,
            &self.context.topology.hosts,
            &Deploy::Run(self.site(dir)),
        );
        let running = self.run_container(spec).await?;
        self.opensearch_port = running.published(9200).await?;
        self.opensearch_ip = running.address().await?;
        let (client, url) = self.opensearch_client(None)?;
        // The stack's while it gets ready: a case that fails on its start still gets its log.
        let running = self.opensearch.insert(running);
        running.ready_over_http(&client, &url).await?;
        self.timings.opensearch_boot += begun.elapsed();
        Ok(())
    }

    /// A client for OpenSearch's published port, and the URL it answers on (the node's name, which its
    /// certificate carries, resolved to loopback).
    fn opensearch_client(
        &self,
        identity: Option<&crate::certs::Pem>,
    ) -> Result<(reqwest::Client, String), reqwest::Error> {
        let client = opensearch::client(
            &self.context.certs.ca_cert,
            &self.context.topology,
            identity,
        )?;
        Ok((
            client,
            format!(
                "https://{}:{}",
                self.context.topology.hosts.opensearch, self.opensearch_port
            ),
        ))
    }

    /// Every container of the run.
    fn running(&self) -> impl Iterator<Item = &Running> {
        [&self.caddy, &self.browser]
            .into_iter()
            .chain(self.opensearch.as_ref())
            .chain(self.idp.iter().flat_map(Idp::running))
            .chain(self.keycloak.as_ref().map(|k| &k.running))
            .chain(self.dashboards.as_ref())
    }

    /// The names of the run's containers and network (for `up` and for tests that check nothing is left).
    pub fn run_id(&self) -> &str {
        &self.run
    }

    pub fn network(&self) -> &str {
        &self.network.name
    }

    /// Caddy's 443 as published on this machine's loopback.
    pub fn caddy_port(&self) -> u16 {
        self.caddy_port
    }

    pub fn driver_url(&self) -> &str {
        &self.driver_url
    }

    /// `host → 127.0.0.1:port` rules for a browser on this machine (Chromium's `--host-resolver-rules`).
    pub fn host_rules(&self) -> Vec<(String, String)> {
        let h = &self.context.topology.hosts;
        vec![
            (h.idp.clone(), format!("127.0.0.1:{}", self.caddy_port)),
            (
                h.dashboards.clone(),
                format!("127.0.0.1:{}", self.caddy_port),
            ),
            (
                h.opensearch.clone(),
                format!("127.0.0.1:{}", self.opensearch_port),
            ),
        ]
    }

    /// Removes every container; the network goes with the last of them.
    pub async fn stop(self) {
        drop(self.session);
        for r in [
            Some(self.browser),
            self.dashboards,
            self.opensearch,
            self.keycloak.map(|k| k.running),
            Some(self.caddy),
        ]
        .into_iter()
        .flatten()
        {
            let _ = r.remove().await;
        }
        if let Some(idp) = self.idp {
            idp.remove().await;
        }
    }
}

/// The Caddyfile of a case's files.
fn caddyfile(files: &RunFiles) -> String {
    files.0.get("caddy/Caddyfile").cloned().unwrap_or_default()
}

/// Local images are never pulled (there is nowhere to pull them from): says how to build a missing one instead of
/// letting the engine try a registry.
async fn missing_images(
    engine: &testcontainers::bollard::Docker,
    images: &Images,
) -> Result<(), ContainersError> {
    let mut missing = Vec::new();
    for image in images.all() {
        let local =
            images.source == images::Source::Local || image.name.starts_with(images::LOCAL_PREFIX);
        if local && !docker::has_image(engine, &image.to_string()).await {
            missing.push(image.to_string());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(ContainersError::MissingImages {
        missing: missing.join(", "),
        hint: if images.opensearch.name.starts_with(images::LOCAL_PREFIX) {
            format!(" --opensearch-version {}", images.opensearch.tag)
        } else {
            String::new()
        },
    })
}
