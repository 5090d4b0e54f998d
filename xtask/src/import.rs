//! `cargo xtask import`: the files a user posted → a scenario file (`harness::import`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use harness::import::{self, Idp};

/// Reads `targets` (files, or folders whose files of a known name are read), writes the scenario to `out` (stdout
/// without it) and the notes to stderr.
pub fn run(targets: &[PathBuf], idp: Idp, out: Option<&Path>) -> Result<ExitCode> {
    let mut files = Vec::new();
    for t in targets {
        if t.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(t)
                .with_context(|| format!("reading {}", t.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            for p in entries {
                if import::knows(&p.display().to_string()) {
                    files.push(p);
                } else {
                    eprintln!(
                        "{}: skipped: not a file the import knows by its name",
                        p.display()
                    );
                }
            }
        } else {
            files.push(t.clone());
        }
    }
    let mut texts = Vec::new();
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        texts.push((f.display().to_string(), text));
    }
    let imported = match import::import(&texts, idp) {
        Ok(i) => i,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}\n");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    for n in &imported.notes {
        eprintln!("{n}");
    }
    match out {
        Some(path) => {
            std::fs::write(path, &imported.scenario)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{}", imported.scenario),
    }
    Ok(ExitCode::SUCCESS)
}
