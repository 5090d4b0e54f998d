//! JSON Pointer (RFC 6901) edits of a scenario document: the `set` and `unset` of variants and matrix cells.
//!
//! A pointer must reach something that exists, or something whose parent exists (it may create its last part
//! only): so a misspelt middle part (`/idp/provder/slug`) is an error with a suggestion instead of a new branch.

use serde_json::Value;

use super::suggest;

/// Why an edit cannot be made; located by the caller at the pointer's key.
#[derive(Debug, PartialEq, Eq)]
pub struct PointerError {
    pub message: String,
    pub help: Option<String>,
}

/// Parts of the document a variant may not edit: they define the cases themselves.
const FROZEN: &[&str] = &["name", "variants", "matrix", "expect_rules", "expect"];

pub fn tokens(pointer: &str) -> Result<Vec<String>, PointerError> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PointerError {
            message: format!("`{pointer}` is not a JSON Pointer: it must start with `/`"),
            help: Some(format!(
                "write `/{}`",
                pointer.trim_start_matches('/').replace('.', "/")
            )),
        });
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    if let Some(first) = tokens.first().filter(|t| FROZEN.contains(&t.as_str())) {
        let help = if first == "expect" {
            "give the variant its own `expect:`"
        } else {
            "edit the document instead"
        };
        return Err(PointerError {
            message: format!("`{pointer}`: a variant cannot edit `{first}`"),
            help: Some(help.into()),
        });
    }
    Ok(tokens)
}

/// Sets the node at `pointer` to `new`.
pub fn set(doc: &mut Value, pointer: &str, new: Value) -> Result<(), PointerError> {
    let tokens = tokens(pointer)?;
    let (last, path) = tokens.split_last().expect("split gives at least one token");
    let parent = walk(doc, path, pointer)?;
    match parent {
        Value::Object(map) => {
            map.insert(last.clone(), new);
            Ok(())
        }
        Value::Array(items) => {
            let len = items.len();
            match index(last, len + 1) {
                Some(i) if i < len => items[i] = new,
                _ if last == "-" || last == &len.to_string() => items.push(new),
                _ => return Err(out_of_range(pointer, last, len)),
            }
            Ok(())
        }
        other => Err(through_scalar(pointer, path, other)),
    }
}

/// Removes the node at `pointer`, which must exist.
pub fn unset(doc: &mut Value, pointer: &str) -> Result<(), PointerError> {
    let tokens = tokens(pointer)?;
    let (last, path) = tokens.split_last().expect("split gives at least one token");
    let parent = walk(doc, path, pointer)?;
    match parent {
        Value::Object(map) => match map.shift_remove(last) {
            Some(_) => Ok(()),
            None => Err(missing(
                pointer,
                last,
                map.keys().map(String::as_str).collect(),
            )),
        },
        Value::Array(items) => match index(last, items.len()) {
            Some(i) => {
                items.remove(i);
                Ok(())
            }
            None => Err(out_of_range(pointer, last, items.len())),
        },
        other => Err(through_scalar(pointer, path, other)),
    }
}

fn walk<'a>(
    doc: &'a mut Value,
    path: &[String],
    pointer: &str,
) -> Result<&'a mut Value, PointerError> {
    let mut here = doc;
    for (depth, token) in path.iter().enumerate() {
        here = match here {
            Value::Object(map) => {
                if !map.contains_key(token) {
                    let keys = map.keys().map(String::as_str).collect();
                    return Err(missing(pointer, token, keys));
                }
                map.get_mut(token).expect("checked above")
            }
            Value::Array(items) => {
                let len = items.len();
                match index(token, len) {
                    Some(i) => &mut items[i],
                    None => return Err(out_of_range(pointer, token, len)),
                }
            }
            other => return Err(through_scalar(pointer, &path[..depth], other)),
        };
    }
    Ok(here)
}

fn index(token: &str, len: usize) -> Option<usize> {
    let well_formed =
        token == "0" || (!token.starts_with('0') && token.bytes().all(|b| b.is_ascii_digit()));
    token.parse().ok().filter(|i| well_formed && *i < len)
}

fn missing(pointer: &str, token: &str, keys: Vec<&str>) -> PointerError {
    PointerError {
        message: format!("`{pointer}` does not reach anything: there is no `{token}` here"),
        help: suggest::help(token, &keys).or(Some(
            "this part is empty; a pointer may create only its last part".into(),
        )),
    }
}

fn out_of_range(pointer: &str, token: &str, len: usize) -> PointerError {
    PointerError {
        message: format!("`{pointer}`: `{token}` is not an index of this list of {len}"),
        help: Some(format!("use 0..{len} to replace an item, or `-` to append")),
    }
}

fn through_scalar(pointer: &str, path: &[String], found: &Value) -> PointerError {
    let kind = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        _ => "a container",
    };
    PointerError {
        message: format!(
            "`{pointer}` goes through `/{}`, which is {kind}, not a mapping or list",
            path.join("/")
        ),
        help: Some("set the parent to a mapping first, or shorten the pointer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_replaces_and_creates_only_the_last_part() {
        let mut d = json!({"idp": {"provider": {"slug": "a"}}, "l": [1, 2]});
        set(&mut d, "/idp/provider/slug", json!("b")).unwrap();
        set(&mut d, "/idp/provider/encryption_key", json!(true)).unwrap();
        set(&mut d, "/l/-", json!(3)).unwrap();
        set(&mut d, "/l/0", json!(0)).unwrap();
        assert_eq!(
            d,
            json!({"idp": {"provider": {"slug": "b", "encryption_key": true}}, "l": [0, 2, 3]})
        );
    }

    #[test]
    fn misspelt_middle_parts_are_errors_with_a_suggestion() {
        let mut d = json!({"idp": {"provider": {"slug": "a"}}});
        let e = set(&mut d, "/idp/provder/slug", json!("b")).unwrap_err();
        assert_eq!(
            e.message,
            "`/idp/provder/slug` does not reach anything: there is no `provder` here"
        );
        assert_eq!(
            e.help.unwrap(),
            "did you mean `provider`? (expected one of `provider`)"
        );
    }

    #[test]
    fn pointers_must_start_with_a_slash_and_leave_case_definitions_alone() {
        let mut d = json!({});
        assert!(
            set(&mut d, "idp.provider.slug", json!(1))
                .unwrap_err()
                .help
                .unwrap()
                .contains("/idp/provider/slug")
        );
        assert!(
            set(&mut d, "/expect/login", json!(1))
                .unwrap_err()
                .message
                .contains("cannot edit `expect`")
        );
    }

    #[test]
    fn escaped_tokens_reach_keys_with_slashes_and_tildes() {
        let mut d = json!({"a/b": {"c~d": 1}});
        set(&mut d, "/a~1b/c~0d", json!(2)).unwrap();
        assert_eq!(d, json!({"a/b": {"c~d": 2}}));
    }

    #[test]
    fn unset_removes_what_exists_and_refuses_what_does_not() {
        let mut d = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        unset(&mut d, "/a/b").unwrap();
        unset(&mut d, "/l/0").unwrap();
        assert_eq!(d, json!({"a": {"c": 2}, "l": [2]}));
        assert!(unset(&mut d, "/a/b").is_err());
        assert!(unset(&mut d, "/l/5").is_err());
        assert!(
            unset(&mut d, "/a/c/x")
                .unwrap_err()
                .message
                .contains("which is a number")
        );
    }
}
