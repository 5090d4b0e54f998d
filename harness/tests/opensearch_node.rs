//! A real OpenSearch node with the real security plugin (from Maven Central, cached): it boots with the rendered
//! configuration, takes case configurations over the REST API with the admin certificate, judges tokens itself,
//! and leaves no process behind.

use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use harness::certs::RunCertificates;
use harness::opensearch::{
    self, Distribution, NATIVE_DEFAULT_VERSION, Node, Trust, apply_security,
};
use harness::render::{Inputs, render};
use harness::scenario::{self, SourceFile};
use harness::secrets::Secrets;
use harness::topology::{Ports, Topology};

fn cases() -> Vec<scenario::Case> {
    let text = "expect: { login: success }\nvariants:\n  - name: groups\n  - name: roles\n    set:\n      /opensearch/security/config/config/dynamic/authc/openid_auth_domain/http_authenticator/config/roles_key: roles\n      /opensearch/security/roles_mapping/all_access/backend_roles: [admins, staff]\n";
    scenario::load(&SourceFile {
        path: "node.yaml".into(),
        text: text.into(),
    })
    .unwrap()
    .cases
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_node_boots_takes_case_configs_and_answers_with_the_security_plugin() {
    let cache = harness::cache::dir();
    let version = NATIVE_DEFAULT_VERSION;
    let jdk = opensearch::select_jdk(version, &cache)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::now();
    let dist = Distribution::ensure(version, &cache, &jdk, &|m| eprintln!("{m}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "distribution ready in {:?} (Java {} at {})",
        t.elapsed(),
        jdk.major,
        jdk.home.display()
    );

    let ports = Ports {
        https: harness::process::free_port().unwrap(),
        idp: harness::process::free_port().unwrap(),
        dashboards: harness::process::free_port().unwrap(),
        opensearch_http: harness::process::free_port().unwrap(),
        opensearch_transport: harness::process::free_port().unwrap(),
        keycloak: harness::process::free_port().unwrap(),
    };
    let topology = Topology::native(ports);
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
    let dir = tempfile::Builder::new()
        .prefix("sso-harness-node-")
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
    let ca = &files[0].0["harness/ca.pem"];
    let admin = opensearch::client(ca, &topology, Some(&certs.admin)).unwrap();
    let anonymous = opensearch::client(ca, &topology, None).unwrap();
    let base = topology.opensearch_url();

    // The admin certificate is the admin DN: authinfo names it.
    let info: serde_json::Value = admin
        .get(format!("{base}/_plugins/_security/authinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["user_name"],
        "CN=harness-admin,OU=harness,O=sso-harness"
    );

    // Case configurations swap in over the REST API and read back (a document the node already has is not sent
    // again).
    let mut applied = Default::default();
    for (case, f) in cases.iter().zip(&files) {
        let t = Instant::now();
        apply_security(&admin, &base, f, &mut applied)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name()));
        eprintln!(
            "{}: security config applied in {:?}",
            case.name(),
            t.elapsed()
        );
    }
    let mapping: serde_json::Value = admin
        .get(format!(
            "{base}/_plugins/_security/api/rolesmapping/all_access"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mapping["all_access"]["backend_roles"],
        serde_json::json!(["admins", "staff"])
    );
    let config: serde_json::Value = admin
        .get(format!("{base}/_plugins/_security/api/securityconfig"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["config"]["dynamic"]["authc"]["openid_auth_domain"]["http_authenticator"]["config"]
            ["roles_key"],
        "roles"
    );

    // A 5-part token (a JWE) is refused by the plugin itself, and it says so in its log.
    let offset = node.log_offset();
    let jwe = "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0.a.b.c.d";
    let r = anonymous
        .get(format!("{base}/_plugins/_security/authinfo"))
        .bearer_auth(jwe)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.text().await.unwrap(), "Authentication finally failed");
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = node.log_since(offset);
        if lines
            .iter()
            .any(|l| l.contains("Authentication finally failed for null"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Authentication finally failed for null")),
        "log since the request:\n{}",
        lines.join("\n")
    );

    let pid = node.pid();
    node.stop();
    let group = nix::unistd::Pid::from_raw(pid as i32);
    assert!(
        nix::sys::signal::killpg(group, None).is_err(),
        "an OpenSearch process survived stop"
    );
}
