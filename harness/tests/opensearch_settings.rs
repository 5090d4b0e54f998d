//! `opensearch::settings::TABLE` checked against the real node (one boot): every static key is refused by
//! `PUT _cluster/settings` as not dynamically updateable — a setting the node knows, which only opensearch.yml
//! gives it — and every dynamic key is taken with its example value (then reset). And a case's settings reach the
//! node the way the harness gives them: static ones in opensearch.yml (a 12 KB header passes a node booted with
//! `http.max_header_size: 16kb`), dynamic ones through `_cluster/settings`, reset to `null` by a case without them.

use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use harness::certs::RunCertificates;
use harness::opensearch::settings::{Kind, TABLE};
use harness::opensearch::{self, Distribution, NATIVE_DEFAULT_VERSION, Node, Trust};
use harness::render::{Inputs, render};
use harness::scenario::{self, SourceFile};
use harness::secrets::Secrets;
use harness::topology::{Ports, Topology};
use serde_json::{Value, json};

fn cases() -> Vec<scenario::Case> {
    let text = "opensearch:\n  settings:\n    http.max_header_size: 16kb\n    search.max_buckets: 12345\nexpect: { login: success }\nvariants:\n  - name: both\n  - name: static-only\n    unset: [/opensearch/settings/search.max_buckets]\n";
    scenario::load(&SourceFile {
        path: "settings.yaml".into(),
        text: text.into(),
    })
    .unwrap()
    .cases
}

async fn json_of(r: reqwest::RequestBuilder) -> Value {
    let r = r.send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_of_static_and_dynamic_settings_is_what_the_real_node_says() {
    let cache = harness::cache::dir();
    let version = NATIVE_DEFAULT_VERSION;
    let jdk = opensearch::select_jdk(version, &cache)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dist = Distribution::ensure(version, &cache, &jdk, &|m| eprintln!("{m}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let free = || harness::process::free_port().unwrap();
    let topology = Topology::native(Ports {
        https: free(),
        idp: free(),
        dashboards: free(),
        opensearch_http: free(),
        opensearch_transport: free(),
        keycloak: free(),
    });
    let certs = RunCertificates::generate(&topology.hosts).unwrap();
    let secrets = Secrets::random();
    let cases = cases();
    let files: Vec<_> = cases
        .iter()
        .map(|case| {
            render(&Inputs {
                case,
                topology: &topology,
                certs: &certs,
                secrets: &secrets,
            })
            .unwrap()
        })
        .collect();
    let yml = &files[0].0["opensearch/opensearch.yml"];
    assert!(yml.contains("http.max_header_size: 16kb"), "{yml}");
    assert!(
        !yml.contains("search.max_buckets"),
        "dynamic settings stay out:\n{yml}"
    );
    let dir = tempfile::Builder::new()
        .prefix("sso-harness-settings-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let node = Node::start(
        &dist,
        &jdk,
        &files[0],
        &topology,
        Trust::SystemAndRunCa,
        dir.path(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("OpenSearch {version} security UP in {:?}", node.started_in);
    let admin = opensearch::client(&certs.ca_cert, &topology, Some(&certs.admin)).unwrap();
    let base = topology.opensearch_url();

    // The static setting is the node's: a 12 KB header (over the default 8kb) passes.
    let nodes =
        json_of(admin.get(format!("{base}/_nodes/_local/settings?flat_settings=true"))).await;
    let (_, only) = nodes["nodes"].as_object().unwrap().iter().next().unwrap();
    assert_eq!(only["settings"]["http.max_header_size"], "16kb");
    let r = admin
        .get(format!("{base}/"))
        .header("x-padding", "x".repeat(12 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Every key of the table, one PUT each: what the node answers. A static key is refused in one of two words,
    // both naming it: "persistent setting [KEY], not dynamically updateable", or, for a final setting (one that
    // not even a restart with another opensearch.yml value may change on an existing cluster's metadata),
    // "final persistent setting [KEY], not updateable". A key the node does not know is a third answer (below).
    let t = Instant::now();
    let mut wrong = Vec::new();
    let mut finals = Vec::new();
    for k in TABLE {
        let value: Value = serde_json::from_str(k.example).unwrap();
        let r = admin
            .put(format!("{base}/_cluster/settings"))
            .json(&json!({"persistent": {k.key: value}}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        let reason = serde_json::from_str::<Value>(&body).unwrap_or_default()["error"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match k.kind {
            Kind::Static
                if status == 400
                    && reason
                        == format!(
                            "persistent setting [{}], not dynamically updateable",
                            k.key
                        ) => {}
            Kind::Static
                if status == 400
                    && reason
                        == format!("final persistent setting [{}], not updateable", k.key) =>
            {
                finals.push(k.key)
            }
            Kind::Dynamic if status == 200 => {
                let reset = admin
                    .put(format!("{base}/_cluster/settings"))
                    .json(&json!({"persistent": {k.key: null}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reset.status(), 200, "resetting {}", k.key);
            }
            kind => wrong.push(format!("{} ({kind:?}): {status} {body}", k.key)),
        }
    }
    eprintln!(
        "{} keys ({} static, of which final: {finals:?}; {} dynamic) put in {:?}",
        TABLE.len(),
        TABLE.iter().filter(|k| k.kind == Kind::Static).count(),
        TABLE.iter().filter(|k| k.kind == Kind::Dynamic).count(),
        t.elapsed()
    );
    assert!(
        wrong.is_empty(),
        "the node disagrees:\n{}",
        wrong.join("\n")
    );
    let unknown = admin
        .put(format!("{base}/_cluster/settings"))
        .json(&json!({"persistent": {"no.such.setting": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("persistent setting [no.such.setting], not recognized")
    );

    // The harness's own path: the first case's dynamic setting, then a case without it.
    let persistent = || async {
        json_of(admin.get(format!("{base}/_cluster/settings?flat_settings=true"))).await["persistent"]
            .clone()
    };
    let mut known = opensearch::Dynamic::booted_with(&cases[0]);
    for (case, f) in cases.iter().zip(&files) {
        opensearch::apply_case(&admin, &base, case, f, &mut known)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name()));
        let buckets = persistent().await["search.max_buckets"].clone();
        match case.variant.as_deref() {
            Some("both") => assert_eq!(buckets, "12345"),
            _ => assert_eq!(buckets, Value::Null, "reset by a case without it"),
        }
    }
    assert!(known.settings.is_empty());

    let pid = node.pid();
    node.stop();
    assert!(
        nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), None).is_err(),
        "an OpenSearch process survived stop"
    );
}
