//! The OAuth2 / OpenID Connect endpoints: authorize, token, userinfo, discovery, JWKS, end-session.
//!
//! authentik `version/2025.12.4`: `providers/oauth2/views/{authorize,token,userinfo,provider,jwks}.py`,
//! `providers/oauth2/errors.py`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::claims::{self, Grant, TokenContext};
use super::discovery;
use super::flow::session_id;
use super::store::{ACCESS_TOKEN_VALIDITY, CODE_VALIDITY, Code, Issued, Login};
use super::{AUTHENTICATION_FLOW, Config, State, jose, now, origin, pages, random};
use crate::scenario::ScopeMapping;

type St = AxumState<Arc<State>>;

/// The discovery document. CORS as authentik answers it: nothing without an `Origin`; with one, that origin echoed
/// and credentials allowed (the JWKS, by contrast, always answers `*`).
pub async fn discovery(st: St, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let config = st.config();
    if slug != config.slug {
        return StatusCode::NOT_FOUND.into_response();
    }
    let body = serde_json::to_string_pretty(&discovery::document(&config, &origin(&headers)))
        .expect("JSON");
    let mut r = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(o) = headers.get(header::ORIGIN) {
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    r
}

pub async fn jwks(st: St, Path(slug): Path<String>) -> Response {
    let config = st.config();
    if slug != config.slug {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(discovery::jwks(&config)),
    )
        .into_response()
}

pub async fn application_root(st: St, Path(slug): Path<String>) -> Response {
    if slug != st.config().slug {
        return StatusCode::NOT_FOUND.into_response();
    }
    super::found(&format!(
        "/application/o/{slug}/.well-known/openid-configuration"
    ))
    .into_response()
}

/// `GET /application/o/<slug>/end-session/`: an anonymous request goes to the authentication flow with `next`
/// pointing back here (authentik's access check, as for any application view); a logged-in one ends the session.
pub async fn end_session(
    st: St,
    Path(slug): Path<String>,
    jar: CookieJar,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if slug != st.config().slug {
        return StatusCode::NOT_FOUND.into_response();
    }
    let session = jar
        .get(super::flow::SESSION_COOKIE)
        .map(|c| c.value().to_owned());
    let mut store = st.store.lock().expect("store");
    let logged_in = session
        .as_ref()
        .and_then(|s| store.sessions.get(s))
        .is_some_and(|s| s.login.is_some());
    if !logged_in {
        // Django's `redirect_to_login`: the full path as `next`, `/` left as it is.
        let next = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
        return super::found(&format!(
            "/if/flow/{AUTHENTICATION_FLOW}/?next={}",
            quote_keeping_slashes(&next)
        ));
    }
    if let Some(s) = session {
        store.sessions.remove(&s);
    }
    pages::message(
        "Logged out",
        "You have been logged out of the identity provider.",
    )
    .into_response()
}

/// Percent-encoding as Python's `quote(s, safe="/")`: unreserved characters and `/` stay.
fn quote_keeping_slashes(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /application/o/authorize/`: validates the client and redirect URI (errors as HTML pages, like authentik),
/// sends anonymous users to the authentication flow, and answers logged-in users with a code (implicit consent).
pub async fn authorize(
    st: St,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if q.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let config = st.config();
    // A repeated parameter counts with its last value, as Django's QueryDict.get gives it.
    let param = |k: &str| {
        q.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    if param("client_id") != Some(config.client_id.as_str()) {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Client ID Error",
            "The client identifier (client_id) is missing or invalid.",
        );
    }
    let Some(redirect_uri) = param("redirect_uri").filter(|r| config.allows_redirect(r)) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Redirect URI Error",
            "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).",
        );
    };
    let state = param("state").unwrap_or("");
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let fail = |error: &str, description: &str| -> Response {
        let d: String = url::form_urlencoded::byte_serialize(description.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        super::found(&format!(
            "{redirect_uri}{sep}error={error}&error_description={d}&state={state}"
        ))
        .into_response()
    };
    if param("response_type") != Some("code") {
        // The embedded profile implements the authorization code flow only (what Dashboards uses).
        return fail(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        );
    }
    let pkce = match (
        param("code_challenge"),
        param("code_challenge_method").unwrap_or("plain"),
    ) {
        (None, _) => None,
        (Some(c), m @ ("plain" | "S256")) => Some((m.to_owned(), c.to_owned())),
        (Some(_), m) => {
            return fail(
                "invalid_request",
                &format!("Unsupported challenge method {m}"),
            );
        }
    };

    let (sid, jar) = session_id(jar, &headers);
    let login = st
        .store
        .lock()
        .expect("store")
        .sessions
        .get(&sid)
        .and_then(|s| s.login.clone());
    let Some(Login {
        username,
        auth_time,
    }) = login
    else {
        // Not logged in: to the flow, with the original query and `next` pointing back here.
        let mut query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q.iter())
            .finish();
        let full_path = format!("/application/o/authorize/?{}", raw_query(&q));
        // The application, for the identification stage to name (`application_pre`) when the flow is planned.
        st.store
            .lock()
            .expect("store")
            .sessions
            .entry(sid)
            .or_default()
            .application_pre = true;
        query.push_str("&next=");
        query.extend(url::form_urlencoded::byte_serialize(full_path.as_bytes()));
        return (
            jar,
            super::found(&format!("/if/flow/{AUTHENTICATION_FLOW}/?{query}")),
        )
            .into_response();
    };
    let code = random_hex(32);
    let grant = Grant {
        scopes: claims::granted(param("scope").unwrap_or(""), &config.property_mappings),
        nonce: param("nonce").map(str::to_owned),
        auth_time,
        sid: claims::hex(&Sha256::digest(sid.as_bytes())),
    };
    st.store.lock().expect("store").codes.insert(
        code.clone(),
        Code {
            username,
            grant,
            pkce,
            expires: Instant::now() + CODE_VALIDITY,
        },
    );
    (
        jar,
        super::found(&format!("{redirect_uri}{sep}code={code}&state={state}")),
    )
        .into_response()
}

/// The query string as it arrived (for `next`), re-encoded the way a browser sends it.
fn raw_query(q: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(q.iter())
        .finish()
}

fn random_hex(len: usize) -> String {
    claims::hex(&rand::random::<[u8; 32]>())[..len].to_owned()
}

/// An OAuth error response: 400 `{"error","error_description","request_id"}`.
fn oauth_error(error: &str, description: &str) -> Response {
    let body =
        json!({"error": error, "error_description": description, "request_id": random_hex(32)});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// `POST /application/o/token/`: client_secret_basic or client_secret_post; authorization_code and refresh_token.
pub async fn token(
    st: St,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let config = st.config();
    let field = |k: &str| form.get(k).map(String::as_str);
    let grant_type = field("grant_type").unwrap_or("");
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return oauth_error(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let (client_id, secret) = client_credentials(&headers, &form);
    if client_id != config.client_id || secret != config.client_secret {
        return oauth_error(
            "invalid_client",
            "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
        );
    }
    let issuer = discovery::issuer(&config, &origin(&headers));
    let (username, grant) = if grant_type == "authorization_code" {
        let Some(code) = field("code") else {
            return oauth_error(
                "invalid_grant",
                "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client",
            );
        };
        if !field("redirect_uri").is_some_and(|r| config.allows_redirect(r)) {
            return oauth_error(
                "invalid_client",
                "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
            );
        }
        let code = st.store.lock().expect("store").codes.remove(code);
        let Some(code) = code.filter(|c| c.expires > Instant::now()) else {
            return invalid_grant();
        };
        if !pkce_ok(code.pkce.as_ref(), field("code_verifier")) {
            return invalid_grant();
        }
        (code.username, code.grant)
    } else {
        let issued = field("refresh_token").and_then(|t| {
            st.store
                .lock()
                .expect("store")
                .refresh_tokens
                .get(t)
                .cloned()
        });
        match issued {
            Some(i) => (i.username, i.grant),
            None => return invalid_grant(),
        }
    };
    let Some(user) = config.user(&username) else {
        return invalid_grant();
    };
    match issue(&st, &config, &issuer, user, grant) {
        Ok(response) => response,
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn invalid_grant() -> Response {
    oauth_error(
        "invalid_grant",
        "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client",
    )
}

/// HTTP Basic (takes precedence) or the form's `client_id`/`client_secret`.
fn client_credentials(headers: &HeaderMap, form: &HashMap<String, String>) -> (String, String) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) {
        return (id.to_owned(), secret.to_owned());
    }
    (
        form.get("client_id").cloned().unwrap_or_default(),
        form.get("client_secret").cloned().unwrap_or_default(),
    )
}

/// A code with a challenge needs a verifier; a verifier for a code without one is refused (downgrade protection).
fn pkce_ok(pkce: Option<&(String, String)>, verifier: Option<&str>) -> bool {
    match (pkce, verifier) {
        (None, None) => true,
        (Some((method, challenge)), Some(v)) => match method.as_str() {
            "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == *challenge,
            _ => v == challenge,
        },
        _ => false,
    }
}

/// Makes the tokens of a grant and the token response.
fn issue(
    st: &State,
    config: &Config,
    issuer: &str,
    user: &claims::User,
    grant: Grant,
) -> Result<Response, jose::JoseError> {
    let ctx = TokenContext {
        issuer,
        client_id: &config.client_id,
        sub_mode: config.sub_mode,
        install_id: &config.install_id,
        include_claims_in_id_token: config.include_claims_in_id_token,
        now: now(),
        validity_seconds: ACCESS_TOKEN_VALIDITY.as_secs() as i64,
    };
    let id_claims = claims::id_token(&ctx, user, &grant);
    let access_claims =
        claims::access_token(&id_claims, &config.client_id, &random(40), &grant.scopes);
    let encode = |c: &Map<String, Value>| -> Result<String, jose::JoseError> {
        let jws = jose::sign(
            c,
            config.alg,
            config.signing.as_ref(),
            &config.client_secret,
        )?;
        match &config.encryption {
            Some(k) => jose::encrypt(&jws, k),
            None => Ok(jws),
        }
    };
    let id_token = encode(&id_claims)?;
    let access_token = encode(&access_claims)?;
    let issued = Issued {
        username: user.username.clone(),
        sub: id_claims["sub"].as_str().unwrap_or_default().to_owned(),
        grant: grant.clone(),
        expires: Instant::now() + ACCESS_TOKEN_VALIDITY,
    };
    let id_token_for_harness = id_token.clone();
    let mut body = Map::new();
    body.insert("access_token".into(), json!(access_token));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("scope".into(), json!(claims::scope_string(&grant.scopes)));
    body.insert("expires_in".into(), json!(ACCESS_TOKEN_VALIDITY.as_secs()));
    body.insert("id_token".into(), json!(id_token));
    let mut store = st.store.lock().expect("store");
    if grant.scopes.contains(&ScopeMapping::OfflineAccess) {
        let refresh = random(128);
        body.insert("refresh_token".into(), json!(refresh));
        store.refresh_tokens.insert(refresh, issued.clone());
    }
    store.access_tokens.insert(access_token, issued);
    if let Some(dir) = &st.record_dir {
        // Before the response: the token is on disk by the time the relying party has it.
        let _ = std::fs::write(
            dir.join(format!("{}.jwt", user.username)),
            &id_token_for_harness,
        );
    }
    store
        .id_tokens
        .push((user.username.clone(), id_token_for_harness));
    let headers = [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ];
    Ok((headers, Json(Value::Object(body))).into_response())
}

/// `GET|POST /application/o/userinfo/`: the claims of a token this provider issued (looked up, never decrypted).
pub async fn userinfo(
    st: St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let config = st.config();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::to_owned)
        .or_else(|| q.get("access_token").cloned());
    let issued = bearer.and_then(|t| {
        st.store
            .lock()
            .expect("store")
            .access_tokens
            .get(&t)
            .cloned()
    });
    let found = issued
        .filter(|i| i.expires > Instant::now())
        .and_then(|i| config.user(&i.username).cloned().map(|u| (i, u)));
    let Some((issued, user)) = found else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("error=\"invalid_token\", error_description=\"The access token provided is expired, revoked, malformed, or invalid for other reasons\""),
        );
        return r;
    };
    let body = claims::userinfo(
        &issued.sub,
        &user,
        &issued.grant.scopes,
        issued.grant.nonce.as_deref(),
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(Value::Object(body)),
    )
        .into_response()
}
