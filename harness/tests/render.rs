//! Snapshots of every file rendered for every case of the project's scenarios (`scenarios/`), one test per
//! scenario file. Secrets and keys are redacted, so the snapshots are stable across runs.

use std::path::Path;
use std::sync::LazyLock;

use harness::certs::RunCertificates;
use harness::redact::Redactor;
use harness::render::{Inputs, render};
use harness::scenario;
use harness::secrets::Secrets;
use harness::topology::{Ports, Topology};

static CERTS: LazyLock<RunCertificates> =
    LazyLock::new(|| RunCertificates::generate(&Default::default()).expect("certificates"));

fn snapshot(path: &Path) -> datatest_stable::Result<()> {
    let scenario = scenario::load_path(path).map_err(|e| {
        e.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let topology = Topology::native(Ports::default());
    let secrets = Secrets::from_seed([7; 32]);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/render");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for case in &scenario.cases {
            let files = render(&Inputs {
                case,
                topology: &topology,
                certs: &CERTS,
                secrets: &secrets,
            })
            .expect("render");
            let redactor = Redactor::new(secrets.of_case(&case.document));
            let mut text = String::new();
            for (path, contents) in &files.0 {
                text.push_str(&format!(
                    "=== {path} ===\n{}\n",
                    redactor.redact(contents).trim_end()
                ));
            }
            insta::assert_snapshot!(case.key(), text);
        }
    });
    Ok(())
}

datatest_stable::harness! {
    { test = snapshot, root = "../scenarios", pattern = r"\.ya?ml$" },
}
