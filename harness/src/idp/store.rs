//! What the embedded IdP remembers between requests: sessions, authorization codes, issued tokens. In memory,
//! cleared when the configuration changes (a new case is a new provider).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::claims::Grant;

/// A browser session (cookie `authentik_session`).
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub flow: Option<FlowState>,
    pub login: Option<Login>,
    /// Left by the authorize endpoint for an anonymous user: the application to name on the identification stage.
    /// The next plan takes it; a plan made after that (after a denial, say) has none.
    pub application_pre: bool,
}

/// Where a running authentication flow (a plan, in authentik's words) is.
#[derive(Clone, Debug)]
pub struct FlowState {
    /// Where to go when the flow is done (the authorize URL): the executor's latest `query` says.
    pub next: String,
    /// Planned for an application (its name shows as `application_pre`): the authorize endpoint had left one in
    /// the session.
    pub application: bool,
    /// The user the identification stage matched (its username), or the identifier as typed for an unknown one.
    pub pending_user: Option<String>,
    pub stage: Stage,
    pub failures: u32,
}

/// The bindings of authentik's `default-authentication-flow`, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Identification,
    Password,
    /// `default-authentication-mfa-validation`: a user without devices passes it on a GET (a bare 302).
    MfaValidation,
    /// `default-authentication-login`: logs the user in on a GET; the flow is then done.
    UserLogin,
}

#[derive(Clone, Debug)]
pub struct Login {
    pub username: String,
    pub auth_time: i64,
}

#[derive(Clone, Debug)]
pub struct Code {
    pub username: String,
    pub grant: Grant,
    /// (method, challenge)
    pub pkce: Option<(String, String)>,
    pub expires: Instant,
}

/// A token the IdP issued: what userinfo and refresh need to know about it.
#[derive(Clone, Debug)]
pub struct Issued {
    pub username: String,
    pub sub: String,
    pub grant: Grant,
    pub expires: Instant,
}

#[derive(Default)]
pub struct Store {
    pub sessions: HashMap<String, Session>,
    pub codes: HashMap<String, Code>,
    pub access_tokens: HashMap<String, Issued>,
    pub refresh_tokens: HashMap<String, Issued>,
    /// (username, id_token) in issue order: the harness observes the token a login produced (its shape, and
    /// presents it to OpenSearch in an `authinfo` step) without reading it out of the relying party.
    pub id_tokens: Vec<(String, String)>,
}

/// authentik's defaults: codes live a minute, access tokens an hour.
pub const CODE_VALIDITY: Duration = Duration::from_secs(60);
pub const ACCESS_TOKEN_VALIDITY: Duration = Duration::from_secs(3600);
