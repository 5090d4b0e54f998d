//! Shared by the tests that talk to the embedded IdP (here) and by those that boot a real node (`node`).
#![allow(dead_code)]

pub mod node;

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

/// `s` form-encoded, as a query parameter's value.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The flow executor's API for the default authentication flow at `base`, carrying the flow page's query.
pub fn executor_url(base: &str, flow_query: &str) -> String {
    format!(
        "{base}/api/v3/flows/executor/default-authentication-flow/?query={}",
        urlencode(flow_query)
    )
}

/// A GET that must answer JSON.
pub async fn get_json(http: &reqwest::Client, url: impl reqwest::IntoUrl) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}
