//! One description per service of the stack — image, mounts, environment, command, the names it reaches, published
//! ports, readiness — read by both the containers backend (`component::start` turns one into a container) and the
//! reproduction bundles (`compose::compose_yaml` writes it as YAML). Pure.
//!
//! A bundle and a run legitimately differ in a few things, and those are the [`Deploy`] a description is made
//! for, never a second description: where the files are (`./` beside compose.yaml, or a run's absolute folder),
//! how one service names another (the bundle's service name, or the run's container name), secrets (`${NAME}`
//! from `.env`, or the run's values), and how the IdP's and Dashboards' names reach Caddy (network aliases in a
//! bundle; `extra_hosts` to Caddy's address in a run, as testcontainers 0.28 has no alias API).

use std::path::Path;
use std::time::Duration;

use super::images::{DashboardsImage, Image};
use crate::render::paths;
use crate::scenario::IdpCertificate;
use crate::secrets::Secrets;
use crate::topology::{
    AUTHENTIK_BLUEPRINTS, CADDY_CONFIG, DASHBOARDS_CONFIG, Hostnames, OPENSEARCH_CONFIG,
};

/// The uid the official OpenSearch and Dashboards images run as (the local images keep it): their files must be
/// readable by it.
pub const IMAGE_UID: (u32, u32) = (1000, 1000);
/// OpenSearch's heap in a container.
pub const HEAP: &str = "-Xms512m -Xmx512m";
/// The truststore OpenSearch gets when the IdP's certificate is "public" (the JVM's CAs plus the run CA), beside
/// the rendered files.
pub const TRUSTSTORE: &str = "opensearch/truststore.p12";
/// The stand-ins image's configuration folder, and where the embedded IdP records the tokens it issues.
pub const STAND_INS_ETC: &str = "/etc/sso-harness";
pub const TOKENS: &str = "/var/lib/sso-harness/tokens";
/// The secrets the services share (`Secrets::generate` names; a bundle's `.env` holds them upper-cased).
pub const AUTHENTIK_SECRET_KEY: &str = "authentik_secret_key";
pub const POSTGRES_PASSWORD: &str = "postgres_password";

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
    fn reach(&self, hostname: &str, by: Service) -> Option<(String, String)> {
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
    fn new(service: Service, deploy: &Deploy, image: &Image) -> Self {
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

    fn mount(mut self, source: String, target: impl Into<String>) -> Self {
        self.mounts.push(Mount {
            source: Source::Host(source),
            target: target.into(),
            writable: false,
            note: None,
        });
        self
    }

    /// A note on the mount added last.
    fn mount_note(mut self, note: &'static str) -> Self {
        self.mounts.last_mut().expect("a mount to note").note = Some(note);
        self
    }

    fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push(EnvVar {
            name: name.to_owned(),
            value: value.into(),
            note: None,
        });
        self
    }

    fn command<S: Into<String>>(mut self, cmd: impl IntoIterator<Item = S>) -> Self {
        self.command = cmd.into_iter().map(Into::into).collect();
        self
    }

    /// Looks up `hostname`, answered by `by`.
    fn reaches(mut self, deploy: &Deploy, hostname: &str, by: Service) -> Self {
        self.extra_hosts.extend(deploy.reach(hostname, by));
        self
    }

    fn ready_on(mut self, stream: Stream, line: &'static str) -> Self {
        self.ready = Some(Ready::Logs { stream, line });
        self
    }

    fn startup(mut self, d: Duration) -> Self {
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

/// Caddy in front of the IdP and Dashboards: it answers their names (TLS with the run's site certificates).
pub fn caddy(image: &Image, hosts: &Hostnames, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::Caddy, deploy, image)
        .mount(
            deploy.file("caddy/Caddyfile"),
            format!("{CADDY_CONFIG}/Caddyfile"),
        )
        .mount(deploy.file("caddy/certs"), format!("{CADDY_CONFIG}/certs"))
        .ready_on(Stream::Stderr, "serving initial configuration");
    s.publish = vec![443];
    s.aliases = vec![hosts.idp.clone(), hosts.dashboards.clone()];
    s.aliases_note = Some(
        "The IdP and Dashboards are reached through Caddy by these names, from the browser and from inside.",
    );
    s
}

/// The browser: Chromium with chromedriver, driven through its published port (a run only).
pub fn browser(image: &Image, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::Browser, deploy, image)
        .ready_on(Stream::Stdout, "ChromeDriver was started successfully");
    s.publish = vec![9515];
    s
}

/// The JVM options of OpenSearch's container: the heap, and the truststore when the IdP's certificate is
/// "public".
pub fn opensearch_java_opts(certificate: IdpCertificate) -> String {
    let mut opts = HEAP.to_owned();
    if certificate == IdpCertificate::Public {
        opts.push_str(&format!(
            " -Djavax.net.ssl.trustStore={OPENSEARCH_CONFIG}/truststore.p12 -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12"
        ));
    }
    opts
}

/// OpenSearch with the rendered configuration, certificates and security files (and the truststore of
/// [`TRUSTSTORE`] when the IdP's certificate is "public"): ready once its security plugin says UP.
pub fn opensearch(
    image: &Image,
    certificate: IdpCertificate,
    hosts: &Hostnames,
    deploy: &Deploy,
) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::OpenSearch, deploy, image)
        .env("DISABLE_INSTALL_DEMO_CONFIG", "true")
        .env("OPENSEARCH_JAVA_OPTS", opensearch_java_opts(certificate));
    s = s
        .mount(
            deploy.file(paths::OPENSEARCH_YML),
            format!("{OPENSEARCH_CONFIG}/opensearch.yml"),
        )
        .mount(
            deploy.file("opensearch/certs"),
            format!("{OPENSEARCH_CONFIG}/certs"),
        )
        .mount(
            deploy.file("opensearch/opensearch-security"),
            format!("{OPENSEARCH_CONFIG}/opensearch-security"),
        );
    if certificate == IdpCertificate::Public {
        s = s.mount(
            deploy.file(TRUSTSTORE),
            format!("{OPENSEARCH_CONFIG}/truststore.p12"),
        );
    }
    s.publish = vec![9200];
    s.aliases = vec![hosts.opensearch.clone()];
    s.ready = Some(Ready::Http {
        what: "OpenSearch's security plugin (`_plugins/_security/health` UP)",
        port: 9200,
        path: "/_plugins/_security/health",
        body: Some("\"UP\""),
        limit: Duration::from_secs(240),
        every: Duration::from_millis(500),
    });
    s.reaches(deploy, &hosts.idp, Service::Caddy)
        .reaches(deploy, &hosts.dashboards, Service::Caddy)
}

/// Dashboards — the official image, or the stand-in — with the rendered yml and certificates. File by file: the
/// image's config folder has more in it (node.options) than the harness renders.
pub fn dashboards(
    image: &DashboardsImage,
    certificate: IdpCertificate,
    hosts: &Hostnames,
    deploy: &Deploy,
) -> ServiceSpec {
    let public = certificate == IdpCertificate::Public;
    let config = format!("{DASHBOARDS_CONFIG}/opensearch_dashboards.yml");
    let ca = format!("{DASHBOARDS_CONFIG}/certs/ca.pem");
    let mut s = match image {
        DashboardsImage::StandIn(image) => {
            let mut cmd = vec![
                "stand-in",
                "serve",
                "--config",
                &config,
                "--listen",
                "0.0.0.0:5601",
            ];
            if public {
                cmd.extend(["--extra-ca", &ca]);
            }
            ServiceSpec::new(Service::Dashboards, deploy, image)
                .command(cmd)
                .ready_on(Stream::Stdout, "listening on")
        }
        DashboardsImage::Official(image) => {
            let mut s = ServiceSpec::new(Service::Dashboards, deploy, image)
                .ready_on(Stream::Stdout, "http server running")
                .startup(Duration::from_secs(300));
            if public {
                s.env.push(EnvVar {
                    name: "NODE_EXTRA_CA_CERTS".into(),
                    value: ca,
                    note: Some(
                        "The IdP's certificate is \"public\" in this case: Node trusts the run CA beside its own roots.",
                    ),
                });
            }
            s
        }
    };
    s = s
        .mount(deploy.file(paths::DASHBOARDS_YML), config)
        .mount_note(
            "The rendered yml replaces the image's, so it carries server.host: \"0.0.0.0\" as the image's does.",
        )
        .mount(
            deploy.file("dashboards/certs"),
            format!("{DASHBOARDS_CONFIG}/certs"),
        );
    s.depends_on = vec![deploy.name(Service::OpenSearch)];
    s.reaches(deploy, &hosts.idp, Service::Caddy)
        .reaches(deploy, &hosts.dashboards, Service::Caddy)
        .reaches(deploy, &hosts.opensearch, Service::OpenSearch)
}

/// The embedded IdP (`idp serve` in the stand-ins image) on the case's `idp/config.json`, recording the tokens it
/// issues in the run's `tokens` folder (a run only: bundles run the real authentik).
pub fn embedded_idp(image: &Image, run: &Run) -> ServiceSpec {
    let deploy = Deploy::Run(*run);
    let config = format!("{STAND_INS_ETC}/idp/config.json");
    let mut s = ServiceSpec::new(Service::Idp, &deploy, image)
        .mount(deploy.file("idp"), format!("{STAND_INS_ETC}/idp"))
        .mount(run.dir.join("tokens").display().to_string(), TOKENS)
        .command([
            "idp",
            "serve",
            "--config",
            &config,
            "--listen",
            "0.0.0.0:9000",
            "--record-tokens",
            TOKENS,
        ])
        .ready_on(Stream::Stdout, "plain HTTP");
    s.mounts[1].writable = true;
    s
}

/// authentik's database. A bundle keeps it in a named volume (across `docker compose up`s); a run's goes with its
/// container.
pub fn postgres(image: &Image, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::Postgres, deploy, image)
        .env("POSTGRES_DB", "authentik")
        .env("POSTGRES_USER", "authentik")
        .env("POSTGRES_PASSWORD", deploy.secret(POSTGRES_PASSWORD))
        .ready_on(
            Stream::Stderr,
            "database system is ready to accept connections",
        );
    if let Deploy::Bundle = deploy {
        s.mounts.push(Mount {
            source: Source::Volume("postgres".into()),
            target: "/var/lib/postgresql/data".into(),
            writable: true,
            note: None,
        });
    }
    s
}

/// Redis, for authentik before 2025.10.
pub fn redis(image: &Image, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::Redis, deploy, image)
        .ready_on(Stream::Stdout, "Ready to accept connections");
    s.note = Some("authentik before 2025.10 keeps its cache and tasks in redis.");
    s
}

/// What authentik's server and worker both read: its secret key, its database (and redis).
fn authentik_env(deploy: &Deploy, redis: bool) -> SharedEnv {
    let var = |name: &str, value: String| EnvVar {
        name: name.to_owned(),
        value,
        note: None,
    };
    let mut vars = vec![
        var("AUTHENTIK_SECRET_KEY", deploy.secret(AUTHENTIK_SECRET_KEY)),
        var(
            "AUTHENTIK_POSTGRESQL__HOST",
            deploy.host_of(Service::Postgres),
        ),
        var("AUTHENTIK_POSTGRESQL__NAME", "authentik".into()),
        var("AUTHENTIK_POSTGRESQL__USER", "authentik".into()),
        var(
            "AUTHENTIK_POSTGRESQL__PASSWORD",
            deploy.secret(POSTGRES_PASSWORD),
        ),
    ];
    if redis {
        vars.push(var("AUTHENTIK_REDIS__HOST", deploy.host_of(Service::Redis)));
    }
    SharedEnv {
        name: "authentik-env",
        vars,
    }
}

/// authentik's server (`server`), named as the IdP: Caddy forwards to it. Ready once `/-/health/ready/` answers.
pub fn authentik_server(image: &Image, redis: bool, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::Idp, deploy, image)
        .command(["server"])
        .startup(Duration::from_secs(300));
    s.shared_env = Some(authentik_env(deploy, redis));
    s.depends_on = authentik_depends_on(redis, deploy);
    s.ready = Some(Ready::Http {
        what: "authentik's server",
        port: 9000,
        path: "/-/health/ready/",
        body: None,
        limit: Duration::from_secs(300),
        every: Duration::from_secs(1),
    });
    s
}

/// authentik's worker (`worker`): it applies the blueprints of its folder (at start and on change).
pub fn authentik_worker(image: &Image, redis: bool, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::AuthentikWorker, deploy, image)
        .command(["worker"])
        .mount(deploy.blueprints(), AUTHENTIK_BLUEPRINTS)
        .mount_note(
            "authentik is configured by this blueprint only; the worker applies it at start and on change.",
        )
        .startup(Duration::from_secs(300));
    s.shared_env = Some(authentik_env(deploy, redis));
    // A run's authentik also gets its admin's password and an API token (a bundle's is set up by a person).
    if let Deploy::Run(r) = deploy {
        s = s
            .env(
                "AUTHENTIK_BOOTSTRAP_TOKEN",
                r.secrets.generate("authentik_bootstrap_token"),
            )
            .env(
                "AUTHENTIK_BOOTSTRAP_PASSWORD",
                r.secrets.generate("authentik_bootstrap_password"),
            );
    }
    s.depends_on = authentik_depends_on(redis, deploy);
    s
}

fn authentik_depends_on(redis: bool, deploy: &Deploy) -> Vec<String> {
    let mut d = vec![deploy.name(Service::Postgres)];
    if redis {
        d.push(deploy.name(Service::Redis));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<'a>(secrets: &'a Secrets) -> Run<'a> {
        Run {
            id: "abc",
            files: Path::new("/run/files-2"),
            dir: Path::new("/run"),
            secrets,
            caddy_ip: "10.0.0.2",
            opensearch_ip: "10.0.0.3",
        }
    }

    #[test]
    fn a_run_and_a_bundle_differ_only_where_they_must() {
        let secrets = Secrets::from_seed([7; 32]);
        let hosts = Hostnames::default();
        let image = Image::new("opensearchproject/opensearch", "2.19.4");
        let bundle = opensearch(&image, IdpCertificate::Public, &hosts, &Deploy::Bundle);
        let run = opensearch(
            &image,
            IdpCertificate::Public,
            &hosts,
            &Deploy::Run(run(&secrets)),
        );
        assert_eq!(
            bundle.mounts[0].source,
            Source::Host("./opensearch/opensearch.yml".into())
        );
        assert_eq!(
            run.mounts[0].source,
            Source::Host("/run/files-2/opensearch/opensearch.yml".into())
        );
        assert!(bundle.extra_hosts.is_empty());
        assert_eq!(
            run.extra_hosts,
            [
                ("idp.sso.test".to_owned(), "10.0.0.2".to_owned()),
                ("dashboards.sso.test".to_owned(), "10.0.0.2".to_owned())
            ]
        );
        // Everything else is the one description.
        let without_places = |mut s: ServiceSpec| {
            s.mounts
                .iter_mut()
                .for_each(|m| m.source = Source::Host(String::new()));
            s.extra_hosts.clear();
            s
        };
        assert_eq!(without_places(bundle), without_places(run));
    }

    #[test]
    fn names_and_secrets_follow_the_deployment() {
        let secrets = Secrets::from_seed([7; 32]);
        let r = Deploy::Run(run(&secrets));
        assert_eq!(Deploy::Bundle.name(Service::Idp), "authentik-server");
        assert_eq!(r.name(Service::Idp), "idp");
        assert_eq!(Deploy::Bundle.host_of(Service::Postgres), "postgres");
        assert_eq!(r.host_of(Service::Postgres), "sso-harness-abc-postgres");
        assert_eq!(
            Deploy::Bundle.secret(POSTGRES_PASSWORD),
            "${POSTGRES_PASSWORD}"
        );
        assert_eq!(
            r.secret(POSTGRES_PASSWORD),
            secrets.generate(POSTGRES_PASSWORD)
        );
        assert_eq!(Deploy::Bundle.blueprints(), "./authentik/blueprints");
        assert_eq!(r.blueprints(), "/run/blueprints");
        let image = Image::new("ghcr.io/goauthentik/server", "2025.8.4");
        let worker = authentik_worker(&image, true, &r);
        assert_eq!(
            worker
                .all_env()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>(),
            [
                "AUTHENTIK_SECRET_KEY",
                "AUTHENTIK_POSTGRESQL__HOST",
                "AUTHENTIK_POSTGRESQL__NAME",
                "AUTHENTIK_POSTGRESQL__USER",
                "AUTHENTIK_POSTGRESQL__PASSWORD",
                "AUTHENTIK_REDIS__HOST",
                "AUTHENTIK_BOOTSTRAP_TOKEN",
                "AUTHENTIK_BOOTSTRAP_PASSWORD",
            ]
        );
        assert!(
            authentik_worker(&image, true, &Deploy::Bundle)
                .env
                .is_empty()
        );
    }
}
