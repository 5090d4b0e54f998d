//! The files the import knows, recognised by name, parsed (masked values quoted first) with their places; and
//! the kinds format v1 has no field for, kept as comments.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::emit::Out;
use super::mask::quote_masks;
use crate::scenario::source::SourceMap;
use crate::scenario::{Diagnostic, SourceFile, Span, yaml};

/// The kinds of file the import knows, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Config,
    RolesMapping,
    InternalUsers,
    Roles,
    ActionGroups,
    Tenants,
    Dashboards,
    OpenSearch,
}

impl Kind {
    pub(super) fn of(path: &str) -> Option<Kind> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let stem = name
            .strip_suffix(".yml")
            .or_else(|| name.strip_suffix(".yaml"))?;
        Some(match stem {
            "config" => Kind::Config,
            "roles_mapping" => Kind::RolesMapping,
            "internal_users" => Kind::InternalUsers,
            "roles" => Kind::Roles,
            "action_groups" => Kind::ActionGroups,
            "tenants" => Kind::Tenants,
            "opensearch_dashboards" => Kind::Dashboards,
            "opensearch" => Kind::OpenSearch,
            _ => return None,
        })
    }

    /// Where the document goes in a scenario; `None`: format v1 has no place for it.
    pub(super) fn pointer(self) -> Option<&'static str> {
        Some(match self {
            Kind::Config => "/opensearch/security/config",
            Kind::RolesMapping => "/opensearch/security/roles_mapping",
            Kind::InternalUsers => "/opensearch/security/internal_users",
            Kind::Roles => "/opensearch/security/roles",
            Kind::Dashboards => "/dashboards/config",
            Kind::ActionGroups | Kind::Tenants | Kind::OpenSearch => return None,
        })
    }
}

/// Whether the import reads a file of this name.
pub fn knows(path: &str) -> bool {
    Kind::of(path).is_some()
}

/// The names the import recognises, for the error about a file it does not.
pub const FILE_NAMES: &str = "config.yml, roles_mapping.yml, internal_users.yml, roles.yml, action_groups.yml, \
                              tenants.yml, opensearch_dashboards.yml, opensearch.yml";

/// One posted file, parsed.
pub(super) struct Posted {
    pub(super) file: SourceFile,
    pub(super) kind: Kind,
    pub(super) value: Value,
    pub(super) map: SourceMap,
    /// Lines whose unquoted `***` was quoted before parsing.
    pub(super) masked_lines: Vec<usize>,
}

impl Posted {
    /// Where `pointer` of this file is, as `file:line:column`.
    pub(super) fn at(&self, pointer: &str) -> String {
        let span = self
            .map
            .get(pointer)
            .map(|o| o.name())
            .unwrap_or(Span::START);
        format!("{}:{}:{}", self.file.path, span.line, span.column)
    }
}

/// Each of `files` (its path as the user named it, and its text) recognised and parsed: every file's errors at
/// once, or the files — at least one, and at most one of each kind format v1 has a field for.
pub(super) fn parse(files: &[(String, String)]) -> Result<Vec<Posted>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut posted = Vec::new();
    for (path, text) in files {
        let file = SourceFile {
            path: path.clone(),
            text: text.clone(),
        };
        let Some(kind) = Kind::of(path) else {
            errors.push(
                Diagnostic::at(&file, None, "not a file the import knows by its name")
                    .with_help(Some(format!("the names it knows: {FILE_NAMES}"))),
            );
            continue;
        };
        let (quoted, masked_lines) = quote_masks(text);
        match yaml::parse(&quoted) {
            Ok((value, map)) => {
                let value = match value {
                    Value::Null => Value::Object(Map::new()),
                    v @ Value::Object(_) => v,
                    _ => {
                        errors.push(Diagnostic::at(
                            &file,
                            Some(Span::START),
                            "expected a mapping (the file's settings), found another kind of YAML value",
                        ));
                        continue;
                    }
                };
                posted.push(Posted {
                    file,
                    kind,
                    value,
                    map,
                    masked_lines,
                });
            }
            Err(e) => errors.push(Diagnostic::at(&file, Some(e.span), e.message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if posted.is_empty() {
        return Err(vec![Diagnostic::at(
            &SourceFile {
                path: "import".into(),
                text: String::new(),
            },
            None,
            format!("no files to import (it reads {FILE_NAMES})"),
        )]);
    }
    let mut kinds: BTreeMap<&'static str, &str> = BTreeMap::new();
    for p in &posted {
        if let Some(ptr) = p.kind.pointer()
            && let Some(first) = kinds.insert(ptr, &p.file.path)
        {
            return Err(vec![Diagnostic::at(
                &p.file,
                None,
                format!("a second file of the same kind (the first: {first}); import one of them"),
            )]);
        }
    }

    Ok(posted)
}

/// A file format v1 has no place for, kept whole as comments at the end.
pub(super) fn keep_as_comments(p: &Posted, out: &mut Out) {
    let why = match p.kind {
        Kind::OpenSearch => {
            "opensearch.yml: the harness writes the node's own (ports, TLS, admin DN); this build's format has no \
             field for other node settings"
        }
        _ => {
            "format v1 has no field for this file: the harness runs with the security plugin's defaults for it"
        }
    };
    out.note(
        &format!("{}:1:1", p.file.path),
        format!("kept as comments, not mapped: {why}"),
    );
    out.trailer.push(String::new());
    out.trailer
        .push(format!("# {} — not mapped: {why}", p.file.path));
    for line in p.file.text.lines() {
        out.trailer.push(format!("#   {line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Idp, Imported, import};
    use crate::scenario::Diagnostic;

    fn one(name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
        import(&[(name.to_owned(), text.to_owned())], Idp::Authentik)
    }

    #[test]
    fn files_without_a_field_are_kept_as_comments() {
        let i = one("tenants.yml", "_meta:\n  type: tenants\n").expect("imports");
        assert!(
            i.scenario.contains("#   _meta:\n#     type: tenants"),
            "{}",
            i.scenario
        );
        assert!(
            i.notes[0].starts_with("tenants.yml:1:1: kept as comments"),
            "{:?}",
            i.notes
        );
    }

    #[test]
    fn a_key_without_a_value_is_kept_and_said() {
        let i = one(
            "config.yml",
            "config:\n  dynamic:\n    authc:\n      cert:\n        order: 2\n        http_authenticator:\n",
        )
        .expect("imports");
        assert!(
            i.scenario
                .contains("http_authenticator: null  # kept: no value as posted"),
            "{}",
            i.scenario
        );
        assert!(
            i.notes
                .iter()
                .any(|n| n.starts_with("config.yml:6:9: kept: no value")),
            "{:?}",
            i.notes
        );
    }
}
