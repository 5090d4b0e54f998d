//! A run's reports: `results.json` (the shape of the scenario format's "What a run writes") and `junit.xml`.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use super::CaseResult;

/// What ran the cases: named in every report, with the stand-ins named as such.
pub struct Backend<'a> {
    pub name: &'a str,
    pub opensearch: &'a str,
    /// The set of `compose/versions.yaml` the run used; `None` when versions were not chosen by set (native runs).
    pub version_set: Option<&'a str>,
    pub idp: &'a str,
    pub dashboards: &'a str,
}

pub fn write(dir: &Path, backend: &Backend, results: &[CaseResult]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut doc = json!({
        "backend": backend.name,
        "opensearch": backend.opensearch,
        "idp": backend.idp,
        "dashboards": backend.dashboards,
    });
    if let Some(set) = backend.version_set {
        doc["version_set"] = json!(set);
    }
    doc["cases"] = json!(results);
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&doc).expect("JSON"),
    )?;
    std::fs::write(dir.join("junit.xml"), junit(backend, results))?;
    Ok(())
}

fn junit(backend: &Backend, results: &[CaseResult]) -> String {
    let mut report = Report::new("sso-harness e2e");
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in results {
        let idx = match suites.iter().position(|s| s.name.as_str() == r.scenario) {
            Some(i) => i,
            None => {
                suites.push(TestSuite::new(r.scenario.clone()));
                suites.len() - 1
            }
        };
        let status = if r.pass {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.mismatches.join("; "));
            s
        };
        let mut case = TestCase::new(
            r.variant.clone().unwrap_or_else(|| r.scenario.clone()),
            status,
        );
        case.set_time(Duration::from_millis(r.duration_ms as u64));
        case.set_classname(format!(
            "{} on {} (OpenSearch {}, {}, {})",
            r.scenario, backend.name, backend.opensearch, backend.idp, backend.dashboards
        ));
        suites[idx].add_test_case(case);
    }
    report.add_test_suites(suites);
    report.to_string().expect("JUnit XML")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(version_set: Option<&str>) -> serde_json::Value {
        let dir = tempfile::tempdir().unwrap();
        let backend = Backend {
            name: "containers",
            opensearch: "3.2.0",
            version_set,
            idp: "authentik",
            dashboards: "OpenSearch Dashboards",
        };
        write(dir.path(), &backend, &[]).unwrap();
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap()
    }

    /// The writer of results.json and its reader (`summary`) are held together by one round trip.
    #[test]
    fn summary_reads_back_what_the_report_writes() {
        use crate::run::{CaseResult, Status};
        let file = crate::scenario::SourceFile {
            path: "r.yaml".into(),
            text: "variants:\n  - { name: a, expect: { login: success } }\n  - { name: b, expect: { login: success } }\n".into(),
        };
        let cases = crate::scenario::load(&file).unwrap().cases;
        let mut judged = CaseResult::unjudged(&cases[0], Status::Pass, "");
        judged.reason = None;
        judged.pass = true;
        judged.observed.login = Some(crate::scenario::Outcome::Success);
        let not_run = CaseResult::unjudged(&cases[1], Status::NotRun, "requires opensearch <2");
        let dir = tempfile::tempdir().unwrap();
        let backend = Backend {
            name: "native",
            opensearch: "2.19.4",
            version_set: None,
            idp: "authentik (embedded profile)",
            dashboards: "Dashboards stand-in",
        };
        write(dir.path(), &backend, &[judged, not_run]).unwrap();
        let text = std::fs::read_to_string(dir.path().join("results.json")).unwrap();
        let report = crate::summary::Report::parse("r", &text).unwrap();
        let read: Vec<_> = report
            .cases
            .iter()
            .map(|c| {
                (
                    c.key(),
                    c.status(),
                    c.observed.login.clone(),
                    c.reason.clone(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                (
                    "r@a".to_owned(),
                    Status::Pass,
                    Some("success".to_owned()),
                    None
                ),
                (
                    "r@b".to_owned(),
                    Status::NotRun,
                    None,
                    Some("requires opensearch <2".to_owned())
                ),
            ]
        );
        assert_eq!(report.column_name(), "native 2.19.4");
    }

    #[test]
    fn the_version_set_is_named_only_when_the_run_used_one() {
        assert_eq!(written(Some("os-3.2"))["version_set"], "os-3.2");
        assert!(written(None).get("version_set").is_none());
    }
}
