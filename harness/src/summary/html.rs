//! The summary as one self-contained HTML page (inline style, no scripts, nothing fetched): the CI artifact.

use std::fmt::Write;

use html_escape::encode_text;

use super::{LOG_FILE, SnapshotState, Status, Summary, markdown};

/// Marks from common text fonts (a page may be opened where no emoji font is installed); colour says it too.
const LEGEND: &str = "✓ as expected (green) · ✗ not as expected (red) · error: the case could not be judged \
                      (orange) · not run (grey) · ⚠ differs from the committed snapshot (outlined) · — not in that \
                      column";

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
th{background:#f4f4f4}code{font-size:13px}.pass{background:#e9f7ec}.fail{background:#fde8e8}\
.error{background:#ffedd5}.not-run{background:#f4f4f4;color:#555}\
.changed{outline:2px solid #d97706;outline-offset:-2px}.none{color:#888}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}";

pub fn render(summary: &Summary, snapshots: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>SSO login matrix</title>\
         <style>{STYLE}</style></head>\n<body>\n<h1>SSO login matrix</h1>\n"
    );
    let _ = writeln!(
        out,
        "<p>{} case(s) × {} column(s): {} result(s), {} failed, {} changed against <code>{}</code>, {} case(s) \
         without a snapshot.{}</p>",
        summary.rows.len(),
        summary.columns.len(),
        summary.cells().count(),
        summary.failed(),
        summary.changed(),
        encode_text(snapshots),
        summary.without_snapshot(),
        markdown::also(summary).map_or(String::new(), |a| format!(" {}", encode_text(&a)))
    );

    out.push_str(
        "<table>\n<tr><th>column</th><th>backend</th><th>OpenSearch</th><th>identity provider</th>\
                  <th>Dashboards</th><th>passed</th><th>report folders</th></tr>\n",
    );
    for (i, c) in summary.columns.iter().enumerate() {
        let (passed, run) = summary.tally(i);
        let folders: Vec<String> = c
            .folders
            .iter()
            .map(|f| format!("<code>{}</code>", encode_text(f)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{passed}/{run}</td><td>{}</td></tr>",
            encode_text(&c.name),
            encode_text(&c.backend),
            encode_text(&c.opensearch),
            encode_text(c.idp.as_deref().unwrap_or("—")),
            encode_text(c.dashboards.as_deref().unwrap_or("—")),
            folders.join(", ")
        );
    }
    out.push_str("</table>\n");

    out.push_str("<table>\n<tr><th>case</th><th>expected</th><th>snapshot</th>");
    for c in &summary.columns {
        let _ = write!(out, "<th>{}</th>", encode_text(&c.name));
    }
    out.push_str("</tr>\n");
    for row in &summary.rows {
        let snapshot = match &row.snapshot {
            SnapshotState::Missing => "<td class=\"none\"><em>no snapshot</em></td>".to_owned(),
            SnapshotState::Login(l) => {
                format!("<td>{}</td>", encode_text(l.as_deref().unwrap_or("—")))
            }
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td>{snapshot}",
            encode_text(&row.case),
            encode_text(row.expected.as_deref().unwrap_or("—"))
        );
        for cell in &row.cells {
            match cell {
                None => out.push_str("<td class=\"none\">—</td>"),
                Some(c) => {
                    let outcome = encode_text(c.outcome.as_deref().unwrap_or("—"));
                    let (class, shown, why) = match c.status {
                        Status::Pass => ("pass", format!("✓ {outcome}"), c.mismatches.join("\n")),
                        Status::Fail => ("fail", format!("✗ {outcome}"), c.mismatches.join("\n")),
                        Status::Error => ("error", "error".to_owned(), c.why()),
                        Status::NotRun => ("not-run", "not run".to_owned(), c.why()),
                    };
                    let changed = if c.changed { " changed" } else { "" };
                    // The mismatches or the reason as a tooltip: escaped as an attribute, not as text.
                    let title = html_escape::encode_double_quoted_attribute(&why).into_owned();
                    let _ = write!(
                        out,
                        "<td class=\"{class}{changed}\" title=\"{title}\">{shown}{}</td>",
                        if c.changed { " ⚠" } else { "" }
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    let _ = writeln!(out, "<p>{}</p>", encode_text(LEGEND));

    let failures: Vec<_> = summary.cells().filter(|(_, _, c)| !c.pass).collect();
    if !failures.is_empty() {
        out.push_str("<h2>Not as expected</h2>\n<ul>\n");
        for (column, row, cell) in failures {
            let _ = write!(
                out,
                "<li><strong>{}</strong> <code>{}</code><ul>",
                encode_text(&column.name),
                encode_text(&row.case)
            );
            match cell.status {
                Status::Pass | Status::Fail => {
                    for m in &cell.mismatches {
                        let _ = write!(out, "<li>{}</li>", encode_text(m));
                    }
                }
                Status::Error | Status::NotRun => {
                    let _ = write!(out, "<li>{}</li>", encode_text(&cell.why()));
                }
            }
            out.push_str("</ul></li>\n");
        }
        out.push_str("</ul>\n");
    }

    diagnosis_section(&mut out, summary);

    if !summary.crashed.is_empty() {
        out.push_str("<h2>Crashed cells</h2>\n");
        for c in &summary.crashed {
            let _ = write!(
                out,
                "<p><strong><code>{}</code></strong>: {}",
                encode_text(&c.folder),
                encode_text(&c.reason)
            );
            match &c.log_tail {
                None => {
                    let _ = writeln!(out, "; the folder has no <code>{LOG_FILE}</code>.</p>");
                }
                Some(lines) => {
                    let _ = writeln!(
                        out,
                        "; the last {} line(s) of its <code>{LOG_FILE}</code>:</p>\n<pre>{}</pre>",
                        lines.len(),
                        encode_text(&lines.join("\n"))
                    );
                }
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}
/// Every cell's known causes (`crate::diagnosis`): what happened and the fix, under its column and case.
fn diagnosis_section(out: &mut String, summary: &Summary) {
    let known: Vec<_> = summary
        .cells()
        .filter(|(_, _, c)| !c.diagnosis.is_empty())
        .collect();
    if known.is_empty() {
        return;
    }
    out.push_str("<h2>Diagnosis</h2>\n<ul>\n");
    for (column, row, cell) in known {
        let _ = write!(
            out,
            "<li><strong>{}</strong> <code>{}</code><ul>",
            encode_text(&column.name),
            encode_text(&row.case)
        );
        for d in &cell.diagnosis {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}<br>fix: {}</li>",
                encode_text(&d.rule),
                encode_text(&d.summary),
                encode_text(&d.fix)
            );
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ul>\n");
}
