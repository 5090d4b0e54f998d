//! A run's stack in containers: Caddy, OpenSearch, the IdP, Dashboards and the browser on a network of the run's
//! own. Caddy starts first and never restarts: the others find `idp.sso.test` and `dashboards.sso.test` at its
//! address (`extra_hosts`), as the browser does (`--host-resolver-rules`). Between cases the security
//! configuration goes over the REST API; a component whose own files change gets a new container (and a new log).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testcontainers::core::{AccessMode, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::docker::{self, COMPONENT_LABEL, LogFile, Network};
use super::images::{DashboardsImage, IdpImages, Image, Images};
use crate::browser;
use crate::opensearch::{self, Trust};
use crate::plan::{self, Coupling, Plan};
use crate::render::RunFiles;
use crate::run::StackError;
use crate::scenario::{Case, IdpCertificate};
use crate::secrets::Secrets;
use crate::stack::RunContext;
use crate::topology::{DASHBOARDS_CONFIG, OPENSEARCH_CONFIG, Topology};

/// The uid the official OpenSearch and Dashboards images run as (the local images keep it).
const IMAGE_UID: (u32, u32) = (1000, 1000);
const HEAP: &str = "-Xms512m -Xmx512m";
const STAND_INS_ETC: &str = "/etc/sso-harness";
const TOKENS: &str = "/var/lib/sso-harness/tokens";

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
}

/// A component's container and its output.
struct Running {
    name: String,
    container: ContainerAsync<GenericImage>,
    log: LogFile,
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
    // Containers before the network: fields drop in order, and the network goes last.
    /// The run's browser session (`run::Target::warm_browser`), before the browser container it runs in.
    session: Option<browser::Browser>,
    browser: Running,
    dashboards: Option<Running>,
    idp: Option<Running>,
    /// authentik's database (and redis before 2025.10) and worker: started once, kept for every case.
    authentik: Vec<Running>,
    bootstrap_token: String,
    idp_port: u16,
    opensearch: Option<Running>,
    /// What each component serves now (`plan`: the one place that decides what a case restarts).
    serving: plan::Serving,
    /// What the node has been given through `_cluster/settings` (loggers, dynamic settings): a case without them
    /// puts them back.
    dynamic: opensearch::Dynamic,
    /// The case the stack serves now, and its files.
    current: Option<(Case, RunFiles)>,
    caddy: Running,
    network: Network,
}

impl Stack {
    /// Starts everything for `case`. `progress` hears about each phase.
    pub async fn start(
        case: &Case,
        options: &Options,
        progress: &dyn Fn(&str),
    ) -> Result<Stack, StackError> {
        progress("connecting to the Docker engine");
        let engine = docker::ping().await?;
        // Local images are never pulled (there is nowhere to pull them from): say how to build a missing one
        // instead of letting the engine try a registry.
        let mut missing = Vec::new();
        for image in options.images.all() {
            let local = options.images.source == super::images::Source::Local
                || image.name.starts_with(super::images::LOCAL_PREFIX);
            if local && !docker::has_image(&engine, &image.to_string()).await {
                missing.push(image.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "image(s) not in the Docker engine: {}; build them with `cargo xtask images{}`",
                missing.join(", "),
                if options
                    .images
                    .opensearch
                    .name
                    .starts_with(super::images::LOCAL_PREFIX)
                {
                    format!(" --opensearch-version {}", options.images.opensearch.tag)
                } else {
                    String::new()
                }
            )
            .into());
        }
        std::fs::create_dir_all(&options.run_dir)?;
        let run: String = {
            use rand::distr::{Alphanumeric, SampleString};
            Alphanumeric
                .sample_string(&mut rand::rng(), 8)
                .to_lowercase()
        };
        let network = Network::create(&run).await?;
        let name = |c: &str| format!("sso-harness-{run}-{c}");
        let context = RunContext::new(Topology::containers(&name("idp"), &name("dashboards")))?;
        let files = context.render(case)?;
        let dir = options.run_dir.join("files-0");
        files.write_to(&dir)?;

        progress(&format!("starting Caddy ({})", options.images.caddy));
        let caddy = Component::new("caddy", &options.images.caddy, &run, &network)
            .wait(WaitFor::message_on_stderr("serving initial configuration"))
            .mount(&dir.join("caddy/Caddyfile"), "/etc/caddy/Caddyfile")
            .mount(&dir.join("caddy/certs"), "/etc/caddy/certs")
            .publish(&[443])
            .start(&options.run_dir)
            .await?;
        let caddy_ip = caddy.container.get_bridge_ip_address().await?.to_string();
        let caddy_port = caddy.container.get_host_port_ipv4(443).await?;
        progress(&format!(
            "starting the browser ({})",
            options.images.browser
        ));
        let browser = Component::new("browser", &options.images.browser, &run, &network)
            .wait(WaitFor::message_on_stdout(
                "ChromeDriver was started successfully",
            ))
            .publish(&[9515])
            .start(&options.run_dir)
            .await?;
        let driver_url = format!(
            "http://127.0.0.1:{}",
            browser.container.get_host_port_ipv4(9515).await?
        );

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
            browser,
            dashboards: None,
            idp: None,
            authentik: Vec::new(),
            bootstrap_token: String::new(),
            idp_port: 0,
            opensearch: None,
            serving: plan::Serving::default(),
            dynamic: Default::default(),
            current: None,
            caddy,
            network,
        };
        stack.apply_with(case, progress).await?;
        Ok(stack)
    }

    /// Makes the running stack serve `case`; returns the case's files and what it restarted for it.
    pub async fn apply(&mut self, case: &Case) -> Result<(RunFiles, Vec<String>), StackError> {
        self.apply_with(case, &|_| {}).await
    }

    async fn apply_with(
        &mut self,
        case: &Case,
        progress: &dyn Fn(&str),
    ) -> Result<(RunFiles, Vec<String>), StackError> {
        let files = self.context.render(case)?;
        let keys = plan::Keys::of(case);
        let plan = Plan::between(&self.serving, &keys, Coupling::DashboardsFollowsOpenSearch);
        if plan.opensearch.is_some() {
            progress(&format!("starting OpenSearch ({})", self.images.opensearch));
            if let Some(old) = self.opensearch.take() {
                self.serving.opensearch = None;
                old.container.rm().await?;
            }
            let dir = self.fresh_files(&files)?;
            self.start_opensearch(&dir, Trust::of(case)).await?;
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
            match self.images.idp.clone() {
                IdpImages::Embedded(image) => {
                    progress("starting the IdP");
                    if let Some(old) = self.idp.take() {
                        old.container.rm().await?;
                    }
                    let dir = self.fresh_files(&files)?;
                    self.start_embedded_idp(&image, &dir).await?;
                }
                // authentik starts once; a case's provider and users are its blueprint, applied again.
                IdpImages::Authentik { .. } if self.idp.is_none() => {
                    progress(
                        "starting authentik (postgres, worker, server; first start migrates its database)",
                    );
                    self.start_authentik(files.blueprint()).await?;
                }
                IdpImages::Authentik { .. } => self.apply_blueprint(files.blueprint()).await?,
            }
            self.serving.idp = Some(keys.idp.clone());
        }
        if plan.dashboards.is_some() {
            progress("starting Dashboards");
            if let Some(old) = self.dashboards.take() {
                self.serving.dashboards = None;
                old.container.rm().await?;
            }
            let dir = self.fresh_files(&files)?;
            self.start_dashboards(&dir, case).await?;
            self.serving.dashboards = Some(keys.dashboards.clone());
        }
        self.current = Some((case.clone(), files.clone()));
        Ok((files, plan.restarts()))
    }

    /// A new folder with the case's files, owned as the images need.
    fn fresh_files(&mut self, files: &RunFiles) -> Result<PathBuf, StackError> {
        self.generation += 1;
        let dir = self.run_dir.join(format!("files-{}", self.generation));
        files.write_to(&dir)?;
        if nix::unistd::geteuid().is_root() {
            opensearch::chown_tree(&dir, IMAGE_UID)?;
        }
        Ok(dir)
    }

    async fn start_opensearch(&mut self, dir: &Path, trust: Trust) -> Result<(), StackError> {
        let begun = Instant::now();
        let mut java_opts = HEAP.to_owned();
        let mut c = Component::new(
            "opensearch",
            &self.images.opensearch,
            &self.run,
            &self.network,
        )
        .mount(
            &dir.join("opensearch/opensearch.yml"),
            &format!("{OPENSEARCH_CONFIG}/opensearch.yml"),
        )
        .mount(
            &dir.join("opensearch/certs"),
            &format!("{OPENSEARCH_CONFIG}/certs"),
        )
        .mount(
            &dir.join("opensearch/opensearch-security"),
            &format!("{OPENSEARCH_CONFIG}/opensearch-security"),
        )
        .env("DISABLE_INSTALL_DEMO_CONFIG", "true")
        .host(&self.context.topology.hosts.idp, &self.caddy_ip)
        .host(&self.context.topology.hosts.dashboards, &self.caddy_ip)
        .publish(&[9200]);
        if trust == Trust::SystemAndRunCa {
            // The JVM's CAs (of the harness's Java runtime) plus the run CA: the IdP's certificate is "public".
            let jdk = opensearch::jdk_for_keytool(&crate::cache::dir()).await?;
            std::fs::create_dir_all(dir.join("truststore"))?;
            let store =
                opensearch::trust_store(&jdk, &self.context.certs.ca_cert, &dir.join("truststore"))
                    .await?;
            if nix::unistd::geteuid().is_root() {
                opensearch::chown_tree(&dir.join("truststore"), IMAGE_UID)?;
            }
            let inside = format!("{OPENSEARCH_CONFIG}/truststore.p12");
            c = c.mount(&store, &inside);
            java_opts.push_str(&format!(
                " -Djavax.net.ssl.trustStore={inside} -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12"
            ));
        }
        let running = c
            .env("OPENSEARCH_JAVA_OPTS", &java_opts)
            .start(&self.run_dir)
            .await?;
        self.opensearch_port = running.container.get_host_port_ipv4(9200).await?;
        self.opensearch_ip = running.container.get_bridge_ip_address().await?.to_string();
        self.opensearch = Some(running);
        self.wait_for_opensearch().await?;
        self.timings.opensearch_boot += begun.elapsed();
        Ok(())
    }

    async fn wait_for_opensearch(&self) -> Result<(), StackError> {
        let limit = Duration::from_secs(240);
        let deadline = Instant::now() + limit;
        let (client, url) = self.opensearch_client(None)?;
        let running = self.opensearch.as_ref().expect("just started");
        while Instant::now() < deadline {
            if !running.container.is_running().await? {
                return Err(format!(
                    "OpenSearch's container exited during start; last log lines:\n{}",
                    running.log.tail(30)
                )
                .into());
            }
            if let Ok(r) = client
                .get(format!("{url}/_plugins/_security/health"))
                .send()
                .await
                && r.status().is_success()
                && r.text().await.is_ok_and(|t| t.contains("\"UP\""))
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(format!(
            "OpenSearch's security plugin was not UP after {limit:?}; last log lines:\n{}",
            running.log.tail(30)
        )
        .into())
    }

    async fn start_embedded_idp(&mut self, image: &Image, dir: &Path) -> Result<(), StackError> {
        // `fresh_files` wrote the case's `idp/config.json` there.
        let running = Component::new("idp", image, &self.run, &self.network)
            .wait(WaitFor::message_on_stdout("plain HTTP"))
            .mount(&dir.join("idp"), &format!("{STAND_INS_ETC}/idp"))
            .mount_rw(&self.run_dir.join("tokens"), TOKENS)
            .cmd([
                "idp",
                "serve",
                "--config",
                &format!("{STAND_INS_ETC}/idp/config.json"),
                "--listen",
                "0.0.0.0:9000",
                "--record-tokens",
                TOKENS,
            ])
            .start(&self.run_dir)
            .await?;
        self.idp = Some(running);
        Ok(())
    }

    async fn start_dashboards(&mut self, dir: &Path, case: &Case) -> Result<(), StackError> {
        let public = case.document.stack.idp_certificate == IdpCertificate::Public;
        let config = format!("{DASHBOARDS_CONFIG}/opensearch_dashboards.yml");
        let ca = format!("{DASHBOARDS_CONFIG}/certs/ca.pem");
        let c = match &self.images.dashboards {
            DashboardsImage::StandIn(image) => {
                let mut cmd = vec![
                    "stand-in".to_owned(),
                    "serve".into(),
                    "--config".into(),
                    config,
                    "--listen".into(),
                    "0.0.0.0:5601".into(),
                ];
                if public {
                    cmd.extend(["--extra-ca".into(), ca]);
                }
                Component::new("dashboards", image, &self.run, &self.network)
                    .wait(WaitFor::message_on_stdout("listening on"))
                    .cmd(cmd)
            }
            DashboardsImage::Official(image) => {
                let mut c = Component::new("dashboards", image, &self.run, &self.network)
                    .wait(WaitFor::message_on_stdout("http server running"))
                    .startup(Duration::from_secs(300));
                if public {
                    // Node's way of trusting a CA beside its own roots: the IdP's certificate is "public".
                    c = c.env("NODE_EXTRA_CA_CERTS", &ca);
                }
                c
            }
        };
        // File by file: the image's config folder has more in it (node.options) than the harness renders.
        let running = c
            .mount(
                &dir.join("dashboards/opensearch_dashboards.yml"),
                &format!("{DASHBOARDS_CONFIG}/opensearch_dashboards.yml"),
            )
            .mount(
                &dir.join("dashboards/certs"),
                &format!("{DASHBOARDS_CONFIG}/certs"),
            )
            .host(&self.context.topology.hosts.idp, &self.caddy_ip)
            .host(&self.context.topology.hosts.dashboards, &self.caddy_ip)
            .host(&self.context.topology.hosts.opensearch, &self.opensearch_ip)
            .start(&self.run_dir)
            .await?;
        self.dashboards = Some(running);
        Ok(())
    }

    /// authentik from its images, configured by the rendered blueprint only: postgres (+ redis before 2025.10),
    /// the worker (which applies blueprints) and the server, named as the IdP (Caddy forwards to it). Ready once
    /// the server answers and `ak apply_blueprint` has applied the case's blueprint in the worker.
    async fn start_authentik(&mut self, blueprint: &str) -> Result<(), StackError> {
        let IdpImages::Authentik {
            server,
            postgres,
            redis,
        } = self.images.idp.clone()
        else {
            unreachable!("called for authentik images only")
        };
        let secret = self.context.secrets.generate("authentik_secret_key");
        let db_password = self.context.secrets.generate("postgres_password");
        self.bootstrap_token = self.context.secrets.generate("authentik_bootstrap_token");
        let blueprints = self.run_dir.join("blueprints");
        std::fs::create_dir_all(&blueprints)?;
        std::fs::write(blueprints.join(BLUEPRINT_FILE), blueprint)?;
        let db = Component::new("postgres", &postgres, &self.run, &self.network)
            .wait(WaitFor::message_on_stderr(
                "database system is ready to accept connections",
            ))
            .env("POSTGRES_DB", "authentik")
            .env("POSTGRES_USER", "authentik")
            .env("POSTGRES_PASSWORD", &db_password)
            .start(&self.run_dir)
            .await?;
        self.authentik.push(db);
        let mut env = vec![
            ("AUTHENTIK_SECRET_KEY".to_owned(), secret),
            (
                "AUTHENTIK_POSTGRESQL__HOST".into(),
                format!("sso-harness-{}-postgres", self.run),
            ),
            ("AUTHENTIK_POSTGRESQL__NAME".into(), "authentik".into()),
            ("AUTHENTIK_POSTGRESQL__USER".into(), "authentik".into()),
            ("AUTHENTIK_POSTGRESQL__PASSWORD".into(), db_password),
        ];
        if let Some(redis) = redis {
            let r = Component::new("redis", &redis, &self.run, &self.network)
                .wait(WaitFor::message_on_stdout("Ready to accept connections"))
                .start(&self.run_dir)
                .await?;
            self.authentik.push(r);
            env.push((
                "AUTHENTIK_REDIS__HOST".into(),
                format!("sso-harness-{}-redis", self.run),
            ));
        }
        let mut worker = Component::new("authentik-worker", &server, &self.run, &self.network)
            .mount(&blueprints, crate::topology::AUTHENTIK_BLUEPRINTS)
            .env("AUTHENTIK_BOOTSTRAP_TOKEN", &self.bootstrap_token)
            .env(
                "AUTHENTIK_BOOTSTRAP_PASSWORD",
                &self
                    .context
                    .secrets
                    .generate("authentik_bootstrap_password"),
            )
            .cmd(["worker"])
            .startup(Duration::from_secs(300));
        let mut srv = Component::new("idp", &server, &self.run, &self.network)
            .cmd(["server"])
            .publish(&[9000])
            .startup(Duration::from_secs(300));
        for (k, v) in &env {
            worker = worker.env(k, v);
            srv = srv.env(k, v);
        }
        self.authentik.push(worker.start(&self.run_dir).await?);
        let server = srv.start(&self.run_dir).await?;
        self.idp_port = server.container.get_host_port_ipv4(9000).await?;
        self.idp = Some(server);
        self.wait_for_authentik().await?;
        self.apply_blueprint(blueprint).await
    }

    async fn wait_for_authentik(&self) -> Result<(), StackError> {
        let url = format!("http://127.0.0.1:{}/-/health/ready/", self.idp_port);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(300);
        while Instant::now() < deadline {
            if client
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err("authentik's server was not ready after 300 s".into())
    }

    /// Writes the case's blueprint where the worker reads blueprints and applies it now (`ak apply_blueprint`
    /// exits non-zero when the blueprint is invalid), rather than waiting for the worker to notice the change.
    async fn apply_blueprint(&self, blueprint: &str) -> Result<(), StackError> {
        std::fs::write(
            self.run_dir.join("blueprints").join(BLUEPRINT_FILE),
            blueprint,
        )?;
        let worker = self
            .authentik
            .iter()
            .find(|r| r.name == "authentik-worker")
            .expect("the worker runs with the server");
        let path = format!(
            "{}/{BLUEPRINT_FILE}",
            crate::topology::AUTHENTIK_BLUEPRINTS.trim_start_matches("/blueprints/")
        );
        let mut exec = worker
            .container
            .exec(testcontainers::core::ExecCommand::new([
                "ak",
                "apply_blueprint",
                path.as_str(),
            ]))
            .await?;
        let output = exec.stdout_to_vec().await.unwrap_or_default();
        match exec.exit_code().await? {
            Some(0) => Ok(()),
            code => Err(format!(
                "authentik did not apply the blueprint (exit {code:?}):\n{}",
                String::from_utf8_lossy(&output)
            )
            .into()),
        }
    }

    /// A token from the real authentik for `user`, as the current case's relying party would get it.
    async fn authentik_token(&self, user: &str) -> Option<String> {
        let (case, files) = self.current.as_ref()?;
        let doc = &case.document;
        let password = self.context.secrets.idp_password(doc, user)?;
        // Dashboards' own scope setting, where its yml reads here (a `root_ca` path is the container's: then the
        // default scope).
        let scope = crate::stand_in::Config::from_yaml(
            files.dashboards_yml(),
            &self
                .run_dir
                .join(format!("files-{}/dashboards", self.generation)),
        )
        .ok()
        .and_then(|c| c.openid)
        .map_or_else(|| "openid profile email".to_owned(), |o| o.scope);
        let client = crate::authentik_client::Client {
            client_id: doc.idp.provider.client_id.clone(),
            client_secret: self.context.secrets.client_secret(&doc.idp.provider),
            redirect_uri: format!(
                "{}/auth/openid/login",
                self.context.topology.dashboards_url()
            ),
            scope,
        };
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let host = &self.context.topology.hosts.idp;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .tls_certs_only([
                reqwest::Certificate::from_pem(self.context.certs.ca_cert.as_bytes()).ok()?,
            ])
            .resolve(
                host,
                std::net::SocketAddr::from(([127, 0, 0, 1], self.caddy_port)),
            )
            .build()
            .ok()?;
        let via = format!("https://{host}:{}", self.caddy_port);
        let authentik = crate::authentik_client::Authentik {
            origin: &self.context.topology.idp_url(),
            http: &http,
            jar: &jar,
            via: &via,
        };
        authentik.id_token(&client, user, &password).await.ok()
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
            .chain(self.idp.as_ref())
            .chain(&self.authentik)
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

    /// Removes every container, then the network.
    pub async fn stop(mut self) {
        let authentik = std::mem::take(&mut self.authentik);
        for r in [
            Some(self.browser),
            self.dashboards.take(),
            self.idp.take(),
            self.opensearch.take(),
            Some(self.caddy),
        ]
        .into_iter()
        .flatten()
        .chain(authentik)
        {
            let _ = r.container.rm().await;
        }
        drop(self.network);
    }
}

/// The rendered blueprint's name in the folder the worker reads.
const BLUEPRINT_FILE: &str = "sso-harness.yaml";

impl crate::run::Target for Stack {
    fn topology(&self) -> &Topology {
        &self.context.topology
    }

    fn secrets(&self) -> &Secrets {
        &self.context.secrets
    }

    async fn apply(&mut self, case: &Case) -> Result<crate::run::Applied, StackError> {
        let (files, restarted) = Stack::apply(self, case).await?;
        Ok(crate::run::Applied::serving(files, restarted))
    }

    fn warm_browser(&mut self) -> &mut Option<browser::Browser> {
        &mut self.session
    }

    fn browser(&self) -> (String, browser::Options) {
        let h = &self.context.topology.hosts;
        (
            self.driver_url.clone(),
            browser::Options {
                host_rules: vec![
                    (h.idp.clone(), self.caddy_ip.clone()),
                    (h.dashboards.clone(), self.caddy_ip.clone()),
                    (h.opensearch.clone(), self.opensearch_ip.clone()),
                ],
                trusted_spki: self.context.certs.site_spkis(),
                remote: true,
            },
        )
    }

    fn opensearch(&self) -> Result<(reqwest::Client, String), reqwest::Error> {
        self.opensearch_client(None)
    }

    fn opensearch_log_offset(&self) -> u64 {
        self.opensearch.as_ref().map_or(0, |r| r.log.offset())
    }

    fn opensearch_log_since(&self, offset: u64) -> Vec<String> {
        self.opensearch
            .as_ref()
            .map_or_else(Vec::new, |r| r.log.since(offset))
    }

    fn dashboards_log_offset(&self) -> u64 {
        self.dashboards.as_ref().map_or(0, |r| r.log.offset())
    }

    fn dashboards_log_since(&self, offset: u64) -> Vec<String> {
        let lines = self
            .dashboards
            .as_ref()
            .map_or_else(Vec::new, |r| r.log.since(offset));
        match self.images.dashboards {
            DashboardsImage::StandIn(_) => lines,
            // The real Dashboards logs JSON, every plugin's: keep its security plugin's, in the stand-in's form.
            DashboardsImage::Official(_) => lines
                .iter()
                .filter_map(|l| crate::run::observe::dashboards_json_line(l))
                .collect(),
        }
    }

    fn component_logs(&self) -> Vec<(String, u64)> {
        self.running()
            .map(|r| (r.name.clone(), r.log.offset()))
            .collect()
    }

    fn component_log_since(&self, name: &str, offset: u64) -> Vec<String> {
        self.running()
            .find(|r| r.name == name)
            .map_or_else(Vec::new, |r| r.log.since(offset))
    }

    /// The embedded IdP hands the harness the tokens it issued (a file per user). The real authentik does not: the
    /// harness logs the user in once more through authentik's headless API, with the relying party's client, and
    /// reads the token it gets.
    async fn last_id_token(&self, user: &str) -> Option<String> {
        match &self.images.idp {
            IdpImages::Embedded(_) => {
                std::fs::read_to_string(self.run_dir.join("tokens").join(format!("{user}.jwt")))
                    .ok()
            }
            IdpImages::Authentik { .. } => self.authentik_token(user).await,
        }
    }
}

/// One container of the run, described before it starts (as testcontainers' images describe themselves).
struct Component {
    name: String,
    image: Image,
    run: String,
    network: String,
    wait: Option<WaitFor>,
    mounts: Vec<Mount>,
    env: Vec<(String, String)>,
    hosts: Vec<(String, String)>,
    publish: Vec<u16>,
    cmd: Option<Vec<String>>,
    startup: Duration,
}

impl Component {
    fn new(name: &str, image: &Image, run: &str, network: &Network) -> Self {
        Component {
            name: name.to_owned(),
            image: image.clone(),
            run: run.to_owned(),
            network: network.name.clone(),
            wait: None,
            mounts: Vec::new(),
            env: Vec::new(),
            hosts: Vec::new(),
            publish: Vec::new(),
            cmd: None,
            startup: Duration::from_secs(120),
        }
    }

    fn wait(mut self, w: WaitFor) -> Self {
        self.wait = Some(w);
        self
    }

    fn mount(mut self, host: &Path, inside: &str) -> Self {
        self.mounts.push(
            Mount::bind_mount(host.display().to_string(), inside)
                .with_access_mode(AccessMode::ReadOnly),
        );
        self
    }

    fn mount_rw(mut self, host: &Path, inside: &str) -> Self {
        self.mounts
            .push(Mount::bind_mount(host.display().to_string(), inside));
        self
    }

    fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    fn host(mut self, name: &str, ip: &str) -> Self {
        self.hosts.push((name.to_owned(), ip.to_owned()));
        self
    }

    fn publish(mut self, ports: &[u16]) -> Self {
        self.publish = ports.to_vec();
        self
    }

    fn cmd<S: Into<String>>(mut self, cmd: impl IntoIterator<Item = S>) -> Self {
        self.cmd = Some(cmd.into_iter().map(Into::into).collect());
        self
    }

    fn startup(mut self, d: Duration) -> Self {
        self.startup = d;
        self
    }

    async fn start(self, run_dir: &Path) -> Result<Running, StackError> {
        let mut image = GenericImage::new(&self.image.name, &self.image.tag);
        if let Some(w) = self.wait {
            image = image.with_wait_for(w);
        }
        let mut labels: HashMap<String, String> = docker::labels(&self.run);
        labels.insert(COMPONENT_LABEL.into(), self.name.clone());
        let mut req = image
            .with_network(&self.network)
            .with_container_name(format!("sso-harness-{}-{}", self.run, self.name))
            .with_labels(labels)
            .with_startup_timeout(self.startup)
            .with_host_config_modifier(docker::publish_on_loopback(&self.publish));
        for m in self.mounts {
            req = req.with_mount(m);
        }
        for (k, v) in self.env {
            req = req.with_env_var(k, v);
        }
        for (h, ip) in self.hosts {
            req = req.with_host(h, testcontainers::core::Host::Addr(ip.parse()?));
        }
        if let Some(cmd) = self.cmd {
            req = req.with_cmd(cmd);
        }
        let container = req
            .start()
            .await
            .map_err(|e| format!("starting {} ({}): {e}", self.name, self.image))?;
        let logs = run_dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let log = LogFile::follow(
            &container,
            &logs.join(format!("{}-{}.log", self.name, container.id())),
        )
        .await?;
        Ok(Running {
            name: self.name,
            container,
            log,
        })
    }
}
