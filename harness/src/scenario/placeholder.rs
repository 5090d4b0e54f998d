//! `${...}` placeholders: what each component sees of the stack (`docs/scenario-format.md`, "Placeholders").

use std::collections::BTreeMap;

use serde_json::Value;

/// The placeholders of format v1, plus `internal_users.<name>.password` (added: a generated internal user's
/// password, e.g. kibanaserver's for `opensearch_dashboards.yml`).
pub const NAMES: &[&str] = &[
    "idp.url",
    "idp.slug",
    "idp.realm",
    "idp.issuer",
    "idp.discovery_url",
    "idp.client_id",
    "idp.client_secret",
    "dashboards.url",
    "opensearch.url",
    "tls.ca_file",
    "tls.ca_pem",
];

/// One `${name}` found in a string: the name and its character offset in the string.
#[derive(Debug, PartialEq, Eq)]
pub struct Found<'a> {
    pub name: &'a str,
    pub offset: usize,
}

/// The placeholders in `s`, or the character offset of a `${` that is never closed.
pub fn find(s: &str) -> Result<Vec<Found<'_>>, usize> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(start) = s[rest..].find("${").map(|i| i + rest) {
        let Some(len) = s[start + 2..].find('}') else {
            return Err(s[..start].chars().count());
        };
        out.push(Found {
            name: &s[start + 2..start + 2 + len],
            offset: s[..start].chars().count(),
        });
        rest = start + 2 + len + 1;
    }
    Ok(out)
}

/// Whether `name` is a placeholder, given the internal users the case defines.
pub fn is_known(name: &str, internal_users: &[&str]) -> bool {
    if NAMES.contains(&name) {
        return true;
    }
    matches!(name.strip_prefix("internal_users.").and_then(|n| n.strip_suffix(".password")),
             Some(user) if internal_users.contains(&user))
}

/// Values of the placeholders as one component sees them.
#[derive(Clone, Debug, Default)]
pub struct Values(pub BTreeMap<String, String>);

impl Values {
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// `s` with every placeholder replaced. Panics on an unknown name: loading has rejected those.
    pub fn substitute(&self, s: &str) -> String {
        let found = find(s).expect("placeholders were checked when the scenario was loaded");
        let mut out = String::with_capacity(s.len());
        let mut chars = s.char_indices().peekable();
        let mut consumed = 0; // in characters
        for f in found {
            while consumed < f.offset {
                out.push(chars.next().expect("offset inside the string").1);
                consumed += 1;
            }
            let value = self
                .0
                .get(f.name)
                .unwrap_or_else(|| panic!("no value for placeholder `{}`", f.name));
            out.push_str(value);
            let skip = f.name.chars().count() + 3;
            for _ in 0..skip {
                chars.next();
            }
            consumed += skip;
        }
        out.extend(chars.map(|(_, c)| c));
        out
    }

    /// `v` with every string substituted (keys are left as they are).
    pub fn substitute_all(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.substitute(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.substitute_all(i)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.substitute_all(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_with_their_offsets() {
        assert_eq!(
            find("${idp.url}/x/${dashboards.url}").unwrap(),
            [
                Found {
                    name: "idp.url",
                    offset: 0
                },
                Found {
                    name: "dashboards.url",
                    offset: 13
                }
            ]
        );
        assert_eq!(find("é ${a"), Err(2));
        assert!(find("plain $ {x}").unwrap().is_empty());
    }

    #[test]
    fn internal_user_passwords_are_known_only_for_existing_users() {
        assert!(is_known("idp.issuer", &[]));
        assert!(is_known(
            "internal_users.kibanaserver.password",
            &["kibanaserver"]
        ));
        assert!(!is_known(
            "internal_users.nobody.password",
            &["kibanaserver"]
        ));
        assert!(!is_known("idp.issuer_url", &[]));
    }

    #[test]
    fn substitution_replaces_every_placeholder_and_keeps_the_rest() {
        let v = Values::default()
            .with("idp.url", "https://idp.test")
            .with("idp.slug", "os");
        assert_eq!(
            v.substitute("é ${idp.url}/application/o/${idp.slug}/ ok"),
            "é https://idp.test/application/o/os/ ok"
        );
        assert_eq!(v.substitute("none"), "none");
    }
}
