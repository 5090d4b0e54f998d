//! The summary as one self-contained HTML page (inline style, no scripts, nothing fetched): the CI artifact.

use std::fmt::Write;

use html_escape::encode_text;

use super::{SnapshotState, Summary};

/// Marks from common text fonts (a page may be opened where no emoji font is installed); colour says it too.
const LEGEND: &str = "✓ as expected (green) · ✗ not as expected (red) · ⚠ differs from the committed snapshot \
                      (outlined) · — not run in that column";

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
th{background:#f4f4f4}code{font-size:13px}.pass{background:#e9f7ec}.fail{background:#fde8e8}\
.changed{outline:2px solid #d97706;outline-offset:-2px}.none{color:#888}";

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
         without a snapshot.</p>",
        summary.rows.len(),
        summary.columns.len(),
        summary.cells().count(),
        summary.failed(),
        summary.changed(),
        encode_text(snapshots),
        summary.without_snapshot()
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
                    let class = match (c.pass, c.changed) {
                        (true, false) => "pass",
                        (true, true) => "pass changed",
                        (false, false) => "fail",
                        (false, true) => "fail changed",
                    };
                    // The mismatches as a tooltip: the attribute is escaped as an attribute, not as text.
                    let title =
                        html_escape::encode_double_quoted_attribute(&c.mismatches.join("\n"))
                            .into_owned();
                    let _ = write!(
                        out,
                        "<td class=\"{class}\" title=\"{title}\">{} {}{}</td>",
                        if c.pass { "✓" } else { "✗" },
                        encode_text(c.outcome.as_deref().unwrap_or("—")),
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
            for m in &cell.mismatches {
                let _ = write!(out, "<li>{}</li>", encode_text(m));
            }
            out.push_str("</ul></li>\n");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}
