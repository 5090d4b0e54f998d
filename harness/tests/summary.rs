//! `cargo xtask summary`'s merge and rendering, on the results.json of two real native runs (committed under
//! `tests/summary/`, made with `cargo xtask e2e --scenario authentik-jwe --variant 'jwe=*,roles_key=groups,auth=single'`
//! on OpenSearch 2.19.4 and 2.19.3) and the committed e2e snapshots; and on three written cells of one set
//! (`containers-os-3.2-*`): every case status, a results.json cut off mid-write, and a cell that crashed before
//! writing one, with its `e2e.log`.

use std::path::Path;

use harness::scenario::Outcome;

use harness::summary::{
    Crashed, LOG_FILE, LOG_TAIL, Report, SnapshotState, Snapshots, Status, Summary, html, markdown,
    read_folder,
};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn fixture(name: &str) -> Report {
    let folder = format!("harness/tests/summary/{name}");
    let text = std::fs::read_to_string(root().join(&folder).join("results.json")).unwrap();
    Report::parse(&folder, &text).unwrap()
}

/// A fixture folder as `xtask summary` reads it: its results.json and its log, each when present.
fn folder(name: &str) -> Result<Report, Crashed> {
    let folder = format!("harness/tests/summary/{name}");
    let read = |file: &str| std::fs::read_to_string(root().join(&folder).join(file)).ok();
    read_folder(
        &folder,
        read("results.json").as_deref(),
        read(LOG_FILE).as_deref(),
    )
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
    let s = Summary::merge(&real_runs(), &[], &committed_snapshots());
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
    let jwe_on = b
        .results
        .cases
        .iter_mut()
        .find(|c| c.key() == JWE_ON)
        .unwrap();
    jwe_on.observed.login = Some(Outcome::Success);
    jwe_on.pass = false;
    jwe_on.status = Status::Fail;
    jwe_on.mismatches = vec!["login: expected unauthorized, got success".into()];
    let s = Summary::merge(&[a, b], &[], &committed_snapshots());
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
    let s = Summary::merge(&real_runs(), &[], &Snapshots::default());
    assert_eq!(s.without_snapshot(), 2);
    assert_eq!(s.changed(), 0);
    assert!(markdown::render(&s, "nowhere").contains("| *no snapshot* |"));
}

#[test]
fn repeated_runs_of_the_same_versions_are_told_apart_by_folder() {
    let [a, _] = real_runs();
    let mut again = a.clone();
    again.folder = "elsewhere/r1".into();
    let s = Summary::merge(&[a, again], &[], &committed_snapshots());
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
    a.results.version_set = Some("<script>alert(1)</script>".into());
    a.results.cases[0].mismatches = vec!["a \"quoted\" <b>line</b> & more".into()];
    a.results.cases[0].pass = false;
    a.results.cases[0].status = Status::Fail;
    let s = Summary::merge(&[a, b], &[], &committed_snapshots());
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

/// The three cells of `os-3.2`: statuses, a broken results.json, a crash with a log.
fn os_3_2() -> Summary {
    let mut reports = Vec::new();
    let mut crashed = Vec::new();
    for cell in ["1of3", "2of3", "3of3"] {
        match folder(&format!("containers-os-3.2-{cell}")) {
            Ok(r) => reports.push(r),
            Err(c) => crashed.push(c),
        }
    }
    Summary::merge(&reports, &crashed, &committed_snapshots())
}

#[test]
fn statuses_are_read_beside_pass_and_not_run_and_error_cells_are_no_failures() {
    let s = os_3_2();
    let status = |case: &str| {
        let row = s.rows.iter().find(|r| r.case == case).unwrap();
        let cell = row.cells[0].clone().unwrap();
        (cell.status, cell.changed)
    };
    assert_eq!(
        status("audience@client-id-audience"),
        (Status::Pass, false),
        "from `pass`"
    );
    assert_eq!(status("audience@wrong-audience"), (Status::Pass, false));
    assert_eq!(
        status("authentik-jwe@jwe=off,roles_key=groups,auth=list"),
        (Status::Fail, true)
    );
    // No outcome was observed, and that is no change against the snapshot.
    assert_eq!(
        status("authentik-jwe@jwe=off,roles_key=groups,auth=single"),
        (Status::NotRun, false)
    );
    assert_eq!(status(JWE_ON), (Status::Error, false));
    assert_eq!(
        (s.failed(), s.count(Status::Error), s.count(Status::NotRun)),
        (1, 1, 1)
    );
    assert_eq!(s.tally(0), (2, 4), "a case not run is not counted as run");

    let md = markdown::render(&s, "snapshots/e2e");
    let line = |case: &str| {
        md.lines()
            .find(|l| l.contains(case) && l.starts_with("| `"))
            .unwrap()
    };
    assert!(line(JWE_ON).ends_with("| 💥 error |"), "{md}");
    assert!(line(JWE_OFF).ends_with("| ⏭️ not run |"), "{md}");
    assert!(md.contains(&format!(
        "- **os-3.2** `{JWE_ON}`: error: applying the configuration: authentik &lt;worker&gt; did not apply the \
         blueprint \\| in 60 s"
    )), "{md}");
    assert!(md.contains(&format!(
        "- **os-3.2** `{JWE_OFF}`: not run: stopped at the first failure (--keep-going runs the rest)"
    )), "{md}");
    assert!(
        md.contains("Also: 1 error(s), 1 not run, 2 crashed cell(s) without a report."),
        "{md}"
    );

    let page = html::render(&s, "snapshots/e2e");
    assert!(page.contains(
        "<td class=\"error\" title=\"error: applying the configuration: authentik &lt;worker&gt; did not apply the \
         blueprint | in 60 s\">error</td>"
    ), "{page}");
    assert!(
        page.contains("<td class=\"not-run\" title=\"not run: stopped at the first failure"),
        "{page}"
    );
}

#[test]
fn a_cell_without_a_readable_results_json_is_shown_crashed_and_the_rest_merged() {
    let s = os_3_2();
    assert_eq!(s.columns.len(), 1);
    assert_eq!(
        s.columns[0].folders,
        ["harness/tests/summary/containers-os-3.2-1of3"]
    );
    let [broken, crashed] = s.crashed.as_slice() else {
        panic!("{:?}", s.crashed)
    };

    assert_eq!(
        broken.folder,
        "harness/tests/summary/containers-os-3.2-2of3"
    );
    assert!(
        broken.reason.starts_with(
            "results.json does not parse: harness/tests/summary/containers-os-3.2-2of3/results.json:8:0: EOF while parsing"
        ),
        "{}",
        broken.reason
    );
    assert_eq!(broken.log_tail, None);

    assert_eq!(
        crashed.reason,
        "no results.json: the cell ended before writing it"
    );
    let tail = crashed.log_tail.as_ref().unwrap();
    assert_eq!(tail.len(), LOG_TAIL);
    assert_eq!(
        tail.last().unwrap(),
        "Error: Process completed with exit code 101.",
        "trailing blank lines dropped"
    );
    assert!(
        tail.iter()
            .all(|l| !l.contains('\x1b') && !l.contains('\r')),
        "{tail:#?}"
    );
    assert!(
        tail.contains(
            &"issuer-trailing-slash@exact-issuer — applying the configuration".to_owned()
        )
    );
    // Redacted by key and by shape: the summary knows no value.
    let all = tail.join("\n");
    for secret in [
        "lit-leaked-client-secret",
        "lit-query-secret",
        "lit-json-password",
        "eyJhbGciOiJSUzI1NiJ9",
    ] {
        assert!(!all.contains(secret), "{secret} left in {all}");
    }
    assert!(
        all.contains("token: expected alg RS256, got Some(\"HS256\")"),
        "the harness's words stay: {all}"
    );

    let md = markdown::render(&s, "snapshots/e2e");
    let section = &md[md.find("### Crashed cells").expect("a section")..];
    assert!(
        section.contains(
            "**`harness/tests/summary/containers-os-3.2-2of3`**: results.json does not parse: "
        ),
        "{section}"
    );
    assert!(
        section.contains("; the folder has no `e2e.log`."),
        "{section}"
    );
    assert!(section.contains(
        "**`harness/tests/summary/containers-os-3.2-3of3`**: no results.json: the cell ended before writing it; \
         the last 20 line(s) of its `e2e.log`:\n\n<pre>\n"
    ), "{section}");
    // Escaped for HTML (the block ends only at a real `</pre>`), and nothing of markdown's needs escaping there.
    assert!(
        section.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; | *not bold* &lt;/pre&gt; `tick` &amp; more"
        ),
        "{section}"
    );
    assert_eq!(section.matches("</pre>").count(), 1, "{section}");

    let page = html::render(&s, "snapshots/e2e");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("<h2>Crashed cells</h2>"), "{page}");
    assert!(page.contains("&lt;/pre&gt;"), "{page}");
    assert_eq!(page.matches("</pre>").count(), 1, "{page}");
}

#[test]
fn a_cell_that_left_nothing_is_shown_crashed_without_a_log() {
    let c = read_folder("reports/os-3.3-1of1", None, None).unwrap_err();
    assert_eq!(c.log_tail, None);
    let s = Summary::merge(&real_runs(), &[c], &committed_snapshots());
    let md = markdown::render(&s, "snapshots/e2e");
    assert!(md.contains(
        "**`reports/os-3.3-1of1`**: no results.json: the cell ended before writing it; the folder has no `e2e.log`."
    ), "{md}");
    assert!(html::render(&s, "snapshots/e2e").contains(
        "<p><strong><code>reports/os-3.3-1of1</code></strong>: no results.json: the cell ended before writing it; \
         the folder has no <code>e2e.log</code>.</p>"
    ));
}
