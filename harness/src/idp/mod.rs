//! The embedded identity provider: reproduces what authentik does **on the wire** (URLs, issuer, discovery, JWKS,
//! tokens and their JWE, the flow executor's pages and API) so the same browser driver, scenario and OpenSearch
//! configuration give the same outcome against it as against authentik. It is named [`NAME`] in every report.
//!
//! Plain HTTP, as authentik's port 9000: TLS is Caddy's job. The fidelity table is `docs/embedded-idp.md`.

mod claims;
mod discovery;
mod flow;
mod jose;
pub mod keys;
mod oauth;
mod pages;
mod store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

pub use claims::User;
pub use keys::{Alg, KeyPair, kid};

use crate::certs::RunCertificates;
use crate::scenario::placeholder::Values;
use crate::scenario::{
    Document, IssuerMode, MatchingMode, RedirectUri, ScopeMapping, SigningKey, SubMode,
};
use crate::secrets::Secrets;
use crate::serve::Background;

/// How reports and snapshots name this provider.
pub const NAME: &str = "authentik (embedded profile)";
/// The authentik release whose behaviour it follows.
pub const FOLLOWS: &str = "authentik 2025.12.4";
/// The flow authentik's authorize endpoint sends anonymous users to.
pub const AUTHENTICATION_FLOW: &str = "default-authentication-flow";

/// One provider and its application, users and keys: what a case's `idp` section says, resolved. Serializable:
/// the containers backend hands it to the provider's container as a file (`cargo xtask idp serve --config`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub slug: String,
    pub application_name: String,
    pub client_id: String,
    pub client_secret: String,
    pub alg: Alg,
    pub signing: Option<KeyPair>,
    pub encryption: Option<KeyPair>,
    pub sub_mode: SubMode,
    pub issuer_mode: IssuerMode,
    pub include_claims_in_id_token: bool,
    pub property_mappings: Vec<ScopeMapping>,
    /// With placeholders substituted.
    pub redirect_uris: Vec<RedirectUri>,
    pub users: Vec<User>,
    /// authentik's installation id (part of the hashed `sub`).
    pub install_id: String,
}

impl Config {
    /// The provider of a case. `values` are the placeholder values the IdP sees (for `redirect_uris`).
    pub fn from_case(
        doc: &Document,
        certs: &RunCertificates,
        secrets: &Secrets,
        values: &Values,
    ) -> Self {
        let p = &doc.idp.provider;
        let (alg, signing) = match p.signing_key {
            SigningKey::Rsa => (
                Alg::Rs256,
                Some(KeyPair::new(certs.idp_signing_rsa.clone())),
            ),
            SigningKey::Ec => (Alg::Es256, Some(KeyPair::new(certs.idp_signing_ec.clone()))),
            SigningKey::None => (Alg::Hs256, None),
        };
        let users = doc
            .idp
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| User {
                pk: i as u64 + 1,
                uuid: uuid_from(&secrets.generate(&format!("idp_user_uuid/{}", u.username))),
                username: u.username.clone(),
                name: u.display_name().to_owned(),
                email: u.email(),
                groups: u.groups.clone(),
                entitlements: u.entitlements.clone(),
                password: secrets
                    .idp_password(doc, &u.username)
                    .expect("the user is in idp.users"),
            })
            .collect();
        Config {
            slug: p.slug.clone(),
            application_name: "OpenSearch Dashboards".into(),
            client_id: p.client_id.clone(),
            client_secret: secrets.client_secret(p),
            alg,
            signing,
            encryption: p
                .encryption_key
                .then(|| KeyPair::new(certs.idp_encryption.clone())),
            sub_mode: p.sub_mode,
            issuer_mode: p.issuer_mode,
            include_claims_in_id_token: p.include_claims_in_id_token,
            property_mappings: p.property_mappings.clone(),
            redirect_uris: p
                .redirect_uris
                .iter()
                .map(|r| RedirectUri {
                    matching_mode: r.matching_mode,
                    url: values.substitute(&r.url),
                })
                .collect(),
            users,
            install_id: uuid_from(&secrets.generate("install_id")),
        }
    }

    /// The provider of a case in a run: [`Config::from_case`] with the placeholder values of the run's topology.
    pub fn for_run(
        doc: &Document,
        topology: &crate::topology::Topology,
        certs: &RunCertificates,
        secrets: &Secrets,
    ) -> Self {
        Self::from_case(
            doc,
            certs,
            secrets,
            &crate::render::placeholder_values(doc, topology, certs, secrets),
        )
    }

    /// Whether `uri` is an allowed redirect URI (strict: the exact string; regex: a full match).
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| match r.matching_mode {
            MatchingMode::Strict => r.url == uri,
            MatchingMode::Regex => {
                regex::Regex::new(&format!("^(?:{})$", r.url)).is_ok_and(|re| re.is_match(uri))
            }
        })
    }

    /// A user by username or e-mail, case-insensitively (authentik's identification stage defaults).
    pub fn user(&self, uid: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(uid) || u.email.eq_ignore_ascii_case(uid))
    }
}

/// A UUID-shaped string derived from a secret (stable within a run).
fn uuid_from(seed: &str) -> String {
    let h = claims::hex(&Sha256::digest(seed.as_bytes()));
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Shared by every request.
pub(crate) struct State {
    config: RwLock<Arc<Config>>,
    store: Mutex<store::Store>,
    /// Where each issued id_token is also written (`<username>.jwt`), for a harness outside the process.
    record_dir: Option<std::path::PathBuf>,
}

impl State {
    fn config(&self) -> Arc<Config> {
        self.config.read().expect("config lock").clone()
    }
}

/// A running embedded IdP. Dropping it stops the server.
pub struct Server {
    server: Background,
    state: Arc<State>,
}

impl Server {
    /// Serves `config` on `listener` until [`Server::stop`] or drop.
    pub fn start(config: Config, listener: TcpListener) -> std::io::Result<Server> {
        Self::start_recording(config, listener, None)
    }

    /// As [`Server::start`], also writing every id_token it issues to `record_dir/<username>.jwt`: how a harness
    /// outside the provider's process (the containers backend) observes the token a login produced.
    pub fn start_recording(
        config: Config,
        listener: TcpListener,
        record_dir: Option<std::path::PathBuf>,
    ) -> std::io::Result<Server> {
        let state = Arc::new(State {
            config: RwLock::new(Arc::new(config)),
            store: Mutex::default(),
            record_dir,
        });
        Ok(Server {
            server: Background::start(router(state.clone()), listener)?,
            state,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Switches to another case's provider; sessions, codes and tokens of the previous one are forgotten.
    /// Where tests make its answers slower (`serve::Delays`).
    pub fn delays(&self) -> &crate::serve::Delays {
        self.server.delays()
    }

    pub fn set_config(&self, config: Config) {
        *self.state.config.write().expect("config lock") = Arc::new(config);
        *self.state.store.lock().expect("store lock") = store::Store::default();
    }

    /// The last id_token issued to `username` since the configuration was set.
    pub fn last_id_token(&self, username: &str) -> Option<String> {
        let store = self.state.store.lock().expect("store lock");
        store
            .id_tokens
            .iter()
            .rev()
            .find(|(u, _)| u == username)
            .map(|(_, t)| t.clone())
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/application/o/authorize/", get(oauth::authorize))
        .route("/application/o/token/", axum::routing::post(oauth::token))
        .route(
            "/application/o/userinfo/",
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .route("/application/o/{slug}/", get(oauth::application_root))
        .route(
            "/application/o/{slug}/.well-known/openid-configuration",
            get(oauth::discovery),
        )
        .route("/application/o/{slug}/jwks/", get(oauth::jwks))
        .route(
            "/application/o/{slug}/end-session/",
            get(oauth::end_session),
        )
        .route("/if/flow/{flow}/", get(flow::page))
        .route(
            "/api/v3/flows/executor/{flow}/",
            get(flow::challenge).post(flow::answer),
        )
        .route("/-/health/live/", get(|| async { "" }))
        .route("/-/health/ready/", get(|| async { "" }))
        .with_state(state)
}

/// The origin a request came in on: the scheme from `X-Forwarded-Proto` (set by Caddy), the host from `Host`.
/// authentik builds its issuer and endpoint URLs from these.
fn origin(headers: &HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let host = header("host").unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// `302 Found`, as Django's redirects (axum's `Redirect::to` is a 303).
fn found(location: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::FOUND,
        [(axum::http::header::LOCATION, location.to_owned())],
    )
        .into_response()
}

fn random(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The files `cargo xtask idp serve --state DIR` writes: what a person debugging the provider (or a JWE) needs.
pub fn state_files(config: &Config) -> Vec<(&'static str, String)> {
    let client = serde_json::json!({
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "redirect_uris": config.redirect_uris,
    });
    let mut files = vec![(
        "client.json",
        format!("{}\n", serde_json::to_string_pretty(&client).expect("JSON")),
    )];
    if let Some(k) = &config.signing {
        // The exact PEM text whose MD5 is the kid: as authentik stores it, without a final newline.
        files.push(("signing-key.pem", keys::stored(&k.pem.key).to_owned()));
        files.push(("signing-cert.pem", k.pem.cert.clone()));
    }
    if let Some(k) = &config.encryption {
        files.push(("encryption-key.pem", keys::stored(&k.pem.key).to_owned()));
        files.push(("encryption-cert.pem", k.pem.cert.clone()));
    }
    files
}
