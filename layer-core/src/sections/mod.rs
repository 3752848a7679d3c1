//! The sections each stage adds to a record, as typed views.
//!
//! | section       | written by      | read by                         |
//! |---------------|-----------------|---------------------------------|
//! | `version`     | `layer-bump`    | `layer-pack`                    |
//! | `layer`       | `layer-pack`    | `layer-publish`, `layer-attach` |
//! | `artifact`    | `layer-pack`    | `layer-publish`                 |
//! | `published`   | `layer-publish` | `layer-attach`, `layer-watch`   |
//! | `attachments` | `layer-attach`  | `layer-attach --undo`           |
//! | `check`       | `layer-bump check` | scripts                      |
//! | `pruned`      | `layer-publish --prune-only` | scripts            |
//! | `planned`     | `layer-publish --dry-run` | scripts, people       |
//!
//! Every section keeps fields it does not know in `extra`, so a newer producer's
//! additions survive an older consumer; a tool's own fields are typed fields.
//! The JSON Schema of each section is in `layer-core/schemas/`, checked against
//! these structs by the tests below.

mod artifact;
mod attachments;
mod check;
mod layer;
mod planned;
mod pruned;
mod published;
mod version;

#[cfg(test)]
mod schema_tests;

pub use artifact::{
    Artifact, Check, Dependencies, Finding, ImportProof, KeptBack, Pruning, Severity,
};
pub use attachments::{AliasMove, Attachment, AttachmentStatus};
pub use check::CheckSection;
pub use layer::{Family, FamilyBuild, LayerSection, RetentionPolicy};
pub use planned::{Planned, PlannedAction, PlannedUpload};
pub use pruned::Pruned;
pub use published::{Grant, Published, RetentionOutcome, S3Upload, SsmPointer};
pub use version::{Bump, DecidingCommit, VersionSection, VersionSource};

/// Section names, so that no tool spells them differently.
pub mod names {
    pub const VERSION: &str = "version";
    pub const LAYER: &str = "layer";
    pub const ARTIFACT: &str = "artifact";
    pub const PUBLISHED: &str = "published";
    pub const ATTACHMENTS: &str = "attachments";
    pub const CHECK: &str = "check";
    pub const PRUNED: &str = "pruned";
    pub const PLANNED: &str = "planned";

    /// Every section a layer tool writes, in pipeline order.
    pub const ALL: &[&str] = &[
        VERSION,
        LAYER,
        ARTIFACT,
        PUBLISHED,
        ATTACHMENTS,
        CHECK,
        PRUNED,
        PLANNED,
    ];
}
