//! `cargo xtask import`: the files a user posts (`config.yml`, `roles_mapping.yml`, `opensearch_dashboards.yml`, …,
//! recognised by name) → a scenario file (docs/scenario-format.md, "Importing a report's files"). Pure: the caller
//! reads the files and writes the result.
//!
//! The documents are kept as they are, except where the harness's own stack must stand in: host names and URLs
//! become placeholders, masked secrets (`***`) and password hashes generated ones, CA paths and PEM blocks the
//! run's CA; settings the harness owns (where Dashboards listens, its TLS, its log) are dropped. Every such change
//! is a comment beside the line, naming where the original was (file, line, column); what cannot be mapped is kept
//! as comments and reported. Its `expect` is `{ login: success }`: what the user wanted.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

use crate::scenario::source::{SourceMap, escape_token};
use crate::scenario::{Diagnostic, SourceFile, Span, yaml};

/// The identity provider the scenario is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idp {
    Authentik,
    Keycloak,
}

impl Idp {
    /// Its `stack.idp` value.
    pub fn wire(self) -> &'static str {
        match self {
            Idp::Authentik => "authentik",
            Idp::Keycloak => "keycloak",
        }
    }
}

/// What the import made: the scenario's text, and the notes (each `file:line:column: what`) also in its comments.
#[derive(Clone, Debug)]
pub struct Imported {
    pub scenario: String,
    pub notes: Vec<String>,
}

/// The kinds of file the import knows, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
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
    fn of(path: &str) -> Option<Kind> {
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
    fn pointer(self) -> Option<&'static str> {
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

/// The output being built: the scenario document, a comment per pointer, comment lines opening a mapping.
#[derive(Default)]
struct Out {
    doc: Map<String, Value>,
    comments: BTreeMap<String, String>,
    opening: BTreeMap<String, Vec<String>>,
    trailer: Vec<String>,
    notes: Vec<String>,
}

impl Out {
    fn note(&mut self, at: &str, what: String) {
        self.notes.push(format!("{at}: {what}"));
    }

    fn comment(&mut self, pointer: &str, at: &str, what: &str) {
        let text = format!("{what} ({at})");
        self.comments
            .entry(pointer.to_owned())
            .and_modify(|c| {
                c.push_str("; ");
                c.push_str(&text);
            })
            .or_insert(text);
        self.note(at, what.to_owned());
    }
}

/// One posted file, parsed.
struct Posted<'a> {
    file: SourceFile,
    kind: Kind,
    value: Value,
    map: SourceMap,
    /// Lines whose unquoted `***` was quoted before parsing.
    masked_lines: Vec<usize>,
    _input: &'a str,
}

impl Posted<'_> {
    fn at(&self, pointer: &str) -> String {
        let span = self
            .map
            .get(pointer)
            .map(|o| o.name())
            .unwrap_or(Span::START);
        format!("{}:{}:{}", self.file.path, span.line, span.column)
    }
}

/// An unquoted `***` (a masked value as forums show it) is an alias in YAML, and not a valid one: it is quoted
/// before parsing, on its own line, so every other place in the file stays where it was.
static UNQUOTED_MASK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\s*(?:-\s+|[^#'\x22]*?:\s+))\*\*\*(\s*(?:#.*)?)$").expect("regex")
});

fn quote_masks(text: &str) -> (String, Vec<usize>) {
    let mut lines = Vec::new();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match UNQUOTED_MASK.captures(body) {
            Some(c) => {
                lines.push(i + 1);
                let _ = write!(out, "{}\"***\"{}{end}", &c[1], &c[2]);
            }
            None => out.push_str(line),
        }
    }
    (out, lines)
}

/// Imports `files` (each its path as the user named it, and its text) for `idp`.
pub fn import(files: &[(String, String)], idp: Idp) -> Result<Imported, Vec<Diagnostic>> {
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
                    _input: path,
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

    let mut out = Out::default();
    for p in &posted {
        for line in &p.masked_lines {
            out.note(
                &format!("{}:{line}:1", p.file.path),
                "an unquoted `***` (not valid YAML: an alias) was read as the masked string \"***\"".into(),
            );
        }
    }
    let mut security = Map::new();
    let mut dashboards = None;
    for p in &posted {
        match p.kind.pointer() {
            Some(ptr) => {
                let value = transform(p, ptr, &mut out);
                if p.kind == Kind::Dashboards {
                    dashboards = Some(value);
                } else {
                    let key = ptr.rsplit('/').next().expect("a key");
                    security.insert(key.to_owned(), value);
                }
            }
            None => keep_as_comments(p, &mut out),
        }
    }
    // The provider: the slug from the discovery URL the files name.
    let mut provider = Map::new();
    if let Some(slug) = posted.iter().find_map(slug_of) {
        provider.insert("slug".into(), json!(slug.0));
        out.comment(
            "/idp/provider/slug",
            &slug.1,
            "from the discovery URL the files name",
        );
    }
    provider.insert("encryption_key".into(), json!(false));
    out.comments.insert(
        "/idp/provider/encryption_key".into(),
        "the posted files cannot say: true if the report's provider has an Encryption Key (authentik then \
         encrypts every token)"
            .into(),
    );
    let mut idp_doc = match idp {
        Idp::Authentik => json!({ "provider": provider }),
        Idp::Keycloak => keycloak_section(&posted, &mut out),
    };
    if let Some(Value::Object(rm)) = security.get_mut("roles_mapping") {
        users_for(rm, &mut idp_doc, &mut out);
    }
    roles_for_mappings(&mut security, &posted, &mut out);
    let mut opensearch = Map::new();
    if !security.is_empty() {
        opensearch.insert("security".into(), Value::Object(security));
    }

    let names: Vec<&str> = posted.iter().map(|p| p.file.path.as_str()).collect();
    let short: Vec<&str> = names
        .iter()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .collect();
    out.doc.insert(
        "title".into(),
        json!(format!("Imported from {}", short.join(", "))),
    );
    out.doc.insert(
        "reference".into(),
        json!("the files a user posted, imported by `cargo xtask import`"),
    );
    out.doc.insert("stack".into(), json!({ "idp": idp.wire() }));
    out.doc.insert("idp".into(), idp_doc);
    if !opensearch.is_empty() {
        out.doc
            .insert("opensearch".into(), Value::Object(opensearch));
    }
    if let Some(d) = dashboards {
        out.doc.insert("dashboards".into(), json!({ "config": d }));
    }
    out.doc
        .insert("expect".into(), json!({ "login": "success" }));

    let mut text = String::new();
    text.push_str("# Imported by `cargo xtask import` from:\n");
    for n in &names {
        let _ = writeln!(text, "#   {n}");
    }
    text.push_str(
        "# The documents are kept as posted, except where the harness's stack stands in (its IdP, URLs, CA,\n\
         # generated secrets): each such line says what it was and where. Run it with `cargo xtask e2e --scenario`.\n",
    );
    let mut body = String::new();
    emit_map(&mut body, &out.doc, "", 0, &out);
    text.push_str(&body);
    for line in &out.trailer {
        let _ = writeln!(text, "{line}");
    }
    Ok(Imported {
        scenario: text,
        notes: out.notes,
    })
}

/// Keycloak's section (`--idp keycloak`): the realm from a Keycloak discovery URL the files name (`/realms/<realm>/`),
/// and a client with no attributes (the posted files cannot say whether it encrypts its ID tokens).
fn keycloak_section(posted: &[Posted<'_>], out: &mut Out) -> Value {
    static REALM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/realms/([^/]+)/").expect("regex"));
    let mut keycloak = Map::new();
    let found = posted.iter().find_map(|p| {
        REALM
            .captures(&p.file.text)
            .map(|c| (c[1].to_owned(), p.file.path.clone()))
    });
    if let Some((realm, path)) = found {
        keycloak.insert("realm".into(), json!(realm));
        out.comments.insert(
            "/idp/keycloak/realm".into(),
            format!("from the discovery URL in {path}"),
        );
    }
    keycloak.insert("client".into(), json!({ "attributes": {} }));
    out.comments.insert(
        "/idp/keycloak/client/attributes".into(),
        "the posted files cannot say: add `id.token.encrypted.response.alg` (and `.enc`) if the report's \
         client encrypts its ID tokens (Keycloak then sends a JWE)"
            .into(),
    );
    json!({ "keycloak": keycloak })
}

/// The application slug of an authentik discovery URL in `p` (with where it was).
fn slug_of(p: &Posted) -> Option<(String, String)> {
    static SLUG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/application/o/([^/]+)/").expect("regex"));
    let mut found = None;
    walk(&p.value, "", &mut |ptr, v| {
        if found.is_none()
            && let Some(s) = v.as_str()
            && s.contains("/.well-known/openid-configuration")
            && let Some(c) = SLUG.captures(s)
        {
            found = Some((c[1].to_owned(), p.at(ptr)));
        }
    });
    found
}

fn walk(v: &Value, ptr: &str, f: &mut dyn FnMut(&str, &Value)) {
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
enum Action {
    Keep,
    /// The harness's value, and why.
    Replace(Value, String),
    /// Dropped (shown commented out), and why.
    Drop(String),
    /// The harness's value under another key (a hash becomes a generated `password`), and why.
    Rename(&'static str, Value, String),
}

fn is_masked(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let t = s.trim();
        !t.is_empty() && t.chars().all(|c| c == '*')
    })
}

/// A short, one-line form of a posted value for a comment.
fn shown(v: &Value) -> String {
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

/// A PEM block that cannot be whole: elided lines (`....`, `…`) or no END line.
fn truncated_pem(s: &str) -> bool {
    s.contains("...") || s.contains('…') || (s.contains("-----BEGIN") && !s.contains("-----END"))
}

/// The action for a setting of the OpenID authenticator's `config` in config.yml.
fn openid_setting(key: &str, v: &Value) -> Action {
    let was = |what: &str| format!("was {}: {what}", shown(v));
    match key {
        "openid_connect_url" => {
            Action::Replace(json!("${idp.discovery_url}"), was("the harness's IdP"))
        }
        "required_issuer" => {
            Action::Replace(json!("${idp.issuer}"), was("the harness's IdP's issuer"))
        }
        "required_audience" => Action::Replace(
            json!("${idp.client_id}"),
            was("the harness's client id (authentik's audience)"),
        ),
        k if k.ends_with("pemtrustedcas_filepath") => Action::Replace(
            json!("${tls.ca_file}"),
            was("the run's CA, as OpenSearch reads it"),
        ),
        k if k.ends_with("pemtrustedcas_content") => {
            let truncated = v.as_str().is_some_and(truncated_pem);
            Action::Replace(
                json!("${tls.ca_pem}"),
                format!(
                    "was a PEM block{}: the run's CA",
                    if truncated {
                        " (truncated as posted)"
                    } else {
                        ""
                    }
                ),
            )
        }
        "client_secret" => Action::Replace(
            json!("${idp.client_secret}"),
            was("the harness's client secret"),
        ),
        _ => Action::Keep,
    }
}

/// The action for an `opensearch_dashboards.yml` setting, by its dotted key.
fn dashboards_setting(key: &str, v: &Value, username: &str) -> Action {
    let was = |what: &str| format!("was {}: {what}", shown(v));
    match key {
        "opensearch.hosts" => Action::Replace(json!(["${opensearch.url}"]), was("the harness's OpenSearch")),
        "opensearch.ssl.certificateAuthorities" => {
            Action::Replace(json!(["${tls.ca_file}"]), was("the run's CA"))
        }
        "opensearch.password" => Action::Replace(
            json!(format!("${{internal_users.{username}.password}}")),
            format!("was {}: the generated password of internal user {username}", shown(v)),
        ),
        "opensearch_security.openid.connect_url" => {
            Action::Replace(json!("${idp.discovery_url}"), was("the harness's IdP"))
        }
        "opensearch_security.openid.base_redirect_url" => {
            Action::Replace(json!("${dashboards.url}"), was("the harness's Dashboards"))
        }
        "opensearch_security.openid.client_id" => {
            Action::Replace(json!("${idp.client_id}"), was("the harness's client"))
        }
        "opensearch_security.openid.client_secret" => {
            Action::Replace(json!("${idp.client_secret}"), was("the harness's client secret"))
        }
        "opensearch_security.openid.root_ca" => Action::Replace(json!("${tls.ca_file}"), was("the run's CA")),
        "opensearch_security.openid.logout_url" => {
            Action::Drop("the report's own logout page; the harness's IdP offers its end-session endpoint".into())
        }
        "server.host" | "server.port" => Action::Drop(
            "where Dashboards listens is the harness's (behind its Caddy, which serves ${dashboards.url})".into(),
        ),
        "server.publicBaseUrl" => Action::Drop("the harness's Dashboards is at ${dashboards.url}".into()),
        k if k.starts_with("server.ssl") => {
            Action::Drop("TLS is Caddy's in the harness's stack; Dashboards serves plain HTTP behind it".into())
        }
        "logging.dest" => Action::Drop(
            "a path on the report's server; the harness reads Dashboards' log where it puts it".into(),
        ),
        k if k == "logging" || k.starts_with("logging.") => Action::Drop(
            "Dashboards' logging is the harness's to set: it reads the log in the form it configures".into(),
        ),
        "opensearch.requestHeadersWhitelist" => Action::Keep,
        _ => Action::Keep,
    }
}

/// `p`'s document with the harness's stand-ins, placed at `out_ptr` (comments and notes recorded in `out`).
fn transform(p: &Posted, out_ptr: &str, out: &mut Out) -> Value {
    let username = p
        .value
        .get("opensearch.username")
        .and_then(Value::as_str)
        .unwrap_or("kibanaserver")
        .to_owned();
    let mut value = rebuild(p, &p.value, "", out_ptr, out, &mut Vec::new(), &username);
    match (p.kind, &mut value) {
        (Kind::Dashboards, Value::Object(m)) => add_dashboards_connection(m, p, out_ptr, out),
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

/// The connection to OpenSearch the harness's Dashboards needs, where the posted file leaves it to defaults.
fn add_dashboards_connection(m: &mut Map<String, Value>, p: &Posted, out_ptr: &str, out: &mut Out) {
    let has = |m: &Map<String, Value>, k: &str| crate::diagnosis::lookup(m, k).is_some();
    let mut added = Vec::new();
    if !has(m, "opensearch.hosts") {
        added.push(("opensearch.hosts", json!(["${opensearch.url}"])));
    }
    if !has(m, "opensearch.ssl.certificateAuthorities")
        && crate::diagnosis::lookup(m, "opensearch.ssl.verificationMode").and_then(Value::as_str)
            != Some("none")
    {
        added.push((
            "opensearch.ssl.certificateAuthorities",
            json!(["${tls.ca_file}"]),
        ));
    }
    if !has(m, "opensearch.username") {
        added.push(("opensearch.username", json!("kibanaserver")));
    }
    if !has(m, "opensearch.password") {
        added.push((
            "opensearch.password",
            json!("${internal_users.kibanaserver.password}"),
        ));
    }
    for (k, v) in added {
        m.insert(k.to_owned(), v);
        out.comment(
            &format!("{out_ptr}/{}", escape_token(k)),
            &format!("{}:1:1", p.file.path),
            "added: the harness's connection to OpenSearch (the posted file leaves it to Dashboards' defaults)",
        );
    }
}

/// The value at `src_ptr` of `p`, rebuilt under `out_ptr`: keys trimmed, settings mapped. `path` holds the keys
/// down to here (for dotted Dashboards keys and config.yml's authenticator).
fn rebuild(
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

fn action_for(p: &Posted, path: &[String], v: &Value, username: &str) -> Action {
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

/// The IdP's users: alice in a group the posted `all_access` mapping names (the default `admins` when it does).
fn users_for(rm: &mut Map<String, Value>, idp: &mut Value, out: &mut Out) {
    let roles: Vec<String> = rm
        .get("all_access")
        .and_then(|m| m.get("backend_roles"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(first) = roles.first() else {
        return;
    };
    if roles.iter().any(|r| r == "admins") {
        return;
    }
    idp["users"] = json!([
        { "username": "alice", "groups": [first] },
        { "username": "bob" }
    ]);
    out.comments.insert(
        "/idp/users".into(),
        format!(
            "alice is in group `{first}`, the backend role the posted all_access mapping names (the report's \
             user was meant to log in); bob in none"
        ),
    );
}

/// The security plugin's own (static) roles: a mapping may name them without roles.yml defining them.
fn is_static_role(name: &str) -> bool {
    const STATIC: &[&str] = &[
        "all_access",
        "kibana_server",
        "kibana_user",
        "readall",
        "readall_and_monitor",
        "own_index",
        "manage_snapshots",
        "logstash",
        "security_manager",
        "security_rest_api_access",
    ];
    STATIC.contains(&name)
        || ["_full_access", "_read_access", "_ack_alerts", "_access"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// A mapping of a role neither static nor in the posted roles.yml: the security REST API the harness applies the
/// files with refuses it ("role 'x' not found"; securityadmin.sh, which users run, does not check), so the role
/// is added, empty.
fn roles_for_mappings(security: &mut Map<String, Value>, posted: &[Posted], out: &mut Out) {
    let Some(Value::Object(rm)) = security.get("roles_mapping") else {
        return;
    };
    let defined: Vec<String> = security
        .get("roles")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let missing: Vec<String> = rm
        .keys()
        .filter(|k| *k != "_meta" && !is_static_role(k) && !defined.contains(k))
        .cloned()
        .collect();
    if missing.is_empty() {
        return;
    }
    let at = posted
        .iter()
        .find(|p| p.kind == Kind::RolesMapping)
        .map(|p| (p.file.path.clone(), p));
    let roles = security
        .entry("roles")
        .or_insert_with(|| json!({ "_meta": { "type": "roles", "config_version": 2 } }));
    for name in missing {
        roles[name.as_str()] = json!({ "cluster_permissions": [] });
        let place = at
            .as_ref()
            .map(|(_, p)| p.at(&format!("/{}", escape_token(&name))))
            .unwrap_or_default();
        out.comment(
            &format!("/opensearch/security/roles/{}", escape_token(&name)),
            &place,
            "added, empty: roles_mapping.yml maps it and no posted roles.yml defines it (the harness applies the \
             files through the security REST API, which refuses a mapping of a role that does not exist)",
        );
    }
}

/// A file format v1 has no place for, kept whole as comments at the end.
fn keep_as_comments(p: &Posted, out: &mut Out) {
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

// --- YAML emission, with comments ----------------------------------------------------------------------------------

fn yaml_key(k: &str) -> String {
    static PLAIN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-]*$").expect("regex"));
    const AMBIGUOUS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "Y", "N", "Yes", "No", "On",
        "Off", "True", "False", "Null", "YES", "NO", "ON", "OFF", "TRUE", "FALSE", "NULL",
    ];
    if PLAIN.is_match(k) && !AMBIGUOUS.contains(&k) {
        k.to_owned()
    } else {
        Value::String(k.to_owned()).to_string()
    }
}

/// A value on one line: JSON, which YAML 1.2 reads as flow style.
fn flow(v: &Value) -> String {
    v.to_string()
}

fn emit_map(out: &mut String, m: &Map<String, Value>, ptr: &str, indent: usize, o: &Out) {
    let pad = " ".repeat(indent);
    for line in o.opening.get(ptr).into_iter().flatten() {
        let _ = writeln!(out, "{pad}# {line}");
    }
    for (k, v) in m {
        let p = format!("{ptr}/{}", escape_token(k));
        let comment = o
            .comments
            .get(&p)
            .map(|c| format!("  # {c}"))
            .unwrap_or_default();
        match v {
            Value::Object(inner) if !inner.is_empty() || o.opening.contains_key(&p) => {
                let _ = writeln!(out, "{pad}{}:{comment}", yaml_key(k));
                emit_map(out, inner, &p, indent + 2, o);
            }
            other => {
                let _ = writeln!(out, "{pad}{}: {}{comment}", yaml_key(k), flow(other));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
        import(&[(name.to_owned(), text.to_owned())], Idp::Authentik)
    }

    #[test]
    fn unquoted_masks_are_quoted_on_their_line_only() {
        let (t, lines) = quote_masks("a: ***\nb: \"***\"\n- ***\nc: x # ***\nd: ***  # masked\n");
        assert_eq!(
            t,
            "a: \"***\"\nb: \"***\"\n- \"***\"\nc: x # ***\nd: \"***\"  # masked\n"
        );
        assert_eq!(lines, vec![1, 3, 5]);
    }

    #[test]
    fn yaml_errors_are_located_like_scenario_errors() {
        let e = one(
            "roles_mapping.yml",
            "all_access:\n  reserved: false\n  reserved: true\n",
        )
        .unwrap_err();
        let shown = e[0].to_string();
        assert!(shown.starts_with("roles_mapping.yml:3:"), "{shown}");
    }

    #[test]
    fn unknown_files_are_refused_with_why() {
        let e = one("kibana.yml", "a: 1\n").unwrap_err();
        assert!(
            e[0].to_string().contains("opensearch_dashboards.yml"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn keycloak_gets_its_realm_from_the_discovery_url_and_a_loadable_scenario() {
        let config = "_meta: { type: config, config_version: 2 }\nconfig:\n  dynamic:\n    authc:\n      openid_auth_domain:\n\
                      \x20       http_enabled: true\n        transport_enabled: true\n        order: 1\n\
                      \x20       http_authenticator:\n          type: openid\n          challenge: false\n\
                      \x20         config:\n            subject_key: preferred_username\n            roles_key: roles\n\
                      \x20           openid_connect_url: https://kc.example.com/realms/corp/.well-known/openid-configuration\n\
                      \x20       authentication_backend: { type: noop }\n";
        let i = import(
            &[("config.yml".to_owned(), config.to_owned())],
            Idp::Keycloak,
        )
        .expect("imports");
        let s = &i.scenario;
        assert!(s.contains("idp: \"keycloak\""), "{s}");
        assert!(s.contains("realm: \"corp\""), "{s}");
        let file = SourceFile {
            path: "imported.yaml".into(),
            text: s.clone(),
        };
        let loaded = crate::scenario::load(&file)
            .map_err(|e| e[0].to_string())
            .expect("loads");
        assert_eq!(loaded.cases[0].document.idp.keycloak.realm, "corp");
    }

    #[test]
    fn dashboards_settings_are_mapped_dropped_or_kept_in_flat_and_nested_form() {
        let text = "server.port: 15061\nserver:\n  ssl:\n    enabled: false\nopensearch:\n  password: ***\n\
                    opensearch_security.openid.client_secret: \"***\"\nlogging:\n  root:\n    level: debug\n\
                    \"opensearch.requestHeadersWhitelist \": [\"Authorization\"]\n";
        let i = one("opensearch_dashboards.yml", text).expect("imports");
        let s = &i.scenario;
        assert!(
            s.contains("client_secret: \"${idp.client_secret}\"  # was `***`"),
            "{s}"
        );
        assert!(
            s.contains("password: \"${internal_users.kibanaserver.password}\""),
            "{s}"
        );
        assert!(
            s.contains("# dropped `server.port: 15061` (opensearch_dashboards.yml:1:1)"),
            "{s}"
        );
        assert!(
            s.contains(
                "# dropped `server.ssl: {\"enabled\":false}` (opensearch_dashboards.yml:3:3)"
            ),
            "{s}"
        );
        assert_eq!(s.matches("password: ").count(), 1, "{s}");
        assert!(!s.contains("server:"), "{s}");
        assert!(s.contains("# dropped `logging:"), "{s}");
        assert!(
            s.contains(
                "opensearch.requestHeadersWhitelist: [\"Authorization\"]  # the key had spaces"
            ),
            "{s}"
        );
        assert!(
            i.notes
                .iter()
                .any(|n| n.starts_with("opensearch_dashboards.yml:6:1: an unquoted")),
            "{:?}",
            i.notes
        );
        assert!(
            s.contains("opensearch.hosts: [\"${opensearch.url}\"]  # added"),
            "{s}"
        );
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
    fn hashes_become_generated_passwords() {
        let i = one(
            "internal_users.yml",
            "kibanaserver:\n  hash: \"$2y$12$abcdefghijklmnopqrstuv\"\n  reserved: true\n",
        )
        .expect("imports");
        assert!(
            i.scenario
                .contains("password: \"generated\"  # was the hash"),
            "{}",
            i.scenario
        );
        assert!(!i.scenario.contains("hash:"), "{}", i.scenario);
    }
}
