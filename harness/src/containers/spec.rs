//! What a service's description is ([`ServiceSpec`], pure data), and what one is made for ([`Deploy`]: a
//! reproduction bundle or the harness's run — the parameter where the two legitimately differ). `services` has
//! each service's description.

use std::path::Path;
use std::time::Duration;

use super::images::Image;
use crate::render::paths;
use crate::secrets::Secrets;

/// A service of the stack, by what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Caddy,
    Browser,
    OpenSearch,
    Dashboards,
    /// The IdP Caddy forwards to: the embedded IdP, or authentik's server.
    Idp,
    AuthentikWorker,
    Postgres,
    Redis,
    /// The real Keycloak: the IdP Caddy forwards to for a Keycloak case.
    Keycloak,
}

impl Service {
    /// Its name in a run: its container is `sso-harness-<run>-<name>`, its log in a case folder `logs/<name>.log`.
    pub fn component(self) -> &'static str {
        match self {
            Service::Caddy => "caddy",
            Service::Browser => "browser",
            Service::OpenSearch => "opensearch",
            Service::Dashboards => "dashboards",
            Service::Idp => "idp",
            Service::AuthentikWorker => "authentik-worker",
            Service::Postgres => "postgres",
            Service::Redis => "redis",
            Service::Keycloak => "keycloak",
        }
    }
}

/// The name of a run's container of `s` (on the run's network, the others reach it by this name).
pub fn container_name(run: &str, s: Service) -> String {
    format!("sso-harness-{run}-{}", s.component())
}

/// What a description is made for: the parameter where a bundle and a run differ.
#[derive(Clone, Copy, Debug)]
pub enum Deploy<'a> {
    /// A reproduction bundle: services named by role, the rendered files beside compose.yaml, secrets from
    /// `.env`, names by network aliases, postgres's data in a named volume.
    Bundle,
    /// The harness's run.
    Run(Run<'a>),
}

/// The harness's run, as far as a description needs it.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    /// The run's id: containers are `sso-harness-<id>-<component>`.
    pub id: &'a str,
    /// The files of the container being described (`files-<n>`, written for it).
    pub files: &'a Path,
    /// The run's folder: what outlives one container (authentik's blueprints, the IdP's recorded tokens).
    pub dir: &'a Path,
    pub secrets: &'a Secrets,
    /// Where Caddy and OpenSearch answer on the run's network (empty before they run).
    pub caddy_ip: &'a str,
    pub opensearch_ip: &'a str,
}

impl Deploy<'_> {
    /// A service's name: the key under `services:` in a bundle, the component's name in a run.
    pub fn name(&self, s: Service) -> String {
        match (self, s) {
            // A bundle's IdP is always authentik's server (bundles name the official images).
            (Deploy::Bundle, Service::Idp) => "authentik-server".to_owned(),
            _ => s.component().to_owned(),
        }
    }

    /// The name another service reaches `s` by.
    pub fn host_of(&self, s: Service) -> String {
        match self {
            Deploy::Bundle => self.name(s),
            Deploy::Run(r) => container_name(r.id, s),
        }
    }

    /// A rendered file or folder (a `RunFiles` path) as a mount source.
    pub fn file(&self, path: &str) -> String {
        match self {
            Deploy::Bundle => format!("./{path}"),
            Deploy::Run(r) => r.files.join(path).display().to_string(),
        }
    }

    /// The folder authentik's worker reads blueprints from: the rendered one in a bundle; in a run one of the
    /// run's own, as authentik outlives a case's files (each case's blueprint is written there and applied).
    pub fn blueprints(&self) -> String {
        let rendered = Path::new(paths::BLUEPRINT)
            .parent()
            .expect("the blueprint is in a folder");
        match self {
            Deploy::Bundle => format!("./{}", rendered.display()),
            Deploy::Run(r) => r.dir.join("blueprints").display().to_string(),
        }
    }

    /// A secret's value: a reference to `.env` in a bundle, the run's own value in a run.
    pub fn secret(&self, name: &str) -> String {
        match self {
            Deploy::Bundle => format!("${{{}}}", env_name(name)),
            Deploy::Run(r) => r.secrets.generate(name),
        }
    }

    /// `hostname` for a service that looks it up, answered by `by`: nothing in a bundle (`by` carries it as an
    /// alias), the address of `by` in a run.
    pub(super) fn reach(&self, hostname: &str, by: Service) -> Option<(String, String)> {
        match self {
            Deploy::Bundle => None,
            Deploy::Run(r) => {
                let ip = match by {
                    Service::Caddy => r.caddy_ip,
                    Service::OpenSearch => r.opensearch_ip,
                    _ => unreachable!("only Caddy and OpenSearch answer the stack's names"),
                };
                Some((hostname.to_owned(), ip.to_owned()))
            }
        }
    }
}

/// The `.env` name of a secret in a bundle.
pub fn env_name(secret: &str) -> String {
    secret.to_ascii_uppercase()
}

/// One service, described before it runs (as testcontainers' images describe themselves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub service: Service,
    /// `Deploy::name`.
    pub name: String,
    /// Why it is there, where that is not plain (a comment over it in a bundle).
    pub note: Option<&'static str>,
    pub image: Image,
    /// Empty: the image's own.
    pub command: Vec<String>,
    /// Variables it shares with other services (authentik's server and worker), named.
    pub shared_env: Option<SharedEnv>,
    pub env: Vec<EnvVar>,
    pub mounts: Vec<Mount>,
    /// Ports published on loopback (a bundle on the same port, a run on one Docker picks).
    pub publish: Vec<u16>,
    /// The names it answers besides its own (a bundle's network aliases; a run's `extra_hosts` of the others).
    pub aliases: Vec<String>,
    pub aliases_note: Option<&'static str>,
    /// Names it looks up, and the address they have (a run only).
    pub extra_hosts: Vec<(String, String)>,
    /// What starts before it (a bundle's `depends_on`; a run starts services in that order anyway).
    pub depends_on: Vec<String>,
    pub ready: Option<Ready>,
    /// How long its start may take, the wait for its `Ready::Logs` line included.
    pub startup: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedEnv {
    pub name: &'static str,
    pub vars: Vec<EnvVar>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub note: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub source: Source,
    pub target: String,
    pub writable: bool,
    pub note: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file or folder of the host (`./…` in a bundle, absolute in a run).
    Host(String),
    /// A named volume (a bundle's postgres data).
    Volume(String),
}

/// When a service is ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ready {
    /// It wrote this line (testcontainers waits for it while starting the container).
    Logs { stream: Stream, line: &'static str },
    /// It answers `path` on `port` with a success (whose body has `body` in it), looked at through the published
    /// port every `every` for at most `limit`.
    Http {
        what: &'static str,
        port: u16,
        path: &'static str,
        body: Option<&'static str>,
        limit: Duration,
        every: Duration,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl ServiceSpec {
    pub(super) fn new(service: Service, deploy: &Deploy, image: &Image) -> Self {
        ServiceSpec {
            service,
            name: deploy.name(service),
            note: None,
            image: image.clone(),
            command: Vec::new(),
            shared_env: None,
            env: Vec::new(),
            mounts: Vec::new(),
            publish: Vec::new(),
            aliases: Vec::new(),
            aliases_note: None,
            extra_hosts: Vec::new(),
            depends_on: Vec::new(),
            ready: None,
            startup: Duration::from_secs(120),
        }
    }

    pub(super) fn mount(mut self, source: String, target: impl Into<String>) -> Self {
        self.mounts.push(Mount {
            source: Source::Host(source),
            target: target.into(),
            writable: false,
            note: None,
        });
        self
    }

    /// A note on the mount added last.
    pub(super) fn mount_note(mut self, note: &'static str) -> Self {
        self.mounts.last_mut().expect("a mount to note").note = Some(note);
        self
    }

    pub(super) fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push(EnvVar {
            name: name.to_owned(),
            value: value.into(),
            note: None,
        });
        self
    }

    pub(super) fn command<S: Into<String>>(mut self, cmd: impl IntoIterator<Item = S>) -> Self {
        self.command = cmd.into_iter().map(Into::into).collect();
        self
    }

    /// Looks up `hostname`, answered by `by`.
    pub(super) fn reaches(mut self, deploy: &Deploy, hostname: &str, by: Service) -> Self {
        self.extra_hosts.extend(deploy.reach(hostname, by));
        self
    }

    pub(super) fn ready_on(mut self, stream: Stream, line: &'static str) -> Self {
        self.ready = Some(Ready::Logs { stream, line });
        self
    }

    pub(super) fn startup(mut self, d: Duration) -> Self {
        self.startup = d;
        self
    }

    /// Every variable it gets, the shared ones first.
    pub fn all_env(&self) -> impl Iterator<Item = &EnvVar> {
        self.shared_env
            .iter()
            .flat_map(|s| &s.vars)
            .chain(&self.env)
    }
}
