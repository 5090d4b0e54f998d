//! Shared by the tests that talk to the embedded IdP.
#![allow(dead_code)]

use harness::certs::RunCertificates;
use harness::idp::{Config, Server};
use harness::render::placeholder_values;
use harness::scenario::{self, SourceFile};
use harness::secrets::Secrets;
use harness::topology::{Ports, Topology};

pub const REDIRECT: &str = "https://dashboards.sso.test:8443/auth/openid/login";

pub struct Idp {
    pub server: Server,
    pub config: Config,
    pub certs: RunCertificates,
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn start(scenario_yaml: &str) -> Idp {
    let file = SourceFile {
        path: "t.yaml".into(),
        text: format!("{scenario_yaml}\nexpect: {{ login: success }}\n"),
    };
    let s = scenario::load(&file).unwrap_or_else(|e| panic!("{}", e[0]));
    let doc = &s.cases[0].document;
    let topology = Topology::native(Ports::default());
    let certs = RunCertificates::generate(&topology.hosts).unwrap();
    let secrets = Secrets::random();
    let values = placeholder_values(doc, &topology, &certs, &secrets);
    let config = Config::from_case(doc, &certs, &secrets, &values);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::start(config.clone(), listener).unwrap();
    let base = format!("http://{}", server.addr());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    Idp {
        server,
        config,
        certs,
        base,
        http,
    }
}
