//! The `Caddyfile`: Caddy is the TLS edge of the IdP and Dashboards, with the run's certificates.

use std::fmt::Write;

use super::{Inputs, RunFiles};
use crate::scenario::IdpProfile;

pub fn render(i: &Inputs, files: &mut RunFiles) {
    let t = i.topology;
    let mut out = String::from(
        "# Rendered by sso-harness. Caddy terminates TLS for the IdP and Dashboards with the run's certificates;\n\
         # reverse_proxy keeps the Host header and sets X-Forwarded-Proto, which the IdP derives its issuer from.\n\
         {\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n}\n",
    );
    let dir = &t.caddy_cert_dir;
    // A Keycloak case's IdP name leads to Keycloak (the native backend restarts Caddy when a case's Caddyfile
    // differs from the one it runs: once each way in an ordered run).
    let idp = match (&t.keycloak_upstream, i.case.document.stack.idp) {
        (Some(keycloak), IdpProfile::Keycloak) => keycloak,
        _ => &t.idp_upstream,
    };
    for (host, name, upstream) in [
        (&t.hosts.idp, "idp", idp),
        (&t.hosts.dashboards, "dashboards", &t.dashboards_upstream),
    ] {
        let _ = write!(out, "\nhttps://{host}:{} {{\n", t.https_port);
        if let Some(bind) = &t.caddy_bind {
            let _ = writeln!(out, "\tbind {bind}");
        }
        let _ = writeln!(out, "\ttls {dir}/{name}.pem {dir}/{name}-key.pem");
        let _ = writeln!(out, "\treverse_proxy {upstream}");
        let _ = writeln!(out, "\tlog");
        out.push_str("}\n");
    }
    files.add("caddy/Caddyfile", out);
    files.add("caddy/certs/idp.pem", &i.certs.idp_site.cert);
    files.add("caddy/certs/idp-key.pem", &i.certs.idp_site.key);
    files.add("caddy/certs/dashboards.pem", &i.certs.dashboards_site.cert);
    files.add(
        "caddy/certs/dashboards-key.pem",
        &i.certs.dashboards_site.key,
    );
}
