//! What every case of a run shares: where the components are (topology), the run's certificates and its secrets.
//! Both backends hold one and render each case's files from it, every component's (the embedded IdP's included).

use crate::certs::RunCertificates;
use crate::render::{self, RenderError, RunFiles};
use crate::scenario::Case;
use crate::secrets::Secrets;
use crate::topology::Topology;

pub struct RunContext {
    pub topology: Topology,
    pub certs: RunCertificates,
    pub secrets: Secrets,
}

impl RunContext {
    /// A new run on `topology`: fresh certificates for its host names, fresh secrets.
    pub fn new(topology: Topology) -> Result<RunContext, rcgen::Error> {
        let certs = RunCertificates::generate(&topology.hosts)?;
        Ok(RunContext {
            topology,
            certs,
            secrets: Secrets::random(),
        })
    }

    /// Every file the components read for `case` (pure).
    pub fn render(&self, case: &Case) -> Result<RunFiles, RenderError> {
        render::render(&render::Inputs {
            case,
            topology: &self.topology,
            certs: &self.certs,
            secrets: &self.secrets,
        })
    }
}
