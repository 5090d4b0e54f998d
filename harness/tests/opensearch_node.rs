//! A real OpenSearch node with the real security plugin (from Maven Central, cached): it boots with the rendered
//! configuration, takes case configurations over the REST API with the admin certificate, judges tokens itself,
//! and leaves no process behind.

use std::time::Instant;

use harness::opensearch::{self, apply_security};
use harness::scenario::{self, SourceFile};

fn cases() -> Vec<scenario::Case> {
    let text = "expect: { login: success }\nvariants:\n  - name: groups\n  - name: roles\n    set:\n      /opensearch/security/config/config/dynamic/authc/openid_auth_domain/http_authenticator/config/roles_key: roles\n      /opensearch/security/roles_mapping/all_access/backend_roles: [admins, staff]\n";
    scenario::load(&SourceFile {
        path: "node.yaml".into(),
        text: text.into(),
    })
    .unwrap()
    .cases
}

mod support;
use support::get_json;
use support::node::{Booted, boot};

#[tokio::test(flavor = "multi_thread")]
async fn a_real_node_boots_takes_case_configs_and_answers_with_the_security_plugin() {
    let cases = cases();
    let Booted {
        dir: _dir,
        node,
        topology,
        certs,
        files,
    } = boot(&cases, "sso-harness-node-").await;
    let ca = &files[0].0["harness/ca.pem"];
    let admin = opensearch::client(ca, &topology, Some(&certs.admin)).unwrap();
    let anonymous = opensearch::client(ca, &topology, None).unwrap();
    let base = topology.opensearch_url();

    // The admin certificate is the admin DN: authinfo names it.
    let info: serde_json::Value =
        get_json(&admin, format!("{base}/_plugins/_security/authinfo")).await;
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
    let config: serde_json::Value = get_json(
        &admin,
        format!("{base}/_plugins/_security/api/securityconfig"),
    )
    .await;
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
