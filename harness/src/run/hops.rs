//! The requests of a login as the browser's network panel shows them, rebuilt from Chromium's DevTools `Network.*`
//! events (chromedriver's performance log). Pure: events in, hops and "is anything still loading" out.
//!
//! Two things come of it: the evidence (`observed.hops`, `hops.txt`) and the observer's signals — whether the
//! network is quiet, what status the page's own document came with, whether the account API answered, and
//! whether the browser is going round in a loop, by HTTP redirects or through pages whose script navigates on.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One request of the login: a document navigation (each redirect is a hop of its own) or the page's fetch/XHR.
/// `host` and `path` are the observer's, not the report's: read back from `results.json`, they are empty.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Hop {
    pub method: String,
    /// Redacted: no port, no code, state, token or secret in the query.
    pub url: String,
    /// `None` while it is in flight, or when it failed before any answer (then `error` says why).
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The host, kept apart for the loop count (the URL's is redacted text).
    #[serde(skip)]
    pub host: String,
    #[serde(skip)]
    pub path: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Document,
    Fetch,
    Xhr,
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match (self.status, &self.error) {
            (Some(s), _) => s.to_string(),
            (None, Some(e)) => e.clone(),
            (None, None) => "…".into(),
        };
        let kind = match self.kind {
            Kind::Document => "document",
            Kind::Fetch => "fetch",
            Kind::Xhr => "xhr",
        };
        write!(f, "{:<6} {status:>3} {kind:<8} {}", self.method, self.url)
    }
}

/// Query parameters whose values are credentials or one-time values: never shown.
const SECRET_PARAMS: &[&str] = &[
    "code",
    "state",
    "nonce",
    "token",
    "id_token",
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
    "session_state",
    "code_verifier",
    "id_token_hint",
    // Keycloak's login form: its session's one-time code, and per-login ids (they change every run).
    "session_code",
    "execution",
    "tab_id",
    "client_data",
];

/// `scheme://host/path?query` with the port dropped (it changes every run) and secret parameters replaced — also
/// inside parameters that carry a URL or a query of their own (`next`, `redirect_uri`, the flow executor's
/// `query`). Values are shown decoded, for reading.
pub fn redact_url(url: &url::Url) -> String {
    let mut out = match url.host_str() {
        Some(h) => format!("{}://{h}{}", url.scheme(), url.path()),
        None => url
            .as_str()
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_owned(),
    };
    if let Some(q) = url.query() {
        out.push('?');
        out.push_str(&redact_query(q, 0));
    }
    out
}

fn redact_query(query: &str, depth: usize) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            if SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()) {
                format!("{k}=[{k}]")
            } else {
                format!("{k}={}", redact_value(&v, depth + 1))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A parameter's value: a URL, a path with a query, or a query, redacted in turn (a few levels deep).
fn redact_value(v: &str, depth: usize) -> String {
    if depth > 3 {
        return v.to_owned();
    }
    if (v.starts_with("http://") || v.starts_with("https://"))
        && let Ok(u) = url::Url::parse(v)
    {
        return redact_url(&u);
    }
    match v.split_once('?') {
        Some((path, q)) if v.starts_with('/') => format!("{path}?{}", redact_query(q, depth)),
        None if v.contains('=') => redact_query(v, depth),
        _ => v.to_owned(),
    }
}

/// The browser's requests so far, fed event by event.
#[derive(Debug, Default)]
pub struct Hops {
    hops: Vec<Hop>,
    /// Request id → index of its latest hop (a redirect reuses the id).
    latest: HashMap<String, usize>,
    /// Requests of any kind that decide when a page is loaded (documents, scripts, styles, fetch/XHR) not yet
    /// finished or failed: request id → `kind redacted-URL`, the evidence of a page that never settles.
    in_flight: HashMap<String, String>,
}

/// Resource types whose loading the observer waits for. Others (favicons, pings, event streams, web sockets)
/// may stay open or never matter.
const AWAITED: &[&str] = &["Document", "Script", "Stylesheet", "XHR", "Fetch"];

impl Hops {
    /// One entry of chromedriver's performance log (`{"message": "{\"message\":{method, params}}"}`) or the
    /// inner `{method, params}` itself. Anything else is ignored.
    pub fn feed_log_entry(&mut self, entry: &Value) {
        let inner = match entry.get("message") {
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
            _ => entry.clone(),
        };
        let event = inner.get("message").unwrap_or(&inner);
        if let (Some(method), Some(params)) = (
            event.get("method").and_then(Value::as_str),
            event.get("params"),
        ) {
            self.feed(method, params);
        }
    }

    /// One DevTools event.
    pub fn feed(&mut self, method: &str, p: &Value) {
        let id = p["requestId"].as_str().unwrap_or_default().to_owned();
        let kind = p["type"].as_str().unwrap_or_default();
        match method {
            "Network.requestWillBeSent" => {
                if let Some(status) = p["redirectResponse"]["status"].as_u64()
                    && let Some(&i) = self.latest.get(&id)
                {
                    self.hops[i].status = Some(status as u16);
                }
                let url = p["request"]["url"].as_str().unwrap_or_default();
                // Only the web's own requests: Chromium's internal pages (chrome://, e.g. the password manager's
                // bubble after a form with a password) send events of their own that never finish.
                let web = url.starts_with("http://") || url.starts_with("https://");
                // A new navigation ends the page before it: what that page still loaded (a fetch whose answer it
                // never read, because its script navigated on) reports no end of its own.
                if kind == "Document" && p["redirectResponse"].is_null() {
                    self.in_flight.clear();
                }
                if web && AWAITED.contains(&kind) {
                    let shown =
                        url::Url::parse(url).map_or_else(|_| String::new(), |u| redact_url(&u));
                    self.in_flight.insert(id.clone(), format!("{kind} {shown}"));
                }
                let hop_kind = match kind {
                    "Document" => Kind::Document,
                    "Fetch" => Kind::Fetch,
                    "XHR" => Kind::Xhr,
                    _ => return,
                };
                let Ok(url) = url::Url::parse(p["request"]["url"].as_str().unwrap_or_default())
                else {
                    return;
                };
                if !matches!(url.scheme(), "http" | "https") {
                    return;
                }
                self.latest.insert(id, self.hops.len());
                self.hops.push(Hop {
                    method: p["request"]["method"].as_str().unwrap_or("GET").to_owned(),
                    url: redact_url(&url),
                    status: None,
                    kind: hop_kind,
                    error: None,
                    host: url.host_str().unwrap_or_default().to_owned(),
                    path: url.path().to_owned(),
                });
            }
            "Network.responseReceived" => {
                if let (Some(&i), Some(status)) =
                    (self.latest.get(&id), p["response"]["status"].as_u64())
                {
                    self.hops[i].status = Some(status as u16);
                }
            }
            "Network.loadingFinished" => {
                self.in_flight.remove(&id);
            }
            "Network.loadingFailed" => {
                self.in_flight.remove(&id);
                if let Some(&i) = self.latest.get(&id)
                    && self.hops[i].status.is_none()
                {
                    self.hops[i].error = p["errorText"].as_str().map(str::to_owned);
                }
            }
            _ => {}
        }
    }

    pub fn all(&self) -> &[Hop] {
        &self.hops
    }

    pub fn into_vec(self) -> Vec<Hop> {
        self.hops
    }

    /// Whether a page is still loading something it waits for.
    pub fn busy(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// What is still loading, redacted (the evidence of a page that never settles).
    pub fn loading(&self) -> Vec<String> {
        let mut v: Vec<String> = self.in_flight.values().cloned().collect();
        v.sort();
        v
    }

    /// The latest document navigation (the page the browser shows, or is about to).
    pub fn last_document(&self) -> Option<&Hop> {
        self.hops.iter().rev().find(|h| h.kind == Kind::Document)
    }

    /// The page's fetch/XHR calls to `path` since the latest document navigation.
    pub fn calls_since_document(&self, path: &str) -> impl Iterator<Item = &Hop> {
        let start = self
            .hops
            .iter()
            .rposition(|h| h.kind == Kind::Document)
            .map_or(0, |i| i + 1);
        self.hops[start..]
            .iter()
            .filter(move |h| h.kind != Kind::Document && h.path == path)
    }

    /// A loop, in words, once the browser has gone round: from Dashboards to the IdP `ROUNDS` times (by HTTP or by
    /// script), or to the same document `VISITS` times.
    pub fn redirect_loop(&self, dashboards_host: &str, idp_host: &str) -> Option<String> {
        let documents: Vec<&Hop> = self
            .hops
            .iter()
            .filter(|h| h.kind == Kind::Document)
            .collect();
        // Counted up to the hop that completes the loop, so the words do not depend on when they were read.
        let mut rounds = 0;
        let mut visits: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, d) in documents.iter().enumerate() {
            if i > 0 && documents[i - 1].host == dashboards_host && d.host == idp_host {
                rounds += 1;
                if rounds >= ROUNDS {
                    return Some(format!(
                        "Dashboards ⇄ IdP {rounds} times in {} document hops",
                        i + 1
                    ));
                }
            }
            let n = visits.entry((&d.host, &d.path)).or_default();
            *n += 1;
            if *n >= VISITS {
                return Some(format!(
                    "{}{} loaded {n} times in {} document hops",
                    d.host,
                    d.path,
                    i + 1
                ));
            }
        }
        None
    }
}

/// A first login goes to the IdP once; a retry after an error page, twice at most.
pub const ROUNDS: usize = 3;
/// A login passes a page at most twice (the login page before and after an error); more is going round.
pub const VISITS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(h: &mut Hops, id: &str, kind: &str, url: &str, redirect: Option<u16>) {
        let mut p =
            json!({"requestId": id, "type": kind, "request": {"url": url, "method": "GET"}});
        if let Some(s) = redirect {
            p["redirectResponse"] = json!({ "status": s });
        }
        h.feed("Network.requestWillBeSent", &p);
    }

    fn answered(h: &mut Hops, id: &str, status: u16) {
        h.feed(
            "Network.responseReceived",
            &json!({"requestId": id, "response": {"status": status}}),
        );
        h.feed("Network.loadingFinished", &json!({"requestId": id}));
    }

    #[test]
    fn redirects_are_hops_of_their_own_with_the_status_they_answered() {
        let mut h = Hops::default();
        sent(
            &mut h,
            "1",
            "Document",
            "https://d.sso.test:4443/app/home",
            None,
        );
        sent(
            &mut h,
            "1",
            "Document",
            "https://d.sso.test:4443/auth/openid/login?nextUrl=%2Fapp%2Fhome",
            Some(302),
        );
        sent(
            &mut h,
            "1",
            "Document",
            "https://idp.sso.test:4443/application/o/authorize/?client_id=c&state=s3cr3t&nonce=n",
            Some(302),
        );
        assert!(h.busy());
        answered(&mut h, "1", 200);
        assert!(!h.busy());
        let shown: Vec<String> = h.all().iter().map(|x| x.to_string()).collect();
        assert_eq!(
            shown,
            [
                "GET    302 document https://d.sso.test/app/home",
                "GET    302 document https://d.sso.test/auth/openid/login?nextUrl=/app/home",
                "GET    200 document https://idp.sso.test/application/o/authorize/?client_id=c&state=[state]&nonce=[nonce]",
            ]
        );
    }

    #[test]
    fn secrets_nested_in_parameters_are_redacted_too() {
        let u = url::Url::parse(
            "https://idp.sso.test:4443/api/v3/flows/executor/x/?query=client_id%3Dc%26state%3Dabc123%26redirect_uri%3Dhttps%253A%252F%252Fd.sso.test%253A4443%252Fcb%26next%3D%252Fapplication%252Fo%252Fauthorize%252F%253Fstate%253Dabc123",
        )
        .unwrap();
        let shown = redact_url(&u);
        assert!(
            !shown.contains("abc123") && !shown.contains("4443"),
            "{shown}"
        );
        assert_eq!(
            shown,
            "https://idp.sso.test/api/v3/flows/executor/x/?query=client_id=c&state=[state]&redirect_uri=https://d.sso.test/cb&next=/application/o/authorize/?state=[state]"
        );
    }

    #[test]
    fn the_log_entry_wrapping_of_chromedriver_is_unwrapped() {
        let mut h = Hops::default();
        let inner = json!({"message": {"method": "Network.requestWillBeSent", "params": {
            "requestId": "7", "type": "Fetch", "request": {"url": "https://d.sso.test/api/v1/configuration/account", "method": "GET"}}}, "webview": "x"});
        h.feed_log_entry(&json!({"level": "INFO", "message": inner.to_string()}));
        assert_eq!(h.all().len(), 1);
        assert_eq!(h.all()[0].kind, Kind::Fetch);
        assert_eq!(
            h.calls_since_document("/api/v1/configuration/account")
                .count(),
            1
        );
    }

    #[test]
    fn failures_keep_the_browsers_words_and_scripts_keep_the_page_busy() {
        let mut h = Hops::default();
        sent(&mut h, "1", "Document", "https://d.sso.test/app/home", None);
        h.feed(
            "Network.loadingFailed",
            &json!({"requestId": "1", "errorText": "net::ERR_TOO_MANY_REDIRECTS"}),
        );
        assert_eq!(
            h.last_document().unwrap().error.as_deref(),
            Some("net::ERR_TOO_MANY_REDIRECTS")
        );
        sent(
            &mut h,
            "2",
            "Script",
            "https://d.sso.test:4443/bundle.js?token=t0k3n",
            None,
        );
        assert!(h.busy(), "a script still loading keeps the page busy");
        assert_eq!(
            h.loading(),
            ["Script https://d.sso.test/bundle.js?token=[token]"]
        );
        assert_eq!(h.all().len(), 1, "but is not a hop");
        answered(&mut h, "2", 200);
        assert!(!h.busy());
        sent(
            &mut h,
            "3",
            "Script",
            "chrome://resources/js/parse_html_subset.js",
            None,
        );
        assert!(
            !h.busy(),
            "Chromium's own pages are not the web page's loading"
        );
        sent(&mut h, "4", "Fetch", "https://d.sso.test/auth/login", None);
        sent(&mut h, "5", "Document", "https://d.sso.test/app/home", None);
        answered(&mut h, "5", 200);
        assert!(
            !h.busy(),
            "a new page ends what the page before it still loaded"
        );
    }

    #[test]
    fn going_round_through_a_script_page_is_a_loop() {
        let mut h = Hops::default();
        for round in 0..ROUNDS {
            let id = |n: usize| format!("{round}-{n}");
            sent(
                &mut h,
                &id(0),
                "Document",
                "https://d.sso.test/auth/openid/captureUrlFragment?nextUrl=%2F",
                None,
            );
            answered(&mut h, &id(0), 200);
            assert!(h.redirect_loop("d.sso.test", "idp.sso.test").is_none() || round + 1 == ROUNDS);
            sent(
                &mut h,
                &id(1),
                "Document",
                "https://idp.sso.test/application/o/authorize/?state=x",
                None,
            );
            sent(
                &mut h,
                &id(1),
                "Document",
                "https://d.sso.test/auth/openid/login?code=c&state=x",
                Some(302),
            );
            answered(&mut h, &id(1), 302);
        }
        let why = h
            .redirect_loop("d.sso.test", "idp.sso.test")
            .expect("a loop");
        assert!(why.starts_with("Dashboards ⇄ IdP 3 times"), "{why}");
    }

    #[test]
    fn one_login_with_a_retry_is_no_loop() {
        let mut h = Hops::default();
        for (i, url) in [
            "https://d.sso.test/app/home",
            "https://d.sso.test/app/login",
            "https://d.sso.test/app/login",
            "https://idp.sso.test/if/flow/default-authentication-flow/",
            "https://d.sso.test/auth/openid/login?code=c",
            "https://d.sso.test/app/home",
        ]
        .iter()
        .enumerate()
        {
            sent(&mut h, &i.to_string(), "Document", url, None);
            answered(&mut h, &i.to_string(), 200);
        }
        assert_eq!(h.redirect_loop("d.sso.test", "idp.sso.test"), None);
    }

    #[test]
    fn a_page_loaded_again_and_again_is_a_loop_without_the_idp() {
        let mut h = Hops::default();
        for i in 0..VISITS {
            sent(
                &mut h,
                &i.to_string(),
                "Document",
                "https://d.sso.test/app/login",
                None,
            );
        }
        assert!(h.redirect_loop("d.sso.test", "idp.sso.test").is_some());
    }
}
