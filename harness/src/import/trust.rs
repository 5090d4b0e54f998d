//! Whether the report's IdP has a certificate of a private CA: the posted files say so when they give the IdP a CA
//! of its own (config.yml's `pemtrustedcas_*` in the OpenID authenticator, prefixed or not, or Dashboards'
//! `opensearch_security.openid.root_ca`) other than the system's own bundle. The harness's IdP then gets one too (`stack.idp_certificate: private`),
//! so that what the report's servers trust — and fail to — is reproduced rather than masked by a CA every server
//! trusts by default.

use super::files::{Kind, Posted};
use super::rebuild::walk;

/// The first place in `posted` that gives the IdP a CA: `(file:line:column, the setting's dotted name)`.
pub(super) fn idp_ca_named(posted: &[Posted]) -> Option<(String, String)> {
    posted.iter().find_map(|p| {
        let mut found = None;
        walk(&p.value, "", &mut |ptr, v| {
            if found.is_some() || v.is_null() || v.is_object() {
                return;
            }
            let dotted = dotted(ptr);
            let names_a_ca = match p.kind {
                // config.dynamic.authc.<domain>.http_authenticator.config.<key>, the key's prefix either way
                Kind::Config => {
                    dotted.contains(".http_authenticator.config.")
                        && (dotted.ends_with("pemtrustedcas_filepath")
                            || dotted.ends_with("pemtrustedcas_content"))
                }
                Kind::Dashboards => dotted == "opensearch_security.openid.root_ca",
                _ => false,
            };
            if names_a_ca && !v.as_str().is_some_and(is_system_bundle) {
                found = Some((p.at(ptr), dotted));
            }
        });
        found
    })
}

/// A path to the operating system's own CA bundle (Debian's, Red Hat's, Alpine's, the JVM's): naming it trusts
/// the public CAs, as the default does — the seed report's `/etc/ssl/certs/ca-certificates.crt`.
fn is_system_bundle(path: &str) -> bool {
    const BUNDLES: &[&str] = &[
        "ca-certificates.crt",
        "ca-bundle.crt",
        "tls-ca-bundle.pem",
        "/etc/ssl/cert.pem",
        "cacerts",
    ];
    let path = path.trim();
    BUNDLES.iter().any(|b| path.ends_with(b))
}

/// A JSON Pointer as the dotted name the components read (`/a/b.c` → `a.b.c`), keys trimmed as the import does.
fn dotted(ptr: &str) -> String {
    ptr.split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~").trim().to_owned())
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::super::{Idp, import};

    fn scenario(files: &[(&str, &str)]) -> String {
        let files: Vec<_> = files
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        import(&files, Idp::Authentik).expect("imports").scenario
    }

    const CONFIG_WITH_CA: &str = "config:\n  dynamic:\n    authc:\n      oidc:\n        http_authenticator:\n          \
                                  type: openid\n          config:\n            openid_connect_url: https://idp.example/x\n            \
                                  pemtrustedcas_filepath: ca.pem\n";

    #[test]
    fn a_ca_given_to_the_idp_makes_its_certificate_private_and_dashboards_trusts_it_when_its_file_is_missing()
     {
        let s = scenario(&[("config.yml", CONFIG_WITH_CA)]);
        assert!(
            s.contains("idp_certificate: \"private\"  # the files give the IdP a CA of its own"),
            "{s}"
        );
        assert!(s.contains("(config.yml:9:13)"), "{s}");
        // No opensearch_dashboards.yml: the harness's Dashboards trusts the IdP's CA (one variant sets it).
        assert!(
            s.contains(
                "\"/dashboards/config/opensearch_security.openid.root_ca\":\"${tls.ca_file}\""
            ),
            "{s}"
        );
    }

    #[test]
    fn a_posted_dashboards_file_is_kept_as_it_is_about_the_idps_ca() {
        let s = scenario(&[
            ("config.yml", CONFIG_WITH_CA),
            (
                "opensearch_dashboards.yml",
                "opensearch_security.auth.type: openid\n",
            ),
        ]);
        assert!(s.contains("idp_certificate: \"private\""), "{s}");
        assert!(!s.contains("variants"), "{s}");
    }

    #[test]
    fn the_systems_own_ca_bundle_is_no_private_ca() {
        let s = scenario(&[(
            "config.yml",
            &CONFIG_WITH_CA.replace("ca.pem", "/etc/ssl/certs/ca-certificates.crt"),
        )]);
        assert!(!s.contains("idp_certificate"), "{s}");
    }

    #[test]
    fn without_a_ca_for_the_idp_its_certificate_stays_public() {
        let s = scenario(&[(
            "opensearch_dashboards.yml",
            "opensearch.ssl.certificateAuthorities: [/etc/ca.pem]\n",
        )]);
        assert!(!s.contains("idp_certificate"), "{s}");
    }
}
