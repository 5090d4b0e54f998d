//! results.json is a contract (docs/scenario-format.md, "What a run writes"): its shape is pinned by a snapshot of
//! what the writer makes of a run with every kind of case (judged with hops, a token and authinfo, a failure, a
//! restart, versions asked for and ran on, `not_run`, `error`, a run with a version set), and the reader
//! (`Results::parse`, which `summary` uses) reads back exactly what the writer wrote.

use harness::run::hops::{Hop, Kind};
use harness::run::observe::{Authinfo, TokenShape};
use harness::run::report::{self, Backend};
use harness::run::results::Results;
use harness::run::versions::{Asked, RanOn};
use harness::run::{CaseResult, Status, Timings};
use harness::scenario::{Outcome, SourceFile, TokenFormat};

const SCENARIO: &str = r#"
variants:
  - name: jwe
    expect:
      login: unauthorized
      authinfo: { status: 401 }
      token: { format: jwe, alg: RSA-OAEP-256 }
      opensearch_log: { contains: [Authentication finally failed for null] }
  - name: loop
    expect: { login: success }
  - name: old
    expect: { login: success }
  - name: broken
    expect: { login: success }
"#;

fn hop(method: &str, url: &str, status: Option<u16>, kind: Kind, error: Option<&str>) -> Hop {
    Hop {
        method: method.into(),
        url: url.into(),
        status,
        kind,
        error: error.map(str::to_owned),
        host: String::new(),
        path: String::new(),
    }
}

fn ran_on() -> RanOn {
    RanOn {
        opensearch: "2.19.4".into(),
        dashboards: "Dashboards stand-in (models 2.7–3.x)".into(),
        idp: "authentik (embedded profile)".into(),
    }
}

/// A run of every kind of case, as `e2e` hands it to the writer.
fn run() -> Vec<CaseResult> {
    let file = SourceFile {
        path: "scenarios/kinds.yaml".into(),
        text: SCENARIO.into(),
    };
    let cases = harness::scenario::load(&file).unwrap().cases;

    let mut jwe = CaseResult::unjudged(&cases[0], Status::Pass, "");
    jwe.reason = None;
    jwe.pass = true;
    jwe.duration_ms = 2803;
    jwe.timings = Timings {
        config_swap_ms: 277,
        browser_login_ms: 2471,
        observation_ms: 54,
    };
    jwe.observed.login = Some(Outcome::Unauthorized);
    jwe.observed.login_detail = Some("401 JSON at /auth/openid/login".into());
    jwe.observed.final_url = Some("/auth/openid/login?code=[code]&state=[state]".into());
    jwe.observed.authinfo = Some(Authinfo {
        status: 401,
        ..Default::default()
    });
    jwe.observed.token = Some(TokenShape {
        format: TokenFormat::Jwe,
        alg: Some("RSA-OAEP-256".into()),
        enc: Some("A256CBC-HS512".into()),
        kid_present: true,
        claims: Vec::new(),
        inner: Some(Box::new(TokenShape {
            format: TokenFormat::Jws,
            alg: Some("RS256".into()),
            enc: None,
            kid_present: true,
            claims: vec!["iss".into(), "sub".into(), "groups".into()],
            inner: None,
        })),
    });
    jwe.observed.opensearch_log = vec![
        "[WARN ][o.o.s.a.BackendRegistry  ] Authentication finally failed for null from [ip]"
            .into(),
    ];
    jwe.observed.dashboards_log =
        vec!["[error][plugins][securityDashboards] OpenId authentication failed".into()];
    jwe.observed.hops = Some(vec![
        hop(
            "GET",
            "https://dashboards.sso.test/app/home",
            Some(302),
            Kind::Document,
            None,
        ),
        hop(
            "GET",
            "https://idp.sso.test/application/o/authorize/?state=[state]",
            Some(200),
            Kind::Document,
            None,
        ),
        hop(
            "POST",
            "https://idp.sso.test/api/v3/flows/executor/x/",
            None,
            Kind::Fetch,
            Some("net::ERR_ABORTED"),
        ),
        hop(
            "GET",
            "https://dashboards.sso.test/api/v1/configuration/account",
            None,
            Kind::Xhr,
            None,
        ),
    ]);
    let jwe = jwe.on(
        ran_on(),
        Asked {
            opensearch: Some("3.2.0".into()),
            dashboards: None,
        },
    );

    let mut looped = CaseResult::unjudged(&cases[1], Status::Fail, "");
    looped.reason = None;
    looped.duration_ms = 3100;
    looped.restarted = vec!["opensearch: its trust store changed".into()];
    looped.observed.login = Some(Outcome::Stuck);
    looped.observed.login_detail = Some("no decisive state within 30 s".into());
    looped.observed.token = Some(TokenShape {
        format: TokenFormat::Jws,
        alg: Some("RS256".into()),
        enc: None,
        kid_present: false,
        claims: vec!["iss".into(), "sub".into()],
        inner: None,
    });
    looped.observed.authinfo = Some(Authinfo {
        status: 200,
        user_name: Some("alice".into()),
        backend_roles: Some(vec!["admins".into()]),
        roles: Some(vec!["all_access".into()]),
    });
    looped.mismatches = vec!["login: expected success, got stuck".into()];
    let looped = looped.on(ran_on(), Asked::default());

    let not_run = CaseResult::unjudged(&cases[2], Status::NotRun, "requires opensearch <2");
    let broken = CaseResult::unjudged(
        &cases[3],
        Status::Error,
        "applying the configuration: refused",
    );
    let file = SourceFile {
        path: "scenarios/plain.yaml".into(),
        text: "expect: { login: success }\n".into(),
    };
    let plain = &harness::scenario::load(&file).unwrap().cases[0];
    let stopped = CaseResult::unjudged(plain, Status::NotRun, "stopped at the first failure");
    vec![jwe, looped, not_run, broken, stopped]
}

fn written(backend: &Backend, results: &[CaseResult]) -> String {
    let dir = tempfile::tempdir().unwrap();
    report::write(dir.path(), backend, results).unwrap();
    std::fs::read_to_string(dir.path().join("results.json")).unwrap()
}

const NATIVE: Backend = Backend {
    name: "native",
    opensearch: "2.19.4",
    version_set: None,
    idp: "authentik (embedded profile)",
    dashboards: "Dashboards stand-in",
};

const CONTAINERS: Backend = Backend {
    name: "containers",
    opensearch: "3.2.0",
    version_set: Some("os-3.2"),
    idp: "authentik",
    dashboards: "OpenSearch Dashboards",
};

#[test]
fn the_shape_of_results_json_is_the_contract() {
    insta::with_settings!({ snapshot_path => "../../snapshots/results", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("native-run", written(&NATIVE, &run()));
        insta::assert_snapshot!("containers-run", written(&CONTAINERS, &run()[2..]));
    });
}

#[test]
fn the_reader_reads_back_what_the_writer_wrote() {
    for (backend, cases) in [(NATIVE, run()), (CONTAINERS, run()[2..].to_vec())] {
        let read = Results::parse(&written(&backend, &cases)).unwrap();
        // The hops' `host` and `path` are the observer's, never written: empty here, as they are when read back.
        assert_eq!(read, backend.results(&cases));
    }
}

#[test]
fn a_case_folder_result_is_one_entry_of_the_report() {
    for case in run() {
        let text = serde_json::to_string_pretty(&case).unwrap();
        assert_eq!(serde_json::from_str::<CaseResult>(&text).unwrap(), case);
    }
}

/// Reports committed elsewhere in the repository (the summary's fixtures: real runs of older versions, hand-written
/// cells) are read by the same type.
#[test]
fn older_reports_parse() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/summary"));
    let mut read = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let file = entry.unwrap().path().join("results.json");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        match Results::parse(&text) {
            Ok(r) => {
                read += 1;
                assert!(!r.cases.is_empty(), "{}", file.display());
            }
            // The one cut off mid-write, on purpose.
            Err(e) => assert!(
                e.to_string().contains("EOF while parsing"),
                "{}: {e}",
                file.display()
            ),
        }
    }
    assert_eq!(read, 3);
}
