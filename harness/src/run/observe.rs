//! What a case did, in words that can be compared and snapshotted. Pure: classification of the browser's end
//! state, the token's shape, log normalisation.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::redact::Redactor;
use crate::scenario::{Outcome, TokenFormat};

/// Everything observed in one case. Volatile values (codes, ports, times) are already normalised away.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Observation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<Outcome>,
    /// Why the outcome was chosen, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authinfo: Option<Authinfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenShape>,
    pub opensearch_log: Vec<String>,
    pub dashboards_log: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Authinfo {
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl Authinfo {
    pub fn from_response(status: u16, body: &str) -> Authinfo {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let list = |k: &str| {
            v.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
        };
        Authinfo {
            status,
            user_name: v
                .get("user_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            backend_roles: list("backend_roles"),
            roles: list("roles"),
        }
    }
}

/// A token's shape: never its values.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TokenShape {
    pub format: TokenFormat,
    pub alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    pub kid_present: bool,
    /// Claim names of a JWS (a JWE's claims are not readable to its receiver).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
}

pub fn token_shape(token: &str) -> TokenShape {
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |p: &str| -> Value {
        URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    };
    let header = decode(parts[0]);
    let text = |k: &str| header.get(k).and_then(Value::as_str).map(str::to_owned);
    let format = if parts.len() == 5 {
        TokenFormat::Jwe
    } else {
        TokenFormat::Jws
    };
    let claims = match (format, parts.get(1)) {
        (TokenFormat::Jws, Some(p)) => decode(p)
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    TokenShape {
        format,
        alg: text("alg"),
        enc: text("enc"),
        kid_present: header.get("kid").is_some(),
        claims,
    }
}

/// The browser's end state, as the outcome table of the scenario format defines it.
pub fn classify(url: &url::Url, body: &str, idp_host: &str) -> (Outcome, String) {
    let path = url.path();
    if body.contains("\"statusCode\":401") {
        return (Outcome::Unauthorized, format!("401 JSON at {path}"));
    }
    if body.contains("ERR_TOO_MANY_REDIRECTS") || body.contains("redirected you too many times") {
        return (
            Outcome::RedirectLoop,
            "the browser gave up: too many redirects".into(),
        );
    }
    if body.contains("not ready yet") || body.contains("\"statusCode\":503") {
        return (Outcome::Unavailable, "503: not ready".into());
    }
    if url.host_str() == Some(idp_host) {
        let first = body
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        return (Outcome::IdpError, format!("stopped at the IdP: {first}"));
    }
    if path == "/app/customerror/missing-role" {
        return (
            Outcome::MissingRole,
            "Missing Role page (mapped roles empty)".into(),
        );
    }
    if path.starts_with("/app/login") {
        return (Outcome::Unauthorized, "back on the login page".into());
    }
    if path.starts_with("/app/") {
        return (Outcome::Success, format!("on {path}"));
    }
    (Outcome::Unavailable, format!("unexpected page {path}"))
}

/// The URL with what changes every run (code, state, port) replaced.
pub fn normalise_url(url: &url::Url) -> String {
    let mut out = url.path().to_owned();
    let pairs: Vec<String> = url
        .query_pairs()
        .map(|(k, v)| match k.as_ref() {
            "code" | "state" => format!("{k}=[{k}]"),
            _ => format!("{k}={v}"),
        })
        .collect();
    if !pairs.is_empty() {
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

static TIMESTAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[\d{4}-\d\d-\d\dT[\d:,.]+\]").expect("regex"));
static NODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[harness-node\] ").expect("regex"));
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b").expect("regex"));
static PORT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.sso\.test:\d+").expect("regex"));
/// An authorization code or state in a logged URL (Caddy's access log): one-time values, but credentials while fresh.
static CODE_OR_STATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([?&](code|state)=)[^&\s\x22]+").expect("regex"));
static HEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[0-9a-f]{32,}\b").expect("regex"));
static SECURITY_LOGGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\]\[(TRACE|DEBUG|INFO |WARN |ERROR)\]\[(o\.o\.s|c\.a\.d)\.").expect("regex")
});

/// The security plugin's lines of a node log slice, with times, addresses, ports and hashes normalised and
/// secrets redacted (its TRACE lines carry raw tokens). Exception messages under a kept line are kept; stack
/// frames are not.
pub fn opensearch_lines(lines: &[String], redactor: &Redactor) -> Vec<String> {
    let mut out = Vec::new();
    let mut keeping = false;
    for line in lines {
        if line.starts_with('[') {
            keeping = SECURITY_LOGGER.is_match(line);
        } else if !keeping
            || line.trim_start().starts_with("at ")
            || line.trim_start().starts_with("...")
        {
            continue;
        }
        if keeping {
            out.push(normalise_line(line, redactor));
        }
    }
    out
}

impl Observation {
    /// The observation as snapshots keep it: log entries (a line and the exception lines under it) sorted, since
    /// the plugin logs from several threads and their order varies between runs; the case folder keeps the order.
    pub fn for_snapshot(&self) -> Observation {
        Observation {
            opensearch_log: sorted_entries(&self.opensearch_log),
            dashboards_log: sorted_entries(&self.dashboards_log),
            ..self.clone()
        }
    }
}

fn sorted_entries(lines: &[String]) -> Vec<String> {
    let mut entries: Vec<Vec<String>> = Vec::new();
    for line in lines {
        match entries.last_mut() {
            Some(e) if !line.starts_with('[') => e.push(line.clone()),
            _ => entries.push(vec![line.clone()]),
        }
    }
    entries.sort();
    entries.concat()
}

/// One log line normalised and redacted.
pub fn normalise_line(line: &str, redactor: &Redactor) -> String {
    let l = CODE_OR_STATE.replace_all(line, "$1[$2]");
    let l = TIMESTAMP.replace(&l, "");
    let l = NODE.replace(&l, "");
    let l = redactor.redact(&l);
    let l = PORT.replace_all(&l, ".sso.test:[port]");
    let l = ADDRESS.replace_all(&l, "[ip]");
    HEX.replace_all(&l, "[hash]").trim().to_owned()
}

/// A line of the real Dashboards' log (JSON, one object a line, as its container writes it) in the stand-in's form,
/// `[level][tag…] message`; `None` for lines that are not its security plugin's.
pub fn dashboards_json_line(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let tags: Vec<&str> = v["tags"]
        .as_array()?
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    if !tags.contains(&"securityDashboards") {
        return None;
    }
    let tags: String = tags.iter().map(|t| format!("[{t}]")).collect();
    Some(format!("{tags} {}", v["message"].as_str()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_states_in_logged_urls_are_redacted() {
        let r = Redactor::new(Vec::new());
        let line = r#"{"uri":"/auth/openid/login?code=Zm9vYmFy-xyz_1&state=oP0kU8XiIw5Ul5q8Mnj5v1","x":1}"#;
        assert_eq!(
            normalise_line(line, &r),
            r#"{"uri":"/auth/openid/login?code=[code]&state=[state]","x":1}"#
        );
    }

    #[test]
    fn the_real_dashboards_json_log_reads_like_the_stand_ins() {
        let line = r#"{"type":"log","@timestamp":"2026-11-28T10:00:00Z","tags":["error","plugins","securityDashboards"],"pid":7,"message":"OpenId authentication failed: Error: Authentication Exception"}"#;
        assert_eq!(
            dashboards_json_line(line).as_deref(),
            Some(
                "[error][plugins][securityDashboards] OpenId authentication failed: Error: Authentication Exception"
            )
        );
        let other =
            r#"{"type":"log","tags":["info","http","server"],"message":"http server running"}"#;
        assert_eq!(dashboards_json_line(other), None);
        assert_eq!(dashboards_json_line("not json"), None);
    }

    #[test]
    fn outcomes_follow_what_the_browser_shows() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let idp = "idp.sso.test";
        let c = |url: &str, body: &str| classify(&u(url), body, idp).0;
        assert_eq!(
            c(
                "https://d.sso.test:1/auth/openid/login?code=x&state=y",
                r#"{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}"#
            ),
            Outcome::Unauthorized
        );
        assert_eq!(
            c(
                "https://d.sso.test:1/app/customerror/missing-role",
                "Missing Role"
            ),
            Outcome::MissingRole
        );
        assert_eq!(
            c("https://d.sso.test:1/app/home", "Home alice"),
            Outcome::Success
        );
        assert_eq!(
            c(
                "https://idp.sso.test:1/application/o/authorize/?x",
                "Redirect URI Error"
            ),
            Outcome::IdpError
        );
        assert_eq!(
            c("chrome-error://chromewebdata/", "ERR_TOO_MANY_REDIRECTS"),
            Outcome::RedirectLoop
        );
    }

    #[test]
    fn urls_lose_their_code_and_state() {
        let u = url::Url::parse("https://d.sso.test:4321/auth/openid/login?code=abc&state=def")
            .unwrap();
        assert_eq!(
            normalise_url(&u),
            "/auth/openid/login?code=[code]&state=[state]"
        );
    }

    #[test]
    fn log_slices_keep_security_lines_normalised_and_redacted() {
        let r = Redactor::new([("client_secret".to_owned(), "s3cr3tvalue".to_owned())]);
        let lines: Vec<String> = [
            "[2026-11-28T17:55:30,997][WARN ][o.o.s.a.BackendRegistry  ] [harness-node] Authentication finally failed for null from 127.0.0.1:49874",
            "[2026-11-28T17:55:30,998][INFO ][o.o.c.m.MetadataIndexTemplateService] [harness-node] noise",
            "[2026-11-28T17:55:30,999][TRACE][c.a.d.a.h.j.HTTPJwtAuthenticator] [harness-node] Extracting JWT token from eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln failed s3cr3tvalue",
            "java.text.ParseException: Unexpected number of Base64URL parts, must be three",
            "\tat com.nimbusds.jwt.JWTParser.parse(JWTParser.java:1)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            opensearch_lines(&lines, &r),
            [
                "[WARN ][o.o.s.a.BackendRegistry  ] Authentication finally failed for null from [ip]",
                "[TRACE][c.a.d.a.h.j.HTTPJwtAuthenticator] Extracting JWT token from [token] failed [client_secret]",
                "java.text.ParseException: Unexpected number of Base64URL parts, must be three",
            ]
        );
    }

    #[test]
    fn snapshots_sort_log_entries_and_keep_exception_lines_under_theirs() {
        let o = Observation {
            opensearch_log: ["[WARN ] b", "[INFO ] a", "Caused by: x"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        assert_eq!(
            o.for_snapshot().opensearch_log,
            ["[INFO ] a", "Caused by: x", "[WARN ] b"]
        );
    }

    #[test]
    fn token_shapes_name_claims_never_values() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(r#"{"iss":"x","groups":["admins"]}"#);
        let s = token_shape(&format!("{header}.{payload}.sig"));
        assert_eq!(s.format, TokenFormat::Jws);
        assert_eq!(s.claims, ["iss", "groups"]);
        assert!(s.kid_present);
        let jwe_header = URL_SAFE_NO_PAD
            .encode(r#"{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512","typ":"JWE","kid":"k"}"#);
        let s = token_shape(&format!("{jwe_header}.a.b.c.d"));
        assert_eq!(
            (s.format, s.enc.as_deref()),
            (TokenFormat::Jwe, Some("A256CBC-HS512"))
        );
        assert!(s.claims.is_empty());
    }
}
