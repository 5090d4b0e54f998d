//! A run's secrets: client secrets and passwords that a scenario leaves `generated`.
//!
//! Each generated value is derived from the run's random seed and the secret's name, so rendering stays a pure
//! function (the same run gives every case the same kibanaserver password) and a test can fix the seed.

use sha2::{Digest, Sha256};

use serde_json::Value;

use crate::redact::{is_secret_key, is_secret_value};
use crate::scenario::{Document, Provider};

/// The value a scenario writes for "make one up".
pub const GENERATED: &str = "generated";

#[derive(Clone)]
pub struct Secrets {
    seed: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

impl Secrets {
    /// Fresh secrets for a run.
    pub fn random() -> Self {
        Secrets {
            seed: rand::random(),
        }
    }

    /// Fixed secrets (tests and snapshots).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Secrets { seed }
    }

    fn digest(&self, purpose: &str, name: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(name.as_bytes());
        h.finalize().into()
    }

    /// A 32-character alphanumeric secret named `name`.
    pub fn generate(&self, name: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        self.digest("secret", name)
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect()
    }

    /// 16 bytes of salt for the bcrypt hash of `name`'s password.
    pub fn salt(&self, name: &str) -> [u8; 16] {
        self.digest("salt", name)[..16]
            .try_into()
            .expect("16 of 32 bytes")
    }

    /// `value` itself, or a generated secret named `name` when it is `generated` or absent.
    pub fn resolve(&self, value: Option<&str>, name: &str) -> String {
        match value {
            None | Some(GENERATED) => self.generate(name),
            Some(literal) => literal.to_owned(),
        }
    }

    pub fn client_secret(&self, p: &Provider) -> String {
        self.resolve(
            Some(&p.client_secret),
            &format!("client_secret/{}", p.client_id),
        )
    }

    /// The password of an IdP user (`idp.users[].password`).
    pub fn idp_password(&self, doc: &Document, username: &str) -> Option<String> {
        let user = doc.idp.users.iter().find(|u| u.username == username)?;
        Some(self.resolve(user.password.as_deref(), &format!("idp_user/{username}")))
    }

    /// The password of an internal user, when the scenario gives one (`password:`) rather than a `hash:`.
    pub fn internal_password(&self, doc: &Document, username: &str) -> Option<String> {
        let entry = doc.opensearch.security.internal_users.get(username)?;
        let password = entry.get("password")?;
        Some(self.resolve(password.as_str(), &format!("internal_user/{username}")))
    }

    /// Every secret a case uses, with a label for redaction: `[client_secret]`, `[password alice]`, …, then every
    /// literal its document holds under a secret key, labelled with that key.
    pub fn of_case(&self, doc: &Document) -> Vec<(String, String)> {
        let mut out = vec![(
            "client_secret".to_owned(),
            self.client_secret(&doc.idp.provider),
        )];
        for u in &doc.idp.users {
            out.extend(
                self.idp_password(doc, &u.username)
                    .map(|p| (format!("password {}", u.username), p)),
            );
        }
        for name in doc.opensearch.security.internal_users.keys() {
            out.extend(
                self.internal_password(doc, name)
                    .map(|p| (format!("password {name}"), p)),
            );
        }
        let document = serde_json::to_value(doc).expect("a document is JSON");
        literal_secrets(&document, &mut out);
        out
    }
}

/// Every literal under a secret key (`redact::is_secret_key`) anywhere in `value`, labelled with its key: the ones
/// no generated value stands for (`opensearch.password` in Dashboards' config, an internal user's `hash`, an
/// LDAP bind password in `config.yml`, a step's `password`), so they are redacted wherever they appear.
fn literal_secrets(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let literal = match value {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                match literal {
                    Some(s) if is_secret_key(key) => {
                        if is_secret_value(&s) {
                            out.push((key.clone(), s));
                        }
                    }
                    _ => literal_secrets(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| literal_secrets(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_stable_per_name_and_differ_between_names_and_runs() {
        let a = Secrets::from_seed([1; 32]);
        assert_eq!(a.generate("x"), a.generate("x"));
        assert_ne!(a.generate("x"), a.generate("y"));
        assert_ne!(a.generate("x"), Secrets::from_seed([2; 32]).generate("x"));
        assert_eq!(a.generate("x").len(), 32);
        assert!(a.generate("x").chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn literals_are_kept_and_generated_is_replaced() {
        let s = Secrets::from_seed([1; 32]);
        assert_eq!(s.resolve(Some("lit"), "n"), "lit");
        assert_eq!(s.resolve(Some("generated"), "n"), s.generate("n"));
        assert_eq!(s.resolve(None, "n"), s.generate("n"));
    }
}
