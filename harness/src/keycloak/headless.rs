//! Keycloak's login with no browser, as its login page is used: the authorize endpoint → the login form
//! (`#kc-form-login`, whose `action` carries the session's execution and tab) → the form posted with the user's
//! password → the 302 to the relying party with `code` → the token endpoint with the client's secret
//! (`client_secret_post`). How the harness observes the id_token Keycloak issues to the case's relying party for
//! a user: Keycloak does not hand the harness the relying party's own token, so the user logs in once more with
//! the same client, redirect URI and scopes (as for the real authentik, `authentik_client`). Through Caddy, over
//! HTTPS: Keycloak's session cookies are `Secure`.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("Keycloak's headless login: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Keycloak's headless login: {0}")]
    Flow(String),
}

/// The relying party whose token to obtain: the same one authentik's headless client logs in as.
pub use crate::authentik_client::Client;

static FORM_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*id="kc-form-login""#)
        .expect("regex")
});

/// The id_token Keycloak issues to `client` for `user`. `http` must keep cookies and not follow redirects;
/// `issuer` is the realm's (`https://idp.sso.test:8443/realms/sso`), reached as `http` resolves it.
pub async fn id_token(
    http: &reqwest::Client,
    issuer: &str,
    client: &Client,
    user: &str,
    password: &str,
) -> Result<String, HeadlessError> {
    let mut authorize = Url::parse(&format!("{issuer}/protocol/openid-connect/auth"))
        .map_err(|e| HeadlessError::Flow(e.to_string()))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &client.scope)
        .append_pair("state", "sso-harness-observer")
        .append_pair("nonce", "sso-harness-observer");
    let page = http
        .get(authorize)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let action = FORM_ACTION
        .captures(&page)
        .and_then(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| html_escape::decode_html_entities(m.as_str()).into_owned())
        .ok_or_else(|| HeadlessError::Flow("no #kc-form-login on the authorize page".into()))?;
    let posted = http
        .post(&action)
        .form(&[
            ("username", user),
            ("password", password),
            ("credentialId", ""),
        ])
        .send()
        .await?;
    let location = posted
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| {
            HeadlessError::Flow(format!(
                "the login form answered {} with no redirect",
                posted.status()
            ))
        })?;
    let code = Url::parse(location)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| HeadlessError::Flow("the redirect after the login has no code".into()))?;
    let tokens: serde_json::Value = http
        .post(format!("{issuer}/protocol/openid-connect/token"))
        .form(&[
            ("client_id", client.client_id.as_str()),
            ("client_secret", &client.client_secret),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &client.redirect_uri),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    tokens["id_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| HeadlessError::Flow("the token response has no id_token".into()))
}
