//! The GitHub workflows are checked here, since nothing runs them before they are pushed: actionlint accepts them,
//! and they refer only to what this repository has (xtask subcommands, files, version sets).

use std::path::{Path, PathBuf};
use std::process::Command;

use saphyr::{LoadableYamlNode, Yaml};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn workflow_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected nightly.yml, pr.yml and e2e-matrix.yml, found {files:?}"
    );
    files
}

/// actionlint on PATH, else where `cargo xtask test` installs it (`<harness cache>/bin`).
fn actionlint() -> PathBuf {
    if let Ok(p) = which::which("actionlint") {
        return p;
    }
    let cached = harness::cache::dir().join("bin/actionlint");
    assert!(
        cached.is_file(),
        "actionlint is not installed (not on PATH, not at {}): run `cargo xtask test`, which installs it with \
         `go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`",
        cached.display()
    );
    cached
}

#[test]
fn actionlint_accepts_every_workflow() {
    // actionlint checks `run:` scripts only when it finds shellcheck: require it, so the check cannot shrink.
    let shellcheck = which::which("shellcheck").unwrap_or_else(|_| {
        panic!("shellcheck is not installed: run `cargo xtask test`, which installs it (Debian: shellcheck)")
    });
    let out = Command::new(actionlint())
        .arg("-color=false")
        .arg(format!("-shellcheck={}", shellcheck.display()))
        .args(workflow_files())
        .current_dir(workspace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "actionlint found problems ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The subcommands `cargo xtask --help` lists.
fn subcommands() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<String> = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(
        commands.contains(&"e2e".to_owned()) && commands.contains(&"summary".to_owned()),
        "{help}"
    );
    commands
}

/// What the workflows hand to a shell or to a local workflow, per file.
struct Found {
    file: String,
    runs: Vec<String>,
    local_uses: Vec<String>,
    /// `with: sets:` given to a local workflow.
    set_inputs: Vec<String>,
}

fn scan(path: &Path) -> Found {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = Yaml::load_from_str(&text).unwrap().remove(0);
    let mut found = Found {
        file: path.file_name().unwrap().to_string_lossy().into_owned(),
        runs: Vec::new(),
        local_uses: Vec::new(),
        set_inputs: Vec::new(),
    };
    let Some(jobs) = doc.as_mapping_get("jobs").and_then(Yaml::as_mapping) else {
        panic!("{}: no jobs", found.file)
    };
    for job in jobs.values() {
        let mut uses: Vec<&Yaml> = job.as_mapping_get("uses").into_iter().collect();
        if let Some(sets) = job
            .as_mapping_get("with")
            .and_then(|w| w.as_mapping_get("sets"))
            .and_then(Yaml::as_str)
        {
            found
                .set_inputs
                .extend(sets.split_whitespace().map(str::to_owned));
        }
        for step in job
            .as_mapping_get("steps")
            .and_then(Yaml::as_vec)
            .into_iter()
            .flatten()
        {
            if let Some(run) = step.as_mapping_get("run").and_then(Yaml::as_str) {
                found.runs.push(run.to_owned());
            }
            uses.extend(step.as_mapping_get("uses"));
        }
        for u in uses.iter().filter_map(|u| u.as_str()) {
            if let Some(local) = u.strip_prefix("./") {
                found.local_uses.push(local.to_owned());
            }
        }
    }
    found
}

/// Folders the workflows make themselves (the build's output, the downloaded binary, reports, the summary).
const MADE_BY_THE_WORKFLOWS: &[&str] = &["target/", "bin/", "reports/", "summary/"];

/// Words of a shell script that name a file or folder: a `/` or a file extension, no variable or option.
fn paths_in(script: &str) -> Vec<String> {
    script
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == ';' || c == ')'))
        .filter(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
                && !w.starts_with('-')
                && (w.contains('/')
                    || [".yml", ".yaml", ".md", ".html", ".sh", ".json", ".toml"]
                        .iter()
                        .any(|e| w.ends_with(e)))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn workflows_refer_only_to_what_the_repository_has() {
    let root = workspace();
    let commands = subcommands();
    let versions = harness::versions::load_path(&root.join("compose/versions.yaml")).unwrap();
    let xtask_call =
        regex::Regex::new(r"(?:cargo xtask|bin/xtask)[ \t]+([a-z][a-z0-9-]*)").unwrap();
    let set_flag = regex::Regex::new(r"--set[ \t]+([a-z0-9.-]+)").unwrap();
    let (mut calls, mut paths) = (0, 0);
    let mut problems = Vec::new();
    for file in workflow_files() {
        let found = scan(&file);
        for run in &found.runs {
            for c in xtask_call.captures_iter(run) {
                calls += 1;
                if !commands.contains(&c[1].to_owned()) {
                    problems.push(format!(
                        "{}: `xtask {}` is not a subcommand (cargo xtask --help lists {})",
                        found.file,
                        &c[1],
                        commands.join(", ")
                    ));
                }
            }
            for p in paths_in(run) {
                if MADE_BY_THE_WORKFLOWS.iter().any(|m| p.starts_with(m)) {
                    continue;
                }
                paths += 1;
                if !root.join(&p).exists() {
                    problems.push(format!("{}: `{p}` is not in the repository", found.file));
                }
            }
            for s in set_flag.captures_iter(run) {
                found_set(&versions, &s[1], &found.file, &mut problems);
            }
        }
        for local in &found.local_uses {
            paths += 1;
            if !root.join(local).is_file() {
                problems.push(format!("{}: `./{local}` does not exist", found.file));
            }
        }
        for set in &found.set_inputs {
            found_set(&versions, set, &found.file, &mut problems);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The scan must have seen something, or the test checks nothing.
    assert!(calls >= 2, "only {calls} xtask calls found");
    assert!(paths >= 3, "only {paths} repository paths found");
}

fn found_set(
    versions: &harness::versions::Versions,
    name: &str,
    file: &str,
    problems: &mut Vec<String>,
) {
    if let Err(e) = versions.set(name) {
        problems.push(format!("{file}: {e} (compose/versions.yaml)"));
    }
}

#[test]
fn the_path_scan_sees_paths_and_not_options_or_variables() {
    assert_eq!(
        paths_in(
            "cells=\"$(bin/xtask matrix --versions compose/versions.yaml \"${args[@]}\")\"\n\
             cat summary/summary.md >> \"$GITHUB_STEP_SUMMARY\"; .ci/run"
        ),
        ["compose/versions.yaml", "summary/summary.md", ".ci/run"]
    );
}
