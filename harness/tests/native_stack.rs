//! The verdicts of the seed matrix and of a cost-12 basic login hold on a slow stack: the same cases, run again
//! with the IdP's token endpoint and the stand-in's login API answering 1.5 s late, give the same outcomes — the
//! real OpenSearch security plugin's, observed by `run_case` on decisive signals only.

use std::time::Duration;

use harness::native::{Options, Stack};
use harness::opensearch::NATIVE_DEFAULT_VERSION;
use harness::run::{Status, run_case};
use harness::scenario::{self, Case, Outcome};

fn case(file: &str, variant: &str) -> Case {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    let s = scenario::load_path(&path).unwrap_or_else(|e| panic!("{}", e[0]));
    s.cases
        .into_iter()
        .find(|c| c.variant.as_deref() == Some(variant))
        .unwrap_or_else(|| panic!("{file} has no variant {variant}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn verdicts_hold_when_the_idp_and_dashboards_answer_slowly() {
    let cases = [
        case("authentik-jwe.yaml", "jwe=on,roles_key=groups,auth=single"),
        case("authentik-jwe.yaml", "jwe=off,roles_key=groups,auth=single"),
        case("authentik-jwe.yaml", "jwe=off,roles_key=roles,auth=single"),
        case("basic-login-multi-auth.yaml", "basic-cost-12-hash"),
        case("basic-login-multi-auth.yaml", "openid-alice"),
    ];
    let run = tempfile::Builder::new()
        .prefix("sso-harness-slow-")
        .tempdir()
        .unwrap();
    let options = Options {
        opensearch_version: NATIVE_DEFAULT_VERSION.into(),
        run_dir: run.path().join("stack"),
    };
    let mut stack = Stack::start(&cases[0], &options, &|m| eprintln!("{m}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut outcomes: Vec<Vec<Option<Outcome>>> = Vec::new();
    for (round, delay) in [Duration::ZERO, Duration::from_millis(1500)]
        .iter()
        .enumerate()
    {
        stack.slow_down(&["/application/o/token/", "/auth/login"], *delay);
        let mut seen = Vec::new();
        for c in &cases {
            let r = run_case(
                &mut stack,
                c,
                &run.path().join(format!("report-{round}")),
                &|_| {},
            )
            .await
            .unwrap();
            eprintln!(
                "{} with {delay:?} delay: {:?} {:?} in {} ms {:?}",
                r.name(),
                r.observed.login,
                r.observed.login_detail,
                r.duration_ms,
                r.timings
            );
            assert_eq!(
                r.status,
                Status::Pass,
                "{}: {:?} {:?}",
                r.name(),
                r.reason,
                r.mismatches
            );
            if !delay.is_zero() {
                assert!(
                    r.timings.browser_login_ms >= delay.as_millis(),
                    "{}: the delay was in the way ({} ms)",
                    r.name(),
                    r.timings.browser_login_ms
                );
            }
            seen.push(r.observed.login);
        }
        outcomes.push(seen);
    }
    stack.stop().await;
    assert_eq!(outcomes[0], outcomes[1], "a slow stack changed a verdict");
    assert_eq!(
        outcomes[0],
        [
            Some(Outcome::Unauthorized),
            Some(Outcome::Success),
            Some(Outcome::MissingRole),
            Some(Outcome::Success),
            Some(Outcome::Success),
        ]
    );
}
