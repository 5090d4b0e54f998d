//! One `login` step through a real browser, ended only on a decisive signal. The browser goes to Dashboards' app;
//! each time the page settles (the network quiet and the page in a state `page::read_state` can name), the
//! routine either acts on it — fills Dashboards' login form, presses its SSO button, logs in at the IdP — or the
//! login has ended there. A page that never settles ends as `stuck`, with the evidence.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use super::hops::{Hop, Hops};
use super::page::{self, Hosts, Page, State};
use crate::browser::{self, BrowserError, authentik, keycloak, network_log};
use crate::scenario::{LoginMethod, Outcome};

/// How long the network must be quiet (nothing awaited in flight, no event) before the page is read: longer
/// than the gap between a script's answer and the navigation it starts (milliseconds), shorter than anything a
/// person notices. A page read too early is harmless: a page in between reads as pending (the flow page before its
/// stage, the app before its chrome, a document still loading), and the next poll reads again.
const QUIET: Duration = Duration::from_millis(50);
/// How long one settle may take before the step is `stuck`. Generous: a loaded machine, a slow IdP or a cost-12
/// bcrypt hash take seconds, and a loop is called from the hops long before.
const STEP_LIMIT: Duration = Duration::from_secs(30);
/// How long a page the routine has acted on may stay as it was (no error shown, no navigation) before that is the
/// answer: a login form that comes back without words, an IdP stage that does not move on.
const UNMOVED: Duration = Duration::from_secs(3);
/// How often the browser is asked (a poll, not a sleep that decides anything).
const POLL: Duration = Duration::from_millis(25);

/// How a login step ended.
#[derive(Debug)]
pub struct Ended {
    pub outcome: Outcome,
    pub detail: String,
    /// Where the browser was (for `final_url`), when it could say.
    pub url: Option<url::Url>,
    pub hops: Vec<Hop>,
}

/// One script, one round trip: everything `page::read_state` looks at on the page. The IdP's flow executor
/// renders its stage in shadow roots (authentik's web components, and the embedded profile's alike).
const PROBE: &str = r##"
const q = (s) => document.querySelector(s);
const words = (e) => (e ? (e.innerText || e.textContent || "").trim() : "") || null;
const executor = q("ak-flow-executor");
const inner = executor && executor.shadowRoot;
const stage = inner && Array.from(inner.querySelectorAll("*")).find((e) => e.tagName.startsWith("AK-STAGE-"));
const stageRoot = stage && stage.shadowRoot;
const rendered = stageRoot && stageRoot.querySelector("input, button, .pf-m-error");
const kc = q("#kc-form-login"); // Keycloak's login page: a plain form (browser::keycloak)
return {
  url: location.href,
  readyState: document.readyState,
  contentType: document.contentType || "",
  text: document.body ? (document.body.innerText || "").slice(0, 4000) : "",
  loginForm: !!q("[data-test-subj=user-name]") && !!q("[aria-label=basicauth_login_button]"),
  ssoButton: !!q("[aria-label=openid_login_button]"),
  loginError: words(q("#error, [role=alert].euiCallOut--danger")),
  appChrome: !!q("[data-test-subj=headerGlobalNav]"),
  flowStage: rendered ? stage.tagName.toLowerCase() : kc ? "kc-form-login" : null,
  flowError: rendered ? words(stageRoot.querySelector(".pf-m-error"))
    : kc ? words(kc.querySelector(".kc-feedback-text")) : null,
};
"##;

/// Logs `user` in from Dashboards' app at `dashboards_url` (`https://dashboards.sso.test:PORT`).
pub async fn login(
    c: &Client,
    dashboards_url: &str,
    hosts: Hosts<'_>,
    method: LoginMethod,
    user: &str,
    password: &str,
) -> Result<Ended, BrowserError> {
    let mut hops = Hops::default();
    c.goto(&format!("{dashboards_url}/app/home")).await?;
    // What the routine has done, so that the same page coming back is read as an answer, not as a new start.
    let mut acted: Option<(ActedOn, Instant)> = None;
    loop {
        let state = settle(c, &mut hops, hosts).await?;
        let again = |on: ActedOn| matches!(acted, Some((a, _)) if a == on);
        let unmoved = acted.is_some_and(|(_, at)| at.elapsed() > UNMOVED);
        match state {
            State::Decided(outcome, detail) => return ended(c, hops, outcome, detail).await,
            State::Pending(why) => unreachable!("settle returns decisive states only: {why}"),
            State::LoginPage { error: Some(e), .. } if acted.is_some() => {
                let detail = format!("back on the login page: {e}");
                return ended(c, hops, Outcome::Unauthorized, detail).await;
            }
            State::LoginPage { .. } if acted.is_some() => {
                if unmoved {
                    let detail = "back on the login page".to_owned();
                    return ended(c, hops, Outcome::Unauthorized, detail).await;
                }
            }
            State::LoginPage { form: true, .. } if method == LoginMethod::Basic => {
                fill_basic_form(c, user, password).await?;
                acted = Some((ActedOn::LoginPage, Instant::now()));
            }
            State::LoginPage { sso: true, .. } if method == LoginMethod::Openid => {
                c.find(Locator::Css("[aria-label=openid_login_button]"))
                    .await?
                    .click()
                    .await?;
                acted = Some((ActedOn::LoginPage, Instant::now()));
            }
            State::LoginPage { .. } => {
                let detail = format!("the login page offers no {} login", wire(method));
                return ended(c, hops, Outcome::Unauthorized, detail).await;
            }
            State::IdpFlow { stage, error } => {
                if let (true, Some(e)) = (again(ActedOn::Idp), &error) {
                    let detail = format!("the IdP refused at its {stage} stage, saying “{e}”");
                    return ended(c, hops, Outcome::IdpError, detail).await;
                }
                if again(ActedOn::Idp) && unmoved {
                    let detail = format!("the IdP stayed on {stage} after the password");
                    return ended(c, hops, Outcome::IdpError, detail).await;
                }
                if method == LoginMethod::Basic {
                    let detail = format!("a basic login was sent to the IdP ({stage})");
                    return ended(c, hops, Outcome::IdpError, detail).await;
                }
                if !again(ActedOn::Idp) && stage == keycloak::STAGE {
                    keycloak::login(c, user, password).await?;
                    acted = Some((ActedOn::Idp, Instant::now()));
                } else if !again(ActedOn::Idp) {
                    authentik::login(c, user, password).await?;
                    acted = Some((ActedOn::Idp, Instant::now()));
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ActedOn {
    LoginPage,
    Idp,
}

fn wire(method: LoginMethod) -> &'static str {
    match method {
        LoginMethod::Basic => "basic",
        LoginMethod::Openid => "OpenID",
    }
}

async fn fill_basic_form(c: &Client, user: &str, password: &str) -> Result<(), BrowserError> {
    for (css, text) in [
        ("[data-test-subj=user-name]", user),
        ("[data-test-subj=password]", password),
    ] {
        let field = c.find(Locator::Css(css)).await?;
        browser::fill(c, &field, text).await?;
    }
    c.find(Locator::Css("[aria-label=basicauth_login_button]"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn ended(
    c: &Client,
    hops: Hops,
    outcome: Outcome,
    detail: String,
) -> Result<Ended, BrowserError> {
    let url = c.current_url().await.ok();
    if outcome == Outcome::RedirectLoop {
        // Stop going round: every further round is load on the stack and lines in its logs.
        let _ = c.goto("about:blank").await;
    }
    Ok(Ended {
        outcome,
        detail,
        url,
        hops: hops.into_vec(),
    })
}

/// Waits until the page is in a state that decides something: a loop (at once, from the hops), or, once the
/// network has been quiet for `QUIET`, a page `read_state` does not call pending. After `STEP_LIMIT`: `stuck`.
async fn settle(c: &Client, hops: &mut Hops, hosts: Hosts<'_>) -> Result<State, BrowserError> {
    let began = Instant::now();
    let mut quiet_since = Instant::now();
    let mut last = "no page read yet".to_owned();
    loop {
        let entries = network_log::drain(c).await?;
        if !entries.is_empty() {
            entries.iter().for_each(|e| hops.feed_log_entry(e));
            quiet_since = Instant::now();
        }
        if let Some(why) = hops.redirect_loop(hosts.dashboards, hosts.idp) {
            return Ok(State::Decided(Outcome::RedirectLoop, why));
        }
        if hops.busy() {
            quiet_since = Instant::now();
            last = format!("still loading: {}", hops.loading().join(", "));
        } else if quiet_since.elapsed() >= QUIET {
            match probe(c).await {
                Ok(page) => match page::read_state(&page, hops, hosts) {
                    State::Pending(why) => last = why,
                    decisive => return Ok(decisive),
                },
                // Between two documents the page cannot be read: the next poll will.
                Err(e) => last = format!("the page could not be read ({e})"),
            }
        }
        if began.elapsed() > STEP_LIMIT {
            let at = hops
                .last_document()
                .map_or("-".to_owned(), |h| h.to_string());
            return Ok(State::Decided(
                Outcome::Stuck,
                format!("nothing decisive within {STEP_LIMIT:?}: {last} (last document: {at})"),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn probe(c: &Client) -> Result<Page, BrowserError> {
    let v = c.execute(PROBE, vec![]).await?;
    serde_json::from_value(v).map_err(|e| BrowserError::Flow(format!("page probe: {e}")))
}
