//! Running cases on a stack: apply the case, drive the steps with a real browser, observe, judge, write the case's
//! folder. The pure parts are `observe` and `judge`.

pub mod judge;
pub mod observe;
pub mod report;
mod target;

pub use target::{StackError, Target};

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde::Serialize;

use crate::browser::{self, Browser};
use crate::redact::Redactor;
use crate::scenario::{Case, Expect, LoginMethod, Step};
use observe::{Authinfo, Observation};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Stack(#[from] StackError),
    #[error("{0}")]
    Browser(#[from] browser::BrowserError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("authinfo request: {0}")]
    Http(#[from] reqwest::Error),
}

/// Where a case's time went.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    pub config_swap_ms: u128,
    pub browser_login_ms: u128,
    pub observation_ms: u128,
}

/// One case, judged (the shape of `results.json`'s entries).
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub scenario: String,
    pub variant: Option<String>,
    pub pass: bool,
    pub duration_ms: u128,
    pub timings: Timings,
    pub expected: Expect,
    pub observed: Observation,
    pub mismatches: Vec<String>,
}

impl CaseResult {
    pub fn name(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{v}", self.scenario),
            None => self.scenario.clone(),
        }
    }
}

/// Runs `case` on the stack and writes its folder under `report`. `phase` hears which phase the case is in.
pub async fn run_case(
    stack: &mut impl Target,
    case: &Case,
    report: &Path,
    phase: &dyn Fn(&str),
) -> Result<CaseResult, RunError> {
    let begun = Instant::now();
    phase("applying the configuration");
    let files = stack.apply(case).await?;
    let config_swap = begun.elapsed();
    let node_offset = stack.opensearch_log_offset();
    let dashboards_offset = stack.dashboards_log_offset();
    let component_offsets = stack.component_logs();
    let dir = report.join(case.name().replace('/', "@"));
    std::fs::create_dir_all(&dir)?;

    phase("logging in");
    let login_started = Instant::now();
    let mut seen = Observation::default();
    let mut first_user = None;
    let mut screenshot = None;
    for step in &case.document.steps {
        match step {
            Step::Login(l) => {
                first_user.get_or_insert_with(|| l.user.clone());
                let password = match (&l.password, l.method) {
                    (Some(p), _) => p.clone(),
                    (None, LoginMethod::Openid) => stack
                        .secrets()
                        .idp_password(&case.document, &l.user)
                        .unwrap_or_default(),
                    (None, LoginMethod::Basic) => stack
                        .secrets()
                        .internal_password(&case.document, &l.user)
                        .unwrap_or_default(),
                };
                let (driver, options) = stack.browser();
                let b = Browser::open(&driver, &options).await?;
                let end = login(&b.client, stack, l.method, &l.user, &password).await?;
                let (outcome, detail) =
                    observe::classify(&end.0, &end.1, &stack.topology().hosts.idp);
                seen.login = Some(outcome);
                seen.login_detail = Some(detail);
                seen.final_url = Some(observe::normalise_url(&end.0));
                screenshot = b.client.screenshot().await.ok();
                let _ = b.close().await;
            }
            Step::Authinfo(a) => {
                let token = stack.last_id_token(&a.user).await;
                let (client, opensearch) = stack.opensearch()?;
                let mut req = client.get(format!("{opensearch}/_plugins/_security/authinfo"));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let r = req.send().await?;
                let status = r.status().as_u16();
                seen.authinfo = Some(Authinfo::from_response(status, &r.text().await?));
            }
        }
    }
    let browser_login = login_started.elapsed();

    phase("observing");
    let observed_at = Instant::now();
    seen.token = match first_user {
        Some(u) => stack
            .last_id_token(&u)
            .await
            .map(|t| observe::token_shape(&t)),
        None => None,
    };
    let redactor = Redactor::new(stack.secrets().of_case(&case.document));
    // The browser's words (an IdP error page's first line, the URL it settled on) reach result.json and
    // results.json as they are.
    seen.login_detail = seen.login_detail.map(|d| redactor.redact(&d));
    seen.final_url = seen.final_url.map(|u| redactor.redact(&u));
    // The node writes asynchronously: give its log a moment to catch up with what the case caused.
    let mut node_lines = stack.opensearch_log_since(node_offset);
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = stack.opensearch_log_since(node_offset);
        if again.len() == node_lines.len() {
            break;
        }
        node_lines = again;
    }
    seen.opensearch_log = observe::opensearch_lines(&node_lines, &redactor);
    seen.dashboards_log = stack
        .dashboards_log_since(dashboards_offset)
        .iter()
        .map(|l| observe::normalise_line(l, &redactor))
        .collect();
    let mismatches = judge::judge(&case.expect, &seen);
    let observation = observed_at.elapsed();

    let result = CaseResult {
        scenario: case.scenario.clone(),
        variant: case.variant.clone(),
        pass: mismatches.is_empty(),
        duration_ms: begun.elapsed().as_millis(),
        timings: Timings {
            config_swap_ms: config_swap.as_millis(),
            browser_login_ms: browser_login.as_millis(),
            observation_ms: observation.as_millis(),
        },
        expected: case.expect.clone(),
        observed: seen,
        mismatches,
    };
    write_case_folder(
        &dir,
        &result,
        &files,
        &redactor,
        if result.pass { None } else { screenshot },
    )?;
    for (name, offset) in component_offsets {
        let lines: Vec<String> = stack
            .component_log_since(&name, offset)
            .iter()
            .map(|l| observe::normalise_line(l, &redactor))
            .collect();
        std::fs::create_dir_all(dir.join("logs"))?;
        std::fs::write(
            dir.join("logs").join(format!("{name}.log")),
            lines.join("\n"),
        )?;
    }
    Ok(result)
}

/// Drives one login; returns the URL and page text the browser settled on.
async fn login(
    c: &Client,
    stack: &impl Target,
    method: LoginMethod,
    user: &str,
    password: &str,
) -> Result<(url::Url, String), RunError> {
    c.goto(&format!("{}/app/home", stack.topology().dashboards_url()))
        .await
        .map_err(browser::BrowserError::from)?;
    let idp = stack.topology().hosts.idp.clone();
    let on_login_page = settle(c, &idp).await?.0.path().starts_with("/app/login");
    match method {
        LoginMethod::Basic => {
            if on_login_page {
                let find = |css: &'static str| c.find(Locator::Css(css));
                find("[data-test-subj=user-name]")
                    .await
                    .map_err(browser::BrowserError::from)?
                    .send_keys(user)
                    .await
                    .map_err(browser::BrowserError::from)?;
                find("[data-test-subj=password]")
                    .await
                    .map_err(browser::BrowserError::from)?
                    .send_keys(password)
                    .await
                    .map_err(browser::BrowserError::from)?;
                find("[aria-label=basicauth_login_button]")
                    .await
                    .map_err(browser::BrowserError::from)?
                    .click()
                    .await
                    .map_err(browser::BrowserError::from)?;
            }
        }
        LoginMethod::Openid => {
            if on_login_page {
                c.find(Locator::Css("[aria-label=openid_login_button]"))
                    .await
                    .map_err(browser::BrowserError::from)?
                    .click()
                    .await
                    .map_err(browser::BrowserError::from)?;
            }
            let (url, _) = settle(c, &idp).await?;
            if url.host_str() == Some(idp.as_str()) && url.path().starts_with("/if/flow/") {
                browser::authentik::login(c, user, password).await?;
            }
        }
    }
    settle(c, &idp).await
}

/// Waits until the page stops moving: the same URL twice in a row, and not a flow page still loading. No fixed
/// sleeps beyond the polling interval.
async fn settle(c: &Client, idp: &str) -> Result<(url::Url, String), RunError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last: Option<url::Url> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let url = c.current_url().await.map_err(browser::BrowserError::from)?;
        let ready: bool = c
            .execute("return document.readyState === 'complete'", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        let on_flow = url.host_str() == Some(idp) && url.path().starts_with("/if/flow/");
        let flow_rendered = !on_flow
            || c.execute("const e = document.querySelector('ak-flow-executor'); return !!(e && e.shadowRoot && e.shadowRoot.firstElementChild);", vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
        if ready && flow_rendered && last.as_ref() == Some(&url) {
            let body = c
                .find(Locator::Css("body"))
                .await
                .map_err(browser::BrowserError::from)?
                .text()
                .await
                .map_err(browser::BrowserError::from)?;
            return Ok((url, body));
        }
        if Instant::now() > deadline {
            let body = c.source().await.unwrap_or_default();
            return Ok((url, body));
        }
        last = Some(url);
    }
}

/// A case's rendered files as its folder's `files/` holds them: redacted, and without the PEM files (certificates
/// and keys, which say nothing about the case).
pub fn redacted_files<'a>(
    files: &'a crate::render::RunFiles,
    redactor: &'a Redactor,
) -> impl Iterator<Item = (&'a str, String)> + 'a {
    files
        .0
        .iter()
        .filter(|(p, _)| !p.ends_with(".pem"))
        .map(|(p, contents)| (p.as_str(), redactor.redact(contents)))
}

fn write_case_folder(
    dir: &Path,
    r: &CaseResult,
    files: &crate::render::RunFiles,
    redactor: &Redactor,
    screenshot: Option<Vec<u8>>,
) -> std::io::Result<()> {
    std::fs::write(
        dir.join("result.json"),
        serde_json::to_string_pretty(r).expect("JSON"),
    )?;
    std::fs::write(
        dir.join("opensearch.log"),
        r.observed.opensearch_log.join("\n"),
    )?;
    std::fs::write(
        dir.join("dashboards.log"),
        r.observed.dashboards_log.join("\n"),
    )?;
    for (path, contents) in redacted_files(files, redactor) {
        let out = dir.join("files").join(path);
        std::fs::create_dir_all(out.parent().expect("a folder"))?;
        std::fs::write(out, contents)?;
    }
    if let Some(png) = screenshot {
        std::fs::write(dir.join("screenshot.png"), png)?;
    }
    Ok(())
}
