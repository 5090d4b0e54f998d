//! The CI matrix: one cell per version set × partition of the selected cases, each run by one command.
//!
//! Pure: the caller gives the version sets and how many cases the selection has; `cargo xtask matrix` prints the
//! cells, for people (`json`) or for GitHub's `strategy.matrix` (`github`, read with `fromJSON`).

use serde::Serialize;
use serde_json::json;

use crate::select::Partition;
use crate::versions::VersionSet;

/// How many cases one cell should run when the number of partitions is not given. A containers cell boots
/// OpenSearch, Dashboards, authentik (+ postgres) and Caddy once (a minute or two) and then spends a few seconds
/// per case; around 16 cases keeps the boot a modest share of the job while a nightly run of a few dozen cases
/// still fans out over a handful of runners per version set.
pub const CASES_PER_CELL: usize = 16;

/// How the selection is split when `--partitions` is not given: `ceil(cases / CASES_PER_CELL)`, at least one.
pub fn default_partitions(cases: usize) -> usize {
    cases.div_ceil(CASES_PER_CELL).max(1)
}

/// One job of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The version set's name.
    pub set: String,
    /// `K/N`.
    pub partition: String,
    /// What CI shows for the job: `os-3.2 1/2`.
    pub name: String,
    /// `os-3.2-1of2`: names the report folder and the uploaded artifact (which may not contain `/`).
    pub id: String,
    /// The report folder the command writes, relative to the workspace.
    pub report: String,
    /// The arguments of `cargo xtask` (what a job with a prebuilt xtask runs).
    pub args: String,
    /// The whole command, to paste into a shell.
    pub command: String,
    /// How many cases the cell runs.
    pub cases: usize,
    pub opensearch: String,
    pub dashboards: String,
    pub authentik: String,
    pub caddy: String,
}

/// What the matrix is built from.
pub struct Plan<'a> {
    pub sets: &'a [VersionSet],
    /// How many cases the selection has (every scenario file, or those of `scenarios`).
    pub cases: usize,
    /// `None`: [`default_partitions`].
    pub partitions: Option<usize>,
    /// The `--scenario` arguments to pass on (empty: every scenario).
    pub scenarios: &'a [String],
    /// Where report folders go, relative to the workspace.
    pub reports_dir: &'a str,
}

/// The cells: every set × every partition, in the file's order of sets. No partition is empty.
pub fn cells(plan: &Plan) -> Result<Vec<Cell>, String> {
    if plan.cases == 0 {
        return Err("the selection has no cases: nothing to put in the matrix".into());
    }
    let count = plan
        .partitions
        .unwrap_or_else(|| default_partitions(plan.cases));
    if count == 0 || count > plan.cases {
        return Err(format!(
            "{count} partitions of {} case(s): choose between 1 and {} so that no cell is empty",
            plan.cases, plan.cases
        ));
    }
    let scenario_args: String = plan
        .scenarios
        .iter()
        .map(|s| format!(" --scenario {}", shell_word(s)))
        .collect();
    let mut out = Vec::new();
    for set in plan.sets {
        for partition in Partition::all(count) {
            let id = format!("{}-{}", set.name, partition.slug());
            let report = format!("{}/{id}", plan.reports_dir.trim_end_matches('/'));
            let args = format!(
                "e2e --backend containers --version-set {} --partition {partition}{scenario_args} --keep-going --report {}",
                set.name,
                shell_word(&report)
            );
            out.push(Cell {
                set: set.name.clone(),
                partition: partition.to_string(),
                name: format!("{} {partition}", set.name),
                id,
                report,
                command: format!("cargo xtask {args}"),
                args,
                cases: partition.range(plan.cases).len(),
                opensearch: set.opensearch.clone(),
                dashboards: set.dashboards.clone(),
                authentik: set.authentik.clone(),
                caddy: set.caddy.clone(),
            });
        }
    }
    Ok(out)
}

/// For people and tools: the cells as a pretty JSON list.
pub fn json(cells: &[Cell]) -> String {
    serde_json::to_string_pretty(cells).expect("JSON")
}

/// For `strategy.matrix: ${{ fromJSON(...) }}`: `{"include":[…]}` on one line (a step output is one line), with
/// the keys a job uses.
pub fn github(cells: &[Cell]) -> String {
    let include: Vec<_> = cells
        .iter()
        .map(|c| {
            json!({
                "set": c.set,
                "partition": c.partition,
                "name": c.name,
                "id": c.id,
                "report": c.report,
                "args": c.args,
                "command": c.command,
            })
        })
        .collect();
    json!({ "include": include }).to_string()
}

/// `word` as one shell word: unchanged when it is plain, single-quoted otherwise.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-=,@:+".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str) -> VersionSet {
        VersionSet {
            name: name.into(),
            opensearch: "3.2.0".into(),
            dashboards: "3.2.0".into(),
            authentik: "2025.12.4".into(),
            caddy: "2.10".into(),
        }
    }

    #[test]
    fn partitions_default_to_about_sixteen_cases_each() {
        assert_eq!(default_partitions(1), 1);
        assert_eq!(default_partitions(16), 1);
        assert_eq!(default_partitions(17), 2);
        assert_eq!(default_partitions(40), 3);
    }

    #[test]
    fn every_set_times_every_partition_with_its_command() {
        let sets = [set("os-2.19"), set("os-3.2")];
        let scenarios = ["authentik-jwe".to_owned(), "my report.yaml".to_owned()];
        let cells = cells(&Plan {
            sets: &sets,
            cases: 5,
            partitions: Some(2),
            scenarios: &scenarios,
            reports_dir: "reports/",
        })
        .unwrap();
        let names: Vec<&str> = cells.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["os-2.19 1/2", "os-2.19 2/2", "os-3.2 1/2", "os-3.2 2/2"]
        );
        assert_eq!(
            cells[2].command,
            "cargo xtask e2e --backend containers --version-set os-3.2 --partition 1/2 --scenario authentik-jwe \
             --scenario 'my report.yaml' --keep-going --report reports/os-3.2-1of2"
        );
        assert_eq!(cells[2].args, cells[2].command["cargo xtask ".len()..]);
        assert_eq!(
            cells.iter().map(|c| c.cases).collect::<Vec<_>>(),
            [2, 3, 2, 3]
        );
    }

    #[test]
    fn the_github_form_is_one_line_of_include() {
        let sets = [set("os-3.2")];
        let cells = cells(&Plan {
            sets: &sets,
            cases: 3,
            partitions: None,
            scenarios: &[],
            reports_dir: "reports",
        })
        .unwrap();
        assert_eq!(
            github(&cells),
            r#"{"include":[{"set":"os-3.2","partition":"1/1","name":"os-3.2 1/1","id":"os-3.2-1of1","report":"reports/os-3.2-1of1","args":"e2e --backend containers --version-set os-3.2 --partition 1/1 --keep-going --report reports/os-3.2-1of1","command":"cargo xtask e2e --backend containers --version-set os-3.2 --partition 1/1 --keep-going --report reports/os-3.2-1of1"}]}"#
        );
    }

    #[test]
    fn empty_cells_are_refused() {
        let sets = [set("os-3.2")];
        let plan = |cases, partitions| Plan {
            sets: &sets,
            cases,
            partitions,
            scenarios: &[],
            reports_dir: "reports",
        };
        assert_eq!(
            cells(&plan(3, Some(4))).unwrap_err(),
            "4 partitions of 3 case(s): choose between 1 and 3 so that no cell is empty"
        );
        assert!(cells(&plan(3, Some(0))).is_err());
        assert!(cells(&plan(0, None)).is_err());
    }
}
