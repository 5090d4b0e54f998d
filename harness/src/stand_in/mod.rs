//! The Dashboards stand-in: a small relying party that logs in the way the OpenSearch Dashboards security plugin
//! does (docs/dashboards-stand-in.md), so the real OpenSearch security plugin can be tested behind it where the
//! Dashboards image is not available. It reads the case's rendered `opensearch_dashboards.yml` and is named
//! [`NAME`] in pages and logs.
//!
//! Plain HTTP, as Dashboards' port 5601: TLS is Caddy's job. Its log is kept in memory ([`Server::log_lines`]),
//! never printed, and never holds a token, cookie or secret.

mod app;
mod basic;
mod config;
mod iron;
mod keys;
mod openid;
mod pages;
mod schema;
mod store;
mod token_cookies;
mod upstream;

use crate::serve::Background;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use rand::distr::{Alphanumeric, SampleString};
use tokio::net::TcpListener;

pub use config::{Auth, AuthType, Config, ConfigError, OpenIdConfig, VerificationMode};

use store::{Session, Store, UserSession};
use upstream::{AuthInfoError, Clients, Endpoints};

/// How reports, pages and logs name this relying party.
pub const NAME: &str = "Dashboards stand-in";

/// The logger context of the stand-in's own explanatory lines (real Dashboards has none such).
pub const STAND_IN_CONTEXT: &str = "[Dashboards stand-in]";

/// The Dashboards versions the stand-in models (a semver requirement). What bounds it, each read from the
/// security-dashboards-plugin's source:
/// - its start-up validation is the plugin's config schema `server/index.ts`, the same file at every tag from
///   2.12.0.0 to 3.2.0.0 (2.11.x lacks keys it has; 3.3.0.0 adds `resource_sharing`, 3.7.0.0
///   `auth.default_redirect_auth_type`), so a key valid on only part of a wider range would be judged wrongly;
/// - a failed IdP discovery ends Dashboards since 2.4.0.0; the OpenID token lives in split cookies since 2.7.0.0,
///   as the stand-in keeps it (`token_cookies`);
/// - the OIDC routes are the same from 2.19 to 3.x.
///
/// A case that `requires:` other Dashboards behaviour is not run on it (`run::versions`).
pub const MODELS: &str = ">=2.12.0, <3.3.0";

/// How `ran_on` names the stand-in: with the versions it models.
pub const MODELS_DISPLAY: &str = "Dashboards stand-in (models 2.12–3.2)";

/// Where the stand-in's own outgoing calls go.
#[derive(Clone, Debug, Default)]
pub struct Upstreams {
    /// Hostnames → loopback addresses (reqwest `resolve`; the port of the URL is kept), e.g. `idp.sso.test`.
    pub resolve: Vec<(String, SocketAddr)>,
    /// A CA the IdP calls trust besides the system roots (the IdP's certificate is "public"); unused when
    /// `openid.root_ca` is set, as that replaces the roots.
    pub extra_trusted_ca_pem: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{name}: {0}", name = NAME)]
    Io(#[from] std::io::Error),
    #[error("{name}: TLS: {0}", name = NAME)]
    Tls(String),
}

/// Shared by every request.
pub(crate) struct State {
    config: Config,
    /// The IdP's endpoints from discovery (`None` without OpenID).
    endpoints: Option<Endpoints>,
    clients: Clients,
    store: Mutex<Store>,
    log: Arc<Mutex<Vec<String>>>,
    /// Whether its own connection to OpenSearch has worked once (OSD leaves the not-ready server then).
    ready: AtomicBool,
}

impl State {
    /// A line in Dashboards' own words, under the plugin's logger context.
    fn log(&self, level: &str, message: impl AsRef<str>) {
        push(&self.log, level, message.as_ref());
    }

    /// A line of the stand-in's own, explaining what it did: marked `[Dashboards stand-in]`, never a line the
    /// real Dashboards writes, so no `dashboards_log` expectation should be written against it.
    fn note(&self, level: &str, message: impl AsRef<str>) {
        push_as(&self.log, level, STAND_IN_CONTEXT, message.as_ref());
    }

    fn opensearch_host(&self) -> &str {
        &self.config.opensearch_hosts[0]
    }
}

fn push(log: &Mutex<Vec<String>>, level: &str, message: &str) {
    push_as(log, level, "[plugins][securityDashboards]", message);
}

/// A line under another of Dashboards' logger contexts (`[opensearch][data]`, …).
fn push_as(log: &Mutex<Vec<String>>, level: &str, context: &str, message: &str) {
    log.lock()
        .expect("log lock")
        .push(format!("[{level}]{context} {message}"));
}

/// A running stand-in. Dropping it stops the server.
pub struct Server {
    server: Background,
    log: Arc<Mutex<Vec<String>>>,
    /// Retries the connection to OpenSearch while it fails; ends with the server.
    _poller: Option<Poller>,
}

/// A task aborted on drop.
struct Poller(tokio::task::JoinHandle<()>);

impl Drop for Poller {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One round of OSD's nodes check; logs its first failure in Dashboards' words (the OpenSearch client's error under
/// `[opensearch][data]`, then the saved-objects service's line; as real Dashboards logs show them, where they repeat
/// every round: here once, so a case's log does not depend on how long it waited).
async fn check_opensearch(state: &State, first: bool) -> bool {
    let user = state
        .config
        .opensearch_username
        .as_deref()
        .zip(state.config.opensearch_password.as_deref());
    match upstream::nodes_info(&state.clients.opensearch, state.opensearch_host(), user).await {
        Ok(()) => true,
        Err(e) => {
            if first {
                let kind = if e.starts_with("Response Error") {
                    "[ResponseError]: Response Error".to_owned()
                } else {
                    format!("[ConnectionError]: {e}")
                };
                push_as(&state.log, "error", "[opensearch][data]", &kind);
                push_as(
                    &state.log,
                    "error",
                    "[savedobjects-service]",
                    "Unable to retrieve version information from OpenSearch nodes.",
                );
            }
            false
        }
    }
}

impl Server {
    /// Starts as Dashboards does:
    /// 1. With OpenID configured, discovery of `openid.connect_url` is awaited in the plugin's setup (2.4.0.0+:
    ///    security-dashboards-plugin `server/auth/auth_handler_factory.ts:46` `await authHandler.init()`,
    ///    `openid_auth.ts:101-127` throws "Failed when trying to obtain the endpoints from your IdP"). Nothing
    ///    catches it (`server/plugin.ts:126`): OSD's `Root.setup` logs it as FATAL and exits. Here: a
    ///    [`ConfigError::Invalid`] refusal with that message.
    /// 2. It serves, but answers every request with the 503 of OSD's not-ready server (`http_service.ts`
    ///    `runNotReadyServer`) until its own connection to OpenSearch works ([`upstream::nodes_info`], tried
    ///    again every `opensearch.healthCheck.delay`, 2500 ms by default: OSD `opensearch_config.ts`).
    pub async fn start(
        config: Config,
        upstreams: Upstreams,
        listener: TcpListener,
    ) -> Result<Server, StartError> {
        let addr = listener.local_addr()?;
        let clients = Clients::new(&config, &upstreams)?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let endpoints = match &config.openid {
            None => None,
            Some(o) => {
                let url = o.connect_url.as_deref().unwrap_or_default();
                match upstream::discover(&clients.idp, url).await {
                    Ok(e) => Some(e),
                    Err(e) => {
                        // `this.logger.error(error)` comes first, then the throw (`openid_auth.ts:124-125`).
                        return Err(StartError::Config(ConfigError::Invalid(format!(
                            "Failed when trying to obtain the endpoints from your IdP (logged before: {e})"
                        ))));
                    }
                }
            }
        };
        let state = Arc::new(State {
            config,
            endpoints,
            clients,
            store: Mutex::default(),
            log: log.clone(),
            ready: AtomicBool::new(false),
        });
        let poller = if check_opensearch(&state, true).await {
            state.ready.store(true, Ordering::SeqCst);
            None
        } else {
            let s = state.clone();
            Some(Poller(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
                    if check_opensearch(&s, false).await {
                        s.ready.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            })))
        };
        let server = Background::start(router(state.clone()), listener)?;
        // Dashboards' readiness line (OSD `http_server.ts` `start`), under its logger context.
        push_as(
            &log,
            "info",
            "[server][OpenSearchDashboards][http]",
            &format!("http server running at http://{addr}"),
        );
        Ok(Server {
            server,
            log,
            _poller: poller,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Every line logged so far, oldest first (the harness slices them per case by length).
    /// Where tests make its answers slower (`serve::Delays`).
    pub fn delays(&self) -> &crate::serve::Delays {
        self.server.delays()
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The routes, under `server.basePath` when `server.rewriteBasePath` is on: OSD's `setupBasePathRewrite`
/// (`http/http_server.ts`) strips the base path of every request and answers 404 to one outside it; without the
/// rewrite the routes stay at `/` and only the URLs Dashboards writes carry the base path (a proxy is expected to
/// strip it).
fn router(state: Arc<State>) -> Router {
    let routes = routes(state.clone());
    let r = match (&state.config.base_path, state.config.rewrite_base_path) {
        (Some(bp), true) => Router::new()
            .nest(bp, routes)
            .fallback(|| async { not_found() }),
        _ => routes,
    };
    r.layer(axum::middleware::from_fn_with_state(state, not_ready))
}

fn routes(state: Arc<State>) -> Router {
    let mut r = Router::new()
        .route("/", get(app::root))
        .route("/app/login", get(basic::login_page))
        .route("/app/customerror/missing-role", get(app::missing_role))
        .route("/app/{*rest}", get(app::page))
        .route("/goto/{*rest}", get(app::page))
        .route("/api/v1/configuration/account", get(app::account))
        .route("/api/status", get(app::status))
        .route("/auth/logout", get(app::logout).post(app::logout))
        .route("/api/v1/auth/logout", post(app::api_logout));
    if state.config.auth.has(AuthType::Basic) {
        r = r.route("/auth/login", post(basic::login));
    }
    if state.config.auth.has(AuthType::OpenId) {
        r = r
            .route(
                "/auth/openid/captureUrlFragment",
                get(openid::capture_url_fragment),
            )
            .route("/auth/openid/login", get(openid::login))
            .route(
                "/auth/openid/redirectUrlFragment",
                get(openid::redirect_url_fragment),
            )
            .route("/auth/openid/logout", get(openid::logout));
    }
    r.fallback(|| async { not_found() }).with_state(state)
}

/// OSD's not-ready server answers every request while the start-up waits for OpenSearch (`http_service.ts`
/// `runNotReadyServer`: 503, this text, `Retry-After: 30`).
async fn not_ready(
    axum::extract::State(state): St,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if state.ready.load(Ordering::SeqCst) {
        return next.run(request).await;
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "30")],
        "OpenSearch Dashboards server is not ready yet",
    )
        .into_response()
}

type St = axum::extract::State<Arc<State>>;

/// Hapi's error bodies.
fn error_json(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({
            "statusCode": status.as_u16(),
            "error": status.canonical_reason().unwrap_or(""),
            "message": message,
        })),
    )
        .into_response()
}

/// `HapiResponseAdapter.toInternalError`.
fn internal_error() -> Response {
    error_json(
        StatusCode::INTERNAL_SERVER_ERROR,
        "An internal server error occurred.",
    )
}

fn unauthorized() -> Response {
    error_json(StatusCode::UNAUTHORIZED, "Unauthorized")
}

fn not_found() -> Response {
    error_json(StatusCode::NOT_FOUND, "Not Found")
}

/// `302 Found`, as hapi's `response.redirected`.
fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}

fn random(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A session cookie as Dashboards sets `security_authentication`: HttpOnly, path `/`, `Secure` iff
/// `cookie.secure`, `SameSite` iff `cookie.isSameSite`.
fn cookie(state: &State, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(state.config.cookie_name.clone(), value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_secure(state.config.cookie_secure);
    c.set_same_site(match state.config.cookie_same_site.as_deref() {
        Some("Strict") => Some(SameSite::Strict),
        Some("Lax") => Some(SameSite::Lax),
        Some("None") => Some(SameSite::None),
        _ => None,
    });
    c
}

/// Replaces whatever the request's cookie held with `session` (hapi's `sessionStorage.set`).
fn set_session(state: &State, jar: &CookieJar, session: Session) -> HeaderValue {
    let mut store = state.store.lock().expect("store lock");
    if let Some(old) = jar.get(&state.config.cookie_name) {
        store.sessions.remove(old.value());
    }
    let id = random(32);
    store.sessions.insert(id.clone(), session);
    HeaderValue::from_str(&cookie(state, id).to_string()).expect("cookie header")
}

/// Forgets the request's session and expires its cookie (`sessionStorage.clear`).
fn clear_session(state: &State, jar: &CookieJar) -> HeaderValue {
    if let Some(old) = jar.get(&state.config.cookie_name) {
        state
            .store
            .lock()
            .expect("store lock")
            .sessions
            .remove(old.value());
    }
    let mut c = cookie(state, String::new());
    c.make_removal();
    HeaderValue::from_str(&c.to_string()).expect("cookie header")
}

fn session_of(state: &State, jar: &CookieJar) -> Option<Session> {
    let id = jar.get(&state.config.cookie_name)?;
    state
        .store
        .lock()
        .expect("store lock")
        .sessions
        .get(id.value())
        .cloned()
}

fn with_cookie(mut r: Response, cookie: HeaderValue) -> Response {
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

/// `isPageRequest`: what gets a redirect to the login instead of a 401.
fn is_page(path: &str) -> bool {
    path == "/" || path.starts_with("/app/") || path.starts_with("/goto/")
}

/// What the auth handler hands on to the route (`toolkit.authenticated({ requestHeaders, state })`).
struct Authenticated {
    user: UserSession,
    /// `requestHeaders.authorization`: what the scoped client sends as this user, before the allowlist.
    authorization: String,
}

impl State {
    /// The headers OSD's scoped client sends for a request as its user: the auth handler's `requestHeaders`
    /// through `filterHeaders(…, ['x-opaque-id', ...opensearch.requestHeadersWhitelist])` (OSD
    /// `opensearch/client/cluster_client.ts` and `legacy/cluster_client.ts` `getScopedHeaders`; `filterHeaders`
    /// compares trimmed, lower-cased names). Without `authorization` in the list OpenSearch gets no credentials.
    fn scoped_headers<'a>(&self, a: &'a Authenticated) -> Vec<(&'static str, &'a str)> {
        let kept = self
            .config
            .request_headers_allowlist
            .iter()
            .any(|h| h.trim().eq_ignore_ascii_case("authorization"));
        if kept {
            vec![("authorization", a.authorization.as_str())]
        } else {
            Vec::new()
        }
    }
}

/// The auth handler of every protected route (security-dashboards-plugin `server/auth/types/
/// authentication_type.ts:98-222` at 2.19.4.0 = 3.2.0.0):
/// - a request carrying `Authorization` is checked with OpenSearch (110-130; no cookie is saved here);
/// - else the session cookie must be valid (`isValidCookie`; for OpenID the token must come back from the split
///   cookies, `openid_auth.ts:269-280, 341-354`); if not, the session is cleared and a page goes to the login
///   (the capture page for OpenID alone), anything else gets 401 (138-158);
/// - then authinfo is asked **on every request**, with `authorization: <the stored value>` (213-215; the header is
///   always `authorization`, `openid_auth.ts:356-377`: `openid.header` is used only at the callback). That call is
///   not in a `try`: a failure throws out of the handler, and OSD's `adoptToHapiAuthFormat`
///   (`http/lifecycle/auth.ts`) answers 500.
async fn authenticate(
    state: &State,
    headers: &HeaderMap,
    jar: &CookieJar,
    path_and_query: &str,
) -> Result<Authenticated, Response> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return match upstream::authinfo(
            &state.clients.opensearch,
            state.opensearch_host(),
            "authorization",
            value,
        )
        .await
        {
            Ok(info) => Ok(Authenticated {
                user: UserSession::from_info(info, AuthType::Basic, Some(value), None),
                authorization: value.to_owned(),
            }),
            Err(e) => {
                state.note(
                    "error",
                    format!(
                        "a request with an Authorization header was rejected: {}",
                        describe(&e)
                    ),
                );
                Err(error_json(
                    StatusCode::UNAUTHORIZED,
                    "Authentication Exception",
                ))
            }
        };
    }
    let user = session_of(state, jar)
        .and_then(|s| s.user)
        .filter(|u| state.config.auth.has(u.auth_type) && u.is_valid(now_ms()));
    let authorization = user.as_ref().and_then(|u| match u.auth_type {
        AuthType::Basic => u.auth_header_value.clone(),
        AuthType::OpenId => match token_cookies::read(&state.config, jar) {
            Ok(v) if !v.is_empty() => Some(v),
            Ok(_) => None,
            // `this.logger.info(error)` (`openid_auth.ts:350`).
            Err(e) => {
                state.log("info", e);
                None
            }
        },
    });
    let (Some(user), Some(authorization)) = (user, authorization) else {
        let path = path_and_query.split('?').next().unwrap_or("/");
        let response = if !is_page(path) {
            unauthorized()
        } else {
            // `generateNextUrl` (`openid_auth.ts:129-148`) and the capture redirect both carry the base path.
            let bp = state.config.bp();
            let next = format!("nextUrl={}", encode(&format!("{bp}{path_and_query}")));
            match state.config.auth {
                Auth::Single(AuthType::OpenId) => {
                    found(&format!("{bp}/auth/openid/captureUrlFragment?{next}"))
                }
                _ => found(&format!("{bp}/app/login?{next}")),
            }
        };
        return Err(if jar.get(&state.config.cookie_name).is_some() {
            with_cookie(response, clear_session(state, jar))
        } else {
            response
        });
    };
    match upstream::authinfo(
        &state.clients.opensearch,
        state.opensearch_host(),
        "authorization",
        &authorization,
    )
    .await
    {
        Ok(_) => Ok(Authenticated {
            user,
            authorization,
        }),
        Err(e) => {
            state.note(
                "error",
                format!(
                    "authinfo of {}'s session failed ({}): OSD answers 500",
                    user.username,
                    describe(&e)
                ),
            );
            Err(internal_error())
        }
    }
}

fn describe(e: &AuthInfoError) -> String {
    match e {
        AuthInfoError::Unauthorized => "Authentication Exception".into(),
        AuthInfoError::Other(m) => m.clone(),
    }
}

/// `validateNextUrl` (`server/utils/next_url.ts:64-82`): the path part must start with the base path, and what
/// follows must be a path on this server, nothing that leaves it.
fn valid_next_url(u: &str, base_path: &str) -> bool {
    let path = u.split(['?', '#']).next().unwrap_or_default();
    let Some(rest) = path.strip_prefix(base_path) else {
        return false;
    };
    (rest.is_empty() && !base_path.is_empty())
        || (rest.starts_with('/') && !rest.starts_with("//") && !rest.contains('\\'))
}

/// What the route validation answers for a bad `nextUrl`.
fn bad_next_url() -> Response {
    error_json(
        StatusCode::BAD_REQUEST,
        "[request query.nextUrl]: Invalid nextUrl parameter.",
    )
}
