//! Every diagnosis rule fires on the observation of the scenario it was written from, and on no other case: the
//! observations are the committed e2e snapshots (`snapshots/e2e/*.snap`, what the real plugin logged and the IdP
//! issued), the configuration each case's document from `scenarios/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use harness::diagnosis::{self, Evidence, RULES};
use harness::run::observe::{Authinfo, Observation, TokenShape};
use harness::scenario::{self, Outcome};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde::Deserialize;
use serde_json::Value;

/// A snapshot's YAML as JSON (its scalars are strings, numbers, booleans and nulls).
fn json(node: &MarkedYaml) -> Value {
    match &node.data {
        YamlData::Value(Scalar::Null) => Value::Null,
        YamlData::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        YamlData::Value(Scalar::Integer(i)) => Value::from(*i),
        YamlData::Value(Scalar::FloatingPoint(f)) => Value::from(f.into_inner()),
        YamlData::Value(Scalar::String(s)) => Value::String(s.to_string()),
        YamlData::Sequence(items) => Value::Array(items.iter().map(json).collect()),
        YamlData::Mapping(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| match json(k) {
                    Value::String(k) => (k, json(v)),
                    other => (other.to_string(), json(v)),
                })
                .collect(),
        ),
        other => panic!("unexpected YAML in a snapshot: {other:?}"),
    }
}

/// What a snapshot holds of an observation (`Observation::for_snapshot`).
#[derive(Deserialize)]
struct Snap {
    login: Option<Outcome>,
    login_detail: Option<String>,
    final_url: Option<String>,
    authinfo: Option<SnapAuthinfo>,
    token: Option<TokenShape>,
    #[serde(default)]
    opensearch_log: Vec<String>,
    #[serde(default)]
    dashboards_log: Vec<String>,
}

#[derive(Deserialize)]
struct SnapAuthinfo {
    status: u16,
    user_name: Option<String>,
    backend_roles: Option<Vec<String>>,
    roles: Option<Vec<String>>,
}

fn observation(text: &str) -> Observation {
    // The header (insta's metadata) ends at the second `---` line.
    let body = text
        .strip_prefix("---\n")
        .and_then(|t| t.split_once("\n---\n"))
        .map(|(_, body)| body)
        .expect("an insta snapshot");
    let doc = MarkedYaml::load_from_str(body).expect("the snapshot's YAML");
    let s: Snap = serde_json::from_value(json(&doc[0])).expect("an observation");
    Observation {
        login: s.login,
        login_detail: s.login_detail,
        final_url: s.final_url,
        authinfo: s.authinfo.map(|a| Authinfo {
            status: a.status,
            user_name: a.user_name,
            backend_roles: a.backend_roles,
            roles: a.roles,
        }),
        token: s.token,
        opensearch_log: s.opensearch_log,
        dashboards_log: s.dashboards_log,
        hops: None,
    }
}

/// The rules each case's observation must give (`scenario@variant`, a `*` at the end matching the rest); every
/// case not named here must give none.
const EXPECTED: &[(&str, &[&str])] = &[
    ("authentik-jwe@jwe=on,*", &["jwe-token"]),
    (
        "authentik-jwe@jwe=off,roles_key=roles,*",
        &["roles-claim-missing"],
    ),
    // The same causes on the real Keycloak: its JWE, and a user with no group nor realm role (no claim at all).
    ("keycloak-jwe@jwe=on,*", &["jwe-token"]),
    (
        "keycloak-jwe@jwe=off,roles_key=roles,user=carol",
        &["roles-claim-missing"],
    ),
    (
        "keycloak-jwe@jwe=off,roles_key=groups,user=carol",
        &["roles-claim-missing"],
    ),
    ("audience@wrong-audience", &["audience-mismatch"]),
    (
        "hs256-without-signing-key@no-signing-key",
        &["hs256-without-signing-key"],
    ),
    (
        "issuer-trailing-slash@no-trailing-slash",
        &["issuer-mismatch"],
    ),
    (
        "scope-without-profile@subject-preferred-username",
        &["subject-claim-missing"],
    ),
    (
        "scope-without-profile@subject-email",
        &["roles-claim-missing"],
    ),
    ("entitlements-roles@default-scope", &["roles-claim-missing"]),
    (
        "idp-certificate-private@ca-without-prefix",
        &["idp-tls-keys-unprefixed"],
    ),
    (
        "idp-certificate-private@no-ca",
        &["idp-ca-untrusted-by-opensearch"],
    ),
    (
        "idp-certificate-private@dashboards-without-root-ca",
        &["idp-ca-untrusted-by-dashboards"],
    ),
    (
        "token-over-header-limit@many-groups",
        &["token-over-header-limit"],
    ),
    (
        "dashboards-session@allowlist-without-authorization",
        &["authorization-not-in-header-allowlist"],
    ),
    ("wrong-client-secret@wrong-secret", &["wrong-client-secret"]),
    (
        "dashboards-refuses-config@list-without-multiple-auth",
        &["dashboards-refused-config"],
    ),
    // Every start-up refusal of `dashboards-startup` (its other cases log in).
    (
        "dashboards-startup@unknown-key",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@key-from-3.7",
        &["dashboards-refused-config"],
    ),
    (
        "basic-challenge-before-openid@challenge-true",
        &["basic-challenge-before-openid"],
    ),
    (
        "dashboards-startup@short-cookie-password",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@same-site-none-insecure",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@both-request-header-keys",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@server-ssl-files-missing",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@discovery-wrong-slug",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@opensearch-ca-file-missing",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-startup@unknown-opensearch-key",
        &["dashboards-refused-config"],
    ),
    // OSD's `http_config.ts` refusals of `server.basePath` (the two others are 404s behind Caddy).
    (
        "dashboards-basepath@base-path-trailing-slash",
        &["dashboards-refused-config"],
    ),
    (
        "dashboards-basepath@rewrite-without-base-path",
        &["dashboards-refused-config"],
    ),
];

fn expected(key: &str) -> BTreeSet<String> {
    EXPECTED
        .iter()
        .filter(|(pattern, _)| match pattern.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == *pattern,
        })
        .flat_map(|(_, rules)| rules.iter().map(|r| (*r).to_owned()))
        .collect()
}

#[test]
fn each_rule_fires_on_its_scenario_and_on_no_other_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = scenario::files_in(&root.join("scenarios")).expect("scenarios/");
    let (scenarios, errors) = scenario::load_all(&files);
    assert!(errors.is_empty(), "{errors:?}");
    let cases: BTreeMap<String, scenario::Case> = scenarios
        .into_iter()
        .flat_map(|s| s.cases)
        .map(|c| (c.key(), c))
        .collect();

    let mut fired: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut snapshots = 0;
    for entry in std::fs::read_dir(root.join("snapshots/e2e")).expect("snapshots/e2e") {
        let path = entry.expect("an entry").path();
        // insta leaves `.snap.new` beside a snapshot a failed run disagreed with: not a snapshot.
        if path.extension().is_none_or(|e| e != "snap") {
            continue;
        }
        let key = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let case = cases
            .get(&key)
            .unwrap_or_else(|| panic!("{key}: a snapshot without a case"));
        let observed = observation(&std::fs::read_to_string(&path).expect("the snapshot"));
        let found = diagnosis::diagnose(&Evidence::of(&observed, &case.document));
        snapshots += 1;
        for d in &found {
            assert!(!d.summary.is_empty() && !d.fix.is_empty(), "{key}: {d:?}");
            let rule = RULES.iter().find(|r| r.name == d.rule).expect("a rule");
            fired.entry(rule.name).or_default().push(key.clone());
        }
        if observed.login == Some(Outcome::Success) && !found.is_empty() {
            wrong.push(format!("{key} logs in, yet: {found:?}"));
        }
        let got: BTreeSet<String> = found.iter().map(|d| d.rule.clone()).collect();
        let want = expected(&key);
        if got != want {
            wrong.push(format!(
                "{key}: expected {want:?}, got {got:?}\n{}",
                diagnosis::text(&found)
            ));
        }
    }
    assert!(snapshots > 30, "only {snapshots} snapshots");
    for rule in RULES {
        if !fired.contains_key(rule.name) {
            wrong.push(format!(
                "{} ({}) fired on no snapshot",
                rule.name, rule.scenario
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_seed_case_says_to_remove_authentiks_encryption_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let s = scenario::load_path(&root.join("scenarios/authentik-jwe.yaml")).expect("loads");
    let case = s
        .cases
        .iter()
        .find(|c| c.key() == "authentik-jwe@jwe=on,roles_key=groups,auth=single")
        .expect("the seed case");
    let observed = observation(
        &std::fs::read_to_string(
            root.join("snapshots/e2e/authentik-jwe@jwe=on,roles_key=groups,auth=single.snap"),
        )
        .expect("its snapshot"),
    );
    let d = diagnosis::diagnose(&Evidence::of(&observed, &case.document));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].summary.contains("a JWE, RSA-OAEP-256 / A256CBC-HS512"),
        "{}",
        d[0].summary
    );
    assert!(
        d[0].fix
            .contains("Remove the encryption key in authentik's provider"),
        "{}",
        d[0].fix
    );
}

/// The same cause with Keycloak as the IdP: the fix names the client's attributes in Keycloak, not authentik.
#[test]
fn keycloaks_encrypting_client_is_named_by_its_attributes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let s = scenario::load_path(&root.join("scenarios/keycloak-jwe.yaml")).expect("loads");
    let jwe = s
        .cases
        .iter()
        .filter(|c| c.key().contains("jwe=on"))
        .collect::<Vec<_>>();
    assert!(!jwe.is_empty());
    for case in jwe {
        let path = root.join(format!("snapshots/e2e/{}.snap", case.key()));
        let observed = observation(&std::fs::read_to_string(&path).expect("its snapshot"));
        let d = diagnosis::diagnose(&Evidence::of(&observed, &case.document));
        let jwe = d
            .iter()
            .find(|d| d.rule == "jwe-token")
            .expect("jwe-token fires");
        assert!(
            jwe.fix.contains("id.token.encrypted.response.alg") && !jwe.fix.contains("authentik"),
            "{}: {}",
            case.key(),
            jwe.fix
        );
    }
}

#[test]
fn a_missing_roles_claim_names_the_setting_of_the_idp_the_case_ran_on() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fix = |file: &str, key: &str| {
        let s = scenario::load_path(&root.join("scenarios").join(file)).expect("loads");
        let case = s.cases.iter().find(|c| c.key() == key).expect("the case");
        let observed = observation(
            &std::fs::read_to_string(root.join(format!("snapshots/e2e/{key}.snap")))
                .expect("its snapshot"),
        );
        let d = diagnosis::diagnose(&Evidence::of(&observed, &case.document));
        assert_eq!(d.len(), 1, "{key}: {d:?}");
        assert_eq!(d[0].rule, "roles-claim-missing");
        format!("{} {}", d[0].summary, d[0].fix)
    };
    // The real Keycloak: its client's protocol mappers and the user's realm roles or groups, never authentik's.
    let roles = fix(
        "keycloak-jwe.yaml",
        "keycloak-jwe@jwe=off,roles_key=roles,user=carol",
    );
    assert!(
        roles.contains("`oidc-usermodel-realm-role-mapper`"),
        "{roles}"
    );
    assert!(roles.contains("\"Add to ID token\""), "{roles}");
    assert!(roles.contains("`idp.users[].realm_roles`"), "{roles}");
    assert!(
        !roles.contains("entitlements") && !roles.contains("authentik"),
        "{roles}"
    );
    let groups = fix(
        "keycloak-jwe.yaml",
        "keycloak-jwe@jwe=off,roles_key=groups,user=carol",
    );
    assert!(
        groups.contains("`oidc-group-membership-mapper`"),
        "{groups}"
    );
    assert!(groups.contains("`idp.users[].groups`"), "{groups}");
    assert!(
        !groups.contains("entitlements") && !groups.contains("authentik"),
        "{groups}"
    );
    // authentik keeps its own: the entitlements scope mapping.
    let authentik = fix(
        "authentik-jwe.yaml",
        "authentik-jwe@jwe=off,roles_key=roles,auth=single",
    );
    assert!(
        authentik.contains("entitlements scope mapping"),
        "{authentik}"
    );
    assert!(!authentik.contains("Keycloak"), "{authentik}");
}

#[test]
fn the_summary_page_shows_a_reports_diagnosis() {
    use harness::summary::{Report, Snapshots, Summary, html, markdown};
    let results = r#"{ "backend": "native", "opensearch": "2.19.4", "cases": [
      { "scenario": "seed", "variant": "jwe=on", "status": "fail", "pass": false,
        "expected": { "login": "success" }, "observed": { "login": "unauthorized" },
        "mismatches": ["login: expected success, observed unauthorized"],
        "diagnosis": [ { "rule": "jwe-token", "summary": "The IdP encrypts <its> tokens.",
                         "fix": "Remove the encryption key in authentik's provider." } ] },
      { "scenario": "old-report-without-diagnosis", "status": "pass", "pass": true,
        "expected": { "login": "success" }, "observed": { "login": "success" } } ] }"#;
    let report = Report::parse("r", results).expect("parses");
    assert!(report.results.cases[1].diagnosis.is_empty());
    let summary = Summary::merge(&[report], &[], &Snapshots::default());
    let page = html::render(&summary, "snapshots/e2e");
    assert!(page.contains("<h2>Diagnosis</h2>"), "{page}");
    assert!(
        page.contains("<code>jwe-token</code>: The IdP encrypts &lt;its&gt; tokens."),
        "{page}"
    );
    assert!(
        page.contains("fix: Remove the encryption key in authentik's provider."),
        "{page}"
    );
    let md = markdown::render(&summary, "snapshots/e2e");
    assert!(
        md.contains("### Diagnosis") && md.contains("`jwe-token`"),
        "{md}"
    );
}

/// The seed thread's files, imported, with the observations of the seed matrix's cells that share their
/// configuration (roles_key groups, one auth type): a diagnosis of the encrypted token only when the provider
/// encrypts. (`cargo xtask e2e` on the imported file itself gives the same: README, "Writing a scenario".)
#[test]
fn the_imported_seed_files_say_jwe_when_encrypting_and_nothing_when_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("harness/tests/fixtures/import/forum-27239/solution");
    let files: Vec<(String, String)> = [
        "config.yml",
        "roles_mapping.yml",
        "opensearch_dashboards.yml",
    ]
    .iter()
    .map(|n| {
        let text = std::fs::read_to_string(dir.join(n)).expect("a fixture");
        ((*n).to_owned(), text)
    })
    .collect();
    let imported =
        harness::import::import(&files, harness::import::Idp::Authentik).expect("imports");
    for (encrypting, snapshot, rules) in [
        (
            false,
            "authentik-jwe@jwe=off,roles_key=groups,auth=single",
            vec![],
        ),
        (
            true,
            "authentik-jwe@jwe=on,roles_key=groups,auth=single",
            vec!["jwe-token"],
        ),
    ] {
        let text = imported.scenario.replace(
            "encryption_key: false",
            &format!("encryption_key: {encrypting}"),
        );
        let s = scenario::load(&scenario::SourceFile {
            path: "forum-27239.yaml".into(),
            text,
        })
        .expect("the imported scenario loads");
        let observed = observation(
            &std::fs::read_to_string(root.join(format!("snapshots/e2e/{snapshot}.snap")))
                .expect("the snapshot"),
        );
        let found = diagnosis::diagnose(&Evidence::of(&observed, &s.cases[0].document));
        let names: Vec<&str> = found.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(names, rules, "encryption {encrypting}");
    }
}
