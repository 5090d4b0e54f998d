//! The one login routine that knows authentik's UI (and so the embedded profile's, which has the same structure):
//! `ak-flow-executor` → shadow root → `ak-stage-identification` → shadow root → `input[name=uidField]`, then
//! `ak-stage-password` → shadow root → `input[name=password]`. Stages render after the executor's API answers,
//! so every step polls until its element is there.

use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use super::BrowserError;
use crate::wait::{self, Look, Waited};

/// How long one stage may take to appear, and how often to look.
const STAGE_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(25);

/// Logs in on the flow page the browser is on. Returns when the password has been submitted; where the browser
/// goes next (the relying party, or an error on the same stage) is for the caller to observe.
pub async fn login(client: &Client, username: &str, password: &str) -> Result<(), BrowserError> {
    let uid = stage_input(client, "ak-stage-identification", "input[name=uidField]").await?;
    super::enter(client, &uid, username).await?;
    submit_password(client, password).await
}

/// Types `password` into the password stage and submits it (also to try again after an error).
pub async fn submit_password(client: &Client, password: &str) -> Result<(), BrowserError> {
    let pw = stage_input(client, "ak-stage-password", "input[name=password]").await?;
    // The real password field keeps a wrong password's text after the error: `enter` replaces what it holds.
    super::enter(client, &pw, password).await
}

/// How WebDriver names an element in a script's result.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The error messages the current stage shows (e.g. "Invalid password"), once it shows any.
pub async fn stage_errors(client: &Client, stage: &str) -> Result<Vec<String>, BrowserError> {
    let shown = wait::until(STAGE_TIMEOUT, POLL, async || {
        let Ok(root) = stage_root(client, stage).await else {
            return Look::NotYet;
        };
        match root.find(Locator::Css(".pf-m-error")).await {
            Ok(el) => match el.text().await {
                Ok(t) => Look::Ready(vec![t]),
                Err(e) => Look::Failed(e),
            },
            Err(_) => Look::NotYet,
        }
    })
    .await;
    shown.map_err(|w| match w {
        Waited::Failed(e) => BrowserError::from(e),
        Waited::TimedOut => BrowserError::Flow(format!("no error shown on {stage}")),
    })
}

async fn stage_root(
    client: &Client,
    stage: &str,
) -> Result<fantoccini::elements::ShadowRoot, fantoccini::error::CmdError> {
    let executor = client.find(Locator::Css("ak-flow-executor")).await?;
    let stage = executor
        .shadow_root()
        .await?
        .find(Locator::Css(stage))
        .await?;
    stage.shadow_root().await
}

/// The input of a stage, through both shadow roots, or `null`: one script, one round trip per look (walking the
/// roots with WebDriver's own commands takes five).
const STAGE_INPUT: &str = r#"
const [stage, input] = arguments;
const executor = document.querySelector("ak-flow-executor");
const s = executor && executor.shadowRoot && executor.shadowRoot.querySelector(stage);
return (s && s.shadowRoot && s.shadowRoot.querySelector(input)) || null;
"#;

async fn stage_input(client: &Client, stage: &str, input: &str) -> Result<Element, BrowserError> {
    let found = wait::until(STAGE_TIMEOUT, POLL, async || {
        let args = vec![stage.into(), input.into()];
        match client.execute(STAGE_INPUT, args).await {
            Ok(serde_json::Value::Object(el)) => match el.get(ELEMENT_KEY) {
                Some(serde_json::Value::String(id)) => Look::<Element, ()>::Ready(
                    Element::from_element_id(client.clone(), id.clone().into()),
                ),
                _ => Look::NotYet,
            },
            // Not there yet, or a page in between documents.
            _ => Look::NotYet,
        }
    })
    .await;
    match found {
        Ok(el) => Ok(el),
        Err(_) => {
            let url = client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            Err(BrowserError::Flow(format!(
                "`{stage}` with `{input}` did not appear within {STAGE_TIMEOUT:?} (at {url})"
            )))
        }
    }
}
