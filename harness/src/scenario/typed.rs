//! JSON document → typed model, with serde's errors turned into located, worded diagnostics.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::source::{Diagnostic, SourceFile, SourceMap, dotted, escape_token};
use super::suggest;

/// Deserialises the node at `at` (a JSON Pointer into the document `map` describes).
// A diagnostic is the whole point of this function's error path, and is built once per bad file: not worth a box.
#[allow(clippy::result_large_err)]
pub fn from_value<T: DeserializeOwned>(
    value: &Value,
    at: &str,
    file: &SourceFile,
    map: &SourceMap,
) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = at.to_owned();
        for segment in e.path().iter() {
            use serde_path_to_error::Segment::*;
            match segment {
                Seq { index } => pointer.push_str(&format!("/{index}")),
                Map { key } => pointer.push_str(&format!("/{}", escape_token(key))),
                Enum { variant } => pointer.push_str(&format!("/{}", escape_token(variant))),
                Unknown => {}
            }
        }
        let node = value.pointer(&pointer[at.len()..]);
        describe(e.inner().to_string(), pointer, node, file, map)
    })
}

/// serde's wording, made specific: which field, where, and what would have been right.
fn describe(
    raw: String,
    mut pointer: String,
    node: Option<&Value>,
    file: &SourceFile,
    map: &SourceMap,
) -> Diagnostic {
    let quoted = backticked(&raw);
    if raw.starts_with("unknown field") {
        let (field, expected) = quoted
            .split_first()
            .map(|(f, e)| (f.clone(), e.to_vec()))
            .unwrap_or_default();
        let parent = pointer.clone();
        if !pointer.ends_with(&format!("/{}", escape_token(&field))) {
            pointer = format!("{pointer}/{}", escape_token(&field));
        }
        let span = map.locate(&pointer).map(|o| o.name());
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        let parent = parent
            .strip_suffix(&format!("/{}", escape_token(&field)))
            .unwrap_or(&parent)
            .to_owned();
        return Diagnostic::at(
            file,
            span,
            format!("unknown field `{field}` in {}", where_(&parent)),
        )
        .with_help(suggest::help(&field, &expected));
    }
    if raw.starts_with("unknown variant") {
        let (given, expected) = quoted
            .split_first()
            .map(|(f, e)| (f.clone(), e.to_vec()))
            .unwrap_or_default();
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        // An externally tagged enum (a step) names its kind with the one key of a mapping; a plain enum is a value.
        let (span, message) = match node {
            Some(Value::Object(m)) if m.len() == 1 && m.contains_key(&given) => (
                map.locate(&format!("{pointer}/{}", escape_token(&given)))
                    .map(|o| o.name()),
                format!("unknown kind `{given}` in {}", where_(&pointer)),
            ),
            _ => (
                map.locate(&pointer).map(|o| o.value),
                format!("`{given}` is not a valid value for `{}`", dotted(&pointer)),
            ),
        };
        return Diagnostic::at(file, span, message).with_help(suggest::help(&given, &expected));
    }
    if let Some(field) = raw
        .strip_prefix("missing field ")
        .and_then(|_| quoted.first())
    {
        let span = map.locate(&pointer).map(|o| o.name());
        return Diagnostic::at(
            file,
            span,
            format!("missing field `{field}` in {}", where_(&pointer)),
        )
        .with_help(Some(format!("add `{field}:`")));
    }
    let span = map.locate(&pointer).map(|o| o.value);
    let message = match raw.strip_prefix("invalid type: ") {
        Some(rest) => format!("`{}` has the wrong type: {rest}", dotted(&pointer)),
        None => format!("`{}`: {raw}", dotted(&pointer)),
    };
    Diagnostic::at(file, span, message)
}

fn where_(pointer: &str) -> String {
    if pointer.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`{}`", dotted(pointer))
    }
}

/// The `…` quoted names in one of serde's messages, in order.
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticked_names_come_out_in_order() {
        assert_eq!(
            backticked("unknown field `encrypton_key`, expected one of `slug`, `client_id`"),
            ["encrypton_key", "slug", "client_id"]
        );
    }
}
