//! A case's loggers (`opensearch.loggers`) without a restart: `logger.*` are dynamic cluster settings, so the
//! running node takes each case's levels through `_cluster/settings`. The rendered `opensearch.yml` still carries
//! them (a bundle or a case folder shows the node as the case needs it); what a node restarts for is `plan`'s.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::ApiError;
use crate::scenario::{LogLevel, wire_name};

/// The body that gives the node `wanted`'s levels and puts every other logger in `known` (those the node booted
/// with or an earlier case set) back to `INFO`, the level they inherit from the root logger by default.
pub fn settings(wanted: &BTreeMap<String, LogLevel>, known: &BTreeSet<String>) -> Value {
    let mut persistent = Map::new();
    for name in known.iter().filter(|n| !wanted.contains_key(*n)) {
        persistent.insert(format!("logger.{name}"), json!("INFO"));
    }
    for (name, level) in wanted {
        persistent.insert(
            format!("logger.{name}"),
            json!(wire_name(level).to_uppercase()),
        );
    }
    json!({ "persistent": persistent })
}

/// Applies `wanted` on the running node (admin client); `known` grows by the loggers it set.
pub async fn apply_loggers(
    client: &reqwest::Client,
    base: &str,
    wanted: &BTreeMap<String, LogLevel>,
    known: &mut BTreeSet<String>,
) -> Result<(), ApiError> {
    if wanted.is_empty() && known.is_empty() {
        return Ok(());
    }
    super::cluster_settings::put(client, base, &settings(wanted, known)).await?;
    known.extend(wanted.keys().cloned());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_loggers_go_back_to_info() {
        let wanted =
            BTreeMap::from([("com.amazon.dlic.auth.http.jwt".to_owned(), LogLevel::Trace)]);
        let known = BTreeSet::from(["org.opensearch.security".to_owned()]);
        assert_eq!(
            settings(&wanted, &known),
            json!({"persistent": {
                "logger.org.opensearch.security": "INFO",
                "logger.com.amazon.dlic.auth.http.jwt": "TRACE",
            }})
        );
    }
}
