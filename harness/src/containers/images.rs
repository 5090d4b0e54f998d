//! Which image runs each component: the official images (by default), or the ones `cargo xtask images` builds
//! here from the machine's registries (`--images local`). Every name and tag can be overridden, for mirrors and
//! air-gapped registries. Pure: nothing here talks to Docker.

use std::fmt;

use crate::versions::{Support, VersionSet};

/// An image reference, `name:tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub name: String,
    pub tag: String,
}

impl Image {
    pub fn new(name: impl Into<String>, tag: impl Into<String>) -> Self {
        Image {
            name: name.into(),
            tag: tag.into(),
        }
    }

    /// `name:tag` or `name` (tag `latest`), as Docker reads them.
    pub fn parse(reference: &str) -> Image {
        // A colon after the last slash separates the tag; one before it belongs to a registry's port.
        let slash = reference.rfind('/').map_or(0, |i| i + 1);
        match reference[slash..].rfind(':') {
            Some(i) => Image::new(&reference[..slash + i], &reference[slash + i + 1..]),
            None => Image::new(reference, "latest"),
        }
    }
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// Where the images come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Source {
    /// The projects' own images from their registries (Docker Hub, ghcr.io).
    #[default]
    Official,
    /// Built here by `cargo xtask images` (no registry needed); authentik and Dashboards are replaced by the
    /// harness's stand-ins, which say so in every report.
    Local,
}

/// The identity provider's containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdpImages {
    /// authentik: server and worker from one image, postgres, and redis for releases before 2025.10.
    Authentik {
        server: Image,
        postgres: Image,
        redis: Option<Image>,
    },
    /// `authentik (embedded profile)` in the stand-ins image.
    Embedded(Image),
}

/// Dashboards' container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DashboardsImage {
    Official(Image),
    /// The `Dashboards stand-in`, in the stand-ins image.
    StandIn(Image),
}

/// The images of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    pub source: Source,
    pub opensearch: Image,
    pub dashboards: DashboardsImage,
    pub idp: IdpImages,
    pub caddy: Image,
    pub browser: Image,
    /// Keycloak's image, for a case with `stack.idp: keycloak` (started at the run's first such case): the official
    /// one, or the local stand-in for it that `cargo xtask images` builds from the native backend's distribution.
    pub keycloak: Image,
}

/// The name prefix of the images `cargo xtask images` builds.
pub const LOCAL_PREFIX: &str = "sso-harness";
/// Tags of the local images that do not follow a component version.
pub const LOCAL_CADDY_TAG: &str = "debian";
pub const LOCAL_TAG: &str = "latest";

impl Images {
    /// The official images of a version set (`compose/versions.yaml`).
    pub fn official(v: &VersionSet, support: &Support) -> Images {
        Images {
            source: Source::Official,
            opensearch: Image::new("opensearchproject/opensearch", &v.opensearch),
            dashboards: DashboardsImage::Official(Image::new(
                "opensearchproject/opensearch-dashboards",
                &v.dashboards,
            )),
            idp: IdpImages::Authentik {
                server: Image::new("ghcr.io/goauthentik/server", &v.authentik),
                postgres: Image::new("postgres", &support.postgres),
                redis: v
                    .authentik_needs_redis()
                    .then(|| Image::new("redis", &support.redis)),
            },
            caddy: Image::new("caddy", &v.caddy),
            browser: Image::new(format!("{LOCAL_PREFIX}/browser"), LOCAL_TAG),
            keycloak: Image::new("quay.io/keycloak/keycloak", &support.keycloak),
        }
    }

    /// The images `cargo xtask images` builds for `opensearch_version`.
    pub fn local(opensearch_version: &str) -> Images {
        let stand_ins = Image::new(format!("{LOCAL_PREFIX}/stand-ins"), LOCAL_TAG);
        Images {
            source: Source::Local,
            opensearch: Image::new(format!("{LOCAL_PREFIX}/opensearch"), opensearch_version),
            dashboards: DashboardsImage::StandIn(stand_ins.clone()),
            idp: IdpImages::Embedded(stand_ins),
            caddy: Image::new(format!("{LOCAL_PREFIX}/caddy"), LOCAL_CADDY_TAG),
            browser: Image::new(format!("{LOCAL_PREFIX}/browser"), LOCAL_TAG),
            keycloak: Image::new(
                format!("{LOCAL_PREFIX}/keycloak"),
                crate::keycloak::DEFAULT_VERSION,
            ),
        }
    }

    /// Applies `component=image[:tag]` overrides (`opensearch`, `dashboards`, `authentik`, `postgres`, `redis`,
    /// `caddy`, `browser`, `keycloak`, `stand-ins`).
    pub fn with_overrides(mut self, overrides: &[(String, String)]) -> Result<Images, String> {
        for (component, reference) in overrides {
            let image = Image::parse(reference);
            match (component.as_str(), &mut self.idp, &mut self.dashboards) {
                ("opensearch", _, _) => self.opensearch = image,
                ("caddy", _, _) => self.caddy = image,
                ("browser", _, _) => self.browser = image,
                ("keycloak", _, _) => self.keycloak = image,
                ("dashboards", _, DashboardsImage::Official(d)) => *d = image,
                ("authentik", IdpImages::Authentik { server, .. }, _) => *server = image,
                ("postgres", IdpImages::Authentik { postgres, .. }, _) => *postgres = image,
                ("redis", IdpImages::Authentik { redis, .. }, _) => *redis = Some(image),
                ("stand-ins", idp, dashboards) => {
                    if let IdpImages::Embedded(i) = idp {
                        *i = image.clone();
                    }
                    if let DashboardsImage::StandIn(i) = dashboards {
                        *i = image;
                    }
                }
                (c, _, _) => {
                    return Err(format!(
                        "`--image {c}=…` does not apply to {:?} images: the components are opensearch, dashboards, \
                         authentik, postgres, redis, caddy, browser, keycloak (official) and opensearch, caddy, browser, \
                         keycloak, stand-ins (local)",
                        self.source
                    ));
                }
            }
        }
        Ok(self)
    }

    /// Every image the run needs, once each. Keycloak's is not among them: it is needed only at a run's first
    /// Keycloak case, and looked for then.
    pub fn all(&self) -> Vec<&Image> {
        let mut v = vec![&self.opensearch, &self.caddy, &self.browser];
        match &self.idp {
            IdpImages::Authentik {
                server,
                postgres,
                redis,
            } => v.extend([server, postgres].into_iter().chain(redis.as_ref())),
            IdpImages::Embedded(i) => v.push(i),
        }
        match &self.dashboards {
            DashboardsImage::Official(i) | DashboardsImage::StandIn(i) => v.push(i),
        }
        let mut seen = Vec::new();
        v.retain(|i| {
            let new = !seen.contains(i);
            seen.push(*i);
            new
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(authentik: &str) -> (VersionSet, Support) {
        (
            VersionSet {
                name: "t".into(),
                opensearch: "3.2.0".into(),
                dashboards: "3.2.0".into(),
                authentik: authentik.into(),
                caddy: "2.10".into(),
            },
            Support {
                postgres: "16-alpine".into(),
                redis: "7-alpine".into(),
                keycloak: "26.7.3".into(),
            },
        )
    }

    #[test]
    fn references_split_at_the_tag_not_at_a_registry_port() {
        assert_eq!(
            Image::parse("registry.local:5000/caddy:2.10"),
            Image::new("registry.local:5000/caddy", "2.10")
        );
        assert_eq!(
            Image::parse("registry.local:5000/caddy"),
            Image::new("registry.local:5000/caddy", "latest")
        );
        assert_eq!(Image::parse("caddy:2").to_string(), "caddy:2");
    }

    #[test]
    fn official_images_are_the_projects_own_with_redis_only_before_2025_10() {
        let (new, support) = set("2025.12.4");
        let names: Vec<String> = Images::official(&new, &support)
            .all()
            .iter()
            .map(|i| i.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "opensearchproject/opensearch:3.2.0",
                "caddy:2.10",
                "sso-harness/browser:latest",
                "ghcr.io/goauthentik/server:2025.12.4",
                "postgres:16-alpine",
                "opensearchproject/opensearch-dashboards:3.2.0"
            ]
        );
        let (old, support) = set("2025.8.4");
        assert!(
            Images::official(&old, &support)
                .all()
                .iter()
                .any(|i| i.to_string() == "redis:7-alpine")
        );
    }

    #[test]
    fn overrides_replace_one_image_and_refuse_what_does_not_apply() {
        let (v, support) = set("2025.12.4");
        let i = Images::official(&v, &support)
            .with_overrides(&[("opensearch".into(), "mirror.local/os:3.2.0".into())])
            .unwrap();
        assert_eq!(i.opensearch.to_string(), "mirror.local/os:3.2.0");
        let e = Images::local("2.19.4")
            .with_overrides(&[("authentik".into(), "x:1".into())])
            .unwrap_err();
        assert!(e.contains("authentik"), "{e}");
        let s = Images::local("2.19.4")
            .with_overrides(&[("stand-ins".into(), "me/stand-ins:dev".into())])
            .unwrap();
        assert_eq!(
            s.idp,
            IdpImages::Embedded(Image::new("me/stand-ins", "dev"))
        );
    }
}
