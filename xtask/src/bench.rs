//! `cargo xtask bench`: a selection of cases (the seed matrix by default) on either backend, timed beside the
//! protocol floor (the same login with no browser) — and, with `--repeat N`, run N times in a row on one stack to
//! show whether any verdict changes between runs (a flaky observer would). Prints figures; asserts nothing.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use harness::select;
use harness::stack::Backend;
use indicatif::{ProgressBar, ProgressStyle};

use crate::e2e;

/// How many logins with no browser the floor is timed over.
const HEADLESS_LOGINS: usize = 20;

pub fn run(
    scenario: &str,
    variant: Option<&str>,
    repeat: usize,
    backend: &Backend,
    dir: &Path,
) -> Result<ExitCode> {
    let paths = select::files(&[scenario.to_owned()], dir).map_err(|e| anyhow!(e))?;
    let (scenarios, errors) = select::load(&paths);
    if let Some(e) = errors.first() {
        return Err(anyhow!("{e}"));
    }
    if backend.runs_local_programs() {
        crate::setup::ensure_apt_packages(crate::setup::NATIVE)?;
    }
    let mut once: Vec<_> = scenarios
        .into_iter()
        .flat_map(|s| s.cases)
        .filter(|c| select::matches(c, variant))
        .collect();
    if once.is_empty() {
        return Err(anyhow!(
            "no case matches `--variant {}`",
            variant.unwrap_or("*")
        ));
    }
    // As e2e runs them: ordered for few restarts (`plan`).
    harness::plan::order(&mut once);
    let cases: Vec<_> = (0..repeat.max(1)).flat_map(|_| once.clone()).collect();
    let report = crate::output_dir("bench", &crate::stamp().to_string());
    let bar = ProgressBar::new(cases.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg}").expect("template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let began = Instant::now();
    let ask = e2e::Ask {
        keep_going: true,
        headless: HEADLESS_LOGINS,
    };
    let run = e2e::execute(&cases, backend, &report, ask, &bar)?;
    let wall = began.elapsed();
    bar.finish_and_clear();

    let ms = |f: &dyn Fn(&harness::run::CaseResult) -> u128| -> Vec<u128> {
        let mut v: Vec<u128> = run.results.iter().map(f).collect();
        v.sort_unstable();
        v
    };
    let pct = |v: &[u128], p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    let total = ms(&|r| r.duration_ms);
    let swap = ms(&|r| r.timings.config_swap_ms);
    let login = ms(&|r| r.timings.browser_login_ms);
    let observe = ms(&|r| r.timings.observation_ms);
    let described = backend.describe();
    println!(
        "sso-harness bench: {} ({} cases), {} backend: OpenSearch {}, {}, {}",
        scenario,
        run.results.len(),
        described.backend,
        described.opensearch,
        described.idp,
        described.dashboards
    );
    println!(
        "  OpenSearch boot (security UP)   {:>8.1} s",
        run.opensearch_boot.as_secs_f64()
    );
    println!("  per case            median      p95");
    for (name, v) in [
        ("total", &total),
        ("config swap", &swap),
        ("browser login", &login),
        ("observation", &observe),
    ] {
        println!(
            "    {name:<16} {:>7} ms {:>7} ms",
            pct(v, 0.5),
            pct(v, 0.95)
        );
    }
    let mut floor: Vec<u128> = run.headless.iter().map(|d| d.as_millis()).collect();
    floor.sort_unstable();
    if !floor.is_empty() {
        println!(
            "  login with no browser (discovery → JWKS → authorize → flow → code → tokens, through Caddy, {} times)",
            floor.len()
        );
        println!(
            "    {:<16} {:>7} ms {:>7} ms   (browser login / this: {:.1}×)",
            "protocol floor",
            pct(&floor, 0.5),
            pct(&floor, 0.95),
            pct(&login, 0.5) as f64 / pct(&floor, 0.5).max(1) as f64
        );
    }
    println!(
        "  wall time (all, incl. boot)    {:>8.1} s",
        wall.as_secs_f64()
    );
    println!(
        "  peak memory of the stack       {:>8.0} MiB",
        run.peak_rss_kib as f64 / 1024.0
    );
    println!(
        "  cases passing                  {:>8}/{}",
        run.results.iter().filter(|r| r.pass).count(),
        run.results.len()
    );
    let mut restarts: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &run.results {
        for why in &r.restarted {
            *restarts.entry(why.as_str()).or_default() += 1;
        }
    }
    println!("  restarts between cases (component: cause)");
    for (why, n) in &restarts {
        println!("    {n:>4} × {why}");
    }
    let changed = changed_verdicts(&run.results);
    println!(
        "  verdicts that changed          {:>8} of {} cases × {} runs",
        changed.len(),
        once.len(),
        repeat.max(1)
    );
    for (case, seen) in &changed {
        println!("    {case}: {}", seen.join(" | "));
    }
    Ok(ExitCode::SUCCESS)
}

/// The cases whose verdict (status and observed login outcome) was not the same in every run, with each verdict
/// seen and how often.
fn changed_verdicts(results: &[harness::run::CaseResult]) -> Vec<(String, Vec<String>)> {
    let mut by_case: std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>> =
        Default::default();
    for r in results {
        let verdict = format!(
            "{:?} {}",
            r.status,
            r.observed
                .login
                .map_or("-".to_owned(), |o| harness::scenario::wire_name(&o))
        );
        *by_case
            .entry(r.name())
            .or_default()
            .entry(verdict)
            .or_default() += 1;
    }
    by_case
        .into_iter()
        .filter(|(_, seen)| seen.len() > 1)
        .map(|(case, seen)| {
            let seen = seen.into_iter().map(|(v, n)| format!("{v} ×{n}")).collect();
            (case, seen)
        })
        .collect()
}
