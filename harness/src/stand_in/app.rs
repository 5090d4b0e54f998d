//! The pages and APIs behind the login: the app (or the missing-role page), the account API, logout.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde_json::json;

use super::upstream::AuthInfoError;
use super::{
    AuthType, St, authenticate, clear_session, error_json, found, pages, session_of, upstream,
    with_cookie,
};

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
}

/// `/`: the app's home for a logged-in user.
pub async fn root(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(_) => found("/app/home"),
        Err(r) => r,
    }
}

/// `/app/*`, `/goto/*`: the app's shell. As Dashboards' browser code does once its bundle has loaded
/// (`account-app.tsx`), the page's script asks the account API, then moves to the missing-role page when
/// `roles` is empty, else renders the header with the user's name.
pub async fn page(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(_) => pages::app().into_response(),
        Err(r) => r,
    }
}

/// `/app/customerror/missing-role`: shown without a session, as Dashboards' custom error app.
pub async fn missing_role() -> Response {
    pages::missing_role().into_response()
}

/// `GET /api/v1/configuration/account`: OpenSearch asked again with the session's header, as Dashboards does.
pub async fn account(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    let user = match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match upstream::authinfo(
        &st.clients.opensearch,
        st.opensearch_host(),
        &user.header_name,
        &user.header_value,
    )
    .await
    {
        Ok(info) => {
            if info.roles.is_empty() {
                st.log(
                    "info",
                    format!("{} has no mapped roles: missing-role page", info.user_name),
                );
            }
            Json(json!({
            "data": {
                "user_name": info.user_name,
                "user_requested_tenant": null,
                "roles": info.roles,
                "backend_roles": info.backend_roles,
            }
            }))
            .into_response()
        }
        Err(AuthInfoError::Unauthorized) => {
            error_json(StatusCode::UNAUTHORIZED, "Authentication Exception")
        }
        Err(AuthInfoError::Other(e)) => {
            st.log("error", format!("account: {e}"));
            error_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An internal server error occurred.",
            )
        }
    }
}

/// `/api/status`: behind the login (no `status.allowAnonymous`).
pub async fn status(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(_) => Json(json!({"name": super::NAME, "status": {"overall": {"state": "green"}}}))
            .into_response(),
        Err(r) => r,
    }
}

/// `/auth/logout`: an OpenID session goes on to the IdP's end-session endpoint (`/auth/openid/logout`); any other
/// back to the login page.
pub async fn logout(st: St, headers: HeaderMap, jar: CookieJar) -> Response {
    let openid = session_of(&st, &jar)
        .and_then(|s| s.user)
        .is_some_and(|u| u.auth_type == AuthType::OpenId);
    if openid && st.endpoints.is_some() {
        return super::openid::logout_to_idp(&st, &headers, &jar);
    }
    st.log("info", "logout");
    let to = if st.config.auth.has(AuthType::Basic) {
        "/app/login"
    } else {
        "/"
    };
    with_cookie(found(to), clear_session(&st, &jar))
}

/// `POST /api/v1/auth/logout` (the basic-auth logout the account menu calls).
pub async fn api_logout(st: St, jar: CookieJar) -> Response {
    st.log("info", "logout");
    with_cookie(Json(json!({})).into_response(), clear_session(&st, &jar))
}
