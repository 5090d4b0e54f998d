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
    crate::overlay::overlay(&mut out, file, &|p| MERGED.contains(&p));
    out
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
