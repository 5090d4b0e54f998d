//! Reproduction bundles (`cargo xtask compose`): one case as a `compose.yaml` over the official images, with the
//! rendered configuration, certificates and blueprint beside it and a README saying how to run it and what should
//! happen — something anyone can attach to a bug report and start with `docker compose up`.
//!
//! Pure: the text of `compose.yaml`, `.env` and the README. Secrets are in `.env` only, so `compose.yaml` is the same
//! for every bundle of a case (`compose/compose.yaml` in the repository is the seed case's, kept current by a test).

use crate::containers::images::{DashboardsImage, IdpImages, Images};
use crate::render::{CLUSTER_SETTINGS, RunFiles};
use crate::scenario::{Case, IdpCertificate, wire_name};
use crate::secrets::Secrets;
use crate::topology::{
    AUTHENTIK_BLUEPRINTS, CADDY_CONFIG, DASHBOARDS_CONFIG, OPENSEARCH_CONFIG, Topology,
};

/// The services' names in a bundle (Caddy forwards to the first two).
pub const AUTHENTIK_SERVER: &str = "authentik-server";
pub const DASHBOARDS: &str = "dashboards";

/// Where a bundle's components are: the containers topology with the bundle's service names.
pub fn topology() -> Topology {
    Topology::containers(AUTHENTIK_SERVER, DASHBOARDS)
}

/// The truststore OpenSearch gets when the IdP's certificate is "public" (the JVM's CAs plus the run CA).
pub const TRUSTSTORE: &str = "opensearch/truststore.p12";

/// The rendered files a bundle holds: not the harness's own client files (the admin certificate), and a case's
/// dynamic settings in `opensearch.yml` rather than in the cluster-settings body the harness applies live — the
/// bundle's node runs this one case, so the node's file is where they belong (in a run, a value there would
/// outlive the case: see `render/opensearch.rs`).
pub fn bundle_files(mut files: RunFiles) -> RunFiles {
    files.0.retain(|p, _| !p.starts_with("harness/"));
    if let Some(body) = files.0.remove(CLUSTER_SETTINGS) {
        let body: serde_json::Value = serde_json::from_str(&body).expect("the render writes JSON");
        let yml = files
            .0
            .get_mut("opensearch/opensearch.yml")
            .expect("the render writes opensearch.yml");
        yml.push_str("# Dynamic settings of the case (the harness applies them through _cluster/settings):\n");
        for (key, value) in body["persistent"].as_object().into_iter().flatten() {
            // JSON scalars and lists of them are YAML flow values.
            yml.push_str(&format!("{key}: {value}\n"));
        }
    }
    files
}

/// `compose.yaml` of a bundle. `images` must be official (authentik and Dashboards are what a bug report needs).
pub fn compose_yaml(case: &Case, images: &Images) -> String {
    let (authentik, postgres, redis) = match &images.idp {
        IdpImages::Authentik {
            server,
            postgres,
            redis,
        } => (server, postgres, redis.as_ref()),
        IdpImages::Embedded(_) => unreachable!("bundles name the official images"),
    };
    let dashboards = match &images.dashboards {
        DashboardsImage::Official(i) => i,
        DashboardsImage::StandIn(_) => unreachable!("bundles name the official images"),
    };
    let t = topology();
    let h = &t.hosts;
    let public = case.document.stack.idp_certificate == IdpCertificate::Public;
    let mut java_opts = "-Xms512m -Xmx512m".to_owned();
    let mut truststore_mount = String::new();
    let mut node_extra_ca = String::new();
    if public {
        java_opts.push_str(&format!(
            " -Djavax.net.ssl.trustStore={OPENSEARCH_CONFIG}/truststore.p12 -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12"
        ));
        truststore_mount =
            format!("\n      - ./{TRUSTSTORE}:{OPENSEARCH_CONFIG}/truststore.p12:ro");
        node_extra_ca = format!(
            "\n    environment:\n      # The IdP's certificate is \"public\" in this case: Node trusts the run CA beside its own roots.\n      NODE_EXTRA_CA_CERTS: {DASHBOARDS_CONFIG}/certs/ca.pem"
        );
    }
    let (redis_service, redis_env, redis_dep) = match redis {
        Some(r) => (
            format!(
                "\n  # authentik before 2025.10 keeps its cache and tasks in redis.\n  redis:\n    image: {r}\n    networks: [sso]\n"
            ),
            "\n  AUTHENTIK_REDIS__HOST: redis".to_owned(),
            "\n      - redis".to_owned(),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    format!(
        r#"# Reproduction bundle written by sso-harness (`cargo xtask compose`) for the case
#   {case}
# Start it with `docker compose up` in this folder; README.md says what should happen.
# Secrets are in .env (generated for this bundle only). The browser reaches Caddy on 127.0.0.1:443 by the names
# {idp} and {dashboards_host} (add them to /etc/hosts, see README.md).

x-authentik-env: &authentik-env
  AUTHENTIK_SECRET_KEY: ${{AUTHENTIK_SECRET_KEY}}
  AUTHENTIK_POSTGRESQL__HOST: postgres
  AUTHENTIK_POSTGRESQL__NAME: authentik
  AUTHENTIK_POSTGRESQL__USER: authentik
  AUTHENTIK_POSTGRESQL__PASSWORD: ${{POSTGRES_PASSWORD}}{redis_env}

services:
  caddy:
    image: {caddy}
    volumes:
      - ./caddy/Caddyfile:{CADDY_CONFIG}/Caddyfile:ro
      - ./caddy/certs:{CADDY_CONFIG}/certs:ro
    ports:
      - "127.0.0.1:443:443"
    networks:
      sso:
        # The IdP and Dashboards are reached through Caddy by these names, from the browser and from inside.
        aliases: [{idp}, {dashboards_host}]

  opensearch:
    image: {opensearch}
    environment:
      DISABLE_INSTALL_DEMO_CONFIG: "true"
      OPENSEARCH_JAVA_OPTS: "{java_opts}"
    volumes:
      - ./opensearch/opensearch.yml:{OPENSEARCH_CONFIG}/opensearch.yml:ro
      - ./opensearch/certs:{OPENSEARCH_CONFIG}/certs:ro
      - ./opensearch/opensearch-security:{OPENSEARCH_CONFIG}/opensearch-security:ro{truststore_mount}
    ports:
      - "127.0.0.1:9200:9200"
    networks:
      sso:
        aliases: [{opensearch_host}]

  {DASHBOARDS}:
    image: {dashboards}{node_extra_ca}
    volumes:
      # The rendered yml replaces the image's, so it carries server.host: "0.0.0.0" as the image's does.
      - ./dashboards/opensearch_dashboards.yml:{DASHBOARDS_CONFIG}/opensearch_dashboards.yml:ro
      - ./dashboards/certs:{DASHBOARDS_CONFIG}/certs:ro
    depends_on: [opensearch]
    networks: [sso]

  postgres:
    image: {postgres}
    environment:
      POSTGRES_DB: authentik
      POSTGRES_USER: authentik
      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}
    volumes:
      - postgres:/var/lib/postgresql/data
    networks: [sso]
{redis_service}
  {AUTHENTIK_SERVER}:
    image: {authentik}
    command: server
    environment: *authentik-env
    depends_on:
      - postgres{redis_dep}
    networks: [sso]

  authentik-worker:
    image: {authentik}
    command: worker
    environment: *authentik-env
    volumes:
      # authentik is configured by this blueprint only; the worker applies it at start and on change.
      - ./authentik/blueprints:{AUTHENTIK_BLUEPRINTS}:ro
    depends_on:
      - postgres{redis_dep}
    networks: [sso]

networks:
  sso: {{}}

volumes:
  postgres: {{}}
"#,
        case = case.name(),
        idp = h.idp,
        dashboards_host = h.dashboards,
        opensearch_host = h.opensearch,
        caddy = images.caddy,
        opensearch = images.opensearch,
    )
}

/// `.env` of a bundle: the secrets compose.yaml refers to.
pub fn env_file(secrets: &Secrets) -> String {
    format!(
        "# Generated for this bundle only.\nAUTHENTIK_SECRET_KEY={}\nPOSTGRES_PASSWORD={}\n",
        secrets.generate("authentik_secret_key"),
        secrets.generate("postgres_password"),
    )
}

/// README.md of a bundle: the steps, and the outcome the harness expects.
pub fn readme(case: &Case, images: &Images) -> String {
    let doc = &case.document;
    let t = topology();
    let expect = &case.expect;
    let mut expected = String::new();
    if let Some(o) = expect.login {
        expected.push_str(&format!("- the login ends as **{}**\n", wire_name(&o)));
    }
    if let Some(log) = &expect.opensearch_log {
        for c in &log.contains {
            expected.push_str(&format!("- OpenSearch logs `{c}`\n"));
        }
        for c in &log.not_contains {
            expected.push_str(&format!("- OpenSearch does not log `{c}`\n"));
        }
    }
    let users: String = doc
        .idp
        .users
        .iter()
        .map(|u| format!("`{}`", u.username))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# {title}

Case `{case}`, written by sso-harness (`cargo xtask compose`). {reference}

Images: {images}.

## Run it

1. Make the names reach Caddy: add `127.0.0.1 {idp} {dashboards} {opensearch}` to `/etc/hosts`.
2. The configuration files must be readable by uid 1000 (OpenSearch and Dashboards run as that user):
   `sudo chown -R 1000:1000 opensearch dashboards` (the harness did it already when it ran as root).
3. `docker compose up` — authentik's worker applies `authentik/blueprints/sso-harness.yaml` on start (the provider,
   the application, the users and their passwords; the client secret is in it and in
   `dashboards/opensearch_dashboards.yml`).
4. Trust `opensearch/certs/ca.pem` (the run CA) in a browser profile, or accept the warning, and open
   {dashboards_url}/app/home. Log in at the IdP as {users} (passwords in the blueprint).

## What should happen

{expected}
The harness's own run of this case: `cargo xtask e2e --backend containers --scenario {scenario}{variant}`.
"#,
        title = doc.title.as_deref().unwrap_or(&case.scenario),
        case = case.name(),
        reference = doc
            .reference
            .as_ref()
            .map_or(String::new(), |r| format!("Report: {r}.")),
        images = images
            .all()
            .iter()
            .filter(|i| !i.name.ends_with("/browser"))
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", "),
        idp = t.hosts.idp,
        dashboards = t.hosts.dashboards,
        opensearch = t.hosts.opensearch,
        dashboards_url = t.dashboards_url(),
        scenario = case.scenario,
        variant = case
            .variant
            .as_ref()
            .map_or(String::new(), |v| format!(" --variant '{v}'")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Inputs, render};

    #[test]
    fn a_bundle_gives_its_node_the_dynamic_settings_in_opensearch_yml() {
        let file = crate::scenario::SourceFile {
            path: "t.yaml".into(),
            text: "opensearch: {settings: {search.max_buckets: 20000, action.auto_create_index: \"a*,-b*\", http.max_header_size: 16kb}}\nexpect: {login: success}".into(),
        };
        let case = crate::scenario::load(&file).unwrap().cases.remove(0);
        let topology = topology();
        let certs = crate::certs::RunCertificates::generate(&topology.hosts).unwrap();
        let files = render(&Inputs {
            case: &case,
            topology: &topology,
            certs: &certs,
            secrets: &Secrets::from_seed([1; 32]),
        })
        .unwrap();
        assert!(files.0.contains_key(CLUSTER_SETTINGS));
        let bundle = bundle_files(files);
        assert!(!bundle.0.contains_key(CLUSTER_SETTINGS));
        assert!(bundle.0.keys().all(|p| !p.starts_with("harness/")));
        let yml = crate::scenario::yaml_document(&bundle.0["opensearch/opensearch.yml"]).unwrap();
        assert_eq!(yml["search.max_buckets"], 20000);
        assert_eq!(yml["action.auto_create_index"], "a*,-b*");
        assert_eq!(yml["http.max_header_size"], "16kb");
    }
}
