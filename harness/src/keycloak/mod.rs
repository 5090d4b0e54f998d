//! The real Keycloak as the stack's IdP (`stack.idp: keycloak`, `docs/keycloak.md`): its distribution from Maven
//! Central built once per version (`distribution`), a run's Keycloak process on loopback (`node`), its admin REST
//! API putting a case's realm in place (`admin`), and the headless login the harness observes its tokens through
//! (`headless`).

pub mod admin;
pub mod distribution;
pub mod headless;
pub mod node;

pub use admin::{Admin, AdminError};
pub use distribution::{DEFAULT_VERSION, Distribution, DistributionError};
pub use node::{Listen, Node, NodeError};

/// How reports name the IdP: the real Keycloak and its version.
pub fn name(version: &str) -> String {
    format!("Keycloak {version}")
}
