//! `cargo xtask e2e`: run the selected cases through a real browser login, judge them, report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use harness::run::report;
use harness::run::versions::{self, Decision};
use harness::run::{CaseResult, Status, Target, run_case};
use harness::scenario::{Case, wire_name};
use harness::select;
use harness::stack::Backend;
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
    // Order for few restarts, by the keys the backends restart for (`plan`).
    harness::plan::order(&mut cases);
    if args.backend.runs_local_programs() {
        crate::setup::ensure_apt_packages(crate::setup::NATIVE)?;
    }
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| crate::output_dir("e2e", &crate::stamp().to_string()));
    let mut described = args.backend.describe();
    described.idp = args.backend.idps_of(&cases);
    eprintln!(
        "{} case(s) on the {} backend: OpenSearch {} with its security plugin, {}, {}, Caddy, Chromium",
        cases.len(),
        described.backend,
        described.opensearch,
        described.idp,
        described.dashboards,
    );
    let bar = ProgressBar::new(cases.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed:>4} {msg}")
            .expect("template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let began = Instant::now();
    let ask = Ask {
        keep_going: args.keep_going,
        headless: 0,
    };
    let run = execute(&cases, &args.backend, &report_dir, ask, &bar)?;
    let results = run.results;
    bar.finish_and_clear();
    report::write(
        &report_dir,
        &report::Backend {
            name: &described.backend,
            opensearch: &described.opensearch,
            idp: &described.idp,
            version_set: args.backend.version_set(),
            dashboards: &described.dashboards,
        },
        &results,
    )?;
    print_table(&results);
    println!(
        "{} in {:.1} s — report: {}",
        counts(&results),
        began.elapsed().as_secs_f64(),
        report_dir.display()
    );
    // Cases not run for their `requires` do not fail a run; any failure or error does.
    let ok = results
        .iter()
        .all(|r| matches!(r.status, Status::Pass | Status::NotRun));
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What one execution of cases gives: the judged cases and the figures the benchmark prints.
#[derive(Default)]
pub struct Execution {
    pub results: Vec<CaseResult>,
    pub opensearch_boot: Duration,
    pub peak_rss_kib: u64,
    /// How long each login with no browser took (`stack::headless`), when asked for.
    pub headless: Vec<Duration>,
}

/// What `execute` is asked for beside the cases.
#[derive(Clone, Copy, Default)]
pub struct Ask {
    /// Go on after a case that does not pass.
    pub keep_going: bool,
    /// After the cases, log the first case's user in this many times with no browser, on each stack (`bench`).
    pub headless: usize,
}

/// Runs `cases`: each on the versions `run::versions::decide` gives it (cases whose `requires` are not met are
/// `not_run`), one stack per OpenSearch version, in the order of the cases (stopping after the first case that does
/// not pass unless `keep_going`). Ctrl-C drops everything that was started.
pub fn execute(
    cases: &[Case],
    backend: &Backend,
    report_dir: &Path,
    ask: Ask,
    bar: &ProgressBar,
) -> Result<Execution> {
    let offer = backend.offer();
    let decisions: Vec<Decision> = cases.iter().map(|c| versions::decide(c, &offer)).collect();
    // One stack per OpenSearch version, in the order the versions first appear.
    let mut versions: Vec<&str> = Vec::new();
    for d in decisions.iter().filter(|d| d.not_run.is_none()) {
        if !versions.contains(&d.opensearch.as_str()) {
            versions.push(&d.opensearch);
        }
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let work = async {
            let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
            let mut run = Execution::default();
            let mut stopped = false;
            for version in &versions {
                let group: Vec<usize> = (0..cases.len())
                    .filter(|&i| {
                        decisions[i].not_run.is_none() && decisions[i].opensearch == *version
                    })
                    .collect();
                let group_cases: Vec<Case> = group.iter().map(|&i| cases[i].clone()).collect();
                let on = run_on(
                    &group_cases,
                    backend,
                    version,
                    report_dir,
                    Flow {
                        keep_going: ask.keep_going,
                        stopped: &mut stopped,
                        headless: ask.headless,
                    },
                    bar,
                    &peak,
                )
                .await?;
                run.opensearch_boot += on.boot;
                run.headless.extend(on.headless);
                for (i, r) in group.into_iter().zip(on.results) {
                    results[i] = Some(r);
                }
            }
            run.results = results
                .into_iter()
                .zip(cases.iter().zip(&decisions))
                .map(|(r, (case, d))| {
                    let r = r.unwrap_or_else(|| {
                        let why = d.not_run.clone().unwrap_or_default();
                        print_line(bar, format!("not run {}: {why}", case.name()));
                        CaseResult::unjudged(case, Status::NotRun, why)
                    });
                    r.on(d.ran_on.clone(), d.asked.clone())
                })
                .collect();
            Ok::<_, anyhow::Error>(run)
        };
        let finished = tokio::select! {
            r = work => Some(r),
            _ = crate::shutdown() => None,
        };
        // Dropping `work` (above, as select! ends) removed what the stack had a handle to.
        let Some(run) = finished else {
            backend
                .remove_leftovers()
                .await
                .map_err(|e| anyhow!("{e}"))?;
            bail!("interrupted");
        };
        let mut run = run?;
        run.peak_rss_kib = peak.load(std::sync::atomic::Ordering::Relaxed);
        Ok(run)
    })
}

/// Whether the run goes on after a case that does not pass, and whether it has stopped (across stacks).
struct Flow<'a> {
    keep_going: bool,
    stopped: &'a mut bool,
    headless: usize,
}

/// What one stack gave.
#[derive(Default)]
struct OnStack {
    results: Vec<CaseResult>,
    /// How long OpenSearch took to boot.
    boot: Duration,
    headless: Vec<Duration>,
}

/// Starts one stack with OpenSearch `version` and runs `cases` on it; a stack that does not start makes every
/// case an `error`.
async fn run_on(
    cases: &[Case],
    backend: &Backend,
    version: &str,
    report_dir: &Path,
    flow: Flow<'_>,
    bar: &ProgressBar,
    peak: &std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> Result<OnStack> {
    if *flow.stopped {
        return Ok(OnStack {
            results: run_all_stopped(cases),
            ..OnStack::default()
        });
    }
    // The stack's own files hold real secrets and keys: they live in a temporary folder, never in the report
    // (whose case folders get redacted copies).
    let stack_dir = tempfile::Builder::new()
        .prefix("sso-harness-stack-")
        .tempdir()?;
    let steps = Steps::new(bar);
    let progress = |m: &str| steps.begin(m);
    let not_started = |e: &dyn std::fmt::Display| {
        let reason = format!("the stack did not start: {e}");
        let results = cases
            .iter()
            .map(|c| CaseResult::unjudged(c, Status::Error, reason.clone()))
            .collect();
        Ok(OnStack {
            results,
            ..OnStack::default()
        })
    };
    let headless = flow.headless;
    let started = backend
        .start(&cases[0], version, stack_dir.path(), &progress)
        .await;
    steps.end();
    let mut stack = match started {
        Ok(s) => s,
        Err(e) => return not_started(&e),
    };
    // Memory of the whole stack (OpenSearch, Caddy, chromedriver + Chromium, this process — or the run's
    // containers), sampled beside the cases.
    let sampler = {
        let (probe, peak) = (stack.memory_probe(), peak.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(probe.kib().await, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let results = run_all(&mut stack, cases, report_dir, flow, bar).await;
    let mut times = Vec::new();
    if let Some((case, user)) = first_openid_login(cases).filter(|_| headless > 0) {
        progress(&format!("{headless} logins with no browser"));
        // The stack serves the last case: the first one's provider again.
        let applied = stack.apply(case).await.map_err(|e| anyhow!("{e}"))?;
        if let Some(r) = applied.refused {
            bail!("{} refused {}: {}", r.component, case.name(), r.message);
        }
        for _ in 0..headless {
            let began = Instant::now();
            stack
                .headless_login(case, &user)
                .await
                .map_err(|e| anyhow!("a login with no browser: {e}"))?;
            times.push(began.elapsed());
        }
        steps.end();
    }
    sampler.abort();
    let boot = stack.opensearch_boot();
    stack.stop().await;
    Ok(OnStack {
        results: results?,
        boot,
        headless: times,
    })
}

/// The first case with an OpenID login step, and its user.
fn first_openid_login(cases: &[Case]) -> Option<(&Case, String)> {
    cases.iter().find_map(|c| {
        c.document.steps.iter().find_map(|s| match s {
            harness::scenario::Step::Login(l)
                if l.method == harness::scenario::LoginMethod::Openid =>
            {
                Some((c, l.user.clone()))
            }
            _ => None,
        })
    })
}

fn run_all_stopped(cases: &[Case]) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|c| CaseResult::unjudged(c, Status::NotRun, STOPPED))
        .collect()
}

const STOPPED: &str = "stopped after the first failure (--keep-going runs the rest)";

/// Runs every case, in order. A case that errs never stops the others; without `keep_going` the first case that
/// does not pass (fails or errs) stops the run, and the cases left are `not_run`.
async fn run_all(
    stack: &mut impl Target,
    cases: &[Case],
    report_dir: &Path,
    flow: Flow<'_>,
    bar: &ProgressBar,
) -> Result<Vec<CaseResult>> {
    let mut results: Vec<CaseResult> = Vec::new();
    for case in cases {
        if *flow.stopped {
            results.push(CaseResult::unjudged(case, Status::NotRun, STOPPED));
            continue;
        }
        say(bar, case.name());
        let r = run_case(stack, case, &report_dir.join("cases"), &|p| {
            say(bar, format!("{} — {p}", case.name()))
        })
        .await
        .map_err(|e| anyhow!("{}: writing its report folder: {e}", case.name()))?;
        let lines: String = r
            .reason
            .iter()
            .chain(&r.mismatches)
            .map(|m| format!("\n       {m}"))
            .collect();
        print_line(
            bar,
            format!(
                "{} {} ({} ms){lines}",
                status_word(r.status),
                r.name(),
                r.duration_ms
            ),
        );
        bar.inc(1);
        if !r.pass && !flow.keep_going {
            print_line(
                bar,
                "stopping at the first failure (--keep-going runs the rest)".into(),
            );
            *flow.stopped = true;
        }
        results.push(r);
    }
    Ok(results)
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::NotRun => "not run",
        Status::Error => "ERROR",
    }
}

/// "11 passed, 1 failed, 2 not run, 1 error"
pub fn counts(results: &[CaseResult]) -> String {
    let n = |s: Status| results.iter().filter(|r| r.status == s).count();
    let errors = n(Status::Error);
    format!(
        "{} passed, {} failed, {} not run, {errors} error{}",
        n(Status::Pass),
        n(Status::Fail),
        n(Status::NotRun),
        if errors == 1 { "" } else { "s" }
    )
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

/// The stack's start, a step at a time: the bar shows the step under way, and each step leaves a line with its
/// time when the next begins (a first run's downloads and installs take minutes: this says where they went).
struct Steps<'a> {
    bar: &'a ProgressBar,
    current: std::cell::RefCell<Option<(String, Instant)>>,
}

impl<'a> Steps<'a> {
    fn new(bar: &'a ProgressBar) -> Self {
        Steps {
            bar,
            current: std::cell::RefCell::new(None),
        }
    }

    fn begin(&self, step: &str) {
        self.end();
        say(self.bar, step.to_owned());
        *self.current.borrow_mut() = Some((step.to_owned(), Instant::now()));
    }

    fn end(&self) {
        if let Some((step, began)) = self.current.borrow_mut().take() {
            let secs = began.elapsed().as_secs_f64();
            print_line(self.bar, format!("{step}: {secs:.1} s"));
        }
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
    t.set_header(["case", "expected", "observed", "result", "ms", "diagnosis"]);
    for r in results {
        let name =
            |o: Option<harness::scenario::Outcome>| o.map_or("-".to_owned(), |o| wire_name(&o));
        t.add_row([
            r.name(),
            name(r.expected.login),
            name(r.observed.login),
            status_word(r.status).to_owned(),
            r.duration_ms.to_string(),
            r.diagnosis
                .iter()
                .map(|d| d.rule.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    println!("{t}");
    print_diagnoses(results);
}

/// Each known cause under the table: the case, what happened, the fix (`harness::diagnosis`).
fn print_diagnoses(results: &[CaseResult]) {
    for r in results.iter().filter(|r| !r.diagnosis.is_empty()) {
        println!("{}:", r.name());
        for line in harness::diagnosis::text(&r.diagnosis).lines() {
            println!("  {line}");
        }
    }
}
