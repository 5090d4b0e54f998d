//! `opensearch.settings` (docs/scenario-format.md, "OpenSearch node settings"): `opensearch.yml` keys a case lays over the
//! harness's own. Pure: which keys the harness owns (refused when a scenario loads), and the table of the settings
//! whose kind the harness knows — static ones only `opensearch.yml` gives a node (a restart: `plan`), dynamic ones
//! the running node takes through `PUT _cluster/settings` (`apply_settings`, like loggers).
//!
//! The table is checked against the real node by `tests/opensearch_settings.rs`: every static key is refused by
//! `_cluster/settings` as "not dynamically updateable" (so it is a setting the node knows, and a restart is
//! needed), every dynamic key is accepted with its example value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// How a running node takes a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Read from `opensearch.yml` at boot only: a case that changes it restarts OpenSearch.
    Static,
    /// A cluster setting `PUT _cluster/settings` changes on the running node.
    Dynamic,
}

/// One row of [`TABLE`]: a key, its kind, and a value OpenSearch accepts for it (JSON text; the node test puts it).
#[derive(Clone, Copy, Debug)]
pub struct Known {
    pub key: &'static str,
    pub kind: Kind,
    pub example: &'static str,
}

const fn s(key: &'static str, example: &'static str) -> Known {
    Known {
        key,
        kind: Kind::Static,
        example,
    }
}

const fn d(key: &'static str, example: &'static str) -> Known {
    Known {
        key,
        kind: Kind::Dynamic,
        example,
    }
}

/// The settings whose kind the harness knows, exact keys only (no patterns: the node test can only check keys it
/// can name). Checked on OpenSearch 2.19.4 with its security plugin (`tests/opensearch_settings.rs`).
pub const TABLE: &[Known] = &[
    // HTTP: node-level, read when the HTTP transport starts.
    s("http.max_header_size", r#""16kb""#),
    s("http.max_initial_line_length", r#""8kb""#),
    s("http.max_content_length", r#""200mb""#),
    s("http.max_chunk_size", r#""16kb""#),
    s("http.compression", "false"),
    s("http.cors.enabled", "true"),
    s("http.cors.allow-origin", r#""*""#),
    s("http.cors.allow-credentials", "true"),
    s(
        "http.cors.allow-headers",
        r#""Authorization, Content-Type""#,
    ),
    s("http.detailed_errors.enabled", "false"),
    s("http.read_timeout", r#""30s""#),
    // The security plugin's node-level settings (the ones a scenario may set; the TLS files and DNs are owned).
    s("plugins.security.ssl.http.clientauth_mode", r#""OPTIONAL""#),
    s(
        "plugins.security.ssl.http.enabled_protocols",
        r#"["TLSv1.3"]"#,
    ),
    s(
        "plugins.security.ssl.transport.enabled_protocols",
        r#"["TLSv1.3"]"#,
    ),
    s(
        "plugins.security.ssl.transport.enforce_hostname_verification",
        "false",
    ),
    s(
        "plugins.security.restapi.roles_enabled",
        r#"["all_access"]"#,
    ),
    s("plugins.security.roles_mapping_resolution", r#""BOTH""#),
    s("plugins.security.cache.ttl_minutes", "30"),
    s("plugins.security.audit.type", r#""noop""#),
    s("plugins.security.system_indices.enabled", "true"),
    s("plugins.security.enable_snapshot_restore_privilege", "true"),
    s(
        "plugins.security.check_snapshot_restore_write_privileges",
        "true",
    ),
    s("plugins.security.allow_unsafe_democertificates", "false"),
    // Other node-level settings reports carry.
    s("thread_pool.search.size", "4"),
    s("thread_pool.write.queue_size", "2000"),
    s("indices.fielddata.cache.size", r#""20%""#),
    s("indices.memory.index_buffer_size", r#""15%""#),
    // Cluster settings the running node takes.
    d("cluster.routing.allocation.disk.threshold_enabled", "false"),
    d("cluster.routing.allocation.disk.watermark.low", r#""90%""#),
    d("cluster.routing.allocation.disk.watermark.high", r#""95%""#),
    d(
        "cluster.routing.allocation.disk.watermark.flood_stage",
        r#""97%""#,
    ),
    d("cluster.routing.allocation.enable", r#""all""#),
    d("cluster.max_shards_per_node", "2000"),
    d("search.max_buckets", "20000"),
    d("search.default_search_timeout", r#""30s""#),
    d("search.allow_expensive_queries", "true"),
    d("search.max_open_scroll_context", "1000"),
    d("indices.breaker.total.limit", r#""80%""#),
    d("indices.breaker.request.limit", r#""50%""#),
    d("indices.recovery.max_bytes_per_sec", r#""80mb""#),
    d("action.auto_create_index", "false"),
    d("action.destructive_requires_name", "true"),
];

/// How a running node takes `key`. A key the table does not list is static: restarting is always right, only
/// slower, while applying a static setting live would be refused by the node.
pub fn kind(key: &str) -> Kind {
    TABLE
        .iter()
        .find(|k| k.key == key)
        .map_or(Kind::Static, |k| k.kind)
}

/// Why the harness keeps a key to itself (`why` follows "set by the harness: "), and what to write instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owned {
    pub why: &'static str,
    pub help: &'static str,
}

enum Rule {
    Exact(&'static [&'static str]),
    Prefix(&'static [&'static str]),
    /// A certificate, key or store file of the security plugin's TLS, or a password of one.
    TlsFile,
}

impl Rule {
    fn matches(&self, key: &str) -> bool {
        match self {
            Rule::Exact(keys) => keys.contains(&key),
            Rule::Prefix(prefixes) => prefixes.iter().any(|p| key.starts_with(p)),
            Rule::TlsFile => key
                .strip_prefix("plugins.security.ssl.")
                .is_some_and(|rest| {
                    ["pem", "keystore", "truststore", "filepath"]
                        .iter()
                        .any(|w| rest.contains(w))
                }),
        }
    }
}

/// The keys the harness must own: what it renders into `opensearch.yml` for the node to run, be reached, and take
/// each case's security configuration (`render/opensearch.rs`; a test keeps the two in step), and the
/// neighbours of those that would undo them.
const OWNED: &[(Rule, Owned)] = &[
    (
        Rule::Exact(&[
            "cluster.name",
            "node.name",
            "cluster.initial_cluster_manager_nodes",
            "cluster.initial_master_nodes",
        ]),
        Owned {
            why: "it runs one node of its own cluster and reads its log by the cluster's name",
            help: "remove it: the node is `harness-node` of cluster `sso-harness`",
        },
    ),
    (
        Rule::Prefix(&["discovery."]),
        Owned {
            why: "it runs one node on its own (`discovery.type: single-node`)",
            help: "remove it: the node is `harness-node` of cluster `sso-harness`",
        },
    ),
    (
        Rule::Exact(&[
            "http.port",
            "http.host",
            "http.bind_host",
            "http.publish_host",
            "http.publish_port",
            "transport.port",
            "transport.host",
            "transport.bind_host",
            "transport.publish_host",
            "transport.publish_port",
            "transport.tcp.port",
        ]),
        Owned {
            why: "it binds the node to its own address and free ports",
            help: "remove it; where a config needs the node's URL, write `${opensearch.url}`",
        },
    ),
    (
        Rule::Prefix(&["network."]),
        Owned {
            why: "it binds the node to its own address and free ports",
            help: "remove it; where a config needs the node's URL, write `${opensearch.url}`",
        },
    ),
    (
        Rule::Prefix(&["path."]),
        Owned {
            why: "it gives the node folders of its run",
            help: "remove it",
        },
    ),
    (
        Rule::TlsFile,
        Owned {
            why: "it gives the node the run's certificates for HTTP and transport TLS",
            help: "remove it; where a config must trust the run CA, write `${tls.ca_file}`",
        },
    ),
    (
        Rule::Exact(&[
            "plugins.security.ssl.http.enabled",
            "plugins.security.disabled",
            "plugins.security.authcz.admin_dn",
            "plugins.security.nodes_dn",
            "plugins.security.allow_default_init_securityindex",
            "plugins.security.unsupported.restapi.allow_securityconfig_modification",
        ]),
        Owned {
            why: "it reaches the node over HTTPS and swaps each case's security configuration with its admin certificate",
            help: "remove it; give users their roles in `opensearch.security.roles_mapping`",
        },
    ),
    (
        Rule::Prefix(&["logger."]),
        Owned {
            why: "it sets loggers from `opensearch.loggers`, without a restart",
            help: "write it under `opensearch.loggers` (`NAME: LEVEL`)",
        },
    ),
];

/// Whether the harness owns `key`, and why.
pub fn owned(key: &str) -> Option<Owned> {
    OWNED
        .iter()
        .find(|(rule, _)| rule.matches(key))
        .map(|(_, o)| *o)
}

/// One setting of `opensearch.settings`: its dotted key, its JSON Pointer below `opensearch/settings`, its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    pub key: String,
    pub pointer: String,
    pub value: Value,
}

/// The settings as `opensearch.yml` reads them: nested mappings (`http: {max_header_size: 16kb}`) joined into
/// dotted keys, in file order; lists and scalars are values.
pub fn flatten(settings: &Map<String, Value>) -> Vec<Leaf> {
    fn walk(map: &Map<String, Value>, key: &str, pointer: &str, out: &mut Vec<Leaf>) {
        for (k, v) in map {
            let key = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            let pointer = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
            match v {
                Value::Object(inner) => walk(inner, &key, &pointer, out),
                _ => out.push(Leaf {
                    key,
                    pointer,
                    value: v.clone(),
                }),
            }
        }
    }
    let mut out = Vec::new();
    walk(settings, "", "", &mut out);
    out
}

/// A case's settings split by [`kind`]: `(static, dynamic)`, by dotted key.
pub fn split(settings: &Map<String, Value>) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let mut fixed = BTreeMap::new();
    let mut dynamic = BTreeMap::new();
    for leaf in flatten(settings) {
        match kind(&leaf.key) {
            Kind::Static => fixed.insert(leaf.key, leaf.value),
            Kind::Dynamic => dynamic.insert(leaf.key, leaf.value),
        };
    }
    (fixed, dynamic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_mappings_flatten_and_split_by_the_table_with_unknown_keys_static() {
        let settings = json!({
            "http": {"max_header_size": "16kb"},
            "search.max_buckets": 20000,
            "my.plugin.thing": ["a", "b"],
        });
        let leaves = flatten(settings.as_object().unwrap());
        assert_eq!(leaves[0].key, "http.max_header_size");
        assert_eq!(leaves[0].pointer, "/http/max_header_size");
        let (fixed, dynamic) = split(settings.as_object().unwrap());
        assert_eq!(
            fixed.keys().collect::<Vec<_>>(),
            ["http.max_header_size", "my.plugin.thing"]
        );
        assert_eq!(
            dynamic,
            BTreeMap::from([("search.max_buckets".into(), json!(20000))])
        );
    }

    #[test]
    fn the_table_names_each_key_once_never_an_owned_one_and_its_examples_are_json() {
        for (i, k) in TABLE.iter().enumerate() {
            assert!(TABLE[..i].iter().all(|o| o.key != k.key), "{} twice", k.key);
            assert!(owned(k.key).is_none(), "{} is owned", k.key);
            serde_json::from_str::<Value>(k.example).unwrap_or_else(|e| panic!("{}: {e}", k.key));
        }
    }

    #[test]
    fn owned_keys_cover_ports_tls_files_admin_dn_and_loggers() {
        for key in [
            "http.port",
            "network.host",
            "path.data",
            "plugins.security.ssl.http.pemcert_filepath",
            "plugins.security.ssl.transport.keystore_password",
            "plugins.security.ssl.transport.server.pemkey_filepath",
            "plugins.security.authcz.admin_dn",
            "discovery.seed_hosts",
            "logger.org.opensearch.security",
        ] {
            assert!(owned(key).is_some(), "{key}");
        }
        for key in [
            "http.max_header_size",
            "plugins.security.ssl.http.clientauth_mode",
            "plugins.security.ssl.http.enabled_protocols",
            "cluster.routing.allocation.disk.threshold_enabled",
        ] {
            assert!(owned(key).is_none(), "{key}");
        }
    }
}
