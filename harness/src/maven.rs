//! Artifacts from Maven Central, fetched with Maven itself (`mvn dependency:copy --strict-checksums`: the
//! machine's mirrors and proxies apply, and the repository's checksums are verified), and what a cached install
//! does with them: unzip, and a `ready` marker with their SHA-256 that says the install is complete. OpenSearch's
//! and Keycloak's distributions (`opensearch::distribution`, `keycloak::distribution`) both come this way.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum MavenError {
    #[error(
        "`mvn` is needed to fetch from Maven Central: install Maven (Debian: apt-get install maven)"
    )]
    NoMaven,
    /// What the caller names with its own words (which versions are served).
    #[error("Maven Central has no `{0}` (checked with `mvn dependency:copy`)")]
    NotServed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("unpacking {path}: {source}")]
    Unzip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
}

/// `mvn dependency:copy` of `artifact` (`group:artifact:version:type`) into `dir`, unless it is there already;
/// returns the file.
pub async fn copy(artifact: &str, dir: &Path) -> Result<PathBuf, MavenError> {
    let parts: Vec<&str> = artifact.split(':').collect();
    let file = dir.join(format!("{}-{}.{}", parts[1], parts[2], parts[3]));
    if file.is_file() {
        return Ok(file);
    }
    let mvn = which::which("mvn").map_err(|_| MavenError::NoMaven)?;
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
        return Err(MavenError::NotServed(artifact.to_owned()));
    }
    Ok(file)
}

pub fn unzip(zip_path: &Path, into: &Path) -> Result<(), MavenError> {
    let err = |source| MavenError::Unzip {
        path: zip_path.to_owned(),
        source,
    };
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip_path)?).map_err(err)?;
    archive.extract(into).map_err(err)
}

/// Writes the `ready` marker of an install: a `sha256sum` line for each of `files`.
pub fn mark_ready(ready: &Path, files: &[&Path]) -> std::io::Result<()> {
    let sums = files
        .iter()
        .map(|p| {
            Ok(format!(
                "{}  {}\n",
                sha256(p)?,
                p.file_name().unwrap_or_default().to_string_lossy()
            ))
        })
        .collect::<std::io::Result<String>>()?;
    std::fs::write(ready, sums)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_marker_is_sha256sum_s_format() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.zip");
        std::fs::write(&file, "abc").unwrap();
        let ready = dir.path().join("ready");
        mark_ready(&ready, &[&file]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&ready).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.zip\n"
        );
    }

    #[tokio::test]
    async fn an_artifact_already_fetched_is_not_fetched_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keycloak-quarkus-dist-26.7.3.zip");
        std::fs::write(&file, "cached").unwrap();
        let got = copy("org.keycloak:keycloak-quarkus-dist:26.7.3:zip", dir.path())
            .await
            .unwrap();
        assert_eq!(got, file);
    }
}
