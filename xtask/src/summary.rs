//! `cargo xtask summary`: reads report folders and the committed snapshots, writes `summary.md` and `summary.html`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use harness::summary::{LOG_FILE, Snapshots, Summary, html, markdown, read_folder};

pub fn run(folders: &[PathBuf], out: &Path, snapshots_dir: &Path) -> Result<ExitCode> {
    let (mut reports, mut crashed) = (Vec::new(), Vec::new());
    for folder in report_folders(folders)? {
        let results = read_if_present(&folder.join("results.json"))?;
        let log = read_if_present(&folder.join(LOG_FILE))?;
        match read_folder(
            &folder.display().to_string(),
            results.as_deref(),
            log.as_deref(),
        ) {
            Ok(report) => reports.push(report),
            Err(c) => {
                eprintln!("{}: {}", c.folder, c.reason);
                crashed.push(c);
            }
        }
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
    let summary = Summary::merge(&reports, &crashed, &snapshots);
    let shown = shown(snapshots_dir);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let md = out.join("summary.md");
    std::fs::write(&md, markdown::render(&summary, &shown))?;
    std::fs::write(out.join("summary.html"), html::render(&summary, &shown))?;
    eprintln!(
        "{} report(s) and {} crashed cell(s) → {} column(s), {} case(s); {} failed, {} changed against the snapshots",
        reports.len(),
        crashed.len(),
        summary.columns.len(),
        summary.rows.len(),
        summary.failed(),
        summary.changed()
    );
    println!("{}", md.display());
    Ok(ExitCode::SUCCESS)
}

/// The report folders among `args`: an argument holding a `results.json` or a log is one; otherwise its subfolders
/// that hold either are (so the folder CI downloads every cell's artifact into can be given whole); an argument
/// with neither, nor such subfolders, is a cell that left nothing, shown as crashed.
fn report_folders(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let is_report = |p: &Path| p.join("results.json").is_file() || p.join(LOG_FILE).is_file();
    let mut out = Vec::new();
    for arg in args {
        if is_report(arg) {
            out.push(arg.clone());
            continue;
        }
        let mut inner: Vec<PathBuf> = std::fs::read_dir(arg)
            .with_context(|| {
                format!(
                    "{} is not a report folder (what `cargo xtask e2e --report DIR` writes)",
                    arg.display()
                )
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_report(p))
            .collect();
        if inner.is_empty() {
            inner.push(arg.clone());
        }
        inner.sort();
        out.extend(inner);
    }
    Ok(out)
}

/// The text of `path`, `None` when there is no such file; bytes that are not UTF-8 are replaced (a log cut off
/// mid-character, a broken results.json is reported as such).
fn read_if_present(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
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
