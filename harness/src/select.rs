//! Choosing scenario files and cases from the command line: `PATH|NAME…` and `--variant GLOB`.

use std::path::{Path, PathBuf};

use wildmatch::WildMatch;

use crate::scenario::{self, Case, Diagnostic, Scenario};

/// What the user named: files, folders of files, or scenario names looked up in `dir`.
pub fn files(args: &[String], dir: &Path) -> Result<Vec<PathBuf>, String> {
    if args.is_empty() {
        let all =
            scenario::files_in(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        return Ok(all.iter().map(|p| shown(p)).collect());
    }
    let mut out = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if path.is_dir() {
            out.extend(scenario::files_in(path).map_err(|e| format!("cannot list {arg}: {e}"))?);
        } else if path.is_file() {
            out.push(path.to_owned());
        } else {
            out.push(by_name(arg, dir)?);
        }
    }
    Ok(out.into_iter().map(|p| shown(&p)).collect())
}

/// `path` as a person reads it in messages: relative to the current folder when it is under it.
fn shown(path: &Path) -> PathBuf {
    let absolute = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    match std::env::current_dir()
        .ok()
        .and_then(|cwd| absolute.strip_prefix(cwd).ok().map(Path::to_owned))
    {
        Some(relative) => relative,
        None => absolute,
    }
}

/// A scenario name: a file stem in `dir`, or a file whose `name:` says so.
fn by_name(name: &str, dir: &Path) -> Result<PathBuf, String> {
    let known =
        scenario::files_in(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    if let Some(p) = known
        .iter()
        .find(|p| p.file_stem().is_some_and(|s| s == name))
    {
        return Ok(p.clone());
    }
    let (scenarios, _) = scenario::load_all(&known);
    if let Some(s) = scenarios.iter().find(|s| s.name == name) {
        return Ok(PathBuf::from(&s.path));
    }
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    Err(format!(
        "`{name}` is neither a file nor a scenario in {} (scenarios: {})",
        dir.display(),
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    ))
}

/// Loads `paths`, returning the scenarios and every diagnostic.
pub fn load(paths: &[PathBuf]) -> (Vec<Scenario>, Vec<Diagnostic>) {
    scenario::load_all(paths)
}

/// Exactly one case: of the scenario `target` (a file or name; `None`: the format's defaults) whose variant matches
/// `variant`. The error lists the candidates when several match.
pub fn one_case(target: Option<&str>, variant: Option<&str>, dir: &Path) -> Result<Case, String> {
    let scenarios = match target {
        Some(t) => {
            let (scenarios, errors) = load(&files(&[t.to_owned()], dir)?);
            if !errors.is_empty() {
                return Err(errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n\n"));
            }
            scenarios
        }
        None => {
            let text = "name: defaults\nexpect: { login: success }\n";
            vec![
                scenario::load(&scenario::SourceFile {
                    path: "(defaults)".into(),
                    text: text.into(),
                })
                .map_err(|e| e[0].to_string())?,
            ]
        }
    };
    let mut cases: Vec<Case> = scenarios
        .into_iter()
        .flat_map(|s| s.cases)
        .filter(|c| matches(c, variant))
        .collect();
    match cases.len() {
        1 => Ok(cases.remove(0)),
        0 => Err(format!(
            "no case matches `--variant {}`",
            variant.unwrap_or("*")
        )),
        n => {
            let names: Vec<String> = cases.iter().map(|c| c.name()).collect();
            Err(format!(
                "{n} cases match; choose one with --variant:\n  {}",
                names.join("\n  ")
            ))
        }
    }
}

/// Whether a case's variant matches `glob` (`*` wildcards; `None` matches everything).
pub fn matches(case: &Case, glob: Option<&str>) -> bool {
    match (glob, &case.variant) {
        (None, _) => true,
        (Some(g), Some(v)) => WildMatch::new(g).matches(v),
        (Some(g), None) => g == "*",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SourceFile;

    fn cases() -> Vec<Case> {
        let text = "expect: { login: success }\nmatrix:\n  jwe: { \"on\": {}, \"off\": {} }\n  k: { a: {}, b: {} }\n";
        scenario::load(&SourceFile {
            path: "m.yaml".into(),
            text: text.into(),
        })
        .unwrap()
        .cases
    }

    #[test]
    fn variant_globs_match_with_stars() {
        let all = cases();
        let names = |g: Option<&str>| {
            all.iter()
                .filter(|c| matches(c, g))
                .map(|c| c.variant.clone().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(Some("jwe=on,*")), ["jwe=on,k=a", "jwe=on,k=b"]);
        assert_eq!(names(Some("*k=b")), ["jwe=on,k=b", "jwe=off,k=b"]);
        assert_eq!(names(None).len(), 4);
        assert!(names(Some("nothing")).is_empty());
    }
}
