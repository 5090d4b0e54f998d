//! One description per service of the stack — image, mounts, environment, command, the names it reaches, published
//! ports, readiness — read by both the containers backend (`component::start` turns one into a container) and the
//! reproduction bundles (`compose::compose_yaml` writes it as YAML). Pure.
//!
//! A bundle and a run legitimately differ in a few things, and those are the [`Deploy`] a description is made
//! for, never a second description: where the files are (`./` beside compose.yaml, or a run's absolute folder),
//! how one service names another (the bundle's service name, or the run's container name), secrets (`${NAME}`
//! from `.env`, or the run's values), and how the IdP's and Dashboards' names reach Caddy (network aliases in a
//! bundle; `extra_hosts` to Caddy's address in a run, as testcontainers 0.28 has no alias API).

use std::time::Duration;

use super::images::{DashboardsImage, Image};
pub use super::spec::{
    Deploy, EnvVar, Mount, Ready, Run, Service, ServiceSpec, SharedEnv, Source, Stream,
    container_name, env_name,
};
use crate::render::paths;
use crate::scenario::IdpCertificate;
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
pub const KEYCLOAK_ADMIN_SECRET: &str = "keycloak_admin_client_secret";
/// Where the official Keycloak image imports realms from at start (`--import-realm`).
pub const KEYCLOAK_IMPORT: &str = "/opt/keycloak/data/import";
/// Keycloak's heap in a container: kc.sh's own default outside one (the native backend's).
pub const KEYCLOAK_HEAP: &str = "-Xms64m -Xmx512m";

/// Caddy in front of the IdP and Dashboards: it answers their names (TLS with the run's site certificates).
///
/// A run's Caddy never restarts (the others reach it by its address), yet a Keycloak case leads the IdP's name
/// elsewhere: so a run mounts Caddy's whole folder (a Caddyfile renamed into it is seen, where a file mounted on its
/// own keeps the inode it was mounted with) and runs it with `--watch`, which reloads a changed Caddyfile within a
/// second, with no admin endpoint (`admin off`). A bundle runs one case: the image's own command, file by file.
pub fn caddy(image: &Image, hosts: &Hostnames, deploy: &Deploy) -> ServiceSpec {
    let mut s = ServiceSpec::new(Service::Caddy, deploy, image);
    s = match deploy {
        Deploy::Bundle => s
            .mount(
                deploy.file("caddy/Caddyfile"),
                format!("{CADDY_CONFIG}/Caddyfile"),
            )
            .mount(deploy.file("caddy/certs"), format!("{CADDY_CONFIG}/certs")),
        Deploy::Run(_) => s.mount(deploy.file("caddy"), CADDY_CONFIG).command([
            "caddy",
            "run",
            "--config",
            &format!("{CADDY_CONFIG}/Caddyfile"),
            "--adapter",
            "caddyfile",
            "--watch",
        ]),
    };
    s = s.ready_on(Stream::Stderr, "serving initial configuration");
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

/// The real Keycloak (`quay.io/keycloak/keycloak`, or the local stand-in for that image): Caddy forwards the IdP's
/// name to its plain HTTP port 8080 for a Keycloak case. The configuration path is the native backend's — the
/// case's rendered realm (`render::keycloak`, `keycloak/realm.json`): a bundle's Keycloak reads it with
/// `--import-realm` at start; a run's serves every Keycloak case of the run and gets each case's realm over the
/// admin REST API, as natively (`keycloak::Admin`, through the published 8080). `--hostname` pins the issuer to the
/// IdP's public origin, forwarded headers come from Caddy, and the admin is a bootstrap client. The options the
/// native build fixes (`kc.sh build`) are given to `start`, which builds first in the official image (the local one
/// is built with them: no rebuild). The heap is kc.sh's outside a container (the native backend's): in one, kc.sh
/// would size it from the container's memory, which no limit bounds. Ready when `/health/ready` on the management
/// port (9000) answers.
pub fn keycloak(image: &Image, idp_url: &str, deploy: &Deploy) -> ServiceSpec {
    let import = std::path::Path::new(paths::KEYCLOAK_REALM)
        .parent()
        .expect("the realm is in a folder")
        .display()
        .to_string();
    let mut args = vec!["start".to_owned()];
    args.extend(
        crate::keycloak::distribution::BUILD_OPTIONS
            .iter()
            .map(|o| o.to_string()),
    );
    args.extend([
        "--http-enabled=true".to_owned(),
        format!("--hostname={idp_url}"),
        "--proxy-headers=xforwarded".to_owned(),
    ]);
    let mut s = ServiceSpec::new(Service::Keycloak, deploy, image);
    match deploy {
        Deploy::Bundle => {
            args.push("--import-realm".to_owned());
            s = s.mount(deploy.file(&import), KEYCLOAK_IMPORT).mount_note(
                "Keycloak imports this realm (its roles, groups, users and the client) at start.",
            );
        }
        // The harness's admin calls go to it directly, as natively.
        Deploy::Run(_) => s.publish = vec![8080],
    }
    s = s
        .env("JAVA_OPTS_KC_HEAP", KEYCLOAK_HEAP)
        .env(
            "KC_BOOTSTRAP_ADMIN_CLIENT_ID",
            crate::keycloak::node::ADMIN_CLIENT_ID,
        )
        .env(
            "KC_BOOTSTRAP_ADMIN_CLIENT_SECRET",
            deploy.secret(KEYCLOAK_ADMIN_SECRET),
        )
        .command(args)
        .startup(Duration::from_secs(300));
    s.ready = Some(Ready::Http {
        what: "Keycloak",
        port: 9000,
        path: "/health/ready",
        body: None,
        limit: Duration::from_secs(300),
        every: Duration::from_secs(1),
    });
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
    use std::path::Path;

    use super::*;
    use crate::secrets::Secrets;

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
    fn a_run_reloads_caddy_in_place_and_sends_keycloak_its_realms_over_rest() {
        let secrets = Secrets::from_seed([7; 32]);
        let r = Deploy::Run(run(&secrets));
        let hosts = Hostnames::default();
        let image = Image::new("caddy", "2.10");
        // A run's Caddy: its folder, so that a Caddyfile renamed into it is seen, and `--watch` to reload it.
        let caddy = caddy(&image, &hosts, &r);
        assert_eq!(caddy.mounts.len(), 1);
        assert_eq!(
            caddy.mounts[0].source,
            Source::Host("/run/files-2/caddy".into())
        );
        assert_eq!(caddy.mounts[0].target, CADDY_CONFIG);
        assert_eq!(caddy.command.last().map(String::as_str), Some("--watch"));
        // A bundle's: the image's own command, file by file.
        let bundled = super::caddy(&image, &hosts, &Deploy::Bundle);
        assert!(bundled.command.is_empty());
        assert_eq!(bundled.mounts.len(), 2);

        let image = Image::new("quay.io/keycloak/keycloak", "26.7.3");
        let url = "https://idp.sso.test";
        let run = keycloak(&image, url, &r);
        assert!(run.mounts.is_empty() && !run.command.contains(&"--import-realm".to_owned()));
        assert_eq!(run.publish, [8080], "the harness's admin calls");
        let bundle = keycloak(&image, url, &Deploy::Bundle);
        assert_eq!(bundle.mounts[0].target, KEYCLOAK_IMPORT);
        assert!(bundle.command.contains(&"--import-realm".to_owned()) && bundle.publish.is_empty());
        for s in [&run, &bundle] {
            assert!(
                s.command.contains(&"--db=dev-file".to_owned()),
                "the build's options"
            );
            assert!(
                s.env
                    .iter()
                    .any(|v| v.name == "JAVA_OPTS_KC_HEAP" && v.value == KEYCLOAK_HEAP)
            );
        }
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
