//! A login with no browser, through the stack's own Caddy, as the case's relying party (its client, redirect URI
//! and scope): authentik's discovery document and JWKS, then its headless flow (`authentik_client`); Keycloak's
//! login form posted as its page is (`keycloak::headless`) — to the code and the tokens. Two uses: the token a
//! real IdP issued is observed this way (the real authentik and Keycloak hand the harness none), and `bench` times
//! it beside the browser login, as the floor a browser login cannot go under.

use std::net::SocketAddr;
use std::path::Path;

use crate::authentik_client::{self, Authentik, Client};
use crate::render::RunFiles;
use crate::scenario::{Case, IdpProfile};
use crate::stack::RunContext;

#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error(transparent)]
    Authentik(#[from] authentik_client::HeadlessError),
    #[error(transparent)]
    Keycloak(#[from] crate::keycloak::headless::HeadlessError),
    #[error("a headless login: {0}")]
    Http(#[from] reqwest::Error),
    #[error("a headless login: no IdP user `{0}` in the case")]
    NoUser(String),
}

/// The id_token the case's IdP issues to the case's relying party for `user`, asking for `scope`. `caddy` is
/// where the IdP's name resolves to from here (Caddy's published port); the run CA signed its certificates.
pub async fn id_token(
    context: &RunContext,
    caddy: SocketAddr,
    case: &Case,
    scope: &str,
    user: &str,
) -> Result<String, HeadlessError> {
    let doc = &case.document;
    let (topology, secrets) = (&context.topology, &context.secrets);
    let password = secrets
        .idp_password(doc, user)
        .ok_or_else(|| HeadlessError::NoUser(user.to_owned()))?;
    let keycloak = doc.stack.idp == IdpProfile::Keycloak;
    let client = Client {
        client_id: match keycloak {
            true => crate::render::keycloak::client_id(doc),
            false => doc.idp.provider.client_id.clone(),
        },
        client_secret: match keycloak {
            true => crate::render::keycloak::client_secret(doc, secrets),
            false => secrets.client_secret(&doc.idp.provider),
        },
        redirect_uri: format!("{}/auth/openid/login", topology.dashboards_url()),
        scope: scope.to_owned(),
    };
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let host = &topology.hosts.idp;
    let ca = reqwest::Certificate::from_pem(context.certs.ca_cert.as_bytes())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .tls_certs_only([ca])
        .resolve(host, caddy)
        .build()?;
    let origin = topology.idp_url();
    if keycloak {
        let issuer = crate::render::keycloak::issuer(doc, &origin);
        return Ok(
            crate::keycloak::headless::id_token(&http, &issuer, &client, user, &password).await?,
        );
    }
    let via = format!("https://{host}:{}", caddy.port());
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
    let jwks = discovery["jwks_uri"].as_str().ok_or_else(|| {
        authentik_client::HeadlessError::Flow("no jwks_uri in the discovery document".into())
    })?;
    idp.get(jwks.strip_prefix(origin.as_str()).unwrap_or(jwks))
        .await?
        .error_for_status()?;
    Ok(idp.id_token(&client, user, &password).await?)
}

/// The scope Dashboards asks the IdP for: its own setting, where its yml reads from `files_dir` (a `root_ca`
/// path that is a container's does not: then Dashboards' default scope).
pub fn dashboards_scope(files: &RunFiles, files_dir: &Path) -> String {
    crate::stand_in::Config::from_yaml(files.dashboards_yml(), &files_dir.join("dashboards"))
        .ok()
        .and_then(|c| c.openid)
        .map_or_else(|| "openid profile email".to_owned(), |o| o.scope)
}
