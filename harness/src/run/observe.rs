//! What a case did, in words that can be compared and snapshotted. Pure: the observation, the token's shape, URL
//! and log normalisation (the page a login ends on is read in `page`).

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::hops::{self, Hop};
use crate::redact::Redactor;
use crate::scenario::{Outcome, TokenFormat};

/// Everything observed in one case. Volatile values (codes, ports, times) are already normalised away. Read back
/// from `results.json` too (`run::results`): a member a report lacks is empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Observation {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::results::observed_outcome"
    )]
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
    /// The login's requests as the browser's network panel shows them: in every case of `results.json` (empty
    /// when no login ran), never in snapshots (how many hops a loop makes before it is called depends on timing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hops: Option<Vec<Hop>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
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
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TokenShape {
    pub format: TokenFormat,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    #[serde(default)]
    pub kid_present: bool,
    /// Claim names of a JWS (a JWE's are its `inner` token's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
    /// A JWE's content as the relying party would read it: decrypted for the observation only, with the run's
    /// encryption key (the one the IdP was given to encrypt to), and shaped like any token. `None` for a JWS, and
    /// for a JWE that key does not open (its content is then unreadable to the harness as to the plugin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<Box<TokenShape>>,
}

impl TokenShape {
    /// The claim names a reader of the token gets: a JWS's own, a JWE's decrypted content's; `None` when the
    /// content of a JWE could not be decrypted.
    pub fn readable_claims(&self) -> Option<&[String]> {
        match (self.format, &self.inner) {
            (TokenFormat::Jws, _) => Some(&self.claims),
            (TokenFormat::Jwe, Some(inner)) => inner.readable_claims(),
            (TokenFormat::Jwe, None) => None,
        }
    }
}

/// The token's shape. `decryption_key` is the PEM private key of the run's encryption key pair: a JWE to it is
/// decrypted (RSA-OAEP-256 or RSA-OAEP key wrapping, the ones authentik and Keycloak use) and its content shaped
/// as `inner`. Only names leave this function: no claim value, no key, no plaintext.
pub fn token_shape(token: &str, decryption_key: Option<&str>) -> TokenShape {
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
    let alg = text("alg");
    let inner = match (format, decryption_key) {
        (TokenFormat::Jwe, Some(key)) => decrypt(token, alg.as_deref(), key)
            .map(|content| Box::new(token_shape(content.trim(), None))),
        _ => None,
    };
    TokenShape {
        format,
        alg,
        enc: text("enc"),
        kid_present: header.get("kid").is_some(),
        claims,
        inner,
    }
}

/// A compact JWE's content, or `None` when `key` does not open it (another key, a key wrapping it does not know,
/// a damaged token): the observation then has no `inner`.
fn decrypt(token: &str, alg: Option<&str>, key: &str) -> Option<String> {
    use josekit::jwe::{RSA_OAEP, RSA_OAEP_256};
    let (content, _) = match alg? {
        "RSA-OAEP-256" => {
            josekit::jwe::deserialize_compact(token, &RSA_OAEP_256.decrypter_from_pem(key).ok()?)
        }
        "RSA-OAEP" => {
            josekit::jwe::deserialize_compact(token, &RSA_OAEP.decrypter_from_pem(key).ok()?)
        }
        _ => return None,
    }
    .ok()?;
    String::from_utf8(content).ok()
}

/// The URL's path and query with what changes every run replaced: ports, and codes, states and other secret
/// parameters also where a parameter carries a URL of its own (`hops::redact_url`, without the origin).
pub fn normalise_url(url: &url::Url) -> String {
    let full = hops::redact_url(url);
    match url.host_str() {
        Some(h) => full
            .strip_prefix(&format!("{}://{h}", url.scheme()))
            .unwrap_or(&full)
            .to_owned(),
        None => full,
    }
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
/// A key id the plugin logs that is not a hash (Keycloak's: 43 base64url characters, new every run).
static KID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(performRefresh\()[A-Za-z0-9_-]{16,}\)").expect("regex"));
/// The key set's refresh counter ("Performing refresh 2"): how many refreshes a case saw depends on timing.
static REFRESH_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(Performing refresh )\d+").expect("regex"));
/// The key set's own bookkeeping at INFO: whether a case's slice holds it depends on when the plugin fetched the
/// IdP's keys after the case's config.yml reached it — before the slice began or in it — not on the case.
static KEY_SET_BOOKKEEPING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[INFO \]\[c\.a\.d\.a\.h\.j\.k\.SelfRefreshingKeySet\] (KeySetProvider finished|Performing refresh)")
        .expect("regex")
});
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
    /// the plugin logs from several threads and their order varies between runs, and each kept once, since how
    /// often the plugin repeats one depends on timing too (its key set's refreshes are rate-limited and numbered;
    /// a loop's rounds end when the browser is stopped); the case folder keeps every line in order. In a loop the
    /// URL it happened to be on is left out.
    pub fn for_snapshot(&self) -> Observation {
        let looped = self.login == Some(Outcome::RedirectLoop);
        let entries = |lines: &[String]| {
            let numbered: Vec<String> = lines
                .iter()
                .map(|l| REFRESH_COUNT.replace_all(l, "${1}[n]").into_owned())
                .collect();
            let mut e = sorted_entries(&numbered);
            e.retain(|entry| !KEY_SET_BOOKKEEPING.is_match(&entry[0]));
            e.dedup();
            e.concat()
        };
        Observation {
            opensearch_log: entries(&self.opensearch_log),
            dashboards_log: entries(&self.dashboards_log),
            final_url: if looped { None } else { self.final_url.clone() },
            hops: None,
            ..self.clone()
        }
    }
}

fn sorted_entries(lines: &[String]) -> Vec<Vec<String>> {
    let mut entries: Vec<Vec<String>> = Vec::new();
    for line in lines {
        match entries.last_mut() {
            Some(e) if !line.starts_with('[') => e.push(line.clone()),
            _ => entries.push(vec![line.clone()]),
        }
    }
    entries.sort();
    entries
}

/// One log line normalised and redacted.
pub fn normalise_line(line: &str, redactor: &Redactor) -> String {
    let l = CODE_OR_STATE.replace_all(line, "$1[$2]");
    let l = TIMESTAMP.replace(&l, "");
    let l = NODE.replace(&l, "");
    let l = redactor.redact(&l);
    let l = PORT.replace_all(&l, ".sso.test:[port]");
    let l = ADDRESS.replace_all(&l, "[ip]");
    let l = HEX.replace_all(&l, "[hash]");
    KID.replace_all(&l, "${1}[kid])").trim().to_owned()
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

    /// A JWS, and a JWE of it to `key`'s public half (`alg` key wrapping, `enc` content encryption) as the IdPs
    /// send them: authentik RSA-OAEP-256/A256CBC-HS512, Keycloak (here) RSA-OAEP-256/A256GCM.
    fn jwe(key: &crate::certs::Pem, alg: &str, enc: &str) -> (String, String) {
        use josekit::jwe::{JweHeader, RSA_OAEP, RSA_OAEP_256};
        let claims = serde_json::json!({"iss": "https://idp.sso.test/realms/sso", "sub": "a1", "roles": ["admin"]});
        let jws = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let public = crate::idp::keys::KeyPair::new(key.clone()).public_key_pem();
        let mut header = JweHeader::new();
        header.set_content_encryption(enc);
        header.set_key_id("e1");
        let token = match alg {
            "RSA-OAEP" => josekit::jwe::serialize_compact(
                jws.as_bytes(),
                &header,
                &RSA_OAEP.encrypter_from_pem(&public).unwrap(),
            ),
            _ => josekit::jwe::serialize_compact(
                jws.as_bytes(),
                &header,
                &RSA_OAEP_256.encrypter_from_pem(&public).unwrap(),
            ),
        };
        (jws, token.unwrap())
    }

    #[test]
    fn a_jwe_to_the_run_key_is_observed_with_its_inner_tokens_header_and_claim_names() {
        let certs = crate::certs::RunCertificates::generate(&crate::topology::Hostnames::default())
            .unwrap();
        let key = Some(certs.idp_encryption.key.as_str());
        for (alg, enc) in [
            ("RSA-OAEP-256", "A256CBC-HS512"),
            ("RSA-OAEP-256", "A256GCM"),
            ("RSA-OAEP", "A256GCM"),
        ] {
            let (jws, token) = jwe(&certs.idp_encryption, alg, enc);
            let shape = token_shape(&token, key);
            assert_eq!(shape.format, TokenFormat::Jwe);
            assert_eq!(
                (shape.alg.as_deref(), shape.enc.as_deref()),
                (Some(alg), Some(enc))
            );
            assert!(shape.kid_present && shape.claims.is_empty());
            let inner = shape
                .inner
                .as_deref()
                .expect("decrypted with the run's key");
            assert_eq!(inner, &token_shape(&jws, None));
            assert_eq!(inner.alg.as_deref(), Some("RS256"));
            assert_eq!(
                shape.readable_claims(),
                Some(&["iss".to_owned(), "sub".into(), "roles".into()][..])
            );
            // Names only: nothing of the plaintext's values reaches the observation.
            let text = serde_json::to_string(&shape).unwrap();
            assert!(
                !text.contains("realms/sso") && !text.contains("admin") && !text.contains("k1"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_jwe_the_run_key_does_not_open_has_no_inner_token() {
        let certs = crate::certs::RunCertificates::generate(&crate::topology::Hostnames::default())
            .unwrap();
        // Encrypted to another key pair (the signing one), or read without a key: its content stays unreadable.
        let (_, token) = jwe(&certs.idp_signing_rsa, "RSA-OAEP-256", "A256GCM");
        let shape = token_shape(&token, Some(&certs.idp_encryption.key));
        assert_eq!((shape.format, &shape.inner), (TokenFormat::Jwe, &None));
        assert_eq!(shape.readable_claims(), None);
        let (_, token) = jwe(&certs.idp_encryption, "RSA-OAEP-256", "A256GCM");
        assert_eq!(token_shape(&token, None).inner, None);
    }

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
    fn urls_lose_their_code_state_and_ports_also_inside_parameters() {
        let u = url::Url::parse("https://idp.sso.test:4321/if/flow/x/?redirect_uri=https://d.sso.test:4321/cb&next=%2Fapplication%2Fo%2Fauthorize%2F%3Fstate%3Dabc%26redirect_uri%3Dhttps%253A%252F%252Fd.sso.test%253A4321%252Fcb")
            .unwrap();
        let n = normalise_url(&u);
        assert!(!n.contains("abc") && !n.contains("4321"), "{n}");
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
        let looped = Observation {
            login: Some(Outcome::RedirectLoop),
            final_url: Some("/auth/openid/login".into()),
            dashboards_log: ["[error] failed", "[debug] again", "[error] failed"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        }
        .for_snapshot();
        assert_eq!(looped.dashboards_log, ["[debug] again", "[error] failed"]);
        assert_eq!(looped.final_url, None);
        let refreshed = Observation {
            opensearch_log: [
                "[INFO ] Performing refresh 1",
                "[WARN ] threw",
                "Caused by: x",
                "[INFO ] Performing refresh 2",
                "[WARN ] threw",
                "Caused by: x",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        }
        .for_snapshot();
        assert_eq!(
            refreshed.opensearch_log,
            [
                "[INFO ] Performing refresh [n]",
                "[WARN ] threw",
                "Caused by: x"
            ]
        );
    }

    #[test]
    fn token_shapes_name_claims_never_values() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(r#"{"iss":"x","groups":["admins"]}"#);
        let s = token_shape(&format!("{header}.{payload}.sig"), None);
        assert_eq!(s.format, TokenFormat::Jws);
        assert_eq!(s.claims, ["iss", "groups"]);
        assert!(s.kid_present);
        let jwe_header = URL_SAFE_NO_PAD
            .encode(r#"{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512","typ":"JWE","kid":"k"}"#);
        let s = token_shape(&format!("{jwe_header}.a.b.c.d"), None);
        assert_eq!(
            (s.format, s.enc.as_deref()),
            (TokenFormat::Jwe, Some("A256CBC-HS512"))
        );
        assert!(s.claims.is_empty());
    }
}
