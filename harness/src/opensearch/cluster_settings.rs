//! A case's dynamic settings (`opensearch.settings` that `opensearch::settings::TABLE` marks dynamic) without a
//! restart, as loggers are applied: the render puts them in `opensearch/cluster-settings.json` (placeholders
//! substituted), and the running node takes them through `PUT _cluster/settings`. A setting an earlier case gave
//! the node and this case does not have is set to `null`: back to OpenSearch's default, since dynamic settings are
//! never in `opensearch.yml`.

use serde_json::{Map, Value, json};

use super::ApiError;
use crate::render::{CLUSTER_SETTINGS, RunFiles};

/// The case's dynamic settings, as rendered (none when the render wrote no cluster-settings body).
pub fn wanted(files: &RunFiles) -> Result<Map<String, Value>, ApiError> {
    let Some(text) = files.0.get(CLUSTER_SETTINGS) else {
        return Ok(Map::new());
    };
    let body: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::Json(CLUSTER_SETTINGS.to_owned(), e.to_string()))?;
    Ok(body["persistent"].as_object().cloned().unwrap_or_default())
}

/// The body that moves the node from the dynamic settings it has (`now`, given by earlier cases) to `wanted`:
/// each setting of `wanted` it does not have with that value, and every other one of `now` back to its default.
/// `None`: it has them already.
pub fn settings(wanted: &Map<String, Value>, now: &Map<String, Value>) -> Option<Value> {
    let mut persistent = Map::new();
    for key in now.keys().filter(|k| !wanted.contains_key(*k)) {
        persistent.insert(key.clone(), Value::Null);
    }
    for (key, value) in wanted {
        if now.get(key) != Some(value) {
            persistent.insert(key.clone(), value.clone());
        }
    }
    (!persistent.is_empty()).then(|| json!({ "persistent": persistent }))
}

/// Applies the case's dynamic settings on the running node (admin client); `now` becomes what it has after.
pub async fn apply_settings(
    client: &reqwest::Client,
    base: &str,
    files: &RunFiles,
    now: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let wanted = wanted(files)?;
    let Some(body) = settings(&wanted, now) else {
        return Ok(());
    };
    put(client, base, &body).await?;
    *now = wanted;
    Ok(())
}

/// `PUT _cluster/settings` with `body`; anything but 2xx is the node's refusal, in its words.
pub(super) async fn put(
    client: &reqwest::Client,
    base: &str,
    body: &Value,
) -> Result<(), ApiError> {
    let path = format!("{base}/_cluster/settings");
    let r = client.put(&path).json(body).send().await?;
    let status = r.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(ApiError::Refused {
            method: "PUT",
            path,
            status,
            body: r.text().await.unwrap_or_default(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_settings_go_back_to_their_default_and_values_the_node_has_are_not_sent() {
        let map = |v: Value| v.as_object().cloned().unwrap();
        let wanted = map(json!({"search.max_buckets": 20000}));
        let now = map(json!({"search.max_buckets": 10, "action.auto_create_index": false}));
        assert_eq!(
            settings(&wanted, &now),
            Some(
                json!({"persistent": {"action.auto_create_index": null, "search.max_buckets": 20000}})
            )
        );
        assert_eq!(settings(&wanted, &wanted), None, "already so");
        assert_eq!(
            settings(&Map::new(), &wanted),
            Some(json!({"persistent": {"search.max_buckets": null}}))
        );
        assert_eq!(settings(&Map::new(), &Map::new()), None);
    }
}
