//! What Dashboards' config validation refuses at start-up, in its own words (the text after ` FATAL  Error: `).
//!
//! Facts (read from source, not run):
//! - OSD core validates every namespace against its `@osd/config-schema` schema: `ConfigService.validateAtPath`
//!   passes `config validation of [<namespace>]` as the error's namespace, and `ValidationError.extractMessage`
//!   (`packages/osd-config-schema/src/errors/validation_error.ts`) prints `[<namespace>.<path>]: <message>`. An
//!   object schema forbids unknown keys ("definition for this key is missing"); a validation error ends plugin
//!   setup, `Root.setup` logs it as FATAL and the process exits.
//! - `opensearch_security.*`: security-dashboards-plugin `server/index.ts:43-291` (`configSchema`), the same file
//!   byte for byte at every tag from 2.12.0.0 to 3.2.0.0 (checked with `git show <tag>:server/index.ts | md5sum`;
//!   2.11.x differs, 3.3.0.0 adds `resource_sharing.enabled`, 3.7.0.0 `auth.default_redirect_auth_type`). Keys
//!   newer than that schema are therefore refused, as 2.12–3.2 refuse them.
//! - `opensearch_security` and `opensearch` are checked key by key. Unknown keys of the other core namespaces
//!   (`server.*`, `logging.*`, …) and unknown root namespaces are **not** refused here (the real
//!   Dashboards refuses them): only the checks below are modelled for them.

use super::config::{ConfigError, Keys};

/// Leaves of `configSchema` (`server/index.ts:43-291` at 2.19.4.0), as dotted paths under `opensearch_security.`.
/// A path ending in `.*` takes any keys below it (`schema.any`).
const SECURITY_KEYS: &[&str] = &[
    "enabled",
    "allow_client_certificates",
    "readonly_mode.roles",
    "clusterPermissions.include",
    "indexPermissions.include",
    "disabledTransportCategories.exclude",
    "disabledRestCategories.exclude",
    "cookie.secure",
    "cookie.name",
    "cookie.password",
    "cookie.ttl",
    "cookie.domain",
    "cookie.isSameSite",
    "session.ttl",
    "session.keepalive",
    "auth.type",
    "auth.anonymous_auth_enabled",
    "auth.unauthenticated_routes",
    "auth.forbidden_usernames",
    "auth.logout_url",
    "auth.multiple_auth_enabled",
    "basicauth.enabled",
    "basicauth.unauthenticated_routes",
    "basicauth.forbidden_usernames",
    "basicauth.header_trumps_session",
    "basicauth.alternative_login.headers",
    "basicauth.alternative_login.show_for_parameter",
    "basicauth.alternative_login.valid_redirects",
    "basicauth.alternative_login.button_text",
    "basicauth.alternative_login.buttonstyle",
    "basicauth.loadbalancer_url",
    "basicauth.login.title",
    "basicauth.login.subtitle",
    "basicauth.login.showbrandimage",
    "basicauth.login.brandimage",
    "basicauth.login.buttonstyle",
    "multitenancy.enabled",
    "multitenancy.show_roles",
    "multitenancy.enable_filter",
    "multitenancy.debug",
    "multitenancy.enable_aggregation_view",
    "multitenancy.tenants.enable_private",
    "multitenancy.tenants.enable_global",
    "multitenancy.tenants.preferred",
    "configuration.enabled",
    "accountinfo.enabled",
    "openid.connect_url",
    "openid.header",
    "openid.client_id",
    "openid.client_secret",
    "openid.scope",
    "openid.base_redirect_url",
    "openid.logout_url",
    "openid.root_ca",
    "openid.certificate",
    "openid.private_key",
    "openid.passphrase",
    "openid.pfx",
    "openid.verify_hostnames",
    "openid.refresh_tokens",
    "openid.trust_dynamic_headers",
    // `schema.maybe(schema.any(...))` (index.ts:189): any value, any keys below.
    "openid.additional_parameters.*",
    "openid.extra_storage.cookie_prefix",
    "openid.extra_storage.additional_cookies",
    "saml.extra_storage.cookie_prefix",
    "saml.extra_storage.additional_cookies",
    "proxycache.user_header",
    "proxycache.roles_header",
    "proxycache.proxy_header",
    "proxycache.proxy_header_ip",
    "proxycache.login_endpoint",
    "jwt.enabled",
    "jwt.login_endpoint",
    "jwt.url_param",
    "jwt.header",
    "jwt.extra_storage.cookie_prefix",
    "jwt.extra_storage.additional_cookies",
    "ui.basicauth.login.title",
    "ui.basicauth.login.subtitle",
    "ui.basicauth.login.showbrandimage",
    "ui.basicauth.login.brandimage",
    "ui.basicauth.login.buttonstyle",
    "ui.anonymous.login.buttonname",
    "ui.anonymous.login.showbrandimage",
    "ui.anonymous.login.brandimage",
    "ui.anonymous.login.buttonstyle",
    "ui.openid.login.buttonname",
    "ui.openid.login.showbrandimage",
    "ui.openid.login.brandimage",
    "ui.openid.login.buttonstyle",
    "ui.saml.login.buttonname",
    "ui.saml.login.showbrandimage",
    "ui.saml.login.brandimage",
    "ui.saml.login.buttonstyle",
    "ui.autologout",
    "ui.backend_configurable",
];

const SECURITY: &str = "opensearch_security";

/// Leaves of OSD core's `opensearch` schema (`src/core/server/opensearch/opensearch_config.ts` `configSchema`,
/// read at the stored commit 03e6462f, not at a tag), as dotted paths under `opensearch.`; `customHeaders` is a
/// `recordOf` (any names below it). `requestHeadersAllowlist` is renamed onto the Whitelist before validation
/// ([`request_headers`]). `memoryCircuitBreaker.*` and `disablePrototypePoisoningProtection` are later 2.x keys
/// the stored file lacks (assumed from OSD's sample `opensearch_dashboards.yml`, so as not to refuse a valid key).
const OPENSEARCH_KEYS: &[&str] = &[
    "sniffOnStart",
    "sniffInterval",
    "sniffOnConnectionFault",
    "hosts",
    "username",
    "password",
    "requestHeadersWhitelist",
    "requestHeadersAllowlist",
    "customHeaders.*",
    "shardTimeout",
    "requestTimeout",
    "pingTimeout",
    "logQueries",
    "optimizedHealthcheckId",
    "ssl.verificationMode",
    "ssl.certificateAuthorities",
    "ssl.certificate",
    "ssl.key",
    "ssl.keyPassphrase",
    "ssl.keystore.path",
    "ssl.keystore.password",
    "ssl.truststore.path",
    "ssl.truststore.password",
    "ssl.alwaysPresentCertificate",
    "apiVersion",
    "healthCheck.delay",
    "ignoreVersionMismatch",
    "memoryCircuitBreaker.enabled",
    "memoryCircuitBreaker.maxPercentage",
    "disablePrototypePoisoningProtection",
];

fn known(path: &str) -> bool {
    known_in(SECURITY_KEYS, path)
}

fn known_in(schema: &[&str], path: &str) -> bool {
    schema.iter().any(|k| match k.strip_suffix(".*") {
        Some(open) => path == open || path.starts_with(&format!("{open}.")),
        // A key written as a mapping that the schema also has as an object (`cookie: {}`) flattens to nothing;
        // a leaf given where the schema has an object is a type error the stand-in does not model.
        None => path == *k || k.starts_with(&format!("{path}.")),
    })
}

fn fatal(namespace: &str, path: &str, message: &str) -> ConfigError {
    ConfigError::Invalid(format!(
        "[config validation of [{namespace}].{path}]: {message}"
    ))
}

/// The config-schema checks, in the order Dashboards meets them: core's namespaces first (they are registered
/// before any plugin's), then the security plugin's.
pub(super) fn validate(keys: &Keys) -> Result<(), ConfigError> {
    request_headers(keys)?;
    opensearch(keys)?;
    server_ssl(keys)?;
    security(keys)
}

/// Unknown keys under `opensearch.` (an object schema forbids them, as the plugin's does): "definition for this
/// key is missing".
fn opensearch(keys: &Keys) -> Result<(), ConfigError> {
    for key in keys.names() {
        if let Some(path) = key.strip_prefix("opensearch.")
            && !known_in(OPENSEARCH_KEYS, path)
        {
            return Err(fatal(
                "opensearch",
                path,
                "definition for this key is missing",
            ));
        }
    }
    Ok(())
}

/// `opensearch.requestHeadersWhitelist` is the schema's key (OSD `src/core/server/opensearch/opensearch_config.ts`
/// `configSchema`); `core_deprecations.ts` has `renameFromRootWithoutMap('opensearch.requestHeadersWhitelist',
/// 'opensearch.requestHeadersAllowlist')`, and `_renameWithoutMap` (`config/deprecation/deprecation_factory.ts`)
/// moves an Allowlist onto the Whitelist key only when the Whitelist is absent: with both set, the Allowlist stays
/// and is a key the schema lacks.
fn request_headers(keys: &Keys) -> Result<(), ConfigError> {
    if keys.present("opensearch.requestHeadersWhitelist")
        && keys.present("opensearch.requestHeadersAllowlist")
    {
        return Err(fatal(
            "opensearch",
            "requestHeadersAllowlist",
            "definition for this key is missing",
        ));
    }
    Ok(())
}

/// `server.ssl` (OSD `src/core/server/http/ssl_config.ts`, `sslSchema` and `SslConfig`): enabled needs a
/// certificate and a key (the schema's `validate`), which are then read with `readFileSync` (a missing file is
/// Node's ENOENT error). Paths are taken as written: Dashboards resolves them against its working directory.
fn server_ssl(keys: &Keys) -> Result<(), ConfigError> {
    let enabled = keys.bool("server.ssl.enabled")?.unwrap_or(false);
    let certificate = keys.str("server.ssl.certificate")?;
    let key = keys.str("server.ssl.key")?;
    let keystore = keys.str("server.ssl.keystore.path")?;
    if enabled
        && (key.as_deref().is_none_or(str::is_empty)
            || certificate.as_deref().is_none_or(str::is_empty))
        && keystore.is_none()
    {
        return Err(fatal(
            "server",
            "ssl",
            "must specify [certificate] and [key] -- or [keystore.path] -- when ssl is enabled",
        ));
    }
    if keystore.is_none()
        && let (Some(key), Some(certificate)) = (&key, &certificate)
        && !key.is_empty()
        && !certificate.is_empty()
    {
        for path in [key, certificate] {
            if !std::path::Path::new(path).is_file() {
                return Err(ConfigError::Invalid(format!(
                    "ENOENT: no such file or directory, open '{path}'"
                )));
            }
        }
    }
    let mut cas = keys
        .strings("server.ssl.certificateAuthorities")?
        .unwrap_or_default();
    cas.retain(|p| !std::path::Path::new(p).is_file());
    if let Some(path) = cas.first() {
        return Err(ConfigError::Invalid(format!(
            "ENOENT: no such file or directory, open '{path}'"
        )));
    }
    if enabled {
        // With real files Dashboards serves HTTPS only; the stand-in serves plain HTTP behind the harness's Caddy.
        return Err(ConfigError::Unsupported(
            "`server.ssl.enabled: true` (Dashboards serving TLS itself)".into(),
        ));
    }
    Ok(())
}

/// The security plugin's namespace: unknown keys, and `cookie.password`'s `minLength: 32` (`index.ts:64`; the
/// message is `StringType`'s, `packages/osd-config-schema/src/types/string_type.ts`).
fn security(keys: &Keys) -> Result<(), ConfigError> {
    if let Some(password) = keys.str("opensearch_security.cookie.password")?
        && password.chars().count() < 32
    {
        return Err(fatal(
            SECURITY,
            "cookie.password",
            &format!(
                "value has length [{}] but it must have a minimum length of [32].",
                password.chars().count()
            ),
        ));
    }
    let prefix = format!("{SECURITY}.");
    for key in keys.names() {
        if let Some(path) = key.strip_prefix(&prefix)
            && !known(path)
        {
            return Err(fatal(SECURITY, path, "definition for this key is missing"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), String> {
        validate(&Keys::parse(text).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn unknown_keys_of_the_opensearch_namespace_are_refused() {
        assert_eq!(
            check("opensearch.ssl.verification_mode: none\n").unwrap_err(),
            "[config validation of [opensearch].ssl.verification_mode]: definition for this key is missing"
        );
        assert_eq!(
            check("opensearch:\n  user: kibanaserver\n").unwrap_err(),
            "[config validation of [opensearch].user]: definition for this key is missing"
        );
        assert!(
            check(
                "opensearch.hosts: [x]\nopensearch.ssl.verificationMode: none\nopensearch.customHeaders.x-a: b\n\
                 opensearch.requestHeadersAllowlist: [authorization]\nopensearch.username: u\n"
            )
            .is_ok()
        );
    }

    #[test]
    fn unknown_and_newer_keys_of_the_security_plugin_are_refused_in_dashboards_words() {
        assert_eq!(
            check("opensearch_security.openid.clientid: x\n").unwrap_err(),
            "[config validation of [opensearch_security].openid.clientid]: definition for this key is missing"
        );
        // 3.7.0.0+ (`index.ts:115` there), 3.3.0.0+.
        for (key, path) in [
            (
                "opensearch_security:\n  auth:\n    default_redirect_auth_type: openid\n",
                "auth.default_redirect_auth_type",
            ),
            (
                "opensearch_security.resource_sharing.enabled: true\n",
                "resource_sharing.enabled",
            ),
        ] {
            assert_eq!(
                check(key).unwrap_err(),
                format!(
                    "[config validation of [opensearch_security].{path}]: definition for this key is missing"
                )
            );
        }
        check(
            "opensearch_security.openid.additional_parameters: { prompt: login }\n\
             opensearch_security.cookie: {}\nopensearch_security.ui.openid.login.buttonname: SSO\n",
        )
        .unwrap();
    }

    #[test]
    fn a_cookie_password_under_32_characters_is_refused() {
        assert_eq!(
            check("opensearch_security.cookie.password: short\n").unwrap_err(),
            "[config validation of [opensearch_security].cookie.password]: value has length [5] but it must have a minimum length of [32]."
        );
        check("opensearch_security.cookie.password: 0123456789abcdef0123456789abcdef\n").unwrap();
    }

    #[test]
    fn both_request_header_keys_leave_the_allowlist_unknown() {
        assert_eq!(
            check(
                "opensearch.requestHeadersWhitelist: [authorization]\nopensearch.requestHeadersAllowlist: [authorization]\n"
            )
            .unwrap_err(),
            "[config validation of [opensearch].requestHeadersAllowlist]: definition for this key is missing"
        );
        check("opensearch.requestHeadersAllowlist: [authorization]\n").unwrap();
        check("opensearch.requestHeadersWhitelist: [authorization]\n").unwrap();
    }

    #[test]
    fn server_ssl_needs_files_that_exist() {
        assert_eq!(
            check("server.ssl.enabled: true\n").unwrap_err(),
            "[config validation of [server].ssl]: must specify [certificate] and [key] -- or [keystore.path] -- when ssl is enabled"
        );
        assert_eq!(
            check(
                "server.ssl.enabled: true\nserver.ssl.certificate: /nonexistent/cert.pem\nserver.ssl.key: /nonexistent/key.pem\n"
            )
            .unwrap_err(),
            "ENOENT: no such file or directory, open '/nonexistent/key.pem'"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.pem");
        std::fs::write(&file, "PEM").unwrap();
        let f = file.display();
        let e = check(&format!(
            "server.ssl.enabled: true\nserver.ssl.certificate: {f}\nserver.ssl.key: {f}\n"
        ))
        .unwrap_err();
        assert!(e.contains("not reproduced"), "{e}");
    }
}
