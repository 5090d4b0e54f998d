//! `cargo xtask e2e`: run the selected cases through a real browser login, judge them, report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use harness::containers::images::{DashboardsImage, IdpImages, Images, Source};
use harness::run::report;
use harness::run::{CaseResult, Target, run_case};
use harness::scenario::{Case, IdpCertificate, wire_name};
use harness::{containers, native};
use harness::{idp, select, stand_in};
use indicatif::{ProgressBar, ProgressStyle};

pub struct Args {
    pub scenarios: Vec<String>,
    pub variant: Option<String>,
    pub backend: Backend,
    pub report: Option<PathBuf>,
    pub keep_going: bool,
    pub partition: select::Partition,
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
    let selected: Vec<_> = scenarios
        .into_iter()
        .flat_map(|s| s.cases)
        .filter(|c| select::matches(c, args.variant.as_deref()))
        .collect();
    if selected.is_empty() {
        bail!(
            "no case matches `--variant {}`",
            args.variant.as_deref().unwrap_or("*")
        );
    }
    // Partition before ordering: which slice a case is in depends on the selection only.
    let mut cases = args.partition.of(&selected).to_vec();
    if cases.is_empty() {
        bail!(
            "partition {} of the {} selected case(s) is empty: use at most {} partitions",
            args.partition,
            selected.len(),
            selected.len()
        );
    }
    if args.partition != select::Partition::WHOLE {
        eprintln!(
            "partition {}: {} of the {} selected case(s)",
            args.partition,
            cases.len(),
            selected.len()
        );
    }
    // Order for few restarts (stable: file order otherwise). Another trust store restarts OpenSearch: those cases
    // run together, at the end. Then cases that share Dashboards' settings, then the IdP's, run next to each other:
    // a change of either restarts that component (its container, on the containers backend).
    cases.sort_by_cached_key(|c| {
        let d = &c.document;
        (
            d.stack.idp_certificate == IdpCertificate::Private,
            serde_json::to_string(&d.dashboards).unwrap_or_default(),
            serde_json::to_string(&d.idp).unwrap_or_default(),
        )
    });
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| crate::output_dir("e2e", &crate::stamp().to_string()));
    let (backend, opensearch, idp_name, dashboards) = args.backend.describe();
    eprintln!(
        "{} case(s) on the {backend} backend: OpenSearch {opensearch} with its security plugin, {idp_name}, {dashboards}, Caddy, Chromium",
        cases.len(),
    );
    let bar = ProgressBar::new(cases.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed:>4} {msg}")
            .expect("template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let began = Instant::now();
    let run = execute(&cases, &args.backend, &report_dir, args.keep_going, &bar)?;
    let results = run.results;
    bar.finish_and_clear();
    report::write(
        &report_dir,
        &report::Backend {
            name: &backend,
            opensearch: &opensearch,
            idp: &idp_name,
            version_set: match &args.backend {
                Backend::Containers { version_set, .. } => version_set.as_deref(),
                Backend::Native { .. } => None,
            },
            dashboards: &dashboards,
        },
        &results,
    )?;
    print_table(&results);
    let passed = results.iter().filter(|r| r.pass).count();
    println!(
        "{passed} passed, {} failed in {:.1} s — report: {}",
        results.len() - passed,
        began.elapsed().as_secs_f64(),
        report_dir.display()
    );
    Ok(if passed == cases.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What one execution of cases gives: the judged cases and the figures the benchmark prints.
pub struct Execution {
    pub results: Vec<CaseResult>,
    pub opensearch_boot: Duration,
    pub peak_rss_kib: u64,
}

/// Which backend runs the cases, and with what.
#[derive(Clone, Debug)]
pub enum Backend {
    /// Local processes: OpenSearch of this version from Maven Central.
    Native { opensearch: String },
    /// Docker containers of these images (of this set of the versions file, when official).
    Containers {
        images: Box<Images>,
        version_set: Option<String>,
    },
}

impl Backend {
    /// How reports name what ran (the stand-ins named as such).
    pub fn describe(&self) -> (String, String, String, String) {
        match self {
            Backend::Native { opensearch } => (
                "native".into(),
                opensearch.clone(),
                idp::NAME.into(),
                stand_in::NAME.into(),
            ),
            Backend::Containers { images, .. } => (
                format!(
                    "containers ({} images)",
                    match images.source {
                        Source::Official => "official",
                        Source::Local => "local",
                    }
                ),
                images.opensearch.tag.clone(),
                match &images.idp {
                    IdpImages::Embedded(_) => idp::NAME.into(),
                    IdpImages::Authentik { server, .. } => format!("authentik {}", server.tag),
                },
                match &images.dashboards {
                    DashboardsImage::StandIn(_) => stand_in::NAME.into(),
                    DashboardsImage::Official(i) => format!("OpenSearch Dashboards {}", i.tag),
                },
            ),
        }
    }
}

/// Starts the stack once and runs `cases` on it (stopping at the first failure unless `keep_going`).
/// Ctrl-C drops everything that was started.
pub fn execute(
    cases: &[Case],
    backend: &Backend,
    report_dir: &Path,
    keep_going: bool,
    bar: &ProgressBar,
) -> Result<Execution> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        // The stack's own files hold real secrets and keys: they live in a temporary folder, never in the report
        // (whose case folders get redacted copies).
        let stack_dir = tempfile::Builder::new()
            .prefix("sso-harness-stack-")
            .tempdir()?;
        let progress = |m: &str| say(bar, m.to_owned());
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let work = async {
            match backend {
                Backend::Native { opensearch } => {
                    let options = native::Options {
                        opensearch_version: opensearch.clone(),
                        run_dir: stack_dir.path().to_owned(),
                    };
                    let mut stack = native::Stack::start(&cases[0], &options, &progress)
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                    // Memory of the whole stack (OpenSearch, Caddy, chromedriver + Chromium, this process), sampled.
                    let groups = stack.process_groups();
                    let sampler = {
                        let peak = peak.clone();
                        tokio::spawn(async move {
                            loop {
                                let now = tokio::task::spawn_blocking({
                                    let g = groups.clone();
                                    move || harness::process::rss_kib(&g)
                                })
                                .await
                                .unwrap_or(0);
                                peak.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(250)).await;
                            }
                        })
                    };
                    let results = run_all(&mut stack, cases, report_dir, keep_going, bar).await;
                    sampler.abort();
                    let opensearch_boot = stack.timings.opensearch_boot;
                    stack.stop().await;
                    Ok::<_, anyhow::Error>(Execution {
                        results: results?,
                        opensearch_boot,
                        peak_rss_kib: 0,
                    })
                }
                Backend::Containers { images, .. } => {
                    let options = containers::Options {
                        images: (**images).clone(),
                        run_dir: stack_dir.path().to_owned(),
                    };
                    let mut stack = containers::Stack::start(&cases[0], &options, &progress)
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                    let results = run_all(&mut stack, cases, report_dir, keep_going, bar).await;
                    let opensearch_boot = stack.timings.opensearch_boot;
                    stack.stop().await;
                    Ok(Execution {
                        results: results?,
                        opensearch_boot,
                        peak_rss_kib: 0,
                    })
                }
            }
        };
        let finished = tokio::select! {
            r = work => Some(r),
            _ = crate::shutdown() => None,
        };
        // Dropping `work` (above, as select! ends) removed what the stack had a handle to.
        let Some(run) = finished else {
            if matches!(backend, Backend::Containers { .. }) {
                containers::docker::remove_own()
                    .await
                    .map_err(|e| anyhow!("{e}"))?;
            }
            bail!("interrupted");
        };
        let mut run = run?;
        run.peak_rss_kib = peak.load(std::sync::atomic::Ordering::Relaxed);
        Ok(run)
    })
}

async fn run_all(
    stack: &mut impl Target,
    cases: &[Case],
    report_dir: &Path,
    keep_going: bool,
    bar: &ProgressBar,
) -> Result<Vec<CaseResult>> {
    let mut results: Vec<CaseResult> = Vec::new();
    for case in cases {
        say(bar, case.name());
        let r = run_case(stack, case, &report_dir.join("cases"), &|p| {
            say(bar, format!("{} — {p}", case.name()))
        })
        .await
        .map_err(|e| anyhow!("{}: {e}", case.name()))?;
        let lines: String = r
            .mismatches
            .iter()
            .map(|m| format!("\n       {m}"))
            .collect();
        print_line(
            bar,
            format!(
                "{} {} ({} ms){lines}",
                if r.pass { "pass" } else { "FAIL" },
                r.name(),
                r.duration_ms
            ),
        );
        bar.inc(1);
        let failed = !r.pass;
        results.push(r);
        if failed && !keep_going {
            print_line(
                bar,
                "stopping at the first failure (--keep-going runs the rest)".into(),
            );
            break;
        }
    }
    Ok(results)
}

/// What the progress bar's line shows, as a line of its own where there is no terminal (CI's `| tee e2e.log`):
/// indicatif draws nothing there, and a cell that crashes leaves only its log to say how far it got.
fn say(bar: &ProgressBar, message: String) {
    if bar.is_hidden() {
        eprintln!("{message}");
    } else {
        bar.set_message(message);
    }
}

/// A line above the progress bar; indicatif's `println` prints nothing without a terminal.
fn print_line(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn print_table(results: &[CaseResult]) {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["case", "expected", "observed", "result", "ms"]);
    for r in results {
        let name =
            |o: Option<harness::scenario::Outcome>| o.map_or("-".to_owned(), |o| wire_name(&o));
        t.add_row([
            r.name(),
            name(r.expected.login),
            name(r.observed.login),
            (if r.pass { "pass" } else { "FAIL" }).to_owned(),
            r.duration_ms.to_string(),
        ]);
    }
    println!("{t}");
}
