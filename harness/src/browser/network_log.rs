//! Chromium's network events, read through chromedriver: the session asks for a performance log
//! (`goog:loggingPrefs`, network domain only), and each read drains what the browser has sent since the last one.
//! This works wherever chromedriver does — also in the browser container, whose DevTools port is not reachable
//! from the harness.

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
