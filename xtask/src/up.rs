//! `cargo xtask up`: the stack of one case, kept running for a person to poke at; Ctrl-C stops everything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use harness::run::Target;
use harness::scenario::Case;
use harness::stack::{Backend, Stack};
use harness::{containers, select};
use indicatif::{ProgressBar, ProgressStyle};

pub fn run(
    target: &str,
    variant: Option<&str>,
    backend: Backend,
    run_dir: Option<PathBuf>,
    dir: &Path,
) -> Result<ExitCode> {
    let case = select::one_case(Some(target), variant, dir).map_err(|e| anyhow!(e))?;
    let mut described = backend.describe();
    described.idp = backend.idps_of(std::slice::from_ref(&case));
    let wanted = &case.document.stack.opensearch;
    if *wanted != described.opensearch {
        eprintln!(
            "note: the scenario asks for OpenSearch {wanted}; this runs {} (the native backend and the local \
             images run what Maven Central has: pass --opensearch-version, or --backend containers)",
            described.opensearch
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
        "OpenSearch {} with its security plugin, {}, {}, Caddy; {} backend",
        described.opensearch, described.idp, described.dashboards, described.backend
    );
    if backend.runs_local_programs() {
        crate::setup::ensure_apt_packages(crate::setup::NATIVE)?;
    }
    let opensearch_version = harness::run::versions::decide(&case, &backend.offer()).opensearch;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut stop = crate::Shutdown::listen();
        let started = async {
            let mut stack = backend
                .start(&case, &opensearch_version, &run_dir, &progress)
                .await?;
            let applied = stack.apply(&case).await?;
            Ok::<_, harness::run::StackError>((stack, applied.refused))
        };
        // Ctrl-C while starting drops the half-built stack: every process and container with a handle goes with
        // it; a container cut short inside its start is removed by label.
        let stack = tokio::select! {
            s = started => match s.map_err(|e| anyhow!("{e}"))? {
                (stack, None) => stack,
                (_, Some(r)) => bail!("{} refused to start: {}", r.component, r.message),
            },
            _ = stop.requested() => {
                backend.remove_leftovers().await.map_err(|e| anyhow!("{e}"))?;
                spinner.finish_and_clear();
                eprintln!("interrupted while starting");
                return Ok(ExitCode::from(130));
            }
        };
        spinner.finish_and_clear();
        print_summary(&case, &stack, &what, &run_dir);
        stop.requested().await;
        eprintln!("\nstopping");
        stack.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn print_summary(case: &Case, stack: &Stack, what: &str, run_dir: &Path) {
    let t = stack.topology();
    println!("{} is up ({what})", case.name());
    println!("  Dashboards   {}/", t.dashboards_url());
    let discovery = match case.document.stack.idp {
        harness::scenario::IdpProfile::Keycloak => format!(
            "{}/.well-known/openid-configuration",
            harness::render::keycloak::issuer(&case.document, &t.idp_url())
        ),
        harness::scenario::IdpProfile::Authentik => format!(
            "{}/application/o/{}/.well-known/openid-configuration",
            t.idp_url(),
            case.document.idp.provider.slug
        ),
    };
    println!("  IdP          {discovery}");
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
    if let Some(run) = stack.containers_run() {
        println!(
            "  containers   docker ps --filter label={}={run}",
            containers::docker::RUN_LABEL
        );
    }
    let rules: Vec<String> = stack
        .host_rules()
        .iter()
        .map(|(h, ip)| format!("MAP {h} {ip}"))
        .collect();
    println!(
        "  a browser:   chromium --host-resolver-rules=\"{}\" (trust files*/harness/ca.pem of the run folder)",
        rules.join(",")
    );
    println!(
        "  OpenSearch booted in {:.1} s. Ctrl-C stops everything.",
        stack.opensearch_boot().as_secs_f64()
    );
}
