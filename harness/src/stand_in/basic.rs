//! Basic authentication and the login page (`server/auth/types/basic/routes.ts`, `public/apps/login/`): the page
//! of single basic auth and of multiple authentication (with the SSO button), and `POST /auth/login`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::store::{Session, UserSession};
use super::upstream::{self, AuthInfoError};
use super::{
    AuthType, St, bad_next_url, error_json, found, pages, set_session, valid_next_url, with_cookie,
};

/// `GET /app/login?nextUrl=…`. Without basic auth it is an ordinary app page (behind the OpenID login).
pub async fn login_page(
    st: St,
    headers: HeaderMap,
    jar: CookieJar,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !st.config.auth.has(AuthType::Basic) {
        return super::app::page(st, headers, jar, uri).await;
    }
    let next = q.get("nextUrl").map(String::as_str).unwrap_or("/");
    if !valid_next_url(next, st.config.bp()) {
        return bad_next_url();
    }
    pages::login(&st.config, next, None).into_response()
}

/// `POST /auth/login` with `{username, password}` (the page's fetch) or a plain form (`username`, `password`,
/// `nextUrl`): authinfo with `Authorization: Basic …`, then the session.
pub async fn login(st: St, headers: HeaderMap, jar: CookieJar, body: Bytes) -> Response {
    let json_request = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let fields: HashMap<String, String> = if json_request {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            _ => {
                return error_json(
                    StatusCode::BAD_REQUEST,
                    "[request body]: expected an object",
                );
            }
        }
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    let username = fields.get("username").cloned().unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    let next = fields
        .get("nextUrl")
        .cloned()
        .filter(|n| valid_next_url(n, st.config.bp()))
        .unwrap_or_else(|| "/app/home".into());
    let value = format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    );
    match upstream::authinfo(
        &st.clients.opensearch,
        st.opensearch_host(),
        "authorization",
        &value,
    )
    .await
    {
        Ok(info) => {
            st.note(
                "info",
                format!(
                    "basic login of {} (roles {:?}, backend roles {:?})",
                    info.user_name, info.roles, info.backend_roles
                ),
            );
            let user = UserSession::from_info(info, AuthType::Basic, Some(&value), None);
            let body = json!({
                "username": user.username,
                "tenants": {},
                "roles": user.roles,
                "backendroles": user.backend_roles,
                "selectedTenant": null,
            });
            let cookie = set_session(
                &st,
                &jar,
                Session {
                    oidc: None,
                    user: Some(user),
                },
            );
            let r = if json_request {
                Json(body).into_response()
            } else {
                found(&next)
            };
            with_cookie(r, cookie)
        }
        Err(e) => {
            let why = match &e {
                AuthInfoError::Unauthorized => "Authentication Exception".to_owned(),
                AuthInfoError::Other(m) => m.clone(),
            };
            // `basic/routes.ts:109-110`: the thrown `new Error(error.message)`.
            st.log("error", format!("Failed authentication: Error: {why}"));
            st.note("error", format!("basic login of {username} failed"));
            if json_request {
                error_json(StatusCode::UNAUTHORIZED, &why)
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    pages::login(
                        &st.config,
                        &next,
                        Some("Invalid username or password. Please try again."),
                    ),
                )
                    .into_response()
            }
        }
    }
}
