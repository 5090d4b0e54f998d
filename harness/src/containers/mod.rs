//! The containers backend: every component in Docker through testcontainers, on a network of the run's own —
//! the official images by default, or the ones `cargo xtask images` builds here (`--images local`).
//!
//! `services` describes each service (pure, in `spec`'s terms; the compose bundles read the same descriptions), `component` turns a
//! description into a running container, `authentik` and `keycloak` run the real IdPs, `caddy` leads the IdP's
//! name elsewhere in the running Caddy, and `stack` carries out `plan::Plan` with them.

mod authentik;
mod caddy;
mod component;
pub mod docker;
pub mod images;
mod keycloak;
pub mod local;
pub mod services;
mod spec;
mod stack;

use std::time::Duration;

pub use stack::{Options, Stack, Timings};

/// What can go wrong in the containers backend (a `run::StackError` at the backend's boundary).
#[derive(Debug, thiserror::Error)]
pub enum ContainersError {
    #[error("{0}")]
    Docker(#[from] docker::DockerError),
    #[error(
        "image(s) not in the Docker engine: {missing}; build them with `cargo xtask images{hint}`"
    )]
    MissingImages { missing: String, hint: String },
    #[error("starting {name} ({image}): {source}")]
    Start {
        name: String,
        image: String,
        source: Box<testcontainers::TestcontainersError>,
    },
    /// Asking testcontainers about a running container (ports, address, state, exec).
    #[error("Docker (testcontainers): {0}")]
    Container(Box<testcontainers::TestcontainersError>),
    #[error("{name}'s container exited during start; last log lines:\n{tail}")]
    Exited { name: String, tail: String },
    #[error("{what} was not ready after {limit:?}; last log lines:\n{tail}")]
    NotReady {
        what: String,
        limit: Duration,
        tail: String,
    },
    #[error("{why}; the end of Caddy's log:\n{tail}")]
    CaddyReload { why: String, tail: String },
    #[error("{0}")]
    KeycloakAdmin(#[from] crate::keycloak::AdminError),
    #[error("authentik did not apply the blueprint (exit {code:?}):\n{output}")]
    Blueprint { code: Option<i64>, output: String },
    #[error("{name}'s address {ip:?}: {source}")]
    Address {
        name: String,
        ip: String,
        source: std::net::AddrParseError,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("rendering: {0}")]
    Render(#[from] crate::render::RenderError),
    #[error("certificates: {0}")]
    Certs(#[from] rcgen::Error),
    #[error("{0}")]
    Jdk(#[from] crate::opensearch::JdkError),
    #[error("{0}")]
    TrustStore(#[from] crate::opensearch::NodeError),
    #[error("{0}")]
    Api(#[from] crate::opensearch::ApiError),
    #[error("OpenSearch client: {0}")]
    Client(#[from] reqwest::Error),
}

impl From<testcontainers::TestcontainersError> for ContainersError {
    fn from(e: testcontainers::TestcontainersError) -> Self {
        ContainersError::Container(Box::new(e))
    }
}
