//! Files written from `docs/scenario-format.md` alone load and expand to the cases the contract says.

use std::path::Path;

use harness::scenario::{self, IdpCertificate, Outcome, Step, TokenFormat};

fn load(name: &str) -> scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/contract")
        .join(name);
    scenario::load_path(&path).unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

#[test]
fn the_whole_file_example_expands_to_its_variant_then_its_matrix_cells() {
    let s = load("example.yaml");
    let names: Vec<String> = s.cases.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "authentik-jwe/jwe-off-groups",
            "authentik-jwe/jwe=off,roles_key=roles",
            "authentik-jwe/jwe=off,roles_key=groups",
            "authentik-jwe/jwe=on,roles_key=roles",
            "authentik-jwe/jwe=on,roles_key=groups",
        ]
    );
    // The variant names `login` and `authinfo`: it keeps the top-level `token` and `opensearch_log`.
    let v = &s.cases[0].expect;
    assert_eq!(v.login, Some(Outcome::Success));
    assert_eq!(
        v.authinfo.as_ref().unwrap().backend_roles.as_deref(),
        Some(&["admins".to_owned()][..])
    );
    assert_eq!(v.token.as_ref().unwrap().format, Some(TokenFormat::Jwe));
    assert_eq!(
        v.opensearch_log.as_ref().unwrap().contains,
        ["Authentication finally failed"]
    );
    assert!(!s.cases[0].document.idp.provider.encryption_key);
    // Matrix cells: the first matching rule wins; the edits of every axis apply.
    let outcomes: Vec<_> = s.cases[1..]
        .iter()
        .map(|c| c.expect.login.unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::MissingRole,
            Outcome::Success,
            Outcome::Unauthorized,
            Outcome::Unauthorized
        ]
    );
    let on_groups = &s.cases[4].document;
    assert!(on_groups.idp.provider.encryption_key);
    let roles_key = &on_groups.opensearch.security.config["config"]["dynamic"]["authc"]["openid_auth_domain"]
        ["http_authenticator"]["config"]["roles_key"];
    assert_eq!(roles_key, "groups");
    assert_eq!(
        s.cases[1].document.stack.idp_certificate,
        IdpCertificate::Public
    );
}

#[test]
fn an_almost_empty_file_is_one_case_named_after_the_file_with_every_default() {
    let s = load("minimal.yaml");
    assert_eq!(s.cases.len(), 1);
    let c = &s.cases[0];
    assert_eq!(c.name(), "minimal");
    let d = &c.document;
    assert_eq!(d.stack.opensearch, "3.2.0");
    assert_eq!(
        d.idp
            .users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    assert_eq!(d.idp.users[0].groups, ["admins"]);
    assert!(matches!(&d.steps[..], [Step::Login(l)] if l.user == "alice"));
    let openid = &d.opensearch.security.config["config"]["dynamic"]["authc"]["openid_auth_domain"];
    assert_eq!(
        openid["http_authenticator"]["config"]["roles_key"],
        "groups"
    );
    assert_eq!(openid["http_authenticator"]["challenge"], false);
    assert_eq!(
        d.opensearch.security.roles_mapping["all_access"]["backend_roles"][0],
        "admins"
    );
    assert_eq!(
        d.dashboards.config["opensearch_security.auth.type"],
        "openid"
    );
    assert_eq!(
        d.dashboards.config["opensearch_security.cookie.secure"],
        true
    );
}

#[test]
fn variants_replace_add_and_remove_and_keep_unnamed_expect_keys() {
    let s = load("variants-only.yaml");
    let names: Vec<String> = s.cases.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "variants-only/bob",
            "variants-only/bob-in-admins",
            "variants-only/no-bob"
        ]
    );
    assert_eq!(s.cases[0].expect.login, Some(Outcome::MissingRole));
    assert_eq!(s.cases[1].document.idp.users[1].groups, ["admins"]);
    assert_eq!(
        s.cases[1]
            .expect
            .opensearch_log
            .as_ref()
            .unwrap()
            .not_contains,
        ["Authentication finally failed"]
    );
    assert_eq!(s.cases[2].document.idp.users.len(), 1);
    assert_eq!(
        s.cases[2].expect.opensearch_log.as_ref().unwrap().contains,
        ["x"]
    );
}

#[test]
fn requires_is_top_level_and_a_variant_sets_or_removes_each_part() {
    let s = load("requires.yaml");
    let requires: Vec<(Option<&str>, Option<&str>)> = s
        .cases
        .iter()
        .map(|c| {
            let r = &c.document.requires;
            (r.opensearch.as_deref(), r.dashboards.as_deref())
        })
        .collect();
    assert_eq!(
        requires,
        [
            (Some("<2.1"), Some(">=2.0, <2.4")),
            (Some(">=2.7, <3"), Some(">=2.0, <2.4")),
            (None, None),
        ]
    );
    // Without `requires:` a case requires nothing.
    assert_eq!(
        load("minimal.yaml").cases[0].document.requires,
        Default::default()
    );
}

#[test]
fn opensearch_settings_are_opensearch_yml_keys_and_a_variant_sets_or_removes_one() {
    let s = load("settings.yaml");
    let flat = |c: &scenario::Case| -> Vec<(String, serde_json::Value)> {
        harness::opensearch::settings::flatten(&c.document.opensearch.settings)
            .into_iter()
            .map(|l| (l.key, l.value))
            .collect()
    };
    use serde_json::json;
    assert_eq!(
        flat(&s.cases[0]),
        [
            ("http.max_header_size".to_owned(), json!("16kb")),
            ("http.cors.enabled".to_owned(), json!(true)),
            ("search.max_buckets".to_owned(), json!(20000)),
        ]
    );
    assert_eq!(flat(&s.cases[1])[0].1, json!("32kb"));
    assert_eq!(flat(&s.cases[2]).len(), 2);
    // Without `opensearch.settings`, none.
    assert!(
        load("minimal.yaml").cases[0]
            .document
            .opensearch
            .settings
            .is_empty()
    );
}

#[test]
fn the_project_scenarios_load_and_have_unique_names() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let paths = scenario::files_in(&dir).unwrap();
    let (scenarios, errors) = scenario::load_all(&paths);
    assert!(
        errors.is_empty(),
        "{}",
        errors
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let cases: usize = scenarios.iter().map(|s| s.cases.len()).sum();
    assert!(cases >= 8, "only {cases} cases");
}

#[test]
fn every_snapshot_belongs_to_a_current_case() {
    // insta writes snapshots but never deletes them: a renamed case would leave a stale one behind.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (scenarios, _) = scenario::load_all(&scenario::files_in(&root.join("scenarios")).unwrap());
    let offer = harness::run::versions::Offer::native(None);
    let snapshots = |runs_natively: bool| {
        let mut names: Vec<String> = scenarios
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| {
                !runs_natively || harness::run::versions::decide(c, &offer).not_run.is_none()
            })
            .map(|c| format!("{}.snap", c.key()))
            .collect();
        names.sort();
        names
    };
    // Every case is rendered; the e2e snapshots are of the cases the native backend runs (not those whose
    // `requires` it cannot meet).
    for (kind, expected) in [("render", snapshots(false)), ("e2e", snapshots(true))] {
        let mut found: Vec<String> = std::fs::read_dir(root.join("snapshots").join(kind))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".snap"))
            .collect();
        found.sort();
        assert_eq!(
            found, expected,
            "snapshots/{kind}: delete the stale snapshots or run the tests to create the missing ones"
        );
    }
}
