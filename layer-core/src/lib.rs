//! The contract between the layer tools.
//!
//! Every tool reads and writes *records*: JSON objects, one per line, each
//! carrying a `"schema": "<name>/v<major>"` field. A stage adds its own
//! section (`version`, `layer`, `artifact`, `published`, `attachments`; or
//! `check`, `pruned`) and passes every other field through untouched, so a
//! record at the end of a pipe tells the whole story of a deploy. Sections are
//! typed end to end: ARNs, runtimes and architectures are parsed once, where a
//! record is read or an AWS answer comes in.
//!
//! This crate has no AWS dependency on purpose: `layer-pack` and `layer-bump`
//! build without compiling the AWS SDK.

pub mod arn;
pub mod cli;
pub mod error;
pub mod hex;
pub mod io;
pub mod journal;
pub mod lifecycle;
pub mod platform;
pub mod record;
pub mod retention;
pub mod schemas;
pub mod sections;

pub use error::{Context, Error, Result, Signal};
pub use record::{Record, SchemaName};
