//! `cargo xtask stand-in serve`: the Dashboards stand-in on its own (the containers backend runs it this way in the
//! stand-ins image). Its log goes to stdout, line by line, as Dashboards' does in its container.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use harness::stand_in::{self, Config, Server, Upstreams};

pub fn serve(config: &Path, listen: SocketAddr, extra_ca: Option<&Path>) -> Result<ExitCode> {
    let yml =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let dir = config.parent().unwrap_or(Path::new("."));
    let config = Config::from_yaml(&yml, dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
    let upstreams = Upstreams {
        resolve: Vec::new(),
        extra_trusted_ca_pem: extra_ca
            .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
            .transpose()?,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let server = Server::start(config, upstreams, listener)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        println!("{} listening on http://{}", stand_in::NAME, server.addr());
        let mut printed = 0;
        let echo = async {
            loop {
                let lines = server.log_lines();
                for l in &lines[printed..] {
                    println!("{l}");
                }
                printed = lines.len();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            _ = echo => {}
            _ = crate::shutdown() => {}
        }
        server.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}
