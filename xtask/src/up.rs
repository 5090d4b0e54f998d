//! `cargo xtask up`: the stack of one case, kept running for a person to poke at; Ctrl-C stops everything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow};
use harness::native::{Options, Stack};
use harness::opensearch::NATIVE_DEFAULT_VERSION;
use harness::{idp, select, stand_in};
use indicatif::{ProgressBar, ProgressStyle};

pub fn run(
    target: &str,
    variant: Option<&str>,
    version: Option<&str>,
    run_dir: Option<PathBuf>,
    dir: &Path,
) -> Result<ExitCode> {
    let case = select::one_case(Some(target), variant, dir).map_err(|e| anyhow!(e))?;
    let wanted = &case.document.stack.opensearch;
    let version = version.unwrap_or(NATIVE_DEFAULT_VERSION).to_owned();
    if *wanted != version {
        eprintln!(
            "note: the scenario asks for OpenSearch {wanted}; the native backend runs {version} \
             (the security plugin for 3.x is not on Maven Central; pass --opensearch-version to choose)"
        );
    }
    let run_dir = run_dir.unwrap_or_else(|| default_run_dir(&case.name()));
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {elapsed:>3} {msg}").expect("template"),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let options = Options { opensearch_version: version.clone(), run_dir: run_dir.clone() };
        let progress = |m: &str| spinner.set_message(m.to_owned());
        // Ctrl-C while starting drops the half-built stack: every process group goes with it.
        let stack = tokio::select! {
            s = Stack::start(&case, &options, &progress) => s.map_err(|e| anyhow!("{e}"))?,
            _ = crate::shutdown() => { spinner.finish_and_clear(); eprintln!("interrupted while starting"); return Ok(ExitCode::from(130)); }
        };
        spinner.finish_and_clear();
        print_summary(&case, &stack, &version);
        crate::shutdown().await;
        eprintln!("\nstopping");
        stack.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn default_run_dir(case: &str) -> PathBuf {
    crate::output_dir(
        "up",
        &format!("{}-{}", case.replace('/', "@"), crate::stamp()),
    )
}

fn print_summary(case: &harness::scenario::Case, stack: &Stack, version: &str) {
    let t = &stack.topology;
    println!(
        "{} is up (OpenSearch {version} with its security plugin, {}, {}, Caddy)",
        case.name(),
        idp::NAME,
        stand_in::NAME
    );
    println!("  Dashboards   {}/", t.dashboards_url());
    println!(
        "  IdP          {}/application/o/{}/.well-known/openid-configuration",
        t.idp_url(),
        case.document.idp.provider.slug
    );
    println!(
        "  OpenSearch   {} (admin client certificate: files/harness/admin.pem)",
        t.opensearch_url()
    );
    for u in &case.document.idp.users {
        let pw = stack
            .secrets
            .idp_password(&case.document, &u.username)
            .unwrap_or_default();
        println!("  IdP user     {} / {pw}", u.username);
    }
    for name in case
        .document
        .opensearch
        .security
        .internal_users
        .keys()
        .filter(|k| *k != "_meta")
    {
        if let Some(pw) = stack.secrets.internal_password(&case.document, name) {
            println!("  internal     {name} / {pw}");
        }
    }
    println!("  run folder   {}", stack.run_dir.display());
    let rules: Vec<String> = stack
        .host_rules()
        .iter()
        .map(|(h, ip)| format!("MAP {h} {ip}"))
        .collect();
    println!(
        "  a browser:   chromium --host-resolver-rules=\"{}\" (trust {}/files/harness/ca.pem)",
        rules.join(","),
        stack.run_dir.display()
    );
    println!(
        "  OpenSearch booted in {:.1} s. Ctrl-C stops everything.",
        stack.timings.opensearch_boot.as_secs_f64()
    );
}
