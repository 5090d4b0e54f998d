//! The scenario being built (its document, a comment per pointer, comment lines opening a mapping, the notes) and
//! its YAML, with those comments.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::scenario::source::escape_token;

/// The output being built: the scenario document, a comment per pointer, comment lines opening a mapping.
#[derive(Default)]
pub(super) struct Out {
    pub(super) doc: Map<String, Value>,
    pub(super) comments: BTreeMap<String, String>,
    pub(super) opening: BTreeMap<String, Vec<String>>,
    pub(super) trailer: Vec<String>,
    pub(super) notes: Vec<String>,
}

impl Out {
    pub(super) fn note(&mut self, at: &str, what: String) {
        self.notes.push(format!("{at}: {what}"));
    }

    pub(super) fn comment(&mut self, pointer: &str, at: &str, what: &str) {
        let text = format!("{what} ({at})");
        self.comments
            .entry(pointer.to_owned())
            .and_modify(|c| {
                c.push_str("; ");
                c.push_str(&text);
            })
            .or_insert(text);
        self.note(at, what.to_owned());
    }
}

pub(super) fn yaml_key(k: &str) -> String {
    static PLAIN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-]*$").expect("regex"));
    const AMBIGUOUS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "Y", "N", "Yes", "No", "On",
        "Off", "True", "False", "Null", "YES", "NO", "ON", "OFF", "TRUE", "FALSE", "NULL",
    ];
    if PLAIN.is_match(k) && !AMBIGUOUS.contains(&k) {
        k.to_owned()
    } else {
        Value::String(k.to_owned()).to_string()
    }
}

/// A value on one line: JSON, which YAML 1.2 reads as flow style.
pub(super) fn flow(v: &Value) -> String {
    v.to_string()
}

pub(super) fn emit_map(
    out: &mut String,
    m: &Map<String, Value>,
    ptr: &str,
    indent: usize,
    o: &Out,
) {
    let pad = " ".repeat(indent);
    for line in o.opening.get(ptr).into_iter().flatten() {
        let _ = writeln!(out, "{pad}# {line}");
    }
    for (k, v) in m {
        let p = format!("{ptr}/{}", escape_token(k));
        let comment = o
            .comments
            .get(&p)
            .map(|c| format!("  # {c}"))
            .unwrap_or_default();
        match v {
            Value::Object(inner) if !inner.is_empty() || o.opening.contains_key(&p) => {
                let _ = writeln!(out, "{pad}{}:{comment}", yaml_key(k));
                emit_map(out, inner, &p, indent + 2, o);
            }
            other => {
                let _ = writeln!(out, "{pad}{}: {}{comment}", yaml_key(k), flow(other));
            }
        }
    }
}
