//! What a case runs on, and whether it runs at all (`docs/scenario-format.md`, "Versions"). Pure.
//!
//! A case asks for versions (`stack.opensearch`, `stack.dashboards`: the ones the report was on) and may require
//! some (`requires:`). A version named for the run (command line, version set) wins; otherwise the case runs on the
//! version it asks for when the backend can get it, else on the backend's own. A case whose versions-to-run miss
//! its `requires:` is not run: it is never judged on a version it says it cannot show its behaviour on.

use semver::{Comparator, Op, Version, VersionReq};
use serde::{Deserialize, Serialize};

use crate::scenario::{Case, requirement};

/// What a case ran on, as `results.json` says it (`ran_on`). `dashboards` is a version for the real Dashboards and
/// the stand-in's name with the range it models otherwise.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RanOn {
    pub opensearch: String,
    pub dashboards: String,
    pub idp: String,
}

/// The versions a case asked for where it did not run on them (`asked`); empty when it ran on what it asked.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Asked {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opensearch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboards: Option<String>,
}

impl Asked {
    pub fn is_empty(&self) -> bool {
        *self == Asked::default()
    }
}

/// A version the run was told to use, and by what (in words for reasons: "named on the command line",
/// "version set os-3.2").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinned {
    pub version: String,
    pub by: String,
}

/// The Dashboards a backend runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DashboardsOffer {
    /// OpenSearch Dashboards itself, of this version.
    Real(String),
    /// A stand-in that behaves like every Dashboards version of `models`; `display` names it in reports.
    StandIn { models: VersionReq, display: String },
}

impl DashboardsOffer {
    /// The harness's own stand-in ([`crate::stand_in::MODELS`]).
    pub fn stand_in() -> Self {
        DashboardsOffer::StandIn {
            models: VersionReq::parse(crate::stand_in::MODELS).expect("MODELS is a requirement"),
            display: crate::stand_in::MODELS_DISPLAY.to_owned(),
        }
    }
}

/// What a backend can run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Named for the run: every case runs on it.
    pub opensearch_pinned: Option<Pinned>,
    /// The versions the backend can get for a case that asks for one of them.
    pub opensearch_available: Vec<String>,
    /// Its own version, for cases that ask for one it cannot get.
    pub opensearch_default: String,
    /// Why a version outside `opensearch_available` cannot run, `{version}` standing for it.
    pub opensearch_missing: String,
    pub dashboards: DashboardsOffer,
    /// How reports name the IdP.
    pub idp: String,
    /// How reports name Keycloak, for a case with `stack.idp: keycloak` (both backends run the real one).
    pub keycloak: String,
}

impl Offer {
    /// The native backend: OpenSearch from Maven Central ([`crate::opensearch::NATIVE_VERSIONS`]), the Dashboards
    /// stand-in and the embedded IdP.
    pub fn native(pinned: Option<Pinned>) -> Self {
        Offer {
            opensearch_pinned: pinned,
            opensearch_available: crate::opensearch::NATIVE_VERSIONS
                .iter()
                .map(|v| v.to_string())
                .collect(),
            opensearch_default: crate::opensearch::NATIVE_DEFAULT_VERSION.to_owned(),
            opensearch_missing:
                "the native backend cannot fetch {version}: Maven Central does not \
                                 serve both its security plugin and its integ-test zip"
                    .into(),
            dashboards: DashboardsOffer::stand_in(),
            idp: crate::idp::NAME.to_owned(),
            keycloak: crate::keycloak::name(crate::keycloak::DEFAULT_VERSION),
        }
    }
}

/// What to do with one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub ran_on: RanOn,
    pub asked: Asked,
    /// The OpenSearch version to start for the case (`ran_on.opensearch`).
    pub opensearch: String,
    /// Why the case is not run, in words for its user; `None`: run it.
    pub not_run: Option<String>,
}

pub fn decide(case: &Case, offer: &Offer) -> Decision {
    let stack = &case.document.stack;
    let wanted = stack.opensearch.as_str();
    let (opensearch, why) = match &offer.opensearch_pinned {
        Some(p) => (p.version.clone(), p.by.clone()),
        None if offer.opensearch_available.iter().any(|v| v == wanted) => {
            (wanted.to_owned(), String::new())
        }
        None => (
            offer.opensearch_default.clone(),
            offer.opensearch_missing.replace("{version}", wanted),
        ),
    };
    // Why it runs on another version than it asks for: said only when it does.
    let why = (opensearch != wanted).then_some(why);

    let wanted_dashboards = stack.dashboards_version();
    let (dashboards, dashboards_asked) = match &offer.dashboards {
        DashboardsOffer::Real(v) => (v.clone(), v != wanted_dashboards),
        DashboardsOffer::StandIn { models, display } => (
            display.clone(),
            !release(wanted_dashboards).is_some_and(|v| models.matches(&v)),
        ),
    };
    let asked = Asked {
        opensearch: why.is_some().then(|| wanted.to_owned()),
        dashboards: dashboards_asked.then(|| wanted_dashboards.to_owned()),
    };

    let requires = &case.document.requires;
    let reasons: Vec<String> = [
        requires
            .opensearch
            .as_deref()
            .and_then(|r| opensearch_unmet(r, &opensearch, why.as_deref())),
        requires
            .dashboards
            .as_deref()
            .and_then(|r| dashboards_unmet(r, &offer.dashboards)),
    ]
    .into_iter()
    .flatten()
    .collect();
    Decision {
        ran_on: RanOn {
            opensearch: opensearch.clone(),
            dashboards,
            idp: match stack.idp {
                crate::scenario::IdpProfile::Keycloak => offer.keycloak.clone(),
                _ => offer.idp.clone(),
            },
        },
        asked,
        opensearch,
        not_run: (!reasons.is_empty()).then(|| reasons.join("; ")),
    }
}

/// An x.y.z version (OpenSearch's and Dashboards' are), or `None` for anything else (`latest`, `3.2`).
fn release(version: &str) -> Option<Version> {
    Version::parse(version).ok().filter(|v| v.pre.is_empty())
}

fn opensearch_unmet(text: &str, version: &str, why: Option<&str>) -> Option<String> {
    let req = match requirement(text) {
        Ok(r) => r,
        Err(e) => return Some(format!("requires opensearch {text}: {}", e.message)),
    };
    let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
    match release(version) {
        Some(v) if req.matches(&v) => None,
        Some(_) => Some(format!(
            "requires opensearch {text}; runs on {version}{why}"
        )),
        None => Some(format!(
            "requires opensearch {text}; runs on {version}{why}, which is not an x.y.z version to check it against"
        )),
    }
}

/// The real Dashboards meets a requirement when its version does; the stand-in only when **every** version it
/// models does: a case that needs behaviour of `<2.4`, or of `>=3.0` alone, is not shown by a stand-in that
/// models 2.12–3.2 as one.
fn dashboards_unmet(text: &str, offer: &DashboardsOffer) -> Option<String> {
    let req = match requirement(text) {
        Ok(r) => r,
        Err(e) => return Some(format!("requires dashboards {text}: {}", e.message)),
    };
    match offer {
        DashboardsOffer::Real(version) => match release(version) {
            Some(v) if req.matches(&v) => None,
            Some(_) => Some(format!(
                "requires dashboards {text}; runs on Dashboards {version}"
            )),
            None => Some(format!(
                "requires dashboards {text}; runs on Dashboards {version}, which is not an x.y.z version to check it against"
            )),
        },
        DashboardsOffer::StandIn { models, display } => {
            let contained = Range::of(models)
                .zip(Range::of(&req))
                .is_some_and(|(m, r)| r.contains(&m));
            (!contained).then(|| {
                format!(
                    "requires dashboards {text}; runs on the {display}, and not every version it models meets that"
                )
            })
        }
    }
}

/// The release versions (x.y.z) a requirement matches: from `lo` (inclusive) to `hi` (exclusive; `None`: no end).
/// A requirement is an intersection of comparators, each such a range, so it is one too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Range {
    lo: (u64, u64, u64),
    hi: Option<(u64, u64, u64)>,
}

impl Range {
    /// `None` for an operator semver may add later (its enum is non-exhaustive): then nothing is assumed.
    fn of(req: &VersionReq) -> Option<Range> {
        req.comparators.iter().try_fold(
            Range {
                lo: (0, 0, 0),
                hi: None,
            },
            |acc, c| {
                let r = Range::of_comparator(c)?;
                Some(Range {
                    lo: acc.lo.max(r.lo),
                    hi: match (acc.hi, r.hi) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    },
                })
            },
        )
    }

    fn of_comparator(c: &Comparator) -> Option<Range> {
        let major = c.major;
        let lo = (major, c.minor.unwrap_or(0), c.patch.unwrap_or(0));
        // The first release past what `c` names: past 2.1.3 is 2.1.4, past 2.1 is 2.2.0, past 2 is 3.0.0, and
        // past 3.0.0-beta1 is 3.0.0 itself.
        let past = match (c.minor, c.patch) {
            _ if !c.pre.is_empty() => lo,
            (Some(m), Some(p)) => (major, m, p + 1),
            (Some(m), None) => (major, m + 1, 0),
            (None, _) => (major + 1, 0, 0),
        };
        let upto = |hi| Range { lo, hi: Some(hi) };
        Some(match c.op {
            Op::Exact | Op::Wildcard => upto(past),
            Op::Greater => Range { lo: past, hi: None },
            Op::GreaterEq => Range { lo, hi: None },
            Op::Less => Range {
                lo: (0, 0, 0),
                hi: Some(lo),
            },
            Op::LessEq => Range {
                lo: (0, 0, 0),
                hi: Some(past),
            },
            Op::Tilde => upto(match c.minor {
                Some(m) => (major, m + 1, 0),
                None => (major + 1, 0, 0),
            }),
            Op::Caret => upto(match (major, c.minor, c.patch) {
                (0, Some(0), Some(p)) => (0, 0, p + 1),
                (0, Some(m), _) => (0, m + 1, 0),
                (0, None, _) => (1, 0, 0),
                _ => (major + 1, 0, 0),
            }),
            _ => return None,
        })
    }

    fn is_empty(&self) -> bool {
        self.hi.is_some_and(|hi| hi <= self.lo)
    }

    fn contains(&self, other: &Range) -> bool {
        other.is_empty()
            || (self.lo <= other.lo
                && match (self.hi, other.hi) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(a), Some(b)) => b <= a,
                })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{SourceFile, load};

    fn case(yaml: &str) -> Case {
        let file = SourceFile {
            path: "t.yaml".into(),
            text: format!("{yaml}\nexpect: {{ login: success }}\n"),
        };
        let mut s = load(&file).unwrap_or_else(|e| panic!("{}", e[0]));
        s.cases.remove(0)
    }

    /// A native-like backend that can fetch 2.11.1 and 2.19.4, and runs 2.19.4 otherwise.
    fn native_like(pinned: Option<&str>) -> Offer {
        Offer {
            opensearch_pinned: pinned.map(|v| Pinned {
                version: v.into(),
                by: "named on the command line".into(),
            }),
            opensearch_available: vec!["2.11.1".into(), "2.19.4".into()],
            opensearch_default: "2.19.4".into(),
            opensearch_missing: "cannot fetch {version}".into(),
            dashboards: DashboardsOffer::stand_in(),
            idp: "authentik (embedded profile)".into(),
            keycloak: "Keycloak 26.7.3".into(),
        }
    }

    fn containers(opensearch: &str, dashboards: &str) -> Offer {
        Offer {
            opensearch_pinned: Some(Pinned {
                version: opensearch.into(),
                by: "version set os-test".into(),
            }),
            opensearch_available: Vec::new(),
            opensearch_default: opensearch.into(),
            opensearch_missing: String::new(),
            dashboards: DashboardsOffer::Real(dashboards.into()),
            idp: "authentik 2025.12.4".into(),
            keycloak: "Keycloak 26.7.3".into(),
        }
    }

    #[test]
    fn a_keycloak_case_runs_on_keycloak_on_either_backend() {
        let kc = case("stack: { idp: keycloak }");
        for offer in [containers("3.2.0", "3.2.0"), native_like(None)] {
            let d = decide(&kc, &offer);
            assert_eq!(d.not_run, None);
            assert_eq!(d.ran_on.idp, "Keycloak 26.7.3");
            assert_eq!(decide(&case(""), &offer).ran_on.idp, offer.idp);
        }
    }

    #[test]
    fn a_pinned_version_wins_and_the_asked_one_is_reported() {
        let d = decide(
            &case("stack: { opensearch: 2.11.1 }"),
            &native_like(Some("2.19.4")),
        );
        assert_eq!(d.opensearch, "2.19.4");
        assert_eq!(d.ran_on.opensearch, "2.19.4");
        assert_eq!(d.asked.opensearch.as_deref(), Some("2.11.1"));
        assert_eq!(d.not_run, None);
    }

    #[test]
    fn an_available_asked_version_runs_and_nothing_is_asked() {
        // Dashboards named in range: the stand-in does not model 2.11 (its config schema differs).
        let d = decide(
            &case("stack: { opensearch: 2.11.1, dashboards: 2.19.4 }"),
            &native_like(None),
        );
        assert_eq!(d.opensearch, "2.11.1");
        assert_eq!(
            d.ran_on,
            RanOn {
                opensearch: "2.11.1".into(),
                dashboards: "Dashboards stand-in (models 2.12–3.2)".into(),
                idp: "authentik (embedded profile)".into(),
            }
        );
        assert!(d.asked.is_empty(), "{:?}", d.asked);
        assert_eq!(serde_json::to_string(&d.asked).unwrap(), "{}");
    }

    #[test]
    fn an_unavailable_asked_version_runs_on_the_default_and_is_reported() {
        // The defaults ask for 3.2.0, which the stand-in models: only OpenSearch is listed.
        let d = decide(&case("title: t"), &native_like(None));
        assert_eq!(d.opensearch, "2.19.4");
        assert_eq!(
            serde_json::to_value(&d.asked).unwrap(),
            serde_json::json!({ "opensearch": "3.2.0" })
        );
        assert_eq!(d.not_run, None);
    }

    #[test]
    fn an_unmet_opensearch_requirement_is_not_run_saying_why_it_runs_elsewhere() {
        let c = case("stack: { opensearch: 1.3.2 }\nrequires: { opensearch: \"<2.1\" }");
        let d = decide(&c, &native_like(None));
        assert_eq!(
            d.not_run.as_deref(),
            Some("requires opensearch <2.1; runs on 2.19.4 (cannot fetch 1.3.2)")
        );
        let pinned = decide(&c, &native_like(Some("2.11.1")));
        assert_eq!(
            pinned.not_run.as_deref(),
            Some("requires opensearch <2.1; runs on 2.11.1 (named on the command line)")
        );
        // The reason names no cause when the case runs on what it asked for.
        let c = case("stack: { opensearch: 2.19.4 }\nrequires: { opensearch: \">=3\" }");
        assert_eq!(
            decide(&c, &native_like(None)).not_run.as_deref(),
            Some("requires opensearch >=3; runs on 2.19.4")
        );
    }

    #[test]
    fn a_met_requirement_runs() {
        let c = case("stack: { opensearch: 2.11.1 }\nrequires: { opensearch: \">=2.7, <2.12\" }");
        assert_eq!(decide(&c, &native_like(None)).not_run, None);
        // On the version it runs on, not on the one it asks for.
        let c = case("stack: { opensearch: 3.2.0 }\nrequires: { opensearch: \"<3\" }");
        assert_eq!(decide(&c, &native_like(None)).not_run, None);
    }

    #[test]
    fn a_variant_sets_its_own_requirement() {
        let file = SourceFile {
            path: "t.yaml".into(),
            text: "expect: { login: success }\nvariants:\n  - name: any\n  - name: old\n    set: { /requires/opensearch: \"<2.1\" }\n".into(),
        };
        let s = load(&file).unwrap_or_else(|e| panic!("{}", e[0]));
        let d: Vec<_> = s
            .cases
            .iter()
            .map(|c| decide(c, &native_like(None)).not_run.is_some())
            .collect();
        assert_eq!(d, [false, true]);
    }

    #[test]
    fn the_stand_in_meets_a_dashboards_requirement_only_if_all_it_models_does() {
        let runs = |req: &str| {
            let c = case(&format!("requires: {{ dashboards: \"{req}\" }}"));
            decide(&c, &native_like(None)).not_run
        };
        for met in [">=2.7", ">=2.4", ">=2.7.0, <4.0.0", "<5", "*"] {
            assert_eq!(runs(met), None, "{met}");
        }
        for unmet in ["<2.4", ">=3.0", "<3", "=2.19.4", "^2.7", ">=2.7, <3.2"] {
            assert_eq!(
                runs(unmet).as_deref(),
                Some(
                    format!(
                        "requires dashboards {unmet}; runs on the Dashboards stand-in (models 2.12–3.2), \
                         and not every version it models meets that"
                    )
                    .as_str()
                ),
                "{unmet}"
            );
        }
    }

    #[test]
    fn the_stand_in_lists_an_asked_dashboards_version_only_outside_what_it_models() {
        let d = decide(
            &case("stack: { opensearch: 2.19.4, dashboards: 2.3.0 }"),
            &native_like(None),
        );
        assert_eq!(d.asked.dashboards.as_deref(), Some("2.3.0"));
        assert_eq!(d.asked.opensearch, None);
        let d = decide(
            &case("stack: { opensearch: 2.19.4, dashboards: 2.19.0 }"),
            &native_like(None),
        );
        assert!(d.asked.is_empty());
    }

    #[test]
    fn the_real_dashboards_is_judged_by_its_version() {
        let c = case("requires: { dashboards: \"<2.4\" }");
        let d = decide(&c, &containers("2.3.0", "2.3.0"));
        assert_eq!(d.ran_on.dashboards, "2.3.0");
        assert_eq!(d.not_run, None);
        // Asked 3.2.0 (the default) for both; the version set gave 2.3.0.
        assert_eq!(
            serde_json::to_value(&d.asked).unwrap(),
            serde_json::json!({ "opensearch": "3.2.0", "dashboards": "3.2.0" })
        );
        let d = decide(&c, &containers("3.3.2", "3.3.0"));
        assert_eq!(
            d.not_run.as_deref(),
            Some("requires dashboards <2.4; runs on Dashboards 3.3.0")
        );
        assert_eq!(d.ran_on.idp, "authentik 2025.12.4");
    }

    #[test]
    fn both_reasons_are_given_and_a_version_that_is_not_x_y_z_is_not_guessed_at() {
        let c = case("requires: { opensearch: \">=3\", dashboards: \"<2.4\" }");
        let d = decide(&c, &native_like(None));
        assert_eq!(
            d.not_run.unwrap().split("; requires").count(),
            2,
            "one reason per component"
        );
        let d = decide(
            &case("requires: { opensearch: \">=3\" }"),
            &containers("latest", "3.2.0"),
        );
        assert_eq!(
            d.not_run.as_deref(),
            Some(
                "requires opensearch >=3; runs on latest (version set os-test), which is not an x.y.z version to check it against"
            )
        );
    }

    #[test]
    fn ranges_match_exactly_what_semver_matches_on_releases() {
        let reqs = [
            "<2.1",
            ">=2.7, <3",
            "=1.3.2",
            "=2.1",
            "=2",
            ">2.1",
            ">2",
            ">2.1.3",
            "<=2.1",
            "<=2.1.3",
            "<=2",
            "~2.1.3",
            "~2.1",
            "~2",
            "^2.1.3",
            "^0.2.3",
            "^0.0.3",
            "^0.0",
            "^0",
            "^2",
            "2.*",
            "2.1.*",
            "*",
            ">=3.0.0-beta1",
            ">3.0.0-beta1",
            "<=3.0.0-beta1",
            "<3.0.0-beta1",
            "=3.0.0-beta1",
            ">=1, <1",
        ];
        for text in reqs {
            let req = VersionReq::parse(text).unwrap();
            let range = Range::of(&req).unwrap();
            for (a, b, c) in
                (0..5).flat_map(|a| (0..4).flat_map(move |b| (0..5).map(move |c| (a, b, c))))
            {
                let v = Version::new(a, b, c);
                let inside = range.lo <= (a, b, c) && range.hi.is_none_or(|hi| (a, b, c) < hi);
                assert_eq!(inside, req.matches(&v), "{text} on {v}: {range:?}");
            }
        }
    }

    #[test]
    fn the_native_offer_names_the_stand_in_and_the_embedded_idp() {
        let o = Offer::native(None);
        assert!(
            o.opensearch_available
                .contains(&crate::opensearch::NATIVE_DEFAULT_VERSION.to_owned())
        );
        let d = decide(
            &case("stack: { opensearch: 1.3.2 }\nrequires: { opensearch: \"<2.1\" }"),
            &o,
        );
        assert_eq!(
            d.not_run.as_deref(),
            Some(
                "requires opensearch <2.1; runs on 2.19.4 (the native backend cannot fetch 1.3.2: \
                 Maven Central does not serve both its security plugin and its integ-test zip)"
            )
        );
        assert_eq!(d.ran_on.idp, crate::idp::NAME);
    }
}
