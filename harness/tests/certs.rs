//! The run's certificates, read back with an independent parser (x509-parser).

use harness::certs::RunCertificates;
use harness::render::{Inputs, render};
use harness::scenario::{self, SourceFile};
use harness::secrets::Secrets;
use harness::topology::{Hostnames, Ports, Topology};
use saphyr::LoadableYamlNode;
use x509_parser::prelude::*;

fn der(pem_text: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).expect("PEM");
    pem.contents
}

/// RFC 2253: the subject's RDNs from last to first, `TYPE=value` joined by commas.
fn rfc2253(name: &X509Name) -> String {
    let mut rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|a| {
                    let oid = a.attr_type();
                    let short = match oid.to_id_string().as_str() {
                        "2.5.4.3" => "CN",
                        "2.5.4.11" => "OU",
                        "2.5.4.10" => "O",
                        other => panic!("unexpected attribute {other}"),
                    };
                    format!("{short}={}", a.as_str().unwrap())
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.reverse();
    rdns.join(",")
}

#[test]
fn the_admin_certificate_subject_is_exactly_the_rendered_admin_dn() {
    let certs = RunCertificates::generate(&Hostnames::default()).unwrap();
    let file = SourceFile {
        path: "t.yaml".into(),
        text: "expect: { login: success }\n".into(),
    };
    let scenario = scenario::load(&file).unwrap();
    let topology = Topology::native(Ports::default());
    let secrets = Secrets::random();
    let files = render(&Inputs {
        case: &scenario.cases[0],
        topology: &topology,
        certs: &certs,
        secrets: &secrets,
    })
    .unwrap();
    let yml = &files.0["opensearch/opensearch.yml"];
    let docs = saphyr::Yaml::load_from_str(yml).unwrap();
    let admin_dn = docs[0]["plugins.security.authcz.admin_dn"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let nodes_dn = docs[0]["plugins.security.nodes_dn"][0]
        .as_str()
        .unwrap()
        .to_owned();

    let admin = der(&certs.admin.cert);
    let (_, admin) = X509Certificate::from_der(&admin).unwrap();
    assert_eq!(rfc2253(admin.subject()), admin_dn);
    let node = der(&certs.node.cert);
    let (_, node) = X509Certificate::from_der(&node).unwrap();
    assert_eq!(rfc2253(node.subject()), nodes_dn);
}

#[test]
fn every_certificate_chains_to_the_run_ca_and_every_key_is_pkcs8() {
    let hosts = Hostnames::default();
    let certs = RunCertificates::generate(&hosts).unwrap();
    let ca = der(&certs.ca_cert);
    let (_, ca) = X509Certificate::from_der(&ca).unwrap();
    assert!(ca.is_ca());
    for (what, pem) in [
        ("node", &certs.node),
        ("admin", &certs.admin),
        ("idp site", &certs.idp_site),
        ("dashboards site", &certs.dashboards_site),
        ("idp signing rsa", &certs.idp_signing_rsa),
        ("idp signing ec", &certs.idp_signing_ec),
        ("idp encryption", &certs.idp_encryption),
    ] {
        let d = der(&pem.cert);
        let (_, cert) = X509Certificate::from_der(&d).unwrap();
        cert.verify_signature(Some(ca.public_key()))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(cert.validity().is_valid(), "{what} is not valid now");
        assert!(
            pem.key.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{what}: key is not PKCS#8 PEM"
        );
        assert!(!pem.key.contains("RSA PRIVATE KEY") && !pem.key.contains("EC PRIVATE KEY"));
    }
}

#[test]
fn server_certificates_name_every_host_they_are_reached_by() {
    let hosts = Hostnames::default();
    let certs = RunCertificates::generate(&hosts).unwrap();
    let sans = |pem: &str| -> Vec<String> {
        let d = der(pem);
        let (_, cert) = X509Certificate::from_der(&d).unwrap();
        let ext = cert
            .subject_alternative_name()
            .unwrap()
            .expect("SAN extension");
        ext.value
            .general_names
            .iter()
            .map(|n| match n {
                GeneralName::DNSName(d) => d.to_string(),
                GeneralName::IPAddress(ip) => format!("{ip:?}"),
                other => format!("{other:?}"),
            })
            .collect()
    };
    let node = sans(&certs.node.cert);
    assert!(node.contains(&hosts.opensearch), "{node:?}");
    assert!(node.contains(&"localhost".to_owned()));
    assert!(
        node.contains(&format!("{:?}", [127u8, 0, 0, 1].as_slice())),
        "no IP SAN for 127.0.0.1: {node:?}"
    );
    assert_eq!(sans(&certs.idp_site.cert), vec![hosts.idp]);
    assert_eq!(sans(&certs.dashboards_site.cert), vec![hosts.dashboards]);
}
