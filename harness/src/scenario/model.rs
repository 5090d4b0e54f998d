//! The typed scenario model (format v1, `docs/scenario-format.md`). Every struct refuses unknown fields: a misspelt field is
//! an error with a suggestion, never silently ignored.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The name a value has in scenario files (`hashed_user_id`, `per_provider`, …): serde's, so there is one spelling.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        other => panic!("wire_name is for unit enum values, got {other:?}"),
    }
}

/// Everything a case runs: the stack, the IdP, OpenSearch's and Dashboards' configuration, and the steps.
/// Defaults are already filled in (see `defaults.rs`), so every field is present.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    pub stack: Stack,
    /// Added in v1.1: the versions the case needs; one whose versions-to-run miss them is not run.
    #[serde(default)]
    pub requires: Requires,
    pub idp: Idp,
    pub opensearch: OpenSearch,
    pub dashboards: Dashboards,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// OpenSearch and security plugin version.
    pub opensearch: String,
    /// Dashboards version (containers backend); `None` means the same as OpenSearch.
    #[serde(default)]
    pub dashboards: Option<String>,
    pub idp: IdpProfile,
    pub idp_certificate: IdpCertificate,
}

impl Stack {
    pub fn dashboards_version(&self) -> &str {
        self.dashboards.as_deref().unwrap_or(&self.opensearch)
    }
}

/// `requires:` (added in v1.1): a semver requirement on each component's version (`"<2.1"`, `">=2.7, <3"`,
/// `"=1.3.2"`), checked as text when a case is built ([`requirement`]).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opensearch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboards: Option<String>,
}

/// Why a `requires:` value is not a requirement: a message and, where one helps, how to write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementError {
    pub message: String,
    pub help: String,
}

/// A `requires:` value as a semver requirement. A bare version (`2.11.1`) is refused: semver reads it as
/// `^2.11.1` (anything up to 3.0.0), which is not what someone who writes a version means.
pub fn requirement(text: &str) -> Result<semver::VersionReq, RequirementError> {
    let req = semver::VersionReq::parse(text).map_err(|e| RequirementError {
        message: format!("`{text}` is not a semver requirement: {e}"),
        help: "write e.g. `<2.1`, `>=2.7, <3` or `=1.3.2`".into(),
    })?;
    let bare = text.split(',').map(str::trim).find(|part| {
        part.starts_with(|c: char| c.is_ascii_digit()) && !part.contains(['*', 'x', 'X'])
    });
    if let Some(version) = bare {
        return Err(RequirementError {
            message: format!("`{version}` is a version, not a requirement"),
            help: format!(
                "write `={version}` for exactly that version, or `>={version}` for it and newer"
            ),
        });
    }
    Ok(req)
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IdpProfile {
    Authentik,
    /// The real Keycloak (its Maven Central distribution natively, its official image in containers).
    Keycloak,
}

/// Whether the IdP's certificate is trusted by default (`public`, like a Let's Encrypt one) or only where a
/// config file names the run CA (`private`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IdpCertificate {
    Public,
    Private,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Idp {
    /// authentik's section (`stack.idp: authentik`).
    pub provider: Provider,
    /// Keycloak's section (`stack.idp: keycloak`).
    pub keycloak: Keycloak,
    pub users: Vec<IdpUser>,
}

/// Keycloak's realm and client, in Keycloak's own terms (its admin REST API's representations).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Keycloak {
    /// The realm's name: the issuer is `${idp.url}/realms/<realm>`.
    pub realm: String,
    /// A ClientRepresentation laid over the default client (`render::keycloak`): mappings merge key by key,
    /// lists replace.
    pub client: Map<String, Value>,
    /// RealmRepresentation fields laid over the default realm.
    pub realm_settings: Map<String, Value>,
}

/// authentik's OAuth2 provider and its application, in authentik's own terms.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub slug: String,
    pub client_id: String,
    /// `generated` (fresh per run) or a literal secret.
    pub client_secret: String,
    pub signing_key: SigningKey,
    /// With an encryption key, authentik wraps every token in a JWE (RSA-OAEP-256 / A256CBC-HS512).
    pub encryption_key: bool,
    pub sub_mode: SubMode,
    pub include_claims_in_id_token: bool,
    pub property_mappings: Vec<ScopeMapping>,
    /// Added to v1: authentik's `issuer_mode` (default `per_provider`).
    pub issuer_mode: IssuerMode,
    /// Added to v1: the provider's allowed redirect URIs (default: Dashboards' `/auth/openid/login`, strict).
    pub redirect_uris: Vec<RedirectUri>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SigningKey {
    Rsa,
    Ec,
    /// No key pair: authentik signs HS256 with the client secret and serves `{}` as JWKS.
    None,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SubMode {
    HashedUserId,
    UserId,
    UserUuid,
    UserUsername,
    UserEmail,
    UserUpn,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ScopeMapping {
    Openid,
    Email,
    Profile,
    Entitlements,
    OfflineAccess,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IssuerMode {
    PerProvider,
    Global,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RedirectUri {
    pub matching_mode: MatchingMode,
    pub url: String,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MatchingMode {
    Strict,
    Regex,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IdpUser {
    pub username: String,
    /// `None` or `generated`: a fresh password per run.
    #[serde(default)]
    pub password: Option<String>,
    /// Added to v1: display name (default: the username).
    #[serde(default)]
    pub name: Option<String>,
    /// Added to v1: e-mail address (default: `<username>@example.com`).
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub entitlements: Vec<String>,
    /// Keycloak only: realm roles (claim `roles` with the default mappers).
    #[serde(default)]
    pub realm_roles: Vec<String>,
}

impl IdpUser {
    pub fn email(&self) -> String {
        self.email
            .clone()
            .unwrap_or_else(|| format!("{}@example.com", self.username))
    }
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.username)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpenSearch {
    pub security: Security,
    #[serde(default)]
    pub loggers: BTreeMap<String, LogLevel>,
    /// Added in v1.1: `opensearch.yml` keys laid over the harness's own (`opensearch::settings`: which are the
    /// harness's, which the running node takes without a restart). Nested mappings mean dotted keys.
    #[serde(default)]
    pub settings: Map<String, Value>,
}

/// The files of `config/opensearch-security/`, each a YAML document as the user would paste it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub config: Map<String, Value>,
    pub roles_mapping: Map<String, Value>,
    pub internal_users: Map<String, Value>,
    pub roles: Map<String, Value>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    #[serde(alias = "TRACE")]
    Trace,
    #[serde(alias = "DEBUG")]
    Debug,
    #[serde(alias = "INFO")]
    Info,
    #[serde(alias = "WARN")]
    Warn,
    #[serde(alias = "ERROR")]
    Error,
    #[serde(alias = "OFF")]
    Off,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Dashboards {
    /// `opensearch_dashboards.yml` as a YAML document.
    pub config: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A real browser logs in through the proxy.
    Login(LoginStep),
    /// `GET _plugins/_security/authinfo` on OpenSearch with the token the user's login produced.
    Authinfo(AuthinfoStep),
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LoginStep {
    pub user: String,
    #[serde(default)]
    pub method: LoginMethod,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    #[default]
    Openid,
    Basic,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthinfoStep {
    pub user: String,
}

/// What must be true after the steps. Every key is optional; a case needs at least one.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authinfo: Option<AuthinfoExpect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenExpect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opensearch_log: Option<LogExpect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboards_log: Option<LogExpect>,
}

impl Expect {
    /// `self` overridden key by key by `over` (a key `over` names replaces the whole of that key).
    pub fn overridden_by(&self, over: &Expect) -> Expect {
        Expect {
            login: over.login.or(self.login),
            authinfo: over.authinfo.clone().or_else(|| self.authinfo.clone()),
            token: over.token.clone().or_else(|| self.token.clone()),
            opensearch_log: over
                .opensearch_log
                .clone()
                .or_else(|| self.opensearch_log.clone()),
            dashboards_log: over
                .dashboards_log
                .clone()
                .or_else(|| self.dashboards_log.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Expect::default()
    }
}

/// How a `login` step ended (`docs/scenario-format.md`, "Outcomes of a `login` step").
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    MissingRole,
    Unauthorized,
    RedirectLoop,
    IdpError,
    Unavailable,
    /// Observed only (never expected: a scenario that named it would expect a limit of the harness, not a
    /// behaviour of the stack): no decisive state came within the observer's limit; the evidence is in
    /// `login_detail` and the hops.
    #[serde(skip_deserializing)]
    Stuck,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthinfoExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Exact set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_include: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TokenFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenFormat {
    Jws,
    Jwe,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_contains: Vec<String>,
}

/// A named edit of the document (`variants:`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    /// JSON Pointer → new value.
    #[serde(default)]
    pub set: Map<String, Value>,
    /// JSON Pointers to remove.
    #[serde(default)]
    pub unset: Vec<String>,
    #[serde(default)]
    pub expect: Option<Expect>,
}

/// `matrix:` axis → value name → edits (JSON Pointer → new value), all in file order.
pub type Matrix = IndexMap<String, IndexMap<String, Map<String, Value>>>;

/// One entry of `expect_rules:`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectRule {
    #[serde(default)]
    pub when: BTreeMap<String, String>,
    pub expect: Expect,
}
