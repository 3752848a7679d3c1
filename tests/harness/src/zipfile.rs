use std::io::{Cursor, Write};

/// A small zip of the given files, for function code and test layers.
pub fn zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, zip::CompressionMethod::Deflated)
}

/// A zip whose entries are stored, not compressed: as large as its files,
/// quickly (for tests of size limits).
pub fn stored_zip_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, zip::CompressionMethod::Stored)
}

fn zip_with(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, content) in files {
        writer.start_file(*name, options).expect("zip entry");
        writer.write_all(content).expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}
