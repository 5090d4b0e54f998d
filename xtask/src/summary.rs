//! `cargo xtask summary`: reads report folders and the committed snapshots, writes `summary.md` and `summary.html`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use harness::summary::{Report, Snapshots, Summary, html, markdown};

pub fn run(folders: &[PathBuf], out: &Path, snapshots_dir: &Path) -> Result<ExitCode> {
    let mut reports = Vec::new();
    for folder in report_folders(folders)? {
        let file = folder.join("results.json");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        reports
            .push(Report::parse(&folder.display().to_string(), &text).map_err(anyhow::Error::msg)?);
    }
    let mut files = Vec::new();
    if snapshots_dir.is_dir() {
        for entry in std::fs::read_dir(snapshots_dir)
            .with_context(|| format!("listing {}", snapshots_dir.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "snap") {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                files.push((name, std::fs::read_to_string(&path)?));
            }
        }
    } else {
        eprintln!(
            "no snapshot folder at {}: every case is shown without a snapshot",
            snapshots_dir.display()
        );
    }
    let snapshots = Snapshots::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| anyhow::anyhow!("{}/{e}", snapshots_dir.display()))?;
    let summary = Summary::merge(&reports, &snapshots);
    let shown = shown(snapshots_dir);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let md = out.join("summary.md");
    std::fs::write(&md, markdown::render(&summary, &shown))?;
    std::fs::write(out.join("summary.html"), html::render(&summary, &shown))?;
    eprintln!(
        "{} report(s) → {} column(s), {} case(s); {} failed, {} changed against the snapshots",
        reports.len(),
        summary.columns.len(),
        summary.rows.len(),
        summary.failed(),
        summary.changed()
    );
    println!("{}", md.display());
    Ok(ExitCode::SUCCESS)
}

/// The folders that hold a `results.json`: each argument itself, or else its subfolders that do (so the folder
/// CI downloads every cell's artifact into can be given whole).
fn report_folders(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.join("results.json").is_file() {
            out.push(arg.clone());
            continue;
        }
        let mut inner: Vec<PathBuf> = std::fs::read_dir(arg)
            .with_context(|| format!("{} is not a report folder", arg.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("results.json").is_file())
            .collect();
        if inner.is_empty() {
            bail!(
                "{} has no results.json, nor any subfolder with one (a report folder is what `cargo xtask e2e --report DIR` writes)",
                arg.display()
            );
        }
        inner.sort();
        out.extend(inner);
    }
    Ok(out)
}

/// `path` relative to the workspace when it is inside it (how the summary names the snapshot folder).
fn shown(path: &Path) -> String {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match (path.canonicalize(), workspace.canonicalize()) {
        (Ok(p), Ok(w)) => p
            .strip_prefix(&w)
            .map_or_else(|_| p.display().to_string(), |r| r.display().to_string()),
        _ => path.display().to_string(),
    }
}
