//! `cargo xtask up`: the stack of one case, kept running for a person to poke at; Ctrl-C stops everything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use harness::run::Target;
use harness::scenario::Case;
use harness::{containers, native, select};
use indicatif::{ProgressBar, ProgressStyle};

use crate::e2e::Backend;

pub fn run(
    target: &str,
    variant: Option<&str>,
    backend: Backend,
    run_dir: Option<PathBuf>,
    dir: &Path,
) -> Result<ExitCode> {
    let case = select::one_case(Some(target), variant, dir).map_err(|e| anyhow!(e))?;
    let (name, opensearch, idp, dashboards) = backend.describe();
    let wanted = &case.document.stack.opensearch;
    if *wanted != opensearch {
        eprintln!(
            "note: the scenario asks for OpenSearch {wanted}; this runs {opensearch} (the native backend and the \
             local images run what Maven Central has: pass --opensearch-version, or --backend containers)"
        );
    }
    let run_dir = run_dir
        .unwrap_or_else(|| crate::output_dir("up", &format!("{}-{}", case.key(), crate::stamp())));
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {elapsed:>3} {msg}").expect("template"),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let progress = |m: &str| spinner.set_message(m.to_owned());
    let what = format!(
        "OpenSearch {opensearch} with its security plugin, {idp}, {dashboards}, Caddy; {name} backend"
    );
    let interrupted = || {
        spinner.finish_and_clear();
        eprintln!("interrupted while starting");
        Ok(ExitCode::from(130))
    };
    if matches!(backend, Backend::Native { .. }) {
        crate::setup::ensure_apt_packages(crate::setup::NATIVE)?;
    }
    let opensearch_version = harness::run::versions::decide(&case, &backend.offer()).opensearch;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        // Ctrl-C while starting drops the half-built stack: every process and container goes with it.
        match backend {
            Backend::Native { .. } => {
                let options = native::Options {
                    opensearch_version: opensearch_version.clone(),
                    run_dir: run_dir.clone(),
                };
                let started = async {
                    let mut stack = native::Stack::start(&case, &options, &progress).await?;
                    let applied = stack.apply(&case).await?;
                    Ok::<_, native::StackError>((stack, applied.refused))
                };
                let stack = tokio::select! {
                    s = started => match s.map_err(|e| anyhow!("{e}"))? {
                        (stack, None) => stack,
                        (_, Some(r)) => bail!("{} refused to start: {}", r.component, r.message),
                    },
                    _ = crate::shutdown() => return interrupted(),
                };
                spinner.finish_and_clear();
                let rules = stack.host_rules();
                print_summary(
                    &case,
                    &stack,
                    &what,
                    &run_dir,
                    &rules,
                    stack.timings.opensearch_boot,
                );
                crate::shutdown().await;
                eprintln!("\nstopping");
                stack.stop().await;
            }
            Backend::Containers { images, .. } => {
                let options = containers::Options {
                    images: *images,
                    run_dir: run_dir.clone(),
                };
                let started = tokio::select! {
                    s = containers::Stack::start(&case, &options, &progress) => Some(s),
                    _ = crate::shutdown() => None,
                };
                let Some(stack) = started else {
                    // A container cut short inside its start has no handle to be removed by: remove by label.
                    containers::docker::remove_own()
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                    return interrupted();
                };
                let stack = stack.map_err(|e| anyhow!("{e}"))?;
                spinner.finish_and_clear();
                let rules = stack.host_rules();
                print_summary(
                    &case,
                    &stack,
                    &what,
                    &run_dir,
                    &rules,
                    stack.timings.opensearch_boot,
                );
                println!(
                    "  containers   docker ps --filter label={}={}",
                    containers::docker::RUN_LABEL,
                    stack.run_id()
                );
                crate::shutdown().await;
                eprintln!("\nstopping");
                stack.stop().await;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn print_summary(
    case: &Case,
    stack: &impl Target,
    what: &str,
    run_dir: &Path,
    rules: &[(String, String)],
    boot: Duration,
) {
    let t = stack.topology();
    println!("{} is up ({what})", case.name());
    println!("  Dashboards   {}/", t.dashboards_url());
    println!(
        "  IdP          {}/application/o/{}/.well-known/openid-configuration",
        t.idp_url(),
        case.document.idp.provider.slug
    );
    let opensearch = stack.opensearch().map(|(_, url)| url).unwrap_or_default();
    println!("  OpenSearch   {opensearch} (admin client certificate: files*/harness/admin.pem)");
    for u in &case.document.idp.users {
        let pw = stack
            .secrets()
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
        if let Some(pw) = stack.secrets().internal_password(&case.document, name) {
            println!("  internal     {name} / {pw}");
        }
    }
    println!("  run folder   {}", run_dir.display());
    let rules: Vec<String> = rules
        .iter()
        .map(|(h, ip)| format!("MAP {h} {ip}"))
        .collect();
    println!(
        "  a browser:   chromium --host-resolver-rules=\"{}\" (trust files*/harness/ca.pem of the run folder)",
        rules.join(",")
    );
    println!(
        "  OpenSearch booted in {:.1} s. Ctrl-C stops everything.",
        boot.as_secs_f64()
    );
}
