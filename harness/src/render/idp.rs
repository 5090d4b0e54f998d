//! The embedded IdP's configuration (`idp::Config`, as JSON): what the native backend runs in process and the
//! containers backend hands to the provider's container. Rendered for every case, like every other component's
//! files, so that nothing configures a component beside `RunFiles`.

use super::{Inputs, RenderError, RunFiles};
use crate::idp;

pub const CONFIG: &str = "idp/config.json";

pub(super) fn render(i: &Inputs, files: &mut RunFiles) -> Result<(), RenderError> {
    let config = idp::Config::for_run(&i.case.document, i.topology, i.certs, i.secrets);
    let json = serde_json::to_string_pretty(&config).map_err(|e| RenderError::Json {
        file: CONFIG.to_owned(),
        message: e.to_string(),
    })?;
    files.add(CONFIG, json);
    Ok(())
}
