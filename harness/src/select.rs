//! Choosing scenario files and cases from the command line: `PATH|NAME…`, `--variant GLOB` and `--partition K/N`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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

/// `--partition K/N`: the K-th (1-based) of N slices of the selected cases. The harness's one sharding mechanism: the
/// CI matrix runs each slice in its own job (nextest's partitions are not used for it).
///
/// Slices are contiguous runs of the selection, in file order, their sizes differing by at most one. Contiguous
/// rather than round-robin because the cases of a scenario file mostly share their `opensearch.yml` and trust
/// settings, so keeping them on one machine keeps restarts rare there; the slice a case lands in depends only on
/// the selection (files, `--variant`), never on the order `e2e` later runs them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Partition {
    /// The whole selection as one slice.
    pub const WHOLE: Partition = Partition { index: 1, count: 1 };

    /// All `count` partitions, in order.
    pub fn all(count: usize) -> impl Iterator<Item = Partition> {
        (1..=count).map(move |index| Partition { index, count })
    }

    /// This partition's slice of `items`: `items[(K-1)·len/N .. K·len/N]`.
    pub fn of<T>(self, items: &[T]) -> &[T] {
        &items[self.range(items.len())]
    }

    /// The positions this partition takes of `len` items.
    pub fn range(self, len: usize) -> std::ops::Range<usize> {
        (self.index - 1) * len / self.count..self.index * len / self.count
    }

    /// `K` of `N` as folder names take it: `1of3`.
    pub fn slug(self) -> String {
        format!("{}of{}", self.index, self.count)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let number = |t: &str| t.trim().parse::<usize>().ok();
        let Some((index, count)) = s
            .split_once('/')
            .and_then(|(k, n)| Some((number(k)?, number(n)?)))
        else {
            return Err(format!(
                "`{s}` is not a partition: write K/N (the K-th of N slices, counting from 1), e.g. 1/3"
            ));
        };
        if count == 0 {
            return Err(format!(
                "`{s}`: N is the number of slices and must be at least 1"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{s}`: K counts from 1 to N; partition {index} of {count} does not exist"
            ));
        }
        Ok(Partition { index, count })
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

    #[test]
    fn partitions_parse_and_refuse_what_does_not_exist() {
        assert_eq!(
            "2/3".parse::<Partition>(),
            Ok(Partition { index: 2, count: 3 })
        );
        assert_eq!("1/1".parse::<Partition>(), Ok(Partition::WHOLE));
        assert_eq!(
            "0/2".parse::<Partition>().unwrap_err(),
            "`0/2`: K counts from 1 to N; partition 0 of 2 does not exist"
        );
        assert_eq!(
            "3/2".parse::<Partition>().unwrap_err(),
            "`3/2`: K counts from 1 to N; partition 3 of 2 does not exist"
        );
        assert_eq!(
            "1/0".parse::<Partition>().unwrap_err(),
            "`1/0`: N is the number of slices and must be at least 1"
        );
        for bad in ["2", "a/b", "1/2/3", "-1/2", "", "1of2"] {
            assert!(
                bad.parse::<Partition>().unwrap_err().contains("write K/N"),
                "{bad}"
            );
        }
        assert_eq!(Partition { index: 2, count: 3 }.to_string(), "2/3");
        assert_eq!(Partition { index: 2, count: 3 }.slug(), "2of3");
    }

    #[test]
    fn every_item_lands_in_exactly_one_contiguous_slice_of_balanced_size() {
        for len in 0..20 {
            let items: Vec<usize> = (0..len).collect();
            for count in 1..=7 {
                let slices: Vec<&[usize]> = Partition::all(count).map(|p| p.of(&items)).collect();
                assert_eq!(slices.concat(), items, "{len} items in {count}");
                let sizes: Vec<usize> = slices.iter().map(|s| s.len()).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(max - min <= 1, "{len} in {count}: {sizes:?}");
            }
        }
    }

    #[test]
    fn slices_depend_only_on_the_selection() {
        let all = cases();
        let names = |p: &str| {
            p.parse::<Partition>()
                .unwrap()
                .of(&all)
                .iter()
                .map(Case::name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("1/2"), ["m/jwe=on,k=a", "m/jwe=on,k=b"]);
        assert_eq!(names("2/2"), ["m/jwe=off,k=a", "m/jwe=off,k=b"]);
        assert_eq!(names("3/3"), ["m/jwe=off,k=a", "m/jwe=off,k=b"]);
        assert_eq!(names("1/3"), ["m/jwe=on,k=a"]);
    }
}
