//! The authentication flow: its page (`/if/flow/<slug>/`) and the flow executor API that page and headless
//! clients talk to. Stages: identification → password → redirect to `next` (the authorize URL).
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

use super::store::{FlowState, Login};
use super::{AUTHENTICATION_FLOW, Config, State, now, pages, random};

type St = AxumState<Arc<State>>;

pub const SESSION_COOKIE: &str = "authentik_session";
/// After this many wrong passwords the flow is denied (authentik's `failed_attempts_before_cancel`).
const MAX_FAILURES: u32 = 5;

/// The session id of the request, creating a session cookie if there is none.
pub fn session_id(jar: CookieJar, headers: &HeaderMap) -> (String, CookieJar) {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        return (c.value().to_owned(), jar);
    }
    let id = random(32);
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p == "https");
    let cookie = Cookie::build((SESSION_COOKIE, id.clone()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax);
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

/// `GET /api/v3/flows/executor/<slug>/?query=…`: the current stage's challenge (starting the flow if needed).
pub async fn challenge(
    st: St,
    Path(flow): Path<String>,
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
    let state = session
        .flow
        .get_or_insert_with(|| FlowState::start(q.get("query")));
    let body = match &state.pending_user {
        None => identification(&config, state, None),
        Some(user) => password(state, user, None),
    };
    (jar, Json(body)).into_response()
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
    let (sid, jar) = session_id(jar, &headers);
    let config = st.config();
    let mut store = st.store.lock().expect("store");
    let session = store.sessions.entry(sid).or_default();
    let state = session
        .flow
        .get_or_insert_with(|| FlowState::start(q.get("query")));
    let Some(pending) = state.pending_user.clone() else {
        let uid = field("uid_field");
        if uid.is_empty() {
            let errors = json!({"non_field_errors": [{"string": "No identification data provided.", "code": "invalid"}]});
            return (jar, Json(identification(&config, state, Some(errors)))).into_response();
        }
        // pretend_user_exists: an unknown user passes identification and fails at the password stage.
        state.pending_user = Some(uid);
        return (jar, super::found(&uri.to_string())).into_response();
    };
    let user = config
        .user(&pending)
        .filter(|u| u.password == field("password"))
        .map(|u| u.username.clone());
    match user {
        Some(username) => {
            let next = state.next.clone();
            session.flow = None;
            session.login = Some(Login {
                username,
                auth_time: now(),
            });
            (
                jar,
                Json(json!({"component": "xak-flow-redirect", "to": next})),
            )
                .into_response()
        }
        None => {
            state.failures += 1;
            if state.failures >= MAX_FAILURES {
                session.flow = None;
                let denied = json!({"component": "ak-stage-access-denied", "error_message": "Unknown error"});
                return (jar, Json(denied)).into_response();
            }
            let errors = json!({"password": [{"string": "Invalid password", "code": "invalid"}]});
            (jar, Json(password(state, &pending, Some(errors)))).into_response()
        }
    }
}

impl FlowState {
    /// A flow started from the executor's `query` parameter (the flow page's own query string, with `next`).
    fn start(query: Option<&String>) -> FlowState {
        FlowState {
            next: next_of(query),
            pending_user: None,
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
    if state.next.starts_with("/application/o/authorize/") {
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
