//! Building the offline images (`cargo xtask images`): no registry is needed, so nothing is pulled. A Debian root
//! filesystem from `debootstrap` (Debian's package mirror, as apt uses) becomes the base image; each image's
//! Dockerfile (`compose/images/<name>/`) adds to it what the machine's registries give: OpenSearch and its security
//! plugin from Maven Central with a Java runtime, Keycloak's distribution from Maven Central (built as the native
//! backend builds it) with a Java runtime, Caddy, Chromium and chromedriver from Debian, and the harness's own
//! binary for the stand-ins.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::images::{Image, Images};
use crate::keycloak;
use crate::opensearch::{self, Distribution};

/// The base every local image starts from.
pub const BASE: &str = "sso-harness/debian:bookworm";
const SUITE: &str = "bookworm";
/// Packages the images need beyond `minbase`: TLS roots, the OpenSSL the harness links, useradd.
const BASE_PACKAGES: &str = "ca-certificates,libssl3,passwd";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("`{command}` failed:\n{tail}")]
    Command { command: String, tail: String },
    #[error("{0}")]
    Jdk(#[from] opensearch::JdkError),
    #[error("{0}")]
    Distribution(#[from] opensearch::DistributionError),
    #[error("{0}")]
    Keycloak(#[from] keycloak::DistributionError),
    #[error("{0} not found: install Debian's `{1}` (cargo xtask images says how)")]
    Missing(&'static str, &'static str),
}

/// One local image: its Dockerfile and how its build folder is filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    Opensearch,
    Caddy,
    Browser,
    StandIns,
    /// A stand-in for the official `quay.io/keycloak/keycloak` image: the real Keycloak, from the native backend's
    /// cached build.
    Keycloak,
}

impl Local {
    pub const ALL: [Local; 5] = [
        Local::Opensearch,
        Local::Caddy,
        Local::Browser,
        Local::StandIns,
        Local::Keycloak,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Local::Opensearch => "opensearch",
            Local::Caddy => "caddy",
            Local::Browser => "browser",
            Local::StandIns => "stand-ins",
            Local::Keycloak => "keycloak",
        }
    }

    fn dockerfile(self) -> &'static str {
        match self {
            Local::Opensearch => include_str!("../../../compose/images/opensearch/Dockerfile"),
            Local::Caddy => include_str!("../../../compose/images/caddy/Dockerfile"),
            Local::Browser => include_str!("../../../compose/images/browser/Dockerfile"),
            Local::StandIns => include_str!("../../../compose/images/stand-ins/Dockerfile"),
            Local::Keycloak => include_str!("../../../compose/images/keycloak/Dockerfile"),
        }
    }

    fn image(self, images: &Images) -> Image {
        match self {
            Local::Opensearch => images.opensearch.clone(),
            Local::Caddy => images.caddy.clone(),
            Local::Browser => images.browser.clone(),
            Local::StandIns => match &images.idp {
                super::images::IdpImages::Embedded(i) => i.clone(),
                _ => Image::new("sso-harness/stand-ins", "latest"),
            },
            Local::Keycloak => images.keycloak.clone(),
        }
    }
}

/// What was built.
pub struct Built {
    pub image: Image,
    pub took: Duration,
    pub reused: bool,
}

/// Builds `which` (and the base image first if missing). `harness_binary` goes into the stand-ins image;
/// `rebuild` builds those of `which` that already exist again (the base is kept: delete it to rebuild it).
pub async fn build(
    which: &[Local],
    opensearch_version: &str,
    harness_binary: &Path,
    rebuild: bool,
    progress: &dyn Fn(&str),
) -> Result<Vec<Built>, BuildError> {
    which::which("docker").map_err(|_| BuildError::Missing("docker", "docker.io"))?;
    let cache = crate::cache::dir().join("images");
    std::fs::create_dir_all(&cache)?;
    let images = Images::local(opensearch_version);
    let mut built = Vec::new();
    if !exists(BASE).await {
        let t = Instant::now();
        base(&cache, progress).await?;
        built.push(Built {
            image: Image::parse(BASE),
            took: t.elapsed(),
            reused: false,
        });
    }
    for &local in which {
        let image = local.image(&images);
        if !rebuild && exists(&image.to_string()).await {
            built.push(Built {
                image,
                took: Duration::ZERO,
                reused: true,
            });
            continue;
        }
        let t = Instant::now();
        let context = tempfile::Builder::new()
            .prefix("sso-harness-image-")
            .tempdir()?;
        progress(&format!("{image}: preparing its build folder"));
        fill(
            local,
            context.path(),
            opensearch_version,
            harness_binary,
            progress,
        )
        .await?;
        std::fs::write(context.path().join("Dockerfile"), local.dockerfile())?;
        progress(&format!(
            "{image}: docker build (packages come from Debian's mirror through the host network)"
        ));
        let previous = image_id(&image.to_string()).await;
        let mut cmd = Command::new("docker");
        // --network host: the build's apt-get reaches the same mirror as the host's apt, nothing else.
        cmd.args(["build", "--network", "host", "--label"])
            .arg(format!(
                "{}={}",
                super::docker::COMPONENT_LABEL,
                local.name()
            ))
            .args(["-t", &image.to_string()])
            .arg(context.path());
        run(cmd).await?;
        // The image the tag named before is left untagged: remove it rather than let rebuilds fill the disk.
        if let Some(old) = previous
            && image_id(&image.to_string()).await.as_ref() != Some(&old)
        {
            let mut rmi = Command::new("docker");
            rmi.args(["image", "rm", &old]);
            let _ = crate::process::output(rmi).await;
        }
        built.push(Built {
            image,
            took: t.elapsed(),
            reused: false,
        });
    }
    Ok(built)
}

async fn image_id(reference: &str) -> Option<String> {
    let mut cmd = Command::new("docker");
    cmd.args(["image", "inspect", "--format", "{{.Id}}", reference]);
    let out = crate::process::output(cmd).await.ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

async fn exists(reference: &str) -> bool {
    let mut cmd = Command::new("docker");
    cmd.args(["image", "inspect", reference]);
    crate::process::output(cmd)
        .await
        .is_ok_and(|o| o.status.success())
}

/// `debootstrap` into the cache (once), then `docker import` of its tarball.
async fn base(cache: &Path, progress: &dyn Fn(&str)) -> Result<(), BuildError> {
    let tarball = cache.join(format!("debian-{SUITE}.tar"));
    if !tarball.is_file() {
        which::which("debootstrap")
            .map_err(|_| BuildError::Missing("debootstrap", "debootstrap"))?;
        let rootfs = cache.join(format!("debian-{SUITE}.staging"));
        let _ = std::fs::remove_dir_all(&rootfs);
        let mirror = std::env::var("SSO_HARNESS_DEBIAN_MIRROR")
            .unwrap_or_else(|_| "http://deb.debian.org/debian".into());
        progress(&format!("debootstrap {SUITE} from {mirror} (about 30 s)"));
        let mut cmd = Command::new("debootstrap");
        cmd.args([
            "--variant=minbase",
            &format!("--include={BASE_PACKAGES}"),
            SUITE,
        ])
        .arg(&rootfs)
        .arg(&mirror);
        run(cmd).await?;
        let partial = tarball.with_extension("tar.partial");
        let mut tar = Command::new("tar");
        tar.arg("-C")
            .arg(&rootfs)
            .args(["-cf"])
            .arg(&partial)
            .arg(".");
        run(tar).await?;
        std::fs::rename(&partial, &tarball)?;
        std::fs::remove_dir_all(&rootfs)?;
    }
    progress(&format!("docker import {BASE}"));
    let mut cmd = Command::new("docker");
    cmd.args([
        "import",
        "--change",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ])
    .arg(&tarball)
    .arg(BASE);
    run(cmd).await
}

/// Puts what the Dockerfile copies into the build folder.
async fn fill(
    local: Local,
    dir: &Path,
    opensearch_version: &str,
    harness_binary: &Path,
    progress: &dyn Fn(&str),
) -> Result<(), BuildError> {
    match local {
        Local::Opensearch => {
            let cache = crate::cache::dir();
            let jdk = opensearch::select_jdk(opensearch_version, &cache).await?;
            let dist = Distribution::ensure(opensearch_version, &cache, &jdk, progress).await?;
            copy_tree(&dist.home, &dir.join("opensearch")).await?;
            let _ = std::fs::remove_dir_all(dir.join("opensearch/logs"));
            std::fs::create_dir_all(dir.join("opensearch/logs"))?;
            let jvm = dir.join("opensearch/config/jvm.options");
            let stock = std::fs::read_to_string(&jvm)?;
            std::fs::write(&jvm, opensearch::without_missing_modules(&stock, &jdk))?;
            copy_tree(&jdk.home, &dir.join("jdk")).await?;
            let entry = dir.join("opensearch-docker-entrypoint.sh");
            std::fs::write(
                &entry,
                include_str!("../../../compose/images/opensearch/opensearch-docker-entrypoint.sh"),
            )?;
            set_mode(&entry, 0o755)?;
        }
        Local::StandIns => {
            let to = dir.join("sso-harness");
            std::fs::copy(harness_binary, &to)?;
            set_mode(&to, 0o755)?;
            // A debug build carries ~300 MB of debug info the container never needs.
            if which::which("strip").is_ok() {
                let mut strip = Command::new("strip");
                strip.arg("--strip-debug").arg(&to);
                run(strip).await?;
            }
        }
        Local::Keycloak => {
            // The distribution and Java runtime the native backend runs Keycloak with (with the default OpenSearch):
            // already `kc.sh build`-ed with `keycloak::distribution::BUILD_OPTIONS`, so the image's `start` with
            // those options does not build again.
            let cache = crate::cache::dir();
            let jdk = opensearch::jdk_for_keytool(&cache).await?;
            let dist =
                keycloak::Distribution::ensure(keycloak::DEFAULT_VERSION, &cache, &jdk, progress)
                    .await?;
            let home = dir.join("keycloak");
            copy_tree(&dist.home, &home).await?;
            // As the official image has it: a data folder with the import folder, and the whole install writable
            // by group 0 (here, not in a layer of the image: a `RUN chmod -R` would copy the install once more).
            std::fs::create_dir_all(home.join("data/import"))?;
            let mut chmod = Command::new("chmod");
            chmod.args(["-R", "g+rwX"]).arg(&home);
            run(chmod).await?;
            copy_tree(&jdk.home, &dir.join("jdk")).await?;
        }
        Local::Caddy | Local::Browser => {}
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

async fn copy_tree(from: &Path, to: &PathBuf) -> Result<(), BuildError> {
    let mut cmd = Command::new("cp");
    cmd.arg("-a").arg(from).arg(to);
    run(cmd).await
}

async fn run(cmd: Command) -> Result<(), BuildError> {
    let command = format!("{cmd:?}");
    let out = crate::process::output(cmd).await?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    Err(BuildError::Command {
        command,
        tail: lines[lines.len().saturating_sub(25)..].join("\n"),
    })
}
