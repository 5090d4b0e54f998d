//! `opensearch-security/*.yml`: the scenario's documents with placeholders substituted, `_meta` added where
//! missing, and internal users' `password:` turned into the bcrypt `hash:` OpenSearch reads.

use serde_json::{Map, Value, json};

use super::{Inputs, RenderError, RunFiles, placeholder_values, yaml};

/// bcrypt cost: the harness tests login flows, not password hashing, and every case renders its internal users;
/// the minimum cost (4) keeps a render at milliseconds instead of ~70 ms per user.
const BCRYPT_COST: u32 = 4;

pub fn render(i: &Inputs, files: &mut RunFiles) -> Result<(), RenderError> {
    let doc = &i.case.document;
    let values = placeholder_values(doc, i.topology, i.certs, i.secrets)
        .with("tls.ca_file", &i.topology.opensearch_paths.ca_file);
    let sec = &doc.opensearch.security;
    let mut internal_users = sec.internal_users.clone();
    for (name, entry) in internal_users.iter_mut().filter(|(n, _)| *n != "_meta") {
        if let (Some(password), Value::Object(fields)) =
            (i.secrets.internal_password(doc, name), &mut *entry)
        {
            let salt = i.secrets.salt(&format!("internal_user/{name}"));
            let hash = bcrypt::hash_with_salt(&password, BCRYPT_COST, salt).map_err(|source| {
                RenderError::Bcrypt {
                    user: name.clone(),
                    source,
                }
            })?;
            fields.shift_remove("password");
            fields.insert(
                "hash".into(),
                json!(hash.format_for_version(bcrypt::Version::TwoY)),
            );
        }
    }
    let documents: [(&str, &str, Map<String, Value>); 8] = [
        ("config", "config", sec.config.clone()),
        ("roles_mapping", "rolesmapping", sec.roles_mapping.clone()),
        ("internal_users", "internalusers", internal_users),
        ("roles", "roles", sec.roles.clone()),
        // Files the scenario format does not cover; the plugin's index initialisation wants them all.
        ("action_groups", "actiongroups", Map::new()),
        ("tenants", "tenants", Map::new()),
        ("nodes_dn", "nodesdn", Map::new()),
        (
            "allowlist",
            "allowlist",
            json!({"config": {"enabled": false}})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ),
    ];
    for (file, meta_type, document) in documents {
        let Value::Object(document) = values.substitute_all(&Value::Object(document)) else {
            unreachable!()
        };
        let mut with_meta = Map::new();
        if !document.contains_key("_meta") {
            with_meta.insert(
                "_meta".into(),
                json!({"type": meta_type, "config_version": 2}),
            );
        }
        with_meta.extend(document);
        let name = format!("{file}.yml");
        files.add(
            &format!("opensearch/opensearch-security/{name}"),
            yaml(&name, &with_meta)?,
        );
    }
    Ok(())
}
