//! `cargo xtask compose` writes a bundle that names the official images and mounts the rendered files, that
//! docker-compose accepts, whose secrets are in `.env` only — and whose compose.yaml is the reference file
//! `compose/compose.yaml` for the seed case (so the reference stays what the bundles are).

use std::path::{Path, PathBuf};
use std::process::Command;

use saphyr::YamlOwned;

const SEED: &str = "jwe=on,roles_key=groups,auth=single";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bundle(out: &Path, extra: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["compose", "authentik-jwe", "--variant", SEED, "--out"])
        .arg(out)
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success());
}

fn yaml(path: &Path) -> YamlOwned {
    use saphyr::LoadableYamlNode;
    let text = std::fs::read_to_string(path).unwrap();
    YamlOwned::load_from_str(&text).unwrap().remove(0)
}

/// The node at `path` (mapping keys), if there is one.
fn at<'a>(node: &'a YamlOwned, path: &[&str]) -> Option<&'a YamlOwned> {
    path.iter().try_fold(node, |n, k| n.as_mapping_get(k))
}

fn image(compose: &YamlOwned, service: &str) -> String {
    at(compose, &["services", service, "image"])
        .and_then(|i| i.as_str())
        .unwrap_or_else(|| panic!("no image for {service}"))
        .to_owned()
}

#[test]
fn the_bundle_names_the_official_images_and_mounts_the_rendered_files() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path(), &[]);
    let compose = yaml(&dir.path().join("compose.yaml"));
    let services = at(&compose, &["services"]).unwrap().as_mapping().unwrap();
    let image = |s: &str| image(&compose, s);
    // The default version set (the first of compose/versions.yaml).
    assert_eq!(image("opensearch"), "opensearchproject/opensearch:2.19.4");
    assert_eq!(
        image("dashboards"),
        "opensearchproject/opensearch-dashboards:2.19.4"
    );
    assert_eq!(
        image("authentik-server"),
        "ghcr.io/goauthentik/server:2025.8.4"
    );
    assert_eq!(
        image("authentik-worker"),
        "ghcr.io/goauthentik/server:2025.8.4"
    );
    assert_eq!(
        image("redis"),
        "redis:7-alpine",
        "authentik 2025.8 needs redis"
    );
    assert_eq!(image("caddy"), "caddy:2.10");
    assert_eq!(services.len(), 7);

    // Every bind mount is a file or folder of the bundle, and the rendered files are among them.
    let mut mounted = Vec::new();
    for (_, service) in services {
        for v in at(service, &["volumes"])
            .and_then(|v| v.as_sequence())
            .into_iter()
            .flatten()
        {
            let spec = v.as_str().unwrap();
            if let Some(rel) = spec.strip_prefix("./") {
                let host = rel.split(':').next().unwrap();
                assert!(dir.path().join(host).exists(), "{spec}: not in the bundle");
                mounted.push(host.to_owned());
            }
        }
    }
    for rendered in [
        "opensearch/opensearch.yml",
        "opensearch/opensearch-security",
        "opensearch/certs",
        "opensearch/truststore.p12",
        "dashboards/opensearch_dashboards.yml",
        "dashboards/certs",
        "authentik/blueprints",
        "caddy/Caddyfile",
        "caddy/certs",
    ] {
        assert!(
            mounted.contains(&rendered.to_owned()),
            "{rendered} not mounted: {mounted:?}"
        );
    }
    assert!(
        dir.path()
            .join("authentik/blueprints/sso-harness.yaml")
            .is_file()
    );

    // Secrets live in .env only.
    let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    let compose_text = std::fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    for line in env.lines().filter(|l| !l.starts_with('#')) {
        let (key, value) = line.split_once('=').unwrap();
        assert!(value.len() >= 16, "{key} is a generated secret");
        assert!(
            !compose_text.contains(value),
            "{key}'s value is in compose.yaml"
        );
        assert!(
            compose_text.contains(&format!("${{{key}}}")),
            "{key} unused"
        );
    }

    // docker-compose itself accepts it (no engine needed to check a file).
    let out = Command::new("docker-compose")
        .args(["config", "-q"])
        .current_dir(dir.path())
        .output()
        .expect("docker-compose (cargo xtask test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    assert!(
        readme.contains("the login ends as **unauthorized**"),
        "{readme}"
    );
    assert!(readme.contains("Unexpected number of Base64URL parts, must be three"));
}

#[test]
fn a_version_set_and_overrides_choose_the_images() {
    let dir = tempfile::tempdir().unwrap();
    bundle(
        dir.path(),
        &[
            "--version-set",
            "os-3.2",
            "--image",
            "caddy=mirror.local/caddy:2.10",
        ],
    );
    let compose = yaml(&dir.path().join("compose.yaml"));
    assert_eq!(
        image(&compose, "opensearch"),
        "opensearchproject/opensearch:3.2.0"
    );
    assert_eq!(image(&compose, "caddy"), "mirror.local/caddy:2.10");
    assert!(
        at(&compose, &["services", "redis"]).is_none(),
        "authentik 2025.12 runs without redis"
    );
}

#[test]
fn the_reference_compose_file_is_the_seed_bundles() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path(), &[]);
    let written = std::fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    let reference = workspace().join("compose/compose.yaml");
    if std::env::var_os("SSO_HARNESS_UPDATE_REFERENCE").is_some() {
        std::fs::write(&reference, &written).unwrap();
    }
    let committed = std::fs::read_to_string(&reference).unwrap_or_default();
    assert!(
        committed == written,
        "compose/compose.yaml differs from what `cargo xtask compose authentik-jwe --variant '{SEED}'` writes; \
         update it with SSO_HARNESS_UPDATE_REFERENCE=1 cargo nextest run -E 'binary(compose_bundle)'"
    );
}

#[test]
fn a_keycloak_case_bundles_the_official_keycloak_image_with_its_realm() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "compose",
            "keycloak-jwe",
            "--variant",
            "jwe=on,roles_key=roles,user=alice",
            "--out",
        ])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let compose = yaml(&dir.path().join("compose.yaml"));
    assert_eq!(
        image(&compose, "keycloak"),
        "quay.io/keycloak/keycloak:26.7.3"
    );
    for gone in ["authentik-server", "authentik-worker", "postgres"] {
        assert!(
            at(&compose, &["services", gone]).is_none(),
            "{gone} in a Keycloak bundle"
        );
    }
    // The realm Keycloak imports is the rendered one, and Caddy leads the IdP's name to Keycloak.
    let realm = std::fs::read_to_string(dir.path().join("keycloak/realm.json")).unwrap();
    assert!(realm.contains("id.token.encrypted.response.alg"), "{realm}");
    assert!(!dir.path().join("authentik").exists());
    let caddyfile = std::fs::read_to_string(dir.path().join("caddy/Caddyfile")).unwrap();
    assert!(
        caddyfile.contains("reverse_proxy keycloak:8080"),
        "{caddyfile}"
    );
    let env = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(env.contains("KEYCLOAK_ADMIN_CLIENT_SECRET="), "{env}");
    let out = Command::new("docker-compose")
        .args(["config", "-q"])
        .current_dir(dir.path())
        .output()
        .expect("docker-compose (cargo xtask test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
