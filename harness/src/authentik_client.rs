//! A client of authentik's headless login, as its own login page drives it: authorize → the flow executor API
//! (identification, password, then its redirects until `xak-flow-redirect`) → authorize again → code → token
//! endpoint. The containers backend uses it to observe
//! the id_token the real authentik issues to the relying party's client for a user — authentik does not hand the
//! harness the relying party's own token, so the harness logs that user in once more, with the same client,
//! redirect URI and scopes, and reads the token it gets.

use serde_json::{Value, json};
use url::Url;

/// The relying party whose token to obtain.
#[derive(Clone, Debug)]
pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub scope: String,
}

/// How to reach authentik: `origin` is its public origin (`https://idp.sso.test`), which authentik builds its
/// issuer from (sent as the Host header); `http` reaches it (e.g. resolving the name to a published port) and must
/// not follow redirects.
pub struct Authentik<'a> {
    pub origin: &'a str,
    pub http: &'a reqwest::Client,
    /// `http`'s cookie store (the session, and the CSRF cookie the API calls repeat in a header).
    pub jar: &'a reqwest::cookie::Jar,
    /// Where requests actually go (`https://idp.sso.test:32775`); the Host header stays `origin`'s.
    pub via: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("authentik's headless login: {0}")]
    Http(#[from] reqwest::Error),
    #[error("authentik's headless login: {0}")]
    Flow(String),
}

impl Authentik<'_> {
    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.via)
    }

    fn host(&self) -> &str {
        self.origin
            .trim_start_matches("https://")
            .trim_start_matches("http://")
    }

    /// A request to `via`, presenting itself as addressed to `origin` (as through Caddy).
    fn request(&self, method: reqwest::Method, path_and_query: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path_and_query))
            .header(reqwest::header::HOST, self.host())
            .header("X-Forwarded-Proto", "https")
    }

    pub async fn get(&self, path_and_query: &str) -> Result<reqwest::Response, HeadlessError> {
        Ok(self
            .request(reqwest::Method::GET, path_and_query)
            .send()
            .await?)
    }

    /// The id_token authentik issues to `client` for `user`.
    pub async fn id_token(
        &self,
        client: &Client,
        user: &str,
        password: &str,
    ) -> Result<String, HeadlessError> {
        let mut authorize = Url::parse("http://x/application/o/authorize/").expect("a URL");
        authorize
            .query_pairs_mut()
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", &client.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", &client.scope)
            .append_pair("state", "sso-harness-observer");
        let first = format!(
            "/application/o/authorize/?{}",
            authorize.query().unwrap_or("")
        );
        let flow = location(&self.get(&first).await?)?;
        let query = flow
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .ok_or_else(|| HeadlessError::Flow(format!("authorize sent to {flow}, not a flow")))?;
        let executor = format!(
            "{EXECUTOR}{}/?query={}",
            crate::idp::AUTHENTICATION_FLOW,
            url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
        );
        let identification = self.challenge(self.get(&executor).await?).await?;
        expect(&identification, "ak-stage-identification")?;
        let r = self
            .answer(
                &executor,
                json!({"component": "ak-stage-identification", "uid_field": user}),
            )
            .await?;
        let stage = self.challenge(r).await?;
        expect(&stage, "ak-stage-password")?;
        let r = self
            .answer(
                &executor,
                json!({"component": "ak-stage-password", "password": password}),
            )
            .await?;
        let done = self.challenge(r).await?;
        let to = match (done["component"].as_str(), done["to"].as_str()) {
            (Some("xak-flow-redirect"), Some(to)) => to.to_owned(),
            _ => {
                return Err(HeadlessError::Flow(format!(
                    "the flow did not finish: {done}"
                )));
            }
        };
        let to = to.strip_prefix(self.origin).unwrap_or(&to).to_owned();
        let back = location(&self.get(&to).await?)?;
        let code = Url::parse(&back)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or_else(|| HeadlessError::Flow(format!("no code in {back}")))?;
        let token: Value = self
            .request(reqwest::Method::POST, "/application/o/token/")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &client.redirect_uri),
                ("client_id", &client.client_id),
                ("client_secret", &client.client_secret),
            ])
            .send()
            .await?
            .json()
            .await?;
        token["id_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                HeadlessError::Flow(format!(
                    "no id_token in the token response: {}",
                    token["error"]
                ))
            })
    }

    /// The challenge an executor answer leads to. authentik answers a stage it moved past with a bare 302 back to
    /// the executor (empty body), and the stages that need nothing from the user pass on the GET that follows with
    /// another: after a right password the real 2025.12.4 answers 302 (password), 302 (MFA validation, no devices),
    /// then `xak-flow-redirect` (login). So: follow the executor's redirects with GETs until JSON comes back.
    async fn challenge(&self, mut r: reqwest::Response) -> Result<Value, HeadlessError> {
        for _ in 0..MAX_EXECUTOR_HOPS {
            if !r.status().is_redirection() {
                let status = r.status();
                let body = r.text().await?;
                return serde_json::from_str(&body).map_err(|_| {
                    HeadlessError::Flow(format!(
                        "the flow executor answered {status} without a challenge: {:.200}",
                        body
                    ))
                });
            }
            let to = location(&r)?;
            let to = to.strip_prefix(self.origin).unwrap_or(&to).to_owned();
            if !to.starts_with(EXECUTOR) {
                return Err(HeadlessError::Flow(format!(
                    "the flow executor redirected away, to {to}"
                )));
            }
            r = self.get(&to).await?;
        }
        Err(HeadlessError::Flow(format!(
            "the flow executor redirected {MAX_EXECUTOR_HOPS} times without a challenge"
        )))
    }

    /// POSTs a stage's answer; authentik answers a stage it moved past with a redirect back to the executor.
    async fn answer(
        &self,
        executor: &str,
        body: Value,
    ) -> Result<reqwest::Response, HeadlessError> {
        let mut req = self.request(reqwest::Method::POST, executor).json(&body);
        // authentik checks CSRF on session API calls: its cookie, repeated in a header.
        if let Some(csrf) = self.csrf() {
            req = req.header("X-authentik-CSRF", csrf);
        }
        Ok(req.send().await?)
    }

    fn csrf(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = Url::parse(self.via).ok()?;
        let cookies = self.jar.cookies(&url)?;
        cookies
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("authentik_csrf="))
            .map(str::to_owned)
    }
}

/// The flow executor API's path (a flow's slug follows).
const EXECUTOR: &str = "/api/v3/flows/executor/";

/// How many redirects from the executor to follow before giving up (the real default flow needs two).
const MAX_EXECUTOR_HOPS: usize = 8;

/// `challenge` is of `component`, or the flow went somewhere else (an error, a denial: shown as it came).
fn expect(challenge: &Value, component: &str) -> Result<(), HeadlessError> {
    if challenge["component"] == component {
        Ok(())
    } else {
        Err(HeadlessError::Flow(format!(
            "expected `{component}`, the flow executor sent {challenge}"
        )))
    }
}

fn location(r: &reqwest::Response) -> Result<String, HeadlessError> {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| HeadlessError::Flow(format!("expected a redirect, got {}", r.status())))
}
