//! The authentication flow: its page (`/if/flow/<slug>/`) and the flow executor API that page and headless
//! clients talk to. Stages of `default-authentication-flow`: identification → password → MFA validation (passes
//! with a bare 302 for a user without devices) → login → `xak-flow-redirect` to `next` (the authorize URL).
//!
//! authentik `version/2025.12.4`: `flows/views/executor.py`, `stages/identification/stage.py`,
//! `stages/password/stage.py`, `flows/challenge.py`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde_json::{Map, Value, json};

use super::store::{FlowState, Login, Session, Stage};
use super::{AUTHENTICATION_FLOW, Config, State, now, pages, random};

type St = AxumState<Arc<State>>;

pub const SESSION_COOKIE: &str = "authentik_session";
/// After this many wrong passwords the flow is denied (authentik's `failed_attempts_before_cancel`).
const MAX_FAILURES: u32 = 5;

/// The session id of the request, creating a session cookie if there is none. Behind HTTPS (`X-Forwarded-Proto:
/// https`, as Caddy sends) the cookie is authentik's: `HttpOnly; Path=/; SameSite=None; Secure`. Over plain HTTP
/// it is `SameSite=Lax` without `Secure`, since a browser drops a `SameSite=None` cookie that is not `Secure`.
pub fn session_id(jar: CookieJar, headers: &HeaderMap) -> (String, CookieJar) {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        return (c.value().to_owned(), jar);
    }
    let id = random(32);
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p == "https");
    let cookie = Cookie::build((SESSION_COOKIE, id.clone()))
        .http_only(true)
        .path("/")
        .same_site(if secure {
            SameSite::None
        } else {
            SameSite::Lax
        })
        .secure(secure);
    (id, jar.add(cookie))
}

/// `GET /if/flow/<slug>/`: the flow page (web components with shadow roots), or the shadow-free page with `?sfe`.
pub async fn page(Path(flow): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if flow != AUTHENTICATION_FLOW {
        return StatusCode::NOT_FOUND.into_response();
    }
    if q.contains_key("sfe") {
        pages::flow_sfe(&flow)
    } else {
        pages::flow(&flow)
    }
    .into_response()
}

/// The session's plan, made now if there is none (for the application the authorize endpoint left, if any). An
/// existing plan goes on where it is. Every executor request sets where the flow goes when done from its `query`,
/// as authentik keeps the latest query in the session.
fn plan<'s>(session: &'s mut Session, query: Option<&String>) -> &'s mut FlowState {
    let application = &mut session.application_pre;
    let state = session
        .flow
        .get_or_insert_with(|| FlowState::start(next_of(query), std::mem::take(application)));
    state.next = next_of(query);
    state
}

/// `GET /api/v3/flows/executor/<slug>/?query=…`: the current stage's challenge (planning the flow if needed).
/// The stages after the password pass on a GET: the MFA validation (no devices) with a bare 302 to this same URL,
/// the login stage by logging the user in and ending the flow with `xak-flow-redirect`.
pub async fn challenge(
    st: St,
    Path(flow): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if flow != AUTHENTICATION_FLOW {
        return StatusCode::NOT_FOUND.into_response();
    }
    let (sid, jar) = session_id(jar, &headers);
    let config = st.config();
    let mut store = st.store.lock().expect("store");
    let session = store.sessions.entry(sid).or_default();
    let state = plan(session, q.get("query"));
    let response = match state.stage {
        Stage::Identification => Json(identification(&config, state, None)).into_response(),
        Stage::Password => {
            let user = state.pending_user.clone().unwrap_or_default();
            Json(password(state, &user, None)).into_response()
        }
        Stage::MfaValidation | Stage::UserLogin => pass(session, &uri.to_string()),
    };
    (jar, response).into_response()
}

/// A stage that needs nothing from the user passes: the MFA validation hands on to the login stage (302 to the
/// executor URL the request came to: authentik returns a redirect to the same URL as it is, not as a challenge),
/// and the login stage logs the pending user in and ends the flow.
fn pass(session: &mut Session, executor_url: &str) -> Response {
    let Some(state) = session.flow.as_mut() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.stage {
        Stage::MfaValidation => {
            state.stage = Stage::UserLogin;
            super::found(executor_url)
        }
        _ => {
            let next = state.next.clone();
            let username = state.pending_user.clone().unwrap_or_default();
            session.flow = None;
            session.login = Some(Login {
                username,
                auth_time: now(),
            });
            Json(json!({"component": "xak-flow-redirect", "to": next})).into_response()
        }
    }
}

/// `POST /api/v3/flows/executor/<slug>/?query=…`: an answer to the current stage (JSON; `component` optional).
pub async fn answer(
    st: St,
    Path(flow): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    if flow != AUTHENTICATION_FLOW {
        return StatusCode::NOT_FOUND.into_response();
    }
    let answer: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    let field = |k: &str| {
        answer
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let executor_url = uri.to_string();
    let (sid, jar) = session_id(jar, &headers);
    let config = st.config();
    let mut store = st.store.lock().expect("store");
    let session = store.sessions.entry(sid).or_default();
    let state = plan(session, q.get("query"));
    let response = match state.stage {
        Stage::Identification => {
            let uid = field("uid_field");
            if uid.is_empty() {
                let errors = json!({"non_field_errors": [{"string": "No identification data provided.", "code": "invalid"}]});
                Json(identification(&config, state, Some(errors))).into_response()
            } else {
                // pretend_user_exists: an unknown user passes identification and fails at the password stage.
                // A known one is pending under its username, however it was identified (e-mail or username).
                let user = config.user(&uid).map_or(uid, |u| u.username.clone());
                state.pending_user = Some(user);
                state.stage = Stage::Password;
                super::found(&executor_url)
            }
        }
        Stage::Password => {
            let pending = state.pending_user.clone().unwrap_or_default();
            if config
                .user(&pending)
                .is_some_and(|u| u.password == field("password"))
            {
                // More bindings follow (MFA validation, login): authentik redirects to the executor again.
                state.stage = Stage::MfaValidation;
                super::found(&executor_url)
            } else {
                state.failures += 1;
                if state.failures >= MAX_FAILURES {
                    // The executor's `stage_invalid`: the plan is cancelled (its application with it) and the
                    // denial names the user.
                    let denied = access_denied(state, &pending, "Invalid password");
                    session.flow = None;
                    Json(denied).into_response()
                } else {
                    let errors =
                        json!({"password": [{"string": "Invalid password", "code": "invalid"}]});
                    Json(password(state, &pending, Some(errors))).into_response()
                }
            }
        }
        Stage::MfaValidation | Stage::UserLogin => pass(session, &executor_url),
    };
    (jar, response).into_response()
}

impl FlowState {
    /// A plan that ends at `next`; `application`: for the application the authorize endpoint left.
    fn start(next: String, application: bool) -> FlowState {
        FlowState {
            next,
            application,
            pending_user: None,
            stage: Stage::Identification,
            failures: 0,
        }
    }
}

/// `next` inside the executor's `query` parameter.
fn next_of(query: Option<&String>) -> String {
    let query = query.map(String::as_str).unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "next")
        .map_or("/".into(), |(_, v)| v.into_owned())
}

fn flow_info(state: &FlowState) -> Value {
    let cancel: String = url::form_urlencoded::byte_serialize(state.next.as_bytes()).collect();
    json!({
        "title": "Welcome to authentik!",
        "background": "/static/dist/assets/images/flow_background.jpg",
        "background_themed_urls": null,
        "cancel_url": format!("/flows/-/cancel/?next={cancel}"),
        "layout": "stacked",
    })
}

fn identification(config: &Config, state: &FlowState, errors: Option<Value>) -> Value {
    let mut c = Map::new();
    c.insert("flow_info".into(), flow_info(state));
    c.insert("component".into(), json!("ak-stage-identification"));
    if let Some(e) = errors {
        c.insert("response_errors".into(), e);
    }
    c.insert("user_fields".into(), json!(["email", "username"]));
    c.insert("password_fields".into(), json!(false));
    c.insert("allow_show_password".into(), json!(false));
    if state.application {
        c.insert("application_pre".into(), json!(config.application_name));
    }
    c.insert("flow_designation".into(), json!("authentication"));
    c.insert("captcha_stage".into(), Value::Null);
    c.insert("primary_action".into(), json!("Log in"));
    c.insert("sources".into(), json!([]));
    c.insert("show_source_labels".into(), json!(false));
    c.insert("enable_remember_me".into(), json!(false));
    c.insert("passkey_challenge".into(), Value::Null);
    Value::Object(c)
}

fn password(state: &FlowState, pending_user: &str, errors: Option<Value>) -> Value {
    let mut c = Map::new();
    c.insert("flow_info".into(), flow_info(state));
    c.insert("component".into(), json!("ak-stage-password"));
    if let Some(e) = errors {
        c.insert("response_errors".into(), e);
    }
    c.insert("pending_user".into(), json!(pending_user));
    c.insert(
        "pending_user_avatar".into(),
        json!(pages::initials_avatar(pending_user)),
    );
    c.insert("allow_show_password".into(), json!(false));
    Value::Object(c)
}

/// `ak-stage-access-denied` after the flow was cancelled: members as authentik 2025.12.4 sends them.
fn access_denied(state: &FlowState, pending_user: &str, message: &str) -> Value {
    let mut c = Map::new();
    c.insert("flow_info".into(), flow_info(state));
    c.insert("component".into(), json!("ak-stage-access-denied"));
    c.insert("pending_user".into(), json!(pending_user));
    c.insert(
        "pending_user_avatar".into(),
        json!(pages::initials_avatar(pending_user)),
    );
    c.insert("error_message".into(), json!(message));
    Value::Object(c)
}
