//! The pages and APIs behind the login: the app (or the missing-role page), the account API, logout.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde_json::json;

use super::upstream::ScopedError;
use super::{
    AuthType, St, authenticate, clear_session, error_json, found, internal_error, pages,
    session_of, upstream, with_cookie,
};

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
}

/// `/`: the app's home for a logged-in user.
pub async fn root(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(_) => found(&format!("{}/app/home", st.config.bp())),
        Err(r) => r,
    }
}

/// `/app/*`, `/goto/*`: the app's shell. Rendering it reads the user's UI settings as the user (OSD
/// `rendering_service` → `ui_settings_client.ts` `getUserProvided` → `read()`, the config saved object through
/// the scoped client): here one OpenSearch call with the scoped headers stands for that read. A 403 is ignored
/// there (`isIgnorableError`), a 401 is not (`ignore401Errors` is false): OSD's router forwards it as 401 JSON
/// with the error's message and OpenSearch's `WWW-Authenticate` (`http/router/router.ts` `handle`,
/// `convertOpenSearchUnauthorized`). Then, as Dashboards' browser code does once its bundle has loaded
/// (`account-app.tsx`), the page's script asks the account API, moves to the missing-role page when `roles` is
/// empty, else renders the header with the user's name.
pub async fn page(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    let a = match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match upstream::authinfo_with(
        &st.clients.opensearch,
        st.opensearch_host(),
        &st.scoped_headers(&a),
    )
    .await
    {
        Ok(_) => pages::app().into_response(),
        Err(ScopedError::Unauthorized { www_authenticate }) => {
            st.note(
                "error",
                format!(
                    "rendering {} for {}: OpenSearch answered 401 to the scoped client ({})",
                    uri.path(),
                    a.user.username,
                    if st.scoped_headers(&a).is_empty() {
                        "`authorization` is not in opensearch.requestHeadersWhitelist"
                    } else {
                        "with the session's authorization"
                    }
                ),
            );
            let mut r = error_json(StatusCode::UNAUTHORIZED, "Response Error");
            let value =
                www_authenticate.unwrap_or_else(|| "Basic realm=\"Authorization Required\"".into());
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            r
        }
        Err(ScopedError::Other(e)) => {
            st.note("error", format!("rendering {}: {e}", uri.path()));
            internal_error()
        }
    }
}

/// `/app/customerror/missing-role`: shown without a session, as Dashboards' custom error app.
pub async fn missing_role() -> Response {
    pages::missing_role().into_response()
}

/// `GET /api/v1/configuration/account`: OpenSearch asked again through the scoped client, as Dashboards does
/// (`server/routes/index.ts:236-275`, `callAsCurrentUser`), so the allowlist applies.
pub async fn account(st: St, headers: HeaderMap, jar: CookieJar, uri: Uri) -> Response {
    let a = match authenticate(&st, &headers, &jar, &path_and_query(&uri)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match upstream::authinfo_with(
        &st.clients.opensearch,
        st.opensearch_host(),
        &st.scoped_headers(&a),
    )
    .await
    {
        Ok(info) => {
            if info.roles.is_empty() {
                st.note(
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
        Err(ScopedError::Unauthorized { .. }) => {
            error_json(StatusCode::UNAUTHORIZED, "Authentication Exception")
        }
        Err(ScopedError::Other(e)) => {
            st.note("error", format!("account: {e}"));
            internal_error()
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
    st.note("info", "logout");
    let to = if st.config.auth.has(AuthType::Basic) {
        "/app/login"
    } else {
        "/"
    };
    with_cookie(found(to), clear_session(&st, &jar))
}

/// `POST /api/v1/auth/logout` (the basic-auth logout the account menu calls).
pub async fn api_logout(st: St, jar: CookieJar) -> Response {
    st.note("info", "logout");
    with_cookie(Json(json!({})).into_response(), clear_session(&st, &jar))
}
