//! Running cases on a stack: apply the case, drive the steps with a real browser, observe, judge, write the case's
//! folder. The pure parts are `observe` and `judge`.

pub mod hops;
pub mod judge;
pub mod login;
pub mod observe;
pub mod page;
pub mod report;
pub mod results;
mod target;
pub mod versions;

pub use results::{CaseResult, Status, Timings};
pub use target::{Applied, Refusal, StackError, Target};

use std::path::Path;
use std::time::{Duration, Instant};

use crate::browser::{self, Browser};
use crate::redact::Redactor;
use crate::scenario::{Case, LoginMethod, Outcome, Step};
use observe::{Authinfo, Observation};
use page::Hosts;

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

/// Runs `case` on the stack and writes its folder under `report`. `phase` hears which phase the case is in. A
/// case the stack cannot serve comes back with status `error` (and its folder), never as an `Err`: that is kept
/// for the report folder itself failing.
pub async fn run_case(
    stack: &mut impl Target,
    case: &Case,
    report: &Path,
    phase: &dyn Fn(&str),
) -> Result<CaseResult, std::io::Error> {
    let begun = Instant::now();
    let dir = report.join(case.key());
    std::fs::create_dir_all(&dir)?;
    let redactor = Redactor::new(stack.secrets().of_case(&case.document));
    match judged(stack, case, &dir, &redactor, phase).await {
        Ok(result) => Ok(result),
        Err(e) => {
            let mut r = CaseResult::unjudged(case, Status::Error, redactor.redact(&e.to_string()));
            r.duration_ms = begun.elapsed().as_millis();
            std::fs::write(
                dir.join("result.json"),
                serde_json::to_string_pretty(&r).expect("JSON"),
            )?;
            Ok(r)
        }
    }
}

async fn judged(
    stack: &mut impl Target,
    case: &Case,
    dir: &Path,
    redactor: &Redactor,
    phase: &dyn Fn(&str),
) -> Result<CaseResult, RunError> {
    let begun = Instant::now();
    phase("applying the configuration");
    let logs_in = case
        .document
        .steps
        .iter()
        .any(|s| matches!(s, Step::Login(_)));
    // Making the browser as good as new (a few CDP calls, ~0.2 s) needs nothing of the case's configuration: it
    // runs while the stack applies it. The session is moved out of the stack for that and put back after.
    let (driver, options) = stack.browser();
    let origins = [
        stack.topology().dashboards_url(),
        stack.topology().idp_url(),
    ];
    let session = stack.warm_browser().take();
    let fresh = async {
        match logs_in {
            true => warm(session, &driver, &options, &origins).await.map(Some),
            false => Ok(session),
        }
    };
    let apply = async {
        let applied = stack.apply(case).await;
        (applied, begun.elapsed())
    };
    let (fresh, (applied, config_swap)) = tokio::join!(fresh, apply);
    *stack.warm_browser() = fresh?;
    let applied = applied?;
    // The first login gets the session reset above; a second login in the same case resets it again.
    let mut reset_done = logs_in;
    let node_offset = stack.opensearch_log_offset();
    let dashboards_offset = stack.dashboards_log_offset();
    let component_offsets = stack.component_logs();

    phase("logging in");
    let login_started = Instant::now();
    let mut seen = Observation {
        hops: Some(Vec::new()),
        ..Default::default()
    };
    let mut first_user = None;
    if let Some(refusal) = &applied.refused {
        // The real component would not have started either: nothing to log in to.
        seen.login = Some(Outcome::Unavailable);
        seen.login_detail = Some(format!(
            "{} refused to start: {}",
            refusal.component,
            redactor.redact(&refusal.message)
        ));
    }
    for step in case
        .document
        .steps
        .iter()
        .filter(|_| applied.refused.is_none())
    {
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
                let topology = stack.topology().clone();
                if !std::mem::take(&mut reset_done) {
                    let session = stack.warm_browser().take();
                    *stack.warm_browser() = Some(warm(session, &driver, &options, &origins).await?);
                }
                let b = stack.warm_browser().as_ref().expect("opened above");
                let hosts = Hosts {
                    dashboards: &topology.hosts.dashboards,
                    idp: &topology.hosts.idp,
                };
                let ended = login::login(
                    &b.client,
                    &topology.dashboards_url(),
                    hosts,
                    l.method,
                    &l.user,
                    &password,
                )
                .await;
                let ended = ended?;
                seen.login = Some(ended.outcome);
                seen.login_detail = Some(redactor.redact(&ended.detail));
                seen.final_url = ended.url.as_ref().map(observe::normalise_url);
                seen.hops.get_or_insert_default().extend(ended.hops);
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
    let logged_in = first_user.is_some();

    phase("observing");
    let observed_at = Instant::now();
    // An IdP that refused the login issued no token to it. Keycloak and the real authentik are asked again,
    // headless, with the user's own password: that token is not the case's (a wrong password's case got none).
    let refused_by_idp = seen.login == Some(Outcome::IdpError);
    let token = async {
        match first_user {
            _ if refused_by_idp => None,
            Some(u) => stack
                .last_id_token(&u)
                .await
                .map(|t| observe::token_shape(&t, Some(&stack.certs().idp_encryption.key))),
            None => None,
        }
    };
    let log = settled_log(
        || stack.opensearch_log_since(node_offset),
        case.expect
            .opensearch_log
            .as_ref()
            .map_or(&[][..], |l| &l.contains[..]),
    );
    // Two waits that need nothing of each other: the token (from Keycloak or the real authentik, a headless login
    // of up to half a second, which reaches only the IdP) and the node's log coming to rest (up to 300 ms quiet).
    let (token, log) = tokio::join!(token, log);
    seen.token = token;
    seen.opensearch_log = observe::opensearch_lines(&log, redactor);
    // The browser's URL reaches result.json and results.json: redacted like the rest.
    seen.final_url = seen.final_url.map(|u| redactor.redact(&u));
    seen.dashboards_log = stack
        .dashboards_log_since(dashboards_offset)
        .iter()
        .map(|l| observe::normalise_line(l, redactor))
        .collect();
    let mismatches = judge::judge(&case.expect, &seen);
    let diagnosis =
        crate::diagnosis::diagnose(&crate::diagnosis::Evidence::of(&seen, &case.document));
    let observation = observed_at.elapsed();

    let pass = mismatches.is_empty();
    // Only a case that fails keeps a picture of where its login ended (taking one costs a tenth of a second).
    let screenshot = match stack.warm_browser() {
        Some(b) if !pass && logged_in => b.client.screenshot().await.ok(),
        _ => None,
    };
    let result = CaseResult {
        scenario: case.scenario.clone(),
        variant: case.variant.clone(),
        status: if pass { Status::Pass } else { Status::Fail },
        reason: None,
        pass,
        duration_ms: begun.elapsed().as_millis(),
        restarted: applied.restarted.clone(),
        timings: Timings {
            config_swap_ms: config_swap.as_millis(),
            browser_login_ms: browser_login.as_millis(),
            observation_ms: observation.as_millis(),
        },
        ran_on: None,
        asked: versions::Asked::default(),
        expected: case.expect.clone(),
        observed: seen,
        mismatches,
        diagnosis,
    };
    write_case_folder(dir, &result, &applied.files, redactor, screenshot)?;
    crate::diagnosis::write_to(dir, &result.diagnosis)?;
    for (name, offset) in component_offsets {
        let lines: Vec<String> = stack
            .component_log_since(&name, offset)
            .iter()
            .map(|l| observe::normalise_line(l, redactor))
            .collect();
        std::fs::create_dir_all(dir.join("logs"))?;
        std::fs::write(
            dir.join("logs").join(format!("{name}.log")),
            lines.join("\n"),
        )?;
    }
    Ok(result)
}

/// The run's browser session, as good as new: opened on first use, else reset (and opened again if the old
/// one no longer answers).
async fn warm(
    session: Option<Browser>,
    driver: &str,
    options: &browser::Options,
    origins: &[String],
) -> Result<Browser, browser::BrowserError> {
    // A session that no longer answers is dropped (its profile folder with it); another is opened.
    if let Some(b) = session
        && b.reset(origins).await.is_ok()
    {
        return Ok(b);
    }
    Browser::open(driver, options).await
}

/// The node writes its log asynchronously. The slice is final once it holds every line the case expects, or
/// else once it has stopped growing (unchanged for 300 ms), for at most 3 s.
async fn settled_log(read: impl Fn() -> Vec<String>, expected: &[String]) -> Vec<String> {
    let began = Instant::now();
    let mut lines = read();
    let mut unchanged_since = Instant::now();
    loop {
        let complete = !expected.is_empty()
            && expected
                .iter()
                .all(|e| lines.iter().any(|l| l.contains(e.as_str())));
        if complete
            || unchanged_since.elapsed() >= Duration::from_millis(300)
            || began.elapsed() >= Duration::from_secs(3)
        {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = read();
        if again.len() != lines.len() {
            unchanged_since = Instant::now();
        }
        lines = again;
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
    let hops: String = r
        .observed
        .hops
        .iter()
        .flatten()
        .map(|h| format!("{h}\n"))
        .collect();
    std::fs::write(dir.join("hops.txt"), hops)?;
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
