//! Keycloak from Maven Central: `org.keycloak:keycloak-quarkus-dist:<version>:zip`, fetched with Maven itself
//! (`mvn dependency:copy --strict-checksums`: the machine's mirrors apply and the repository checksums are
//! verified), unpacked and built once per version into the cache (`kc.sh build`: Quarkus' augmentation for the
//! options fixed at build time — health endpoints on, the H2 file database — so that every run's
//! `start --optimized` skips it). A `ready` marker with the zip's SHA-256 says the install is complete.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

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
    #[error(
        "`mvn` is needed to fetch Keycloak from Maven Central: install Maven (Debian: apt-get install maven)"
    )]
    NoMaven,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("unpacking {path}: {source}")]
    Unzip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
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
        let zip = mvn_copy(&artifact, &downloads, version).await?;

        progress(&format!("unpacking Keycloak {version}"));
        let staging = root.join("staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        unzip(&zip, &staging)?;
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
        let name = zip.file_name().unwrap_or_default().to_string_lossy();
        std::fs::write(&ready, format!("{}  {name}\n", sha256(&zip)?))?;
        Ok(Distribution {
            version: version.to_owned(),
            home,
        })
    }
}

/// `mvn dependency:copy` of one artifact into `dir`; returns the file.
async fn mvn_copy(artifact: &str, dir: &Path, version: &str) -> Result<PathBuf, DistributionError> {
    let mvn = which::which("mvn").map_err(|_| DistributionError::NoMaven)?;
    let parts: Vec<&str> = artifact.split(':').collect();
    let file = dir.join(format!("{}-{}.{}", parts[1], parts[2], parts[3]));
    if file.is_file() {
        return Ok(file);
    }
    let mut cmd = Command::new(mvn);
    cmd.args([
        "--batch-mode",
        "--quiet",
        "--strict-checksums",
        "dependency:copy",
    ])
    .arg(format!("-Dartifact={artifact}"))
    .arg(format!("-DoutputDirectory={}", dir.display()));
    let out = crate::process::output(cmd).await?;
    if !out.status.success() || !file.is_file() {
        return Err(DistributionError::NotPublished {
            version: version.to_owned(),
            artifact: artifact.to_owned(),
        });
    }
    Ok(file)
}

fn unzip(zip_path: &Path, into: &Path) -> Result<(), DistributionError> {
    let err = |source| DistributionError::Unzip {
        path: zip_path.to_owned(),
        source,
    };
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip_path)?).map_err(err)?;
    archive.extract(into).map_err(err)
}

fn sha256(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
