//! `cargo xtask import` on the seed report's files as the user posted them (`harness/tests/fixtures/import/`): the
//! scenario it writes loads with `cargo xtask scenarios` and its case is valid; a file that is not valid YAML is
//! reported the compiler way; `--idp keycloak` writes a Keycloak scenario that loads too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../harness/tests/fixtures/import/forum-27239"
    ))
    .to_owned()
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Imports `targets` into a scenario file and checks it with `cargo xtask scenarios`: its text and the list.
fn import_and_check(targets: &[PathBuf]) -> (String, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("forum-27239.yaml");
    let mut args = vec!["import".to_owned()];
    args.extend(targets.iter().map(|t| t.display().to_string()));
    args.extend(["--out".to_owned(), out.display().to_string()]);
    let run = xtask(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let scenario = std::fs::read_to_string(&out).expect("the scenario was written");
    let check = xtask(&["scenarios", &out.display().to_string(), "--format", "json"]);
    assert!(
        check.status.success(),
        "{}\n{scenario}",
        text(&check.stderr)
    );
    let cases: serde_json::Value = serde_json::from_slice(&check.stdout).expect("JSON");
    assert_eq!(
        cases,
        serde_json::json!([{ "scenario": "forum-27239", "variant": null }]),
        "{scenario}"
    );
    (scenario, text(&run.stderr))
}

#[test]
fn the_seed_reports_working_files_import_into_a_valid_scenario() {
    let (scenario, notes) = import_and_check(&[fixtures().join("solution")]);
    for expected in [
        "openid_connect_url: \"${idp.discovery_url}\"  # was `https://auth.domain.com/",
        "openid_connect_idp.pemtrustedcas_filepath: \"${tls.ca_file}\"  # was `/etc/ssl/certs/ca-certificates.crt`",
        "required_audience: \"${idp.client_id}\"  # was `***`",
        "opensearch_security.openid.client_secret: \"${idp.client_secret}\"  # was `***`",
        "opensearch.hosts: [\"${opensearch.url}\"]  # added",
        "encryption_key: false  # the posted files cannot say",
        "login: \"success\"",
    ] {
        assert!(
            scenario.contains(expected),
            "missing {expected:?} in\n{scenario}"
        );
    }
    // Every note names a file, line and column.
    assert!(
        notes.lines().filter(|l| !l.starts_with("wrote ")).all(|l| {
            let mut parts = l.splitn(4, ':');
            parts.next().is_some_and(|f| f.ends_with(".yml"))
                && parts.next().is_some_and(|n| n.parse::<usize>().is_ok())
                && parts.next().is_some_and(|n| n.parse::<usize>().is_ok())
        }),
        "{notes}"
    );
}

#[test]
fn the_first_posts_files_import_what_they_can_and_locate_what_they_cannot() {
    let first = fixtures().join("first-post");
    // Its roles_mapping.yml, as posted, repeats `reserved` under all_access (kibana_server lost its indentation).
    let run = xtask(&["import", &first.display().to_string()]);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(
        err.contains("roles_mapping.yml:13:3: YAML syntax error: duplicated key in mapping"),
        "{err}"
    );
    assert!(err.contains("13 |   reserved: true"), "{err}");

    let (scenario, notes) = import_and_check(&[
        first.join("config.yml"),
        first.join("opensearch_dashboards.yml"),
    ]);
    for expected in [
        "pemtrustedcas_content: \"${tls.ca_pem}\"  # was a PEM block (truncated as posted)",
        "opensearch.password: \"${internal_users.kibanaserver.password}\"  # was `***`",
        "# dropped `server.port: 15061` (",
        "first-post/opensearch_dashboards.yml:4:1): where Dashboards listens is the harness's",
        "# dropped `server.ssl.certificate: /etc/ssl/certs/domain.com/wildcard.domain.com.crt`",
        "# dropped `logging.dest: /var/log/opensearch-dashboards/opensearch_dashboards.log`",
        "# dropped `logging: {",
        "opensearch.requestHeadersWhitelist: [\"Authorization\",\"securitytenant\"]  # kept: the deprecated name",
        // The unprefixed keys stay as posted: the plugin ignores them, and that is the report.
        "enable_ssl: true\n",
    ] {
        assert!(
            scenario.contains(expected),
            "missing {expected:?} in\n{scenario}"
        );
    }
    assert!(
        !scenario.contains("/etc/ssl") || scenario.contains("# dropped"),
        "{scenario}"
    );
    assert!(
        notes.contains("opensearch_dashboards.yml:25:1: an unquoted `***`"),
        "{notes}"
    );
}

#[test]
fn keycloak_imports_into_a_keycloak_scenario_that_loads() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("forum-27239-keycloak.yaml");
    let run = xtask(&[
        "import",
        &fixtures().join("solution").display().to_string(),
        "--idp",
        "keycloak",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let scenario = std::fs::read_to_string(&out).expect("the scenario was written");
    assert!(scenario.contains("idp: \"keycloak\""), "{scenario}");
    assert!(!scenario.contains("provider:"), "{scenario}");
    let check = xtask(&["scenarios", &out.display().to_string()]);
    assert!(
        check.status.success(),
        "{}\n{scenario}",
        text(&check.stderr)
    );
}
