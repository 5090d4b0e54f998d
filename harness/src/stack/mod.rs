//! The stack wing: from "a run has cases" to "the stack serves this case". `RunContext` renders every
//! component's files; `plan` (pure) decides what a case restarts; each backend (`native`, `containers`) carries
//! that out; `Backend`/`Stack` is the one face both show to `e2e`, `up`, `bench` and the tests.

mod backend;
mod context;
pub mod headless;

pub use backend::{Backend, Described, MemoryProbe, Stack};
pub use context::RunContext;
