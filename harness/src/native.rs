//! The native backend: every component as a local process or in-process server on loopback — the real OpenSearch
//! with its security plugin, the embedded IdP, the Dashboards stand-in, Caddy in front of both. One OpenSearch boot
//! serves every case that shares its `opensearch.yml` and trust; between cases the security configuration goes
//! over the REST API, the IdP swaps its provider, and the stand-in restarts only when its yml changes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::browser::{self, Chromedriver};
use crate::caddy::{Caddy, CaddyError};
use crate::idp;
use crate::keycloak;
use crate::opensearch::{self, Distribution, Node, Trust};
use crate::plan::{self, Plan};
use crate::process::free_port;
use crate::render::RunFiles;
use crate::run::{Applied, Refusal};
use crate::scenario::{Case, IdpCertificate, IdpProfile};
use crate::secrets::Secrets;
use crate::stack::RunContext;
use crate::stand_in;
use crate::topology::{Ports, Topology};

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Jdk(#[from] opensearch::JdkError),
    #[error("{0}")]
    Distribution(#[from] opensearch::DistributionError),
    #[error("{0}")]
    Node(#[from] opensearch::NodeError),
    #[error("{0}")]
    Api(#[from] opensearch::ApiError),
    #[error("{0}")]
    Caddy(#[from] CaddyError),
    #[error("rendering: {0}")]
    Render(#[from] crate::render::RenderError),
    #[error("certificates: {0}")]
    Certs(#[from] rcgen::Error),
    #[error("Dashboards stand-in: {0}")]
    StandIn(String),
    /// The stand-in refused the case's configuration as Dashboards does at start-up (its own message).
    #[error("Dashboards stand-in refused to start: {0}")]
    StandInRefused(stand_in::ConfigError),
    #[error("OpenSearch client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("{0}")]
    Browser(#[from] browser::BrowserError),
    #[error("{0}")]
    KeycloakDistribution(#[from] keycloak::DistributionError),
    #[error("{0}")]
    Keycloak(#[from] keycloak::NodeError),
    #[error("{0}")]
    KeycloakAdmin(#[from] keycloak::AdminError),
}

/// What a run of the native backend is asked for.
#[derive(Clone, Debug)]
pub struct Options {
    pub opensearch_version: String,
    /// Where the run's files, logs and data go.
    pub run_dir: PathBuf,
}

/// How long the slow steps took (for progress and the benchmark).
#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub distribution: Duration,
    pub opensearch_boot: Duration,
    /// Keycloak's fetch and build (nothing once cached) and its start to ready, when a case used it.
    pub keycloak_distribution: Duration,
    pub keycloak_boot: Duration,
}

pub struct Stack {
    pub context: RunContext,
    pub run_dir: PathBuf,
    pub timings: Timings,
    dist: Distribution,
    jdk: opensearch::Jdk,
    node: Option<Node>,
    /// What each component serves now (`plan`: the one place that decides what a case restarts).
    serving: plan::Serving,
    /// What the node has been given over REST (`opensearch::Dynamic`: loggers and dynamic settings, which a case
    /// without them puts back; security documents, not sent again unchanged).
    dynamic: opensearch::Dynamic,
    /// The admin client of the run (the admin certificate): one for the run, so that a case reuses its TLS
    /// connection to the node rather than paying a handshake with a client certificate each time.
    admin: reqwest::Client,
    idp: idp::Server,
    /// `None` only while it restarts for a Caddyfile of another IdP.
    caddy: Option<Caddy>,
    stand_in: Option<stand_in::Server>,
    /// The run's browser session on `driver` (`run::Target::warm_browser`); ends before chromedriver does.
    session: Option<browser::Browser>,
    driver: Chromedriver,
    /// Paths of the IdP and the stand-in answered slower on purpose (`slow_down`), kept across stand-in restarts.
    slow: Vec<(String, Duration)>,
    /// The Caddyfile Caddy runs (a Keycloak case's leads the IdP's name to Keycloak).
    caddyfile: String,
    /// Keycloak, started by the first case that uses it and kept for the rest of the run.
    keycloak: Option<KeycloakRun>,
    /// Keycloak's ports, reserved for the run (`Topology::keycloak_upstream`) and its management port.
    keycloak_ports: (u16, u16),
    /// The case last applied (its IdP's tokens are observed for it).
    current: Option<Case>,
}

/// A run's Keycloak: the process, its admin API and the realm it serves now (`None`: unknown, sent afresh).
struct KeycloakRun {
    node: keycloak::Node,
    admin: keycloak::Admin,
    realm: Option<serde_json::Value>,
}

impl Stack {
    /// Starts everything for `case`. `progress` hears about each phase.
    pub async fn start(
        case: &Case,
        options: &Options,
        progress: &dyn Fn(&str),
    ) -> Result<Stack, StackError> {
        let cache = crate::cache::dir();
        std::fs::create_dir_all(&options.run_dir)?;
        open_for_others(&options.run_dir)?;
        let version = &options.opensearch_version;
        progress(&format!("choosing a Java runtime for OpenSearch {version}"));
        let jdk = opensearch::select_jdk(version, &cache).await?;
        let t = Instant::now();
        let dist = Distribution::ensure(version, &cache, &jdk, progress).await?;
        let distribution = t.elapsed();

        let ports = Ports {
            https: free_port()?,
            idp: free_port()?,
            dashboards: free_port()?,
            opensearch_http: free_port()?,
            opensearch_transport: free_port()?,
            keycloak: free_port()?,
        };
        let context = RunContext::new(Topology::native(ports))?;
        let files = context.render(case)?;
        files.write_to(&options.run_dir.join("files"))?;

        progress(&format!(
            "starting OpenSearch {version} (Java {})",
            jdk.major
        ));
        let trust = Trust::of(case);
        let node = Node::start(
            &dist,
            &jdk,
            &files,
            &context.topology,
            trust,
            &options.run_dir.join("opensearch"),
        )
        .await?;
        let opensearch_boot = node.started_in;

        progress("starting the embedded IdP and Caddy");
        let idp_listener = tokio::net::TcpListener::bind(("127.0.0.1", ports.idp)).await?;
        let idp = idp::Server::start(files.idp_config(), idp_listener)?;
        let caddy = Caddy::start(&files, &context.topology, &options.run_dir.join("caddy")).await?;
        progress("starting chromedriver");
        let driver = Chromedriver::start().await?;

        let admin = opensearch::client(
            &context.certs.ca_cert,
            &context.topology,
            Some(&context.certs.admin),
        )?;
        let stack = Stack {
            admin,
            serving: plan::Serving {
                opensearch: Some(plan::Keys::of(case).opensearch),
                ..Default::default()
            },
            dynamic: opensearch::Dynamic::booted_with(case),
            node: Some(node),
            context,
            run_dir: options.run_dir.clone(),
            timings: Timings {
                distribution,
                opensearch_boot,
                ..Default::default()
            },
            dist,
            jdk,
            idp,
            caddy: Some(caddy),
            stand_in: None,
            session: None,
            driver,
            slow: Vec::new(),
            caddyfile: caddyfile(&files),
            keycloak: None,
            keycloak_ports: (ports.keycloak, free_port()?),
            current: None,
        };
        // The case itself is applied by the first `apply`: a configuration it refuses is that case's outcome, not
        // a failed start.
        Ok(stack)
    }

    /// Makes the running stack serve `case`: restarts only what must restart. Returns the case's files, and the
    /// stand-in's refusal when it would not start on the case's `opensearch_dashboards.yml` as Dashboards would
    /// not. After a failure the next `apply` starts whatever this one left stopped.
    pub async fn apply(&mut self, case: &Case) -> Result<Applied, StackError> {
        let files = self.context.render(case)?;
        let keys = plan::Keys::of(case);
        // In process, the IdP swaps its provider for every case (clearing its sessions and tokens) without a
        // restart: `plan.idp` is nothing to carry out here.
        let plan = Plan {
            idp: None,
            ..Plan::between(&self.serving, &keys)
        };
        let mut restarted = plan.restarts();
        self.current = Some(case.clone());
        if caddyfile(&files) != self.caddyfile {
            // The old one first: the new one binds the same port.
            drop(self.caddy.take());
            let dir = self.run_dir.join("caddy");
            self.caddy = Some(Caddy::start(&files, &self.context.topology, &dir).await?);
            self.caddyfile = caddyfile(&files);
        }
        if let Some(realm) = files.keycloak_realm() {
            if self.keycloak.is_none() {
                self.start_keycloak().await?;
                restarted.push("Keycloak: not running".to_owned());
            }
            let kc = self.keycloak.as_mut().expect("started above");
            let previous = kc.realm.take();
            kc.admin.apply(&realm, previous.as_ref()).await?;
            kc.realm = Some(realm);
        }
        if plan.opensearch.is_some() {
            if let Some(node) = self.node.take() {
                node.stop();
            }
            self.serving.opensearch = None;
            let dir = self.run_dir.join("opensearch");
            let _ = std::fs::remove_dir_all(&dir);
            let trust = Trust::of(case);
            let node = Node::start(
                &self.dist,
                &self.jdk,
                &files,
                &self.context.topology,
                trust,
                &dir,
            )
            .await?;
            self.timings.opensearch_boot += node.started_in;
            self.node = Some(node);
            self.serving.opensearch = Some(keys.opensearch.clone());
            self.dynamic = opensearch::Dynamic::booted_with(case);
        }
        let url = self.context.topology.opensearch_url();
        opensearch::apply_case(&self.admin, &url, case, &files, &mut self.dynamic).await?;
        self.idp.set_config(files.idp_config());
        self.serving.idp = Some(keys.idp.clone());
        if plan.dashboards.is_some() {
            if let Some(s) = self.stand_in.take() {
                s.stop().await;
            }
            self.serving.dashboards = None;
            match self.start_stand_in(&files, case).await {
                Ok(s) => {
                    s.delays().set(&self.slow);
                    self.stand_in = Some(s);
                    self.serving.dashboards = Some(keys.dashboards.clone());
                }
                Err(StackError::StandInRefused(e)) => {
                    let refused = Some(Refusal {
                        component: stand_in::NAME.to_owned(),
                        message: e.to_string(),
                    });
                    return Ok(Applied {
                        files,
                        refused,
                        restarted,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Applied {
            files,
            refused: None,
            restarted,
        })
    }

    /// Keycloak from the cache (fetched and built first if needed), started on loopback and ready.
    async fn start_keycloak(&mut self) -> Result<(), StackError> {
        let cache = crate::cache::dir();
        let t = Instant::now();
        let dist =
            keycloak::Distribution::ensure(keycloak::DEFAULT_VERSION, &cache, &self.jdk, &|_| {})
                .await?;
        self.timings.keycloak_distribution = t.elapsed();
        let secret = self.context.secrets.generate("keycloak/admin-client");
        let (http_port, management_port) = self.keycloak_ports;
        let listen = keycloak::Listen {
            http_port,
            management_port,
            origin: self.context.topology.idp_url(),
        };
        let dir = self.run_dir.join("keycloak");
        std::fs::create_dir_all(&dir)?;
        let node = keycloak::Node::start(&dist, &self.jdk, listen, &secret, &dir).await?;
        self.timings.keycloak_boot = node.started_in;
        let admin =
            keycloak::Admin::new(&node.admin_url(), keycloak::node::ADMIN_CLIENT_ID, &secret);
        self.keycloak = Some(KeycloakRun {
            node,
            admin,
            realm: None,
        });
        Ok(())
    }

    /// Keycloak's process, when the run has started it.
    pub fn keycloak(&self) -> Option<&keycloak::Node> {
        self.keycloak.as_ref().map(|k| &k.node)
    }

    async fn start_stand_in(
        &self,
        files: &RunFiles,
        case: &Case,
    ) -> Result<stand_in::Server, StackError> {
        let dir = self.run_dir.join("dashboards");
        files.write_component("dashboards", &dir)?;
        let config =
            stand_in::Config::from_yaml(files.dashboards_yml(), &dir).map_err(|e| match e {
                // Valid for Dashboards: the harness cannot judge this case.
                stand_in::ConfigError::Unsupported(_) => StackError::StandIn(e.to_string()),
                refused => StackError::StandInRefused(refused),
            })?;
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let hosts = &self.context.topology.hosts;
        let upstreams = stand_in::Upstreams {
            resolve: vec![
                (
                    hosts.idp.clone(),
                    loopback(self.context.topology.https_port),
                ),
                (
                    hosts.dashboards.clone(),
                    loopback(self.context.topology.https_port),
                ),
                (
                    hosts.opensearch.clone(),
                    loopback(self.context.topology.opensearch_http_port),
                ),
            ],
            extra_trusted_ca_pem: (case.document.stack.idp_certificate == IdpCertificate::Public)
                .then(|| self.context.certs.ca_cert.clone()),
        };
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", self.context.topology.dashboards_port))
                .await?;
        stand_in::Server::start(config, upstreams, listener)
            .await
            .map_err(|e| match e {
                // What Dashboards refuses at start-up (IdP discovery failing): the case's judged outcome.
                stand_in::StartError::Config(e)
                    if !matches!(e, stand_in::ConfigError::Unsupported(_)) =>
                {
                    StackError::StandInRefused(e)
                }
                e => StackError::StandIn(e.to_string()),
            })
    }

    /// Makes the IdP and the Dashboards stand-in wait `delay` before answering each of `paths` (their own paths,
    /// e.g. `/application/o/token/`, `/auth/login`): the observer's tests of a slow backend.
    pub fn slow_down(&mut self, paths: &[&str], delay: Duration) {
        self.slow = paths.iter().map(|p| (p.to_string(), delay)).collect();
        self.idp.delays().set(&self.slow);
        if let Some(s) = &self.stand_in {
            s.delays().set(&self.slow);
        }
    }

    pub fn node(&self) -> &Node {
        self.node
            .as_ref()
            .expect("a node runs while the stack does")
    }

    pub fn stand_in(&self) -> Option<&stand_in::Server> {
        self.stand_in.as_ref()
    }

    pub fn idp(&self) -> &idp::Server {
        &self.idp
    }

    pub fn caddy(&self) -> &Caddy {
        self.caddy
            .as_ref()
            .expect("Caddy runs while the stack does")
    }

    /// The `host → 127.0.0.1` rules a browser needs to reach the stack by its names.
    pub fn host_rules(&self) -> Vec<(String, String)> {
        let h = &self.context.topology.hosts;
        [&h.idp, &h.dashboards, &h.opensearch]
            .iter()
            .map(|n| (n.to_string(), "127.0.0.1".to_owned()))
            .collect()
    }

    /// Stops everything (also done by drop, without waiting for the servers).
    pub async fn stop(mut self) {
        if let Some(b) = self.session.take() {
            let _ = b.close().await;
        }
        if let Some(s) = self.stand_in.take() {
            s.stop().await;
        }
        if let Some(node) = self.node.take() {
            node.stop();
        }
        if let Some(kc) = self.keycloak.take() {
            kc.node.stop();
        }
    }
}

impl crate::run::Target for Stack {
    fn topology(&self) -> &Topology {
        &self.context.topology
    }

    fn secrets(&self) -> &Secrets {
        &self.context.secrets
    }

    fn certs(&self) -> &crate::certs::RunCertificates {
        &self.context.certs
    }

    async fn apply(&mut self, case: &Case) -> Result<Applied, crate::run::StackError> {
        Ok(Stack::apply(self, case).await?)
    }

    fn warm_browser(&mut self) -> &mut Option<browser::Browser> {
        &mut self.session
    }

    fn browser(&self) -> (String, browser::Options) {
        (
            self.driver.url(),
            browser::Options {
                host_rules: self.host_rules(),
                trusted_spki: self.context.certs.site_spkis(),
                remote: false,
            },
        )
    }

    fn opensearch(&self) -> Result<(reqwest::Client, String), reqwest::Error> {
        let client = opensearch::client(&self.context.certs.ca_cert, &self.context.topology, None)?;
        Ok((client, self.context.topology.opensearch_url()))
    }

    fn opensearch_log_offset(&self) -> u64 {
        self.node().log_offset()
    }

    fn opensearch_log_since(&self, offset: u64) -> Vec<String> {
        self.node().log_since(offset)
    }

    fn dashboards_log_offset(&self) -> u64 {
        self.stand_in
            .as_ref()
            .map_or(0, |s| s.log_lines().len() as u64)
    }

    fn dashboards_log_since(&self, offset: u64) -> Vec<String> {
        self.stand_in.as_ref().map_or_else(Vec::new, |s| {
            s.log_lines().into_iter().skip(offset as usize).collect()
        })
    }

    async fn last_id_token(&self, user: &str) -> Option<String> {
        match &self.current {
            // Keycloak hands the harness no token: the user logs in once more, headless, as the relying party.
            Some(case) if case.document.stack.idp == IdpProfile::Keycloak => {
                let files = self.context.render(case).ok()?;
                let scope = crate::stack::headless::dashboards_scope(&files, &self.run_dir);
                let caddy = SocketAddr::from(([127, 0, 0, 1], self.context.topology.https_port));
                crate::stack::headless::id_token(&self.context, caddy, case, &scope, user)
                    .await
                    .ok()
            }
            _ => self.idp.last_id_token(user),
        }
    }
}

/// The Caddyfile of a case's files.
fn caddyfile(files: &RunFiles) -> String {
    files.0.get("caddy/Caddyfile").cloned().unwrap_or_default()
}

/// OpenSearch runs as `nobody` when the harness is root: the run folder must be reachable for it.
fn open_for_others(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
}
