//! The sections each stage adds to a record, as typed views.
//!
//! | section       | written by      | read by                         |
//! |---------------|-----------------|---------------------------------|
//! | `version`     | `layer-bump`    | `layer-pack`                    |
//! | `layer`       | `layer-pack`    | `layer-publish`, `layer-attach` |
//! | `artifact`    | `layer-pack`    | `layer-publish`                 |
//! | `published`   | `layer-publish` | `layer-attach`, `layer-watch`   |
//! | `attachments` | `layer-attach`  | `layer-attach --undo`           |
//!
//! Every section keeps fields it does not know in `extra`, so a newer producer's
//! additions survive an older consumer. The JSON Schema of each section is in
//! `layer-core/schemas/`.

mod artifact;
mod attachments;
mod layer;
mod published;
mod version;

pub use artifact::{Artifact, Dependencies, Finding, ImportProof, KeptBack, Pruning, Severity};
pub use attachments::{Attachment, AttachmentStatus};
pub use layer::{LayerSection, RetentionPolicy};
pub use published::{Grant, Published, RetentionOutcome};
pub use version::{Bump, DecidingCommit, VersionSection, VersionSource};

/// Section names, so that no tool spells them differently.
pub mod names {
    pub const VERSION: &str = "version";
    pub const LAYER: &str = "layer";
    pub const ARTIFACT: &str = "artifact";
    pub const PUBLISHED: &str = "published";
    pub const ATTACHMENTS: &str = "attachments";
}
