//! What running a case needs of a stack, whichever backend started it (native processes or containers).

use crate::browser;
use crate::certs::RunCertificates;
use crate::render::RunFiles;
use crate::scenario::Case;
use crate::secrets::Secrets;
use crate::topology::Topology;

/// A failure of the stack itself (not of a login): starting, applying a case, reaching a component.
pub type StackError = Box<dyn std::error::Error + Send + Sync>;

/// What applying a case gave: its files, and whether a component refused them the way the real one would (a
/// judged outcome of the case, `unavailable`, not a failure of the harness).
#[derive(Debug)]
pub struct Applied {
    pub files: RunFiles,
    pub refused: Option<Refusal>,
    /// What was (re)started for the case, each `component: why` (`plan::Plan::restarts`).
    pub restarted: Vec<String>,
}

/// A component that would not start on the case's configuration, in its own words.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub component: String,
    pub message: String,
}

impl Applied {
    pub fn serving(files: RunFiles, restarted: Vec<String>) -> Applied {
        Applied {
            files,
            refused: None,
            restarted,
        }
    }
}

/// A running stack a case can be run on.
pub trait Target {
    fn topology(&self) -> &Topology;
    fn secrets(&self) -> &Secrets;
    /// The run's certificates and key pairs (the observation decrypts a JWE id_token with its encryption key).
    fn certs(&self) -> &RunCertificates;
    /// Makes the stack serve `case` (restarting only what must); returns the case's rendered files. An error is
    /// the harness failing to run the case (the case's status `error`), never the end of the run: the next
    /// `apply` starts again whatever this one left stopped.
    fn apply(&mut self, case: &Case) -> impl Future<Output = Result<Applied, StackError>>;
    /// The chromedriver to open sessions on, and how each session is set up.
    fn browser(&self) -> (String, browser::Options);
    /// The run's one browser session, kept by the stack between cases: `run_case` opens it on first use and
    /// resets it (no cookie, no storage, no page) before every login. `None` until then.
    fn warm_browser(&mut self) -> &mut Option<browser::Browser>;
    /// An HTTPS client for OpenSearch (trusting the run CA, no client certificate) and OpenSearch's URL as the
    /// harness reaches it.
    fn opensearch(&self) -> Result<(reqwest::Client, String), reqwest::Error>;
    /// Where OpenSearch's log has got to, and its lines since such a point.
    fn opensearch_log_offset(&self) -> u64;
    fn opensearch_log_since(&self, offset: u64) -> Vec<String>;
    /// The same for Dashboards (or its stand-in).
    fn dashboards_log_offset(&self) -> u64;
    fn dashboards_log_since(&self, offset: u64) -> Vec<String>;
    /// Every component's own log where the backend keeps one (containers: each container's output): its name and
    /// where it has got to. A case's folder gets each one's lines written while the case ran (`logs/<name>.log`).
    fn component_logs(&self) -> Vec<(String, u64)> {
        Vec::new()
    }
    fn component_log_since(&self, _name: &str, _offset: u64) -> Vec<String> {
        Vec::new()
    }
    /// The id_token the IdP issues to the relying party's client for `user` in the current case: the one it last
    /// issued where the IdP lets the harness see it (the embedded profile), else one the harness obtains from the
    /// IdP itself with the same client (the real authentik).
    fn last_id_token(&self, user: &str) -> impl Future<Output = Option<String>>;
}
