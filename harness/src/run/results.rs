//! `results.json`, a run's report (docs/scenario-format.md, "What a run writes"; a contract). The types here are
//! both what [`report::write`](super::report::write) serialises and what every reader — `summary`, the tests —
//! deserialises: one schema, read and written the same way.
//!
//! Reading is forgiving in the two ways a report read elsewhere needs:
//! - a member older reports lack takes its default (a member added later gets `#[serde(default)]`, or is an
//!   `Option`); reports written before `status` (format v1) have only `pass`, which then says the status;
//! - a member this version does not know is ignored, also inside `expected` (the scenario format's `Expect`,
//!   which a scenario file must spell exactly, and a newer harness may extend).

use serde::de::{Deserializer, IntoDeserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::observe::Observation;
use super::versions::{Asked, RanOn};
use crate::scenario::{Case, Expect, Outcome, wire_name};

/// One run: what ran the cases, and each case's result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Results {
    /// `native` or `containers`.
    pub backend: String,
    /// The OpenSearch the run started with (each case says what it ran on in `ran_on`).
    pub opensearch: String,
    /// The identity provider, a stand-in named as such (absent in reports written before it was named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// Dashboards, or the stand-in named as such (absent in reports written before it was named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboards: Option<String>,
    /// The set of `compose/versions.yaml` the run used; absent when versions were not chosen by set (native runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_set: Option<String>,
    pub cases: Vec<CaseResult>,
}

/// A case's status (docs/scenario-format.md, "A case's status").
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Judged, and every expectation held.
    Pass,
    /// Judged, and some expectation did not hold.
    Fail,
    /// Not run (its `requires` not met, or the run stopped before it): `reason` says which.
    NotRun,
    /// The harness could not run it (a start failed, the stack could not apply its configuration): `reason`.
    Error,
}

/// Where a case's time went.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Timings {
    pub config_swap_ms: u128,
    pub browser_login_ms: u128,
    pub observation_ms: u128,
}

/// One case, judged or not: an entry of `results.json`'s `cases`, and a case folder's `result.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseResult {
    pub scenario: String,
    #[serde(default)]
    pub variant: Option<String>,
    /// Required when read: [`Results::parse`] gives reports written before it one from `pass`.
    pub status: Status,
    /// Why a case is `not_run` or an `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `status == pass` (kept from v1).
    #[serde(default)]
    pub pass: bool,
    #[serde(default)]
    pub duration_ms: u128,
    #[serde(default)]
    pub timings: Timings,
    /// What the stack (re)started for the case, each `component: why` (`plan`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restarted: Vec<String>,
    /// What the case ran on (set by whoever chose the versions, `run::versions::decide`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran_on: Option<RanOn>,
    /// The versions the scenario asked for where they are not the ones it ran on.
    #[serde(default, skip_serializing_if = "Asked::is_empty")]
    pub asked: Asked,
    #[serde(default)]
    pub expected: Expect,
    #[serde(default)]
    pub observed: Observation,
    #[serde(default)]
    pub mismatches: Vec<String>,
    /// Known causes the observation shows (`crate::diagnosis`); empty when nothing is known (and in reports
    /// written before it).
    #[serde(default)]
    pub diagnosis: Vec<crate::diagnosis::Diagnosis>,
}

impl CaseResult {
    /// `scenario/variant` (or `scenario`), for people.
    pub fn name(&self) -> String {
        crate::scenario::case_name(&self.scenario, self.variant.as_deref())
    }

    /// `scenario@variant` (or `scenario`), as [`Case::key`]: the case folder's name, the snapshot's file stem, the
    /// summary's row.
    pub fn key(&self) -> String {
        crate::scenario::case_key(&self.scenario, self.variant.as_deref())
    }

    /// The result, saying what it ran on.
    pub fn on(self, ran_on: RanOn, asked: Asked) -> CaseResult {
        CaseResult {
            ran_on: Some(ran_on),
            asked,
            ..self
        }
    }

    /// A case that was not judged: `not_run` or `error`, with the reason.
    pub fn unjudged(case: &Case, status: Status, reason: impl Into<String>) -> CaseResult {
        CaseResult {
            scenario: case.scenario.clone(),
            variant: case.variant.clone(),
            status,
            reason: Some(reason.into()),
            pass: false,
            duration_ms: 0,
            timings: Timings::default(),
            restarted: Vec::new(),
            ran_on: None,
            asked: Asked::default(),
            expected: case.expect.clone(),
            observed: Observation {
                hops: Some(Vec::new()),
                ..Default::default()
            },
            mismatches: Vec::new(),
            diagnosis: Vec::new(),
        }
    }
}

/// Why a text is not a report.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON: where it breaks (serde_json's words).
    #[error("{line}:{column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not a report: at which member (`cases[3].status`).
    #[error("at `{path}`: {message}")]
    Schema { path: String, message: String },
}

impl ParseError {
    /// The error, located in `file`: `FILE:LINE:COL: …` or `FILE: at `MEMBER`: …`.
    pub fn in_file(&self, file: &str) -> String {
        match self {
            ParseError::Syntax { .. } => format!("{file}:{self}"),
            ParseError::Schema { .. } => format!("{file}: {self}"),
        }
    }
}

impl Results {
    /// Reads the text of a `results.json`, this version's or an older or newer one (see the module's comment).
    pub fn parse(text: &str) -> Result<Results, ParseError> {
        let mut doc: Value = serde_json::from_str(text).map_err(|e| ParseError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        status_from_pass(&mut doc);
        loop {
            let e = match serde_path_to_error::deserialize::<_, Results>(&doc) {
                Ok(results) => return Ok(results),
                Err(e) => e,
            };
            let message = e.inner().to_string();
            // Each round removes a member, so this ends.
            let removed =
                unknown_field(&message).is_some_and(|f| remove_member(&mut doc, e.path(), f));
            if !removed {
                return Err(ParseError::Schema {
                    path: e.path().to_string(),
                    message,
                });
            }
        }
    }
}

/// Reports written before `status` (format v1) say only `pass`.
fn status_from_pass(doc: &mut Value) {
    let cases = doc.get_mut("cases").and_then(Value::as_array_mut);
    for case in cases.into_iter().flatten().filter_map(Value::as_object_mut) {
        if !case.contains_key("status") {
            let pass = case.get("pass").and_then(Value::as_bool) == Some(true);
            let status = if pass { Status::Pass } else { Status::Fail };
            case.insert("status".into(), Value::String(wire_name(&status)));
        }
    }
}

/// The member serde's `deny_unknown_fields` names: "unknown field `NAME`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
}

/// Removes member `field` of the object at `path` (which may already end with `field` itself).
fn remove_member(doc: &mut Value, path: &serde_path_to_error::Path, field: &str) -> bool {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = path.iter().collect();
    if matches!(segments.last(), Some(Segment::Map { key }) if key == field) {
        segments.pop();
    }
    let mut node = doc;
    for segment in segments {
        let next = match (segment, node) {
            (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index),
            (Segment::Map { key }, Value::Object(members)) => members.get_mut(key),
            _ => None,
        };
        let Some(next) = next else { return false };
        node = next;
    }
    node.as_object_mut()
        .is_some_and(|members| members.shift_remove(field).is_some())
}

/// `observed.login`: any outcome, also `stuck`, which is observed only and so not among the outcomes a scenario
/// file may expect (`Outcome` itself refuses it).
pub(super) fn observed_outcome<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Outcome>, D::Error> {
    let Some(name) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if name == wire_name(&Outcome::Stuck) {
        return Ok(Some(Outcome::Stuck));
    }
    let name: serde::de::value::StrDeserializer<D::Error> = name.as_str().into_deserializer();
    Outcome::deserialize(name).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{"backend": "native", "opensearch": "2.19.4", "cases": [
        {"scenario": "s", "variant": "a", "pass": true, "expected": {"login": "success"}, "observed": {"login": "success"}},
        {"scenario": "s", "variant": "b", "pass": false, "expected": {}, "observed": {}, "mismatches": ["x"]}
    ]}"#;

    #[test]
    fn a_report_before_status_takes_it_from_pass() {
        let r = Results::parse(V1).unwrap();
        let statuses: Vec<Status> = r.cases.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Status::Pass, Status::Fail]);
        assert_eq!(r.cases[1].observed, Observation::default());
        assert_eq!((r.idp, r.dashboards, r.version_set), (None, None, None));
    }

    #[test]
    fn members_this_version_does_not_know_are_ignored_everywhere() {
        let newer = r#"{"backend": "native", "opensearch": "2.19.4", "new": {"x": 1}, "cases": [
            {"scenario": "s", "status": "fail", "remedy": [{"rule": "jwe-token"}],
             "expected": {"login": "success", "someday": true, "token": {"format": "jwe", "kid": "k"}},
             "observed": {"login": "stuck", "screenshot": "a.png",
                          "hops": [{"method": "GET", "url": "u", "status": 200, "type": "document", "ms": 3}]},
             "ran_on": {"opensearch": "2.19.4", "dashboards": "d", "idp": "i", "keycloak": "26"}}
        ]}"#;
        let r = Results::parse(newer).unwrap();
        let c = &r.cases[0];
        assert_eq!(c.expected.login, Some(Outcome::Success));
        assert_eq!(
            c.expected.token.as_ref().and_then(|t| t.format),
            Some(crate::scenario::TokenFormat::Jwe)
        );
        assert_eq!(c.observed.login, Some(Outcome::Stuck));
        assert_eq!(c.observed.hops.as_ref().map(Vec::len), Some(1));
        assert_eq!(c.ran_on.as_ref().map(|o| o.idp.as_str()), Some("i"));
    }

    #[test]
    fn what_is_not_a_report_is_located() {
        let e = Results::parse("{\n  \"backend\": 3\n}").unwrap_err();
        assert_eq!(
            e.in_file("r1/results.json"),
            "r1/results.json: at `backend`: invalid type: integer `3`, expected a string"
        );
        let e =
            Results::parse(&V1.replace("\"pass\": false", "\"status\": \"maybe\"")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("at `cases[1].status`: unknown variant `maybe`"),
            "{e}"
        );
        let e = Results::parse("{\n  \"backend\": \"native\",\n").unwrap_err();
        assert!(
            e.in_file("r").starts_with("r:3:0: EOF while parsing"),
            "{e}"
        );
        let e = Results::parse(&V1.replace(
            "\"expected\": {\"login\": \"success\"}",
            "\"expected\": {\"login\": \"stuck\"}",
        ))
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("at `cases[0].expected.login`: unknown variant `stuck`"),
            "an expectation of stuck is refused as in a scenario file: {e}"
        );
    }
}
