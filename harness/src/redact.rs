//! Redaction: what may never reach a snapshot, a log or a report — secrets by value, and anything shaped like a
//! key, a certificate, a password hash or a token.

use std::sync::LazyLock;

use regex::Regex;

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
    ]
    .into_iter()
    .map(|(p, label)| (Regex::new(p).expect("valid pattern"), label))
    .collect()
});

/// Replaces known secret values with `[label]` and secret-shaped text with a placeholder.
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
        out
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
    fn a_longer_secret_is_replaced_before_a_shorter_one_inside_it() {
        let r = Redactor::new([
            ("short".to_owned(), "abcd".to_owned()),
            ("long".to_owned(), "abcdefgh".to_owned()),
        ]);
        assert_eq!(r.redact("abcdefgh abcd"), "[long] [short]");
    }
}
