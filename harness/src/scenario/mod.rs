//! Scenario files, format v1 (`docs/scenario-format.md`): load, check and expand into [`Case`]s.
//!
//! Flow: YAML → JSON document + [`SourceMap`] → defaults laid under it → one document per variant / matrix cell
//! (JSON Pointer edits) → typed [`Document`] + merged [`Expect`]. Every error is a [`Diagnostic`] that names the
//! file, line and column.

mod checks;
mod defaults;
mod model;
pub mod placeholder;
mod pointer;
pub(crate) mod source;
pub(crate) mod suggest;
pub(crate) mod typed;
pub(crate) mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use model::*;
pub use source::{Diagnostic, SourceFile, Span};
use source::{SourceMap, escape_token};

/// One loaded scenario file and the cases it expands to.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub path: String,
    pub title: Option<String>,
    pub cases: Vec<Case>,
}

/// One run of the stack: a scenario, or one of its variants / matrix cells.
#[derive(Clone, Debug)]
pub struct Case {
    pub scenario: String,
    /// `None` for a scenario without variants; matrix cells are named `axis=value,…`.
    pub variant: Option<String>,
    pub document: Document,
    pub expect: Expect,
}

impl Case {
    /// `<scenario>/<variant>`, or `<scenario>`.
    pub fn name(&self) -> String {
        case_name(&self.scenario, self.variant.as_deref())
    }

    /// `<scenario>@<variant>`, or `<scenario>`: the case as a file name — its report folder, its snapshots, its
    /// row in the summary (which reads it back from results.json the same way, `run::CaseResult::key`).
    pub fn key(&self) -> String {
        case_key(&self.scenario, self.variant.as_deref())
    }
}

/// A case's name for people: `<scenario>/<variant>`, or `<scenario>` (also of a case read back from a report).
pub fn case_name(scenario: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{scenario}/{v}"),
        None => scenario.to_owned(),
    }
}

/// A case's name as a file name: `<scenario>@<variant>`, or `<scenario>`.
pub fn case_key(scenario: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{scenario}@{v}"),
        None => scenario.to_owned(),
    }
}

/// The top-level fields of a file; those after `steps` define cases rather than the stack.
const TOP_LEVEL: &[&str] = &[
    "name",
    "title",
    "reference",
    "stack",
    "requires",
    "idp",
    "opensearch",
    "dashboards",
    "steps",
    "expect",
    "variants",
    "matrix",
    "expect_rules",
];
const CASE_DEFINITIONS: &[&str] = &["name", "expect", "variants", "matrix", "expect_rules"];

/// Reads and loads one file; `path` is shown in diagnostics as given.
pub fn load_path(path: &Path) -> Result<Scenario, Vec<Diagnostic>> {
    load(&SourceFile::read(path, "scenario file")?)
}

/// Loads several files and checks that scenario names are unique among them.
pub fn load_all(paths: &[impl AsRef<Path>]) -> (Vec<Scenario>, Vec<Diagnostic>) {
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match load_path(p.as_ref()) {
            Ok(s) => match scenarios.iter().find(|o| o.name == s.name) {
                Some(first) => {
                    let text = std::fs::read_to_string(p.as_ref()).unwrap_or_default();
                    let file = SourceFile {
                        path: s.path.clone(),
                        text,
                    };
                    let span = yaml::parse(&file.text)
                        .ok()
                        .and_then(|(_, m)| m.get("/name"))
                        .map(|o| o.value);
                    errors.push(
                        Diagnostic::at(
                            &file,
                            span,
                            format!("duplicate scenario name `{}`", s.name),
                        )
                        .with_help(Some(format!(
                            "`{}` already uses it; set a unique `name:`",
                            first.path
                        ))),
                    );
                }
                None => scenarios.push(s),
            },
            Err(e) => errors.extend(e),
        }
    }
    (scenarios, errors)
}

/// Loads one scenario file.
pub fn load(file: &SourceFile) -> Result<Scenario, Vec<Diagnostic>> {
    let one = |d: Diagnostic| vec![d];
    let (root, map) =
        yaml::parse(&file.text).map_err(|e| one(Diagnostic::at(file, Some(e.span), e.message)))?;
    let Value::Object(fields) = &root else {
        return Err(one(Diagnostic::at(
            file,
            map.get("").map(|o| o.value),
            "a scenario file is a YAML mapping (`name:`, `stack:`, `steps:`, …)",
        )));
    };
    if let Some(key) = fields.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
        let span = map
            .get(&format!("/{}", escape_token(key)))
            .map(|o| o.name());
        return Err(one(Diagnostic::at(
            file,
            span,
            format!("unknown field `{key}` at the top level"),
        )
        .with_help(suggest::help(key, TOP_LEVEL))));
    }
    let defs: CaseDefinitions =
        typed::from_value(&Value::Object(definitions(fields)), "", file, &map).map_err(one)?;
    let name = match defs.name.clone() {
        Some(n) => n,
        None => Path::new(&file.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if let Err(message) = check_name(&name, "scenario") {
        return Err(one(Diagnostic::at(
            file,
            map.get("/name").map(|o| o.value),
            message,
        )));
    }

    let mut base_fields = fields.clone();
    base_fields.retain(|k, _| !CASE_DEFINITIONS.contains(&k.as_str()));
    let base = defaults::apply(&Value::Object(base_fields));
    let document: Document = typed::from_value(&base, "", file, &map).map_err(one)?;
    let diagnostics = checks::document(&base, &document, file, &map);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    let specs = case_specs(&defs, file, &map)?;
    let mut cases = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    for spec in specs {
        match spec.build(&base, &map, &root, file) {
            Ok(document) => {
                let expect = defs
                    .expect
                    .clone()
                    .unwrap_or_default()
                    .overridden_by(&spec.expect.clone().unwrap_or_default());
                if expect.is_empty() {
                    let span = map.get(&spec.at).map(|o| o.name()).or(Some(Span::START));
                    let what = spec
                        .variant
                        .as_deref()
                        .map_or("this scenario".to_owned(), |v| format!("case `{v}`"));
                    errors.push(Diagnostic::at(file, span, format!("{what} has no expectation"))
                        .with_help(Some("add `expect:` (at the top level, to the variant, or an `expect_rules` entry that matches)".into())));
                }
                cases.push(Case {
                    scenario: name.clone(),
                    variant: spec.variant,
                    document,
                    expect,
                });
            }
            Err(d) => errors.extend(d),
        }
    }
    errors.dedup_by(|a, b| a.headline() == b.headline());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Scenario {
        name,
        path: file.path.clone(),
        title: cases.first().and_then(|c| c.document.title.clone()),
        cases,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseDefinitions {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    variants: Vec<Variant>,
    #[serde(default)]
    matrix: Option<Matrix>,
    #[serde(default)]
    expect_rules: Option<Vec<ExpectRule>>,
}

fn definitions(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .filter(|(k, _)| CASE_DEFINITIONS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Names become folder and test names: keep them to characters that are safe everywhere.
fn check_name(name: &str, what: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("the {what} name is empty"));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.=,".contains(*c)))
    {
        Some(c) => Err(format!(
            "{what} name `{name}` contains `{c}`; use letters, digits, `-`, `_` and `.`"
        )),
        None => Ok(()),
    }
}

/// One case to build: edits of the base document and its own expectation.
struct CaseSpec {
    variant: Option<String>,
    /// Pointer (in the file) of what defines the case, for errors about the case as a whole.
    at: String,
    edits: Vec<Edit>,
    expect: Option<Expect>,
}

enum Edit {
    /// Set `pointer` to the value written at `from` (a pointer into the file).
    Set {
        pointer: String,
        from: String,
    },
    Unset {
        pointer: String,
        from: String,
    },
}

fn case_specs(
    defs: &CaseDefinitions,
    file: &SourceFile,
    map: &SourceMap,
) -> Result<Vec<CaseSpec>, Vec<Diagnostic>> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, v) in defs.variants.iter().enumerate() {
        let at = format!("/variants/{i}");
        let name_span = map.get(&format!("{at}/name")).map(|o| o.value);
        let problem = check_name(&v.name, "variant").err().or_else(|| {
            v.name.contains('=').then(|| {
                format!(
                    "variant name `{}` contains `=`, which is kept for matrix cells",
                    v.name
                )
            })
        });
        if let Some(message) = problem {
            errors.push(Diagnostic::at(file, name_span, message));
            continue;
        }
        if let Some(first) = seen.insert(&v.name, i) {
            errors.push(
                Diagnostic::at(
                    file,
                    name_span,
                    format!("duplicate variant name `{}`", v.name),
                )
                .with_help(Some(format!(
                    "variants[{first}] already has it; case names must be unique"
                ))),
            );
            continue;
        }
        let mut edits: Vec<Edit> = v
            .set
            .keys()
            .map(|p| Edit::Set {
                pointer: p.clone(),
                from: format!("{at}/set/{}", escape_token(p)),
            })
            .collect();
        edits.extend(v.unset.iter().enumerate().map(|(j, p)| Edit::Unset {
            pointer: p.clone(),
            from: format!("{at}/unset/{j}"),
        }));
        specs.push(CaseSpec {
            variant: Some(v.name.clone()),
            at,
            edits,
            expect: v.expect.clone(),
        });
    }

    if let Some(rules) = &defs.expect_rules {
        if defs.matrix.is_none() {
            let span = map.get("/expect_rules").map(|o| o.name());
            errors.push(
                Diagnostic::at(
                    file,
                    span,
                    "`expect_rules` apply to matrix cells, and this file has no `matrix`",
                )
                .with_help(Some(
                    "add a `matrix:` or give each variant its own `expect:`".into(),
                )),
            );
        }
        if let Some(matrix) = &defs.matrix {
            errors.extend(check_rules(rules, matrix, file, map));
        }
    }
    if let Some(matrix) = &defs.matrix {
        for (axis, values) in matrix {
            if values.is_empty() {
                let span = map
                    .get(&format!("/matrix/{}", escape_token(axis)))
                    .map(|o| o.name());
                errors.push(Diagnostic::at(
                    file,
                    span,
                    format!("matrix axis `{axis}` has no values"),
                ));
            }
        }
        if errors.is_empty() {
            specs.extend(cells(
                matrix,
                defs.expect_rules.as_deref().unwrap_or_default(),
            ));
        }
    }
    if defs.variants.is_empty() && defs.matrix.is_none() {
        specs.push(CaseSpec {
            variant: None,
            at: String::new(),
            edits: Vec::new(),
            expect: None,
        });
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}

fn check_rules(
    rules: &[ExpectRule],
    matrix: &Matrix,
    file: &SourceFile,
    map: &SourceMap,
) -> Vec<Diagnostic> {
    let axes: Vec<&str> = matrix.keys().map(String::as_str).collect();
    let mut errors = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        for (axis, value) in &rule.when {
            let at = format!("/expect_rules/{i}/when/{}", escape_token(axis));
            match matrix.get(axis) {
                None => errors.push(
                    Diagnostic::at(
                        file,
                        map.get(&at).map(|o| o.name()),
                        format!("`when` names `{axis}`, which is not a matrix axis"),
                    )
                    .with_help(suggest::help(axis, &axes)),
                ),
                Some(values) if !values.contains_key(value) => {
                    let names: Vec<&str> = values.keys().map(String::as_str).collect();
                    errors.push(
                        Diagnostic::at(
                            file,
                            map.get(&at).map(|o| o.value),
                            format!("matrix axis `{axis}` has no value `{value}`"),
                        )
                        .with_help(suggest::help(value, &names)),
                    );
                }
                Some(_) => {}
            }
        }
    }
    errors
}

/// The matrix's cells in file order (the last axis varies fastest), each with the first matching rule's expect.
fn cells(matrix: &Matrix, rules: &[ExpectRule]) -> Vec<CaseSpec> {
    let mut cells: Vec<Vec<(&String, &String)>> = vec![Vec::new()];
    for (axis, values) in matrix {
        cells = cells
            .into_iter()
            .flat_map(|cell| {
                values
                    .keys()
                    .map(move |v| [cell.clone(), vec![(axis, v)]].concat())
            })
            .collect();
    }
    cells
        .into_iter()
        .map(|cell| {
            let name = cell
                .iter()
                .map(|(a, v)| format!("{a}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            let edits = cell
                .iter()
                .flat_map(|(axis, value)| {
                    let at = format!("/matrix/{}/{}", escape_token(axis), escape_token(value));
                    matrix[*axis][*value].keys().map(move |p| Edit::Set {
                        pointer: p.clone(),
                        from: format!("{at}/{}", escape_token(p)),
                    })
                })
                .collect();
            let expect = rules
                .iter()
                .find(|r| {
                    r.when
                        .iter()
                        .all(|(a, v)| cell.iter().any(|(ca, cv)| *ca == a && *cv == v))
                })
                .map(|r| r.expect.clone());
            CaseSpec {
                variant: Some(name),
                at: "/matrix".into(),
                edits,
                expect,
            }
        })
        .collect()
}

impl CaseSpec {
    fn build(
        &self,
        base: &Value,
        base_map: &SourceMap,
        root: &Value,
        file: &SourceFile,
    ) -> Result<Document, Vec<Diagnostic>> {
        let mut doc = base.clone();
        let mut map = base_map.clone();
        for edit in &self.edits {
            let (from, result) = match edit {
                Edit::Set { pointer, from } => {
                    let value = root
                        .pointer(from)
                        .cloned()
                        .expect("edits point at values of the file");
                    let result = pointer::set(&mut doc, pointer, value);
                    if result.is_ok() {
                        map.graft(base_map, from, pointer);
                    }
                    (from, result)
                }
                Edit::Unset { pointer, from } => {
                    let result = pointer::unset(&mut doc, pointer);
                    if result.is_ok() {
                        map.remove_subtree(pointer);
                    }
                    (from, result)
                }
            };
            if let Err(e) = result {
                let span = base_map.get(from).map(|o| o.name());
                return Err(vec![
                    Diagnostic::at(file, span, e.message).with_help(e.help),
                ]);
            }
        }
        let document: Document = typed::from_value(&doc, "", file, &map).map_err(|d| vec![d])?;
        let errors = checks::document(&doc, &document, file, &map);
        if errors.is_empty() {
            Ok(document)
        } else {
            Err(errors)
        }
    }
}

/// The scenario files of a directory (`*.yaml`, `*.yml`), sorted by name.
pub fn files_in(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    Ok(files)
}

/// Any YAML document as JSON (for rendered files read back), with the parser's message on failure.
pub fn yaml_document(text: &str) -> Result<Value, String> {
    yaml::parse(text)
        .map(|(v, _)| v)
        .map_err(|e| format!("{}:{}: {}", e.span.line, e.span.column, e.message))
}
