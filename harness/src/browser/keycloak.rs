//! The login routine that knows Keycloak's login page (theme `keycloak.v2`, Keycloak 26.7.3): one plain form,
//! `#kc-form-login`, with `#username`, `#password` and the `#kc-login` button; a wrong password comes back as a
//! new page with "Invalid username or password." under the field (`.kc-feedback-text`). No shadow roots.

use fantoccini::{Client, Locator};

use super::BrowserError;

/// How `run::login`'s probe names Keycloak's login form as the IdP's stage.
pub const STAGE: &str = "kc-form-login";

/// Fills and submits the login form the browser is on. Where the browser goes next is for the caller to observe.
pub async fn login(client: &Client, username: &str, password: &str) -> Result<(), BrowserError> {
    for (css, text) in [("#username", username), ("#password", password)] {
        let field = client.find(Locator::Css(css)).await?;
        // After a wrong password the page keeps the username: `fill` replaces it, never adds to it.
        super::fill(client, &field, text).await?;
    }
    client
        .find(Locator::Css("#kc-login"))
        .await?
        .click()
        .await?;
    Ok(())
}
