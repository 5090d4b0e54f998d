//! The authentik blueprint of a case: key pairs, groups, users, the OAuth2 provider and its application.
//!
//! Written as text because blueprints need YAML tags (`!Find`, `!KeyOf`) that a serde serialiser cannot emit.
//! Every scalar is written as a JSON string (valid YAML), PEM text as a block literal. Facts: authentik
//! `version/2025.12.4`, `blueprints/testing/oidc-conformance.yaml`, `blueprints/system/bootstrap.yaml`,
//! `authentik/providers/oauth2/models.py` (see `ARCHITECTURE.md`, "authentik blueprint").

use std::collections::BTreeSet;
use std::fmt::Write;

use super::{Inputs, RenderError, RunFiles, placeholder_values};
use crate::certs::Pem;
use crate::scenario::{SigningKey, wire_name};

/// Blueprints the entries below rely on (flows and scope mappings that authentik ships).
const DEPENDS_ON: &[&str] = &[
    "default/flow-default-authentication-flow.yaml",
    "default/flow-default-provider-authorization-implicit-consent.yaml",
    "default/flow-default-provider-invalidation.yaml",
    "system/providers-oauth2.yaml",
];

pub fn render(i: &Inputs, files: &mut RunFiles) -> Result<(), RenderError> {
    let doc = &i.case.document;
    let p = &doc.idp.provider;
    let values = placeholder_values(doc, i.topology, i.certs, i.secrets)
        .with("tls.ca_file", &i.topology.idp_paths.ca_file);
    let mut b = String::new();
    let _ = writeln!(b, "# Rendered by sso-harness for case {}.", i.case.name());
    let _ = writeln!(
        b,
        "version: 1\nmetadata:\n  name: {}\nentries:",
        q(&format!("sso-harness {}", i.case.name()))
    );
    for path in DEPENDS_ON {
        let _ = writeln!(
            b,
            "  - model: authentik_blueprints.metaapplyblueprint\n    attrs:\n      identifiers:\n        path: {}\n      required: true",
            q(path)
        );
    }

    let signing = match p.signing_key {
        SigningKey::Rsa => Some(&i.certs.idp_signing_rsa),
        SigningKey::Ec => Some(&i.certs.idp_signing_ec),
        // No key pair: authentik signs HS256 with the client secret.
        SigningKey::None => None,
    };
    if let Some(pem) = signing {
        key_pair(&mut b, "signing-key", "sso-harness signing key", pem);
    }
    if p.encryption_key {
        key_pair(
            &mut b,
            "encryption-key",
            "sso-harness encryption key",
            &i.certs.idp_encryption,
        );
    }

    let groups: BTreeSet<&str> = doc
        .idp
        .users
        .iter()
        .flat_map(|u| u.groups.iter().map(String::as_str))
        .collect();
    for g in &groups {
        let _ = writeln!(
            b,
            "  - model: authentik_core.group\n    id: {}\n    identifiers:\n      name: {}\n    attrs:\n      is_superuser: false",
            q(&format!("group-{g}")),
            q(g)
        );
    }
    for u in &doc.idp.users {
        let password = i
            .secrets
            .idp_password(doc, &u.username)
            .expect("the user is in idp.users");
        let _ = writeln!(
            b,
            "  - model: authentik_core.user\n    id: {}\n    identifiers:\n      username: {}\n    attrs:\n      name: {}\n      email: {}\n      password: {}",
            q(&format!("user-{}", u.username)),
            q(&u.username),
            q(u.display_name()),
            q(&u.email()),
            q(&password)
        );
        let refs: Vec<String> = u
            .groups
            .iter()
            .map(|g| format!("!KeyOf {}", q(&format!("group-{g}"))))
            .collect();
        let _ = writeln!(b, "      groups: [{}]", refs.join(", "));
    }

    let _ = writeln!(
        b,
        "  - model: authentik_providers_oauth2.oauth2provider\n    id: provider\n    identifiers:\n      name: {}\n    attrs:",
        q(&format!("sso-harness {}", p.slug))
    );
    let attrs = [
        (
            "authorization_flow",
            find(
                "authentik_flows.flow",
                "slug",
                "default-provider-authorization-implicit-consent",
            ),
        ),
        (
            "invalidation_flow",
            find(
                "authentik_flows.flow",
                "slug",
                "default-provider-invalidation-flow",
            ),
        ),
        ("client_type", q("confidential")),
        ("client_id", q(&p.client_id)),
        ("client_secret", q(&i.secrets.client_secret(p))),
        (
            "signing_key",
            signing.map_or("null".into(), |_| "!KeyOf signing-key".into()),
        ),
        (
            "encryption_key",
            if p.encryption_key {
                "!KeyOf encryption-key".into()
            } else {
                "null".into()
            },
        ),
        ("sub_mode", q(&wire_name(&p.sub_mode))),
        ("issuer_mode", q(&wire_name(&p.issuer_mode))),
        (
            "include_claims_in_id_token",
            p.include_claims_in_id_token.to_string(),
        ),
    ];
    for (k, v) in attrs {
        let _ = writeln!(b, "      {k}: {v}");
    }
    let _ = writeln!(b, "      redirect_uris:");
    for r in &p.redirect_uris {
        let mode = wire_name(&r.matching_mode);
        let _ = writeln!(
            b,
            "        - matching_mode: {}\n          url: {}",
            q(&mode),
            q(&values.substitute(&r.url))
        );
    }
    let _ = writeln!(b, "      property_mappings:");
    for m in &p.property_mappings {
        let managed = format!("goauthentik.io/providers/oauth2/scope-{}", wire_name(m));
        let _ = writeln!(
            b,
            "        - {}",
            find(
                "authentik_providers_oauth2.scopemapping",
                "managed",
                &managed
            )
        );
    }
    let _ = writeln!(
        b,
        "  - model: authentik_core.application\n    id: application\n    identifiers:\n      slug: {}\n    attrs:\n      name: {}\n      provider: !KeyOf provider",
        q(&p.slug),
        q("OpenSearch Dashboards")
    );

    // Entitlements (the `roles` claim of the entitlements mapping): one per name, bound to the users that have it.
    let entitlements: BTreeSet<&str> = doc
        .idp
        .users
        .iter()
        .flat_map(|u| u.entitlements.iter().map(String::as_str))
        .collect();
    for e in &entitlements {
        let id = q(&format!("entitlement-{e}"));
        let _ = writeln!(
            b,
            "  - model: authentik_core.applicationentitlement\n    id: {id}\n    identifiers:\n      app: !KeyOf application\n      name: {}",
            q(e)
        );
        let holders = doc
            .idp
            .users
            .iter()
            .filter(|u| u.entitlements.iter().any(|x| x == e));
        for (order, u) in holders.enumerate() {
            let _ = writeln!(
                b,
                "  - model: authentik_policies.policybinding\n    identifiers:\n      target: !KeyOf {id}\n      user: !KeyOf {}\n      order: {order}",
                q(&format!("user-{}", u.username))
            );
        }
    }
    files.add(super::paths::BLUEPRINT, b);
    Ok(())
}

fn key_pair(b: &mut String, id: &str, name: &str, pem: &Pem) {
    let _ = writeln!(
        b,
        "  - model: authentik_crypto.certificatekeypair\n    id: {id}\n    identifiers:\n      name: {}\n    attrs:",
        q(name)
    );
    // Block literals keep the PEM text's lines as they are. authentik stores `key_data` trimmed (no final newline:
    // measured on 2025.12.4), and the kid is the MD5 of that stored text (`idp::kid`).
    let _ = writeln!(b, "      certificate_data: |\n{}", indent(&pem.cert, 8));
    let _ = writeln!(b, "      key_data: |\n{}", indent(&pem.key, 8));
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn find(model: &str, field: &str, value: &str) -> String {
    format!("!Find [{model}, [{field}, {}]]", q(value))
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}
