//! Checks that need the whole case: placeholders, the users that steps name, `requires:`, and
//! `opensearch.settings`.

use serde_json::Value;

use super::model::{Document, IdpProfile, LoginMethod, Step, requirement};
use super::placeholder;
use super::source::{Diagnostic, SourceFile, SourceMap, Span, escape_token};
use super::suggest;
use crate::opensearch::settings;

pub fn document(
    value: &Value,
    doc: &Document,
    file: &SourceFile,
    map: &SourceMap,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let internal: Vec<&str> = internal_users(doc);
    placeholders(value, "", &internal, file, map, &mut errors);
    users(doc, file, map, &mut errors);
    steps(doc, &internal, file, map, &mut errors);
    requires(doc, file, map, &mut errors);
    settings(doc, file, map, &mut errors);
    idp_sections(doc, file, map, &mut errors);
    errors
}

/// A section (or a user's field) of the IdP the case does not use is an error where the file wrote it: nothing in
/// a file is ignored. `idp.provider` and `idp.users[].entitlements` are authentik's; `idp.keycloak` and
/// `idp.users[].realm_roles` Keycloak's.
fn idp_sections(doc: &Document, file: &SourceFile, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    let (unused, used, field_of_used, switch) = match doc.stack.idp {
        IdpProfile::Authentik => (
            ("keycloak", "realm_roles", "Keycloak's"),
            "authentik",
            "`idp.provider` (authentik's provider) and `idp.users[].groups`/`entitlements`",
            "stack: { idp: keycloak }",
        ),
        IdpProfile::Keycloak => (
            ("provider", "entitlements", "authentik's"),
            "Keycloak",
            "`idp.keycloak` (its `realm`, `client` — a ClientRepresentation, e.g. `clientId`, `attributes` — and \
             `realm_settings`) and `idp.users[].groups`/`realm_roles`",
            "stack: { idp: authentik }",
        ),
    };
    let (section, user_field, whose) = unused;
    let mut places: Vec<(String, String)> = vec![(
        format!("/idp/{section}"),
        format!("`idp.{section}` is {whose} section"),
    )];
    for i in 0..doc.idp.users.len() {
        places.push((
            format!("/idp/users/{i}/{user_field}"),
            format!("`{user_field}` is {whose}"),
        ));
    }
    for (pointer, what) in places {
        if let Some((_, origin)) = map.first_written(&pointer) {
            out.push(
                Diagnostic::at(
                    file,
                    Some(origin.name()),
                    format!("{what}, but this case's IdP is {used}"),
                )
                .with_help(Some(format!(
                    "for {used}, write {field_of_used}; or, to use that IdP, set `{switch}`"
                ))),
            );
        }
    }
}

/// The internal users a case defines (the keys of `internal_users.yml`, less `_meta`).
pub fn internal_users(doc: &Document) -> Vec<&str> {
    doc.opensearch
        .security
        .internal_users
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "_meta")
        .collect()
}

fn placeholders(
    v: &Value,
    pointer: &str,
    internal: &[&str],
    file: &SourceFile,
    map: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    match v {
        Value::String(s) => {
            let here = map.locate(pointer).map(|o| o.value);
            match placeholder::find(s) {
                Err(offset) => out.push(
                    Diagnostic::at(
                        file,
                        here.map(|sp| inside(file, sp, "${", offset)),
                        "`${` without a closing `}`",
                    )
                    .with_help(Some("close the placeholder, e.g. `${idp.url}`".into())),
                ),
                Ok(found) => {
                    for f in found
                        .iter()
                        .filter(|f| !placeholder::is_known(f.name, internal))
                    {
                        let text = format!("${{{}}}", f.name);
                        let mut known: Vec<String> =
                            placeholder::NAMES.iter().map(|n| n.to_string()).collect();
                        known.extend(
                            internal
                                .iter()
                                .map(|u| format!("internal_users.{u}.password")),
                        );
                        let known: Vec<&str> = known.iter().map(String::as_str).collect();
                        out.push(
                            Diagnostic::at(
                                file,
                                here.map(|sp| inside(file, sp, &text, f.offset)),
                                format!("unknown placeholder `{text}`"),
                            )
                            .with_help(suggest::help(f.name, &known)),
                        );
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                placeholders(item, &format!("{pointer}/{i}"), internal, file, map, out);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                placeholders(
                    item,
                    &format!("{pointer}/{}", escape_token(k)),
                    internal,
                    file,
                    map,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Narrows a string's span to `needle` when it is on the string's first line (a quoted or plain scalar);
/// otherwise keeps the whole string's span.
fn inside(file: &SourceFile, string: Span, needle: &str, offset: usize) -> Span {
    let Some(line) = file.text.lines().nth(string.line - 1) else {
        return string;
    };
    let chars: Vec<char> = line.chars().collect();
    let from = (string.column - 1).min(chars.len());
    let rest: String = chars[from..].iter().collect();
    // The string's text starts at or after its span (quotes, escapes), so its n-th character is at or after n.
    let needle_at = rest
        .match_indices(needle)
        .map(|(b, _)| rest[..b].chars().count())
        .find(|c| *c >= offset);
    match needle_at {
        Some(c) => string.shifted(c, needle.chars().count()),
        None => string,
    }
}

fn users(doc: &Document, file: &SourceFile, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    let users = &doc.idp.users;
    for (i, u) in users.iter().enumerate() {
        if users[..i].iter().any(|o| o.username == u.username) {
            let span = map
                .locate(&format!("/idp/users/{i}/username"))
                .map(|o| o.value);
            out.push(Diagnostic::at(
                file,
                span,
                format!("duplicate IdP user `{}`", u.username),
            ));
        }
    }
}

fn steps(
    doc: &Document,
    internal: &[&str],
    file: &SourceFile,
    map: &SourceMap,
    out: &mut Vec<Diagnostic>,
) {
    let idp_users: Vec<&str> = doc.idp.users.iter().map(|u| u.username.as_str()).collect();
    let mut logged_in: Vec<&str> = Vec::new();
    for (i, step) in doc.steps.iter().enumerate() {
        let (kind, user) = match step {
            Step::Login(l) => ("login", l.user.as_str()),
            Step::Authinfo(a) => ("authinfo", a.user.as_str()),
        };
        let at = format!("/steps/{i}/{kind}/user");
        let span = map.locate(&at).map(|o| o.value);
        let problem = match step {
            Step::Login(l) if l.method == LoginMethod::Openid && !idp_users.contains(&user) => {
                Some((format!("step {} logs in as `{user}` through the IdP, but `idp.users` has no `{user}`", i + 1), suggest::help(user, &idp_users)))
            }
            Step::Login(l) if l.method == LoginMethod::Basic && l.password.is_none() && !internal.contains(&user) => Some((
                format!("step {} logs in as `{user}` with basic auth, but `internal_users` has no `{user}`", i + 1),
                suggest::help(user, internal).or(Some("add the user to `opensearch.security.internal_users` or give the step a `password:`".into())),
            )),
            Step::Authinfo(_) if !logged_in.contains(&user) => Some((
                format!("step {} asks authinfo with `{user}`'s token, but no earlier step logs `{user}` in", i + 1),
                Some(format!("add `- login: {{ user: {user} }}` before it")),
            )),
            _ => None,
        };
        if let Some((message, help)) = problem {
            out.push(Diagnostic::at(file, span, message).with_help(help));
        }
        if let Step::Login(_) = step {
            logged_in.push(user);
        }
    }
}

/// Each `requires:` value is a semver requirement; located where the file (or the variant that set it) wrote it.
fn requires(doc: &Document, file: &SourceFile, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    let r = &doc.requires;
    for (component, text) in [("opensearch", &r.opensearch), ("dashboards", &r.dashboards)] {
        let Some(text) = text else { continue };
        if let Err(e) = requirement(text) {
            let span = map
                .locate(&format!("/requires/{component}"))
                .map(|o| o.value);
            out.push(
                Diagnostic::at(file, span, format!("`requires.{component}`: {}", e.message))
                    .with_help(Some(e.help)),
            );
        }
    }
}

/// `opensearch.settings`: no key the harness owns (`opensearch::settings::owned`), each key once (nested mappings
/// are dotted keys), and values `opensearch.yml` can hold. Errors point at the key, where the file (or the variant
/// that set it) wrote it.
fn settings(doc: &Document, file: &SourceFile, map: &SourceMap, out: &mut Vec<Diagnostic>) {
    let leaves = settings::flatten(&doc.opensearch.settings);
    for (i, leaf) in leaves.iter().enumerate() {
        let key = &leaf.key;
        let span = map
            .locate(&format!("/opensearch/settings{}", leaf.pointer))
            .map(|o| o.name());
        let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
        let problem = if let Some(owned) = settings::owned(key) {
            let help = match key.strip_prefix("logger.") {
                Some(name) => format!("write it under `opensearch.loggers` as `{name}: LEVEL`"),
                None => owned.help.to_owned(),
            };
            Some((
                format!(
                    "`opensearch.settings`: `{key}` is set by the harness: {}",
                    owned.why
                ),
                help,
            ))
        } else if leaves[..i].iter().any(|l| l.key == *key) {
            Some((
                format!(
                    "`opensearch.settings`: `{key}` is given twice (as a dotted key and as nested keys)"
                ),
                "keep one of them".to_owned(),
            ))
        } else {
            match &leaf.value {
                Value::Null => Some((
                    format!("`opensearch.settings`: `{key}` has no value"),
                    "give it a value, or leave the key out (a variant drops one with `unset`)"
                        .to_owned(),
                )),
                Value::Array(items) if !items.iter().all(scalar) => Some((
                    format!(
                        "`opensearch.settings`: `{key}` is a list of something else than strings, numbers and booleans"
                    ),
                    "write each item as a plain value, e.g. `[TLSv1.3, TLSv1.2]`".to_owned(),
                )),
                _ => None,
            }
        };
        if let Some((message, help)) = problem {
            out.push(Diagnostic::at(file, span, message).with_help(Some(help)));
        }
    }
}
