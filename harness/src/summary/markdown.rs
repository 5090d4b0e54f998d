//! The summary as GitHub-flavoured markdown: what a CI job appends to `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use super::{Cell, LOG_FILE, SnapshotState, Status, Summary};

/// What the marks mean; the HTML page says the same.
pub const LEGEND: &str = "✅ as expected · ❌ not as expected · 💥 error (the case could not be judged) · \
                          ⏭️ not run · ⚠️ differs from the committed snapshot · — not in that column";

/// `snapshots` names the folder the snapshots came from, for the headline.
pub fn render(summary: &Summary, snapshots: &str) -> String {
    let mut out = String::new();
    let cells = summary.cells().count();
    let _ = writeln!(out, "## SSO login matrix\n");
    let _ = writeln!(
        out,
        "{} case(s) × {} column(s): {} result(s), {} failed, {} changed against `{}`, {} case(s) without a snapshot.{}\n",
        summary.rows.len(),
        summary.columns.len(),
        cells,
        summary.failed(),
        summary.changed(),
        text(snapshots),
        summary.without_snapshot(),
        also(summary).map_or(String::new(), |a| format!(" {a}")),
    );

    out.push_str("| column | backend | OpenSearch | identity provider | Dashboards | passed | report folders |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for (i, c) in summary.columns.iter().enumerate() {
        let (passed, run) = summary.tally(i);
        let folders: Vec<String> = c.folders.iter().map(|f| code(f)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {passed}/{run} | {} |",
            text(&c.name),
            text(&c.backend),
            text(&c.opensearch),
            text(c.idp.as_deref().unwrap_or("—")),
            text(c.dashboards.as_deref().unwrap_or("—")),
            folders.join(", ")
        );
    }
    out.push('\n');

    out.push_str("| case | expected | snapshot |");
    for c in &summary.columns {
        let _ = write!(out, " {} |", text(&c.name));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(summary.columns.len()));
    out.push('\n');
    for row in &summary.rows {
        let snapshot = match &row.snapshot {
            SnapshotState::Missing => "*no snapshot*".to_owned(),
            SnapshotState::Login(l) => text(l.as_deref().unwrap_or("—")),
        };
        let _ = write!(
            out,
            "| {} | {} | {snapshot} |",
            code(&row.case),
            text(row.expected.as_deref().unwrap_or("—"))
        );
        for cell in &row.cells {
            let _ = write!(out, " {} |", cell.as_ref().map_or("—".to_owned(), shown));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\n{LEGEND}");

    let failures: Vec<_> = summary.cells().filter(|(_, _, c)| !c.pass).collect();
    if !failures.is_empty() {
        out.push_str("\n### Not as expected\n\n");
        for (column, row, cell) in failures {
            let _ = writeln!(
                out,
                "- **{}** {}: {}",
                text(&column.name),
                code(&row.case),
                text(&cell.why())
            );
        }
    }

    let known: Vec<_> = summary
        .cells()
        .filter(|(_, _, c)| !c.diagnosis.is_empty())
        .collect();
    if !known.is_empty() {
        out.push_str("\n### Diagnosis\n\n");
        for (column, row, cell) in known {
            for d in &cell.diagnosis {
                let _ = writeln!(
                    out,
                    "- **{}** {} {}: {} Fix: {}",
                    text(&column.name),
                    code(&row.case),
                    code(&d.rule),
                    text(&d.summary),
                    text(&d.fix)
                );
            }
        }
    }

    if !summary.crashed.is_empty() {
        out.push_str("\n### Crashed cells\n");
        for c in &summary.crashed {
            let _ = write!(out, "\n**{}**: {}", code(&c.folder), text(&c.reason));
            match &c.log_tail {
                None => {
                    let _ = writeln!(out, "; the folder has no `{LOG_FILE}`.");
                }
                // A `<pre>` block ends only at `</pre>`, which the escaped lines cannot hold; markdown inside it
                // is not read, so the lines need HTML's escaping alone.
                Some(lines) => {
                    let _ = writeln!(
                        out,
                        "; the last {} line(s) of its `{LOG_FILE}`:\n\n<pre>\n{}\n</pre>",
                        lines.len(),
                        html_escape::encode_text(&lines.join("\n"))
                    );
                }
            }
        }
    }
    out
}

/// The headline's counts of what is neither passed nor failed, when there is any.
pub(super) fn also(summary: &Summary) -> Option<String> {
    let parts: Vec<String> = [
        (summary.count(Status::Error), "error(s)"),
        (summary.count(Status::NotRun), "not run"),
        (summary.crashed.len(), "crashed cell(s) without a report"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    (!parts.is_empty()).then(|| format!("Also: {}.", parts.join(", ")))
}

/// A cell: its mark, the outcome (or what kept it from one), and ⚠️ when it differs from the snapshot.
fn shown(cell: &Cell) -> String {
    let outcome = text(cell.outcome.as_deref().unwrap_or("—"));
    let changed = if cell.changed { " ⚠️" } else { "" };
    match cell.status {
        Status::Pass => format!("✅ {outcome}{changed}"),
        Status::Fail => format!("❌ {outcome}{changed}"),
        Status::Error => "💥 error".to_owned(),
        Status::NotRun => "⏭️ not run".to_owned(),
    }
}

/// Text as markdown shows it literally: HTML's special characters as entities, markdown's behind a backslash
/// (`|` would end a table cell).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in html_escape::encode_text(s).chars() {
        if "\\`*_[]|#!~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A name in a code span (a case, a folder). Backticks cannot be escaped inside one: such names are shown as text.
fn code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        text(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_cannot_be_broken_by_what_they_show() {
        assert_eq!(text("a|b <x> *y*"), r"a\|b &lt;x&gt; \*y\*");
        assert_eq!(code("s@jwe=on|x"), r"`s@jwe=on\|x`");
        assert_eq!(code("a`b"), r"a\`b");
    }
}
