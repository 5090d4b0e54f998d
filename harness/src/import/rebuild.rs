//! A posted document rebuilt for the scenario: keys trimmed, each setting kept, replaced by the harness's value,
//! renamed or dropped (`Action`, decided per kind of file), with a comment saying what it was and where.

use serde_json::{Map, Value, json};

use super::dashboards::{add_dashboards_connection, dashboards_setting};
use super::emit::Out;
use super::files::{Kind, Posted};
use super::mask::is_masked;
use super::security::{add_basic_domain, config_fragment_prefix, openid_setting};
use crate::scenario::source::escape_token;

pub(super) fn walk(v: &Value, ptr: &str, f: &mut dyn FnMut(&str, &Value)) {
    f(ptr, v);
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                walk(x, &format!("{ptr}/{}", escape_token(k)), f);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{ptr}/{i}"), f);
            }
        }
        _ => {}
    }
}

/// What happens to one setting.
pub(super) enum Action {
    Keep,
    /// The harness's value, and why.
    Replace(Value, String),
    /// Dropped (shown commented out), and why.
    Drop(String),
    /// The harness's value under another key (a hash becomes a generated `password`), and why.
    Rename(&'static str, Value, String),
}

/// A short, one-line form of a posted value for a comment.
pub(super) fn shown(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    };
    let one = s.lines().next().unwrap_or_default().to_owned();
    let mut short: String = one.chars().take(70).collect();
    if short.len() < s.len() {
        short.push('…');
    }
    format!("`{short}`")
}

/// `p`'s document with the harness's stand-ins, placed at `out_ptr` (comments and notes recorded in `out`).
pub(super) fn transform(p: &Posted, out_ptr: &str, out: &mut Out) -> Value {
    let username = p
        .value
        .get("opensearch.username")
        .and_then(Value::as_str)
        .unwrap_or("kibanaserver")
        .to_owned();
    // A part of config.yml (users often paste only from `authc:`) is rebuilt where the plugin reads it.
    let prefix = match p.kind {
        Kind::Config => config_fragment_prefix(&p.value),
        _ => &[],
    };
    let inner_ptr = prefix
        .iter()
        .fold(out_ptr.to_owned(), |ptr, k| format!("{ptr}/{k}"));
    let mut path = prefix.iter().map(|k| (*k).to_owned()).collect();
    let mut value = rebuild(p, &p.value, "", &inner_ptr, out, &mut path, &username);
    if let Some(first) = prefix.first() {
        let starts = p
            .value
            .as_object()
            .and_then(|m| m.keys().next())
            .map(|k| k.trim().to_owned())
            .unwrap_or_default();
        for k in prefix.iter().rev() {
            value = json!({ *k: value });
        }
        out.comment(
            &format!("{out_ptr}/{first}"),
            &p.at(&format!("/{}", escape_token(&starts))),
            &format!(
                "the posted file is a part of config.yml (it starts at `{starts}:`): placed under `{}`, where the \
                 plugin reads it",
                prefix.join(".")
            ),
        );
    }
    match (p.kind, &mut value) {
        (Kind::Dashboards, Value::Object(m)) => add_dashboards_connection(m, p, out_ptr, out),
        (Kind::Config, v) => add_basic_domain(v, p, out_ptr, out),
        (Kind::RolesMapping, Value::Object(m)) if !m.contains_key("kibana_server") => {
            m.insert(
                "kibana_server".into(),
                json!({ "reserved": true, "users": ["kibanaserver"] }),
            );
            out.comment(
                &format!("{out_ptr}/kibana_server"),
                &format!("{}:1:1", p.file.path),
                "added: Dashboards' server user needs this mapping (the posted file did not show it)",
            );
        }
        _ => {}
    }
    value
}

/// The value at `src_ptr` of `p`, rebuilt under `out_ptr`: keys trimmed, settings mapped. `path` holds the keys
/// down to here (for dotted Dashboards keys and config.yml's authenticator).
pub(super) fn rebuild(
    p: &Posted,
    v: &Value,
    src_ptr: &str,
    out_ptr: &str,
    out: &mut Out,
    path: &mut Vec<String>,
    username: &str,
) -> Value {
    match v {
        Value::Object(m) => {
            let mut new = Map::new();
            for (raw_key, x) in m {
                let src = format!("{src_ptr}/{}", escape_token(raw_key));
                let key = raw_key.trim().to_owned();
                let dst = format!("{out_ptr}/{}", escape_token(&key));
                let at = p.at(&src);
                if key != *raw_key {
                    out.comment(&dst, &at, "the key had spaces around it, trimmed");
                }
                path.push(key.clone());
                let action = action_for(p, path, x, username);
                match action {
                    Action::Keep => {
                        let rebuilt = rebuild(p, x, &src, &dst, out, path, username);
                        // A mapping whose every setting was dropped goes too (an empty key would be a null).
                        if rebuilt.as_object().is_some_and(Map::is_empty)
                            && x.as_object().is_some_and(|m| !m.is_empty())
                        {
                            let lines = out.opening.remove(&dst).unwrap_or_default();
                            out.opening
                                .entry(out_ptr.to_owned())
                                .or_default()
                                .extend(lines);
                            path.pop();
                            continue;
                        }
                        if p.kind == Kind::Dashboards
                            && path.join(".") == "opensearch.requestHeadersWhitelist"
                        {
                            out.comment(
                                &dst,
                                &at,
                                "kept: the deprecated name of opensearch.requestHeadersAllowlist, which \
                                 Dashboards still reads",
                            );
                        }
                        if rebuilt.is_null() {
                            out.comment(
                                &dst,
                                &at,
                                "kept: no value as posted (the component reads it as unset, or fills in its defaults \
                                 — or the post was cut off here)",
                            );
                        }
                        if has_typographic_quotes(&rebuilt) {
                            out.comment(
                                &dst,
                                &at,
                                "kept: typographic quotes (“ ”) are not YAML's quotes, so they are part of the value, as \
                                 the component reads it",
                            );
                        }
                        if is_masked(&rebuilt) {
                            out.comment(
                                &dst,
                                &at,
                                "kept masked: the import knows no harness value for this setting",
                            );
                        }
                        new.insert(key, rebuilt);
                    }
                    Action::Replace(value, why) => {
                        out.comment(&dst, &at, &why);
                        new.insert(key, value);
                    }
                    Action::Rename(to, value, why) => {
                        let renamed = format!("{out_ptr}/{to}");
                        out.comment(&renamed, &at, &why);
                        new.insert(to.to_owned(), value);
                    }
                    Action::Drop(why) => {
                        let name = if p.kind == Kind::Dashboards {
                            path.join(".")
                        } else {
                            key.clone()
                        };
                        let line = format!("{name}: {}", shown(x).trim_matches('`'));
                        out.opening
                            .entry(out_ptr.to_owned())
                            .or_default()
                            .push(format!("dropped `{line}` ({at}): {why}"));
                        out.note(&at, format!("dropped `{key}`: {why}"));
                    }
                }
                path.pop();
            }
            Value::Object(new)
        }
        other => other.clone(),
    }
}

pub(super) fn action_for(p: &Posted, path: &[String], v: &Value, username: &str) -> Action {
    match p.kind {
        Kind::Dashboards => {
            let dotted = path.join(".");
            let a = dashboards_setting(&dotted, v, username);
            match a {
                // A nested form's inner mapping is walked on; leaves are judged by their whole dotted key.
                Action::Keep if is_masked(v) && dotted.ends_with("password") => Action::Replace(
                    json!(format!("${{internal_users.{username}.password}}")),
                    "was masked: a generated password".into(),
                ),
                a => a,
            }
        }
        Kind::Config => {
            // config.dynamic.authc.<domain>.http_authenticator.config.<key>
            let in_authenticator = path.len() == 7
                && path[0] == "config"
                && path[1] == "dynamic"
                && path[2] == "authc"
                && path[4] == "http_authenticator"
                && path[5] == "config";
            if in_authenticator {
                openid_setting(&path[6], v)
            } else {
                Action::Keep
            }
        }
        Kind::InternalUsers if path.len() == 2 && path[1] == "hash" => Action::Rename(
            "password",
            json!("generated"),
            format!(
                "was the hash {}: a generated password (see `password`)",
                shown(v)
            ),
        ),
        _ => Action::Keep,
    }
}

/// A string (or a list's string) wrapped in typographic quotes, as text pasted through a word processor or a forum
/// has them: YAML reads them as characters of the value.
fn has_typographic_quotes(v: &Value) -> bool {
    match v {
        Value::String(s) => {
            s.starts_with(['“', '”', '‘', '’']) || s.ends_with(['“', '”', '‘', '’'])
        }
        Value::Array(a) => a.iter().any(has_typographic_quotes),
        _ => false,
    }
}
