//! Redaction: what may never reach a snapshot, a log or a report — secrets by value, and anything shaped like a
//! key, a certificate, a password hash or a token.

use std::sync::LazyLock;

use regex::Regex;

use crate::secrets::GENERATED;

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // PEM blocks, also when indented inside YAML block literals.
        (
            r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----[^-]*-----END [A-Z ]*PRIVATE KEY-----",
            "[private key]",
        ),
        (
            r"-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----",
            "[certificate]",
        ),
        (r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}", "[bcrypt]"),
        // JWS (3 parts) and JWE (5 parts): base64url JSON headers start with `eyJ`.
        (r"eyJ[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){2,4}", "[token]"),
        // A JWK's key material, also inside a JSON string (a Keycloak client's `jwks.string`): the run's keys,
        // public here but new every run.
        (
            r#"(\\?"(?:n|x|y|kid|x5t|x5t#S256)\\?"\s*:\s*\\?")[A-Za-z0-9_-]{16,}"#,
            "${1}[key]",
        ),
        (
            r#"(\\?"x5c\\?"\s*:\s*\[\s*\\?")[A-Za-z0-9+/=]{64,}"#,
            "${1}[certificate]",
        ),
    ]
    .into_iter()
    .map(|(p, label)| (Regex::new(p).expect("valid pattern"), label))
    .collect()
});

/// The last words that make a key name a secret (`client_secret`, `cookie.password`, `password_hash`).
const SECRET_WORDS: &[&str] = &["password", "passwd", "secret", "hash", "passphrase"];
/// A last word that makes a key a secret's only after another word (`id_token`, `accessToken`).
const TOKEN: &str = "token";

/// Whether `key` names a secret: the one rule for keys, used on scenario documents (`Secrets::of_case`) and on
/// text (`Redactor::redact`). The rule looks at the key's last dotted segment (`opensearch_security.cookie.password`
/// → `password`), split into lowercase words at `_`, `-` and camelCase humps: the key is a secret's when its last
/// word is one of `SECRET_WORDS`, or it ends in `private key`, or in `token` after another word. So
/// `client_secret`, `clientSecret`, `openid.client_secret`, `passwd`, `hash`, `access_token` and `private_key`
/// are secrets, while `roles_key`, `subject_key`, `signing_key` (rsa|ec|none in a scenario), `token_endpoint`,
/// `password_hash_algorithm` and `password_validation_regex` name settings about secrets: their last word is
/// another one. A bare `token` is the harness's word for a token's shape (`token: {format: jwe}`,
/// `token: expected alg …`), and a bare token in text is a JWT, which `PATTERNS` redacts by shape.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.trim_matches(|c| c == '"' || c == '\'' || c == '\\');
    let last = key.rsplit('.').next().unwrap_or(key);
    let mut words: Vec<String> = Vec::new();
    let mut previous_lower = false;
    for c in last.chars() {
        if c == '_' || c == '-' {
            words.push(String::new());
            previous_lower = false;
            continue;
        }
        if words.is_empty() || (c.is_uppercase() && previous_lower) {
            words.push(String::new());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        words.last_mut().expect("a word").extend(c.to_lowercase());
    }
    match words.as_slice() {
        [.., a, b] if a == "private" && b == "key" => true,
        [.., a, b] if b == TOKEN => !a.is_empty(),
        [.., last] => SECRET_WORDS.contains(&last.as_str()),
        [] => false,
    }
}

/// Whether a value under a secret key is one to hide. Not: an empty value, `true`/`false`/`null`/`~` (a flag such
/// as `include_claims_in_id_token: true` is no secret), the scenario's `generated`, nor a value made only of
/// placeholders and redactions (`${idp.client_secret}`, `[client_secret]`), which hold no secret yet or any more.
pub fn is_secret_value(value: &str) -> bool {
    static NOTHING_SECRET: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:\$\{[^}]*\}|\[[^\]]*\])+$").expect("valid pattern"));
    let v = value.trim();
    !(v.is_empty()
        || ["true", "false", "null", "~", GENERATED].contains(&v)
        || NOTHING_SECRET.is_match(v))
}

/// A key that may be a secret's, and what separates it from its value (`: `, `=`, `": "`); `is_secret_key`
/// decides. Built from its words, so the regex only finds candidates for the one rule.
static SECRET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    let words = SECRET_WORDS.join("|");
    let words = format!("{words}|{TOKEN}");
    Regex::new(&format!(
        r#"(?i)(?P<key>[A-Za-z0-9_.\-]*(?:{words}|private[_-]?key))(?P<quote>\\?["']?)[ \t]*(?P<sep>[:=])[ \t]*"#
    ))
    .expect("valid pattern")
});

/// The value after a secret key's separator in `rest`: (its length in `rest`, the text to put in its place), or
/// `None` when there is no scalar to hide on this line (a nested mapping, a flow collection, a block scalar's
/// indicator) or it holds no secret.
fn secret_value(rest: &str, sep: &str, json_key: bool) -> Option<(usize, String)> {
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    let (len, inner, quote) = if let Some(body) = line.strip_prefix("\\\"") {
        // JSON inside a JSON string, as in a logged message: `\"password\":\"value\"`.
        let end = body.find("\\\"").unwrap_or(body.len());
        (2 + end + 2.min(body.len() - end), &body[..end], "\\\"")
    } else if let Some(body) = line.strip_prefix('"') {
        let mut end = body.len();
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i;
                    break;
                }
                _ => escaped = false,
            }
        }
        (1 + end + 1.min(body.len() - end), &body[..end], "\"")
    } else if let Some(body) = line.strip_prefix('\'') {
        // YAML doubles a quote inside single quotes.
        let mut end = body.len();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, c)| *c) == Some('\'') {
                    chars.next();
                } else {
                    end = i;
                    break;
                }
            }
        }
        (1 + end + 1.min(body.len() - end), &body[..end], "'")
    } else {
        // Not a scalar (flow collections, block scalars' indicators), a `::` path, or a key quoted in prose
        // ("give the step a `password:`").
        if line.starts_with(['[', '{', '|', '>', ':', '=', '&', ',', ';', '`']) {
            return None;
        }
        // `key=value` (queries, logs, env files) ends at a space; `key: value` (YAML) runs to the end of the line,
        // a flow collection's `,` `}` `]`, or a comment.
        let end = if sep == "=" {
            line.find(|c: char| c.is_whitespace() || "&,;\"')]}".contains(c))
        } else {
            line.find([',', '}', ']'])
                .into_iter()
                .chain(line.find(" #"))
                .min()
        }
        .unwrap_or(line.len());
        let value = line[..end].trim_end();
        let quote = if json_key { "\"" } else { "" };
        return is_secret_value(value).then(|| (value.len(), format!("{quote}{REDACTED}{quote}")));
    };
    is_secret_value(inner).then(|| (len, format!("{quote}{REDACTED}{quote}")))
}

/// What a value under a secret key becomes.
const REDACTED: &str = "[redacted]";

/// `text` with the value of every secret key (`is_secret_key`) replaced by `[redacted]`, quotes kept.
fn redact_by_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for c in SECRET_KEY.captures_iter(text) {
        let whole = c.get(0).expect("a match");
        if whole.start() < copied || !is_secret_key(&c["key"]) {
            continue;
        }
        let rest = &text[whole.end()..];
        if let Some((len, replacement)) = secret_value(rest, &c["sep"], &c["quote"] == "\"") {
            out.push_str(&text[copied..whole.end()]);
            out.push_str(&replacement);
            copied = whole.end() + len;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Replaces known secret values with `[label]`, secret-shaped text with a placeholder, and the value of every
/// secret key (`is_secret_key`) with `[redacted]`.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// (value, replacement), longest value first so a secret that contains another is replaced whole.
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// `secrets` as (label, value), e.g. `("client_secret", "…")` → `[client_secret]`.
    pub fn new(secrets: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut secrets: Vec<(String, String)> = secrets
            .into_iter()
            // Very short literals ("x") would shred unrelated text; they are not secrets anyone relies on.
            .filter(|(_, v)| v.chars().count() >= 4)
            .map(|(label, value)| (value, format!("[{label}]")))
            .collect();
        // One pass per value: the first label given for it wins.
        let mut seen = std::collections::HashSet::new();
        secrets.retain(|(value, _)| seen.insert(value.clone()));
        secrets.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (value, replacement) in &self.secrets {
            out = out.replace(value.as_str(), replacement);
        }
        for (re, label) in PATTERNS.iter() {
            out = re.replace_all(&out, *label).into_owned();
        }
        // Last, so values already replaced by value or by shape keep their labels.
        redact_by_key(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_keys_hashes_and_tokens_are_replaced() {
        let r = Redactor::new([("client_secret".to_owned(), "s3cr3t-value".to_owned())]);
        let text = "secret: s3cr3t-value\nkey: |\n  -----BEGIN PRIVATE KEY-----\n  MIIE\n  -----END PRIVATE KEY-----\n\
                    hash: $2y$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n\
                    Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln and eyJh.eyJ.a.b.c";
        assert_eq!(
            r.redact(text),
            "secret: [client_secret]\nkey: |\n  [private key]\nhash: [bcrypt]\nBearer [token] and [token]"
        );
    }

    #[test]
    fn jwk_key_material_is_replaced_also_inside_a_json_string() {
        let r = Redactor::new([]);
        let n = "y8pNEqTvAYRW0_W9_F_7BHNbEJRIphp";
        let x5c = "MII".repeat(30);
        let text = format!(
            r#"{{"jwks.string": "{{\"kid\":\"74f91dd6a3ad53b50f0d\",\"n\":\"{n}\",\"e\":\"AQAB\",\"x5c\":[\"{x5c}\"]}}"}}"#
        );
        assert_eq!(
            r.redact(&text),
            r#"{"jwks.string": "{\"kid\":\"[key]\",\"n\":\"[key]\",\"e\":\"AQAB\",\"x5c\":[\"[certificate]\"]}"}"#
        );
    }

    #[test]
    fn a_longer_secret_is_replaced_before_a_shorter_one_inside_it() {
        let r = Redactor::new([
            ("short".to_owned(), "abcd".to_owned()),
            ("long".to_owned(), "abcdefgh".to_owned()),
        ]);
        assert_eq!(r.redact("abcdefgh abcd"), "[long] [short]");
    }

    /// The key pass alone: no value is known to this redactor.
    fn by_key(text: &str) -> String {
        Redactor::new(Vec::new()).redact(text)
    }

    #[test]
    fn the_key_rule_names_secrets_and_not_settings_about_them() {
        for key in [
            "password",
            "passwd",
            "client_secret",
            "clientSecret",
            "opensearch_security.openid.client_secret",
            "opensearch_security.cookie.password",
            "opensearch.password",
            "access_token",
            "refreshToken",
            "id_token",
            "hash",
            "password_hash",
            "passphrase",
            "private_key",
            "privateKey",
            "\"Password\"",
            "--password",
            "CLIENT_SECRET",
        ] {
            assert!(is_secret_key(key), "{key} names a secret");
        }
        for key in [
            "roles_key",
            "subject_key",
            "signing_key",
            "encryption_key",
            "token",
            "_token",
            "token_endpoint",
            "id_token_hint",
            "password_hash_algorithm",
            "password_validation_regex",
            "secrets",
            "nohash",
            "opensearch_security.cookie.secure",
            "password.",
            "",
        ] {
            assert!(!is_secret_key(key), "{key} names no secret");
        }
    }

    #[test]
    fn flat_and_dotted_yaml_keys_lose_their_values() {
        assert_eq!(
            by_key(
                "opensearch.username: kibanaserver\nopensearch.password: lit pass:word # why\n\
                 opensearch_security.openid.client_secret: 'it''s'\nopensearch_security.cookie.password: \"a\\\"b\""
            ),
            "opensearch.username: kibanaserver\nopensearch.password: [redacted] # why\n\
             opensearch_security.openid.client_secret: '[redacted]'\nopensearch_security.cookie.password: \"[redacted]\""
        );
    }

    #[test]
    fn nested_yaml_keys_lose_their_values_and_their_parents_are_kept() {
        let text = "opensearch_security:\n  cookie:\n    password: lit-cookie\n    secure: true\n  openid:\n    client_secret: \"x y\"\n";
        assert_eq!(
            by_key(text),
            "opensearch_security:\n  cookie:\n    password: [redacted]\n    secure: true\n  openid:\n    client_secret: \"[redacted]\"\n"
        );
        let users = "admin:\n  hash: \"{pbkdf2}abc\"\n  backend_roles: [admin]\nldap: { password: lit, bind_dn: cn=x }";
        assert_eq!(
            by_key(users),
            "admin:\n  hash: \"[redacted]\"\n  backend_roles: [admin]\nldap: { password: [redacted], bind_dn: cn=x }"
        );
    }

    #[test]
    fn json_values_lose_their_values_and_stay_json() {
        let text = r#"{"client_secret":"abc","token_endpoint":"https://x/token","password": 1234, "include_claims_in_id_token": true}"#;
        let redacted = by_key(text);
        assert_eq!(
            redacted,
            r#"{"client_secret":"[redacted]","token_endpoint":"https://x/token","password": "[redacted]", "include_claims_in_id_token": true}"#
        );
        serde_json::from_str::<serde_json::Value>(&redacted).unwrap();
        // JSON in a logged message's JSON string.
        assert_eq!(
            by_key(r#"{"message":"body {\"client_secret\":\"abc\",\"a\":1}"}"#),
            r#"{"message":"body {\"client_secret\":\"[redacted]\",\"a\":1}"}"#
        );
    }

    #[test]
    fn key_value_pairs_in_queries_and_log_lines_lose_their_values() {
        assert_eq!(
            by_key(
                "POST /token?grant_type=code&client_secret=abc&x=1 user=alice password=hunter2 done"
            ),
            "POST /token?grant_type=code&client_secret=[redacted]&x=1 user=alice password=[redacted] done"
        );
        assert_eq!(
            by_key("CLIENT_SECRET=abc\nPASSWORD = 'a b'"),
            "CLIENT_SECRET=[redacted]\nPASSWORD = '[redacted]'"
        );
    }

    #[test]
    fn placeholders_redactions_flags_and_settings_are_left_alone() {
        let text = "opensearch_security.openid.client_secret: \"${idp.client_secret}\"\n\
                    opensearch.password: [password kibanaserver]\n\
                    password: \"[password alice]\"\n\
                    hash: [bcrypt]\n\
                    password: generated\n\
                    roles_key: roles\nsubject_key: preferred_username\nsigning_key: rsa\n\
                    token_endpoint: https://idp/token\npassword_hash_algorithm: bcrypt\n\
                    include_claims_in_id_token: true\n\
                    token:\n  format: jws\n\
                    token: expected alg RS256, got Some(\"HS256\")\n\
                    help: give the step a `password:`\n\
                    password: |\n  block\n\
                    at harness::redact::Token::new(token.rs:12)";
        assert_eq!(by_key(text), text);
    }

    #[test]
    fn a_known_value_keeps_its_label_under_a_secret_key() {
        let r = Redactor::new([("password alice".to_owned(), "lit-alice".to_owned())]);
        assert_eq!(
            r.redact("password: lit-alice\nsaid lit-alice"),
            "password: [password alice]\nsaid [password alice]"
        );
    }
}
