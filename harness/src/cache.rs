//! Where downloads and installs are kept between runs: outside any checkout, shared by worktrees and CI runs.

use std::path::PathBuf;

/// `$SSO_HARNESS_CACHE`, else `/var/cache/sso-harness` for root, else `$XDG_CACHE_HOME/sso-harness` or
/// `~/.cache/sso-harness`. Root's home is private, and OpenSearch (which will not run as root) must read the install.
pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SSO_HARNESS_CACHE") {
        return PathBuf::from(d);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/cache/sso-harness");
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("sso-harness")
}
