//! The harness library: scenario files, rendering of every component's configuration, certificates.
//! See `ARCHITECTURE.md` for the map.

pub mod scenario;
