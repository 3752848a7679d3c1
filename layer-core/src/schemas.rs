//! The JSON Schema files of the record, embedded so that tests (and anyone
//! using this crate) validate against exactly what the repository ships.

/// The envelope of a `layer-record/v1` record.
pub const LAYER_RECORD_V1: &str = include_str!("../schemas/layer-record.v1.json");

/// The envelope of a `layer-report/v1` record (`layer-watch`).
pub const LAYER_REPORT_V1: &str = include_str!("../schemas/layer-report.v1.json");

/// Each section's schema, by the section's key in the record.
pub const SECTIONS_V1: &[(&str, &str)] = &[
    (
        "version",
        include_str!("../schemas/sections/version.v1.json"),
    ),
    ("layer", include_str!("../schemas/sections/layer.v1.json")),
    (
        "artifact",
        include_str!("../schemas/sections/artifact.v1.json"),
    ),
    (
        "published",
        include_str!("../schemas/sections/published.v1.json"),
    ),
    (
        "attachments",
        include_str!("../schemas/sections/attachments.v1.json"),
    ),
    ("check", include_str!("../schemas/sections/check.v1.json")),
    ("pruned", include_str!("../schemas/sections/pruned.v1.json")),
];
