//! Rendered files read back by what will read them: YAML parsers, and Caddy itself (`caddy validate`).

use std::path::Path;
use std::process::Command;

use harness::certs::RunCertificates;
use harness::render::{Inputs, RunFiles, render};
use harness::scenario::{self, Case};
use harness::secrets::Secrets;
use harness::topology::{Ports, Topology};
use saphyr::{LoadableYamlNode, Yaml};

fn every_case() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let (scenarios, errors) = scenario::load_all(&scenario::files_in(&dir).unwrap());
    assert!(errors.is_empty());
    scenarios.into_iter().flat_map(|s| s.cases).collect()
}

fn rendered() -> Vec<(String, RunFiles, RunCertificates)> {
    let topology = Topology::native(Ports::default());
    let certs = RunCertificates::generate(&topology.hosts).unwrap();
    let secrets = Secrets::random();
    every_case()
        .iter()
        .map(|case| {
            let files = render(&Inputs {
                case,
                topology: &topology,
                certs: &certs,
                secrets: &secrets,
            })
            .unwrap();
            (case.name(), files, certs.clone())
        })
        .collect()
}

#[test]
fn no_placeholder_is_left_and_every_yaml_file_parses() {
    for (case, files, _) in rendered() {
        for (path, text) in &files.0 {
            assert!(
                !text.contains("${"),
                "{case}: {path} still has a placeholder"
            );
            if path.ends_with(".yml") || path.ends_with(".yaml") {
                let docs =
                    Yaml::load_from_str(text).unwrap_or_else(|e| panic!("{case}: {path}: {e}"));
                assert_eq!(docs.len(), 1, "{case}: {path}");
                assert!(docs[0].is_mapping(), "{case}: {path} is not a mapping");
            }
        }
    }
}

#[test]
fn every_key_of_the_harness_s_own_opensearch_yml_is_owned_but_two_a_case_may_change() {
    // `opensearch::settings::owned` refuses these in a scenario: it must name what the render sets, or a case
    // could undo what the harness needs. These two are the harness's defaults, which a case may change.
    const MAY_CHANGE: &[&str] = &[
        "plugins.security.restapi.roles_enabled",
        "plugins.security.ssl.transport.enforce_hostname_verification",
    ];
    let (_, files, _) = rendered().into_iter().next().unwrap();
    let yml = Yaml::load_from_str(&files.0["opensearch/opensearch.yml"]).unwrap();
    let keys: Vec<String> = yml[0]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert!(keys.len() > 15, "{keys:?}");
    for key in keys.iter().filter(|k| !MAY_CHANGE.contains(&k.as_str())) {
        assert!(
            harness::opensearch::settings::owned(key).is_some(),
            "the render sets `{key}`, which a case could set too"
        );
    }
}

#[test]
fn the_blueprint_keeps_key_pem_text_byte_for_byte() {
    // authentik's kid is the MD5 of the stored key_data: the block literal must give back the exact PEM.
    let mut checked = 0;
    for (case, files, certs) in rendered() {
        let docs = Yaml::load_from_str(&files.0["authentik/blueprints/sso-harness.yaml"]).unwrap();
        let entries = docs[0]["entries"].as_vec().unwrap();
        let pairs: Vec<_> = entries
            .iter()
            .filter(|e| e["model"].as_str() == Some("authentik_crypto.certificatekeypair"))
            .collect();
        for pair in pairs {
            checked += 1;
            let key = pair["attrs"]["key_data"].as_str().unwrap();
            let cert = pair["attrs"]["certificate_data"].as_str().unwrap();
            let known = [
                &certs.idp_signing_rsa,
                &certs.idp_signing_ec,
                &certs.idp_encryption,
            ];
            assert!(
                known.iter().any(|p| p.key == key && p.cert == cert),
                "{case}: PEM changed in the blueprint"
            );
        }
    }
    assert!(checked > 20, "only {checked} key pairs in all blueprints");
}

#[test]
fn caddy_accepts_every_rendered_caddyfile() {
    let caddy = which::which("caddy")
        .expect("caddy is not installed: `apt-get install caddy` (.ci/run does it)");
    for (case, files, _) in rendered().into_iter().take(3) {
        let dir = tempfile::tempdir().unwrap();
        files.write_to(dir.path()).unwrap();
        let out = Command::new(&caddy)
            .args([
                "validate",
                "--adapter",
                "caddyfile",
                "--config",
                "Caddyfile",
            ])
            .current_dir(dir.path().join("caddy"))
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{case}: caddy validate failed:\n{stderr}"
        );
        assert!(
            stderr.contains("Valid configuration")
                || String::from_utf8_lossy(&out.stdout).contains("Valid configuration")
        );
    }
}
