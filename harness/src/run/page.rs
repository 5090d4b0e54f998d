//! The page a login step ends on, read: the one script's answer (`Page`) and the hops → `State` — an outcome from
//! status and content, Dashboards' login page, the IdP's stage, or pending and why. Pure.

use serde::Deserialize;
use serde_json::Value;

use super::hops::{self, Hops};
use crate::scenario::Outcome;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
