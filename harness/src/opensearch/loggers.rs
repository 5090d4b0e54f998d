//! A case's loggers (`opensearch.loggers`) without a restart: `logger.*` are dynamic cluster settings, so the
//! running node takes each case's levels through `_cluster/settings`. The rendered `opensearch.yml` still carries
//! them (a bundle or a case folder shows the node as the case needs it); what a node restarts for is `plan`'s.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::ApiError;
use crate::scenario::{LogLevel, wire_name};

/// The body that moves the node from the levels it has (`now`: logger → level, those it booted with or was given
/// since) to `wanted`'s: each wanted logger not at its level yet, and every other logger of `now` back to `INFO`,
/// the level they inherit from the root logger by default. `None`: the node has them all already — a PUT of the
/// same levels again costs a cluster-state update (tens of milliseconds) for nothing.
pub fn settings(
    wanted: &BTreeMap<String, LogLevel>,
    now: &BTreeMap<String, String>,
) -> Option<Value> {
    let mut persistent = Map::new();
    for (name, level) in now.iter().filter(|(n, _)| !wanted.contains_key(*n)) {
        if level != INFO {
            persistent.insert(format!("logger.{name}"), json!(INFO));
        }
    }
    for (name, level) in wanted {
        let level = level_name(level);
        if now.get(name) != Some(&level) {
            persistent.insert(format!("logger.{name}"), json!(level));
        }
    }
    (!persistent.is_empty()).then(|| json!({ "persistent": persistent }))
}

const INFO: &str = "INFO";

/// A level as the node's settings name it.
pub fn level_name(level: &LogLevel) -> String {
    wire_name(level).to_uppercase()
}

/// Applies `wanted` on the running node (admin client); `now` becomes the levels the node has after it.
pub async fn apply_loggers(
    client: &reqwest::Client,
    base: &str,
    wanted: &BTreeMap<String, LogLevel>,
    now: &mut BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let Some(body) = settings(wanted, now) else {
        return Ok(());
    };
    super::cluster_settings::put(client, base, &body).await?;
    for level in now.values_mut() {
        *level = INFO.to_owned();
    }
    now.extend(wanted.iter().map(|(n, l)| (n.clone(), level_name(l))));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_loggers_go_back_to_info_and_levels_the_node_has_are_not_sent() {
        let jwt = "com.amazon.dlic.auth.http.jwt";
        let security = "org.opensearch.security";
        let wanted = BTreeMap::from([(jwt.to_owned(), LogLevel::Trace)]);
        let now = BTreeMap::from([(security.to_owned(), "TRACE".to_owned())]);
        assert_eq!(
            settings(&wanted, &now),
            Some(json!({"persistent": {
                "logger.org.opensearch.security": "INFO",
                "logger.com.amazon.dlic.auth.http.jwt": "TRACE",
            }}))
        );
        let after = BTreeMap::from([
            (security.to_owned(), "INFO".to_owned()),
            (jwt.to_owned(), "TRACE".to_owned()),
        ]);
        assert_eq!(settings(&wanted, &after), None, "already so");
        assert_eq!(
            settings(&BTreeMap::new(), &after),
            Some(json!({"persistent": {"logger.com.amazon.dlic.auth.http.jwt": "INFO"}})),
            "only the one not at INFO yet"
        );
        assert_eq!(settings(&BTreeMap::new(), &BTreeMap::new()), None);
    }
}
