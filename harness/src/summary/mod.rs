//! `cargo xtask summary`: several runs' `results.json` merged into one table — a row per case
//! (`scenario@variant`), a column per version set, a cell per outcome — with the cells whose outcome differs from
//! the committed snapshot (`snapshots/e2e/<case>.snap`) marked.
//!
//! Pure: the caller reads the files and hands over their text; [`markdown`] and [`html`] render the result.

pub mod html;
pub mod markdown;
mod snapshot;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use crate::redact::Redactor;
use crate::run::CaseResult;
use crate::run::results::Results;
use crate::scenario::wire_name;
use regex::Regex;

pub use snapshot::login_outcome;

/// One report folder's run: its `results.json`, read with the type the run wrote it with.
#[derive(Clone, Debug)]
pub struct Report {
    /// Where it was read from, as the user named it.
    pub folder: String,
    pub results: Results,
}

/// A case's verdict: `pass` and `fail` judged its observation against `expect`; `not_run` and `error` have none.
pub use crate::run::Status;

impl Report {
    /// Parses the text of `<folder>/results.json`; the error names the file and where in it.
    pub fn parse(folder: &str, text: &str) -> Result<Report, String> {
        let results =
            Results::parse(text).map_err(|e| e.in_file(&format!("{folder}/results.json")))?;
        Ok(Report {
            folder: folder.to_owned(),
            results,
        })
    }

    /// The column this run belongs in: its version set, else the backend and OpenSearch version (`native 2.19.4`).
    pub fn column_name(&self) -> String {
        match &self.results.version_set {
            Some(set) => set.clone(),
            None => format!("{} {}", self.results.backend, self.results.opensearch),
        }
    }
}

/// The log a matrix cell's report folder holds beside `results.json`: the e2e command's output (`docs/matrix.md`).
pub const LOG_FILE: &str = "e2e.log";
/// How many of its last lines a crashed cell shows.
pub const LOG_TAIL: usize = 20;

/// A report folder without a `results.json` the summary can read: a matrix cell that crashed before writing it,
/// or wrote it broken. Shown with the end of its log rather than refusing the merge.
#[derive(Clone, Debug)]
pub struct Crashed {
    pub folder: String,
    /// No results.json, or its parse error.
    pub reason: String,
    /// The last [`LOG_TAIL`] lines of its [`LOG_FILE`], redacted; `None` when the folder has no log.
    pub log_tail: Option<Vec<String>>,
}

/// One report folder's texts (`results.json` and [`LOG_FILE`], each when present) → its report, or why it has none.
pub fn read_folder(
    folder: &str,
    results: Option<&str>,
    log: Option<&str>,
) -> Result<Report, Crashed> {
    let reason = match results.map(|text| Report::parse(folder, text)) {
        Some(Ok(report)) => return Ok(report),
        Some(Err(e)) => format!("results.json does not parse: {e}"),
        None => "no results.json: the cell ended before writing it".to_owned(),
    };
    Err(Crashed {
        folder: folder.to_owned(),
        reason,
        log_tail: log.map(log_tail),
    })
}

/// A terminal's colour and cursor sequences (CI runs with `CARGO_TERM_COLOR=always`).
static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").expect("valid pattern"));

/// The last [`LOG_TAIL`] lines of a log as a terminal left them (no colours; of a line redrawn with `\r`, its last
/// drawing), redacted by key and by shape: the summary knows no secret values, and it is published.
fn log_tail(log: &str) -> Vec<String> {
    let redactor = Redactor::default();
    let lines: Vec<String> = log
        .lines()
        .map(|l| {
            let l = ANSI.replace_all(l, "");
            redactor.redact(l.rsplit('\r').next().unwrap_or_default())
        })
        .collect();
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    lines[end.saturating_sub(LOG_TAIL)..end].to_vec()
}

/// The committed snapshots' outcomes, by case key. A case missing here has no snapshot.
#[derive(Clone, Debug, Default)]
pub struct Snapshots {
    /// Case key → the snapshot's `login` (`None`: the snapshot has no login outcome).
    outcomes: BTreeMap<String, Option<String>>,
}

impl Snapshots {
    /// From `(file name, text)` pairs of the snapshot folder; files not ending in `.snap` are skipped.
    pub fn parse<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Snapshots, String> {
        let mut outcomes = BTreeMap::new();
        for (name, text) in files {
            let Some(key) = name.strip_suffix(".snap") else {
                continue;
            };
            let login = login_outcome(text).map_err(|e| format!("{name}: {e}"))?;
            outcomes.insert(key.to_owned(), login);
        }
        Ok(Snapshots { outcomes })
    }

    /// `None`: no snapshot of the case; `Some(None)`: a snapshot without a login outcome.
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.outcomes.get(key).map(Option::as_deref)
    }
}

/// The merged table.
#[derive(Clone, Debug)]
pub struct Summary {
    pub columns: Vec<Column>,
    /// Sorted by case key.
    pub rows: Vec<Row>,
    /// Cells without a report, in the order given.
    pub crashed: Vec<Crashed>,
}

/// A version set (or, for runs without one, a backend and OpenSearch version).
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub backend: String,
    pub opensearch: String,
    pub idp: Option<String>,
    pub dashboards: Option<String>,
    /// The report folders merged into it (partitions of one set are several).
    pub folders: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Row {
    /// `scenario@variant`.
    pub case: String,
    /// The expected login outcome (from the first run that has the case).
    pub expected: Option<String>,
    pub snapshot: SnapshotState,
    /// One per column; `None` where that column did not run the case.
    pub cells: Vec<Option<Cell>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotState {
    /// Nothing committed for this case.
    Missing,
    /// The committed snapshot's login outcome (`None`: it records none).
    Login(Option<String>),
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub outcome: Option<String>,
    pub status: Status,
    /// `status` is `Pass`: the run's verdict against the scenario's whole `expect`.
    pub pass: bool,
    /// The outcome differs from the committed snapshot's (only for a case that was judged).
    pub changed: bool,
    pub mismatches: Vec<String>,
    /// Why the case was not run, or what went wrong.
    pub reason: Option<String>,
    /// Known causes of what the case observed (`crate::diagnosis`).
    pub diagnosis: Vec<crate::diagnosis::Diagnosis>,
}

impl Cell {
    /// Why a cell did not pass, in words: its mismatches, or why it has no verdict.
    pub fn why(&self) -> String {
        let reason = self.reason.as_deref().unwrap_or("no reason given");
        match self.status {
            Status::Error => format!("error: {reason}"),
            Status::NotRun => format!("not run: {reason}"),
            Status::Pass | Status::Fail if self.mismatches.is_empty() => {
                "no mismatch recorded".to_owned()
            }
            Status::Pass | Status::Fail => self.mismatches.join("; "),
        }
    }
}

impl Summary {
    /// Merges `reports` into columns and rows, comparing every cell with `snapshots`; `crashed` cells are listed
    /// beside them.
    ///
    /// Runs with the same column name are one column when their cases do not overlap (the partitions of a version
    /// set); runs that repeat a case are different runs of the same versions, and each gets its own column named
    /// after its folder: `native 2.19.4 (reports/a)`.
    pub fn merge(reports: &[Report], crashed: &[Crashed], snapshots: &Snapshots) -> Summary {
        // Which reports go in which column.
        let mut groups: Vec<(String, Vec<&Report>, BTreeSet<String>)> = Vec::new();
        for report in reports {
            let name = report.column_name();
            let keys: BTreeSet<String> = report.results.cases.iter().map(CaseResult::key).collect();
            match groups
                .iter_mut()
                .find(|(n, _, seen)| *n == name && seen.is_disjoint(&keys))
            {
                Some((_, members, seen)) => {
                    members.push(report);
                    seen.extend(keys);
                }
                None => groups.push((name, vec![report], keys)),
            }
        }
        let mut columns: Vec<Column> = groups
            .iter()
            .map(|(name, members, _)| Column {
                name: name.clone(),
                backend: members[0].results.backend.clone(),
                opensearch: members[0].results.opensearch.clone(),
                idp: members[0].results.idp.clone(),
                dashboards: members[0].results.dashboards.clone(),
                folders: members.iter().map(|r| r.folder.clone()).collect(),
            })
            .collect();
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        for column in &mut columns {
            if names.iter().filter(|n| **n == column.name).count() > 1 {
                column.name = format!("{} ({})", column.name, column.folders.join(", "));
            }
        }

        let mut rows: BTreeMap<String, Row> = BTreeMap::new();
        for (i, (_, members, _)) in groups.iter().enumerate() {
            for case in members.iter().flat_map(|r| &r.results.cases) {
                let key = case.key();
                let outcome = case.observed.login.as_ref().map(wire_name);
                let snapshot = match snapshots.get(&key) {
                    None => SnapshotState::Missing,
                    Some(login) => SnapshotState::Login(login.map(str::to_owned)),
                };
                let row = rows.entry(key.clone()).or_insert_with(|| Row {
                    case: key,
                    expected: case.expected.login.as_ref().map(wire_name),
                    snapshot,
                    cells: vec![None; groups.len()],
                });
                let status = case.status;
                let judged = matches!(status, Status::Pass | Status::Fail);
                let changed = match &row.snapshot {
                    SnapshotState::Login(committed) => judged && *committed != outcome,
                    SnapshotState::Missing => false,
                };
                row.cells[i] = Some(Cell {
                    outcome,
                    status,
                    pass: status == Status::Pass,
                    changed,
                    mismatches: case.mismatches.clone(),
                    reason: case.reason.clone(),
                    diagnosis: case.diagnosis.clone(),
                });
            }
        }
        Summary {
            columns,
            rows: rows.into_values().collect(),
            crashed: crashed.to_vec(),
        }
    }

    /// Cells per column: (passed, run); a case listed as not run is not counted as run.
    pub fn tally(&self, column: usize) -> (usize, usize) {
        let cells = self.rows.iter().filter_map(|r| r.cells[column].as_ref());
        let (mut passed, mut run) = (0, 0);
        for c in cells.filter(|c| c.status != Status::NotRun) {
            run += 1;
            passed += usize::from(c.pass);
        }
        (passed, run)
    }

    /// Every cell that ran: (column, row, cell).
    pub fn cells(&self) -> impl Iterator<Item = (&Column, &Row, &Cell)> {
        self.rows.iter().flat_map(move |row| {
            row.cells
                .iter()
                .zip(&self.columns)
                .filter_map(move |(cell, column)| cell.as_ref().map(|c| (column, row, c)))
        })
    }

    pub fn changed(&self) -> usize {
        self.cells().filter(|(_, _, c)| c.changed).count()
    }

    /// Cells with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.cells().filter(|(_, _, c)| c.status == status).count()
    }

    pub fn failed(&self) -> usize {
        self.count(Status::Fail)
    }

    pub fn without_snapshot(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.snapshot == SnapshotState::Missing)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(folder: &str, set: Option<&str>, cases: &[(&str, &str, bool)]) -> Report {
        let cases: Vec<String> = cases
            .iter()
            .map(|(variant, login, pass)| {
                format!(
                    r#"{{"scenario":"s","variant":"{variant}","pass":{pass},"expected":{{"login":"success"}},"observed":{{"login":"{login}"}},"mismatches":[]}}"#
                )
            })
            .collect();
        let set = set.map_or(String::new(), |s| format!(r#""version_set":"{s}","#));
        let text = format!(
            r#"{{"backend":"containers","opensearch":"3.2.0",{set}"cases":[{}]}}"#,
            cases.join(",")
        );
        Report::parse(folder, &text).unwrap()
    }

    fn snapshots() -> Snapshots {
        let snap = "---\nsource: x\n---\nlogin: success\nopensearch_log: []\n";
        Snapshots::parse([("s@a.snap", snap), ("s@b.snap", snap), ("README.md", "x")]).unwrap()
    }

    #[test]
    fn partitions_of_a_set_share_a_column_and_repeated_runs_do_not() {
        let reports = [
            report("r/os-3.2-1of2", Some("os-3.2"), &[("a", "success", true)]),
            report("r/os-3.2-2of2", Some("os-3.2"), &[("b", "success", true)]),
            report("x", None, &[("a", "success", true)]),
            report("y", None, &[("a", "unauthorized", false)]),
        ];
        let s = Summary::merge(&reports, &[], &snapshots());
        let names: Vec<&str> = s.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["os-3.2", "containers 3.2.0 (x)", "containers 3.2.0 (y)"]
        );
        assert_eq!(s.columns[0].folders, ["r/os-3.2-1of2", "r/os-3.2-2of2"]);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.tally(0), (2, 2));
        assert_eq!(s.tally(2), (0, 1));
        assert!(s.rows[1].cells[1].is_none(), "x did not run s@b");
    }

    #[test]
    fn cells_differing_from_the_snapshot_are_marked_and_missing_snapshots_said() {
        let reports = [report(
            "r",
            Some("os-3.3"),
            &[
                ("a", "unauthorized", false),
                ("b", "success", true),
                ("c", "success", true),
            ],
        )];
        let s = Summary::merge(&reports, &[], &snapshots());
        let changed: Vec<bool> = s
            .rows
            .iter()
            .map(|r| r.cells[0].as_ref().unwrap().changed)
            .collect();
        assert_eq!(changed, [true, false, false]);
        assert_eq!(s.rows[2].snapshot, SnapshotState::Missing);
        assert_eq!((s.changed(), s.failed(), s.without_snapshot()), (1, 1, 1));
    }

    #[test]
    fn a_broken_results_file_is_located() {
        let e = Report::parse("r1", "{\n  \"backend\": 3\n}").unwrap_err();
        assert!(e.starts_with("r1/results.json: at `backend`:"), "{e}");
        let e = Report::parse("r1", "{\n  \"backend\": 3\n").unwrap_err();
        assert!(e.starts_with("r1/results.json:3:0:"), "{e}");
    }
}
