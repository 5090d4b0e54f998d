//! `cargo xtask summary`'s merge and rendering, on the results.json of two real native runs (committed under
//! `tests/summary/`, made with `cargo xtask e2e --scenario authentik-jwe --variant 'jwe=*,roles_key=groups,auth=single'`
//! on OpenSearch 2.19.4 and 2.19.3) and the committed e2e snapshots.

use std::path::Path;

use harness::summary::{Report, SnapshotState, Snapshots, Summary, html, markdown};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn fixture(name: &str) -> Report {
    let folder = format!("harness/tests/summary/{name}");
    let text = std::fs::read_to_string(root().join(&folder).join("results.json")).unwrap();
    Report::parse(&folder, &text).unwrap()
}

fn committed_snapshots() -> Snapshots {
    let files: Vec<(String, String)> = std::fs::read_dir(root().join("snapshots/e2e"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    Snapshots::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).unwrap()
}

fn real_runs() -> [Report; 2] {
    [fixture("native-2.19.4"), fixture("native-2.19.3")]
}

const JWE_ON: &str = "authentik-jwe@jwe=on,roles_key=groups,auth=single";
const JWE_OFF: &str = "authentik-jwe@jwe=off,roles_key=groups,auth=single";

#[test]
fn two_real_runs_merge_into_one_table() {
    let s = Summary::merge(&real_runs(), &committed_snapshots());
    let columns: Vec<&str> = s.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["native 2.19.4", "native 2.19.3"]);
    let rows: Vec<&str> = s.rows.iter().map(|r| r.case.as_str()).collect();
    assert_eq!(rows, [JWE_OFF, JWE_ON]);
    assert_eq!(
        s.rows[1].snapshot,
        SnapshotState::Login(Some("unauthorized".into()))
    );
    for row in &s.rows {
        for cell in &row.cells {
            let cell = cell.as_ref().unwrap();
            assert!(cell.pass && !cell.changed, "{}: {cell:?}", row.case);
        }
    }
    assert_eq!((s.failed(), s.changed(), s.without_snapshot()), (0, 0, 0));
    let md = markdown::render(&s, "snapshots/e2e");
    insta::with_settings!({ snapshot_path => "../../snapshots/summary", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("two-native-runs", md);
    });
}

#[test]
fn an_outcome_unlike_the_snapshot_is_marked() {
    let [a, mut b] = real_runs();
    let jwe_on = b.cases.iter_mut().find(|c| c.key() == JWE_ON).unwrap();
    jwe_on.observed.login = Some("success".into());
    jwe_on.pass = false;
    jwe_on.mismatches = vec!["login: expected unauthorized, got success".into()];
    let s = Summary::merge(&[a, b], &committed_snapshots());
    let on = s.rows.iter().find(|r| r.case == JWE_ON).unwrap();
    assert!(!on.cells[0].as_ref().unwrap().changed);
    let changed = on.cells[1].as_ref().unwrap();
    assert!(changed.changed && !changed.pass);
    assert_eq!((s.failed(), s.changed()), (1, 1));

    let md = markdown::render(&s, "snapshots/e2e");
    let line = md.lines().find(|l| l.contains(JWE_ON)).unwrap();
    assert!(
        line.ends_with("| ✅ unauthorized | ❌ success ⚠️ |"),
        "{line}"
    );
    assert!(md.contains(&format!(
        "- **native 2.19.3** `{JWE_ON}`: login: expected unauthorized, got success"
    )));
    let page = html::render(&s, "snapshots/e2e");
    assert!(page.contains("<td class=\"fail changed\""), "{page}");
}

#[test]
fn a_case_without_a_snapshot_is_said_and_never_marked() {
    let s = Summary::merge(&real_runs(), &Snapshots::default());
    assert_eq!(s.without_snapshot(), 2);
    assert_eq!(s.changed(), 0);
    assert!(markdown::render(&s, "nowhere").contains("| *no snapshot* |"));
}

#[test]
fn repeated_runs_of_the_same_versions_are_told_apart_by_folder() {
    let [a, _] = real_runs();
    let mut again = a.clone();
    again.folder = "elsewhere/r1".into();
    let s = Summary::merge(&[a, again], &committed_snapshots());
    let columns: Vec<&str> = s.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "native 2.19.4 (harness/tests/summary/native-2.19.4)",
            "native 2.19.4 (elsewhere/r1)"
        ]
    );
}

#[test]
fn the_page_is_self_contained_and_escapes_what_it_shows() {
    let [mut a, b] = real_runs();
    a.version_set = Some("<script>alert(1)</script>".into());
    a.cases[0].mismatches = vec!["a \"quoted\" <b>line</b> & more".into()];
    a.cases[0].pass = false;
    let s = Summary::merge(&[a, b], &committed_snapshots());
    let page = html::render(&s, "snapshots/e2e");
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        page.contains("title=\"a &quot;quoted&quot; &lt;b&gt;line&lt;/b&gt; &amp; more\""),
        "{page}"
    );
    assert!(
        page.contains("<li>a \"quoted\" &lt;b&gt;line&lt;/b&gt; &amp; more</li>"),
        "{page}"
    );
    assert!(!page.contains("http"), "nothing fetched: {page}");
    let md = markdown::render(&s, "snapshots/e2e");
    assert!(
        !md.contains("<script>") && md.contains("&lt;script&gt;"),
        "{md}"
    );
}
