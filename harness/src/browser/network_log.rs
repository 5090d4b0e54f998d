//! Chromium's DevTools protocol through chromedriver: its network events from the performance log the session
//! asks for (`goog:loggingPrefs`, network domain only; each read drains what the browser has sent since the last
//! one), and commands sent with chromedriver's `goog/cdp/execute`. This works wherever chromedriver does — also in
//! the browser container, whose DevTools port is not reachable from the harness.

use fantoccini::Client;
use fantoccini::error::CmdError;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

/// A chromedriver command of its own (not W3C WebDriver): `POST /session/{id}/<path>` with a JSON body.
#[derive(Debug)]
struct Post {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Post {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// The log entries since the last read, oldest first.
pub async fn drain(client: &Client) -> Result<Vec<Value>, CmdError> {
    // `se/log`: the Selenium log endpoint chromedriver keeps in W3C mode.
    let read = Post {
        path: "se/log",
        body: json!({"type": "performance"}),
    };
    match client.issue_cmd(read).await? {
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

/// Sends the DevTools command `cmd` with `params`.
pub async fn cdp(client: &Client, cmd: &'static str, params: Value) -> Result<Value, CmdError> {
    let execute = Post {
        path: "goog/cdp/execute",
        body: json!({"cmd": cmd, "params": params}),
    };
    client.issue_cmd(execute).await
}
