//! The login outcome recorded in a committed e2e snapshot (`snapshots/e2e/<case>.snap`, written by insta from
//! `harness/tests/scenarios.rs`): a `---` header of metadata, a `---` line, then the observation as YAML.

use serde_json::Value;

use crate::scenario::yaml;

/// The `login` of the snapshot's observation (`None` when it records none).
pub fn login_outcome(text: &str) -> Result<Option<String>, String> {
    let body = body(text).ok_or("not an insta snapshot (no `---` header)")?;
    let (value, _) = yaml::parse(body)
        .map_err(|e| format!("line {} of the snapshot's body: {}", e.span.line, e.message))?;
    Ok(value
        .get("login")
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// What follows the header: the text after the second line that is exactly `---`.
fn body(text: &str) -> Option<&str> {
    let mut offset = 0;
    let mut fences = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            fences += 1;
            if fences == 2 {
                return Some(&text[offset..]);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_comes_from_the_body_not_the_header() {
        let snap = "---\nsource: harness/tests/scenarios.rs\ninfo: \"login: success\"\n---\nlogin: unauthorized\nopensearch_log:\n  - \"---\"\n";
        assert_eq!(
            login_outcome(snap).unwrap().as_deref(),
            Some("unauthorized")
        );
        assert_eq!(
            login_outcome("---\nsource: x\n---\nopensearch_log: []\n").unwrap(),
            None
        );
        assert!(login_outcome("login: success\n").is_err());
    }
}
