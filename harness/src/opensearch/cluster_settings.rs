//! A case's dynamic settings (`opensearch.settings` that `opensearch::settings::TABLE` marks dynamic) without a
//! restart, as loggers are applied: the render puts them in `opensearch/cluster-settings.json` (placeholders
//! substituted), and the running node takes them through `PUT _cluster/settings`. A setting an earlier case gave
//! the node and this case does not have is set to `null`: back to OpenSearch's default, since dynamic settings are
//! never in `opensearch.yml`.

use std::collections::BTreeSet;

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

/// The body that gives the node `wanted` and puts every other setting in `known` back to its default.
pub fn settings(wanted: &Map<String, Value>, known: &BTreeSet<String>) -> Value {
    let mut persistent = Map::new();
    for key in known.iter().filter(|k| !wanted.contains_key(*k)) {
        persistent.insert(key.clone(), Value::Null);
    }
    persistent.extend(wanted.clone());
    json!({ "persistent": persistent })
}

/// Applies the case's dynamic settings on the running node (admin client); `known` becomes what it set.
pub async fn apply_settings(
    client: &reqwest::Client,
    base: &str,
    files: &RunFiles,
    known: &mut BTreeSet<String>,
) -> Result<(), ApiError> {
    let wanted = wanted(files)?;
    if wanted.is_empty() && known.is_empty() {
        return Ok(());
    }
    put(client, base, &settings(&wanted, known)).await?;
    *known = wanted.keys().cloned().collect();
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
    fn earlier_settings_go_back_to_their_default() {
        let wanted = json!({"search.max_buckets": 20000})
            .as_object()
            .cloned()
            .unwrap();
        let known = BTreeSet::from([
            "search.max_buckets".to_owned(),
            "action.auto_create_index".to_owned(),
        ]);
        assert_eq!(
            settings(&wanted, &known),
            json!({"persistent": {"action.auto_create_index": null, "search.max_buckets": 20000}})
        );
    }
}
