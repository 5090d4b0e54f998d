//! `cargo xtask e2e` gives every case a status and lets no case end the run: a case whose configuration the
//! harness cannot serve is an `error`, a case whose `requires` is not met is `not_run`, the others are judged —
//! with `--keep-going` all of them, without it up to the first case that does not pass (the rest `not_run`).

use std::process::Command;

use serde_json::Value;

/// Literal secrets, as a scenario pasted from a report holds them: none may reach the report folder.
const LITERALS: [&str; 2] = ["Literal-Client-Secret-7f3a", "Dave-Literal-Passw0rd"];

const SCENARIO: &str = r#"
title: One case the stand-in cannot serve, one it can, one that needs another OpenSearch
idp:
  provider:
    client_secret: Literal-Client-Secret-7f3a
variants:
  - name: base-path
    set:
      /dashboards/config/server.basePath: /dashboards
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

/// Runs e2e on the scenario; returns the exit status, stdout, and results.json's cases by variant.
fn e2e(keep_going: bool) -> (bool, String, Vec<(String, Value)>) {
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
    let results: Value = serde_json::from_str(&text).unwrap();
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
    let cases = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["variant"].as_str().unwrap().to_owned(), c.clone()))
        .collect();
    (out.status.success(), stdout, cases)
}

fn status<'a>(cases: &'a [(String, Value)], variant: &str) -> (&'a str, &'a str) {
    let c = &cases.iter().find(|(v, _)| v == variant).unwrap().1;
    (
        c["status"].as_str().unwrap(),
        c["reason"].as_str().unwrap_or(""),
    )
}

#[test]
fn every_case_gets_a_status_and_none_ends_the_run() {
    let (ok, stdout, cases) = e2e(true);
    assert!(!ok, "a run with an error fails\n{stdout}");
    let (s, why) = status(&cases, "base-path");
    assert_eq!(s, "error", "{why}");
    assert!(why.contains("server.basePath"), "{why}");
    assert_eq!(status(&cases, "plain"), ("pass", ""));
    let (s, why) = status(&cases, "needs-opensearch-1");
    assert_eq!(s, "not_run");
    assert!(why.starts_with("requires opensearch <2"), "{why}");
    for (_, c) in &cases {
        assert!(c["ran_on"]["opensearch"].is_string(), "{c}");
        assert!(c["observed"]["hops"].is_array(), "{c}");
    }
    let plain = &cases.iter().find(|(v, _)| v == "plain").unwrap().1;
    assert!(
        plain["observed"]["hops"].as_array().unwrap().len() > 5,
        "{plain}"
    );
    assert!(
        stdout.contains("1 passed, 0 failed, 1 not run, 1 error"),
        "{stdout}"
    );

    // Without --keep-going: everything after the first case that does not pass is not run, and says why.
    let (ok, stdout, cases) = e2e(false);
    assert!(!ok, "{stdout}");
    let first = cases
        .iter()
        .position(|(_, c)| c["status"] == "error" || c["status"] == "fail")
        .expect("the base-path case errs");
    for (v, c) in &cases[first + 1..] {
        assert_eq!(c["status"], "not_run", "{v}: {c}");
        assert!(
            c["reason"].as_str().unwrap().contains("--keep-going")
                || c["reason"].as_str().unwrap().starts_with("requires"),
            "{v}: {c}"
        );
    }
}
