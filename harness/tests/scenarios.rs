//! Every scenario file of `scenarios/` is a test: its cases run on the native backend (the real OpenSearch security
//! plugin behind Chromium, Caddy, the Dashboards stand-in and the embedded IdP), are judged against their
//! expectations, and their observations are snapshotted in `snapshots/e2e/` (review with `cargo insta review`).

use std::path::Path;

use harness::native::{Options, Stack};
use harness::opensearch::NATIVE_DEFAULT_VERSION;
use harness::run::run_case;
use harness::run::versions::{Offer, decide};
use harness::scenario;

fn scenario_file(path: &Path) -> datatest_stable::Result<()> {
    let s = scenario::load_path(path).map_err(|e| e[0].to_string())?;
    // Cases whose `requires` the native backend cannot meet are not run (and have no snapshot); the others run on
    // the one OpenSearch this test starts.
    let offer = Offer::native(None);
    let cases: Vec<_> = s
        .cases
        .iter()
        .filter(|c| {
            let d = decide(c, &offer);
            if let Some(why) = &d.not_run {
                eprintln!("{}: not run: {why}", c.name());
                return false;
            }
            assert_eq!(
                d.opensearch,
                NATIVE_DEFAULT_VERSION,
                "{}: a case on another OpenSearch needs a stack of its own",
                c.name()
            );
            true
        })
        .collect();
    if cases.is_empty() {
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let run = tempfile::Builder::new()
            .prefix("sso-harness-e2e-")
            .tempdir()?;
        let options = Options {
            opensearch_version: NATIVE_DEFAULT_VERSION.into(),
            run_dir: run.path().join("stack"),
        };
        let mut stack = Stack::start(cases[0], &options, &|m| eprintln!("{m}")).await?;
        let mut failures = Vec::new();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots/e2e");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        // The IdP the file's cases run on: the embedded one, or the real Keycloak for `stack.idp: keycloak`.
        let idp = match cases[0].document.stack.idp {
            harness::scenario::IdpProfile::Keycloak => {
                harness::keycloak::name(harness::keycloak::DEFAULT_VERSION)
            }
            harness::scenario::IdpProfile::Authentik => harness::idp::NAME.to_owned(),
        };
        settings.set_info(&format!(
            "native backend: OpenSearch {NATIVE_DEFAULT_VERSION}, {idp}, {}",
            harness::stand_in::NAME
        ));
        for case in cases {
            let r = run_case(&mut stack, case, &run.path().join("report"), &|_| {}).await?;
            eprintln!(
                "{}: {} in {} ms {:?}",
                r.name(),
                if r.pass { "pass" } else { "FAIL" },
                r.duration_ms,
                r.mismatches
            );
            if !r.pass {
                failures.push(format!("{}:\n  {}", r.name(), r.mismatches.join("\n  ")));
            }
            settings.bind(|| insta::assert_yaml_snapshot!(case.key(), r.observed.for_snapshot()));
        }
        stack.stop().await;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("\n").into())
        }
    })
}

datatest_stable::harness! {
    { test = scenario_file, root = "../scenarios", pattern = r"\.ya?ml$" },
}
