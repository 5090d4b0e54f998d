//! A run's reports: `results.json` ([`Results`], the shape of the scenario format's "What a run writes") and
//! `junit.xml`.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::CaseResult;
use super::results::Results;

/// What ran the cases: named in every report, with the stand-ins named as such.
pub struct Backend<'a> {
    pub name: &'a str,
    pub opensearch: &'a str,
    /// The set of `compose/versions.yaml` the run used; `None` when versions were not chosen by set (native runs).
    pub version_set: Option<&'a str>,
    pub idp: &'a str,
    pub dashboards: &'a str,
}

impl Backend<'_> {
    /// The report of a run on this backend (`results.json`).
    pub fn results(&self, cases: &[CaseResult]) -> Results {
        Results {
            backend: self.name.to_owned(),
            opensearch: self.opensearch.to_owned(),
            idp: Some(self.idp.to_owned()),
            dashboards: Some(self.dashboards.to_owned()),
            version_set: self.version_set.map(str::to_owned),
            cases: cases.to_vec(),
        }
    }
}

pub fn write(dir: &Path, backend: &Backend, results: &[CaseResult]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&backend.results(results)).expect("JSON"),
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
