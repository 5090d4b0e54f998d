//! `cargo xtask e2e` gives every case a status and lets no case end the run: a case whose configuration the
//! harness cannot serve is an `error`, a case whose `requires` is not met is `not_run`, the others are judged —
//! with `--keep-going` all of them, without it up to the first case that does not pass (the rest `not_run`).

use std::process::Command;

use harness::run::Status;
use harness::run::results::{CaseResult, Results};

/// Literal secrets, as a scenario pasted from a report holds them: none may reach the report folder.
const LITERALS: [&str; 2] = ["Literal-Client-Secret-7f3a", "Dave-Literal-Passw0rd"];

const SCENARIO: &str = r#"
title: One case the stand-in cannot serve, one it can, one that needs another OpenSearch
idp:
  provider:
    client_secret: Literal-Client-Secret-7f3a
variants:
  - name: saml
    # A type Dashboards accepts and the stand-in does not reproduce: the case's `error`, naming the stand-in.
    set:
      /dashboards/config/opensearch_security.auth.type: saml
    expect: { login: success }
  - name: plain
    set:
      /opensearch/security/internal_users/dave: { password: Dave-Literal-Passw0rd, backend_roles: [admins] }
    expect: { login: success }
  - name: needs-opensearch-1
    set:
      /requires/opensearch: "<2"
    expect: { login: success }
"#;

/// Every file under `dir` that holds one of the literals, and how many files there are.
fn leaks(dir: &std::path::Path) -> (Vec<String>, usize) {
    let mut found = Vec::new();
    let mut files = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            files += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            for l in LITERALS.iter().filter(|l| text.contains(*l)) {
                found.push(format!("{}: {l}", p.display()));
            }
        }
    }
    (found, files)
}

/// Runs e2e on the scenario; returns the exit status, stdout, and results.json's cases (read as `summary` reads them).
fn e2e(keep_going: bool) -> (bool, String, Vec<CaseResult>) {
    // Without --keep-going the run stops at the first case (the error), which writes no rendered files.
    let at_least = if keep_going { 10 } else { 3 };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statuses.yaml");
    std::fs::write(&file, SCENARIO).unwrap();
    let report = dir.path().join("report");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["e2e", "--scenario"])
        .arg(&file)
        .arg("--report")
        .arg(&report);
    if keep_going {
        cmd.arg("--keep-going");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = std::fs::read_to_string(report.join("results.json")).unwrap_or_else(|e| {
        panic!(
            "no results.json ({e})\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results = Results::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let (found, files) = leaks(&report);
    assert!(
        files >= at_least,
        "the report folder holds only {files} files"
    );
    assert_eq!(found, Vec::<String>::new(), "literal secrets in the report");
    for l in LITERALS {
        assert!(!stdout.contains(l), "{l} printed");
    }
    assert!(
        !keep_going
            || report
                .join(
                    "cases/statuses@plain/files/opensearch/opensearch-security/internal_users.yml"
                )
                .exists(),
        "the case folder holds its rendered files (the scan above read them)"
    );
    (out.status.success(), stdout, results.cases)
}

fn case<'a>(cases: &'a [CaseResult], variant: &str) -> &'a CaseResult {
    cases
        .iter()
        .find(|c| c.variant.as_deref() == Some(variant))
        .unwrap()
}

fn status<'a>(cases: &'a [CaseResult], variant: &str) -> (Status, &'a str) {
    let c = case(cases, variant);
    (c.status, c.reason.as_deref().unwrap_or(""))
}

#[test]
fn every_case_gets_a_status_and_none_ends_the_run() {
    let (ok, stdout, cases) = e2e(true);
    assert!(!ok, "a run with an error fails\n{stdout}");
    let (s, why) = status(&cases, "saml");
    assert_eq!(s, Status::Error, "{why}");
    assert!(why.contains("saml") && why.contains("stand-in"), "{why}");
    assert_eq!(status(&cases, "plain"), (Status::Pass, ""));
    let (s, why) = status(&cases, "needs-opensearch-1");
    assert_eq!(s, Status::NotRun);
    assert!(why.starts_with("requires opensearch <2"), "{why}");
    for c in &cases {
        assert!(c.ran_on.is_some(), "{c:?}");
        assert!(c.observed.hops.is_some(), "{c:?}");
    }
    let plain = case(&cases, "plain");
    assert!(plain.observed.hops.as_ref().unwrap().len() > 5, "{plain:?}");
    assert!(
        stdout.contains("1 passed, 0 failed, 1 not run, 1 error"),
        "{stdout}"
    );

    // Without --keep-going: everything after the first case that does not pass is not run, and says why.
    let (ok, stdout, cases) = e2e(false);
    assert!(!ok, "{stdout}");
    let first = cases
        .iter()
        .position(|c| matches!(c.status, Status::Error | Status::Fail))
        .expect("the saml case errs");
    for c in &cases[first + 1..] {
        let reason = c.reason.as_deref().unwrap_or("");
        assert_eq!(c.status, Status::NotRun, "{}: {c:?}", c.name());
        assert!(
            reason.contains("--keep-going") || reason.starts_with("requires"),
            "{}: {c:?}",
            c.name()
        );
    }
}
