//! The Dashboards stand-in over HTTP, the way a browser meets it: a cookie client that follows redirects by hand,
//! the embedded IdP (its headless flow executor) and a fake OpenSearch whose authinfo answer each test chooses
//! and which records the `Authorization` header it got.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use harness::stand_in::{self, Config, Server, Upstreams};
use serde_json::{Value, json};

mod support;
use support::{executor_url, get_json, urlencode};

const UNAUTHORIZED: &str = r#"{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}"#;
const BASIC_PASSWORD: &str = "correct horse";
const KIBANASERVER_PASSWORD: &str = "kibanaserver password";

/// What the fake authinfo answers to a Bearer token.
#[derive(Clone)]
enum Answer {
    Roles(Vec<&'static str>),
    Unauthorized,
}

struct FakeOpenSearch {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    /// What authinfo answers to a Bearer token; a test may change it midway.
    answer: Arc<Mutex<Answer>>,
    _task: tokio::task::JoinHandle<()>,
}

impl FakeOpenSearch {
    async fn start(answer: Answer) -> FakeOpenSearch {
        let answer = Arc::new(Mutex::new(answer));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (a, s) = (answer.clone(), seen.clone());
        let app = axum::Router::new()
            .route(
                "/_plugins/_security/authinfo",
                axum::routing::get(move |headers: HeaderMap| {
                    let (a, s) = (a.clone(), s.clone());
                    async move { authinfo(&a, &s, &headers) }
                }),
            )
            .route("/_nodes", axum::routing::get(nodes))
            // A discovery document for the tests without an IdP: Dashboards refuses to start without one.
            .route(
                "/discovery",
                axum::routing::get(|| async {
                    Json(json!({
                        "authorization_endpoint": "http://idp.invalid/authorize",
                        "token_endpoint": "http://idp.invalid/token",
                    }))
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpenSearch {
            addr,
            seen,
            answer,
            _task: task,
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Dashboards' start-up check (`nodes.info`): kibanaserver with [`KIBANASERVER_PASSWORD`] only.
async fn nodes(headers: HeaderMap) -> Response {
    let want = format!(
        "Basic {}",
        STANDARD.encode(format!("kibanaserver:{KIBANASERVER_PASSWORD}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str()) {
        Json(json!({"nodes": {"n1": {"version": "2.19.4", "ip": "127.0.0.1"}}})).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "Unauthorized").into_response()
    }
}

/// Basic: alice with [`BASIC_PASSWORD`] only. Bearer: whatever the test chose (any token is "valid").
fn authinfo(answer: &Mutex<Answer>, seen: &Mutex<Vec<String>>, headers: &HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    seen.lock().unwrap().push(auth.clone());
    let ok = |roles: Vec<&str>| {
        Json(json!({"user_name": "alice", "backend_roles": ["admins"], "roles": roles}))
            .into_response()
    };
    let denied = || (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    if let Some(basic) = auth.strip_prefix("Basic ") {
        return if basic == STANDARD.encode(format!("alice:{BASIC_PASSWORD}")) {
            ok(vec!["all_access"])
        } else {
            denied()
        };
    }
    if !auth.starts_with("Bearer ") {
        return denied();
    }
    match answer.lock().unwrap().clone() {
        Answer::Roles(r) => ok(r),
        Answer::Unauthorized => denied(),
    }
}

struct Stack {
    idp: Option<support::Idp>,
    os: FakeOpenSearch,
    server: Server,
    base: String,
    http: reqwest::Client,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .no_proxy()
        .build()
        .unwrap()
}

/// The IdP (its provider with `provider_extra` and the stand-in's callback as redirect URI), the fake OpenSearch
/// and the stand-in with an `opensearch_dashboards.yml` of the usual keys plus `dashboards_extra`.
async fn stack(provider_extra: &str, dashboards_extra: &str, answer: Answer) -> Stack {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let idp = support::start(&format!(
        "idp: {{ provider: {{ {provider_extra} redirect_uris: [{{ matching_mode: strict, url: \"{base}/auth/openid/login\" }}] }} }}"
    ))
    .await;
    let yaml = format!(
        "opensearch_security.openid.connect_url: \"{}/application/o/{}/.well-known/openid-configuration\"\n\
         opensearch_security.openid.client_id: {}\n{}{dashboards_extra}",
        idp.base,
        idp.config.slug,
        idp.config.client_id,
        if dashboards_extra.contains("client_secret") {
            String::new()
        } else {
            format!(
                "opensearch_security.openid.client_secret: \"{}\"\n",
                idp.config.client_secret
            )
        }
    );
    let mut s = stand_in_with(listener, &yaml, answer).await;
    s.http = idp.http.clone();
    s.idp = Some(idp);
    s
}

/// The stand-in alone (no IdP): `yaml` plus the fake OpenSearch and the base redirect URL.
async fn stand_in_with(listener: tokio::net::TcpListener, yaml: &str, answer: Answer) -> Stack {
    let base = format!("http://{}", listener.local_addr().unwrap());
    let os = FakeOpenSearch::start(answer).await;
    let has_type = yaml.contains("auth.type") || yaml.contains("auth:");
    let yaml = format!(
        "opensearch.hosts: [\"http://{}\"]\n\
         {}{}opensearch_security.openid.base_redirect_url: \"{base}\"\n{}{yaml}",
        os.addr,
        if yaml.contains("connect_url") {
            String::new()
        } else {
            format!(
                "opensearch_security.openid.connect_url: http://{}/discovery\n",
                os.addr
            )
        },
        if yaml.contains("opensearch.password") {
            String::new()
        } else {
            format!(
                "opensearch.username: kibanaserver\nopensearch.password: \"{KIBANASERVER_PASSWORD}\"\n"
            )
        },
        if has_type {
            ""
        } else {
            "opensearch_security.auth.type: openid\n"
        },
    );
    let config = Config::from_yaml(&yaml, std::path::Path::new("."))
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let server = Server::start(config, Upstreams::default(), listener)
        .await
        .unwrap();
    Stack {
        idp: None,
        os,
        server,
        base,
        http: client(),
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn title(html: &str) -> &str {
    html.split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(t, _)| t)
        .unwrap_or_default()
}

fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("security_authentication="))
}

impl Stack {
    fn idp(&self) -> &support::Idp {
        self.idp.as_ref().expect("a stack with an IdP")
    }

    async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        self.http.get(url).send().await.unwrap()
    }

    /// At the IdP with an authorize URL: the headless flow (identification, password) unless the IdP session is
    /// already logged in; returns the stand-in callback URL the IdP sends the browser to.
    async fn at_idp(&self, authorize: &str, user: &str) -> String {
        let idp = self.idp();
        let r = self.get(authorize).await;
        assert_eq!(r.status(), 302, "authorize");
        let to = location(&r);
        if to.starts_with(&self.base) {
            return to;
        }
        assert!(
            to.starts_with("/if/flow/default-authentication-flow/?"),
            "{to}"
        );
        let executor = executor_url(&idp.base, to.split_once('?').unwrap().1);
        let c: Value = get_json(&self.http, &executor).await;
        assert_eq!(c["component"], "ak-stage-identification");
        self.http
            .post(&executor)
            .json(&json!({"component": "ak-stage-identification", "uid_field": user}))
            .send()
            .await
            .unwrap();
        let password = idp.config.user(user).unwrap().password.clone();
        let mut r = self
            .http
            .post(&executor)
            .json(&json!({"component": "ak-stage-password", "password": password}))
            .send()
            .await
            .unwrap();
        // The stages after the password answer with 302s back to the executor, as authentik's do.
        while r.status() == 302 {
            r = self.http.get(&executor).send().await.unwrap();
        }
        let c: Value = r.json().await.unwrap();
        assert_eq!(c["component"], "xak-flow-redirect", "{c}");
        let r = self
            .get(&format!("{}{}", idp.base, c["to"].as_str().unwrap()))
            .await;
        assert_eq!(r.status(), 302);
        let back = location(&r);
        assert!(
            back.starts_with(&format!("{}/auth/openid/login?", self.base)),
            "{back}"
        );
        back
    }

    /// A page request without a session through the capture page to the IdP; returns the authorize URL.
    async fn to_idp(&self, page: &str) -> String {
        let r = self.get(page).await;
        assert_eq!(r.status(), 302, "{page}");
        let capture = location(&r);
        assert_eq!(
            capture,
            format!(
                "/auth/openid/captureUrlFragment?nextUrl={}",
                urlencode(page)
            )
        );
        let html = self.get(&capture).await.text().await.unwrap();
        assert_eq!(title(&html), "OSD OIDC Capture");
        assert!(html.contains("localStorage.setItem(\"oidcHash\""));
        // Without JavaScript: the meta refresh (no fragment).
        let login = format!(
            "/auth/openid/login?redirectHash=false&amp;nextUrl={}",
            urlencode(page)
        );
        assert!(
            html.contains(&format!("content=\"0;url={login}\"")),
            "{html}"
        );
        let r = self.get(&login.replace("&amp;", "&")).await;
        assert_eq!(r.status(), 302);
        assert!(set_cookie(&r).is_some(), "the state goes in the cookie");
        location(&r)
    }

    /// The whole OpenID login of `user`, up to the stand-in's answer at the callback.
    async fn openid_login(&self, page: &str, user: &str) -> (String, reqwest::Response) {
        let authorize = self.to_idp(page).await;
        let callback = self.at_idp(&authorize, user).await;
        let r = self.get(&callback).await;
        (callback, r)
    }

    fn log(&self) -> String {
        self.server.log_lines().join("\n")
    }
}

#[tokio::test]
async fn openid_login_lands_on_the_app_and_the_account_shows_the_mapped_roles() {
    let s = stack(
        "",
        "opensearch_security.openid.scope: profile email\n",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let authorize = s.to_idp("/app/home").await;
    // The authorization request as Dashboards makes it: no nonce, no PKCE, `openid` prepended to the scope.
    let idp = s.idp();
    assert!(authorize.starts_with(&format!("{}/application/o/authorize/?", idp.base)));
    assert_eq!(
        param(&authorize, "client_id").unwrap(),
        idp.config.client_id
    );
    assert_eq!(param(&authorize, "response_type").unwrap(), "code");
    assert_eq!(
        param(&authorize, "redirect_uri").unwrap(),
        format!("{}/auth/openid/login", s.base)
    );
    assert_eq!(param(&authorize, "scope").unwrap(), "openid profile email");
    assert_eq!(param(&authorize, "state").unwrap().len(), 22);
    assert!(param(&authorize, "nonce").is_none() && param(&authorize, "code_challenge").is_none());

    let callback = s.at_idp(&authorize, "alice").await;
    assert_eq!(param(&callback, "state"), param(&authorize, "state"));
    let r = s.get(&callback).await;
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/app/home", "nextUrl kept through the login");
    let cookie = set_cookie(&r).unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "cookie.secure is false: {cookie}"
    );

    let seen = s.os.seen();
    assert_eq!(seen.len(), 1);
    let token = seen[0].strip_prefix("Bearer ").expect("Bearer <id_token>");
    assert_eq!(token.split('.').count(), 3, "the id_token, a JWS");

    let html = s.get("/app/home").await.text().await.unwrap();
    assert_eq!(title(&html), "Home - OpenSearch Dashboards");
    // The shell renders the user (or goes to Missing Role) once the account API answers, as Dashboards' app does.
    assert!(html.contains("/api/v1/configuration/account"), "{html}");
    assert!(html.contains("sso-harness: Dashboards stand-in"));
    assert_eq!(location(&s.get("/").await), "/app/home");
    let account: Value = s
        .get("/api/v1/configuration/account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        account,
        json!({"data": {"user_name": "alice", "user_requested_tenant": null, "roles": ["all_access"], "backend_roles": ["admins"]}})
    );
    assert_eq!(
        s.os.seen()[1],
        seen[0],
        "the account API asks OpenSearch with the same Bearer header"
    );

    // The log tells what happened and never holds the token.
    let log = s.log();
    assert!(
        log.contains("[info][server][OpenSearchDashboards][http] http server running at"),
        "{log}"
    );
    assert!(log.contains("OpenId login of alice"), "{log}");
    assert!(!log.contains(token), "{log}");

    // Logout: the session goes, the browser goes to the IdP's end-session endpoint with the id_token as hint.
    let r = s.get("/auth/logout").await;
    let end = location(&r);
    assert!(
        end.starts_with(&format!(
            "{}/application/o/{}/end-session/?",
            idp.base, idp.config.slug
        )),
        "{end}"
    );
    assert_eq!(param(&end, "id_token_hint").unwrap(), token);
    assert_eq!(param(&end, "post_logout_redirect_uri").unwrap(), s.base);
    assert!(location(&s.get("/app/home").await).starts_with("/auth/openid/captureUrlFragment"));
}

#[tokio::test]
async fn without_a_session_pages_redirect_to_the_capture_page_and_the_rest_is_401_json() {
    let s = stack("", "", Answer::Roles(vec!["all_access"])).await;
    for (page, next) in [
        ("/", "%2F"),
        ("/app/discover?x=1#/", "%2Fapp%2Fdiscover%3Fx%3D1"),
        ("/goto/abc", "%2Fgoto%2Fabc"),
    ] {
        let r = s.get(page).await;
        assert_eq!(r.status(), 302, "{page}");
        assert_eq!(
            location(&r),
            format!("/auth/openid/captureUrlFragment?nextUrl={next}")
        );
    }
    for api in ["/api/v1/configuration/account", "/api/status"] {
        let r = s.get(api).await;
        assert_eq!(r.status(), 401, "{api}");
        assert_eq!(r.text().await.unwrap(), UNAUTHORIZED);
    }
    assert_eq!(s.get("/no/such/route").await.status(), 404);
    // A callback whose state is not the cookie's: cleared and back to the login, without nextUrl.
    let r = s.get("/auth/openid/login?code=abc&state=wrong").await;
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/auth/openid/login");
    assert!(s.log().contains("state does not match"));
    // An Authorization header is credentials, checked with OpenSearch.
    let r = s
        .http
        .get(format!("{}/api/v1/configuration/account", s.base))
        .basic_auth("alice", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "Authentication Exception"
    );
    // An outside nextUrl is refused.
    assert_eq!(
        s.get("/auth/openid/login?nextUrl=%2F%2Fevil.test%2F")
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn without_mapped_roles_the_app_sends_to_the_missing_role_page() {
    let s = stack("", "", Answer::Roles(vec![])).await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(location(&r), "/app/home", "the login itself succeeds");
    // As Dashboards' app does, the page itself is served; its script asks the account API and, with no mapped
    // roles, goes on to the Missing Role page.
    let r = s.get("/app/home").await;
    assert_eq!(r.status(), 200);
    let shell = r.text().await.unwrap();
    assert!(
        shell.contains(r#"window.location.href = "/app/customerror/missing-role""#),
        "{shell}"
    );
    let html = s
        .get("/app/customerror/missing-role")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(title(&html), "Missing Role");
    assert!(
        html.contains(
            "No roles available for this user, please contact your system administrator."
        )
    );
    assert!(html.contains(r#"data-test-subj="error-logout-button""#));
    let account: Value = s
        .get("/api/v1/configuration/account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["data"]["roles"], json!([]));
    assert_eq!(account["data"]["backend_roles"], json!(["admins"]));
}

#[tokio::test]
async fn opensearch_401_at_the_callback_is_answered_with_401_json_at_the_callback() {
    let s = stack("", "", Answer::Unauthorized).await;
    let (callback, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers().get("location").is_none(),
        "no redirect: the address stays"
    );
    assert_eq!(r.url().path(), "/auth/openid/login");
    assert!(r.url().query().unwrap().starts_with("code="), "{callback}");
    assert_eq!(r.text().await.unwrap(), UNAUTHORIZED);
    assert!(s.os.seen()[0].starts_with("Bearer "));
    assert!(
        s.log()
            .contains("OpenId authentication failed: Error: Authentication Exception")
    );
    // No session came of it.
    assert_eq!(s.get("/api/v1/configuration/account").await.status(), 401);
}

#[tokio::test]
async fn a_jwe_id_token_that_opensearch_accepts_is_an_invalid_token_and_the_login_loops() {
    let s = stack(
        "encryption_key: true,",
        "",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    let mut callbacks = 1;
    let mut r = r;
    // Dashboards' loop: callback → /auth/openid/login → IdP (already logged in) → callback → …
    while callbacks < 4 {
        assert_eq!(r.status(), 302);
        assert_eq!(
            location(&r),
            "/auth/openid/login",
            "back to the login, nextUrl lost"
        );
        let cleared = set_cookie(&r).unwrap();
        assert!(
            cleared.contains("Max-Age=0") || cleared.contains("Expires="),
            "{cleared}"
        );
        let authorize = location(&s.get("/auth/openid/login").await);
        let callback = s.at_idp(&authorize, "alice").await;
        r = s.get(&callback).await;
        callbacks += 1;
    }
    assert_eq!(location(&r), "/auth/openid/login");
    let seen = s.os.seen();
    assert_eq!(
        seen.len(),
        4,
        "authinfo is asked before the token is looked at"
    );
    assert!(
        seen.iter()
            .all(|h| h.strip_prefix("Bearer ").unwrap().split('.').count() == 5)
    );
    assert!(
        s.log()
            .contains("OpenId authentication failed: Error: Invalid token")
    );
    assert_eq!(s.get("/api/v1/configuration/account").await.status(), 401);
}

#[tokio::test]
async fn a_token_endpoint_failure_sends_back_to_the_login() {
    let s = stack(
        "",
        "opensearch_security.openid.client_secret: wrong\n",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/auth/openid/login");
    assert!(s.os.seen().is_empty(), "OpenSearch is never asked");
    assert!(
        s.log()
            .contains("OpenId authentication failed: Error: Response Error: 400 Bad Request"),
        "{}",
        s.log()
    );
}

/// Since 2.4.0.0 discovery is awaited in the plugin's setup and its failure ends Dashboards (FATAL): the stand-in
/// refuses to start with Dashboards' message (security-dashboards-plugin `openid_auth.ts:101-127`,
/// `auth_handler_factory.ts:46`).
#[tokio::test]
async fn with_the_idp_down_at_startup_dashboards_refuses_to_start() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    let yaml = format!(
        "opensearch.hosts: [\"http://127.0.0.1:9\"]\n\
         opensearch_security.auth.type: openid\n\
         opensearch_security.openid.connect_url: http://{dead}/application/o/opensearch/.well-known/openid-configuration\n\
         opensearch_security.openid.client_id: opensearch-dashboards\n"
    );
    let config = Config::from_yaml(&yaml, std::path::Path::new(".")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let Err(stand_in::StartError::Config(e)) =
        Server::start(config, Upstreams::default(), listener).await
    else {
        panic!("the stand-in started without its IdP's endpoints");
    };
    let e = e.to_string();
    assert!(
        e.starts_with("Failed when trying to obtain the endpoints from your IdP"),
        "{e}"
    );
    assert!(
        !e.contains(&dead.port().to_string()),
        "no port in the message: {e}"
    );
}

/// While its own user cannot get `nodes.info`, Dashboards answers every request with the not-ready 503 (OSD
/// `http_service.ts` `runNotReadyServer`); once it can, it serves.
#[tokio::test]
async fn while_kibanaserver_is_refused_every_request_is_503_not_ready() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = stand_in_with(
        listener,
        "opensearch.password: wrong\nopensearch_security.auth.type: basicauth\n",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    for path in ["/app/home", "/auth/login", "/api/status", "/nowhere"] {
        let r = s.get(path).await;
        assert_eq!(r.status(), 503, "{path}");
        assert_eq!(r.headers()["retry-after"], "30");
        assert_eq!(
            r.text().await.unwrap(),
            "OpenSearch Dashboards server is not ready yet"
        );
    }
    assert!(
        s.log()
            .contains("[error][savedobjects-service] Unable to retrieve version information from OpenSearch nodes."),
        "{}",
        s.log()
    );
    assert!(
        s.log()
            .contains("[error][opensearch][data] [ResponseError]: Response Error")
    );
}

/// An OpenSearch that keeps a connection open after its answer (no `Connection: close`) but closes it, without
/// answering, when a second request comes on it: what a node does to a kept-alive connection it has dropped (after
/// a header too large, an idle timeout, a restart). Counts the requests it answered.
async fn closing_opensearch() -> (SocketAddr, Arc<Mutex<usize>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answered = Arc::new(Mutex::new(0));
    let count = answered.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = if buf.starts_with(b"GET /_nodes") {
                    r#"{"nodes":{"n1":{"version":"2.19.4"}}}"#
                } else {
                    r#"{"user_name":"alice","backend_roles":["admins"],"roles":["all_access"]}"#
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(answer.as_bytes()).await.unwrap();
                *count.lock().unwrap() += 1;
                // The next request on this connection: read its first bytes, then close without a word.
                let _ = socket.read(&mut chunk).await;
            });
        }
    });
    (addr, answered)
}

/// A kept-alive connection the server has closed never decides a request: the legacy OpenSearch client retries a
/// request that failed on its connection (legacy elasticsearch-js `transport.js`, `maxRetries` 3), here on a new
/// connection each time (`stand_in::upstream`'s module docs).
#[tokio::test]
async fn a_pooled_connection_opensearch_closed_does_not_fail_the_next_authinfo() {
    let (os, answered) = closing_opensearch().await;
    let yaml =
        format!("opensearch.hosts: [\"http://{os}\"]\nopensearch_security.auth.type: basicauth\n");
    let config = Config::from_yaml(&yaml, std::path::Path::new(".")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = Server::start(config, Upstreams::default(), listener)
        .await
        .unwrap();
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("alice:{BASIC_PASSWORD}"))
    );
    for round in 0..3 {
        let r = client()
            .get(format!("{base}/app/home"))
            .header("authorization", &basic)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "round {round}: {}\n{}",
            r.text().await.unwrap(),
            server.log_lines().join("\n")
        );
    }
    // The start-up check, then per page the auth handler's authinfo and the render's call as the user (each
    // answered once: no request was decided by a connection the server had closed).
    assert_eq!(*answered.lock().unwrap(), 7);
}

const MULTI: &str = "opensearch_security:\n  auth:\n    type: [basicauth, openid]\n    multiple_auth_enabled: true\n";

#[tokio::test]
async fn multiple_authentication_shows_dashboards_login_page_and_its_sso_button_logs_in() {
    let s = stack("", MULTI, Answer::Roles(vec!["all_access"])).await;
    let r = s.get("/app/home").await;
    assert_eq!(location(&r), "/app/login?nextUrl=%2Fapp%2Fhome");
    let html = s
        .get("/app/login?nextUrl=%2Fapp%2Fhome")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(title(&html), "Log in to OpenSearch Dashboards");
    assert!(html.contains(r#"data-test-subj="user-name""#));
    assert!(html.contains(r#"data-test-subj="password""#));
    assert!(html.contains(r#"aria-label="basicauth_login_button""#));
    assert_eq!(html.matches(r#"data-test-subj="submit""#).count(), 2);
    let sso = r#"<a class="euiButton" href="/auth/openid/captureUrlFragment?nextUrl=%2Fapp%2Fhome" aria-label="openid_login_button" data-test-subj="submit">Log in with single sign-on</a>"#;
    assert!(html.contains(sso), "{html}");
    // The SSO button leads through the same OpenID login.
    let capture = s
        .get("/auth/openid/captureUrlFragment?nextUrl=%2Fapp%2Fhome")
        .await;
    assert_eq!(title(&capture.text().await.unwrap()), "OSD OIDC Capture");
    let r = s
        .get("/auth/openid/login?redirectHash=false&nextUrl=%2Fapp%2Fhome")
        .await;
    let callback = s.at_idp(&location(&r), "alice").await;
    let r = s.get(&callback).await;
    assert_eq!(location(&r), "/app/home");
    assert_eq!(s.get("/app/home").await.status(), 200);

    // The button label comes from `ui.openid.login.buttonname`.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = stand_in_with(
        listener,
        &format!(
            "{MULTI}  openid:\n    client_id: x\n  ui:\n    openid:\n      login:\n        buttonname: Log in with authentik\n"
        ),
        Answer::Unauthorized,
    )
    .await;
    let html = other.get("/app/login").await.text().await.unwrap();
    assert!(
        html.contains(r#"data-test-subj="submit">Log in with authentik</a>"#),
        "{html}"
    );
    assert!(html.contains("nextUrl=%2F\""), "nextUrl defaults to /");
}

#[tokio::test]
async fn basic_login_fails_with_dashboards_message_and_succeeds_with_the_right_password() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = stand_in_with(
        listener,
        &format!("{MULTI}  openid:\n    client_id: x\n"),
        Answer::Unauthorized,
    )
    .await;
    let form = |password: &str| {
        vec![
            ("username".to_owned(), "alice".to_owned()),
            ("password".to_owned(), password.to_owned()),
            ("nextUrl".to_owned(), "/app/dashboards".to_owned()),
        ]
    };
    let r = s
        .http
        .post(format!("{}/auth/login", s.base))
        .form(&form("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert_eq!(title(&html), "Log in to OpenSearch Dashboards");
    assert!(html.contains("Invalid username or password. Please try again."));
    // The page's own request (JSON) gets hapi's 401.
    let r = s
        .http
        .post(format!("{}/auth/login", s.base))
        .json(&json!({"username": "alice", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(s.get("/app/home").await.status(), 302, "no session");

    let r = s
        .http
        .post(format!("{}/auth/login", s.base))
        .form(&form(BASIC_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/app/dashboards");
    assert!(set_cookie(&r).is_some());
    let seen = s.os.seen();
    assert_eq!(
        seen.last().unwrap(),
        &format!(
            "Basic {}",
            STANDARD.encode(format!("alice:{BASIC_PASSWORD}"))
        )
    );
    let html = s.get("/app/dashboards").await.text().await.unwrap();
    assert!(html.contains("/api/v1/configuration/account"), "{html}");
    let account: Value = s
        .get("/api/v1/configuration/account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["data"]["user_name"], "alice", "{account}");
    let account: Value = s
        .get("/api/v1/configuration/account")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(account["data"]["roles"], json!(["all_access"]));
    assert!(!s.log().contains(BASIC_PASSWORD), "no password in the log");
    // Logout ends the session and shows the login page.
    assert_eq!(location(&s.get("/auth/logout").await), "/app/login");
    assert_eq!(s.get("/api/v1/configuration/account").await.status(), 401);
}

#[tokio::test]
async fn startup_refuses_what_dashboards_refuses() {
    let err = |yaml: &str| {
        Config::from_yaml(yaml, std::path::Path::new("."))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(
            "opensearch_security.auth.type: [basicauth, openid]\nopensearch_security.openid.client_id: x\n"
        ),
        "Multiple Authentication Mode is disabled. To enable this feature, please set up opensearch_security.auth.multiple_auth_enabled: true"
    );
    assert_eq!(
        err(
            "opensearch_security.auth.type: [openid, jwt]\nopensearch_security.auth.multiple_auth_enabled: true\n"
        ),
        "Authentication type is not configured properly. basicauth is mandatory."
    );
    assert_eq!(stand_in::NAME, "Dashboards stand-in");
}

#[tokio::test]
async fn cookie_attributes_follow_the_config_and_a_callback_without_the_cookie_loops() {
    let s = stack(
        "",
        "opensearch_security.cookie.secure: true\nopensearch_security.cookie.isSameSite: Lax\n",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let r = s.get("/auth/openid/login?nextUrl=%2Fapp%2Fhome").await;
    let cookie = set_cookie(&r).unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // A browser drops a Secure cookie on a plain-HTTP origin (loopback is a secure context for browsers and for
    // reqwest's cookie store alike, so the drop is played by a client without cookies): the state is gone at the
    // callback, and the login starts again.
    let callback = s.at_idp(&location(&r), "alice").await;
    let r = client().get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/auth/openid/login");
    assert!(s.log().contains("state does not match"));
    assert!(s.os.seen().is_empty());
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// After the callback the token is in the browser (`security_authentication_oidc1…N`, iron-sealed, `Domain` from
/// `cookie.domain` on those only), and every authenticated request asks authinfo with `authorization` again
/// (security-dashboards-plugin `routes.ts:211-215`, `openid_auth.ts:205-225, 356-377`, `authentication_type.ts:
/// 213-215`).
#[tokio::test]
async fn after_the_callback_the_token_lives_in_split_cookies_and_each_request_asks_authinfo() {
    let s = stack(
        "",
        "opensearch_security.cookie.domain: sso.test
opensearch_security.openid.extra_storage.additional_cookies: 3
",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(r.status(), 302);
    let cookies = set_cookies(&r);
    let piece = |i: usize| {
        cookies
            .iter()
            .find(|c| c.starts_with(&format!("security_authentication_oidc{i}=")))
            .cloned()
            .unwrap_or_else(|| panic!("oidc{i} in {cookies:?}"))
    };
    assert!(
        piece(1).starts_with("security_authentication_oidc1=Fe26.2**"),
        "{}",
        piece(1)
    );
    assert!(
        piece(1).contains("Domain=sso.test") && piece(1).contains("HttpOnly"),
        "{}",
        piece(1)
    );
    // A short token needs one piece; the others are unset.
    for i in [2, 3] {
        assert!(piece(i).contains("Max-Age=0"), "{}", piece(i));
    }
    let session = set_cookie(&r).unwrap();
    assert!(
        !session.contains("Domain"),
        "the session cookie has no Domain: {session}"
    );
    assert!(
        !cookies
            .iter()
            .any(|c| c.starts_with("security_authentication_oidc4="))
    );

    // The client here ignores a Domain it does not match (as Chromium does), so the token does not come back:
    // `isValidCookie` fails and the page goes to the login again.
    let r = s.get("/app/home").await;
    assert_eq!(r.status(), 302);
    assert!(
        location(&r).starts_with("/auth/openid/captureUrlFragment"),
        "{}",
        location(&r)
    );
    assert!(
        s.log()
            .contains("[info][plugins][securityDashboards] Error: unexpected end of file"),
        "{}",
        s.log()
    );

    // Without `cookie.domain` the pieces come back: each page asks authinfo (the auth handler), then once more as
    // the user (the render), both with the same `authorization`.
    let s = stack("", "", Answer::Roles(vec!["all_access"])).await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(location(&r), "/app/home");
    let before = s.os.seen().len();
    assert_eq!(s.get("/app/home").await.status(), 200);
    let seen = s.os.seen();
    assert_eq!(seen.len(), before + 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|h| h == &seen[0] && h.starts_with("Bearer "))
    );
}

/// `authorization` left out of `opensearch.requestHeadersWhitelist`: the login itself works (the callback and the
/// auth handler pass the header explicitly), the page's own call as the user goes without credentials, and OSD's
/// router forwards OpenSearch's 401 as JSON.
#[tokio::test]
async fn an_allowlist_without_authorization_makes_the_app_401() {
    let s = stack(
        "",
        "opensearch.requestHeadersWhitelist: [securitytenant]
",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(location(&r), "/app/home");
    let r = s.get("/app/home").await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"statusCode": 401, "error": "Unauthorized", "message": "Response Error"})
    );
    let seen = s.os.seen();
    assert_eq!(
        seen.last().unwrap(),
        "",
        "the render's call carried no authorization: {seen:?}"
    );
    assert!(s.log().contains("[Dashboards stand-in]"), "{}", s.log());
}

/// authinfo failing for a stored session (here OpenSearch refusing the token after the login) is not caught by
/// the auth handler: OSD answers 500.
#[tokio::test]
async fn authinfo_failing_after_the_login_is_a_500() {
    let s = stack("", "", Answer::Roles(vec!["all_access"])).await;
    let (_, r) = s.openid_login("/app/home", "alice").await;
    assert_eq!(location(&r), "/app/home");
    *s.os.answer.lock().unwrap() = Answer::Unauthorized;
    let r = s.get("/app/home").await;
    assert_eq!(r.status(), 500);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "An internal server error occurred.");
}

/// `server.basePath`: every URL Dashboards writes carries it (`openid_auth.ts:141-148`, `routes.ts:75, 221-223`);
/// with `rewriteBasePath` Dashboards strips it itself and answers 404 outside it (OSD `http_server.ts`
/// `setupBasePathRewrite`); without, its routes stay at `/` for a proxy that strips the prefix.
#[tokio::test]
async fn a_base_path_prefixes_the_redirects_and_the_rewrite_serves_only_under_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = stand_in_with(
        listener,
        "server.basePath: /dashboards\nopensearch_security.openid.client_id: c\n",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let r = s.get("/app/home").await;
    assert_eq!(
        location(&r),
        "/dashboards/auth/openid/captureUrlFragment?nextUrl=%2Fdashboards%2Fapp%2Fhome"
    );
    // Nothing strips the prefix here: the path Dashboards sent the browser to is not one of its routes.
    assert_eq!(s.get(&location(&r)).await.status(), 404);
    // The capture page (as a stripping proxy would pass it on) goes on to the prefixed login.
    let html = s
        .get("/auth/openid/captureUrlFragment?nextUrl=%2Fdashboards%2Fapp%2Fhome")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#""/dashboards/auth/openid/login""#),
        "{html}"
    );
    // A nextUrl outside the base path is refused (`next_url.ts:64-82`).
    assert_eq!(
        s.get("/auth/openid/captureUrlFragment?nextUrl=%2Fapp%2Fhome")
            .await
            .status(),
        400
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = stand_in_with(
        listener,
        "server.basePath: /dashboards\nserver.rewriteBasePath: true\nopensearch_security.openid.client_id: c\n",
        Answer::Roles(vec!["all_access"]),
    )
    .await;
    let r = s.get("/app/home").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"statusCode": 404, "error": "Not Found", "message": "Not Found"})
    );
    let r = s.get("/dashboards/app/home").await;
    assert_eq!(
        location(&r),
        "/dashboards/auth/openid/captureUrlFragment?nextUrl=%2Fdashboards%2Fapp%2Fhome"
    );
    assert_eq!(s.get(&location(&r)).await.status(), 200);
}
