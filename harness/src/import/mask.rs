//! Masked secrets as forums show them (`***`), handled before parsing: an unquoted `***` is an alias in YAML, and
//! not a valid one.

use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// An unquoted `***` (a masked value as forums show it) is an alias in YAML, and not a valid one: it is quoted
/// before parsing, on its own line, so every other place in the file stays where it was.
pub(super) static UNQUOTED_MASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\s*(?:-\s+|[^#'\x22]*?:\s+))\*\*\*(\s*(?:#.*)?)$").expect("regex")
});

pub(super) fn quote_masks(text: &str) -> (String, Vec<usize>) {
    let mut lines = Vec::new();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match UNQUOTED_MASK.captures(body) {
            Some(c) => {
                lines.push(i + 1);
                let _ = write!(out, "{}\"***\"{}{end}", &c[1], &c[2]);
            }
            None => out.push_str(line),
        }
    }
    (out, lines)
}

pub(super) fn is_masked(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let t = s.trim();
        !t.is_empty() && t.chars().all(|c| c == '*')
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_masks_are_quoted_on_their_line_only() {
        let (t, lines) = quote_masks("a: ***\nb: \"***\"\n- ***\nc: x # ***\nd: ***  # masked\n");
        assert_eq!(
            t,
            "a: \"***\"\nb: \"***\"\n- \"***\"\nc: x # ***\nd: \"***\"  # masked\n"
        );
        assert_eq!(lines, vec![1, 3, 5]);
    }
}
