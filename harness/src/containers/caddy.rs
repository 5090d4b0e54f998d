//! A run's Caddy led elsewhere without a new container (its address is what the others reach the stack's names
//! by): the case's Caddyfile renamed into Caddy's mounted folder, then Caddy's `--watch` reload awaited in its log
//! (`services::caddy`). Caddy's watcher polls the file every second and, on a change, logs "config file changed;
//! reloading", then "autosaved config" once the new configuration runs, or "applying latest config" with the error
//! when it refused it (it keeps the old one); a file it cannot read or adapt ends its watching ("unable to load
//! latest config"). Read from Caddy's `cmd/main.go` (`watchConfigFile`) and measured with Caddy 2.6.2.

use std::path::Path;
use std::time::Duration;

use super::ContainersError;
use super::component::Running;
use crate::wait::{self, Look, Waited};

/// How long a reload may take: the watcher's poll (1 s) and the load itself (milliseconds, measured).
const RELOAD_LIMIT: Duration = Duration::from_secs(15);

/// Puts `caddyfile` in place in `dir` (Caddy's mounted folder) and waits until the running `caddy` serves it.
pub async fn reload(caddy: &Running, dir: &Path, caddyfile: &str) -> Result<(), ContainersError> {
    let offset = caddy.log.offset();
    // Written beside it and renamed over it: the watcher reads either the old file or the new one, never a part.
    let next = dir.join("Caddyfile.next");
    std::fs::write(&next, caddyfile)?;
    std::fs::rename(&next, dir.join("Caddyfile"))?;
    let reloaded = wait::until(
        RELOAD_LIMIT,
        Duration::from_millis(100),
        async || match outcome(&caddy.log.since(offset)) {
            Some(Ok(())) => Look::Ready(()),
            Some(Err(line)) => Look::Failed(line),
            None => Look::NotYet,
        },
    )
    .await;
    reloaded.map_err(|e| ContainersError::CaddyReload {
        why: match e {
            Waited::Failed(line) => format!("Caddy refused the new Caddyfile: {line}"),
            Waited::TimedOut => format!("Caddy did not reload it within {RELOAD_LIMIT:?}"),
        },
        tail: caddy.log.tail(20),
    })
}

/// What Caddy's log lines since the Caddyfile changed say of the reload: done, refused (the line), or not yet.
fn outcome(lines: &[String]) -> Option<Result<(), String>> {
    // A Caddyfile the watcher cannot read or adapt ends the watching itself, with no "changed" line first.
    if let Some(l) = lines
        .iter()
        .find(|l| l.contains("unable to load latest config"))
    {
        return Some(Err(l.clone()));
    }
    let start = lines
        .iter()
        .position(|l| l.contains("config file changed; reloading"))?;
    lines[start + 1..].iter().find_map(|l| {
        if l.contains("applying latest config") {
            Some(Err(l.clone()))
        } else if l.contains("autosaved config") || l.contains("unable to autosave config") {
            // Loaded: saving a copy of it is after the fact.
            Some(Ok(()))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_reload_is_done_once_caddy_autosaves_the_new_config_and_refused_on_its_error() {
        // Caddy 2.6.2's lines (Debian's, in the local image), measured.
        let changed = r#"{"level":"info","logger":"watcher","msg":"config file changed; reloading","config_file":"/etc/caddy/Caddyfile"}"#;
        let saved = r#"{"level":"info","msg":"autosaved config (load with --resume flag)","file":"/config/caddy/autosave.json"}"#;
        let refused = r#"{"level":"error","logger":"watcher","msg":"applying latest config","error":"loading new config: …"}"#;
        assert_eq!(
            outcome(&lines(saved)),
            None,
            "an autosave before the change is the start's"
        );
        assert_eq!(outcome(&lines(changed)), None);
        assert_eq!(
            outcome(&lines(&format!("{saved}\n{changed}\n{saved}"))),
            Some(Ok(()))
        );
        assert_eq!(
            outcome(&lines(&format!("{changed}\n{refused}"))),
            Some(Err(refused.to_owned()))
        );
    }
}
