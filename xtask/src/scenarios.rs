//! `cargo xtask scenarios`: check files, list cases.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use harness::scenario::wire_name;
use harness::select;
use serde_json::json;

use crate::Format;

pub fn run(targets: &[String], dir: &Path, format: Format) -> Result<ExitCode> {
    let paths = select::files(targets, dir).map_err(|e| anyhow!(e))?;
    if paths.is_empty() {
        return Err(anyhow!("no scenario files in {}", dir.display()));
    }
    let (scenarios, errors) = select::load(&paths);
    for e in &errors {
        eprintln!("{e}\n");
    }
    match format {
        Format::Json => {
            let cases: Vec<_> = scenarios
                .iter()
                .flat_map(|s| &s.cases)
                .map(|c| json!({"scenario": c.scenario, "variant": c.variant}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&cases)?);
        }
        Format::Text => {
            for s in &scenarios {
                println!(
                    "{}  ({}, {} case{})",
                    s.name,
                    s.path,
                    s.cases.len(),
                    if s.cases.len() == 1 { "" } else { "s" }
                );
                if let Some(t) = &s.title {
                    println!("  {t}");
                }
                let width = s
                    .cases
                    .iter()
                    .map(|c| c.variant.as_deref().unwrap_or("").len())
                    .max()
                    .unwrap_or(0);
                for c in &s.cases {
                    let login = c.expect.login.map_or("-".to_owned(), |o| wire_name(&o));
                    println!(
                        "    {:width$}  expect login: {login}",
                        c.variant.as_deref().unwrap_or("(one case)")
                    );
                }
            }
            let cases: usize = scenarios.iter().map(|s| s.cases.len()).sum();
            println!(
                "\n{cases} case(s) in {} valid file(s), {} invalid",
                scenarios.len(),
                paths.len() - scenarios.len()
            );
        }
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
