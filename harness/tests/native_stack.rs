//! The seed report end to end on the native backend: a real browser, through Caddy, the Dashboards stand-in and the
//! embedded IdP, into the real OpenSearch security plugin — whose answers decide each outcome.

use std::time::{Duration, Instant};

use harness::browser::{Browser, authentik};
use harness::native::{Options, Stack};
use harness::opensearch::NATIVE_DEFAULT_VERSION;
use harness::run::Target;
use harness::scenario::{self, Case};

fn seed_case(variant: &str) -> Case {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/authentik-jwe.yaml");
    let s = scenario::load_path(&path).unwrap_or_else(|e| panic!("{}", e[0]));
    s.cases
        .into_iter()
        .find(|c| c.variant.as_deref() == Some(variant))
        .unwrap()
}

/// Opens a fresh browser, starts at Dashboards, logs in at the IdP as alice; returns (final URL, page text).
async fn login(stack: &Stack, case: &Case) -> (String, String) {
    let (driver, options) = stack.browser();
    let browser = Browser::open(&driver, &options).await.unwrap();
    browser
        .client
        .goto(&format!("{}/app/home", stack.topology.dashboards_url()))
        .await
        .unwrap();
    let password = stack.secrets.idp_password(&case.document, "alice").unwrap();
    authentik::login(&browser.client, "alice", &password)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Wait until the browser has left the IdP and settled.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    loop {
        let url = browser.client.current_url().await.unwrap().to_string();
        if !url.contains(&stack.topology.hosts.idp) && url == last {
            break;
        }
        assert!(Instant::now() < deadline, "stuck at {url}");
        last = url;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let text = browser
        .client
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    browser.close().await.unwrap();
    (last, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_matrix_outcomes_come_from_the_real_security_plugin() {
    let run = tempfile::Builder::new()
        .prefix("sso-harness-stack-")
        .tempdir()
        .unwrap();
    let first = seed_case("jwe=on,roles_key=groups,auth=single");
    let options = Options {
        opensearch_version: NATIVE_DEFAULT_VERSION.into(),
        run_dir: run.path().to_owned(),
    };
    let mut stack = Stack::start(&first, &options, &|m| eprintln!("{m}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // JWE on: the plugin cannot parse a 5-part token; Dashboards (stand-in) answers its 401 JSON at the callback.
    let offset = stack.node().log_offset();
    let (url, text) = login(&stack, &first).await;
    assert!(url.contains("/auth/openid/login?code="), "{url}");
    assert!(
        text.contains(r#"{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}"#),
        "{text}"
    );
    let log = stack.node().log_since(offset).join("\n");
    assert!(
        log.contains("Authentication finally failed for null"),
        "{log}"
    );

    // JWE off, roles_key groups: success.
    let case = seed_case("jwe=off,roles_key=groups,auth=single");
    stack.apply(&case).await.unwrap_or_else(|e| panic!("{e}"));
    let offset = stack.node().log_offset();
    let (url, text) = login(&stack, &case).await;
    let log = stack.node().log_since(offset).join("\n");
    assert!(
        url.ends_with("/app/home"),
        "{url}\n{text}\nOpenSearch log:\n{log}"
    );
    assert!(text.contains("alice"), "{text}");

    // JWE off, roles_key roles: authentik sends no `roles`; logged in without roles → Missing Role.
    let case = seed_case("jwe=off,roles_key=roles,auth=single");
    let offset = stack.node().log_offset();
    stack.apply(&case).await.unwrap_or_else(|e| panic!("{e}"));
    let (url, text) = login(&stack, &case).await;
    assert!(
        url.ends_with("/app/customerror/missing-role"),
        "{url}\n{text}"
    );
    assert!(text.contains("Missing Role"), "{text}");
    let log = stack.node().log_since(offset).join("\n");
    assert!(
        log.contains("Failed to get roles from JWT claims with roles_key"),
        "{log}"
    );
    stack.stop().await;
}
