//! A login with no browser, through the stack's own Caddy: the IdP's discovery document and JWKS, then authentik's
//! headless flow (`authentik_client`) to the code and the tokens — what the protocol itself costs. `bench` times it
//! beside the browser login: the floor a browser login cannot go under.

use std::net::SocketAddr;

use crate::authentik_client::{Authentik, Client, HeadlessError};
use crate::scenario::Case;
use crate::secrets::Secrets;
use crate::topology::Topology;

/// The id_token the IdP issues to the case's relying party (its client, redirect URI and `scope`) for `user`.
/// `caddy` is where the IdP's name resolves to from here; `ca_pem` the run CA Caddy's certificates are from.
pub async fn login(
    topology: &Topology,
    ca_pem: &str,
    secrets: &Secrets,
    case: &Case,
    scope: &str,
    user: &str,
    caddy: SocketAddr,
) -> Result<String, HeadlessError> {
    let doc = &case.document;
    let password = secrets
        .idp_password(doc, user)
        .ok_or_else(|| HeadlessError::Flow(format!("no IdP user `{user}` in the case")))?;
    let client = Client {
        client_id: doc.idp.provider.client_id.clone(),
        client_secret: secrets.client_secret(&doc.idp.provider),
        redirect_uri: format!("{}/auth/openid/login", topology.dashboards_url()),
        scope: scope.to_owned(),
    };
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let host = &topology.hosts.idp;
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .tls_certs_only([ca])
        .resolve(host, caddy)
        .build()?;
    let via = format!("https://{host}:{}", caddy.port());
    let origin = topology.idp_url();
    let idp = Authentik {
        origin: &origin,
        http: &http,
        jar: &jar,
        via: &via,
    };
    // What a relying party reads first: the provider's discovery document, then its keys.
    let slug = &doc.idp.provider.slug;
    let discovery: serde_json::Value = idp
        .get(&format!(
            "/application/o/{slug}/.well-known/openid-configuration"
        ))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let jwks = discovery["jwks_uri"]
        .as_str()
        .ok_or_else(|| HeadlessError::Flow("no jwks_uri in the discovery document".into()))?;
    idp.get(jwks.strip_prefix(origin.as_str()).unwrap_or(jwks))
        .await?
        .error_for_status()?;
    idp.id_token(&client, user, &password).await
}

/// The id_token Keycloak issues to the case's relying party for `user` (`keycloak::headless`), through Caddy as
/// `login` does.
pub async fn keycloak(
    topology: &Topology,
    ca_pem: &str,
    secrets: &Secrets,
    case: &Case,
    scope: &str,
    user: &str,
    caddy: SocketAddr,
) -> Result<String, crate::keycloak::headless::HeadlessError> {
    use crate::keycloak::headless::{Client, HeadlessError, id_token};
    let doc = &case.document;
    let password = secrets
        .idp_password(doc, user)
        .ok_or_else(|| HeadlessError::Flow(format!("no IdP user `{user}` in the case")))?;
    let client = Client {
        client_id: crate::render::keycloak::client_id(doc),
        client_secret: crate::render::keycloak::client_secret(doc, secrets),
        redirect_uri: format!("{}/auth/openid/login", topology.dashboards_url()),
        scope: scope.to_owned(),
    };
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .tls_certs_only([ca])
        .resolve(&topology.hosts.idp, caddy)
        .build()?;
    let issuer = crate::render::keycloak::issuer(doc, &topology.idp_url());
    id_token(&http, &issuer, &client, user, &password).await
}
