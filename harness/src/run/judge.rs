//! Expectation against observation: each mismatch in words. Pure.

use super::observe::Observation;
use crate::scenario::{Expect, LogExpect, wire_name};

pub fn judge(expect: &Expect, seen: &Observation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(want) = expect.login
        && seen.login != Some(want)
    {
        let got = seen.login.map_or("nothing".to_owned(), |o| wire_name(&o));
        let why = seen.login_detail.as_deref().unwrap_or("");
        out.push(format!(
            "login: expected {}, got {got} ({why})",
            wire_name(&want)
        ));
    }
    if let Some(want) = &expect.authinfo {
        match &seen.authinfo {
            None => out.push("authinfo: expected a response, but no authinfo step ran".into()),
            Some(a) => {
                if let Some(s) = want.status.filter(|s| *s != a.status) {
                    out.push(format!("authinfo: expected status {s}, got {}", a.status));
                }
                if let Some(u) = want
                    .user_name
                    .as_ref()
                    .filter(|u| a.user_name.as_ref() != Some(u))
                {
                    out.push(format!(
                        "authinfo: expected user_name {u}, got {:?}",
                        a.user_name
                    ));
                }
                if let Some(b) = &want.backend_roles {
                    let mut want_sorted = b.clone();
                    want_sorted.sort();
                    let mut got = a.backend_roles.clone().unwrap_or_default();
                    got.sort();
                    if want_sorted != got {
                        out.push(format!(
                            "authinfo: expected backend_roles {want_sorted:?}, got {got:?}"
                        ));
                    }
                }
                for r in want.roles_include.iter().flatten() {
                    if !a.roles.iter().flatten().any(|x| x == r) {
                        out.push(format!(
                            "authinfo: expected roles to include {r}, got {:?}",
                            a.roles.clone().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    if let Some(want) = &expect.token {
        match &seen.token {
            None => out.push("token: expected a token, but the IdP issued none".into()),
            Some(t) => {
                if let Some(f) = want.format.filter(|f| *f != t.format) {
                    out.push(format!(
                        "token: expected format {}, got {}",
                        wire_name(&f),
                        wire_name(&t.format)
                    ));
                }
                if let Some(a) = want.alg.as_ref().filter(|a| t.alg.as_ref() != Some(a)) {
                    out.push(format!("token: expected alg {a}, got {:?}", t.alg));
                }
                if let Some(e) = want.enc.as_ref().filter(|e| t.enc.as_ref() != Some(e)) {
                    out.push(format!("token: expected enc {e}, got {:?}", t.enc));
                }
            }
        }
    }
    logs(
        "opensearch_log",
        expect.opensearch_log.as_ref(),
        &seen.opensearch_log,
        &mut out,
    );
    logs(
        "dashboards_log",
        expect.dashboards_log.as_ref(),
        &seen.dashboards_log,
        &mut out,
    );
    out
}

fn logs(name: &str, want: Option<&LogExpect>, lines: &[String], out: &mut Vec<String>) {
    let Some(want) = want else { return };
    for s in &want.contains {
        if !lines.iter().any(|l| l.contains(s.as_str())) {
            out.push(format!(
                "{name}: no line contains {s:?} ({} lines observed)",
                lines.len()
            ));
        }
    }
    for s in &want.not_contains {
        if let Some(l) = lines.iter().find(|l| l.contains(s.as_str())) {
            out.push(format!("{name}: a line contains {s:?}: {l}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::observe::Authinfo;
    use crate::scenario::{AuthinfoExpect, Outcome};

    #[test]
    fn mismatches_are_worded() {
        let expect = Expect {
            login: Some(Outcome::Success),
            authinfo: Some(AuthinfoExpect {
                status: Some(200),
                backend_roles: Some(vec!["admins".into()]),
                ..Default::default()
            }),
            opensearch_log: Some(LogExpect {
                contains: vec!["finally failed".into()],
                not_contains: vec![],
            }),
            ..Default::default()
        };
        let seen = Observation {
            login: Some(Outcome::MissingRole),
            login_detail: Some("Missing Role page (mapped roles empty)".into()),
            authinfo: Some(Authinfo {
                status: 200,
                backend_roles: Some(vec![]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            judge(&expect, &seen),
            [
                "login: expected success, got missing_role (Missing Role page (mapped roles empty))",
                "authinfo: expected backend_roles [\"admins\"], got []",
                "opensearch_log: no line contains \"finally failed\" (0 lines observed)",
            ]
        );
        let ok = Observation {
            login: Some(Outcome::Success),
            authinfo: Some(Authinfo {
                status: 200,
                backend_roles: Some(vec!["admins".into()]),
                ..Default::default()
            }),
            opensearch_log: vec!["x finally failed".into()],
            ..Default::default()
        };
        assert!(judge(&expect, &ok).is_empty());
    }
}
