//! `opensearch_dashboards.yml` → [`Config`]: the keys the security plugin and OSD core read, with their defaults
//! and the checks Dashboards makes at startup (docs/dashboards-stand-in.md).
//!
//! The file is read through `keys::Keys` (flat or nested keys alike).

use std::path::{Path, PathBuf};

use serde_json::Value;

pub(super) use super::keys::Keys;

/// What `Config::from_yaml` refuses. The validation messages are Dashboards' own.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("opensearch_dashboards.yml: {0}")]
    Yaml(String),
    #[error("`{key}` must be {expected}")]
    Type { key: String, expected: &'static str },
    #[error("`{0}` is set twice (once flat, once nested)")]
    Duplicate(String),
    #[error("`{0}` is required")]
    Missing(&'static str),
    /// A startup check of the security plugin failed; the message is the one Dashboards throws.
    #[error("{0}")]
    Invalid(String),
    /// A file a key names cannot be read; a missing one reads as Node's `readFileSync` error, which is what
    /// Dashboards' FATAL line shows (OSD `opensearch_config.ts` `readKeyAndCerts`, plugin `openid_auth.ts:152`).
    #[error("{}", read_message(key, path, source))]
    Read {
        key: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Valid for Dashboards, but not something the stand-in reproduces.
    #[error("{0} (not reproduced by the {name})", name = super::NAME)]
    Unsupported(String),
}

fn read_message(key: &str, path: &Path, source: &std::io::Error) -> String {
    if source.kind() == std::io::ErrorKind::NotFound {
        format!(
            "ENOENT: no such file or directory, open '{}' (`{key}`)",
            path.display()
        )
    } else {
        format!("cannot read `{key}` ({}): {source}", path.display())
    }
}

/// The handlers `opensearch_security.auth.type` selects that the stand-in has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    Basic,
    OpenId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// A string or a one-element list (`multiple_auth_enabled` is ignored).
    Single(AuthType),
    /// More than one type with `multiple_auth_enabled: true`: the login page offers each.
    Multiple(Vec<AuthType>),
}

impl Auth {
    pub fn has(&self, t: AuthType) -> bool {
        match self {
            Auth::Single(s) => *s == t,
            Auth::Multiple(v) => v.contains(&t),
        }
    }
}

/// `opensearch.ssl.verificationMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationMode {
    None,
    Certificate,
    Full,
}

#[derive(Clone, Debug)]
pub struct OpenIdConfig {
    /// `None`: discovery fails at startup, as Dashboards' `wreck.get('')` does.
    pub connect_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    /// With `openid` prepended when missing.
    pub scope: String,
    pub header: String,
    /// Without a trailing `/`; empty: derived from `server.*` (or X-Forwarded-* when `trust_dynamic_headers`).
    pub base_redirect_url: String,
    pub logout_url: String,
    /// The PEM of `openid.root_ca`: the only CA the IdP calls trust when set (Node's `ca` replaces the roots).
    pub root_ca_pem: Option<String>,
    pub verify_hostnames: bool,
    pub trust_dynamic_headers: bool,
}

/// A parsed and validated `opensearch_dashboards.yml`.
#[derive(Clone, Debug)]
pub struct Config {
    pub auth: Auth,
    pub openid: Option<OpenIdConfig>,
    pub opensearch_hosts: Vec<String>,
    /// PEMs of `opensearch.ssl.certificateAuthorities` (empty: the system roots).
    pub opensearch_ca_pems: Vec<String>,
    pub verification_mode: VerificationMode,
    /// `opensearch.username`/`password`: Dashboards' own identity towards OpenSearch (the kibanaserver user), used
    /// for its start-up check of the nodes (`upstream::nodes_info`).
    pub opensearch_username: Option<String>,
    pub opensearch_password: Option<String>,
    /// `opensearch.requestTimeout` (ms; OSD's default 30000): how long a call to OpenSearch may wait for its
    /// answer (the legacy client's `requestTimeout`).
    pub opensearch_request_timeout: std::time::Duration,
    /// `opensearch.requestHeadersWhitelist` (or the Allowlist it is renamed from); read, not yet applied.
    pub request_headers_allowlist: Vec<String>,
    pub cookie_name: String,
    /// `cookie.password`: what seals the split token cookies ([`super::iron`]).
    pub cookie_password: String,
    /// `cookie.domain`: set on the split token cookies only (`openid_auth.ts:214`).
    pub cookie_domain: Option<String>,
    /// `openid.extra_storage`: where an OpenID user's token is kept (`super::token_cookies`).
    pub extra_storage: ExtraStorage,
    /// `server.basePath` (`None`: none): the prefix of every URL Dashboards writes, the path of the split cookies.
    pub base_path: Option<String>,
    /// `server.rewriteBasePath`: Dashboards strips the base path itself and serves nothing outside it.
    pub rewrite_base_path: bool,
    pub cookie_secure: bool,
    /// `cookie.isSameSite` (`None`: no attribute, Dashboards' default `false`).
    pub cookie_same_site: Option<String>,
    pub server_host: String,
    pub server_port: u16,
    pub server_ssl: bool,
    pub login_title: String,
    pub openid_button: String,
}

/// `opensearch_security.openid.extra_storage` (`server/index.ts:190-196`).
#[derive(Clone, Debug)]
pub struct ExtraStorage {
    pub cookie_prefix: String,
    pub additional_cookies: usize,
}

const SUPPORTED: [&str; 8] = [
    "",
    "basicauth",
    "jwt",
    "openid",
    "saml",
    "proxy",
    "kerberos",
    "proxycache",
];

impl Config {
    /// `serverBasePath`: the base path, or nothing.
    pub fn bp(&self) -> &str {
        self.base_path.as_deref().unwrap_or("")
    }

    /// Reads `text`; relative paths (CA files) resolve against `config_dir`.
    pub fn from_yaml(text: &str, config_dir: &Path) -> Result<Config, ConfigError> {
        let keys = Keys::parse(text)?;
        super::schema::validate(&keys)?;
        let cookie_secure = keys
            .bool("opensearch_security.cookie.secure")?
            .unwrap_or(false);
        let cookie_same_site = match keys.get("opensearch_security.cookie.isSameSite") {
            None | Some(Value::Bool(false)) => None,
            Some(Value::String(s)) if ["Strict", "Lax", "None"].contains(&s.as_str()) => {
                Some(s.clone())
            }
            Some(_) => {
                return Err(ConfigError::Type {
                    key: "opensearch_security.cookie.isSameSite".into(),
                    expected: "Strict, Lax, None or false",
                });
            }
        };
        // The plugin's setup creates its cookie storage (`server/plugin.ts:113`, `sameSite:
        // config.cookie.isSameSite`, `server/session/security_cookie.ts:77`) before its auth handler (`plugin.ts:126`);
        // OSD's `cookie_session_storage.ts` `validateOptions` throws on SameSite None without Secure.
        if cookie_same_site.as_deref() == Some("None") && !cookie_secure {
            return Err(ConfigError::Invalid(
                "\"SameSite: None\" requires Secure connection".into(),
            ));
        }
        let auth = auth(&keys)?;
        let openid = if auth.has(AuthType::OpenId) {
            Some(openid(&keys, config_dir)?)
        } else {
            None
        };
        let (base_path, rewrite_base_path) = base_path(&keys)?;
        let opensearch_hosts = keys
            .strings("opensearch.hosts")?
            .unwrap_or_else(|| vec!["http://localhost:9200".into()]);
        if opensearch_hosts.is_empty() {
            return Err(ConfigError::Missing("opensearch.hosts"));
        }
        let opensearch_ca_pems = keys
            .strings("opensearch.ssl.certificateAuthorities")?
            .unwrap_or_default()
            .iter()
            .map(|p| read(config_dir, "opensearch.ssl.certificateAuthorities", p))
            .collect::<Result<_, _>>()?;
        let verification_mode = match keys.str("opensearch.ssl.verificationMode")?.as_deref() {
            None | Some("full") => VerificationMode::Full,
            Some("certificate") => VerificationMode::Certificate,
            Some("none") => VerificationMode::None,
            Some(_) => {
                return Err(ConfigError::Type {
                    key: "opensearch.ssl.verificationMode".into(),
                    expected: "one of none, certificate, full",
                });
            }
        };
        let opensearch_request_timeout = keys
            .number("opensearch.requestTimeout", "a number of milliseconds")?
            .unwrap_or(30_000);
        let port = "a port number";
        let server_port = match keys.number("server.port", port)? {
            None => 5601,
            Some(p) => u16::try_from(p).map_err(|_| ConfigError::Type {
                key: "server.port".into(),
                expected: port,
            })?,
        };
        Ok(Config {
            auth,
            openid,
            opensearch_hosts,
            opensearch_ca_pems,
            verification_mode,
            cookie_name: keys
                .str("opensearch_security.cookie.name")?
                .unwrap_or_else(|| "security_authentication".into()),
            cookie_password: keys
                .str("opensearch_security.cookie.password")?
                .unwrap_or_else(|| "security_cookie_default_password".into()),
            cookie_domain: keys.str("opensearch_security.cookie.domain")?,
            extra_storage: ExtraStorage {
                cookie_prefix: keys
                    .str("opensearch_security.openid.extra_storage.cookie_prefix")?
                    .unwrap_or_else(|| "security_authentication_oidc".into()),
                additional_cookies: additional_cookies(&keys)?,
            },
            base_path,
            rewrite_base_path,
            cookie_secure,
            cookie_same_site,
            opensearch_username: keys.str("opensearch.username")?,
            opensearch_password: keys.str("opensearch.password")?,
            opensearch_request_timeout: std::time::Duration::from_millis(
                opensearch_request_timeout,
            ),
            // After `_renameWithoutMap` (schema.rs): an Allowlist alone stands for the Whitelist.
            request_headers_allowlist: keys
                .strings("opensearch.requestHeadersWhitelist")?
                .or(keys.strings("opensearch.requestHeadersAllowlist")?)
                .unwrap_or_else(|| vec!["authorization".into()]),
            server_host: keys
                .str("server.host")?
                .unwrap_or_else(|| "localhost".into()),
            server_port,
            server_ssl: keys.bool("server.ssl.enabled")?.unwrap_or(false),
            login_title: keys
                .str("opensearch_security.ui.basicauth.login.title")?
                .unwrap_or_else(|| "Log in to OpenSearch Dashboards".into()),
            openid_button: keys
                .str("opensearch_security.ui.openid.login.buttonname")?
                .unwrap_or_else(|| "Log in with single sign-on".into()),
        })
    }
}

/// `server.basePath` and `server.rewriteBasePath` as OSD's `http_config.ts` validates them: the base path "must
/// start with a slash, don't end with one" (`validBasePathRegex`), and the rewrite needs a base path.
fn base_path(keys: &Keys) -> Result<(Option<String>, bool), ConfigError> {
    let base = keys.str("server.basePath")?;
    if let Some(b) = &base
        && (!b.starts_with('/') || b.ends_with('/'))
    {
        return Err(ConfigError::Invalid(
            "[config validation of [server].basePath]: must start with a slash, don't end with one"
                .into(),
        ));
    }
    let rewrite = keys.bool("server.rewriteBasePath")?.unwrap_or(false);
    if rewrite && base.is_none() {
        return Err(ConfigError::Invalid(
            "[config validation of [server]]: cannot use [rewriteBasePath] when [basePath] is not specified"
                .into(),
        ));
    }
    Ok((base, rewrite))
}

/// `extra_storage.additional_cookies`: `schema.number({ min: 1, defaultValue: 5 })` (`server/index.ts:195`; the
/// message is osd-config-schema `number_type.ts`'s).
fn additional_cookies(keys: &Keys) -> Result<usize, ConfigError> {
    const KEY: &str = "opensearch_security.openid.extra_storage.additional_cookies";
    let n = match keys.get(KEY) {
        None => return Ok(5),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or(ConfigError::Type {
                key: KEY.into(),
                expected: "a number",
            })?,
    };
    if n < 1.0 {
        return Err(ConfigError::Invalid(
            "[config validation of [opensearch_security].openid.extra_storage.additional_cookies]: Value must be equal to or greater than [1].".into(),
        ));
    }
    // A fraction: the loop `i <= n` runs floor(n) times.
    Ok(n.floor() as usize)
}

/// `auth.type` as the plugin's config schema and `getAuthenticationHandler` check it, in their order.
fn auth(keys: &Keys) -> Result<Auth, ConfigError> {
    const KEY: &str = "opensearch_security.auth.type";
    let (types, listed) = match keys.get(KEY) {
        None => (vec![String::new()], false),
        Some(Value::String(s)) => (vec![s.clone()], false),
        Some(Value::Array(_)) => (keys.strings(KEY)?.unwrap_or_default(), true),
        Some(_) => {
            return Err(ConfigError::Type {
                key: KEY.into(),
                expected: "a string or a list of strings",
            });
        }
    };
    if listed && types.is_empty() {
        return Err(ConfigError::Invalid(
            "Authentication type is not configured properly. At least one authentication type must be selected.".into(),
        ));
    }
    if types.len() > 1 && !types.iter().any(|t| t.eq_ignore_ascii_case("basicauth")) {
        return Err(ConfigError::Invalid(
            "Authentication type is not configured properly. basicauth is mandatory.".into(),
        ));
    }
    for t in &types {
        if !SUPPORTED.contains(&t.to_lowercase().as_str()) {
            // JavaScript's `${array}` joins with commas, the empty type first.
            return Err(ConfigError::Invalid(format!(
                "Unsupported authentication type: {t}. Allowed auth.type are {}.",
                SUPPORTED.join(",")
            )));
        }
    }
    let handler = |t: &str| match t.to_lowercase().as_str() {
        "" | "basicauth" => Ok(AuthType::Basic),
        "openid" => Ok(AuthType::OpenId),
        other => Err(ConfigError::Unsupported(format!(
            "authentication type `{other}`"
        ))),
    };
    if types.len() == 1 {
        return Ok(Auth::Single(handler(&types[0])?));
    }
    if keys
        .bool("opensearch_security.auth.multiple_auth_enabled")?
        .unwrap_or(false)
    {
        Ok(Auth::Multiple(
            types.iter().map(|t| handler(t)).collect::<Result<_, _>>()?,
        ))
    } else {
        Err(ConfigError::Invalid(
            "Multiple Authentication Mode is disabled. To enable this feature, please set up opensearch_security.auth.multiple_auth_enabled: true".into(),
        ))
    }
}

fn openid(keys: &Keys, config_dir: &Path) -> Result<OpenIdConfig, ConfigError> {
    let key = |k: &str| format!("opensearch_security.openid.{k}");
    let client_id = keys
        .str(&key("client_id"))?
        .ok_or(ConfigError::Missing("opensearch_security.openid.client_id"))?;
    let mut scope = keys
        .str(&key("scope"))?
        .unwrap_or_else(|| "openid profile email address phone".into());
    // `scope.indexOf('openid') < 0`: a substring test, as Dashboards does it.
    if !scope.contains("openid") {
        scope = format!("openid {scope}");
    }
    let base = keys.str(&key("base_redirect_url"))?.unwrap_or_default();
    let root_ca_pem = match keys.str(&key("root_ca"))? {
        Some(p) if !p.is_empty() => Some(read(config_dir, &key("root_ca"), &p)?),
        _ => None,
    };
    Ok(OpenIdConfig {
        connect_url: keys.str(&key("connect_url"))?.filter(|u| !u.is_empty()),
        client_id,
        client_secret: keys.str(&key("client_secret"))?.unwrap_or_default(),
        scope,
        header: keys
            .str(&key("header"))?
            .unwrap_or_else(|| "Authorization".into()),
        base_redirect_url: base.strip_suffix('/').unwrap_or(&base).to_owned(),
        logout_url: keys.str(&key("logout_url"))?.unwrap_or_default(),
        root_ca_pem,
        verify_hostnames: keys.bool(&key("verify_hostnames"))?.unwrap_or(true),
        trust_dynamic_headers: keys.bool(&key("trust_dynamic_headers"))?.unwrap_or(false),
    })
}

fn read(config_dir: &Path, key: &str, path: &str) -> Result<String, ConfigError> {
    let path = config_dir.join(path);
    std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        key: key.into(),
        path,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_yaml(text, Path::new("/nonexistent"))
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    const OPENID: &str = "opensearch_security.openid.client_id: c\n";

    #[test]
    fn flat_and_nested_keys_read_the_same() {
        let flat = parse(
            "opensearch_security.auth.type: openid\n\
             opensearch_security.openid.client_id: dash\n\
             opensearch_security.openid.connect_url: http://idp/.well-known/openid-configuration\n\
             opensearch_security.openid.base_redirect_url: https://dashboards.sso.test:8443/\n\
             opensearch_security.cookie.secure: true\n\
             opensearch.hosts: [\"https://opensearch.sso.test:9200\"]\n",
        )
        .unwrap();
        let nested = parse(
            "opensearch_security:\n  auth:\n    type: openid\n  openid:\n    client_id: dash\n    \
             connect_url: http://idp/.well-known/openid-configuration\n    \
             base_redirect_url: https://dashboards.sso.test:8443/\n  cookie: { secure: true }\n\
             opensearch:\n  hosts: https://opensearch.sso.test:9200\n",
        )
        .unwrap();
        for c in [&flat, &nested] {
            assert_eq!(c.auth, Auth::Single(AuthType::OpenId));
            let o = c.openid.as_ref().unwrap();
            assert_eq!(o.client_id, "dash");
            assert_eq!(
                o.connect_url.as_deref(),
                Some("http://idp/.well-known/openid-configuration")
            );
            assert_eq!(
                o.base_redirect_url, "https://dashboards.sso.test:8443",
                "trailing slash dropped"
            );
            assert_eq!(o.scope, "openid profile email address phone");
            assert_eq!(o.header, "Authorization");
            assert!(c.cookie_secure);
            assert_eq!(c.opensearch_hosts, ["https://opensearch.sso.test:9200"]);
            assert_eq!(c.cookie_name, "security_authentication");
            assert_eq!(c.openid_button, "Log in with single sign-on");
        }
        // Mixed: `opensearch_security.openid:` nested under a flat prefix.
        let mixed = parse(
            "opensearch_security.auth.type: openid\nopensearch_security.openid:\n  client_id: x\n  scope: profile email\n",
        )
        .unwrap();
        assert_eq!(mixed.openid.unwrap().scope, "openid profile email");
        assert!(
            error("opensearch_security.cookie.secure: true\nopensearch_security:\n  cookie:\n    secure: false\n")
                .contains("set twice")
        );
    }

    #[test]
    fn defaults_are_dashboards_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.auth, Auth::Single(AuthType::Basic), "'' is basic auth");
        assert_eq!(c.opensearch_hosts, ["http://localhost:9200"]);
        assert_eq!(c.verification_mode, VerificationMode::Full);
        assert!(!c.cookie_secure);
        assert_eq!(c.cookie_same_site, None);
        assert_eq!((c.server_host.as_str(), c.server_port), ("localhost", 5601));
    }

    #[test]
    fn a_list_of_more_than_one_type_must_include_basicauth() {
        assert_eq!(
            error(
                "opensearch_security.auth.type: [openid, saml]\nopensearch_security.auth.multiple_auth_enabled: true\n"
            ),
            "Authentication type is not configured properly. basicauth is mandatory."
        );
    }

    #[test]
    fn an_empty_list_is_refused() {
        assert_eq!(
            error("opensearch_security.auth.type: []\n"),
            "Authentication type is not configured properly. At least one authentication type must be selected."
        );
    }

    #[test]
    fn unknown_types_are_refused_with_the_allowed_list() {
        assert_eq!(
            error("opensearch_security.auth.type: oidc\n"),
            "Unsupported authentication type: oidc. Allowed auth.type are ,basicauth,jwt,openid,saml,proxy,kerberos,proxycache."
        );
    }

    #[test]
    fn more_than_one_type_needs_multiple_auth_enabled() {
        let text = format!("opensearch_security.auth.type: [basicauth, openid]\n{OPENID}");
        assert_eq!(
            error(&text),
            "Multiple Authentication Mode is disabled. To enable this feature, please set up opensearch_security.auth.multiple_auth_enabled: true"
        );
        let c = parse(&format!(
            "{text}opensearch_security.auth.multiple_auth_enabled: true\n"
        ))
        .unwrap();
        assert_eq!(
            c.auth,
            Auth::Multiple(vec![AuthType::Basic, AuthType::OpenId])
        );
    }

    #[test]
    fn a_string_or_a_one_element_list_is_single_auth_and_ignores_multiple_auth_enabled() {
        for t in ["openid", "[openid]", "[OpenID]"] {
            for multiple in ["true", "false"] {
                let c = parse(&format!(
                    "opensearch_security.auth.type: {t}\nopensearch_security.auth.multiple_auth_enabled: {multiple}\n{OPENID}"
                ))
                .unwrap();
                assert_eq!(c.auth, Auth::Single(AuthType::OpenId), "{t} {multiple}");
            }
        }
    }

    #[test]
    fn same_site_none_needs_a_secure_cookie() {
        assert_eq!(
            error("opensearch_security.cookie.isSameSite: None\n"),
            "\"SameSite: None\" requires Secure connection"
        );
        parse("opensearch_security.cookie.isSameSite: None\nopensearch_security.cookie.secure: true\n").unwrap();
    }

    #[test]
    fn openid_needs_a_client_id() {
        assert_eq!(
            error("opensearch_security.auth.type: openid\n"),
            "`opensearch_security.openid.client_id` is required"
        );
    }

    #[test]
    fn valid_types_the_stand_in_lacks_are_named() {
        let e = error("opensearch_security.auth.type: saml\n");
        assert!(
            e.contains("saml") && e.contains("Dashboards stand-in"),
            "{e}"
        );
    }

    #[test]
    fn ca_files_resolve_against_the_config_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("certs")).unwrap();
        std::fs::write(dir.path().join("certs/ca.pem"), "PEM").unwrap();
        let text = format!(
            "opensearch.ssl.certificateAuthorities: [certs/ca.pem]\nopensearch_security.auth.type: openid\nopensearch_security.openid.root_ca: certs/ca.pem\n{OPENID}"
        );
        let c = Config::from_yaml(&text, dir.path()).unwrap();
        assert_eq!(c.opensearch_ca_pems, ["PEM"]);
        assert_eq!(c.openid.unwrap().root_ca_pem.as_deref(), Some("PEM"));
        let e = Config::from_yaml(&text, Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/certs/ca.pem"), "{e}");
    }
}
