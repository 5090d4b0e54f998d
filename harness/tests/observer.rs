//! The observer (`run::login`) against small sites that behave the way real failures do — a loop through a page
//! whose script navigates on, error pages where the app should be, an app whose account API answers late or
//! empty, a login request that takes seconds — driven by a real headless Chromium. No OpenSearch: each site is a
//! few routes on loopback, reached by the stack's host names.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use harness::browser::{Browser, Chromedriver, Options};
use harness::run::login::{Ended, login};
use harness::run::page::Hosts;
use harness::scenario::{LoginMethod, Outcome};

const DASHBOARDS: &str = "dashboards.sso.test";
const IDP: &str = "idp.sso.test";

/// Serves the site `app(port)` makes on a loopback port (a site whose pages name their own port); returns the port.
async fn serve_site(app: impl FnOnce(u16) -> Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = app(port);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

async fn serve(app: Router) -> u16 {
    serve_site(|_| app).await
}

/// Logs in with a fresh browser on the site at `port`; returns how it ended and how long the login took.
async fn observe(driver: &Chromedriver, port: u16, method: LoginMethod) -> (Ended, Duration) {
    let options = Options {
        host_rules: [DASHBOARDS, IDP]
            .map(|h| (h.to_owned(), "127.0.0.1".to_owned()))
            .to_vec(),
        ..Default::default()
    };
    let browser = Browser::open(&driver.url(), &options).await.unwrap();
    let began = Instant::now();
    let hosts = Hosts {
        dashboards: DASHBOARDS,
        idp: IDP,
    };
    let ended = login(
        &browser.client,
        &format!("http://{DASHBOARDS}:{port}"),
        hosts,
        method,
        "alice",
        "alice-Passw0rd!",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let took = began.elapsed();
    browser.close().await.unwrap();
    (ended, took)
}

/// The app's shell as Dashboards serves it: the header renders once the account API has answered with roles;
/// with none, the script goes to the Missing Role page.
const APP: &str = r#"<!DOCTYPE html><html><head><title>Home</title><script>
document.addEventListener("DOMContentLoaded", async () => {
  const r = await fetch("/api/v1/configuration/account");
  if (!r.ok) return;
  const a = (await r.json()).data;
  if (a.roles.length === 0) { location.href = "/app/customerror/missing-role"; return; }
  const h = document.createElement("header");
  h.setAttribute("data-test-subj", "headerGlobalNav");
  h.textContent = "Logged in as " + a.user_name;
  document.body.prepend(h);
});
</script></head><body><h1>Home</h1></body></html>"#;

const MISSING_ROLE: &str = "<!DOCTYPE html><html><body><h1>Missing Role</h1><p>No roles available for this user, please contact your system administrator.</p></body></html>";

fn account(roles: &[&str]) -> Response {
    axum::Json(serde_json::json!({"data": {"user_name": "alice", "roles": roles}})).into_response()
}

fn app_site(account_delay: Duration, roles: &'static [&'static str]) -> Router {
    Router::new()
        .route("/app/home", get(|| async { Html(APP) }))
        .route(
            "/api/v1/configuration/account",
            get(move || async move {
                tokio::time::sleep(account_delay).await;
                account(roles)
            }),
        )
        .route(
            "/app/customerror/missing-role",
            get(|| async { Html(MISSING_ROLE) }),
        )
}

#[tokio::test(flavor = "multi_thread")]
async fn verdicts_come_from_decisive_signals() {
    let driver = Chromedriver::start().await.unwrap();

    // A loop through a page whose script navigates on (as Dashboards' captureUrlFragment does): Chromium's own
    // redirect counter starts again on every round, so only the hops can call it — and quickly.
    let port = serve_site(|port| {
        Router::new()
            .route(
                "/app/home",
                get(move || async move {
                    Html(format!(
                        r#"<html><head><title>OSD OIDC Capture</title><script>window.location.replace("http://{IDP}:{port}/authorize?state=s3cr3t-state");</script></head></html>"#
                    ))
                }),
            )
            .route(
                "/authorize",
                get(move || async move {
                    Redirect::to(&format!("http://{DASHBOARDS}:{port}/app/home"))
                }),
            )
    })
    .await;
    let (ended, took) = observe(&driver, port, LoginMethod::Openid).await;
    assert_eq!(ended.outcome, Outcome::RedirectLoop, "{ended:?}");
    eprintln!("a script-driven loop called in {took:?}: {}", ended.detail);
    assert!(
        took < Duration::from_secs(10),
        "a loop is called within seconds, took {took:?}"
    );
    assert!(
        ended.hops.iter().all(|h| !h.url.contains("s3cr3t-state")),
        "hops are redacted: {:?}",
        ended.hops
    );

    // Error pages where the app should be: never `success`, always in the component's own words.
    for (status, body, words) in [
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"statusCode":500,"error":"Internal Server Error","message":"An internal server error occurred."}"#,
            "HTTP 500 where the app should be (/app/home): Internal Server Error: An internal server error occurred.",
        ),
        (
            StatusCode::NOT_FOUND,
            r#"{"statusCode":404,"error":"Not Found","message":"Not Found"}"#,
            "HTTP 404 where the app should be (/app/home): Not Found: Not Found",
        ),
        (
            StatusCode::BAD_GATEWAY,
            "",
            "HTTP 502 where the app should be (/app/home): (empty body)",
        ),
    ] {
        let site = Router::new().route(
            "/app/home",
            get(move || async move {
                (
                    status,
                    [(
                        header::CONTENT_TYPE,
                        if body.is_empty() {
                            "text/html"
                        } else {
                            "application/json"
                        },
                    )],
                    body,
                )
            }),
        );
        let (ended, _) = observe(&driver, serve(site).await, LoginMethod::Openid).await;
        assert_eq!(
            (ended.outcome, ended.detail.as_str()),
            (Outcome::Unavailable, words),
            "{status}"
        );
    }

    // The app whose account API answers after 1.5 s is a success once it has answered and the app rendered.
    let (ended, took) = observe(
        &driver,
        serve(app_site(Duration::from_millis(1500), &["all_access"])).await,
        LoginMethod::Openid,
    )
    .await;
    assert_eq!(ended.outcome, Outcome::Success, "{ended:?}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");

    // With no mapped roles the app's script goes to Missing Role — after its account API answered, late.
    let (ended, _) = observe(
        &driver,
        serve(app_site(Duration::from_millis(1500), &[])).await,
        LoginMethod::Openid,
    )
    .await;
    assert_eq!(ended.outcome, Outcome::MissingRole, "{ended:?}");

    // A basic login whose request takes 1.5 s (a cost-12 bcrypt hash on a loaded node takes some of that).
    let site = Router::new()
        .route("/app/home", get(|| async { Redirect::to("/app/login") }))
        .route("/app/login", get(|| async { Html(LOGIN) }))
        .route(
            "/auth/login",
            post(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                axum::Json(serde_json::json!({"username": "alice"}))
            }),
        )
        .route("/app/dashboards", get(|| async { Html(APP) }))
        .route(
            "/api/v1/configuration/account",
            get(|| async { account(&["all_access"]) }),
        );
    let (ended, took) = observe(&driver, serve(site).await, LoginMethod::Basic).await;
    assert_eq!(ended.outcome, Outcome::Success, "{ended:?}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(
        ended
            .hops
            .iter()
            .any(|h| h.method == "POST" && h.url.ends_with("/auth/login")),
        "{:?}",
        ended.hops
    );
}

/// A login page like Dashboards': the form posts JSON by script and goes on to the app when the answer is 200.
const LOGIN: &str = r#"<!DOCTYPE html><html><body>
<form id="login"><input data-test-subj="user-name" name="username"><input data-test-subj="password" name="password" type="password">
<button type="submit" aria-label="basicauth_login_button">Log in</button></form>
<script>
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await fetch("/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: ev.target.username.value, password: ev.target.password.value }) });
  if (r.ok) window.location.href = "/app/dashboards";
});
</script></body></html>"#;
