//! `cargo xtask matrix`: the CI matrix's cells (version set × partition) for the versions file and the scenarios.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use harness::matrix::{self, Plan};
use harness::{select, versions};

use crate::MatrixFormat;

pub struct Args {
    pub versions: std::path::PathBuf,
    pub format: MatrixFormat,
    pub partitions: Option<usize>,
    pub sets: Vec<String>,
    pub scenarios: Vec<String>,
}

pub fn run(args: Args, dir: &Path) -> Result<ExitCode> {
    let all = versions::load_path(&args.versions).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}\n");
        }
        anyhow!("{} error(s) in the versions file", errors.len())
    })?;
    let sets = if args.sets.is_empty() {
        all.sets.clone()
    } else {
        args.sets
            .iter()
            .map(|name| all.set(name).cloned().map_err(|e| anyhow!(e)))
            .collect::<Result<Vec<_>>>()?
    };
    let paths = select::files(&args.scenarios, dir).map_err(|e| anyhow!(e))?;
    let (scenarios, errors) = select::load(&paths);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}\n");
        }
        bail!("{} error(s) in scenario files", errors.len());
    }
    let cases = scenarios.iter().map(|s| s.cases.len()).sum();
    let cells = matrix::cells(&Plan {
        sets: &sets,
        cases,
        partitions: args.partitions,
        scenarios: &args.scenarios,
        reports_dir: "reports",
    })
    .map_err(|e| anyhow!(e))?;
    match args.format {
        MatrixFormat::Json => println!("{}", matrix::json(&cells)),
        MatrixFormat::Github => println!("{}", matrix::github(&cells)),
    }
    eprintln!(
        "{} cell(s): {} version set(s) × {} partition(s) of {cases} case(s)",
        cells.len(),
        sets.len(),
        cells.len() / sets.len().max(1)
    );
    Ok(ExitCode::SUCCESS)
}
