//! The OpenID routes (`server/auth/types/openid/routes.ts`): capture page, login (start and callback),
//! fragment restore, logout. Registered only when discovery succeeded at startup.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::store::{OidcState, Session, UserSession};
use super::upstream::{self, AuthInfoError};
use super::{
    AuthType, St, State, bad_next_url, clear_session, encode, found, now_ms, pages, random,
    set_session, unauthorized, valid_next_url, with_cookie,
};

/// `getBaseRedirectUrl`: `openid.base_redirect_url`, else the server's own origin (X-Forwarded-* when
/// `trust_dynamic_headers`) — `http://0.0.0.0:5601` in the image, which is why it must be set.
pub(super) fn base_redirect_url(state: &State, headers: &HeaderMap) -> String {
    let o = state.config.openid.as_ref().expect("openid configured");
    if !o.base_redirect_url.is_empty() {
        return o.base_redirect_url.clone();
    }
    let c = &state.config;
    let mut protocol = if c.server_ssl { "https" } else { "http" }.to_owned();
    let mut host = format!("{}:{}", c.server_host, c.server_port);
    if o.trust_dynamic_headers {
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        if let Some(h) = header("x-forwarded-host") {
            host = h.to_owned();
        }
        if let Some(p) = header("x-forwarded-proto") {
            protocol = p.to_owned();
        }
    }
    // `getBaseRedirectUrl` (`helper.ts:58-73`): the root URL plus the base path (a set `base_redirect_url` is taken
    // as it is).
    format!("{protocol}://{host}{}", c.bp())
}

/// `/auth/openid/captureUrlFragment`: keeps the URL fragment (which the server never sees) for after the login.
pub async fn capture_url_fragment(st: St, Query(q): Query<HashMap<String, String>>) -> Response {
    let next = q.get("nextUrl").map(String::as_str).unwrap_or("/");
    if !valid_next_url(next, st.config.bp()) {
        return bad_next_url();
    }
    pages::capture(next, st.config.bp()).into_response()
}

/// `/auth/openid/redirectUrlFragment`: back to `nextUrl` with the saved fragment.
pub async fn redirect_url_fragment(st: St, Query(q): Query<HashMap<String, String>>) -> Response {
    let next = q.get("nextUrl").map(String::as_str).unwrap_or("/");
    if !valid_next_url(next, st.config.bp()) {
        return bad_next_url();
    }
    pages::restore_fragment(next).into_response()
}

/// `/auth/openid/login`: without `code` starts a login; with `code` it is the callback.
pub async fn login(
    st: St,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(next) = q.get("nextUrl")
        && !valid_next_url(next, st.config.bp())
    {
        return bad_next_url();
    }
    match q.get("code").filter(|c| !c.is_empty()) {
        None => start(&st, &headers, &jar, &q),
        Some(code) => callback(&st, &headers, &jar, code, q.get("state")).await,
    }
}

/// A 22-character state in the cookie, no nonce, no PKCE; the browser goes to the IdP.
fn start(
    st: &State,
    headers: &HeaderMap,
    jar: &CookieJar,
    q: &HashMap<String, String>,
) -> Response {
    let o = st.config.openid.as_ref().expect("openid configured");
    let endpoints = st
        .endpoints
        .as_ref()
        .expect("routes exist only with endpoints");
    let state = random(22);
    let base = base_redirect_url(st, headers);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &o.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &format!("{base}/auth/openid/login"))
        .append_pair("state", &state)
        .append_pair("scope", &o.scope)
        .finish();
    // `getNextUrl`: the query's, else the base redirect URL.
    let next_url = q.get("nextUrl").cloned().unwrap_or(base);
    let cookie = set_session(
        st,
        jar,
        Session {
            oidc: Some(OidcState {
                state,
                next_url,
                redirect_hash: q.get("redirectHash").is_some_and(|v| v == "true"),
            }),
            user: None,
        },
    );
    st.note(
        "debug",
        "OpenId login: redirecting to the authorization endpoint",
    );
    with_cookie(
        found(&format!("{}?{query}", endpoints.authorization)),
        cookie,
    )
}

async fn callback(
    st: &State,
    headers: &HeaderMap,
    jar: &CookieJar,
    code: &str,
    state: Option<&String>,
) -> Response {
    let oidc = super::session_of(st, jar).and_then(|s| s.oidc);
    let Some(oidc) = oidc.filter(|o| Some(&o.state) == state) else {
        // Dashboards logs nothing here (`routes.ts:157-163`).
        st.note(
            "error",
            "the callback's state does not match the cookie (or no cookie came back): back to the login",
        );
        return redirect_to_login(st, jar);
    };
    let o = st.config.openid.as_ref().expect("openid configured");
    let endpoints = st
        .endpoints
        .as_ref()
        .expect("routes exist only with endpoints");
    let redirect_uri = format!("{}/auth/openid/login", base_redirect_url(st, headers));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", o.client_id.as_str()),
        ("client_secret", o.client_secret.as_str()),
    ];
    let outcome = async {
        let tokens = upstream::token(&st.clients.idp, &endpoints.token, &form)
            .await
            .map_err(AuthInfoError::Other)?;
        // `Bearer undefined` when the answer has no id_token, as Dashboards sends it.
        let bearer = format!(
            "Bearer {}",
            tokens.id_token.as_deref().unwrap_or("undefined")
        );
        let info = upstream::authinfo(
            &st.clients.opensearch,
            st.opensearch_host(),
            &o.header,
            &bearer,
        )
        .await?;
        // Only now is the token looked at: three parts, `exp`.
        let expires_at = upstream::expiration(&tokens, now_ms()).map_err(AuthInfoError::Other)?;
        Ok::<_, AuthInfoError>((
            UserSession::from_info(info, AuthType::OpenId, None, expires_at),
            bearer,
        ))
    }
    .await;
    match outcome {
        Ok((user, bearer)) => {
            st.note(
                "info",
                format!(
                    "OpenId login of {} (roles {}, backend roles {}); authinfo with {} Bearer [token]; \
                     the token goes to the split cookies, later requests send authorization",
                    user.username,
                    few(&user.roles),
                    few(&user.backend_roles),
                    o.header
                ),
            );
            // `setExtraAuthStorage` (`routes.ts:211-215`): the token into the browser's split cookies.
            let (token_cookies, warning) = super::token_cookies::store(&st.config, &bearer);
            if let Some(w) = warning {
                st.log("warning", w);
            }
            let cookie = set_session(
                st,
                jar,
                Session {
                    oidc: None,
                    user: Some(user),
                },
            );
            let location = if oidc.redirect_hash {
                format!(
                    "{}/auth/openid/redirectUrlFragment?nextUrl={}",
                    st.config.bp(),
                    encode(&oidc.next_url)
                )
            } else {
                oidc.next_url
            };
            let mut r = found(&location);
            for c in token_cookies {
                r.headers_mut().append(axum::http::header::SET_COOKIE, c);
            }
            with_cookie(r, cookie)
        }
        Err(AuthInfoError::Unauthorized) => {
            // The address bar stays on the callback (PR #1014); the cookie is left as it was.
            st.log(
                "error",
                "OpenId authentication failed: Error: Authentication Exception",
            );
            unauthorized()
        }
        Err(AuthInfoError::Other(e)) => {
            st.log("error", format!("OpenId authentication failed: {e}"));
            redirect_to_login(st, jar)
        }
    }
}

/// `redirectToLogin`: clear the cookie and start again, without `nextUrl` — a login that keeps failing loops.
fn redirect_to_login(st: &State, jar: &CookieJar) -> Response {
    with_cookie(
        found(&format!("{}/auth/openid/login", st.config.bp())),
        clear_session(st, jar),
    )
}

/// `/auth/openid/logout`: clear, then the IdP's end-session endpoint (or `openid.logout_url`).
pub async fn logout(st: St, headers: HeaderMap, jar: CookieJar) -> Response {
    logout_to_idp(&st, &headers, &jar)
}

pub(super) fn logout_to_idp(st: &State, headers: &HeaderMap, jar: &CookieJar) -> Response {
    // `routes.ts:250-267`: the token from the split cookies, which are cleared with the session.
    let openid = super::session_of(st, jar)
        .and_then(|s| s.user)
        .is_some_and(|u| u.auth_type == AuthType::OpenId);
    let token = openid
        .then(|| super::token_cookies::read(&st.config, jar).ok())
        .flatten()
        .and_then(|v| v.split(' ').nth(1).map(str::to_owned));
    let split = super::token_cookies::clear(&st.config, jar);
    let cookie = clear_session(st, jar);
    let o = st.config.openid.as_ref().expect("openid configured");
    let end_session = Some(o.logout_url.clone())
        .filter(|u| !u.is_empty())
        .or_else(|| st.endpoints.as_ref().and_then(|e| e.end_session.clone()));
    st.note("info", "OpenId logout");
    let Some(Ok(mut url)) = end_session.map(|u| url::Url::parse(&u)) else {
        // `new URL(undefined)` throws: Dashboards answers 500.
        return with_cookie(
            super::error_json(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "An internal server error occurred.",
            ),
            cookie,
        );
    };
    url.query_pairs_mut()
        .append_pair("post_logout_redirect_uri", &base_redirect_url(st, headers))
        .append_pair("id_token_hint", token.as_deref().unwrap_or("undefined"));
    let mut r = found(url.as_str());
    for c in split {
        r.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    with_cookie(r, cookie)
}

/// A list for a log line: up to 5 names, then how many more.
fn few(names: &[String]) -> String {
    if names.len() <= 5 {
        return format!("{names:?}");
    }
    format!("{:?} and {} more", &names[..5], names.len() - 5)
}
