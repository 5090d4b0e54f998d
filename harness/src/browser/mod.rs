//! The browser: chromedriver + headless Chromium (Debian packages) through fantoccini. The harness's instrument,
//! not a system under test: one fresh profile per session, test hostnames mapped to loopback.

pub mod authentik;
pub mod keycloak;
pub mod network_log;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::process::{ProcessGroup, free_port};
use crate::wait::{self, Look};

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "{0} not found: install Debian's `chromium` and `chromium-driver` (cargo xtask test --heavy does it)"
    )]
    Missing(&'static str),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("chromedriver did not become ready on port {0} within 20 s")]
    NotReady(u16),
    #[error("cannot open a browser session: {0}")]
    Session(#[from] fantoccini::error::NewSessionError),
    #[error("browser: {0}")]
    Command(#[from] fantoccini::error::CmdError),
    #[error("{0}")]
    Flow(String),
}

/// A running chromedriver (its own process group: the browsers it starts end with it).
pub struct Chromedriver {
    process: ProcessGroup,
    port: u16,
}

impl Chromedriver {
    pub async fn start() -> Result<Self, BrowserError> {
        let binary =
            which::which("chromedriver").map_err(|_| BrowserError::Missing("chromedriver"))?;
        which::which("chromium").map_err(|_| BrowserError::Missing("chromium"))?;
        let port = free_port()?;
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = ProcessGroup::spawn("chromedriver", cmd)?;
        let driver = Chromedriver { process, port };
        let ready = wait::until(
            Duration::from_secs(20),
            Duration::from_millis(50),
            async || match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                Ok(_) => Look::Ready(()),
                Err(_) => Look::<(), ()>::NotYet,
            },
        )
        .await;
        ready
            .map(|()| driver)
            .map_err(|_| BrowserError::NotReady(port))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}

/// How a browser session is set up.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `host → ip:port` rules, e.g. `idp.sso.test → 127.0.0.1` (`--host-resolver-rules`).
    pub host_rules: Vec<(String, String)>,
    /// SPKI hashes (base64 SHA-256) of the run's server certificates, which the browser trusts like the run CA.
    pub trusted_spki: Vec<String>,
    /// Chromium runs elsewhere (a browser container): chromedriver makes a fresh profile of its own for each
    /// session. Otherwise the harness makes (and removes) the profile folder here.
    pub remote: bool,
}

/// A browser session with a fresh profile, removed when the session ends.
pub struct Browser {
    pub client: Client,
    _profile: Option<tempfile::TempDir>,
}

impl Browser {
    /// A session on the chromedriver at `driver` (its URL).
    pub async fn open(driver: &str, options: &Options) -> Result<Self, BrowserError> {
        let profile = if !options.remote {
            Some(
                tempfile::Builder::new()
                    .prefix("sso-harness-chromium-")
                    .tempdir()?,
            )
        } else {
            None
        };
        let caps = capabilities(options, profile.as_ref().map(|p| p.path().to_path_buf()));
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(driver)
            .await?;
        Ok(Browser {
            client,
            _profile: profile,
        })
    }

    pub async fn close(self) -> Result<(), BrowserError> {
        Ok(self.client.close().await?)
    }

    /// Makes the session as good as new for the next case: no page, every cookie gone, every origin's storage
    /// (local and session storage, IndexedDB, cache) of `origins` cleared, the network log drained. One warm
    /// Chromium then serves a whole run.
    pub async fn reset(&self, origins: &[String]) -> Result<(), BrowserError> {
        self.client.goto("about:blank").await?;
        network_log::cdp(&self.client, "Network.clearBrowserCookies", json!({})).await?;
        for origin in origins {
            network_log::cdp(
                &self.client,
                "Storage.clearDataForOrigin",
                json!({"origin": origin, "storageTypes": "all"}),
            )
            .await?;
        }
        network_log::drain(&self.client).await?;
        Ok(())
    }
}

/// WebDriver's Enter key: submits the form the input is in.
const ENTER: &str = "\u{E007}";

/// Puts `text` into `field` over whatever it held, the way a paste or an input method does: Chromium's own text
/// input (`Input.insertText`: the browser sets the value and fires `beforeinput`/`input`, which React's and
/// Lit's forms both listen to). WebDriver's `send_keys` types one key at a time, ~10 ms a character here (0.3 s
/// of every login); the login forms of Dashboards and authentik read the field's value, not its keystrokes.
pub async fn fill(
    client: &Client,
    field: &fantoccini::elements::Element,
    text: &str,
) -> Result<(), BrowserError> {
    let element = serde_json::to_value(field).expect("an element reference");
    client
        .execute(
            "arguments[0].focus(); arguments[0].select();",
            vec![element],
        )
        .await?;
    network_log::cdp(client, "Input.insertText", json!({ "text": text })).await?;
    Ok(())
}

/// `fill`, then Enter in the field: a key press, which submits the field's form as a person's would.
pub async fn enter(
    client: &Client,
    field: &fantoccini::elements::Element,
    text: &str,
) -> Result<(), BrowserError> {
    fill(client, field, text).await?;
    field.send_keys(ENTER).await?;
    Ok(())
}

fn capabilities(options: &Options, profile: Option<PathBuf>) -> serde_json::Map<String, Value> {
    // Without the background-networking flags Chromium's own connections are refused here, many at a time.
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ]
    .map(String::from)
    .to_vec();
    if let Some(profile) = profile {
        args.push(format!("--user-data-dir={}", profile.display()));
    }
    if !options.host_rules.is_empty() {
        let rules: Vec<String> = options
            .host_rules
            .iter()
            .map(|(h, t)| format!("MAP {h} {t}"))
            .collect();
        args.push(format!("--host-resolver-rules={}", rules.join(",")));
    }
    if !options.trusted_spki.is_empty() {
        args.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            options.trusted_spki.join(",")
        ));
    }
    let (logging, perf_logging) = network_log::capabilities();
    // `none`: navigation commands return at once. The observer decides when a page has settled (from the network
    // and the page itself); chromedriver's own wait would hang on pages whose script navigates on.
    let caps = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "none",
        "goog:loggingPrefs": logging,
        "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args, "perfLoggingPrefs": perf_logging },
    });
    caps.as_object().cloned().expect("an object")
}
