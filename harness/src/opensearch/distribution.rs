//! OpenSearch from Maven Central: the integration-test distribution zip plus the security plugin zip, fetched with
//! Maven itself (`mvn dependency:copy --strict-checksums`, so the machine's mirrors and proxies apply and the
//! repository checksums are verified), unpacked and the plugin installed once per version into the cache.
//!
//! Maven Central serves both zips for a few versions only ([`super::NATIVE_VERSIONS`], with when and how that was
//! checked); others need the containers backend.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::jdk::Jdk;
use crate::maven::{self, MavenError};

#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error(
        "OpenSearch {version}: Maven Central has no `{artifact}` (checked with `mvn dependency:copy`). \
         Both zips were served for {known} when last checked; for {version} use the containers backend \
         or `--opensearch-version {default}`.",
        known = super::NATIVE_VERSIONS.join(", "),
        default = super::NATIVE_DEFAULT_VERSION
    )]
    NotPublished { version: String, artifact: String },
    #[error("{0}")]
    Maven(#[from] MavenError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("installing the security plugin failed ({status}):\n{output}")]
    PluginInstall {
        status: std::process::ExitStatus,
        output: String,
    },
}

/// An unpacked OpenSearch with the security plugin installed, ready to run (read-only from then on).
#[derive(Clone, Debug)]
pub struct Distribution {
    pub version: String,
    pub home: PathBuf,
}

impl Distribution {
    /// The security plugin's version for an OpenSearch version: `2.19.4` → `2.19.4.0`.
    pub fn plugin_version(version: &str) -> String {
        format!("{version}.0")
    }

    /// The cached install for `version`, fetching and installing it first if needed. `progress` hears about
    /// each slow step.
    pub async fn ensure(
        version: &str,
        cache: &Path,
        jdk: &Jdk,
        progress: &dyn Fn(&str),
    ) -> Result<Self, DistributionError> {
        let root = cache.join("opensearch").join(version);
        let home = root.join(format!("opensearch-{version}"));
        let ready = root.join("ready");
        if ready.is_file() && home.join("plugins/opensearch-security").is_dir() {
            return Ok(Distribution {
                version: version.to_owned(),
                home,
            });
        }
        let downloads = root.join("downloads");
        std::fs::create_dir_all(&downloads)?;
        let core = format!("org.opensearch.distribution.integ-test-zip:opensearch:{version}:zip");
        let plugin = format!(
            "org.opensearch.plugin:opensearch-security:{}:zip",
            Self::plugin_version(version)
        );
        progress(&format!("fetching {plugin} (Maven)"));
        let plugin_zip = maven::copy(&plugin, &downloads)
            .await
            .map_err(|e| fetch_error(e, version))?;
        progress(&format!("fetching {core} (Maven)"));
        let core_zip = maven::copy(&core, &downloads)
            .await
            .map_err(|e| fetch_error(e, version))?;

        progress(&format!("unpacking OpenSearch {version}"));
        let staging = root.join("staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        maven::unzip(&core_zip, &staging)?;
        let staged_home = staging.join(format!("opensearch-{version}"));
        progress("installing the security plugin");
        let mut install = Command::new(staged_home.join("bin/opensearch-plugin"));
        install
            .args(["install", "--batch"])
            .arg(format!("file:{}", plugin_zip.display()))
            .env("OPENSEARCH_JAVA_HOME", &jdk.home);
        let out = crate::process::output(install).await?;
        if !out.status.success() {
            let output = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return Err(DistributionError::PluginInstall {
                status: out.status,
                output,
            });
        }
        if home.exists() {
            std::fs::remove_dir_all(&home)?;
        }
        std::fs::rename(&staged_home, &home)?;
        std::fs::remove_dir_all(&staging)?;
        maven::mark_ready(&ready, &[&core_zip, &plugin_zip])?;
        Ok(Distribution {
            version: version.to_owned(),
            home,
        })
    }
}

/// A fetch's failure in this distribution's words: which versions Maven Central serves.
fn fetch_error(e: MavenError, version: &str) -> DistributionError {
    match e {
        MavenError::NotServed(artifact) => DistributionError::NotPublished {
            version: version.to_owned(),
            artifact,
        },
        other => DistributionError::Maven(other),
    }
}
