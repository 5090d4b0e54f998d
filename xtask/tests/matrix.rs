//! `cargo xtask matrix` for the committed versions file and scenarios: the output parses, names every version set ×
//! partition, and its partitions cover every case of every scenario exactly once.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use harness::select::Partition;
use serde_json::Value;

fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn matrix(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("matrix")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Every case of `scenarios/`, in file order (the order `e2e` partitions).
fn all_cases() -> Vec<String> {
    let files = harness::scenario::files_in(&workspace().join("scenarios")).unwrap();
    let (scenarios, errors) = harness::scenario::load_all(&files);
    assert!(errors.is_empty(), "{errors:?}");
    scenarios
        .iter()
        .flat_map(|s| s.cases.iter().map(|c| c.name()))
        .collect()
}

#[test]
fn the_github_matrix_names_every_set_times_every_partition_on_one_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["matrix", "--format", "github"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    let value: Value = serde_json::from_str(&text).unwrap();
    let include = value["include"].as_array().unwrap();

    let versions =
        harness::versions::load_path(&workspace().join("compose/versions.yaml")).unwrap();
    let cases = all_cases().len();
    let n = harness::matrix::default_partitions(cases);
    let expected: Vec<String> = versions
        .sets
        .iter()
        .flat_map(|s| Partition::all(n).map(move |p| format!("{} {p}", s.name)))
        .collect();
    let names: Vec<&str> = include
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    for cell in include {
        let (set, partition) = (
            cell["set"].as_str().unwrap(),
            cell["partition"].as_str().unwrap(),
        );
        let command = cell["command"].as_str().unwrap();
        assert!(
            command.starts_with("cargo xtask e2e --backend containers")
                && command.contains(&format!("--version-set {set} --partition {partition} "))
                && command.ends_with(&format!("--report {}", cell["report"].as_str().unwrap())),
            "{command}"
        );
        assert_eq!(
            format!("cargo xtask {}", cell["args"].as_str().unwrap()),
            command
        );
        assert!(
            !cell["id"].as_str().unwrap().contains('/'),
            "artifact names cannot hold `/`"
        );
    }
}

#[test]
fn every_case_lands_in_exactly_one_partition_of_each_set() {
    let cases = all_cases();
    let sets = harness::versions::load_path(&workspace().join("compose/versions.yaml"))
        .unwrap()
        .sets
        .len();
    for partitions in ["1", "2", "3", "7"] {
        let cells = matrix(&["--partitions", partitions]);
        let mut runs: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut counted: BTreeMap<String, u64> = BTreeMap::new();
        for cell in cells.as_array().unwrap() {
            let set = cell["set"].as_str().unwrap().to_owned();
            let partition: Partition = cell["partition"].as_str().unwrap().parse().unwrap();
            assert_eq!(
                cell["cases"].as_u64().unwrap() as usize,
                partition.of(&cases).len()
            );
            *counted.entry(set.clone()).or_default() += cell["cases"].as_u64().unwrap();
            for case in partition.of(&cases) {
                *runs.entry((set.clone(), case.clone())).or_default() += 1;
            }
        }
        for (set, n) in &counted {
            assert_eq!(*n as usize, cases.len(), "{set} in {partitions}");
            for case in &cases {
                assert_eq!(
                    runs.get(&(set.clone(), case.clone())),
                    Some(&1),
                    "{case} in {set}, {partitions} partitions"
                );
            }
        }
        assert_eq!(counted.len(), sets, "every version set has cells");
    }
}

#[test]
fn a_set_or_scenario_can_be_chosen_and_unknown_sets_are_refused() {
    let cells = matrix(&[
        "--set",
        "os-3.2",
        "--scenario",
        "authentik-jwe",
        "--partitions",
        "2",
    ]);
    let names: Vec<&str> = cells
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["os-3.2 1/2", "os-3.2 2/2"]);
    assert!(
        cells[0]["command"]
            .as_str()
            .unwrap()
            .contains("--scenario authentik-jwe")
    );

    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["matrix", "--set", "os-3.22"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no version set `os-3.22`: did you mean"),
        "{err}"
    );
}

#[test]
fn e2e_refuses_a_partition_that_does_not_exist() {
    for (arg, says) in [
        ("0/2", "K counts from 1"),
        ("3/2", "K counts from 1"),
        ("2", "write K/N"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["e2e", "--partition", arg])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{arg}: {err}");
    }
}
