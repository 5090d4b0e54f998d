//! `cargo xtask`: the harness's command line. Each subcommand is a module; the arguments are defined in `flags`;
//! this file dispatches them, and holds what several commands share (output folders, the shutdown signal).

mod bench;
mod clean;
mod compose;
mod e2e;
mod flags;
mod idp;
mod images;
mod import;
mod matrix;
mod render;
mod scenarios;
mod setup;
mod stand_in;
mod summary;
mod test;
mod up;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use flags::{Cli, Command, IdpCommand, ImportIdp, StandInCommand};
// The commands' own choices, as the modules name them (`crate::Format`).
use flags::{Format, MatrixFormat};

/// `target/sso-harness/<kind>/<name>` of the workspace: where commands put their output by default.
fn output_dir(kind: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/sso-harness")
        .join(kind)
        .join(name)
}

/// Seconds since the epoch: names output folders so that runs do not overwrite each other.
fn stamp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Resolves on Ctrl-C or SIGTERM: every command that starts the stack stops it on either.
async fn shutdown() {
    Shutdown::listen().requested().await
}

/// Ctrl-C and SIGTERM, listened for from the moment this is made (inside the runtime) — so a signal that comes
/// between two waits is kept for the next one. `up` waits twice (while starting, then once up): with a new
/// listener for the second wait, a Ctrl-C right after "is up" was taken by tokio's handler and heard by no one,
/// and `up` ran on (CI caught it: `up_stops_everything`, "did not exit within 30 s of Ctrl-C").
struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn listen() -> Shutdown {
        use tokio::signal::unix::{SignalKind, signal};
        Shutdown {
            interrupt: signal(SignalKind::interrupt()).expect("a SIGINT handler"),
            terminate: signal(SignalKind::terminate()).expect("a SIGTERM handler"),
        }
    }

    async fn requested(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenarios { targets, format } => {
            scenarios::run(&targets, &cli.scenarios_dir, format)
        }
        Command::Idp(IdpCommand::Serve {
            scenario,
            variant,
            listen,
            state,
            config,
            record_tokens,
        }) => idp::serve(
            idp::Source {
                scenario: scenario.as_deref(),
                variant: variant.as_deref(),
                config: config.as_deref(),
            },
            listen,
            state.as_deref(),
            record_tokens,
            &cli.scenarios_dir,
        ),
        Command::StandIn(StandInCommand::Serve {
            config,
            listen,
            extra_ca,
        }) => stand_in::serve(&config, listen, extra_ca.as_deref()),
        Command::E2e {
            scenarios,
            variant,
            backend,
            report,
            keep_going,
            partition,
        } => backend.resolve().and_then(|backend| {
            e2e::run(
                e2e::Args {
                    scenarios,
                    variant,
                    backend,
                    report,
                    keep_going,
                    partition,
                },
                &cli.scenarios_dir,
            )
        }),
        Command::Matrix {
            versions,
            format,
            partitions,
            sets,
            scenarios,
        } => matrix::run(
            matrix::Args {
                versions,
                format,
                partitions,
                sets,
                scenarios,
            },
            &cli.scenarios_dir,
        ),
        Command::Summary {
            reports,
            out,
            snapshots,
        } => summary::run(
            &reports,
            &out.unwrap_or_else(|| output_dir("summary", &stamp().to_string())),
            &snapshots,
        ),
        Command::Bench {
            scenario,
            variant,
            repeat,
            backend,
        } => backend.resolve().and_then(|backend| {
            bench::run(
                &scenario,
                variant.as_deref(),
                repeat,
                &backend,
                &cli.scenarios_dir,
            )
        }),
        Command::Up {
            scenario,
            variant,
            backend,
            run_dir,
        } => backend.resolve().and_then(|backend| {
            up::run(
                &scenario,
                variant.as_deref(),
                backend,
                run_dir,
                &cli.scenarios_dir,
            )
        }),
        Command::Test {
            heavy,
            nextest_args,
        } => test::run(heavy, &nextest_args),
        Command::Compose {
            scenario,
            variant,
            out,
            versions,
            image_overrides,
        } => versions.resolve().and_then(|versions| {
            compose::run(
                &scenario,
                variant.as_deref(),
                &out,
                versions,
                &image_overrides,
                &cli.scenarios_dir,
            )
        }),
        Command::Import { targets, idp, out } => {
            let idp = match idp {
                ImportIdp::Authentik => harness::import::Idp::Authentik,
                ImportIdp::Keycloak => harness::import::Idp::Keycloak,
            };
            import::run(&targets, idp, out.as_deref())
        }
        Command::Clean => clean::run(),
        Command::Images {
            only,
            opensearch_version,
            rebuild,
        } => images::run(&only, &opensearch_version, rebuild),
        Command::Render {
            scenario,
            variant,
            out,
        } => render::run(&scenario, variant.as_deref(), &out, &cli.scenarios_dir),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
