//! `opensearch_dashboards.yml` as OSD reads it: a key written flat (`opensearch_security.auth.type: openid`) or
//! nested (`opensearch_security:` → `auth:` → `type:`) is the same key, so the file is flattened into dotted keys
//! first, and read by type (`str`, `strings`, `bool`) with Dashboards' leniencies (a number where a string goes,
//! `"true"` for `true`). `config` builds the stand-in's `Config` from them, `schema` validates them.

use std::collections::BTreeMap;

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::Value;

use super::config::ConfigError;

/// The file's leaves under dotted keys.
pub(super) struct Keys(BTreeMap<String, Value>);

impl Keys {
    pub(super) fn parse(text: &str) -> Result<Keys, ConfigError> {
        let docs = Yaml::load_from_str(text).map_err(|e| ConfigError::Yaml(e.to_string()))?;
        let mut keys = Keys(BTreeMap::new());
        match docs.first() {
            None => {}
            Some(Yaml::Value(Scalar::Null)) => {}
            Some(doc @ Yaml::Mapping(_)) => keys.flatten("", doc)?,
            Some(_) => return Err(ConfigError::Yaml("the document is not a mapping".into())),
        }
        Ok(keys)
    }

    fn flatten(&mut self, prefix: &str, node: &Yaml) -> Result<(), ConfigError> {
        if let Yaml::Mapping(m) = node {
            for (k, v) in m {
                let k = scalar_text(k)
                    .ok_or_else(|| ConfigError::Yaml("a mapping key is not a scalar".into()))?;
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                self.flatten(&key, v)?;
            }
            return Ok(());
        }
        if self.0.insert(prefix.to_owned(), json(node)?).is_some() {
            return Err(ConfigError::Duplicate(prefix.to_owned()));
        }
        Ok(())
    }

    /// Whether the file sets `key` at all (a `null` counts: OSD sees the key).
    pub(super) fn present(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Every dotted key, sorted.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn str(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // A YAML number where a string is expected (a client id `12345`) is still text to OSD's schema.
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ConfigError::Type {
                key: key.into(),
                expected: "a string",
            }),
        }
    }

    /// A list of strings, or one string (OSD's `arrayOf` schemas also take a single value for these keys).
    pub(super) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let wrong = || ConfigError::Type {
            key: key.into(),
            expected: "a string or a list of strings",
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned).ok_or_else(wrong))
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(wrong()),
        }
    }

    /// A whole number; OSD's schema also accepts one written as a string (`"5601"`). `expected` names it in the
    /// error.
    pub(super) fn number(
        &self,
        key: &str,
        expected: &'static str,
    ) -> Result<Option<u64>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .map(Some)
                .ok_or(ConfigError::Type {
                    key: key.into(),
                    expected,
                }),
        }
    }

    /// A boolean; OSD's schema also accepts the strings `"true"` and `"false"`.
    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(ConfigError::Type {
                key: key.into(),
                expected: "true or false",
            }),
        }
    }
}

fn scalar_text(node: &Yaml) -> Option<String> {
    match node {
        Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
        Yaml::Value(Scalar::Integer(i)) => Some(i.to_string()),
        Yaml::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        Yaml::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        Yaml::Representation(text, _, _) => Some(text.to_string()),
        _ => None,
    }
}

fn json(node: &Yaml) -> Result<Value, ConfigError> {
    Ok(match node {
        Yaml::Value(Scalar::Null) => Value::Null,
        Yaml::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        Yaml::Value(Scalar::Integer(i)) => Value::Number((*i).into()),
        Yaml::Value(Scalar::FloatingPoint(f)) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Yaml::Value(Scalar::String(s)) => Value::String(s.to_string()),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(json).collect::<Result<_, _>>()?),
        Yaml::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let k = scalar_text(k)
                    .ok_or_else(|| ConfigError::Yaml("a mapping key is not a scalar".into()))?;
                out.insert(k, json(v)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(_, inner) => json(inner)?,
        Yaml::Alias(_) | Yaml::BadValue => {
            return Err(ConfigError::Yaml("a value cannot be read".into()));
        }
    })
}
