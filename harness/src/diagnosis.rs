//! What a case's observation says went wrong, and what to change: a table of rules from the observation (the
//! token's shape, the security plugin's log lines, Dashboards' log, where the login ended, authinfo) and the case's
//! configuration (`config.yml`'s OpenID authenticator, `opensearch_dashboards.yml`) to `diagnosis` entries
//! (docs/scenario-format.md, "Diagnosis"). Pure.
//!
//! Every rule matches what the real components write — the plugin's own log lines as `run::observe` normalises
//! them, the token the IdP issued — never a scenario's expectation. Each rule names the scenario whose observation
//! it was written from (`Rule::scenario`); `tests/diagnosis.rs` checks that every rule fires on that scenario's
//! snapshotted observation and on no other case (in particular on no case that logs in).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::run::observe::Observation;
use crate::scenario::{Document, IdpCertificate, Outcome, TokenFormat};

/// One known cause: `results.json`'s `diagnosis` entries.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Diagnosis {
    /// The rule's name (`Rule::name`), stable: reports and tests refer to it.
    pub rule: String,
    /// What happened, in one sentence.
    pub summary: String,
    /// What to change, and where.
    pub fix: String,
}

/// What the rules read: a case's observation and the configuration it ran with.
#[derive(Clone, Copy, Debug)]
pub struct Evidence<'a> {
    pub observed: &'a Observation,
    pub idp_certificate: IdpCertificate,
    /// The OpenID authenticator of `config.yml`: its auth domain's name and its `http_authenticator.config`.
    pub openid: Option<(&'a str, &'a Map<String, Value>)>,
    /// `opensearch_dashboards.yml` as a document.
    pub dashboards: &'a Map<String, Value>,
}

impl<'a> Evidence<'a> {
    /// The evidence of a case run from `document` (its defaults laid under: what was rendered, placeholders aside).
    pub fn of(observed: &'a Observation, document: &'a Document) -> Evidence<'a> {
        Evidence {
            observed,
            idp_certificate: document.stack.idp_certificate,
            openid: openid_authenticator(&document.opensearch.security.config),
            dashboards: &document.dashboards.config,
        }
    }

    fn opensearch_has(&self, needle: &str) -> bool {
        self.observed
            .opensearch_log
            .iter()
            .any(|l| l.contains(needle))
    }

    /// The first capture of `re` in the plugin's log.
    fn opensearch_capture(&self, re: &Regex) -> Option<String> {
        self.observed
            .opensearch_log
            .iter()
            .find_map(|l| re.captures(l).map(|c| c[1].to_owned()))
    }

    fn openid_setting(&self, key: &str) -> Option<&'a Value> {
        self.openid.and_then(|(_, c)| c.get(key))
    }

    fn domain(&self) -> &'a str {
        self.openid.map_or("openid_auth_domain", |(d, _)| d)
    }

    /// Where a `config.yml` setting of the OpenID authenticator lives, in words.
    fn where_in_config(&self, key: &str) -> String {
        format!(
            "`config.dynamic.authc.{}.http_authenticator.config.{key}` in config.yml",
            self.domain()
        )
    }

    fn dashboards_setting(&self, key: &str) -> Option<&'a Value> {
        lookup(self.dashboards, key)
    }

    /// The scope Dashboards asks for (its default when unset).
    fn scope(&self) -> String {
        self.dashboards_setting("opensearch_security.openid.scope")
            .and_then(Value::as_str)
            .unwrap_or("openid profile email")
            .to_owned()
    }

    fn token_claims(&self) -> Option<&'a [String]> {
        self.observed
            .token
            .as_ref()
            .filter(|t| t.format == TokenFormat::Jws && !t.claims.is_empty())
            .map(|t| &t.claims[..])
    }
}

/// A known cause: a name, the scenario it was written from, and the check.
pub struct Rule {
    pub name: &'static str,
    /// The file of `scenarios/` (and variant) whose observation shows the cause.
    pub scenario: &'static str,
    check: fn(&Evidence) -> Option<(String, String)>,
}

/// The rules, in the order their entries are listed.
pub static RULES: &[Rule] = &[
    Rule {
        name: "jwe-token",
        scenario: "authentik-jwe (jwe=on)",
        check: jwe_token,
    },
    Rule {
        name: "hs256-without-signing-key",
        scenario: "hs256-without-signing-key/no-signing-key",
        check: hs256_without_signing_key,
    },
    Rule {
        name: "audience-mismatch",
        scenario: "audience/wrong-audience",
        check: audience_mismatch,
    },
    Rule {
        name: "issuer-mismatch",
        scenario: "issuer-trailing-slash/no-trailing-slash",
        check: issuer_mismatch,
    },
    Rule {
        name: "subject-claim-missing",
        scenario: "scope-without-profile/subject-preferred-username",
        check: subject_claim_missing,
    },
    Rule {
        name: "roles-claim-missing",
        scenario: "entitlements-roles/default-scope, authentik-jwe (jwe=off,roles_key=roles), scope-without-profile/subject-email",
        check: roles_claim_missing,
    },
    Rule {
        name: "idp-tls-keys-unprefixed",
        scenario: "idp-certificate-private/ca-without-prefix",
        check: idp_tls_keys_unprefixed,
    },
    Rule {
        name: "idp-ca-untrusted-by-opensearch",
        scenario: "idp-certificate-private/no-ca",
        check: idp_ca_untrusted_by_opensearch,
    },
    Rule {
        name: "idp-ca-untrusted-by-dashboards",
        scenario: "idp-certificate-private/dashboards-without-root-ca",
        check: idp_ca_untrusted_by_dashboards,
    },
    Rule {
        name: "wrong-client-secret",
        scenario: "wrong-client-secret/wrong-secret",
        check: wrong_client_secret,
    },
    Rule {
        name: "dashboards-refused-config",
        scenario: "dashboards-refuses-config/list-without-multiple-auth",
        check: dashboards_refused_config,
    },
];

/// Every rule that matches, in table order; empty when nothing is known.
pub fn diagnose(evidence: &Evidence) -> Vec<Diagnosis> {
    RULES
        .iter()
        .filter_map(|r| {
            (r.check)(evidence).map(|(summary, fix)| Diagnosis {
                rule: r.name.to_owned(),
                summary,
                fix,
            })
        })
        .collect()
}

/// The diagnosis as the case folder's `diagnosis.txt` (and the end of `e2e`) shows it: each entry its rule, what
/// happened and the fix.
pub fn text(diagnosis: &[Diagnosis]) -> String {
    diagnosis
        .iter()
        .map(|d| format!("{}: {}\n  fix: {}\n", d.rule, d.summary, d.fix))
        .collect()
}

/// The case folder's `diagnosis.txt` ([`text`]), written only when something is known (`result.json` holds the
/// list either way).
pub fn write_to(case_dir: &std::path::Path, diagnosis: &[Diagnosis]) -> std::io::Result<()> {
    if diagnosis.is_empty() {
        return Ok(());
    }
    std::fs::write(case_dir.join("diagnosis.txt"), text(diagnosis))
}

/// The OpenID authenticator of a `config.yml` document: the first auth domain whose `http_authenticator.type` is
/// `openid`, and its `config`.
pub fn openid_authenticator(config: &Map<String, Value>) -> Option<(&str, &Map<String, Value>)> {
    let authc = config
        .get("config")?
        .get("dynamic")?
        .get("authc")?
        .as_object()?;
    authc.iter().find_map(|(name, domain)| {
        let auth = domain.get("http_authenticator")?;
        (auth.get("type")?.as_str()? == "openid").then(|| {
            static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
            (
                name.as_str(),
                auth.get("config")
                    .and_then(Value::as_object)
                    .unwrap_or(&EMPTY),
            )
        })
    })
}

/// A dotted `opensearch_dashboards.yml` key, written flat (`a.b.c: …`) or nested (`a: {b: {c: …}}`) or anything
/// between, as Dashboards reads it.
pub fn lookup<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(v) = map.get(key) {
        return Some(v);
    }
    key.match_indices('.').find_map(|(i, _)| {
        map.get(&key[..i])
            .and_then(Value::as_object)
            .and_then(|m| lookup(m, &key[i + 1..]))
    })
}

fn regex(re: &str) -> Regex {
    Regex::new(re).expect("regex")
}

// --- the rules ---------------------------------------------------------------------------------------------------

/// The plugin's parser meets a five-part token: `Unexpected number of Base64URL parts, must be three`.
fn jwe_token(e: &Evidence) -> Option<(String, String)> {
    let token = e
        .observed
        .token
        .as_ref()
        .filter(|t| t.format == TokenFormat::Jwe);
    if token.is_none() && !e.opensearch_has("Unexpected number of Base64URL parts, must be three") {
        return None;
    }
    let how = token
        .map(|t| {
            format!(
                ", {}{}",
                t.alg.as_deref().unwrap_or("?"),
                t.enc
                    .as_deref()
                    .map(|x| format!(" / {x}"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    Some((
        format!(
            "The IdP encrypts its tokens (the id_token is a JWE{how}) and the security plugin reads only signed \
             JWTs (three parts): it rejects the token with \"Unexpected number of Base64URL parts, must be three\", \
             so every login ends in 401 (\"Authentication finally failed for null\")."
        ),
        "Remove the encryption key in authentik's provider (Applications → Providers → <provider> → Edit → \
         Advanced protocol settings → Encryption Key: none; in a blueprint `encryption_key: null`), keeping its \
         Signing Key; on Keycloak, remove the client's `id.token.encrypted.response.alg` and \
         `id.token.encrypted.response.enc` attributes (Client → Advanced → Fine grain OpenID Connect configuration)."
            .to_owned(),
    ))
}

/// authentik without a signing key signs with HS256 (the client secret) and serves a JWKS without keys.
fn hs256_without_signing_key(e: &Evidence) -> Option<(String, String)> {
    let hs256 = e
        .observed
        .token
        .as_ref()
        .is_some_and(|t| t.format == TokenFormat::Jws && t.alg.as_deref() == Some("HS256"));
    let no_keys = e.opensearch_has("Missing required \"keys\" member");
    if !hs256 && !no_keys {
        return None;
    }
    let what = match (hs256, no_keys) {
        (true, true) => {
            "The IdP signs its tokens with HS256 (the client secret) and its JWKS has no keys (the \
                         plugin logs `Missing required \"keys\" member`)"
        }
        (true, false) => {
            "The IdP signs its tokens with HS256 (the client secret), a key it does not publish"
        }
        _ => "The IdP's JWKS has no keys (the plugin logs `Missing required \"keys\" member`)",
    };
    Some((
        format!(
            "{what}: the plugin verifies a token only against the keys of `jwks_uri`, so it cannot verify any."
        ),
        "Give authentik's provider a signing key (Applications → Providers → <provider> → Edit → Signing Key: \
         e.g. \"authentik Self-signed Certificate\"; in a blueprint `signing_key`): it then signs with RS256 and \
         publishes the key."
            .to_owned(),
    ))
}

static AUDIENCE: LazyLock<Regex> = LazyLock::new(|| regex(r"JWT audience rejected: \[([^\]]*)\]"));

fn audience_mismatch(e: &Evidence) -> Option<(String, String)> {
    let aud = e.opensearch_capture(&AUDIENCE)?;
    let required = e
        .openid_setting("required_audience")
        .map(|v| format!(" `{}`", scalar(v)))
        .unwrap_or_default();
    Some((
        format!(
            "The token's audience [{aud}] is not the required_audience{required}: the plugin rejects it (\"JWT \
             audience rejected\")."
        ),
        format!(
            "Set {} to the token's `aud` — authentik and Keycloak put the client ID there (`{aud}`) — or remove it.",
            e.where_in_config("required_audience")
        ),
    ))
}

fn issuer_mismatch(e: &Evidence) -> Option<(String, String)> {
    if !e.opensearch_has("Invalid issuer") {
        return None;
    }
    let required = e.openid_setting("required_issuer").map(scalar);
    let slash = required
        .as_deref()
        .is_some_and(|r| r.contains("/application/o/") && !r.ends_with('/'));
    let summary = match &required {
        Some(r) if slash => format!(
            "The required_issuer `{r}` lacks the trailing slash of authentik's issuer \
             (`…/application/o/<slug>/`): the plugin compares them exactly and rejects the token (\"Invalid \
             issuer\")."
        ),
        Some(r) => format!(
            "The token's `iss` is not the required_issuer `{r}`: the plugin rejects the token (\"Invalid issuer\")."
        ),
        None => "The token's `iss` is not the issuer the plugin expects: it rejects the token (\"Invalid issuer\")."
            .to_owned(),
    };
    Some((
        summary,
        format!(
            "Set {} to the `issuer` of the IdP's discovery document exactly{}, or remove it.",
            e.where_in_config("required_issuer"),
            if slash {
                " (authentik's ends with `/`)"
            } else {
                ""
            }
        ),
    ))
}

static SUBJECT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"Failed to get subject from JWT claims, check if subject_key '([^']*)' is correct")
});

fn subject_claim_missing(e: &Evidence) -> Option<(String, String)> {
    let key = e.opensearch_capture(&SUBJECT_KEY);
    if key.is_none() && !e.opensearch_has("No subject found in JWT token") {
        return None;
    }
    let key = key.unwrap_or_else(|| {
        e.openid_setting("subject_key")
            .map(scalar)
            .unwrap_or_else(|| "sub".to_owned())
    });
    let scope = e.scope();
    let without_profile = !scope.split_whitespace().any(|s| s == "profile");
    let profile_claim = matches!(
        key.as_str(),
        "preferred_username" | "name" | "nickname" | "given_name"
    );
    let claims = e
        .token_claims()
        .map(|c| format!(" (the token's claims: {})", c.join(", ")))
        .unwrap_or_default();
    let (why, fix) = if without_profile && profile_claim {
        (
            format!(
                "; Dashboards asks for the scope `{scope}`, without `profile`, and `{key}` comes with authentik's \
                 profile scope mapping"
            ),
            format!(
                "Add `profile` to `opensearch_security.openid.scope` in opensearch_dashboards.yml, or set {} to a \
                 claim the token has (e.g. `email`, `sub`).",
                e.where_in_config("subject_key")
            ),
        )
    } else {
        (
            String::new(),
            format!(
                "Set {} to a claim the token has, or have the IdP add `{key}` (a scope mapping the provider \
                 attaches and Dashboards' `opensearch_security.openid.scope` asks for).",
                e.where_in_config("subject_key")
            ),
        )
    };
    Some((
        format!(
            "The token has no `{key}` claim (the plugin's subject_key), so the plugin finds no user name and \
             answers 401 (\"No subject found in JWT token\"){why}{claims}."
        ),
        fix,
    ))
}

static ROLES_KEY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"Failed to get roles from JWT claims with roles_key '([^']*)'"));

fn roles_claim_missing(e: &Evidence) -> Option<(String, String)> {
    let key = e.opensearch_capture(&ROLES_KEY)?;
    let claims = e.token_claims().unwrap_or_default();
    let has = |c: &str| claims.iter().any(|x| x == c);
    let scope = e.scope();
    let without_profile = !scope.split_whitespace().any(|s| s == "profile");
    let (why, fix) = if key == "roles" && has("groups") {
        (
            "; authentik puts the user's groups in `groups`, and `roles` only with its entitlements scope \
             mapping"
                .to_owned(),
            format!(
                "Set {} to `groups` (and map the group names in roles_mapping.yml's backend_roles), or attach \
                 authentik's entitlements scope mapping to the provider and add `entitlements` to \
                 `opensearch_security.openid.scope` in opensearch_dashboards.yml.",
                e.where_in_config("roles_key")
            ),
        )
    } else if key == "roles" {
        (
            "; authentik fills `roles` only through its entitlements scope mapping, when the scope asks for \
             `entitlements`"
                .to_owned(),
            format!(
                "Attach authentik's entitlements scope mapping to the provider and add `entitlements` to \
                 `opensearch_security.openid.scope` in opensearch_dashboards.yml, or set {} to `groups`.",
                e.where_in_config("roles_key")
            ),
        )
    } else if key == "groups" && without_profile {
        (
            format!(
                "; Dashboards asks for the scope `{scope}`, without `profile`, and `groups` comes with authentik's \
                 profile scope mapping"
            ),
            "Add `profile` to `opensearch_security.openid.scope` in opensearch_dashboards.yml."
                .to_owned(),
        )
    } else {
        (
            String::new(),
            format!(
                "Set {} to the claim that carries the user's roles or groups, or have the IdP add `{key}` to the \
                 token.",
                e.where_in_config("roles_key")
            ),
        )
    };
    let have = if claims.is_empty() {
        String::new()
    } else {
        format!(" (the token's claims: {})", claims.join(", "))
    };
    Some((
        format!(
            "The token has no `{key}` claim (the plugin's roles_key), so the user gets no backend roles and no \
             role mapping applies{why}{have}."
        ),
        fix,
    ))
}

/// The plugin could not fetch the IdP's discovery document or JWKS over TLS: the IdP's CA is not trusted.
fn opensearch_distrusts_idp(e: &Evidence) -> bool {
    e.observed.opensearch_log.iter().any(|l| {
        l.contains("Error while getting")
            && (l.contains("PKIX path building failed")
                || l.contains("unable to find valid certification path"))
    })
}

/// `openid_connect_idp.` TLS keys the plugin reads; without the prefix it ignores them.
const IDP_TLS_KEYS: &[&str] = &[
    "enable_ssl",
    "pemtrustedcas_filepath",
    "pemtrustedcas_content",
    "verify_hostnames",
    "trust_all",
    "enable_ssl_client_auth",
    "pemcert_filepath",
    "pemcert_content",
    "pemkey_filepath",
    "pemkey_content",
    "pemkey_password",
];

fn unprefixed_tls_keys<'a>(e: &Evidence<'a>) -> Vec<&'a str> {
    e.openid
        .map(|(_, c)| {
            c.keys()
                .map(String::as_str)
                .filter(|k| IDP_TLS_KEYS.contains(k))
                .collect()
        })
        .unwrap_or_default()
}

fn idp_tls_keys_unprefixed(e: &Evidence) -> Option<(String, String)> {
    let keys = unprefixed_tls_keys(e);
    if keys.is_empty() || !opensearch_distrusts_idp(e) {
        return None;
    }
    let listed = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>();
    let renamed = keys
        .iter()
        .map(|k| format!("`openid_connect_idp.{k}`"))
        .collect::<Vec<_>>();
    Some((
        format!(
            "OpenSearch does not trust the IdP's certificate (\"PKIX path building failed\" fetching its \
             discovery document): the CA is configured with {}, which the plugin ignores without the \
             `openid_connect_idp.` prefix.",
            listed.join(", ")
        ),
        format!(
            "Rename them in config.yml, under `config.dynamic.authc.{}.http_authenticator.config`, to {}.",
            e.domain(),
            renamed.join(", ")
        ),
    ))
}

fn idp_ca_untrusted_by_opensearch(e: &Evidence) -> Option<(String, String)> {
    if !opensearch_distrusts_idp(e) || !unprefixed_tls_keys(e).is_empty() {
        return None;
    }
    let configured = e
        .openid_setting("openid_connect_idp.pemtrustedcas_filepath")
        .or_else(|| e.openid_setting("openid_connect_idp.pemtrustedcas_content"))
        .is_some();
    let summary = if configured {
        "OpenSearch does not trust the IdP's certificate (\"PKIX path building failed\" fetching its discovery \
         document): the CA named by `openid_connect_idp.pemtrustedcas_*` is not the one that signed it."
    } else {
        "OpenSearch does not trust the IdP's certificate (\"PKIX path building failed\" fetching its discovery \
         document): it checks the IdP against the JVM's default trust store, which lacks the IdP's CA."
    };
    Some((
        summary.to_owned(),
        format!(
            "In config.yml, under `config.dynamic.authc.{}.http_authenticator.config`, set \
             `openid_connect_idp.enable_ssl: true` and `openid_connect_idp.pemtrustedcas_filepath` (a PEM file \
             under OpenSearch's config folder) or `openid_connect_idp.pemtrustedcas_content` to the CA that signed \
             the IdP's certificate — or add that CA to the JVM's trust store.",
            e.domain()
        ),
    ))
}

/// Dashboards' words when its calls to the IdP fail on the IdP's certificate (Node's and the stand-in's).
const TLS_WORDS: &[&str] = &[
    "unable to get local issuer certificate",
    "self-signed certificate",
    "self signed certificate",
    "unable to verify the first certificate",
    "UNABLE_TO_GET_ISSUER_CERT",
    "certificate verify failed",
    "invalid peer certificate",
    "UnknownIssuer",
];

fn idp_ca_untrusted_by_dashboards(e: &Evidence) -> Option<(String, String)> {
    let said = |l: &String| TLS_WORDS.iter().any(|w| l.contains(w));
    // Dashboards calls OpenSearch over TLS too: only a line about its OpenID calls counts.
    let about_the_idp = |l: &String| {
        ["IdP", "token endpoint", "openid-configuration", "OpenId"]
            .iter()
            .any(|w| l.contains(w))
    };
    let in_log = e
        .observed
        .dashboards_log
        .iter()
        .any(|l| said(l) && about_the_idp(l));
    let in_refusal = e
        .observed
        .login_detail
        .as_ref()
        .is_some_and(|d| d.contains("refused to start") && said(d));
    // The stand-in, as Dashboards before 2.4, starts without its OpenID routes when discovery fails (its log
    // says so at start-up, before the case's slice): the login ends in a 401 under Dashboards' own
    // /auth/openid/, never having come back from the IdP with a code, no token issued, OpenSearch asked nothing
    // — with an IdP whose CA only a config can make trusted, and no `openid.root_ca` naming it.
    let never_left = e.observed.login == Some(Outcome::Unauthorized)
        && e.observed.token.is_none()
        && e.observed.opensearch_log.is_empty()
        && e.observed
            .final_url
            .as_deref()
            .is_some_and(|u| u.starts_with("/auth/openid/") && !u.contains("code="))
        && e.idp_certificate == IdpCertificate::Private
        && e.dashboards_setting("opensearch_security.openid.root_ca")
            .is_none();
    if !in_log && !in_refusal && !never_left {
        return None;
    }
    Some((
        "Dashboards does not trust the IdP's certificate: its discovery call fails at start-up, so it has no \
         OpenID login to offer (Dashboards 2.4+ exits; earlier ones answer 401 at /auth/openid/login)."
            .to_owned(),
        "Set `opensearch_security.openid.root_ca` in opensearch_dashboards.yml to the PEM file of the CA that \
         signed the IdP's certificate (it replaces Node's default roots for the IdP calls)."
            .to_owned(),
    ))
}

/// Dashboards' line when the IdP refuses the code exchange: wreck's "Response Error: 401 Unauthorized" for an answer
/// of 400 and more (security-dashboards-plugin `helper.ts:88-93`); "Failed calling token endpoint" as earlier
/// stand-ins worded it.
static TOKEN_ENDPOINT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"OpenId authentication failed: .*(?:Response Error|Failed calling token endpoint): (40[01])\b",
    )
});

fn wrong_client_secret(e: &Evidence) -> Option<(String, String)> {
    let status = e
        .observed
        .dashboards_log
        .iter()
        .find_map(|l| TOKEN_ENDPOINT.captures(l).map(|c| c[1].to_owned()))?;
    Some((
        format!(
            "The IdP refused Dashboards' code exchange at its token endpoint ({status}): the client secret \
             Dashboards sends is not the provider's, so Dashboards sends the browser back to log in again."
        ),
        "Set `opensearch_security.openid.client_secret` in opensearch_dashboards.yml to the provider's Client \
         Secret (authentik: Applications → Providers → <provider> → Client Secret; Keycloak: Client → \
         Credentials), with `opensearch_security.openid.client_id` its Client ID."
            .to_owned(),
    ))
}

fn dashboards_refused_config(e: &Evidence) -> Option<(String, String)> {
    let refusal = e
        .observed
        .login_detail
        .as_deref()
        .filter(|d| {
            e.observed.login == Some(Outcome::Unavailable) && d.contains("refused to start")
        })
        .map(str::to_owned)
        .or_else(|| {
            e.observed
                .dashboards_log
                .iter()
                .find(|l| l.contains("FATAL") || l.contains("[fatal]"))
                .cloned()
        })?;
    // Its TLS refusals are the IdP's certificate (its own rule).
    if TLS_WORDS.iter().any(|w| refusal.contains(w)) {
        return None;
    }
    let fix = if refusal.contains("multiple_auth_enabled") {
        "In opensearch_dashboards.yml, set `opensearch_security.auth.multiple_auth_enabled: true` beside the list \
         in `opensearch_security.auth.type`, or give `opensearch_security.auth.type` one value (`openid`)."
            .to_owned()
    } else {
        "Change the setting of opensearch_dashboards.yml that Dashboards names in its message."
            .to_owned()
    };
    let words = refusal
        .split_once("refused to start: ")
        .map_or(refusal.as_str(), |(_, w)| w);
    Some((
        format!("Dashboards refuses its configuration and does not start: \"{words}\""),
        fix,
    ))
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    #[test]
    fn lookup_reads_flat_nested_and_mixed_keys() {
        let flat = map(json!({"opensearch_security.openid.scope": "a"}));
        let nested = map(json!({"opensearch_security": {"openid": {"scope": "b"}}}));
        let mixed = map(json!({"opensearch_security": {"openid.scope": "c"}}));
        for (m, want) in [(flat, "a"), (nested, "b"), (mixed, "c")] {
            assert_eq!(
                lookup(&m, "opensearch_security.openid.scope"),
                Some(&json!(want))
            );
        }
        assert_eq!(lookup(&map(json!({})), "a.b"), None);
    }

    #[test]
    fn the_openid_authenticator_is_found_by_its_type() {
        let config = map(json!({"config": {"dynamic": {"authc": {
            "basic": {"http_authenticator": {"type": "basic"}},
            "sso": {"http_authenticator": {"type": "openid", "config": {"roles_key": "groups"}}}
        }}}}));
        let (name, c) = openid_authenticator(&config).expect("found");
        assert_eq!(name, "sso");
        assert_eq!(c.get("roles_key"), Some(&json!("groups")));
    }

    #[test]
    fn nothing_observed_is_nothing_known() {
        let o = Observation::default();
        let d = Map::new();
        let e = Evidence {
            observed: &o,
            idp_certificate: IdpCertificate::Public,
            openid: None,
            dashboards: &d,
        };
        assert_eq!(diagnose(&e), vec![]);
    }

    #[test]
    fn unprefixed_keys_without_a_tls_failure_are_no_diagnosis() {
        let o = Observation::default();
        let c = map(json!({"enable_ssl": true, "pemtrustedcas_content": "PEM"}));
        let d = Map::new();
        let e = Evidence {
            observed: &o,
            idp_certificate: IdpCertificate::Public,
            openid: Some(("openid_auth_domain", &c)),
            dashboards: &d,
        };
        assert_eq!(
            unprefixed_tls_keys(&e),
            vec!["enable_ssl", "pemtrustedcas_content"]
        );
        assert!(diagnose(&e).is_empty());
    }

    #[test]
    fn dashboards_tls_words_count_only_about_the_idp() {
        let d = Map::new();
        let run = |line: &str| {
            let o = Observation {
                dashboards_log: vec![line.to_owned()],
                ..Default::default()
            };
            let e = Evidence {
                observed: &o,
                idp_certificate: IdpCertificate::Public,
                openid: None,
                dashboards: &d,
            };
            diagnose(&e).into_iter().map(|d| d.rule).collect::<Vec<_>>()
        };
        assert_eq!(
            run(
                "[error][plugins][securityDashboards] Failed when trying to obtain the endpoints from your IdP: unable to get local issuer certificate"
            ),
            vec!["idp-ca-untrusted-by-dashboards"]
        );
        assert!(run("[error][data][opensearch] Request error: self signed certificate in certificate chain").is_empty());
    }

    #[test]
    fn rule_names_are_unique() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }
}
