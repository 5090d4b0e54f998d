//! The versions file (`compose/versions.yaml`): the version sets the nightly matrix tests — OpenSearch with its
//! Dashboards, an authentik release, Caddy — and the support images beside them (postgres, redis).
//!
//! Read with the scenario files' YAML machinery (saphyr, a [`SourceMap`], serde's errors reworded), so a mistake here
//! is reported like one in a scenario: `file:line:col`, the line, and the nearest valid name.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::scenario::source::{Diagnostic, SourceFile, SourceMap};
use crate::scenario::{suggest, typed, yaml};

/// Where the versions file lives, relative to the workspace.
pub const DEFAULT_PATH: &str = "compose/versions.yaml";

/// The authentik release that dropped redis (sessions, cache and tasks moved to postgres).
const AUTHENTIK_WITHOUT_REDIS: (u32, u32) = (2025, 10);

/// The whole file: the version sets in order (the first is the default) and the support images.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Versions {
    pub sets: Vec<VersionSet>,
    pub support: Support,
}

/// One column of the matrix: the versions of the four components that run together.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionSet {
    /// Unique, `[a-z0-9.-]+`: it names report folders and CI jobs.
    pub name: String,
    pub opensearch: String,
    pub dashboards: String,
    pub authentik: String,
    pub caddy: String,
}

/// Image tags of what the components need but the matrix does not vary.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    pub postgres: String,
    pub redis: String,
    /// The official Keycloak image's tag, for cases with `stack.idp: keycloak` (the native backend runs
    /// `keycloak::DEFAULT_VERSION` from Maven Central).
    #[serde(default = "default_keycloak")]
    pub keycloak: String,
}

fn default_keycloak() -> String {
    crate::keycloak::DEFAULT_VERSION.to_owned()
}

impl Versions {
    /// The set used when none is named: the first in the file.
    pub fn default_set(&self) -> &VersionSet {
        &self.sets[0]
    }

    /// The set called `name`; the error names the sets and the nearest one.
    pub fn set(&self, name: &str) -> Result<&VersionSet, String> {
        self.sets.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.sets.iter().map(|s| s.name.as_str()).collect();
            let help = suggest::help(name, &names).unwrap_or_default();
            format!("no version set `{name}`: {help}")
        })
    }
}

impl VersionSet {
    /// authentik releases before 2025.10 keep sessions, cache and tasks in redis; later ones only need postgres.
    pub fn authentik_needs_redis(&self) -> bool {
        year_minor(&self.authentik).is_some_and(|v| v < AUTHENTIK_WITHOUT_REDIS)
    }
}

/// `2025.8.4` → `(2025, 8)`, compared as numbers (so 2025.8 < 2025.10).
fn year_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.').map(str::parse::<u32>);
    Some((parts.next()?.ok()?, parts.next()?.ok()?))
}

/// Reads and loads the versions file; `path` is shown in diagnostics as given.
pub fn load_path(path: &Path) -> Result<Versions, Vec<Diagnostic>> {
    load(&SourceFile::read(path, "versions file")?)
}

/// Loads a versions file: the shape (unknown and missing keys, types), then every set's name and versions.
pub fn load(file: &SourceFile) -> Result<Versions, Vec<Diagnostic>> {
    let (root, map) =
        yaml::parse(&file.text).map_err(|e| vec![Diagnostic::at(file, Some(e.span), e.message)])?;
    let versions: Versions =
        typed::from_value(&root, "", file, &map).map_err(|d| vec![quote_numbers(d)])?;
    let errors = check(&versions, file, &map);
    if errors.is_empty() {
        Ok(versions)
    } else {
        Err(errors)
    }
}

/// YAML reads `caddy: 2.10` as the number 2.1: say so, and how to write it.
fn quote_numbers(d: Diagnostic) -> Diagnostic {
    let Some(span) = d.span else { return d };
    if !d.message.contains("has the wrong type") || !d.message.contains("expected a string") {
        return d;
    }
    let written: String = d
        .line_text
        .chars()
        .skip(span.column - 1)
        .take(span.width)
        .collect();
    let help = format!(
        "versions are text: write `\"{written}\"` in quotes (unquoted, YAML reads it as a number)"
    );
    d.with_help(Some(help))
}

fn check(versions: &Versions, file: &SourceFile, map: &SourceMap) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let value_at = |pointer: &str| map.get(pointer).map(|o| o.value);
    if versions.sets.is_empty() {
        errors.push(
            Diagnostic::at(file, value_at("/sets"), "`sets` is empty").with_help(Some(
                "add at least one version set: the first is the default".into(),
            )),
        );
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, set) in versions.sets.iter().enumerate() {
        let at = format!("/sets/{i}");
        let name_span = value_at(&format!("{at}/name"));
        if let Err(message) = check_set_name(&set.name) {
            errors.push(Diagnostic::at(file, name_span, message));
        } else if let Some(first) = seen.insert(&set.name, i) {
            let first_line = value_at(&format!("/sets/{first}/name")).map_or(0, |s| s.line);
            errors.push(
                Diagnostic::at(
                    file,
                    name_span,
                    format!("duplicate version set name `{}`", set.name),
                )
                .with_help(Some(format!(
                    "sets[{first}] (line {first_line}) already has it; names must be unique"
                ))),
            );
        }
        let fields = [
            ("opensearch", &set.opensearch, Kind::Release),
            ("dashboards", &set.dashboards, Kind::Release),
            ("authentik", &set.authentik, Kind::Authentik),
            ("caddy", &set.caddy, Kind::Caddy),
        ];
        for (field, version, kind) in fields {
            if let Err(message) = kind.check(version) {
                errors.push(
                    Diagnostic::at(
                        file,
                        value_at(&format!("{at}/{field}")),
                        format!("`sets[{i}].{field}`: `{version}` {message}"),
                    )
                    .with_help(Some(format!("write it like `{}`", kind.example()))),
                );
            }
        }
    }
    for (field, tag) in [
        ("postgres", &versions.support.postgres),
        ("redis", &versions.support.redis),
    ] {
        if !is_image_tag(tag) {
            errors.push(
                Diagnostic::at(
                    file,
                    value_at(&format!("/support/{field}")),
                    format!("`support.{field}`: `{tag}` is not an image tag"),
                )
                .with_help(Some(
                    "a tag is letters, digits, `_`, `.` and `-`, e.g. `16-alpine`".into(),
                )),
            );
        }
    }
    errors
}

fn check_set_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the version set name is empty".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(*c)))
    {
        Some(c) => Err(format!(
            "version set name `{name}` contains `{c}`; use lower-case letters, digits, `.` and `-` (it names report folders and CI jobs)"
        )),
        None => Ok(()),
    }
}

/// How a component numbers its releases (and so which image tags exist).
#[derive(Clone, Copy)]
enum Kind {
    /// OpenSearch and Dashboards: `MAJOR.MINOR.PATCH`.
    Release,
    /// authentik: `YEAR.MINOR.PATCH` (the image also has `YEAR.MINOR` tags).
    Authentik,
    /// Caddy: `MAJOR.MINOR` (the image's floating tag) or `MAJOR.MINOR.PATCH`.
    Caddy,
}

impl Kind {
    fn check(self, version: &str) -> Result<(), &'static str> {
        let parts: Vec<&str> = version.split('.').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err("is not a version: numbers separated by `.`");
        }
        match self {
            Kind::Release if parts.len() != 3 => Err("needs three parts (MAJOR.MINOR.PATCH)"),
            Kind::Authentik if parts[0].len() != 4 => {
                Err("starts with the release year (YEAR.MINOR.PATCH)")
            }
            Kind::Authentik | Kind::Caddy if !(2..=3).contains(&parts.len()) => {
                Err("needs two or three parts")
            }
            _ => Ok(()),
        }
    }

    fn example(self) -> &'static str {
        match self {
            Kind::Release => "2.19.4",
            Kind::Authentik => "2025.12.4",
            Kind::Caddy => "\"2.10\"",
        }
    }
}

/// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn is_image_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && tag.len() <= 128
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
sets:
  - name: os-2.19
    opensearch: 2.19.4
    dashboards: 2.19.4
    authentik: 2025.8.4
    caddy: \"2.10\"
  - name: os-3.2
    opensearch: 3.2.0
    dashboards: 3.2.0
    authentik: 2025.12.4
    caddy: \"2.10\"
support:
  postgres: 16-alpine
  redis: 7-alpine
";

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "versions.yaml".into(),
            text: text.into(),
        }
    }

    /// The headline and help of the first error of `text`.
    fn first_error(text: &str) -> (String, Option<String>) {
        let e = load(&file(text)).unwrap_err();
        (e[0].headline(), e[0].help.clone())
    }

    #[test]
    fn a_good_file_loads_in_order_and_the_first_set_is_the_default() {
        let v = load(&file(GOOD)).unwrap();
        assert_eq!(v.sets.len(), 2);
        assert_eq!(v.default_set().name, "os-2.19");
        assert_eq!(v.sets[1].opensearch, "3.2.0");
        assert_eq!(v.sets[0].caddy, "2.10");
        assert_eq!(v.support.postgres, "16-alpine");
        assert_eq!(v.set("os-3.2").unwrap().authentik, "2025.12.4");
    }

    #[test]
    fn an_unknown_set_is_named_with_the_nearest() {
        let v = load(&file(GOOD)).unwrap();
        assert_eq!(
            v.set("os-3.3").unwrap_err(),
            "no version set `os-3.3`: did you mean `os-3.2`? (expected one of `os-2.19`, `os-3.2`)"
        );
    }

    #[test]
    fn redis_before_2025_10_compared_as_numbers() {
        let with = |authentik: &str| VersionSet {
            name: "x".into(),
            opensearch: "3.2.0".into(),
            dashboards: "3.2.0".into(),
            authentik: authentik.into(),
            caddy: "2.10".into(),
        };
        assert!(with("2025.8.4").authentik_needs_redis());
        assert!(with("2025.9").authentik_needs_redis());
        assert!(with("2024.12.3").authentik_needs_redis());
        assert!(!with("2025.10.0").authentik_needs_redis());
        assert!(!with("2025.12.4").authentik_needs_redis());
        assert!(!with("2026.2.1").authentik_needs_redis());
    }

    #[test]
    fn an_unknown_key_is_located_with_a_suggestion() {
        let text = GOOD.replace("    authentik: 2025.8.4", "    authentic: 2025.8.4");
        let (headline, help) = first_error(&text);
        assert_eq!(
            headline,
            "versions.yaml:5:5: unknown field `authentic` in `sets[0]`"
        );
        assert!(
            help.unwrap().starts_with("did you mean `authentik`?"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_top_level_key_is_located() {
        let (headline, help) = first_error(&format!("{GOOD}suport: {{}}\n"));
        assert_eq!(
            headline,
            "versions.yaml:15:1: unknown field `suport` in the top level"
        );
        assert!(help.unwrap().starts_with("did you mean `support`?"));
    }

    #[test]
    fn a_missing_key_is_named() {
        let text = GOOD.replace("    dashboards: 3.2.0\n", "");
        let (headline, help) = first_error(&text);
        assert_eq!(
            headline,
            "versions.yaml:7:5: missing field `dashboards` in `sets[1]`"
        );
        assert_eq!(help.as_deref(), Some("add `dashboards:`"));
    }

    #[test]
    fn duplicate_names_point_at_the_second_and_name_the_first() {
        let text = GOOD.replace("name: os-3.2", "name: os-2.19");
        let e = load(&file(&text)).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].headline(),
            "versions.yaml:7:11: duplicate version set name `os-2.19`"
        );
        assert_eq!(
            e[0].help.as_deref(),
            Some("sets[0] (line 2) already has it; names must be unique")
        );
    }

    #[test]
    fn bad_names_and_versions_are_each_located() {
        let text = GOOD
            .replace("name: os-3.2", "name: OS_3.2")
            .replace("opensearch: 2.19.4", "opensearch: \"2.19\"")
            .replace("authentik: 2025.12.4", "authentik: 25.12.4")
            .replace("postgres: 16-alpine", "postgres: \"16 alpine\"");
        let headlines: Vec<String> = load(&file(&text))
            .unwrap_err()
            .iter()
            .map(Diagnostic::headline)
            .collect();
        assert_eq!(
            headlines,
            [
                "versions.yaml:3:17: `sets[0].opensearch`: `2.19` needs three parts (MAJOR.MINOR.PATCH)",
                "versions.yaml:7:11: version set name `OS_3.2` contains `O`; use lower-case letters, digits, `.` and `-` (it names report folders and CI jobs)",
                "versions.yaml:10:16: `sets[1].authentik`: `25.12.4` starts with the release year (YEAR.MINOR.PATCH)",
                "versions.yaml:13:13: `support.postgres`: `16 alpine` is not an image tag",
            ]
        );
    }

    #[test]
    fn an_unquoted_caddy_version_is_a_number_and_the_help_says_to_quote_it() {
        let text = GOOD.replacen("caddy: \"2.10\"", "caddy: 2.10", 1);
        let (headline, help) = first_error(&text);
        assert_eq!(
            headline,
            "versions.yaml:6:12: `sets[0].caddy` has the wrong type: floating point `2.1`, expected a string"
        );
        assert_eq!(
            help.as_deref(),
            Some(
                "versions are text: write `\"2.10\"` in quotes (unquoted, YAML reads it as a number)"
            )
        );
    }

    #[test]
    fn no_sets_is_an_error() {
        let (headline, _) = first_error("sets: []\nsupport: {postgres: a, redis: b}\n");
        assert_eq!(headline, "versions.yaml:1:7: `sets` is empty");
    }

    #[test]
    fn a_yaml_syntax_error_is_located() {
        let (headline, _) = first_error("sets:\n  - name: [\n");
        assert!(headline.starts_with("versions.yaml:3:"), "{headline}");
    }

    #[test]
    fn the_committed_file_loads_with_the_sets_the_matrix_promises() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(DEFAULT_PATH);
        let v = load_path(&path).unwrap_or_else(|e| panic!("{}", e[0]));
        let names: Vec<&str> = v.sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["os-2.19", "os-3.2", "os-3.3", "os-3.8"]);
        assert_eq!(v.default_set().opensearch, "2.19.4");
        // The version of the original report, and a release on each side of authentik's redis removal.
        assert_eq!(v.set("os-3.2").unwrap().opensearch, "3.2.0");
        assert!(v.sets.iter().any(VersionSet::authentik_needs_redis));
        assert!(!v.sets.iter().all(VersionSet::authentik_needs_redis));
    }
}
