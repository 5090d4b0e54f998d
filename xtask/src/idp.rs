//! `cargo xtask idp serve`: the embedded IdP on its own, for a person or a client to talk to.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use harness::certs::RunCertificates;
use harness::idp::{self, Config, Server};
use harness::secrets::Secrets;
use harness::select;
use harness::topology::{Ports, Topology};

/// Where the provider's configuration comes from.
pub struct Source<'a> {
    pub scenario: Option<&'a str>,
    pub variant: Option<&'a str>,
    /// A JSON file the harness wrote (`idp::Config`): the containers backend's way.
    pub config: Option<&'a Path>,
}

pub fn serve(
    source: Source,
    listen: SocketAddr,
    state: Option<&Path>,
    record_tokens: Option<PathBuf>,
    dir: &Path,
) -> Result<ExitCode> {
    let (name, config) = match source.config {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let config: Config = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a provider the harness wrote", file.display()))?;
            (file.display().to_string(), config)
        }
        None => {
            let case =
                select::one_case(source.scenario, source.variant, dir).map_err(|e| anyhow!(e))?;
            let topology = Topology::native(Ports::default());
            let certs =
                RunCertificates::generate(&topology.hosts).context("generating key pairs")?;
            let secrets = Secrets::random();
            let config = Config::for_run(&case.document, &topology, &certs, &secrets);
            (case.name(), config)
        }
    };
    if let Some(state) = state {
        write_state(state, &config)?;
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let server = Server::start_recording(config.clone(), listener, record_tokens)?;
        print_summary(&name, &config, server.addr(), state);
        crate::shutdown().await;
        eprintln!("\nstopping");
        server.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn write_state(dir: &Path, config: &Config) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, contents) in idp::state_files(config) {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_summary(case: &str, config: &Config, addr: SocketAddr, state: Option<&Path>) {
    let origin = format!("http://{addr}");
    println!("{} ({}), case {case}", idp::NAME, idp::FOLLOWS);
    println!(
        "  discovery   {origin}/application/o/{}/.well-known/openid-configuration",
        config.slug
    );
    println!(
        "  issuer      {origin}/application/o/{}/  (follows the Host header and X-Forwarded-Proto)",
        config.slug
    );
    println!(
        "  client      {} (secret in client.json with --state)",
        config.client_id
    );
    for r in &config.redirect_uris {
        println!("  redirect    {} ({:?})", r.url, r.matching_mode);
    }
    println!(
        "  signing     {}{}",
        config.alg.name(),
        config
            .signing
            .as_ref()
            .map_or(String::new(), |k| format!(", kid {}", k.kid))
    );
    if let Some(k) = &config.encryption {
        println!(
            "  encryption  RSA-OAEP-256 / A256CBC-HS512, kid {} (every token is a JWE)",
            k.kid
        );
    }
    for u in &config.users {
        println!(
            "  user        {} / {}  groups {:?}",
            u.username, u.password, u.groups
        );
    }
    if let Some(s) = state {
        println!("  state       {}", s.display());
    }
    println!("plain HTTP (TLS is Caddy's job); Ctrl-C stops");
}
