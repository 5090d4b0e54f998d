//! One facade over both backends: `e2e`, `up`, `bench` and the tests start a stack, run cases on it and stop it
//! without asking which backend it is.

use std::path::Path;
use std::time::Duration;

use crate::browser;
use crate::containers::{
    self,
    images::{DashboardsImage, IdpImages, Images, Source},
};
use crate::run::versions::{DashboardsOffer, Offer, Pinned};
use crate::run::{Applied, StackError, Target};
use crate::scenario::Case;
use crate::secrets::Secrets;
use crate::topology::Topology;
use crate::{idp, native, stand_in};

/// Which backend runs the cases, and with what.
#[derive(Clone, Debug)]
pub enum Backend {
    /// Local processes: OpenSearch from Maven Central — of this version when one was named for the run, else
    /// the one each case asks for where Maven Central serves it (`run::versions`).
    Native { opensearch: Option<String> },
    /// Docker containers of these images (of this set of the versions file, when official).
    Containers {
        images: Box<Images>,
        version_set: Option<String>,
    },
}

/// How reports name what a backend runs (the stand-ins named as such).
#[derive(Clone, Debug)]
pub struct Described {
    pub backend: String,
    pub opensearch: String,
    pub idp: String,
    pub dashboards: String,
}

impl Backend {
    pub fn describe(&self) -> Described {
        match self {
            Backend::Native { opensearch } => Described {
                backend: "native".into(),
                opensearch: opensearch
                    .clone()
                    .unwrap_or_else(|| crate::opensearch::NATIVE_DEFAULT_VERSION.to_owned()),
                idp: idp::NAME.into(),
                dashboards: stand_in::NAME.into(),
            },
            Backend::Containers { images, .. } => Described {
                backend: format!(
                    "containers ({} images)",
                    match images.source {
                        Source::Official => "official",
                        Source::Local => "local",
                    }
                ),
                opensearch: images.opensearch.tag.clone(),
                idp: match &images.idp {
                    IdpImages::Embedded(_) => idp::NAME.into(),
                    IdpImages::Authentik { server, .. } => format!("authentik {}", server.tag),
                },
                dashboards: match &images.dashboards {
                    DashboardsImage::StandIn(_) => stand_in::NAME.into(),
                    DashboardsImage::Official(i) => format!("OpenSearch Dashboards {}", i.tag),
                },
            },
        }
    }

    /// How reports name the IdP(s) `cases` run on: the backend's own, Keycloak (and its version) for cases with
    /// `stack.idp: keycloak`, both when the run has both.
    pub fn idps_of(&self, cases: &[crate::scenario::Case]) -> String {
        let offer = self.offer();
        let keycloak = |c: &crate::scenario::Case| {
            c.document.stack.idp == crate::scenario::IdpProfile::Keycloak
        };
        let mut names = Vec::new();
        if cases.is_empty() || cases.iter().any(|c| !keycloak(c)) {
            names.push(offer.idp.clone());
        }
        if cases.iter().any(keycloak) {
            names.push(offer.keycloak);
        }
        names.join(", ")
    }

    /// The set of `compose/versions.yaml` the images come from, if any.
    pub fn version_set(&self) -> Option<&str> {
        match self {
            Backend::Containers { version_set, .. } => version_set.as_deref(),
            Backend::Native { .. } => None,
        }
    }

    /// Whether the backend runs Caddy, Chromium and chromedriver as programs of this machine (which a fresh
    /// machine may have to install first).
    pub fn runs_local_programs(&self) -> bool {
        matches!(self, Backend::Native { .. })
    }

    /// What this backend can run, for `run::versions::decide`. A version named for the run (on the command line,
    /// by a version set, by the local images) pins every case to it.
    pub fn offer(&self) -> Offer {
        let idp = self.describe().idp;
        match self {
            Backend::Native { opensearch } => {
                Offer::native(opensearch.clone().map(|version| Pinned {
                    version,
                    by: "named on the command line".into(),
                }))
            }
            Backend::Containers {
                images,
                version_set,
            } => Offer {
                opensearch_pinned: Some(Pinned {
                    version: images.opensearch.tag.clone(),
                    by: match version_set {
                        Some(set) => format!("version set {set}"),
                        None => "the local images".into(),
                    },
                }),
                opensearch_available: Vec::new(),
                opensearch_default: images.opensearch.tag.clone(),
                opensearch_missing: String::new(),
                dashboards: match &images.dashboards {
                    DashboardsImage::StandIn(_) => DashboardsOffer::stand_in(),
                    DashboardsImage::Official(i) => DashboardsOffer::Real(i.tag.clone()),
                },
                idp,
                keycloak: crate::keycloak::name(&images.keycloak.tag),
            },
        }
    }

    /// Starts a stack with OpenSearch `opensearch_version` that can serve `first` (the containers backend starts
    /// each component on that case's files). Cases are then `apply`'d to it, `first` too. Its own files (real
    /// secrets and keys) go under `run_dir`. `progress` hears about each phase.
    pub async fn start(
        &self,
        first: &Case,
        opensearch_version: &str,
        run_dir: &Path,
        progress: &dyn Fn(&str),
    ) -> Result<Stack, StackError> {
        Ok(match self {
            Backend::Native { .. } => {
                let options = native::Options {
                    opensearch_version: opensearch_version.to_owned(),
                    run_dir: run_dir.to_owned(),
                };
                Stack::Native(native::Stack::start(first, &options, progress).await?)
            }
            Backend::Containers { images, .. } => {
                let options = containers::Options {
                    images: (**images).clone(),
                    run_dir: run_dir.to_owned(),
                };
                Stack::Containers(containers::Stack::start(first, &options, progress).await?)
            }
        })
    }

    /// After an interruption (Ctrl-C): removes what a start cut short left without a handle to remove it by
    /// (containers, by this process's label). Processes go with their handles.
    pub async fn remove_leftovers(&self) -> Result<(), StackError> {
        if let Backend::Containers { .. } = self {
            containers::docker::remove_own().await?;
        }
        Ok(())
    }
}

/// A running stack of either backend.
// One per run: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Stack {
    Native(native::Stack),
    Containers(containers::Stack),
}

impl Stack {
    /// How long OpenSearch took to boot (every boot of the run, restarts included).
    pub fn opensearch_boot(&self) -> Duration {
        match self {
            Stack::Native(s) => s.timings.opensearch_boot,
            Stack::Containers(s) => s.timings.opensearch_boot,
        }
    }

    /// How to read what the stack holds in memory, beside it (a sampler runs while the cases do).
    pub fn memory_probe(&self) -> MemoryProbe {
        match self {
            Stack::Native(_) => MemoryProbe::ProcessTree,
            Stack::Containers(s) => MemoryProbe::Containers(s.run_id().to_owned()),
        }
    }

    /// `host → address` rules for a browser on this machine (Chromium's `--host-resolver-rules`).
    pub fn host_rules(&self) -> Vec<(String, String)> {
        match self {
            Stack::Native(s) => s.host_rules(),
            Stack::Containers(s) => s.host_rules(),
        }
    }

    /// The id the run's containers and network are labelled with (containers only).
    pub fn containers_run(&self) -> Option<&str> {
        match self {
            Stack::Native(_) => None,
            Stack::Containers(s) => Some(s.run_id()),
        }
    }

    /// A login of `user` with no browser (`headless::id_token`, either IdP) through the stack's Caddy, with the default scope
    /// of Dashboards' OpenID client: the protocol's own cost, for `bench`.
    pub async fn headless_login(&self, case: &Case, user: &str) -> Result<String, StackError> {
        let (context, caddy_port) = match self {
            Stack::Native(s) => (&s.context, s.context.topology.https_port),
            Stack::Containers(s) => (&s.context, s.caddy_port()),
        };
        let caddy = std::net::SocketAddr::from(([127, 0, 0, 1], caddy_port));
        Ok(super::headless::id_token(context, caddy, case, "openid profile email", user).await?)
    }

    /// Stops everything the stack started.
    pub async fn stop(self) {
        match self {
            Stack::Native(s) => s.stop().await,
            Stack::Containers(s) => s.stop().await,
        }
    }
}

/// Where a stack's memory is read.
#[derive(Clone, Debug)]
pub enum MemoryProbe {
    /// This process and every process it started (the native components).
    ProcessTree,
    /// The run's containers, as the engine counts them (this process not included).
    Containers(String),
}

impl MemoryProbe {
    /// Resident memory now, in KiB (0 when it cannot be read).
    pub async fn kib(&self) -> u64 {
        match self {
            MemoryProbe::ProcessTree => tokio::task::spawn_blocking(crate::process::tree_rss_kib)
                .await
                .unwrap_or(0),
            MemoryProbe::Containers(run) => containers::docker::memory_kib(run).await.unwrap_or(0),
        }
    }
}

/// Each call goes to the backend's own stack.
macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Stack::Native($s) => $e,
            Stack::Containers($s) => $e,
        }
    };
}

impl Target for Stack {
    fn topology(&self) -> &Topology {
        delegate!(self, s => s.topology())
    }
    fn secrets(&self) -> &Secrets {
        delegate!(self, s => s.secrets())
    }
    fn certs(&self) -> &crate::certs::RunCertificates {
        delegate!(self, s => s.certs())
    }
    async fn apply(&mut self, case: &Case) -> Result<Applied, StackError> {
        match self {
            Stack::Native(s) => Target::apply(s, case).await,
            Stack::Containers(s) => Target::apply(s, case).await,
        }
    }
    fn browser(&self) -> (String, browser::Options) {
        delegate!(self, s => s.browser())
    }
    fn warm_browser(&mut self) -> &mut Option<browser::Browser> {
        delegate!(self, s => s.warm_browser())
    }
    fn opensearch(&self) -> Result<(reqwest::Client, String), reqwest::Error> {
        delegate!(self, s => s.opensearch())
    }
    fn opensearch_log_offset(&self) -> u64 {
        delegate!(self, s => s.opensearch_log_offset())
    }
    fn opensearch_log_since(&self, offset: u64) -> Vec<String> {
        delegate!(self, s => s.opensearch_log_since(offset))
    }
    fn dashboards_log_offset(&self) -> u64 {
        delegate!(self, s => s.dashboards_log_offset())
    }
    fn dashboards_log_since(&self, offset: u64) -> Vec<String> {
        delegate!(self, s => s.dashboards_log_since(offset))
    }
    fn component_logs(&self) -> Vec<(String, u64)> {
        delegate!(self, s => s.component_logs())
    }
    fn component_log_since(&self, name: &str, offset: u64) -> Vec<String> {
        delegate!(self, s => s.component_log_since(name, offset))
    }
    async fn last_id_token(&self, user: &str) -> Option<String> {
        delegate!(self, s => s.last_id_token(user).await)
    }
}
