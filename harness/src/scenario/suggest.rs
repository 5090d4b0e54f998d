//! "Did you mean …?" for misspelt names.

/// The candidate closest to `given`, if it is close enough to be a plausible misspelling.
pub fn nearest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&given.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A help line: the nearest name if there is one, and the valid names.
pub fn help(given: &str, candidates: &[&str]) -> Option<String> {
    let list = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match nearest(given, candidates.iter().copied()) {
        Some(n) if !list.is_empty() => {
            Some(format!("did you mean `{n}`? (expected one of {list})"))
        }
        None if !list.is_empty() => Some(format!("expected one of {list}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let fields = ["slug", "client_id", "encryption_key", "signing_key"];
        assert_eq!(nearest("encrypton_key", fields), Some("encryption_key"));
        assert_eq!(nearest("client-id", fields), Some("client_id"));
        assert_eq!(nearest("zzz", fields), None);
        assert_eq!(
            nearest("sucess", ["success", "missing_role", "unauthorized"]),
            Some("success")
        );
    }

    #[test]
    fn help_lists_the_valid_names() {
        assert_eq!(
            help("pubic", &["public", "private"]).unwrap(),
            "did you mean `public`? (expected one of `public`, `private`)"
        );
        assert_eq!(
            help("x", &["public", "private"]).unwrap(),
            "expected one of `public`, `private`"
        );
    }
}
