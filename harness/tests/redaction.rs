//! Case folders get attached to public bug reports: no secret a scenario writes as a literal may reach one. Every
//! case of `scenarios/` and of `tests/redaction/` (literals in every place a scenario can hold one) is rendered and
//! redacted as `run::run_case` writes its folder; no literal secret of the case's document, found by the redactor's
//! own key rule, may be left in a file, nor in a log line that quotes it.

use std::path::Path;

use harness::certs::RunCertificates;
use harness::redact::{Redactor, is_secret_key};
use harness::render::{Inputs, render};
use harness::run::redacted_files;
use harness::scenario::{self, Case};
use harness::secrets::{GENERATED, Secrets};
use harness::topology::{Ports, Topology};
use serde_json::Value;

fn cases_in(dir: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let (scenarios, errors) = scenario::load_all(&scenario::files_in(&dir).unwrap());
    assert!(errors.is_empty(), "{errors:?}");
    scenarios.into_iter().flat_map(|s| s.cases).collect()
}

/// Every literal under a secret key of `doc`: strings and numbers of 4 characters or more, neither `generated`
/// nor a placeholder.
fn literal_secrets(doc: &Value, out: &mut Vec<String>) {
    match doc {
        Value::Object(map) => {
            for (key, value) in map {
                let literal = match value {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                match literal {
                    Some(s) if is_secret_key(key) => {
                        if s.chars().count() >= 4 && s != GENERATED && !s.starts_with("${") {
                            out.push(s);
                        }
                    }
                    _ => literal_secrets(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| literal_secrets(v, out)),
        _ => {}
    }
}

/// The literals no redacted file of each case may hold, after checking that none is left.
fn assert_no_literal_reaches_a_case_folder(cases: &[Case]) -> Vec<Vec<String>> {
    let topology = Topology::native(Ports::default());
    let certs = RunCertificates::generate(&topology.hosts).unwrap();
    let secrets = Secrets::from_seed([3; 32]);
    let mut found = Vec::new();
    for case in cases {
        let files = render(&Inputs {
            case,
            topology: &topology,
            certs: &certs,
            secrets: &secrets,
        })
        .unwrap();
        let redactor = Redactor::new(secrets.of_case(&case.document));
        let mut literals = Vec::new();
        literal_secrets(
            &serde_json::to_value(&case.document).unwrap(),
            &mut literals,
        );
        // Each pass alone is enough for rendered files: by value (the redactor of the case), and by key (one that
        // knows no value, as `summary` has for a crashed cell's log).
        for redactor in [&redactor, &Redactor::default()] {
            for (path, text) in redacted_files(&files, redactor) {
                for literal in &literals {
                    assert!(
                        !text.contains(literal.as_str()),
                        "{}: {path} holds the literal {literal:?}:\n{text}",
                        case.name()
                    );
                }
            }
        }
        for literal in &literals {
            let line = format!("[INFO] a component logs the value {literal} as it is");
            assert!(
                !redactor.redact(&line).contains(literal.as_str()),
                "{}: a log line keeps {literal:?}",
                case.name()
            );
        }
        found.push(literals);
    }
    found
}

#[test]
fn no_literal_secret_of_a_project_scenario_reaches_a_case_folder() {
    assert_no_literal_reaches_a_case_folder(&cases_in("../scenarios"));
}

#[test]
fn no_literal_secret_in_any_place_reaches_a_case_folder() {
    let cases = cases_in("tests/redaction");
    let found = assert_no_literal_reaches_a_case_folder(&cases);
    // The key rule must find every literal the fixture holds, or the check above proves nothing.
    let every_place = [
        "lit-provider-client-secret",
        "lit alice # pw",
        "12345678",
        "lit-ldap-bind-password",
        "lit-admin-pass:word",
        "$2y$12$litCarolHashNotRealAtAllButShapedLikeOneXYZabcdefghij",
        "{pbkdf2}lit-dave-hash-value",
        "lit-dashboards-'opensearch'-password",
        "lit-step-password",
        "lit-reindex-keystore-password",
    ];
    let by_variant = [
        (
            "flat",
            [
                "lit-cookie-password-at-least-32-characters",
                "lit-dashboards-client-secret",
            ],
        ),
        (
            "nested",
            [
                "lit-nested-cookie-password-of-32-chars",
                "lit-nested-client-secret",
            ],
        ),
    ];
    assert_eq!(cases.len(), by_variant.len());
    for ((case, literals), (variant, own)) in cases.iter().zip(&found).zip(by_variant) {
        assert_eq!(case.variant.as_deref(), Some(variant));
        let mut expected: Vec<&str> = every_place.iter().chain(&own).copied().collect();
        let mut literals: Vec<&str> = literals.iter().map(String::as_str).collect();
        expected.sort();
        literals.sort();
        assert_eq!(literals, expected, "{variant}");
    }
}
