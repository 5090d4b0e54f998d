//! The containers backend: every component in Docker through testcontainers, on a network of the run's own —
//! the official images by default, or the ones `cargo xtask images` builds here (`--images local`).

pub mod docker;
pub mod images;
pub mod local;
pub mod services;
mod stack;

pub use stack::{Options, Stack, Timings};
