//! The harness library: scenario files, rendering of every component's configuration, certificates.
//! See `ARCHITECTURE.md` for the map.

pub mod authentik_client;
pub mod browser;
pub mod cache;
pub mod caddy;
pub mod certs;
pub mod compose;
pub mod containers;
pub mod diagnosis;
pub mod idp;
pub mod import;
pub mod keycloak;
pub mod matrix;
pub mod maven;
pub mod native;
pub mod opensearch;
pub mod overlay;
pub mod plan;
pub mod process;
pub mod redact;
pub mod render;
pub mod run;
pub mod scenario;
pub mod secrets;
pub mod select;
pub mod serve;
pub mod stack;
pub mod stand_in;
pub mod summary;
pub mod topology;
pub mod versions;
pub mod wait;
