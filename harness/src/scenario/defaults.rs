//! The defaults of format v1, and how a scenario file is laid over them.

use std::sync::LazyLock;

use serde_json::Value;

use super::yaml;

/// The mappings that merge key by key with the defaults; everything else a file gives replaces the default.
const MERGED: &[&str] = &[
    "",
    "/stack",
    "/requires",
    "/idp",
    "/idp/provider",
    "/idp/keycloak",
    "/opensearch",
    "/opensearch/security",
    "/dashboards",
];

static DEFAULTS: LazyLock<Value> = LazyLock::new(|| {
    yaml::parse(include_str!("defaults.yaml"))
        .expect("the built-in defaults are valid YAML")
        .0
});

/// `file` laid over the defaults.
pub fn apply(file: &Value) -> Value {
    let mut out = DEFAULTS.clone();
    overlay(&mut out, file, "");
    out
}

fn overlay(base: &mut Value, top: &Value, pointer: &str) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) if MERGED.contains(&pointer) => {
            for (k, v) in t {
                let p = format!("{pointer}/{k}");
                match b.get_mut(k) {
                    Some(existing) => overlay(existing, v, &p),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, t) => *b = t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn structural_mappings_merge_and_documents_replace() {
        let file = json!({
            "idp": {"provider": {"encryption_key": true}},
            "opensearch": {"security": {"roles_mapping": {"x": {}}}},
        });
        let doc = apply(&file);
        assert_eq!(doc["idp"]["provider"]["encryption_key"], true);
        assert_eq!(doc["idp"]["provider"]["slug"], "opensearch");
        assert_eq!(doc["idp"]["users"][0]["username"], "alice");
        assert_eq!(
            doc["opensearch"]["security"]["roles_mapping"],
            json!({"x": {}})
        );
        assert_eq!(
            doc["opensearch"]["security"]["config"]["config"]["dynamic"]["authc"]["openid_auth_domain"]
                ["order"],
            1
        );
    }
}
