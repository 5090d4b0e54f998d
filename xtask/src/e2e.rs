//! `cargo xtask e2e`: run the selected cases through a real browser login, judge them, report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use harness::browser::Chromedriver;
use harness::native::{Options, Stack};
use harness::opensearch::NATIVE_DEFAULT_VERSION;
use harness::run::report::{self, Backend};
use harness::run::{CaseResult, run_case};
use harness::scenario::{IdpCertificate, wire_name};
use harness::{idp, select, stand_in};
use indicatif::{ProgressBar, ProgressStyle};

pub struct Args {
    pub scenarios: Vec<String>,
    pub variant: Option<String>,
    pub opensearch_version: Option<String>,
    pub report: Option<PathBuf>,
    pub keep_going: bool,
}

pub fn run(args: Args, dir: &Path) -> Result<ExitCode> {
    let paths = select::files(&args.scenarios, dir).map_err(|e| anyhow!(e))?;
    let (scenarios, errors) = select::load(&paths);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}\n");
        }
        bail!("{} error(s) in scenario files; nothing ran", errors.len());
    }
    let mut cases: Vec<_> = scenarios.into_iter().flat_map(|s| s.cases).filter(|c| select::matches(c, args.variant.as_deref())).collect();
    if cases.is_empty() {
        bail!("no case matches `--variant {}`", args.variant.as_deref().unwrap_or("*"));
    }
    // Cases that need another trust store restart OpenSearch: run them together, at the end.
    cases.sort_by_key(|c| c.document.stack.idp_certificate == IdpCertificate::Private);
    let version = args.opensearch_version.clone().unwrap_or_else(|| NATIVE_DEFAULT_VERSION.to_owned());
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let report_dir = args.report.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/sso-harness/e2e/{stamp}")));
    eprintln!(
        "{} case(s) on the native backend: OpenSearch {version} with its security plugin, {}, {}, Caddy, Chromium",
        cases.len(),
        idp::NAME,
        stand_in::NAME
    );
    let bar = ProgressBar::new(cases.len() as u64)
        .with_style(ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed:>4} {msg}").expect("template"));
    bar.enable_steady_tick(Duration::from_millis(120));
    let runtime = tokio::runtime::Runtime::new()?;
    let began = Instant::now();
    let results = runtime.block_on(async {
        let options = Options { opensearch_version: version.clone(), run_dir: report_dir.join("stack") };
        let progress = |m: &str| bar.set_message(m.to_owned());
        let work = async {
            let mut stack = Stack::start(&cases[0], &options, &progress).await.map_err(|e| anyhow!("{e}"))?;
            let driver = Chromedriver::start().await.map_err(|e| anyhow!("{e}"))?;
            let mut results: Vec<CaseResult> = Vec::new();
            for case in &cases {
                bar.set_message(case.name());
                let r = run_case(&mut stack, &driver, case, &report_dir.join("cases")).await.map_err(|e| anyhow!("{}: {e}", case.name()))?;
                bar.println(format!("{} {} ({} ms){}", if r.pass { "pass" } else { "FAIL" }, r.name(), r.duration_ms, r.mismatches.iter().map(|m| format!("\n       {m}")).collect::<String>()));
                bar.inc(1);
                let failed = !r.pass;
                results.push(r);
                if failed && !args.keep_going {
                    bar.println("stopping at the first failure (--keep-going runs the rest)");
                    break;
                }
            }
            stack.stop().await;
            Ok::<_, anyhow::Error>(results)
        };
        tokio::select! {
            r = work => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
        }
    })?;
    bar.finish_and_clear();
    report::write(&report_dir, &Backend { name: "native", opensearch: &version, idp: idp::NAME, dashboards: stand_in::NAME }, &results)?;
    print_table(&results);
    let passed = results.iter().filter(|r| r.pass).count();
    println!(
        "{passed} passed, {} failed in {:.1} s — report: {}",
        results.len() - passed,
        began.elapsed().as_secs_f64(),
        report_dir.display()
    );
    Ok(if passed == cases.len() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_table(results: &[CaseResult]) {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["case", "expected", "observed", "result", "ms"]);
    for r in results {
        let name = |o: Option<harness::scenario::Outcome>| o.map_or("-".to_owned(), |o| wire_name(&o));
        t.add_row([r.name(), name(r.expected.login), name(r.observed.login), (if r.pass { "pass" } else { "FAIL" }).to_owned(), r.duration_ms.to_string()]);
    }
    println!("{t}");
}
