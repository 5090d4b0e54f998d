//! The command line's definitions (clap): every subcommand, its arguments and their help. `main.rs` dispatches.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use harness::select;

/// End-to-end single sign-on harness for OpenSearch.
///
/// A scenario file (YAML, format v1: docs/scenario-format.md) describes a stack — OpenSearch with its
/// security plugin, Dashboards, an identity provider, Caddy — a login, and what should happen. The
/// harness checks the files, renders every component's configuration and certificates, starts the
/// stack, logs in with a real browser and judges what the real security plugin did.
#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    max_term_width = 110
)]
pub struct Cli {
    /// Folder that scenario names are looked up in.
    #[arg(long, global = true, value_name = "DIR", default_value_os_t = default_scenarios_dir())]
    pub scenarios_dir: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check scenario files and list the cases they expand to.
    ///
    /// Every error names its file, line and column, shows the line, and suggests the nearest valid
    /// name where there is one. Exits non-zero if any file is invalid.
    ///
    /// Examples:
    ///   cargo xtask scenarios                      every file in scenarios/
    ///   cargo xtask scenarios authentik-jwe        one scenario, by name
    ///   cargo xtask scenarios ./my-report.yaml --format json
    #[command(verbatim_doc_comment)]
    Scenarios {
        /// Scenario files, folders of them, or scenario names (default: every file in the scenarios folder).
        #[arg(value_name = "PATH|NAME")]
        targets: Vec<String>,
        /// `text` for people; `json` for tools: a list of {"scenario", "variant"}.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write a scenario file from the files a user posted (config.yml, roles_mapping.yml,
    /// opensearch_dashboards.yml, …, recognised by name).
    ///
    /// Their documents are kept, except where the harness's stack stands in (URLs, masked secrets,
    /// CA paths and PEM blocks, settings the harness owns): each change is a comment naming the
    /// file, line and column; what cannot be mapped is kept as comments and listed on stderr.
    ///
    /// Examples:
    ///   cargo xtask import config.yml roles_mapping.yml opensearch_dashboards.yml
    ///   cargo xtask import ./posted/ --out scenarios/my-report.yaml
    #[command(verbatim_doc_comment)]
    Import {
        /// The posted files, or folders of them.
        #[arg(value_name = "FILE|DIR", required = true)]
        targets: Vec<PathBuf>,
        /// The identity provider of the report.
        #[arg(long, value_enum, default_value_t = ImportIdp::Authentik)]
        idp: ImportIdp,
        /// Where to write the scenario (default: stdout).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Write every file the components would read, for the cases of one scenario.
    ///
    /// OpenSearch (opensearch.yml, opensearch-security/*.yml, certificates), Dashboards
    /// (opensearch_dashboards.yml), authentik (the blueprint) and Caddy (Caddyfile, site
    /// certificates), with fresh certificates and secrets — before anything is started.
    ///
    /// One case is written straight into DIR; several go into one subfolder each (named after the
    /// variant). The files hold real generated secrets and private keys: they are what the components
    /// would read.
    ///
    /// Examples:
    ///   cargo xtask render authentik-jwe --variant 'jwe=on,roles_key=groups,auth=single' --out /tmp/jwe
    ///   cargo xtask render authentik-jwe --variant 'jwe=off,*' --out /tmp/jwe-off
    #[command(verbatim_doc_comment)]
    Render {
        /// A scenario file or name.
        #[arg(value_name = "SCENARIO")]
        scenario: String,
        /// Only the variants whose name matches (`*` is a wildcard).
        #[arg(long, value_name = "GLOB")]
        variant: Option<String>,
        /// Folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The embedded identity provider (authentik's behaviour on the wire).
    #[command(subcommand)]
    Idp(IdpCommand),
    /// Run scenarios end to end: a real browser logs in through the stack, and each case is judged.
    ///
    /// The real OpenSearch security plugin decides every login. The native backend (default) runs it
    /// from Maven Central behind the embedded IdP (authentik's behaviour), the Dashboards stand-in and
    /// Caddy, as local processes. `--backend containers` runs every component in Docker: the official
    /// images, or with `--images local` the ones `cargo xtask images` built here. Prints a line per case
    /// as it goes and a table at the end; writes results.json, junit.xml and a folder per case (logs,
    /// redacted configs, a screenshot on failure) under the report folder. Exits 0 only if every
    /// selected case passes.
    ///
    /// Examples:
    ///   cargo xtask e2e
    ///   cargo xtask e2e --scenario authentik-jwe --variant 'jwe=on,*' --keep-going
    ///   cargo xtask e2e --backend containers --images local --scenario authentik-jwe \
    ///       --variant '*,roles_key=groups,auth=single'
    ///   cargo xtask e2e --partition 2/3            the second of three slices (what a CI matrix cell runs)
    #[command(verbatim_doc_comment)]
    E2e {
        /// Scenario files or names (repeatable; default: every file in the scenarios folder).
        #[arg(long = "scenario", value_name = "PATH|NAME")]
        scenarios: Vec<String>,
        /// Only the variants whose name matches (`*` is a wildcard).
        #[arg(long, value_name = "GLOB")]
        variant: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
        /// Report folder (default: target/sso-harness/e2e/<time>).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// Run every case even after one fails.
        #[arg(long)]
        keep_going: bool,
        /// Run only the K-th of N slices of the selected cases (contiguous, in file order, sizes differing by at
        /// most one; `cargo xtask matrix` gives each CI job one).
        #[arg(long, value_name = "K/N", default_value = "1/1")]
        partition: select::Partition,
    },
    /// Print the CI matrix: one cell per version set × partition of the cases, each with the command it runs.
    ///
    /// Version sets come from the versions file (compose/versions.yaml); the cases are those of the
    /// scenarios (default: every file in the scenarios folder), split into contiguous partitions
    /// (`e2e --partition K/N`). Without --partitions, each cell gets about 16 cases.
    /// `json` is a list of cells for people and tools (versions, case counts, commands); `github` is one
    /// line that `strategy.matrix` takes with `fromJSON`:
    /// {"include":[{"set","partition","name","id","report","args","command"}…]}.
    ///
    /// Examples:
    ///   cargo xtask matrix
    ///   cargo xtask matrix --format github --set os-2.19
    ///   cargo xtask matrix --partitions 3 --scenario authentik-jwe
    #[command(verbatim_doc_comment)]
    Matrix {
        /// The versions file.
        #[arg(long, value_name = "FILE", default_value_os_t = workspace_path(harness::versions::DEFAULT_PATH))]
        versions: PathBuf,
        /// `json` for people and tools; `github` for `strategy.matrix: ${{ fromJSON(...) }}`.
        #[arg(long, value_enum, default_value_t = MatrixFormat::Json)]
        format: MatrixFormat,
        /// Partitions per version set (default: about 16 cases each; at most the number of cases).
        #[arg(long, value_name = "N")]
        partitions: Option<usize>,
        /// Only these version sets (repeatable; default: every set in the file).
        #[arg(long = "set", value_name = "NAME")]
        sets: Vec<String>,
        /// Scenario files or names (repeatable; default: every file in the scenarios folder).
        #[arg(long = "scenario", value_name = "PATH|NAME")]
        scenarios: Vec<String>,
    },
    /// Merge the results.json of several report folders into one table, written as summary.md and summary.html.
    ///
    /// Rows are cases (scenario@variant), columns version sets (a run without one: backend and
    /// OpenSearch version, e.g. `native 2.19.4`), cells the login outcome with ✅/❌ for the run's
    /// verdict. A cell whose outcome differs from the committed snapshot (snapshots/e2e/<case>.snap)
    /// is marked ⚠️; cases without a snapshot are named. Reports of one set's partitions share its
    /// column; runs that repeat a case get a column each, named after their folder. A folder without
    /// results.json stands for its subfolders that have one. Prints the path of summary.md (for
    /// $GITHUB_STEP_SUMMARY).
    ///
    /// Examples:
    ///   cargo xtask summary /tmp/r1 /tmp/r2 --out /tmp/summary
    ///   cargo xtask summary reports/ --out summary && cat summary/summary.md >> "$GITHUB_STEP_SUMMARY"
    #[command(verbatim_doc_comment)]
    Summary {
        /// Report folders (what `e2e --report DIR` writes), or folders of them.
        #[arg(value_name = "REPORT_DIR", required = true)]
        reports: Vec<PathBuf>,
        /// Where summary.md and summary.html go (default: target/sso-harness/summary/<time>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The committed snapshots the outcomes are compared with.
        #[arg(long, value_name = "DIR", default_value_os_t = workspace_path("snapshots/e2e"))]
        snapshots: PathBuf,
    },
    /// Time a selection of cases (default: the seed matrix on the native backend) and print the figures:
    /// OpenSearch's boot, per-case median and p95 split into config swap / browser login / observation, the
    /// protocol floor (the same login with no browser), wall time, peak memory of the stack, restarts and their
    /// causes, and — with --repeat — how many verdicts changed between runs.
    ///
    /// Examples:
    ///   cargo xtask bench --repeat 20
    ///   cargo xtask bench --scenario authentik-jwe --variant '*,auth=single' --backend containers --images local
    #[command(verbatim_doc_comment)]
    Bench {
        /// The scenario to time.
        #[arg(long, value_name = "PATH|NAME", default_value = "authentik-jwe")]
        scenario: String,
        /// Only the variants matching this selection (as `e2e --variant`).
        #[arg(long, value_name = "SELECTION")]
        variant: Option<String>,
        /// Run the cases this many times in a row on one stack, and print how many verdicts changed.
        #[arg(long, value_name = "N", default_value_t = 1)]
        repeat: usize,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Start the stack of one case and keep it running until Ctrl-C (or SIGTERM), which stops everything.
    ///
    /// Native (default): the real OpenSearch with its security plugin (fetched from Maven Central into the
    /// cache on first use), the embedded IdP, the Dashboards stand-in and Caddy, all on loopback.
    /// `--backend containers`: the same in Docker (see `e2e --help` for the images). Prints the URLs, the
    /// users and their passwords, a Chromium command line that reaches the stack, and the run folder
    /// (configs, certificates, logs).
    ///
    /// Examples:
    ///   cargo xtask up authentik-jwe --variant 'jwe=on,roles_key=groups,auth=single'
    ///   cargo xtask up authentik-jwe --variant 'jwe=on,roles_key=groups,auth=single' --backend containers --images local
    #[command(verbatim_doc_comment)]
    Up {
        /// A scenario file or name.
        #[arg(value_name = "SCENARIO")]
        scenario: String,
        /// The variant to start (`*` is a wildcard; one case must match).
        #[arg(long, value_name = "GLOB")]
        variant: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
        /// Where the run's files and logs go (default: target/sso-harness/up/<case>-<time>).
        #[arg(long, value_name = "DIR")]
        run_dir: Option<PathBuf>,
    },
    /// Write a reproduction bundle of one case: compose.yaml over the official images, the rendered files.
    ///
    /// The bundle holds compose.yaml (OpenSearch, Dashboards, authentik server + worker + postgres (+ redis
    /// before 2025.10), Caddy), the rendered configuration of each (authentik's is the blueprint), the
    /// certificates, a .env with the bundle's generated secrets, and a README with the steps and the
    /// outcome the harness expects. Anyone with Docker runs it with `docker compose up`.
    ///
    /// Examples:
    ///   cargo xtask compose authentik-jwe --variant 'jwe=on,roles_key=groups,auth=single' --out /tmp/jwe-bundle
    #[command(verbatim_doc_comment)]
    Compose {
        /// A scenario file or name.
        #[arg(value_name = "SCENARIO")]
        scenario: String,
        /// The variant to write (`*` is a wildcard; one case must match).
        #[arg(long, value_name = "GLOB")]
        variant: Option<String>,
        /// Folder to write the bundle into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        versions: VersionArgs,
        /// Another image for a component, e.g. `authentik=mirror.local/authentik:2025.12.4`. Repeatable.
        #[arg(long = "image", value_name = "COMPONENT=IMAGE", value_parser = parse_override)]
        image_overrides: Vec<(String, String)>,
    },
    /// Remove the containers and networks that earlier containers runs left behind (e.g. after a kill -9).
    ///
    /// Finds them by the label every run puts on them; leaves alone those whose harness is still running.
    Clean,
    /// Build the offline images that `--images local` runs, from this machine's registries only.
    ///
    /// A Debian root filesystem (debootstrap, from Debian's mirror) is the base; on it: OpenSearch with its
    /// security plugin (Maven Central, as the native backend) and a Java runtime, Caddy, Chromium +
    /// chromedriver (Debian packages), this binary as the stand-ins (the embedded IdP and the Dashboards
    /// stand-in), and Keycloak (Maven Central, built as the native backend builds it; a stand-in for its official
    /// image). authentik and Dashboards have no offline source. Needs a Docker engine; pulls nothing.
    /// Images that exist are kept unless --rebuild. The Dockerfiles are in compose/images/.
    ///
    /// Examples:
    ///   cargo xtask images
    ///   cargo xtask images --only stand-ins --rebuild
    #[command(verbatim_doc_comment)]
    Images {
        /// Only these images (opensearch, caddy, browser, stand-ins, keycloak; repeatable).
        #[arg(long, value_name = "NAME")]
        only: Vec<String>,
        /// The OpenSearch version of the opensearch image (its security plugin must be on Maven Central).
        #[arg(long, value_name = "VERSION", default_value = harness::opensearch::NATIVE_DEFAULT_VERSION)]
        opensearch_version: String,
        /// Build again images that already exist.
        #[arg(long)]
        rebuild: bool,
    },
    /// The Dashboards stand-in (the relying party the native backend and `--images local` run).
    #[command(subcommand, name = "stand-in")]
    StandIn(StandInCommand),
    /// Run the test suite (cargo nextest), installing what it needs on a fresh machine first.
    ///
    /// Two tiers. By default the fast one: every test that needs no OpenSearch, Chromium or Docker
    /// (parsing, rendering, the embedded IdP and the stand-in over HTTP, reports, the workflows),
    /// i.e. the tests outside the `heavy` test group of .config/nextest.toml. `--heavy`: every test,
    /// also those that start OpenSearch, Chromium or containers; first starts a Docker engine when
    /// none answers (and stops it afterwards) and builds the offline images (`cargo xtask images`).
    /// CI runs `--heavy`.
    ///
    /// Installs what the tier needs when it is missing: Caddy, shellcheck and docker-compose
    /// (apt-get, as root), jwcrypto (pip), cargo-nextest (cargo install) and actionlint (go install,
    /// into the harness cache's bin/); with --heavy also Chromium, chromedriver, Maven, docker.io and
    /// debootstrap.
    /// Arguments after `--` go to nextest; a filterset (-E) there selects within the tier.
    ///
    /// Examples:
    ///   cargo xtask test                             the fast tier
    ///   cargo xtask test --heavy                     everything (what CI runs)
    ///   cargo xtask test -- -E 'binary(malformed)'
    ///   cargo xtask test --heavy -- -E 'binary(scenarios)'
    #[command(verbatim_doc_comment)]
    Test {
        /// Every test, also those that start OpenSearch, Chromium or Docker (the nextest group `heavy`).
        #[arg(long)]
        heavy: bool,
        /// Passed to `cargo nextest run`.
        #[arg(last = true)]
        nextest_args: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum IdpCommand {
    /// Serve the embedded IdP over plain HTTP until Ctrl-C (TLS is Caddy's job, as in front of authentik).
    ///
    /// Configured from one case's `idp` section (default: the format's defaults). Prints the discovery URL,
    /// the client and the users with their passwords.
    ///
    /// Examples:
    ///   cargo xtask idp serve --listen 127.0.0.1:9000
    ///   cargo xtask idp serve --scenario authentik-jwe --variant 'jwe=on,roles_key=groups,auth=single' \
    ///       --listen 127.0.0.1:9000 --state /tmp/idp
    #[command(verbatim_doc_comment)]
    Serve {
        /// A scenario file or name.
        #[arg(long, value_name = "PATH|NAME")]
        scenario: Option<String>,
        /// The variant to serve, when the scenario has several (`*` is a wildcard; one case must match).
        #[arg(long, value_name = "GLOB")]
        variant: Option<String>,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
        listen: SocketAddr,
        /// Folder for client.json, signing-key.pem (the PEM whose MD5 is the kid), encryption-key.pem and
        /// encryption-cert.pem.
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// The provider as a JSON file the harness wrote (the containers backend), instead of --scenario.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "variant"])]
        config: Option<PathBuf>,
        /// Also write every id_token issued to DIR/<username>.jwt (for a harness outside this process).
        #[arg(long, value_name = "DIR")]
        record_tokens: Option<PathBuf>,
    },
}

/// Component versions of the official images: a set of the versions file, component by component overridable.
#[derive(clap::Args)]
pub struct VersionArgs {
    /// The versions file.
    #[arg(long, value_name = "FILE", default_value_os_t = workspace_file(harness::versions::DEFAULT_PATH))]
    versions: PathBuf,
    /// A version set of the versions file (default: its first).
    #[arg(long, value_name = "NAME")]
    version_set: Option<String>,
    /// Overrides the set's OpenSearch (and, unless --dashboards-version, its Dashboards).
    #[arg(long, value_name = "VERSION")]
    opensearch_version: Option<String>,
    #[arg(long, value_name = "VERSION")]
    dashboards_version: Option<String>,
    #[arg(long, value_name = "VERSION")]
    authentik_version: Option<String>,
    #[arg(long, value_name = "TAG")]
    caddy_version: Option<String>,
}

impl VersionArgs {
    pub fn resolve(
        self,
    ) -> anyhow::Result<(harness::versions::VersionSet, harness::versions::Support)> {
        let file = harness::versions::load_path(&self.versions).map_err(|e| {
            anyhow::anyhow!(
                "{}",
                e.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })?;
        let mut v = match &self.version_set {
            Some(name) => file.set(name).map_err(|e| anyhow::anyhow!(e))?.clone(),
            None => file.default_set().clone(),
        };
        if let Some(o) = self.opensearch_version {
            v.dashboards = o.clone();
            v.opensearch = o;
        }
        if let Some(d) = self.dashboards_version {
            v.dashboards = d;
        }
        if let Some(a) = self.authentik_version {
            v.authentik = a;
        }
        if let Some(c) = self.caddy_version {
            v.caddy = c;
        }
        Ok((v, file.support))
    }
}

/// A file of the workspace this xtask was built from.
fn workspace_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(rel)
}

/// Which backend runs the stack, and with which versions and images.
#[derive(clap::Args)]
pub struct BackendArgs {
    /// `native`: local processes (OpenSearch from Maven Central, the stand-ins); `containers`: Docker.
    #[arg(long, value_enum, default_value_t = BackendKind::Native)]
    backend: BackendKind,
    /// Containers only: `official` images from their registries, or `local` ones built by `cargo xtask images`
    /// (OpenSearch, Caddy, the browser, Keycloak, and the stand-ins in place of authentik and Dashboards).
    #[arg(long, value_enum, default_value_t = ImageSource::Official)]
    images: ImageSource,
    /// Containers only: use another image for a component, e.g. `opensearch=mirror.local/opensearch:3.2.0`
    /// (components: opensearch, dashboards, authentik, postgres, redis, caddy, browser, keycloak, stand-ins).
    /// Repeatable.
    #[arg(long = "image", value_name = "COMPONENT=IMAGE", value_parser = parse_override)]
    image_overrides: Vec<(String, String)>,
    /// Versions: of the official images (a set of the versions file, overridable), and the OpenSearch
    /// version of the native backend and of the local opensearch image (default: the newest whose security
    /// plugin is on Maven Central).
    #[command(flatten)]
    versions: VersionArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    Native,
    Containers,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageSource {
    Official,
    Local,
}

fn parse_override(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(c, i)| (c.to_owned(), i.to_owned()))
        .ok_or_else(|| format!("`{s}` is not COMPONENT=IMAGE"))
}

impl BackendArgs {
    pub fn resolve(self) -> anyhow::Result<harness::stack::Backend> {
        use harness::containers::images::Images;
        use harness::opensearch::NATIVE_DEFAULT_VERSION;
        let set_only = self.versions.version_set.is_some()
            || self.versions.dashboards_version.is_some()
            || self.versions.authentik_version.is_some()
            || self.versions.caddy_version.is_some();
        let native_version = self
            .versions
            .opensearch_version
            .clone()
            .unwrap_or_else(|| NATIVE_DEFAULT_VERSION.to_owned());
        if self.backend == BackendKind::Native {
            if !self.image_overrides.is_empty() || self.images == ImageSource::Local || set_only {
                anyhow::bail!(
                    "--images, --image, --version-set and the component versions apply to `--backend containers` \
                     with official images; the native backend takes --opensearch-version only"
                );
            }
            return Ok(harness::stack::Backend::Native {
                opensearch: self.versions.opensearch_version.clone(),
            });
        }
        let mut version_set = None;
        let images = match self.images {
            ImageSource::Local => {
                if set_only {
                    anyhow::bail!(
                        "`--images local` has no authentik or Dashboards (the stand-ins run instead): \
                         it takes --opensearch-version only"
                    );
                }
                Images::local(&native_version)
            }
            ImageSource::Official => {
                let (set, support) = self.versions.resolve()?;
                version_set = Some(set.name.clone());
                Images::official(&set, &support)
            }
        };
        Ok(harness::stack::Backend::Containers {
            images: Box::new(
                images
                    .with_overrides(&self.image_overrides)
                    .map_err(|e| anyhow::anyhow!(e))?,
            ),
            version_set,
        })
    }
}

#[derive(Subcommand)]
pub enum StandInCommand {
    /// Serve the Dashboards stand-in over plain HTTP until Ctrl-C or SIGTERM, its log on stdout.
    ///
    /// Reads an opensearch_dashboards.yml as Dashboards would (its relative paths from the file's folder).
    ///
    /// Examples:
    ///   cargo xtask stand-in serve --config /tmp/jwe/dashboards/opensearch_dashboards.yml --listen 0.0.0.0:5601
    #[command(verbatim_doc_comment)]
    Serve {
        /// The opensearch_dashboards.yml to read.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5601")]
        listen: SocketAddr,
        /// A CA to trust for the IdP besides the system roots (as NODE_EXTRA_CA_CERTS for Dashboards).
        #[arg(long, value_name = "PEM")]
        extra_ca: Option<PathBuf>,
    },
}

/// `import --idp`: the IdP a report's files are for.
#[derive(Clone, Copy, ValueEnum)]
pub enum ImportIdp {
    Authentik,
    Keycloak,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MatrixFormat {
    Json,
    Github,
}

/// A path of the workspace this xtask was built from.
fn workspace_path(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    path.canonicalize().unwrap_or(path)
}

/// `scenarios/` of the workspace this xtask was built from.
fn default_scenarios_dir() -> PathBuf {
    workspace_path("scenarios")
}
