//! One JSON document laid over another: a mapping merges key by key where `merges` says so for its JSON pointer
//! (`""` for the root, `/idp/provider`, …), anything else replaces. The scenario defaults (merged only at their
//! structural mappings, `scenario::defaults`) and Keycloak's default client (merged everywhere, `render::keycloak`)
//! are both laid over this way.

use serde_json::Value;

pub fn overlay(base: &mut Value, top: &Value, merges: &dyn Fn(&str) -> bool) {
    at(base, top, "", merges);
}

fn at(base: &mut Value, top: &Value, pointer: &str, merges: &dyn Fn(&str) -> bool) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) if merges(pointer) => {
            for (k, v) in t {
                match b.get_mut(k) {
                    Some(existing) => at(existing, v, &format!("{pointer}/{k}"), merges),
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
    fn mappings_merge_where_asked_and_everything_else_replaces() {
        let mut base = json!({"a": {"x": 1, "y": 2}, "b": {"x": 1}, "l": [1, 2]});
        let top = json!({"a": {"y": 3}, "b": {"z": 2}, "l": [9]});
        let mut everywhere = base.clone();
        overlay(&mut everywhere, &top, &|_| true);
        assert_eq!(
            everywhere,
            json!({"a": {"x": 1, "y": 3}, "b": {"x": 1, "z": 2}, "l": [9]})
        );
        overlay(&mut base, &top, &|p| p.is_empty() || p == "/a");
        assert_eq!(
            base,
            json!({"a": {"x": 1, "y": 3}, "b": {"z": 2}, "l": [9]})
        );
    }
}
