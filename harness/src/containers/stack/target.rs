//! The containers stack as a `run::Target`: what a case needs of it (the browser, OpenSearch, log slices, the
//! IdP's token).

use super::Stack;
use crate::browser;
use crate::containers::authentik;
use crate::containers::images::{DashboardsImage, IdpImages};
use crate::run::StackError;
use crate::scenario::{Case, IdpProfile};
use crate::secrets::Secrets;
use crate::topology::Topology;

impl crate::run::Target for Stack {
    fn topology(&self) -> &Topology {
        &self.context.topology
    }

    fn secrets(&self) -> &Secrets {
        &self.context.secrets
    }

    fn certs(&self) -> &crate::certs::RunCertificates {
        &self.context.certs
    }

    async fn apply(&mut self, case: &Case) -> Result<crate::run::Applied, StackError> {
        let (files, restarted) = Stack::apply(self, case).await?;
        Ok(crate::run::Applied::serving(files, restarted))
    }

    fn warm_browser(&mut self) -> &mut Option<browser::Browser> {
        &mut self.session
    }

    fn browser(&self) -> (String, browser::Options) {
        let h = &self.context.topology.hosts;
        (
            self.driver_url.clone(),
            browser::Options {
                host_rules: vec![
                    (h.idp.clone(), self.caddy_ip.clone()),
                    (h.dashboards.clone(), self.caddy_ip.clone()),
                    (h.opensearch.clone(), self.opensearch_ip.clone()),
                ],
                trusted_spki: self.context.certs.site_spkis(),
                remote: true,
            },
        )
    }

    fn opensearch(&self) -> Result<(reqwest::Client, String), reqwest::Error> {
        self.opensearch_client(None)
    }

    fn opensearch_log_offset(&self) -> u64 {
        self.opensearch.as_ref().map_or(0, |r| r.log.offset())
    }

    fn opensearch_log_since(&self, offset: u64) -> Vec<String> {
        self.opensearch
            .as_ref()
            .map_or_else(Vec::new, |r| r.log.since(offset))
    }

    fn dashboards_log_offset(&self) -> u64 {
        self.dashboards.as_ref().map_or(0, |r| r.log.offset())
    }

    fn dashboards_log_since(&self, offset: u64) -> Vec<String> {
        let lines = self
            .dashboards
            .as_ref()
            .map_or_else(Vec::new, |r| r.log.since(offset));
        match self.images.dashboards {
            DashboardsImage::StandIn(_) => lines,
            // The real Dashboards logs JSON, every plugin's: keep its security plugin's, in the stand-in's form.
            DashboardsImage::Official(_) => lines
                .iter()
                .filter_map(|l| crate::run::observe::dashboards_json_line(l))
                .collect(),
        }
    }

    fn component_logs(&self) -> Vec<(String, u64)> {
        self.running()
            .map(|r| (r.name.clone(), r.log.offset()))
            .collect()
    }

    fn component_log_since(&self, name: &str, offset: u64) -> Vec<String> {
        self.running()
            .find(|r| r.name == name)
            .map_or_else(Vec::new, |r| r.log.since(offset))
    }

    /// The embedded IdP hands the harness the tokens it issued (a file per user). The real authentik and Keycloak
    /// do not: the harness logs the user in once more with no browser (authentik's headless API; Keycloak's login
    /// form), with the relying party's client, through Caddy's published port, and reads the token it gets.
    async fn last_id_token(&self, user: &str) -> Option<String> {
        if let Some((case, files)) = &self.current
            && case.document.stack.idp == IdpProfile::Keycloak
        {
            let newest = self.run_dir.join(format!("files-{}", self.generation));
            let scope = crate::stack::headless::dashboards_scope(files, &newest);
            let caddy = std::net::SocketAddr::from(([127, 0, 0, 1], self.caddy_port));
            return crate::stack::headless::id_token(&self.context, caddy, case, &scope, user)
                .await
                .ok();
        }
        match &self.images.idp {
            IdpImages::Embedded(_) => {
                std::fs::read_to_string(self.run_dir.join("tokens").join(format!("{user}.jwt")))
                    .ok()
            }
            IdpImages::Authentik { .. } => {
                let (case, files) = self.current.as_ref()?;
                let newest = self.run_dir.join(format!("files-{}", self.generation));
                authentik::id_token(&self.context, (case, files), &newest, self.caddy_port, user)
                    .await
            }
        }
    }
}
