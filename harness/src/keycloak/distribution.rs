//! Keycloak from Maven Central: `org.keycloak:keycloak-quarkus-dist:<version>:zip`, fetched with Maven itself
//! (`mvn dependency:copy --strict-checksums`: the machine's mirrors apply and the repository checksums are
//! verified), unpacked and built once per version into the cache (`kc.sh build`: Quarkus' augmentation for the
//! options fixed at build time — health endpoints on, the H2 file database — so that every run's
//! `start --optimized` skips it). A `ready` marker with the zip's SHA-256 says the install is complete.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::maven::{self, MavenError};
use crate::opensearch::Jdk;

/// The Keycloak the native backend runs unless told otherwise (checked on 2026-12-01: Maven Central serves
/// `keycloak-quarkus-dist` 26.4.0, 26.4.5, 26.4.7, 26.5.0–26.5.6, 26.7.0 and 26.7.3, not 26.7.4).
pub const DEFAULT_VERSION: &str = "26.7.3";

/// The options `kc.sh build` fixes (a `start --optimized` with others would re-augment, or refuse).
pub const BUILD_OPTIONS: &[&str] = &["--health-enabled=true", "--db=dev-file"];

#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error(
        "Keycloak {version}: Maven Central has no `{artifact}` (checked with `mvn dependency:copy`); \
         {DEFAULT_VERSION} is served"
    )]
    NotPublished { version: String, artifact: String },
    #[error("{0}")]
    Maven(#[from] MavenError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("`kc.sh build` failed ({status}):\n{output}")]
    Build {
        status: std::process::ExitStatus,
        output: String,
    },
}

/// An unpacked, built Keycloak (read-only from then on: each run's data goes to a folder of its own).
#[derive(Clone, Debug)]
pub struct Distribution {
    pub version: String,
    pub home: PathBuf,
}

impl Distribution {
    /// The cached install of `version`, fetched, unpacked and built first if needed.
    pub async fn ensure(
        version: &str,
        cache: &Path,
        jdk: &Jdk,
        progress: &dyn Fn(&str),
    ) -> Result<Self, DistributionError> {
        let root = cache.join("keycloak").join(version);
        let home = root.join(format!("keycloak-{version}"));
        let ready = root.join("ready");
        if ready.is_file() && home.join("bin/kc.sh").is_file() {
            return Ok(Distribution {
                version: version.to_owned(),
                home,
            });
        }
        let downloads = root.join("downloads");
        std::fs::create_dir_all(&downloads)?;
        let artifact = format!("org.keycloak:keycloak-quarkus-dist:{version}:zip");
        progress(&format!("fetching {artifact} (Maven)"));
        let zip = maven::copy(&artifact, &downloads)
            .await
            .map_err(|e| fetch_error(e, version))?;

        progress(&format!("unpacking Keycloak {version}"));
        let staging = root.join("staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        maven::unzip(&zip, &staging)?;
        let staged_home = staging.join(format!("keycloak-{version}"));
        progress(&format!(
            "building Keycloak {version} (kc.sh build, once per version)"
        ));
        let mut build = Command::new(staged_home.join("bin/kc.sh"));
        build
            .arg("build")
            .args(BUILD_OPTIONS)
            .env("JAVA_HOME", &jdk.home);
        let out = crate::process::output(build).await?;
        if !out.status.success() {
            return Err(DistributionError::Build {
                status: out.status,
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }
        if home.exists() {
            std::fs::remove_dir_all(&home)?;
        }
        std::fs::rename(&staged_home, &home)?;
        std::fs::remove_dir_all(&staging)?;
        maven::mark_ready(&ready, &[&zip])?;
        Ok(Distribution {
            version: version.to_owned(),
            home,
        })
    }
}

/// A fetch's failure in this distribution's words: which version Maven Central serves.
fn fetch_error(e: MavenError, version: &str) -> DistributionError {
    match e {
        MavenError::NotServed(artifact) => DistributionError::NotPublished {
            version: version.to_owned(),
            artifact,
        },
        other => DistributionError::Maven(other),
    }
}
