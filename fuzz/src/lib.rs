//! The fuzz targets, as plain functions: libFuzzer's bins and the stable
//! replay driver call the same code. A target must never panic, whatever the
//! input; an `Err` is a fine answer.

use std::io::Cursor;

/// layer-publish's zip verifier, compiled from its source file: the very code
/// the tool runs, without the AWS SDK the rest of layer-publish needs.
#[path = "../../layer-publish/src/zipcheck.rs"]
pub mod zipcheck;

use layer_core::record::{LAYER_RECORD, LAYER_REPORT};
use layer_core::sections::{
    Artifact, Attachment, CheckSection, LayerSection, Published, Pruned, VersionSection, names,
};

/// The record reader, and the typed views every tool takes of its sections.
pub fn records(data: &[u8]) {
    let Ok(records) = layer_core::io::parse_records(data, &[LAYER_RECORD, LAYER_REPORT]) else {
        return;
    };
    for record in records {
        let _ = record.section::<VersionSection>(names::VERSION);
        let _ = record.section::<LayerSection>(names::LAYER);
        let _ = record.section::<Artifact>(names::ARTIFACT);
        let _ = record.section::<Vec<Attachment>>(names::ATTACHMENTS);
        let _ = record.section::<Published>(names::PUBLISHED);
        let _ = record.section::<CheckSection>(names::CHECK);
        let _ = record.section::<Pruned>(names::PRUNED);
        // What a tool writes back must serialise and read again.
        let text = serde_json::to_string(&record).expect("a record serialises");
        layer_core::io::parse_records(text.as_bytes(), &[LAYER_RECORD, LAYER_REPORT])
            .expect("a written record reads back");
    }
}

/// The layer-zip reader and verifier layer-publish runs before uploading.
pub fn zip(data: &[u8]) {
    if let Ok(contents) = zipcheck::inspect(Cursor::new(data)) {
        // Every file counted was an entry of the archive.
        assert!(contents.files <= data.len() as u64);
    }
}

/// A fuzz target: any bytes in, no panic.
pub type Target = fn(&[u8]);

/// The targets by name, for the replay driver.
pub const TARGETS: &[(&str, Target)] = &[("records", records), ("zip", zip)];
