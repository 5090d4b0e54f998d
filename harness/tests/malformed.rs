//! Every file in `tests/malformed/` is a scenario with one mistake. Its first line says the exact error
//! (`# error: LINE:COL: message`) and, when there is one, the second the help (`# help: …`). One test per file.

use std::path::Path;

use harness::scenario::{self, SourceFile};

fn check(path: &Path, text: String) -> datatest_stable::Result<()> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let expected_error = header(&text, "# error: ")
        .ok_or("the fixture's first line must be `# error: LINE:COL: message`")?;
    let expected_help = header(&text, "# help: ");
    let file = SourceFile {
        path: name.clone(),
        text,
    };
    let errors = match scenario::load(&file) {
        Ok(s) => {
            return Err(format!(
                "{name} loaded into {} case(s) but should fail",
                s.cases.len()
            )
            .into());
        }
        Err(errors) => errors,
    };
    let first = &errors[0];
    assert_eq!(
        first.headline(),
        format!("{name}:{expected_error}"),
        "full diagnostic:\n{first}"
    );
    assert_eq!(
        first.help.as_deref(),
        expected_help.as_deref(),
        "full diagnostic:\n{first}"
    );
    // The rendered diagnostic starts with the location line and shows the offending line.
    let shown = first.to_string();
    assert!(shown.starts_with(&first.headline()));
    if let Some(span) = first.span {
        let line = file.text.lines().nth(span.line - 1).unwrap();
        assert!(
            shown.contains(&format!("{} | {line}", span.line)),
            "snippet missing:\n{shown}"
        );
    }
    Ok(())
}

fn header(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(prefix))
        .map(str::to_owned)
}

datatest_stable::harness! {
    { test = check, root = "tests/malformed", pattern = r"\.yaml$" },
}
