//! Chromium's DevTools protocol through chromedriver: its network events from the performance log the session
//! asks for (`goog:loggingPrefs`, network domain only; each read drains what the browser has sent since the last
//! one), and commands sent with chromedriver's `goog/cdp/execute`. This works wherever chromedriver does — also in
//! the browser container, whose DevTools port is not reachable from the harness.

use fantoccini::Client;
use fantoccini::error::CmdError;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

/// chromedriver's `POST /session/{id}/se/log` (the Selenium log endpoint it keeps in W3C mode).
#[derive(Debug)]
struct ReadPerformanceLog;

impl WebDriverCompatibleCommand for ReadPerformanceLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "performance"}).to_string()),
        )
    }
}

/// The log entries since the last read, oldest first.
pub async fn drain(client: &Client) -> Result<Vec<Value>, CmdError> {
    match client.issue_cmd(ReadPerformanceLog).await? {
        Value::Array(entries) => Ok(entries),
        _ => Ok(Vec::new()),
    }
}

/// The capabilities that make chromedriver keep the log: network events only (page and timeline events would
/// multiply its size for nothing the observer reads).
pub fn capabilities() -> (Value, Value) {
    (
        json!({ "performance": "ALL" }),
        json!({ "enableNetwork": true, "enablePage": false }),
    )
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`: one DevTools command.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sends the DevTools command `cmd` with `params`.
pub async fn cdp(client: &Client, cmd: &'static str, params: Value) -> Result<Value, CmdError> {
    client.issue_cmd(Cdp { cmd, params }).await
}
