//! Where things are in a scenario file, and how an error about them is shown.
//!
//! A scenario is handled as a JSON document (so variants can edit it with JSON Pointers). Every node that a file
//! wrote keeps its place in that file under its pointer in a [`SourceMap`]; errors found later — while
//! deserialising, expanding variants or checking placeholders — are given a pointer and find their line here.

use std::collections::BTreeMap;
use std::fmt;

/// A place in a file: 1-based line and column (in characters), and how many characters to underline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub width: usize,
}

impl Span {
    pub const START: Span = Span {
        line: 1,
        column: 1,
        width: 1,
    };

    /// The same line, `offset` characters further right, `width` wide (e.g. a placeholder inside a string).
    pub fn shifted(self, offset: usize, width: usize) -> Span {
        Span {
            line: self.line,
            column: self.column + offset,
            width: width.max(1),
        }
    }
}

/// Where one node came from: its mapping key (if it has one) and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub key: Option<Span>,
    pub value: Span,
}

impl Origin {
    /// The span an error about the node's *name* should point at: the key, or the value for list items.
    pub fn name(&self) -> Span {
        self.key.unwrap_or(self.value)
    }
}

/// JSON Pointer → [`Origin`], for the nodes of one document.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    origins: BTreeMap<String, Origin>,
}

impl SourceMap {
    pub fn insert(&mut self, pointer: String, origin: Origin) {
        self.origins.insert(pointer, origin);
    }

    pub fn get(&self, pointer: &str) -> Option<Origin> {
        self.origins.get(pointer).copied()
    }

    /// The origin of `pointer`, or of its nearest ancestor that the file wrote (defaults have no origin).
    pub fn locate(&self, pointer: &str) -> Option<Origin> {
        let mut p = pointer;
        loop {
            if let Some(o) = self.origins.get(p) {
                return Some(*o);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Makes the subtree at `to` point at where the subtree `from` of `source` was written: a variant that sets
    /// `to` to a value keeps that value's place in the file for later errors.
    pub fn graft(&mut self, source: &SourceMap, from: &str, to: &str) {
        self.remove_subtree(to);
        let key_origin = source.get(from);
        for (p, o) in source.subtree(from) {
            let rebased = format!("{to}{}", &p[from.len()..]);
            self.origins.insert(rebased, o);
        }
        // The pointer itself names the node: its key span is the `set` entry's key.
        if let Some(o) = key_origin {
            self.origins.insert(to.to_owned(), o);
        }
    }

    /// The first node the file wrote at `pointer` or below it (defaults have no origin), with its pointer.
    pub fn first_written(&self, pointer: &str) -> Option<(String, Origin)> {
        self.subtree(pointer).next().map(|(p, o)| (p.clone(), o))
    }

    pub fn remove_subtree(&mut self, pointer: &str) {
        let doomed: Vec<String> = self.subtree(pointer).map(|(p, _)| p.clone()).collect();
        for p in doomed {
            self.origins.remove(&p);
        }
    }

    fn subtree<'a>(&'a self, pointer: &'a str) -> impl Iterator<Item = (&'a String, Origin)> + 'a {
        self.origins
            .range(pointer.to_owned()..)
            .take_while(move |(p, _)| p.starts_with(pointer))
            .filter(move |(p, _)| p.len() == pointer.len() || p[pointer.len()..].starts_with('/'))
            .map(|(p, o)| (p, *o))
    }
}

/// A scenario file as read: the name it is shown under and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

impl SourceFile {
    /// Reads `path` (shown in diagnostics as given); `what` names the file in the error, e.g. "scenario file".
    /// The error is a list, as every loader's.
    pub fn read(path: &std::path::Path, what: &str) -> Result<SourceFile, Vec<Diagnostic>> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(SourceFile { path: shown, text }),
            Err(e) => Err(vec![Diagnostic {
                path: shown,
                span: None,
                message: format!("cannot read the {what}: {e}"),
                help: None,
                line_text: String::new(),
            }]),
        }
    }
}

/// An error in a scenario file, shown the way compilers show them:
///
/// ```text
/// scenarios/x.yaml:12:5: unknown field `encrypton_key` in `idp.provider`
///    |
/// 12 |     encrypton_key: true
///    |     ^^^^^^^^^^^^^
///    = help: did you mean `encryption_key`?
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
    /// The text of the line the span is on (empty without a span).
    pub line_text: String,
}

impl Diagnostic {
    pub fn at(file: &SourceFile, span: Option<Span>, message: impl Into<String>) -> Self {
        let line_text = span
            .and_then(|s| file.text.lines().nth(s.line - 1))
            .unwrap_or_default()
            .to_owned();
        Diagnostic {
            path: file.path.clone(),
            span,
            message: message.into(),
            help: None,
            line_text,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// The first line: `path:line:column: message`.
    pub fn headline(&self) -> String {
        match self.span {
            Some(s) => format!("{}:{}:{}: {}", self.path, s.line, s.column, self.message),
            None => format!("{}: {}", self.path, self.message),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.headline())?;
        if let Some(s) = self.span {
            let gutter = " ".repeat(s.line.to_string().len());
            let indent = " ".repeat(s.column - 1);
            write!(
                f,
                "\n{gutter} |\n{} | {}\n{gutter} | {indent}{}",
                s.line,
                self.line_text,
                "^".repeat(s.width)
            )?;
            if let Some(h) = &self.help {
                write!(f, "\n{gutter} = help: {h}")?;
            }
        } else if let Some(h) = &self.help {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

/// Turns a JSON Pointer into the dotted path users read in messages: `/idp/provider/slug` → `idp.provider.slug`,
/// `/steps/0/login` → `steps[0].login`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    if out.is_empty() {
        "the document".to_owned()
    } else {
        out
    }
}

/// Escapes one JSON Pointer reference token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(line: usize) -> Origin {
        Origin {
            key: None,
            value: Span {
                line,
                column: 1,
                width: 1,
            },
        }
    }

    #[test]
    fn locate_falls_back_to_the_nearest_written_ancestor() {
        let mut m = SourceMap::default();
        m.insert("/idp".into(), o(3));
        m.insert("/idp/provider".into(), o(4));
        assert_eq!(m.locate("/idp/provider/slug").unwrap().value.line, 4);
        assert_eq!(m.locate("/idpx").map(|o| o.value.line), None);
        assert_eq!(m.locate("/stack"), None);
    }

    #[test]
    fn graft_rebases_a_subtree_and_drops_what_was_there() {
        let mut source = SourceMap::default();
        source.insert("/variants/0/set/~1a".into(), o(10));
        source.insert("/variants/0/set/~1a/b".into(), o(11));
        let mut m = SourceMap::default();
        m.insert("/a".into(), o(1));
        m.insert("/a/old".into(), o(2));
        m.insert("/ab".into(), o(3));
        m.graft(&source, "/variants/0/set/~1a", "/a");
        assert_eq!(m.get("/a").unwrap().value.line, 10);
        assert_eq!(m.get("/a/b").unwrap().value.line, 11);
        assert_eq!(m.get("/a/old"), None);
        assert_eq!(m.get("/ab").unwrap().value.line, 3);
    }

    #[test]
    fn dotted_paths_read_like_yaml() {
        assert_eq!(dotted("/idp/provider/slug"), "idp.provider.slug");
        assert_eq!(dotted("/steps/0/login"), "steps[0].login");
        assert_eq!(dotted("/variants/1/set/~1idp~1x"), "variants[1].set./idp/x");
        assert_eq!(dotted(""), "the document");
    }

    #[test]
    fn a_diagnostic_starts_with_the_compiler_location_and_underlines_the_span() {
        let file = SourceFile {
            path: "s.yaml".into(),
            text: "a: 1\n  encrypton_key: true\n".into(),
        };
        let d = Diagnostic::at(
            &file,
            Some(Span {
                line: 2,
                column: 3,
                width: 13,
            }),
            "unknown field",
        )
        .with_help(Some("did you mean `encryption_key`?".into()));
        assert_eq!(
            d.to_string(),
            "s.yaml:2:3: unknown field\n  |\n2 |   encrypton_key: true\n  |   ^^^^^^^^^^^^^\n  = help: did you mean `encryption_key`?"
        );
    }
}
