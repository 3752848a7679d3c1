//! The JSON Schema files of the record, embedded so that tests (and anyone
//! using this crate) validate against exactly what the repository ships.
//! The schemas are written by hand (they say more than the types: patterns,
//! limits, rules between fields); `sections`' tests check them against the
//! structs, so the two cannot drift apart.

use crate::sections::names;

/// The envelope of a `layer-record/v1` record.
pub const LAYER_RECORD_V1: &str = include_str!("../schemas/layer-record.v1.json");

/// The envelope of a `layer-report/v1` record (`layer-watch`).
pub const LAYER_REPORT_V1: &str = include_str!("../schemas/layer-report.v1.json");

/// Each section's schema, by the section's key in the record.
pub const SECTIONS_V1: &[(&str, &str)] = &[
    (
        names::VERSION,
        include_str!("../schemas/sections/version.v1.json"),
    ),
    (
        names::LAYER,
        include_str!("../schemas/sections/layer.v1.json"),
    ),
    (
        names::ARTIFACT,
        include_str!("../schemas/sections/artifact.v1.json"),
    ),
    (
        names::PUBLISHED,
        include_str!("../schemas/sections/published.v1.json"),
    ),
    (
        names::ATTACHMENTS,
        include_str!("../schemas/sections/attachments.v1.json"),
    ),
    (
        names::CHECK,
        include_str!("../schemas/sections/check.v1.json"),
    ),
    (
        names::PRUNED,
        include_str!("../schemas/sections/pruned.v1.json"),
    ),
    (
        names::PLANNED,
        include_str!("../schemas/sections/planned.v1.json"),
    ),
];
