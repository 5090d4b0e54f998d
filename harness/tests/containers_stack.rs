//! The containers backend with the offline images (`cargo xtask images`): the seed's cells through a browser
//! container, Caddy, the stand-ins and the real security plugin in OpenSearch's container, the same on the real
//! Keycloak's container — and nothing left in Docker afterwards, whether the stack is stopped or dropped. Needs a Docker engine (`cargo xtask test --heavy`
//! starts one) and the local images (`cargo xtask test --heavy` builds them).

use std::collections::HashMap;

use harness::containers::docker::{self, RUN_LABEL};
use harness::containers::images::Images;
use harness::containers::{Options, Stack};
use harness::opensearch::NATIVE_DEFAULT_VERSION;
use harness::run::{CaseResult, run_case};
use harness::scenario::{self, Case, Outcome, TokenFormat};
use testcontainers::bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder,
};

fn seed_case(variant: &str) -> Case {
    case_of("authentik-jwe", variant)
}

fn case_of(scenario: &str, variant: &str) -> Case {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../scenarios/{scenario}.yaml"));
    let s = scenario::load_path(&path).unwrap_or_else(|e| panic!("{}", e[0]));
    s.cases
        .into_iter()
        .find(|c| c.variant.as_deref() == Some(variant))
        .unwrap()
}

/// Names of the containers and networks of run `run` still in the engine.
async fn left_in_docker(run: &str) -> Vec<String> {
    let docker = docker::connect().unwrap();
    let label = format!("{RUN_LABEL}={run}");
    let filters = HashMap::from([("label", vec![label.as_str()])]);
    let mut left: Vec<String> = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|c| format!("container {:?}", c.names))
        .collect();
    left.extend(
        docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|n| format!("network {:?}", n.name)),
    );
    left
}

fn options(run_dir: &std::path::Path) -> Options {
    Options {
        images: Images::local(NATIVE_DEFAULT_VERSION),
        run_dir: run_dir.to_owned(),
    }
}

/// The seed's JWE on and off cells (groups, single auth) on one stack of `images`, which is stopped after them;
/// asserts that the run's containers and network exist while it runs and are gone after.
async fn seed_cells(images: Images) -> (CaseResult, CaseResult) {
    let dir = tempfile::tempdir().unwrap();
    let jwe_on = seed_case("jwe=on,roles_key=groups,auth=single");
    let jwe_off = seed_case("jwe=off,roles_key=groups,auth=single");
    let options = Options {
        images,
        run_dir: dir.path().join("stack"),
    };
    let mut stack = Stack::start(&jwe_on, &options, &|m| eprintln!("{m}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let run = stack.run_id().to_owned();
    assert!(
        left_in_docker(&run).await.len() >= 6,
        "five containers and a network while running"
    );
    let report = dir.path().join("report");
    let on = run_case(&mut stack, &jwe_on, &report, &|_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let off = run_case(&mut stack, &jwe_off, &report, &|_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let password = harness::run::Target::secrets(&stack)
        .idp_password(&jwe_on.document, "alice")
        .unwrap();
    stack.stop().await;
    assert_eq!(left_in_docker(&run).await, Vec::<String>::new());

    // Every container's log of the case, in its folder, redacted.
    let logs = report.join(jwe_on.key()).join("logs");
    for component in ["caddy", "browser", "opensearch", "idp", "dashboards"] {
        let text = std::fs::read_to_string(logs.join(format!("{component}.log")))
            .unwrap_or_else(|e| panic!("{component}.log: {e}"));
        assert!(
            !text.contains(&password),
            "{component}.log holds a password"
        );
    }
    let caddy = std::fs::read_to_string(logs.join("caddy.log")).unwrap();
    assert!(
        caddy.contains("dashboards.sso.test"),
        "Caddy logged the case's requests: {caddy}"
    );
    assert_eq!(
        caddy.matches("code=").count(),
        caddy.matches("code=[code]").count(),
        "authorization codes are redacted: {caddy}"
    );
    assert!(
        caddy.contains("code=[code]"),
        "the callback is in Caddy's log"
    );
    (on, off)
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_cells_give_the_plugins_outcomes_and_stop_leaves_nothing() {
    let (on, off) = seed_cells(Images::local(NATIVE_DEFAULT_VERSION)).await;
    assert!(on.pass, "{:?}", on.mismatches);
    assert_eq!(on.observed.login, Some(Outcome::Unauthorized));
    assert!(
        on.observed
            .opensearch_log
            .iter()
            .any(|l| l.contains("Unexpected number of Base64URL parts, must be three")),
        "{:#?}",
        on.observed.opensearch_log
    );
    assert!(off.pass, "{:?}", off.mismatches);
    assert_eq!(off.observed.login, Some(Outcome::Success));
}

/// The real Keycloak in its container (the local image: the native backend's build), started at the run's first
/// Keycloak case and kept: its JWE off case logs in, its JWE on case is refused by the real plugin for the reason
/// the plugin gives; Caddy, which never restarts, leads the IdP's name to Keycloak and back to the embedded IdP
/// (whose case before and after logs in); nothing is left after stop.
#[tokio::test(flavor = "multi_thread")]
async fn keycloak_cases_are_judged_by_the_plugin_and_caddy_leads_the_idp_name_there_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = seed_case("jwe=off,roles_key=groups,auth=single");
    let kc_off = case_of("keycloak-jwe", "jwe=off,roles_key=groups,user=alice");
    let kc_on = case_of("keycloak-jwe", "jwe=on,roles_key=groups,user=alice");
    let mut stack = Stack::start(&embedded, &options(&dir.path().join("stack")), &|m| {
        eprintln!("{m}")
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let run = stack.run_id().to_owned();
    let report = dir.path().join("report");
    let mut results = Vec::new();
    for case in [&embedded, &kc_off, &kc_on, &embedded] {
        let began = std::time::Instant::now();
        let r = run_case(&mut stack, case, &report, &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{}: {:?} ({}) in {:.1} s",
            case.key(),
            r.observed.login,
            r.observed.login_detail.as_deref().unwrap_or(""),
            began.elapsed().as_secs_f64()
        );
        results.push(r);
    }
    let keycloak_boot = stack.timings.keycloak_boot;
    let containers = left_in_docker(&run).await;
    stack.stop().await;
    assert_eq!(left_in_docker(&run).await, Vec::<String>::new());
    eprintln!("Keycloak's container: ready in {keycloak_boot:.1?}");

    let [before, off, on, after] = &results[..] else {
        unreachable!()
    };
    assert!(
        containers.iter().any(|c| c.contains("-keycloak")),
        "Keycloak ran in a container of the run: {containers:?}"
    );
    assert!(keycloak_boot > std::time::Duration::ZERO);
    for (name, r) in [("before", before), ("after", after)] {
        assert_eq!(r.observed.login, Some(Outcome::Success), "{name}");
        assert!(r.pass, "{name}: {:?}", r.mismatches);
    }
    assert_eq!(off.observed.login, Some(Outcome::Success));
    assert!(off.pass, "{:?}", off.mismatches);
    assert_eq!(on.observed.login, Some(Outcome::Unauthorized));
    assert!(on.pass, "{:?}", on.mismatches);
    // The plugin's own words for an encrypted token (its JWT authenticator at TRACE), and its final refusal.
    let log = &on.observed.opensearch_log;
    assert!(
        log.iter()
            .any(|l| l.contains("Unexpected number of Base64URL parts")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("Authentication finally failed for null")),
        "{log:#?}"
    );
    // Keycloak encrypted the token it issued (the harness's headless login as the relying party).
    let token = on.observed.token.as_ref().expect("the token's shape");
    assert_eq!(token.format, TokenFormat::Jwe, "{token:?}");
    assert!(
        token.inner.is_some(),
        "decrypted for the observation: {token:?}"
    );
    // Its container's log is in the case folder, as every container's.
    let kc_log = report.join(kc_on.key()).join("logs/keycloak.log");
    assert!(kc_log.is_file(), "{kc_log:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_stack_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = seed_case("jwe=off,roles_key=groups,auth=single");
    let stack = Stack::start(&case, &options(&dir.path().join("stack")), &|_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let run = stack.run_id().to_owned();
    // As on a panic or an early return: no stop(), only drop.
    drop(stack);
    assert_eq!(left_in_docker(&run).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_sweeps_what_a_killed_run_left_and_spares_live_runs() {
    use testcontainers::bollard::models::{ContainerCreateBody, NetworkCreateRequest};
    use testcontainers::bollard::query_parameters::CreateContainerOptionsBuilder;
    let docker = docker::connect().unwrap();
    // A pid that is not running: what a `kill -9`ed harness leaves on its containers.
    let dead = "999999999".to_string();
    let mut labels = HashMap::from([
        (RUN_LABEL.to_owned(), "killed-run".to_owned()),
        (docker::PID_LABEL.to_owned(), dead),
    ]);
    docker
        .create_network(NetworkCreateRequest {
            name: "sso-harness-killed-run".into(),
            labels: Some(labels.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    docker
        .create_container(
            Some(
                CreateContainerOptionsBuilder::default()
                    .name("sso-harness-killed-run-caddy")
                    .build(),
            ),
            ContainerCreateBody {
                image: Some(harness::containers::local::BASE.into()),
                cmd: Some(vec!["true".into()]),
                labels: Some(labels.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // And one whose harness (this test) is alive.
    labels.insert(RUN_LABEL.to_owned(), "live-run".to_owned());
    labels.insert(docker::PID_LABEL.to_owned(), std::process::id().to_string());
    docker
        .create_network(NetworkCreateRequest {
            name: "sso-harness-live-run".into(),
            labels: Some(labels),
            ..Default::default()
        })
        .await
        .unwrap();

    let swept = docker::sweep().await.unwrap();
    let live_left = left_in_docker("live-run").await;
    docker.remove_network("sso-harness-live-run").await.unwrap();

    assert!(
        swept
            .containers
            .contains(&"sso-harness-killed-run-caddy".to_owned()),
        "{swept:?}"
    );
    assert!(
        swept
            .networks
            .contains(&"sso-harness-killed-run".to_owned()),
        "{swept:?}"
    );
    assert_eq!(left_in_docker("killed-run").await, Vec::<String>::new());
    assert_eq!(live_left.len(), 1, "the live run's network is spared");
}

/// The official images of the report's versions (the `os-3.2` set): authentik configured by the blueprint only,
/// the real Dashboards, the real authentik UI; the tokens observed through authentik's headless login.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a container registry: pulls the official OpenSearch, Dashboards, authentik, postgres and Caddy images"]
async fn seed_cells_on_the_official_images_need_a_registry() {
    let versions = harness::versions::load_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../compose/versions.yaml"),
    )
    .unwrap_or_else(|e| panic!("{}", e[0]));
    let set = versions.set("os-3.2").unwrap();
    let (on, off) = seed_cells(Images::official(set, &versions.support)).await;
    assert_eq!(on.observed.login, Some(Outcome::Unauthorized));
    assert!(
        on.observed
            .opensearch_log
            .iter()
            .any(|l| l.contains("Authentication finally failed for null"))
    );
    assert_eq!(off.observed.login, Some(Outcome::Success));
    assert!(
        on.pass && off.pass,
        "{:?} {:?}",
        on.mismatches,
        off.mismatches
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_local_image_is_named_with_the_command_that_builds_it() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        images: Images::local("0.0.0-not-built"),
        run_dir: dir.path().to_owned(),
    };
    let case = seed_case("jwe=off,roles_key=groups,auth=single");
    let err = match Stack::start(&case, &options, &|_| {}).await {
        Ok(_) => panic!("started without the image"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("sso-harness/opensearch:0.0.0-not-built")
            && err.contains("cargo xtask images --opensearch-version 0.0.0-not-built"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_local_keycloak_image_is_named_with_the_command_that_builds_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut images = Images::local(NATIVE_DEFAULT_VERSION);
    images.keycloak =
        harness::containers::images::Image::new("sso-harness/keycloak", "0.0.0-not-built");
    let options = Options {
        images,
        run_dir: dir.path().to_owned(),
    };
    let case = case_of("keycloak-jwe", "jwe=off,roles_key=groups,user=alice");
    let err = match Stack::start(&case, &options, &|_| {}).await {
        Ok(_) => panic!("started without the image"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("sso-harness/keycloak:0.0.0-not-built")
            && err.contains("cargo xtask images --only keycloak"),
        "{err}"
    );
}
