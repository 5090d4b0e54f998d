//! The stand-in's outgoing calls: discovery and the token endpoint (the IdP), authinfo (OpenSearch). Each client
//! trusts what Dashboards' would: `openid.root_ca` alone when set (Node's `ca` replaces the roots), else the system
//! roots plus the harness's extra CA; `opensearch.ssl.certificateAuthorities` alone when set.
//!
//! Connections, as Dashboards' clients keep them (read from source), so that no verdict depends on a connection
//! an earlier case left behind and the server has since closed:
//! - The IdP calls go through wreck with `proxy-agent` agents (security-dashboards-plugin
//!   `server/auth/types/openid/openid_auth.ts:183-198` at 2.19.4.0, `proxy-agent ^6.4.0`): plain `http.Agent`s
//!   without `keepAlive`, so Node opens a connection per request and sends `Connection: close`. Here: no idle pool.
//! - The OpenSearch calls go through OSD's legacy client (`opensearch_security_client.ts:51-86` →
//!   `asScoped(...).callAsCurrentUser`), which keeps connections alive (`parseOpenSearchClientConfig`,
//!   `legacy/opensearch_client_config.ts`: `keepAlive: true`) and retries a request that failed on its connection
//!   up to `maxRetries` = 3 times (legacy elasticsearch-js `src/lib/transport.js`, `checkRespForFailure`: "Request
//!   error, retrying"). Here: a pooled client, and each retry on a fresh connection of its own, so a retry never
//!   meets a pooled connection either.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use super::config::{Config, VerificationMode};
use super::{StartError, Upstreams};

pub(super) struct Clients {
    pub idp: reqwest::Client,
    pub opensearch: OpenSearchClient,
}

/// OSD's legacy client towards OpenSearch: kept-alive connections, a failed request tried again.
pub(super) struct OpenSearchClient {
    pooled: reqwest::Client,
    /// Never keeps a connection: what a retry goes through.
    fresh: reqwest::Client,
}

/// `maxRetries`' default in the legacy client's `Transport`.
const MAX_RETRIES: usize = 3;

impl OpenSearchClient {
    /// `GET url` with `headers`; an error of the request itself (not an HTTP status) is retried up to
    /// [`MAX_RETRIES`] times, each on a new connection. The last error is the one returned.
    pub async fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let send = |client: &reqwest::Client| {
            let mut r = client.get(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            if let Some((user, password)) = basic {
                r = r.basic_auth(user, Some(password));
            }
            r.send()
        };
        let mut last = match send(&self.pooled).await {
            Ok(r) => return Ok(r),
            Err(e) => e,
        };
        for _ in 0..MAX_RETRIES {
            match send(&self.fresh).await {
                Ok(r) => return Ok(r),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl Clients {
    pub fn new(config: &Config, upstreams: &Upstreams) -> Result<Clients, StartError> {
        let base = || {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Never through a proxy from the environment: every call stays on the names the harness resolves.
                .no_proxy()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30));
            for (host, addr) in &upstreams.resolve {
                b = b.resolve(host, *addr);
            }
            b
        };
        let certs = |pem: &str| {
            reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| StartError::Tls(format!("a CA certificate cannot be read: {e}")))
        };
        // wreck's agents keep no connection (module docs).
        let mut idp = base().pool_max_idle_per_host(0);
        match config
            .openid
            .as_ref()
            .and_then(|o| o.root_ca_pem.as_deref())
        {
            Some(pem) => idp = idp.tls_certs_only(certs(pem)?),
            None => {
                if let Some(pem) = &upstreams.extra_trusted_ca_pem {
                    idp = idp.tls_certs_merge(certs(pem)?);
                }
            }
        }
        if config.openid.as_ref().is_some_and(|o| !o.verify_hostnames) {
            idp = idp.tls_danger_accept_invalid_hostnames(true);
        }
        let opensearch = || -> Result<reqwest::ClientBuilder, StartError> {
            let mut b = base().timeout(config.opensearch_request_timeout);
            if !config.opensearch_ca_pems.is_empty() {
                let mut all = Vec::new();
                for pem in &config.opensearch_ca_pems {
                    all.extend(certs(pem)?);
                }
                b = b.tls_certs_only(all);
            }
            Ok(match config.verification_mode {
                VerificationMode::Full => b,
                VerificationMode::Certificate => b.tls_danger_accept_invalid_hostnames(true),
                VerificationMode::None => b.tls_danger_accept_invalid_certs(true),
            })
        };
        let build =
            |b: reqwest::ClientBuilder| b.build().map_err(|e| StartError::Tls(e.to_string()));
        Ok(Clients {
            idp: build(idp)?,
            opensearch: OpenSearchClient {
                pooled: build(opensearch()?)?,
                fresh: build(opensearch()?.pool_max_idle_per_host(0))?,
            },
        })
    }
}

/// What discovery gives Dashboards.
#[derive(Clone, Debug)]
pub(super) struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub end_session: Option<String>,
}

/// `wreck.get(connect_url)` + `JSON.parse`: a non-2xx answer or a body that is not JSON fails.
pub(super) async fn discover(client: &reqwest::Client, url: &str) -> Result<Endpoints, String> {
    let r = client.get(url).send().await.map_err(in_nodes_words)?;
    if !r.status().is_success() {
        return Err(format!("Response Error: {}", r.status()));
    }
    let doc: Value = r.json().await.map_err(|e| e.to_string())?;
    let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(Endpoints {
        // Missing endpoints stay `undefined` in Dashboards; the redirect then goes to "undefined?…".
        authorization: text("authorization_endpoint").unwrap_or_else(|| "undefined".into()),
        token: text("token_endpoint").unwrap_or_else(|| "undefined".into()),
        end_session: text("end_session_endpoint"),
    })
}

#[derive(Debug, Default)]
pub(super) struct TokenResponse {
    pub id_token: Option<String>,
    pub expires_in: Option<f64>,
}

/// `callTokenEndpoint`: a form POST; the answer may be JSON or form-encoded (`parseTokenResponse`).
pub(super) async fn token(
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Result<TokenResponse, String> {
    let r = client
        .post(endpoint)
        .form(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    // wreck's `post` rejects an answer of 400 and more itself (its Boom error "Response Error: <code> <message>"),
    // before `callTokenEndpoint` looks at the status (`helper.ts:88-102`): "Failed calling token endpoint" is only
    // what a 1xx or 3xx gets.
    if status.is_client_error() || status.is_server_error() {
        return Err(format!(
            "Error: Response Error: {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ));
    }
    if !status.is_success() {
        return Err(format!(
            "Error: Failed calling token endpoint: {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ));
    }
    let body = r.text().await.map_err(|e| e.to_string())?;
    if body.trim_start().starts_with('{') {
        let v: Value =
            serde_json::from_str(&body).map_err(|e| format!("Invalid JSON payload: {e}"))?;
        Ok(TokenResponse {
            id_token: v.get("id_token").and_then(Value::as_str).map(str::to_owned),
            expires_in: v.get("expires_in").and_then(Value::as_f64),
        })
    } else {
        let mut t = TokenResponse::default();
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            match &*k {
                "id_token" => t.id_token = Some(v.into_owned()),
                "expires_in" => t.expires_in = v.parse().ok(),
                _ => {}
            }
        }
        Ok(t)
    }
}

/// `getExpirationDate` (milliseconds): the id_token must have three parts; `exp` is read without any check.
/// `Ok(None)` is `NaN` in Dashboards (no `exp`): the session cookie is then never valid.
pub(super) fn expiration(t: &TokenResponse, now_ms: i64) -> Result<Option<i64>, String> {
    let Some(id) = &t.id_token else {
        return Ok(t.expires_in.map(|s| now_ms + (s * 1000.0) as i64));
    };
    let parts: Vec<&str> = id.split('.').collect();
    if parts.len() != 3 {
        return Err("Error: Invalid token".into());
    }
    // Node's Buffer.from(…, 'base64') reads both alphabets and ignores padding.
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let normalised: String = parts[1]
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = lenient
        .decode(normalised.trim_end_matches('='))
        .map_err(|e| format!("SyntaxError: {e}"))?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|e| format!("SyntaxError: {e}"))?;
    Ok(claims
        .get("exp")
        .and_then(Value::as_f64)
        .map(|e| (e * 1000.0) as i64))
}

/// The user as `GET /_plugins/_security/authinfo` describes them.
#[derive(Clone, Debug)]
pub(super) struct AuthInfo {
    pub user_name: String,
    pub roles: Vec<String>,
    pub backend_roles: Vec<String>,
}

#[derive(Debug)]
pub(super) enum AuthInfoError {
    /// OpenSearch answered 401: the legacy client's "Authentication Exception".
    Unauthorized,
    Other(String),
}

/// A reqwest error without the URL it names: the URLs carry the run's ports, which no snapshot may depend on.
fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

/// A failed call as Node's TLS stack words it where it can tell: an IdP certificate from a CA it does not trust
/// is `unable to get local issuer certificate` (OpenSSL's `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`, which Node's `tls`
/// reports for a leaf whose issuer is not among its roots — assumed from Node's error table, not measured here);
/// anything else in reqwest's words, without the URL.
fn in_nodes_words(e: reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("UnknownIssuer") || text.contains("invalid peer certificate") {
            return "unable to get local issuer certificate".to_owned();
        }
        source = s.source();
    }
    without_url(e).to_string()
}

/// The start-up check of OSD's OpenSearch service: `pollOpenSearchNodesVersion`
/// (`src/core/server/opensearch/version_check/ensure_opensearch_version.ts`) asks `nodes.info` with these
/// `filter_path`s as Dashboards' own user (`opensearch.username`/`password`, the legacy config's `host.auth`). Any
/// error or non-2xx answer keeps Dashboards from becoming ready. The version comparison it makes next is not
/// modelled (the stand-in has no single version).
pub(super) async fn nodes_info(
    client: &OpenSearchClient,
    host: &str,
    user: Option<(&str, &str)>,
) -> Result<(), String> {
    let url = format!(
        "{}/_nodes?filter_path=nodes.*.version,nodes.*.http.publish_address,nodes.*.ip",
        host.trim_end_matches('/')
    );
    let r = client
        .get(&url, &[], user)
        .await
        .map_err(|e| without_url(e).to_string())?;
    if !r.status().is_success() {
        return Err(format!("Response Error: {}", r.status()));
    }
    Ok(())
}

/// `authenticateWithHeader`: authinfo on the first of `opensearch.hosts`, with only the given header.
pub(super) async fn authinfo(
    client: &OpenSearchClient,
    host: &str,
    header: &str,
    value: &str,
) -> Result<AuthInfo, AuthInfoError> {
    authinfo_with(client, host, &[(header, value)])
        .await
        .map_err(|e| match e {
            ScopedError::Unauthorized { .. } => AuthInfoError::Unauthorized,
            ScopedError::Other(m) => AuthInfoError::Other(m),
        })
}

/// A call of the scoped client that failed.
#[derive(Debug)]
pub(super) enum ScopedError {
    /// OpenSearch answered 401, with its `WWW-Authenticate` if any.
    Unauthorized {
        www_authenticate: Option<String>,
    },
    Other(String),
}

/// authinfo with exactly `headers` (none at all when the allowlist filtered them all out).
pub(super) async fn authinfo_with(
    client: &OpenSearchClient,
    host: &str,
    headers: &[(&str, &str)],
) -> Result<AuthInfo, ScopedError> {
    let url = format!("{}/_plugins/_security/authinfo", host.trim_end_matches('/'));
    let r = client
        .get(&url, headers, None)
        .await
        .map_err(|e| ScopedError::Other(e.to_string()))?;
    if r.status() == reqwest::StatusCode::UNAUTHORIZED {
        return Err(ScopedError::Unauthorized {
            www_authenticate: r
                .headers()
                .get(reqwest::header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
    }
    if !r.status().is_success() {
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        return Err(ScopedError::Other(client_error(status, &body)));
    }
    let v: Value = r
        .json()
        .await
        .map_err(|e| ScopedError::Other(e.to_string()))?;
    let list = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(AuthInfo {
        user_name: v
            .get("user_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        roles: list("roles"),
        backend_roles: list("backend_roles"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(token: &str) -> TokenResponse {
        TokenResponse {
            id_token: Some(token.into()),
            expires_in: Some(300.0),
        }
    }

    #[test]
    fn expiration_is_read_from_exp_of_a_three_part_token() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1700}"#);
        assert_eq!(
            expiration(&id(&format!("h.{payload}.s")), 0),
            Ok(Some(1_700_000))
        );
        let no_exp = base64::engine::general_purpose::STANDARD.encode(br#"{"sub":"x"}"#);
        assert_eq!(expiration(&id(&format!("h.{no_exp}.s")), 0), Ok(None));
        assert_eq!(
            expiration(
                &TokenResponse {
                    id_token: None,
                    expires_in: Some(2.0)
                },
                10
            ),
            Ok(Some(2010))
        );
    }

    #[test]
    fn a_jwe_is_an_invalid_token() {
        assert_eq!(
            expiration(&id("a.b.c.d.e"), 0),
            Err("Error: Invalid token".into())
        );
        assert!(expiration(&id("a.!!!.c"), 0).is_err());
    }
}

/// The message of the error OSD's OpenSearch client raises for an answer of 400 and more that is not a 401, as the
/// security plugin rethrows it (`new Error(error.message)`) and its callback logs it: `Error: [type] reason` from
/// OpenSearch's error body (its first root cause), `Error: Response Error` without one. Read from the legacy
/// client's error formatting, not measured against a real Dashboards here (docs/dashboards-stand-in.md).
fn client_error(status: reqwest::StatusCode, body: &str) -> String {
    let error = serde_json::from_str::<Value>(body)
        .ok()
        .map(|v| v["error"].clone());
    let cause = error
        .as_ref()
        .and_then(|e| e["root_cause"].get(0).cloned().or_else(|| Some(e.clone())));
    match cause
        .as_ref()
        .and_then(|c| Some((c["type"].as_str()?, c["reason"].as_str()?)))
    {
        Some((kind, reason)) => format!("Error: [{kind}] {reason}"),
        None => format!("Error: Response Error ({})", status.as_u16()),
    }
}

#[cfg(test)]
mod client_error_tests {
    use super::*;

    #[test]
    fn opensearch_s_own_words_or_the_status() {
        // OpenSearch 2.19.4's answer to a request past http.max_header_size (measured).
        let body = r#"{"error":{"root_cause":[{"type":"too_long_http_header_exception","reason":"HTTP header is larger than 2048 bytes."}],"type":"too_long_http_header_exception","reason":"HTTP header is larger than 2048 bytes."},"status":400}"#;
        assert_eq!(
            client_error(reqwest::StatusCode::BAD_REQUEST, body),
            "Error: [too_long_http_header_exception] HTTP header is larger than 2048 bytes."
        );
        assert_eq!(
            client_error(reqwest::StatusCode::BAD_GATEWAY, "<html>bad gateway</html>"),
            "Error: Response Error (502)"
        );
    }
}
