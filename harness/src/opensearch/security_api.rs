//! Swapping a case's security configuration into the running node through `_plugins/_security/api` with the admin
//! certificate — it takes effect at once, so one boot serves every case that shares `opensearch.yml`. Each
//! document is applied whole (entries the case does not have are removed) and read back to confirm.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::render::RunFiles;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("security REST API: {0}")]
    Http(#[from] reqwest::Error),
    #[error("security REST API: {method} {path} answered {status}: {body}")]
    Refused {
        method: &'static str,
        path: String,
        status: u16,
        body: String,
    },
    #[error("rendered {0} is not valid YAML: {1}")]
    Yaml(String, String),
    #[error("rendered {0} is not valid JSON: {1}")]
    Json(String, String),
    #[error("{0} did not take effect: `{1}` reads back differently")]
    NotApplied(&'static str, String),
}

/// The resources the REST API manages, with the rendered file each comes from.
const RESOURCES: &[(&str, &str)] = &[
    ("rolesmapping", "roles_mapping.yml"),
    ("internalusers", "internal_users.yml"),
    ("roles", "roles.yml"),
];

/// Gives the node the case's security documents and reads each back. `applied` holds the roles mapping, internal
/// users and roles the node was given and confirmed before: one whose text is the same is not sent again.
pub async fn apply_security(
    client: &reqwest::Client,
    base: &str,
    files: &RunFiles,
    applied: &mut BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let text = |name: &str| files.0[&format!("opensearch/opensearch-security/{name}")].clone();
    let doc = |name: &str| -> Result<Value, ApiError> {
        yaml_to_json(&text(name)).map_err(|e| ApiError::Yaml(name.to_owned(), e))
    };
    let unchanged = |applied: &BTreeMap<String, String>, name: &str| {
        applied.get(name).is_some_and(|t| *t == text(name))
    };
    // config.yml is sent for every case, also unchanged: the plugin builds its authenticators anew from it, so
    // each case starts with none of the previous one's state (a JWKS fetched and cached, its log lines).
    apply_config(client, base, &doc("config.yml")?).await?;
    for (resource, file) in RESOURCES {
        if unchanged(applied, file) {
            continue;
        }
        applied.remove(*file);
        apply_resource(client, base, resource, file, &doc(file)?).await?;
        applied.insert((*file).into(), text(file));
    }
    Ok(())
}

async fn apply_config(
    client: &reqwest::Client,
    base: &str,
    config: &Value,
) -> Result<(), ApiError> {
    let dynamic = &config["config"]["dynamic"];
    send(
        client,
        "PUT",
        &format!("{base}/_plugins/_security/api/securityconfig/config"),
        Some(json!({"dynamic": dynamic})),
    )
    .await?;
    let now = send(
        client,
        "GET",
        &format!("{base}/_plugins/_security/api/securityconfig"),
        None,
    )
    .await?;
    if let Some(path) = difference(
        &now["config"]["dynamic"]["authc"],
        &dynamic["authc"],
        "config.dynamic.authc",
    ) {
        return Err(ApiError::NotApplied("config.yml", path));
    }
    Ok(())
}

/// One resource (roles mapping, internal users, roles) made the case's document: entries it lacks removed (but
/// the built-in ones), its own added, and read back.
async fn apply_resource(
    client: &reqwest::Client,
    base: &str,
    resource: &str,
    file: &'static str,
    wanted: &Value,
) -> Result<(), ApiError> {
    let url = format!("{base}/_plugins/_security/api/{resource}");
    let current = send(client, "GET", &url, None).await?;
    let mut ops = Vec::new();
    for (name, entry) in current.as_object().into_iter().flatten() {
        // Static entries (built-in roles) cannot be changed; the case's own document says what else exists.
        if entry["static"] == json!(true)
            || entry["hidden"] == json!(true)
            || wanted.get(name).is_some()
        {
            continue;
        }
        ops.push(json!({"op": "remove", "path": format!("/{}", name.replace('~', "~0").replace('/', "~1"))}));
    }
    for (name, entry) in wanted
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(n, _)| *n != "_meta")
    {
        let mut entry = entry.clone();
        if let Some(m) = entry.as_object_mut() {
            m.remove("reserved");
            m.remove("static");
            m.remove("hidden");
        }
        ops.push(json!({"op": "add", "path": format!("/{}", name.replace('~', "~0").replace('/', "~1")), "value": entry}));
    }
    if !ops.is_empty() {
        send(client, "PATCH", &url, Some(Value::Array(ops))).await?;
    }
    let now = send(client, "GET", &url, None).await?;
    for (name, entry) in wanted
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(n, _)| *n != "_meta")
    {
        let check = ["backend_roles", "users", "cluster_permissions"]
            .iter()
            .all(|k| entry.get(*k).is_none_or(|v| now[name].get(*k) == Some(v)));
        if now.get(name).is_none() || !check {
            return Err(ApiError::NotApplied(file, name.clone()));
        }
    }
    Ok(())
}

async fn send(
    client: &reqwest::Client,
    method: &'static str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, ApiError> {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = client.request(m, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    if !(200..300).contains(&status) {
        return Err(ApiError::Refused {
            method,
            path: url.to_owned(),
            status,
            body: text,
        });
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Keys the plugin accepts but does not echo back (seen on 2.19.4: `transport_enabled` of an auth domain).
const NOT_ECHOED: &[&str] = &["transport_enabled"];

/// The first place where `have` lacks or differs from something `want` has (recursively for objects). Values the
/// plugin normalises compare as it treats them: a `null` (e.g. `subject_key: null` pasted from a report) or an
/// empty mapping or list is the same as the key being absent — the plugin reads all three as "not set" and
/// echoes none of them back.
fn difference(have: &Value, want: &Value, at: &str) -> Option<String> {
    let unset = |v: &Value| match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .filter(|(k, _)| !NOT_ECHOED.contains(&k.as_str()))
            .find_map(|(k, v)| match h.get(k) {
                Some(hv) if unset(hv) && unset(v) => None,
                Some(hv) => difference(hv, v, &format!("{at}.{k}")),
                None if unset(v) => None,
                None => Some(format!("{at}.{k} (missing; want {v})")),
            }),
        (h, w) if h == w => None,
        (h, w) => Some(format!("{at} (is {h}, want {w})")),
    }
}

fn yaml_to_json(text: &str) -> Result<Value, String> {
    crate::scenario::yaml_document(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_empty_read_back_as_absent_and_real_differences_still_count() {
        let want =
            json!({"d": {"subject_key": null, "roles_key": "groups", "extra": {}, "list": []}});
        assert_eq!(
            difference(&json!({"d": {"roles_key": "groups"}}), &want, "c"),
            None
        );
        assert_eq!(
            difference(
                &json!({"d": {"roles_key": "groups", "subject_key": null}}),
                &want,
                "c"
            ),
            None
        );
        assert_eq!(
            difference(&json!({"d": {"roles_key": "roles"}}), &want, "c").as_deref(),
            Some("c.d.roles_key (is \"roles\", want \"groups\")")
        );
        assert_eq!(
            difference(
                &json!({"d": {}}),
                &json!({"d": {"subject_key": "sub"}}),
                "c"
            )
            .as_deref(),
            Some("c.d.subject_key (missing; want \"sub\")")
        );
    }
}
