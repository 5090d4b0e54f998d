//! Reproduction bundles (`cargo xtask compose`): one case as a `compose.yaml` over the official images, with the
//! rendered configuration, certificates and blueprint beside it and a README saying how to run it and what should
//! happen — something anyone can attach to a bug report and start with `docker compose up`.
//!
//! Pure: the text of `compose.yaml`, `.env` and the README. Secrets are in `.env` only, so `compose.yaml` is the same
//! for every bundle of a case (`compose/compose.yaml` in the repository is the seed case's, kept current by a test).
//! Its services are `containers::services`' descriptions — the ones the containers backend runs — made for
//! `Deploy::Bundle`.

use crate::containers::images::{DashboardsImage, IdpImages, Images};
use crate::containers::services::{
    self, AUTHENTIK_SECRET_KEY, Deploy, POSTGRES_PASSWORD, Service, ServiceSpec, Source,
};
use crate::render::{CLUSTER_SETTINGS, RunFiles};
use crate::scenario::{Case, wire_name};
use crate::secrets::Secrets;
use crate::topology::Topology;

/// Where a bundle's components are: the containers topology with the bundle's service names (Caddy forwards to
/// authentik's server, Dashboards and Keycloak by them).
pub fn topology() -> Topology {
    Topology::containers(
        &Deploy::Bundle.host_of(Service::Idp),
        &Deploy::Bundle.host_of(Service::Dashboards),
        &Deploy::Bundle.host_of(Service::Keycloak),
    )
}

/// The truststore OpenSearch gets when the IdP's certificate is "public" (the JVM's CAs plus the run CA).
pub const TRUSTSTORE: &str = services::TRUSTSTORE;

/// The rendered files a bundle holds: not the harness's own client files (the admin certificate), and a case's
/// dynamic settings in `opensearch.yml` rather than in the cluster-settings body the harness applies live — the
/// bundle's node runs this one case, so the node's file is where they belong (in a run, a value there would
/// outlive the case: see `render/opensearch.rs`).
pub fn bundle_files(mut files: RunFiles) -> RunFiles {
    files.0.retain(|p, _| !p.starts_with("harness/"));
    // A Keycloak case's bundle runs Keycloak: authentik's blueprint and the embedded IdP's config are not read.
    if files.0.contains_key(crate::render::paths::KEYCLOAK_REALM) {
        files
            .0
            .retain(|p, _| !p.starts_with("authentik/") && !p.starts_with("idp/"));
    }
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

/// The services of a bundle, in the order compose.yaml lists them. `images` must be official (authentik and
/// Dashboards are what a bug report needs).
pub fn services(case: &Case, images: &Images) -> Vec<ServiceSpec> {
    let (server, postgres, redis) = match &images.idp {
        IdpImages::Authentik {
            server,
            postgres,
            redis,
        } => (server, postgres, redis.as_ref()),
        IdpImages::Embedded(_) => unreachable!("bundles name the official images"),
    };
    let DashboardsImage::Official(_) = &images.dashboards else {
        unreachable!("bundles name the official images")
    };
    let hosts = &topology().hosts;
    let certificate = case.document.stack.idp_certificate;
    let d = &Deploy::Bundle;
    if case.document.stack.idp == crate::scenario::IdpProfile::Keycloak {
        return vec![
            services::caddy(&images.caddy, hosts, d),
            services::opensearch(&images.opensearch, certificate, hosts, d),
            services::dashboards(&images.dashboards, certificate, hosts, d),
            services::keycloak(&images.keycloak, &topology().idp_url(), d),
        ];
    }
    [
        Some(services::caddy(&images.caddy, hosts, d)),
        Some(services::opensearch(
            &images.opensearch,
            certificate,
            hosts,
            d,
        )),
        Some(services::dashboards(
            &images.dashboards,
            certificate,
            hosts,
            d,
        )),
        Some(services::postgres(postgres, d)),
        redis.map(|r| services::redis(r, d)),
        Some(services::authentik_server(server, redis.is_some(), d)),
        Some(services::authentik_worker(server, redis.is_some(), d)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `compose.yaml` of a bundle: [`services`] as YAML.
pub fn compose_yaml(case: &Case, images: &Images) -> String {
    let h = &topology().hosts;
    let services = services(case, images);
    let mut out = format!(
        r#"# Reproduction bundle written by sso-harness (`cargo xtask compose`) for the case
#   {case}
# Start it with `docker compose up` in this folder; README.md says what should happen.
# Secrets are in .env (generated for this bundle only). The browser reaches Caddy on 127.0.0.1:443 by the names
# {idp} and {dashboards} (add them to /etc/hosts, see README.md).
"#,
        case = case.name(),
        idp = h.idp,
        dashboards = h.dashboards,
    );
    // Variables shared by several services, once each, as a YAML anchor.
    let mut shared: Vec<&services::SharedEnv> = Vec::new();
    for e in services.iter().filter_map(|s| s.shared_env.as_ref()) {
        if !shared.iter().any(|s| s.name == e.name) {
            shared.push(e);
        }
    }
    for e in shared {
        out.push_str(&format!("\nx-{0}: &{0}\n", e.name));
        for v in &e.vars {
            out.push_str(&format!("  {}: {}\n", v.name, scalar(&v.value)));
        }
    }
    out.push_str("\nservices:\n");
    let blocks: Vec<String> = services.iter().map(service_yaml).collect();
    out.push_str(&blocks.join("\n"));
    out.push_str("\nnetworks:\n  sso: {}\n");
    let volumes: Vec<&str> = services
        .iter()
        .flat_map(|s| &s.mounts)
        .filter_map(|m| match &m.source {
            Source::Volume(v) => Some(v.as_str()),
            Source::Host(_) => None,
        })
        .collect();
    if !volumes.is_empty() {
        out.push_str("\nvolumes:\n");
        for v in volumes {
            out.push_str(&format!("  {v}: {{}}\n"));
        }
    }
    out
}

/// One service under `services:`.
fn service_yaml(s: &ServiceSpec) -> String {
    let mut out = String::new();
    let mut line = |indent: usize, text: &str| {
        out.push_str(&" ".repeat(indent));
        out.push_str(text);
        out.push('\n');
    };
    if let Some(note) = s.note {
        line(2, &format!("# {note}"));
    }
    line(2, &format!("{}:", s.name));
    line(4, &format!("image: {}", s.image));
    if !s.command.is_empty() {
        line(4, &format!("command: {}", flow(&s.command)));
    }
    match (&s.shared_env, s.env.is_empty()) {
        (Some(shared), true) => line(4, &format!("environment: *{}", shared.name)),
        (shared, own_empty) => {
            if shared.is_some() || !own_empty {
                line(4, "environment:");
            }
            if let Some(shared) = shared {
                line(6, &format!("<<: *{}", shared.name));
            }
            for v in &s.env {
                if let Some(note) = v.note {
                    line(6, &format!("# {note}"));
                }
                line(6, &format!("{}: {}", v.name, scalar(&v.value)));
            }
        }
    }
    if !s.mounts.is_empty() {
        line(4, "volumes:");
        for m in &s.mounts {
            if let Some(note) = m.note {
                line(6, &format!("# {note}"));
            }
            let source = match &m.source {
                Source::Host(p) | Source::Volume(p) => p,
            };
            let mode = if m.writable { "" } else { ":ro" };
            line(6, &format!("- {source}:{}{mode}", m.target));
        }
    }
    if !s.publish.is_empty() {
        line(4, "ports:");
        for p in &s.publish {
            line(6, &format!("- \"127.0.0.1:{p}:{p}\""));
        }
    }
    match s.depends_on.as_slice() {
        [] => {}
        [one] => line(4, &format!("depends_on: [{one}]")),
        more => {
            line(4, "depends_on:");
            for d in more {
                line(6, &format!("- {d}"));
            }
        }
    }
    if s.aliases.is_empty() {
        line(4, "networks: [sso]");
    } else {
        line(4, "networks:");
        line(6, "sso:");
        if let Some(note) = s.aliases_note {
            line(8, &format!("# {note}"));
        }
        line(8, &format!("aliases: [{}]", s.aliases.join(", ")));
    }
    out
}

/// A command as YAML: a word plain, more as a flow sequence.
fn flow(words: &[String]) -> String {
    match words {
        [one] => scalar(one),
        more => format!(
            "[{}]",
            more.iter()
                .map(|w| scalar(w))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A value as a YAML scalar: plain where YAML 1.1 and 1.2 read it back as the same string, quoted otherwise.
fn scalar(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-${}".contains(c))
        && !v.starts_with(['-', '.'])
        && v.parse::<f64>().is_err()
        && ![
            "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
        ]
        .contains(&v.to_ascii_lowercase().as_str());
    if plain {
        v.to_owned()
    } else {
        format!("{v:?}")
    }
}

/// `.env` of a bundle: the secrets compose.yaml refers to.
pub fn env_file(case: &Case, secrets: &Secrets) -> String {
    let names: &[&str] = if case.document.stack.idp == crate::scenario::IdpProfile::Keycloak {
        &[services::KEYCLOAK_ADMIN_SECRET]
    } else {
        &[AUTHENTIK_SECRET_KEY, POSTGRES_PASSWORD]
    };
    let mut out = String::from("# Generated for this bundle only.\n");
    for name in names {
        out.push_str(&format!(
            "{}={}\n",
            services::env_name(name),
            secrets.generate(name)
        ));
    }
    out
}

/// README.md of a bundle: the steps, and the outcome the harness expects.
pub fn readme(case: &Case, images: &Images) -> String {
    let doc = &case.document;
    let keycloak = doc.stack.idp == crate::scenario::IdpProfile::Keycloak;
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
3. `docker compose up` — {idp_setup}
4. Trust `opensearch/certs/ca.pem` (the run CA) in a browser profile, or accept the warning, and open
   {dashboards_url}/app/home. Log in at the IdP as {users} (passwords in {passwords}).

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
        images = {
            let mut named: Vec<String> = Vec::new();
            for s in services(case, images) {
                let i = format!("`{}`", s.image);
                if !named.contains(&i) {
                    named.push(i);
                }
            }
            named.join(", ")
        },
        idp_setup = if keycloak {
            "Keycloak imports `keycloak/realm.json` on start (the realm, its roles, groups, users and their \
             passwords, and the client; the client secret is in it and in `dashboards/opensearch_dashboards.yml`)."
        } else {
            "authentik's worker applies `authentik/blueprints/sso-harness.yaml` on start (the provider,\n   \
             the application, the users and their passwords; the client secret is in it and in\n   \
             `dashboards/opensearch_dashboards.yml`)."
        },
        passwords = if keycloak {
            "the realm"
        } else {
            "the blueprint"
        },
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
