//! What a case did, in words that can be compared and snapshotted. Pure: classification of the browser's end
//! state, the token's shape, log normalisation.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::hops::{self, Hop, Hops};
use crate::redact::Redactor;
use crate::scenario::{Outcome, TokenFormat};

/// Everything observed in one case. Volatile values (codes, ports, times) are already normalised away. Read back
/// from `results.json` too (`run::results`): a member a report lacks is empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Observation {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::results::observed_outcome"
    )]
    pub login: Option<Outcome>,
    /// Why the outcome was chosen, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authinfo: Option<Authinfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenShape>,
    pub opensearch_log: Vec<String>,
    pub dashboards_log: Vec<String>,
    /// The login's requests as the browser's network panel shows them: in every case of `results.json` (empty
    /// when no login ran), never in snapshots (how many hops a loop makes before it is called depends on timing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hops: Option<Vec<Hop>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Authinfo {
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl Authinfo {
    pub fn from_response(status: u16, body: &str) -> Authinfo {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let list = |k: &str| {
            v.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
        };
        Authinfo {
            status,
            user_name: v
                .get("user_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            backend_roles: list("backend_roles"),
            roles: list("roles"),
        }
    }
}

/// A token's shape: never its values.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TokenShape {
    pub format: TokenFormat,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default)]
    pub kid_present: bool,
    /// Claim names of a JWS (a JWE's claims are not readable to its receiver).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
}

pub fn token_shape(token: &str) -> TokenShape {
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |p: &str| -> Value {
        URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    };
    let header = decode(parts[0]);
    let text = |k: &str| header.get(k).and_then(Value::as_str).map(str::to_owned);
    let format = if parts.len() == 5 {
        TokenFormat::Jwe
    } else {
        TokenFormat::Jws
    };
    let claims = match (format, parts.get(1)) {
        (TokenFormat::Jws, Some(p)) => decode(p)
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    TokenShape {
        format,
        alg: text("alg"),
        enc: text("enc"),
        kid_present: header.get("kid").is_some(),
        claims,
    }
}

/// What the page showed once the network had gone quiet, read by one script in the browser
/// (`run::login::PROBE`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Page {
    pub url: String,
    pub ready_state: String,
    pub content_type: String,
    /// The body's text (the first few thousand characters).
    pub text: String,
    /// Dashboards' login page: the basic form, the SSO button, the error call-out.
    pub login_form: bool,
    pub sso_button: bool,
    pub login_error: Option<String>,
    /// Dashboards' chrome (`headerGlobalNav`): the app rendered.
    pub app_chrome: bool,
    /// The IdP's flow executor: the stage it rendered, and the error the stage shows.
    pub flow_stage: Option<String>,
    pub flow_error: Option<String>,
}

/// The two hosts the browser goes between.
#[derive(Clone, Copy, Debug)]
pub struct Hosts<'a> {
    pub dashboards: &'a str,
    pub idp: &'a str,
}

/// What the observer makes of the browser at one moment.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// The login ended: an outcome and why, in words.
    Decided(Outcome, String),
    /// Dashboards' login page, ready for input.
    LoginPage {
        form: bool,
        sso: bool,
        error: Option<String>,
    },
    /// The IdP's flow page with a stage rendered.
    IdpFlow {
        stage: String,
        error: Option<String>,
    },
    /// Nothing decisive yet: why (the evidence when it stays so).
    Pending(String),
}

/// The path of the account API Dashboards' app calls once its bundle has loaded (`account-app.tsx`).
pub const ACCOUNT_API: &str = "/api/v1/configuration/account";

/// The browser's state from the page and the hops (the outcome table of the scenario format, "sharpened" in
/// v1.1): an outcome only on a decisive signal — a loop counted from the hops, an error document with its status
/// and words, the Missing Role page, the app rendered with its account API answered — never from a URL alone.
pub fn read_state(page: &Page, hops: &Hops, hosts: Hosts) -> State {
    if let Some(why) = hops.redirect_loop(hosts.dashboards, hosts.idp) {
        return State::Decided(Outcome::RedirectLoop, why);
    }
    let doc = hops.last_document();
    let failed = doc.and_then(|d| d.error.as_deref().filter(|_| d.status.is_none()));
    if page.text.contains("ERR_TOO_MANY_REDIRECTS")
        || page.text.contains("redirected you too many times")
        || failed.is_some_and(|e| e.contains("ERR_TOO_MANY_REDIRECTS"))
    {
        return State::Decided(
            Outcome::RedirectLoop,
            "the browser gave up: too many redirects".into(),
        );
    }
    let Ok(url) = url::Url::parse(&page.url) else {
        return State::Pending(format!("no page yet ({})", page.url));
    };
    if url.scheme() == "chrome-error" {
        // An error status with an empty body: Chromium shows a page of its own ("HTTP ERROR 502") where the
        // component's would be. Read it as that document with no words of its own.
        if let Some(d) = doc.filter(|d| d.status.is_some_and(|s| s >= 400))
            && let Ok(at) = url::Url::parse(&format!("https://{}{}", d.host, d.path))
        {
            let empty = Page {
                url: at.to_string(),
                text: String::new(),
                ..page.clone()
            };
            return read_state(&empty, hops, hosts);
        }
        // Superseded navigations fail as ERR_ABORTED; anything else is the browser's own error page.
        return match failed {
            Some(e) if !e.contains("ERR_ABORTED") => State::Decided(
                Outcome::Unavailable,
                format!("{e} at {}", doc.map_or("?", |d| d.url.as_str())),
            ),
            _ => State::Pending(format!(
                "the browser's error page: {}",
                first_line(&page.text)
            )),
        };
    }
    if page.ready_state != "complete" {
        return State::Pending(format!("{} still loading", url.path()));
    }
    // The status of the document shown, when the latest navigation is that document.
    let status = doc
        .filter(|d| d.path == url.path() && Some(d.host.as_str()) == url.host_str())
        .and_then(|d| d.status);
    let path = url.path();
    match url.host_str() {
        Some(h) if h == hosts.idp => idp_state(page, path, status),
        Some(h) if h == hosts.dashboards => dashboards_state(page, hops, path, status),
        _ => State::Decided(
            Outcome::Unavailable,
            format!("on an unexpected page {}", hops::redact_url(&url)),
        ),
    }
}

fn idp_state(page: &Page, path: &str, status: Option<u16>) -> State {
    if let Some(stage) = &page.flow_stage {
        return State::IdpFlow {
            stage: stage.clone(),
            error: page.flow_error.clone(),
        };
    }
    if path.starts_with("/if/flow/") && status.is_none_or(|s| s < 400) {
        return State::Pending("the IdP's flow page before its stage rendered".into());
    }
    let status = status.map_or_else(String::new, |s| format!(" ({s})"));
    State::Decided(
        Outcome::IdpError,
        format!("stopped at the IdP{status}: {}", first_line(&page.text)),
    )
}

fn dashboards_state(page: &Page, hops: &Hops, path: &str, status: Option<u16>) -> State {
    let json: Option<Value> = page
        .content_type
        .contains("json")
        .then(|| serde_json::from_str(page.text.trim()).ok())
        .flatten();
    let json_status = json
        .as_ref()
        .and_then(|j| j["statusCode"].as_u64())
        .map(|s| s as u16);
    if let Some(code) = json_status.or(status).filter(|s| *s >= 400) {
        let words = match &json {
            Some(j) => [&j["error"], &j["message"]]
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(": "),
            None => first_line(&page.text),
        };
        return match code {
            401 if json.is_some() => {
                State::Decided(Outcome::Unauthorized, format!("401 JSON at {path}"))
            }
            401 => State::Decided(Outcome::Unauthorized, format!("401 at {path}: {words}")),
            503 => State::Decided(Outcome::Unavailable, format!("503 at {path}: {words}")),
            _ => State::Decided(
                Outcome::Unavailable,
                format!("HTTP {code} where the app should be ({path}): {words}"),
            ),
        };
    }
    if page.text.contains("server is not ready yet") {
        return State::Decided(Outcome::Unavailable, format!("not ready at {path}"));
    }
    if path == "/app/customerror/missing-role" {
        return if page.text.contains("Missing Role") {
            State::Decided(
                Outcome::MissingRole,
                "Missing Role page (mapped roles empty)".into(),
            )
        } else {
            State::Pending("the Missing Role page before it rendered".into())
        };
    }
    if path.starts_with("/app/login") {
        return if page.login_form || page.sso_button {
            State::LoginPage {
                form: page.login_form,
                sso: page.sso_button,
                error: page.login_error.clone(),
            }
        } else {
            State::Pending("the login page before its form rendered".into())
        };
    }
    if path.starts_with("/app/") || path.starts_with("/goto/") {
        let account = hops.calls_since_document(ACCOUNT_API).last();
        return match (account.and_then(|a| a.status), page.app_chrome) {
            (Some(200), true) => State::Decided(
                Outcome::Success,
                format!("the app at {path}: rendered, account API 200"),
            ),
            (Some(200), false) => {
                State::Pending(format!("the app at {path}: account API 200, not rendered"))
            }
            (Some(s), _) => State::Pending(format!("the app at {path}: account API answered {s}")),
            (None, _) => {
                State::Pending(format!("the app at {path} before its account API answered"))
            }
        };
    }
    State::Pending(format!("on {path}"))
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(l) if l.chars().count() > 200 => {
            format!("{}…", l.chars().take(200).collect::<String>())
        }
        Some(l) => l.to_owned(),
        None => "(empty body)".to_owned(),
    }
}

/// The URL's path and query with what changes every run replaced: ports, and codes, states and other secret
/// parameters also where a parameter carries a URL of its own (`hops::redact_url`, without the origin).
pub fn normalise_url(url: &url::Url) -> String {
    let full = hops::redact_url(url);
    match url.host_str() {
        Some(h) => full
            .strip_prefix(&format!("{}://{h}", url.scheme()))
            .unwrap_or(&full)
            .to_owned(),
        None => full,
    }
}

static TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[\d{4}-\d\d-\d\dT[\d:,.]+\]").expect("regex"));
static NODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[harness-node\] ").expect("regex"));
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b").expect("regex"));
static PORT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.sso\.test:\d+").expect("regex"));
/// An authorization code or state in a logged URL (Caddy's access log): one-time values, but credentials while fresh.
static CODE_OR_STATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([?&](code|state)=)[^&\s\x22]+").expect("regex"));
static HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[0-9a-f]{32,}\b").expect("regex"));
static SECURITY_LOGGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\]\[(TRACE|DEBUG|INFO |WARN |ERROR)\]\[(o\.o\.s|c\.a\.d)\.").expect("regex")
});

/// The security plugin's lines of a node log slice, with times, addresses, ports and hashes normalised and
/// secrets redacted (its TRACE lines carry raw tokens). Exception messages under a kept line are kept; stack
/// frames are not.
pub fn opensearch_lines(lines: &[String], redactor: &Redactor) -> Vec<String> {
    let mut out = Vec::new();
    let mut keeping = false;
    for line in lines {
        if line.starts_with('[') {
            keeping = SECURITY_LOGGER.is_match(line);
        } else if !keeping
            || line.trim_start().starts_with("at ")
            || line.trim_start().starts_with("...")
        {
            continue;
        }
        if keeping {
            out.push(normalise_line(line, redactor));
        }
    }
    out
}

impl Observation {
    /// The observation as snapshots keep it: log entries (a line and the exception lines under it) sorted, since
    /// the plugin logs from several threads and their order varies between runs; the case folder keeps the order.
    /// In a loop, how many rounds the browser made before it was stopped depends on timing: each entry is kept once,
    /// and the URL it happened to be on is left out.
    pub fn for_snapshot(&self) -> Observation {
        let looped = self.login == Some(Outcome::RedirectLoop);
        let entries = |lines: &[String]| {
            let mut e = sorted_entries(lines);
            if looped {
                e.dedup();
            }
            e.concat()
        };
        Observation {
            opensearch_log: entries(&self.opensearch_log),
            dashboards_log: entries(&self.dashboards_log),
            final_url: if looped { None } else { self.final_url.clone() },
            hops: None,
            ..self.clone()
        }
    }
}

fn sorted_entries(lines: &[String]) -> Vec<Vec<String>> {
    let mut entries: Vec<Vec<String>> = Vec::new();
    for line in lines {
        match entries.last_mut() {
            Some(e) if !line.starts_with('[') => e.push(line.clone()),
            _ => entries.push(vec![line.clone()]),
        }
    }
    entries.sort();
    entries
}

/// One log line normalised and redacted.
pub fn normalise_line(line: &str, redactor: &Redactor) -> String {
    let l = CODE_OR_STATE.replace_all(line, "$1[$2]");
    let l = TIMESTAMP.replace(&l, "");
    let l = NODE.replace(&l, "");
    let l = redactor.redact(&l);
    let l = PORT.replace_all(&l, ".sso.test:[port]");
    let l = ADDRESS.replace_all(&l, "[ip]");
    HEX.replace_all(&l, "[hash]").trim().to_owned()
}

/// A line of the real Dashboards' log (JSON, one object a line, as its container writes it) in the stand-in's form,
/// `[level][tag…] message`; `None` for lines that are not its security plugin's.
pub fn dashboards_json_line(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let tags: Vec<&str> = v["tags"]
        .as_array()?
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    if !tags.contains(&"securityDashboards") {
        return None;
    }
    let tags: String = tags.iter().map(|t| format!("[{t}]")).collect();
    Some(format!("{tags} {}", v["message"].as_str()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_states_in_logged_urls_are_redacted() {
        let r = Redactor::new(Vec::new());
        let line = r#"{"uri":"/auth/openid/login?code=Zm9vYmFy-xyz_1&state=oP0kU8XiIw5Ul5q8Mnj5v1","x":1}"#;
        assert_eq!(
            normalise_line(line, &r),
            r#"{"uri":"/auth/openid/login?code=[code]&state=[state]","x":1}"#
        );
    }

    #[test]
    fn the_real_dashboards_json_log_reads_like_the_stand_ins() {
        let line = r#"{"type":"log","@timestamp":"2026-11-28T10:00:00Z","tags":["error","plugins","securityDashboards"],"pid":7,"message":"OpenId authentication failed: Error: Authentication Exception"}"#;
        assert_eq!(
            dashboards_json_line(line).as_deref(),
            Some(
                "[error][plugins][securityDashboards] OpenId authentication failed: Error: Authentication Exception"
            )
        );
        let other =
            r#"{"type":"log","tags":["info","http","server"],"message":"http server running"}"#;
        assert_eq!(dashboards_json_line(other), None);
        assert_eq!(dashboards_json_line("not json"), None);
    }

    const HOSTS: Hosts = Hosts {
        dashboards: "d.sso.test",
        idp: "idp.sso.test",
    };

    /// Hops of documents (url, status) then calls (path, status) after the last one.
    fn hops(documents: &[(&str, u16)], calls: &[(&str, u16)]) -> Hops {
        let mut h = Hops::default();
        let mut id = 0;
        let mut send = |h: &mut Hops, kind: &str, url: &str, status: u16| {
            id += 1;
            let id = id.to_string();
            h.feed(
                "Network.requestWillBeSent",
                &serde_json::json!({"requestId": id, "type": kind, "request": {"url": url, "method": "GET"}}),
            );
            h.feed(
                "Network.responseReceived",
                &serde_json::json!({"requestId": id, "response": {"status": status}}),
            );
            h.feed(
                "Network.loadingFinished",
                &serde_json::json!({"requestId": id}),
            );
        };
        for (url, status) in documents {
            send(&mut h, "Document", url, *status);
        }
        for (path, status) in calls {
            send(
                &mut h,
                "Fetch",
                &format!("https://d.sso.test{path}"),
                *status,
            );
        }
        h
    }

    fn page(url: &str, content_type: &str, text: &str) -> Page {
        Page {
            url: url.into(),
            ready_state: "complete".into(),
            content_type: content_type.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    fn outcome(state: State) -> Option<Outcome> {
        match state {
            State::Decided(o, _) => Some(o),
            _ => None,
        }
    }

    #[test]
    fn success_needs_the_app_rendered_and_its_account_api_answered() {
        let home = "https://d.sso.test/app/home";
        let mut p = page(home, "text/html", "Home");
        let before = hops(&[(home, 200)], &[]);
        assert!(matches!(read_state(&p, &before, HOSTS), State::Pending(_)));
        let answered = hops(&[(home, 200)], &[(ACCOUNT_API, 200)]);
        assert!(
            matches!(read_state(&p, &answered, HOSTS), State::Pending(_)),
            "not rendered yet"
        );
        p.app_chrome = true;
        assert_eq!(
            outcome(read_state(&p, &answered, HOSTS)),
            Some(Outcome::Success)
        );
        let refused = hops(&[(home, 200)], &[(ACCOUNT_API, 401)]);
        assert!(matches!(read_state(&p, &refused, HOSTS), State::Pending(_)));
    }

    #[test]
    fn an_error_page_where_the_app_should_be_is_unavailable_with_its_words() {
        let home = "https://d.sso.test/app/home";
        for (status, ct, body, detail) in [
            (
                500,
                "application/json",
                r#"{"statusCode":500,"error":"Internal Server Error","message":"An internal server error occurred."}"#,
                "HTTP 500 where the app should be (/app/home): Internal Server Error: An internal server error occurred.",
            ),
            (
                404,
                "application/json",
                r#"{"statusCode":404,"error":"Not Found","message":"Not Found"}"#,
                "HTTP 404 where the app should be (/app/home): Not Found: Not Found",
            ),
            (
                400,
                "application/json",
                r#"{"statusCode":400,"error":"Bad Request","message":"No available tenant"}"#,
                "HTTP 400 where the app should be (/app/home): Bad Request: No available tenant",
            ),
            (
                502,
                "text/html",
                "",
                "HTTP 502 where the app should be (/app/home): (empty body)",
            ),
            (
                503,
                "text/html",
                "OpenSearch Dashboards server is not ready yet",
                "503 at /app/home: OpenSearch Dashboards server is not ready yet",
            ),
        ] {
            let mut p = page(home, ct, body);
            p.app_chrome = true;
            let h = hops(&[(home, status)], &[(ACCOUNT_API, 200)]);
            assert_eq!(
                read_state(&p, &h, HOSTS),
                State::Decided(Outcome::Unavailable, detail.into()),
                "{status}"
            );
        }
    }

    #[test]
    fn the_401_json_the_report_saw_is_unauthorized() {
        let at = "https://d.sso.test/auth/openid/login?code=x&state=y";
        let p = page(
            at,
            "application/json",
            r#"{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}"#,
        );
        assert_eq!(
            read_state(&p, &hops(&[(at, 401)], &[]), HOSTS),
            State::Decided(
                Outcome::Unauthorized,
                "401 JSON at /auth/openid/login".into()
            )
        );
    }

    #[test]
    fn missing_role_login_pages_and_idp_pages() {
        let mr = "https://d.sso.test/app/customerror/missing-role";
        assert_eq!(
            outcome(read_state(
                &page(mr, "text/html", "Missing Role\nNo roles"),
                &hops(&[(mr, 200)], &[]),
                HOSTS
            )),
            Some(Outcome::MissingRole)
        );
        let login = "https://d.sso.test/app/login?nextUrl=%2Fapp%2Fhome";
        let mut p = page(login, "text/html", "Log in");
        assert!(matches!(
            read_state(&p, &hops(&[(login, 200)], &[]), HOSTS),
            State::Pending(_)
        ));
        p.login_form = true;
        p.login_error = Some("Invalid username or password. Please try again.".into());
        assert_eq!(
            read_state(&p, &hops(&[(login, 200)], &[]), HOSTS),
            State::LoginPage {
                form: true,
                sso: false,
                error: p.login_error.clone()
            }
        );
        let flow = "https://idp.sso.test/if/flow/default-authentication-flow/?next=x";
        let mut p = page(flow, "text/html", "");
        assert!(matches!(
            read_state(&p, &hops(&[(flow, 200)], &[]), HOSTS),
            State::Pending(_)
        ));
        p.flow_stage = Some("ak-stage-identification".into());
        assert!(matches!(
            read_state(&p, &hops(&[(flow, 200)], &[]), HOSTS),
            State::IdpFlow { .. }
        ));
        let authorize = "https://idp.sso.test/application/o/authorize/?client_id=x";
        assert_eq!(
            read_state(
                &page(authorize, "text/html", "\nRedirect URI Error\nmore"),
                &hops(&[(authorize, 400)], &[]),
                HOSTS
            ),
            State::Decided(
                Outcome::IdpError,
                "stopped at the IdP (400): Redirect URI Error".into()
            )
        );
    }

    #[test]
    fn loops_are_called_from_the_hops_and_from_the_browsers_give_up() {
        let round = [
            (
                "https://d.sso.test/auth/openid/captureUrlFragment?nextUrl=%2F",
                200,
            ),
            ("https://idp.sso.test/application/o/authorize/?x=1", 302),
            ("https://d.sso.test/auth/openid/login?code=c&state=s", 302),
        ];
        let docs: Vec<(&str, u16)> = round
            .iter()
            .cycle()
            .take(3 * round.len())
            .copied()
            .collect();
        let p = page(round[0].0, "text/html", "");
        assert_eq!(
            outcome(read_state(&p, &hops(&docs, &[]), HOSTS)),
            Some(Outcome::RedirectLoop)
        );
        let gave_up = page(
            "chrome-error://chromewebdata/",
            "text/html",
            "ERR_TOO_MANY_REDIRECTS",
        );
        assert_eq!(
            outcome(read_state(&gave_up, &hops(&[], &[]), HOSTS)),
            Some(Outcome::RedirectLoop)
        );
    }

    #[test]
    fn urls_lose_their_code_state_and_ports_also_inside_parameters() {
        let u = url::Url::parse("https://idp.sso.test:4321/if/flow/x/?redirect_uri=https://d.sso.test:4321/cb&next=%2Fapplication%2Fo%2Fauthorize%2F%3Fstate%3Dabc%26redirect_uri%3Dhttps%253A%252F%252Fd.sso.test%253A4321%252Fcb")
            .unwrap();
        let n = normalise_url(&u);
        assert!(!n.contains("abc") && !n.contains("4321"), "{n}");
    }

    #[test]
    fn urls_lose_their_code_and_state() {
        let u = url::Url::parse("https://d.sso.test:4321/auth/openid/login?code=abc&state=def")
            .unwrap();
        assert_eq!(
            normalise_url(&u),
            "/auth/openid/login?code=[code]&state=[state]"
        );
    }

    #[test]
    fn log_slices_keep_security_lines_normalised_and_redacted() {
        let r = Redactor::new([("client_secret".to_owned(), "s3cr3tvalue".to_owned())]);
        let lines: Vec<String> = [
            "[2026-11-28T17:55:30,997][WARN ][o.o.s.a.BackendRegistry  ] [harness-node] Authentication finally failed for null from 127.0.0.1:49874",
            "[2026-11-28T17:55:30,998][INFO ][o.o.c.m.MetadataIndexTemplateService] [harness-node] noise",
            "[2026-11-28T17:55:30,999][TRACE][c.a.d.a.h.j.HTTPJwtAuthenticator] [harness-node] Extracting JWT token from eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln failed s3cr3tvalue",
            "java.text.ParseException: Unexpected number of Base64URL parts, must be three",
            "\tat com.nimbusds.jwt.JWTParser.parse(JWTParser.java:1)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            opensearch_lines(&lines, &r),
            [
                "[WARN ][o.o.s.a.BackendRegistry  ] Authentication finally failed for null from [ip]",
                "[TRACE][c.a.d.a.h.j.HTTPJwtAuthenticator] Extracting JWT token from [token] failed [client_secret]",
                "java.text.ParseException: Unexpected number of Base64URL parts, must be three",
            ]
        );
    }

    #[test]
    fn snapshots_sort_log_entries_and_keep_exception_lines_under_theirs() {
        let o = Observation {
            opensearch_log: ["[WARN ] b", "[INFO ] a", "Caused by: x"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        assert_eq!(
            o.for_snapshot().opensearch_log,
            ["[INFO ] a", "Caused by: x", "[WARN ] b"]
        );
        let looped = Observation {
            login: Some(Outcome::RedirectLoop),
            final_url: Some("/auth/openid/login".into()),
            dashboards_log: ["[error] failed", "[debug] again", "[error] failed"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        }
        .for_snapshot();
        assert_eq!(looped.dashboards_log, ["[debug] again", "[error] failed"]);
        assert_eq!(looped.final_url, None);
    }

    #[test]
    fn token_shapes_name_claims_never_values() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(r#"{"iss":"x","groups":["admins"]}"#);
        let s = token_shape(&format!("{header}.{payload}.sig"));
        assert_eq!(s.format, TokenFormat::Jws);
        assert_eq!(s.claims, ["iss", "groups"]);
        assert!(s.kid_present);
        let jwe_header = URL_SAFE_NO_PAD
            .encode(r#"{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512","typ":"JWE","kid":"k"}"#);
        let s = token_shape(&format!("{jwe_header}.a.b.c.d"));
        assert_eq!(
            (s.format, s.enc.as_deref()),
            (TokenFormat::Jwe, Some("A256CBC-HS512"))
        );
        assert!(s.claims.is_empty());
    }
}
