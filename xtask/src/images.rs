//! `cargo xtask images`: builds the offline images (`--images local`) from what this machine's registries give.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use harness::containers::local::{self, Local};
use indicatif::{ProgressBar, ProgressStyle};

pub fn run(only: &[String], opensearch_version: &str, rebuild: bool) -> Result<ExitCode> {
    let which: Vec<Local> = if only.is_empty() {
        Local::ALL.to_vec()
    } else {
        only.iter()
            .map(|n| {
                Local::ALL
                    .into_iter()
                    .find(|l| l.name() == n)
                    .ok_or_else(|| {
                        anyhow!(
                            "no local image `{n}`: the images are {}",
                            Local::ALL.map(|l| l.name()).join(", ")
                        )
                    })
            })
            .collect::<Result<_>>()?
    };
    // The stand-ins image carries this very binary: it serves the embedded IdP and the Dashboards stand-in.
    let me = std::env::current_exe()?;
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let began = Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    let progress = |m: &str| bar.set_message(m.to_owned());
    let built = runtime.block_on(async {
        tokio::select! {
            r = local::build(&which, opensearch_version, &me, rebuild, &progress) => r.map_err(|e| anyhow!("{e}")),
            _ = crate::shutdown() => Err(anyhow!("interrupted")),
        }
    });
    bar.finish_and_clear();
    let built = built?;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["image", "", "seconds"]);
    for b in &built {
        t.add_row([
            b.image.to_string(),
            (if b.reused { "already there" } else { "built" }).to_owned(),
            format!("{:.1}", b.took.as_secs_f64()),
        ]);
    }
    println!("{t}");
    println!(
        "{} image(s) in {:.1} s; use them with `cargo xtask e2e --backend containers --images local`",
        built.len(),
        began.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
