//! A deterministic zip writer: entries in sorted order, fixed timestamps,
//! normalised permissions, no extra fields that vary by machine, deflate data
//! from libdeflate compressed in parallel on every core within a bounded window of bytes.
//!
//! Why write the container here rather than with the `zip` crate: the crate
//! cannot take deflate data made by another compressor, and libdeflate is both
//! faster and smaller than the deflate backends the crate can drive (see
//! docs/layer-pack.md). The container itself is small and fully specified
//! (PKWARE APPNOTE 6.3.x, sections 4.3 and 4.5); zip64 records are written only
//! when a count or an offset needs them. Tests read every zip back with the zip
//! crate, `unzip -t` and Python's zipfile.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Condvar, Mutex};

use layer_core::{Error, Result};
use libdeflater::{CompressionLvl, Compressor};
use sha2::{Digest, Sha256};

use crate::buffers::{self, Scratch};
use crate::tree::Entry;

/// The highest libdeflate level: slow, smallest output.
pub const MAX_LEVEL: u8 = 12;

/// Every entry's time: 1980-01-01 00:00:00, the earliest a zip can say.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

const FILE_MODE: u32 = 0o100644;
const EXEC_MODE: u32 = 0o100755;
const DIR_MODE: u32 = 0o040755;
/// MS-DOS directory attribute, for readers that ignore the Unix mode.
const DOS_DIR: u32 = 0x10;

/// File bytes in flight (read, compressed, not yet written) per compressing
/// thread: bounds memory whatever the layer's size. A file larger than the whole
/// window waits until nothing else is in flight, then is held alone.
const WINDOW_BYTES_PER_THREAD: u64 = 8 * 1024 * 1024;

/// A written zip, still in its temporary file until `persist`.
#[derive(Debug)]
pub struct WrittenZip {
    pub temp: tempfile::NamedTempFile,
    pub zip_bytes: u64,
    pub sha256: [u8; 32],
}

/// One entry of the central directory.
struct CentralEntry {
    name: String,
    crc: u32,
    method: u16,
    compressed: u64,
    size: u64,
    offset: u64,
    mode: u32,
}

/// A compressed (or stored) file, ready to be written.
struct Packed {
    data: Vec<u8>,
    crc: u32,
    method: u16,
    size: u64,
}

impl Packed {
    /// A directory entry.
    const EMPTY: Packed = Packed {
        data: Vec::new(),
        crc: 0,
        method: 0,
        size: 0,
    };
}

/// Write `files` (sorted by zip path) as a zip into a temporary file in `dir`.
pub fn write(files: &[Entry], dir: &Path, level: u8) -> Result<WrittenZip> {
    let temp = tempfile::Builder::new()
        .prefix(".layer-pack-")
        .suffix(".zip.tmp")
        .tempfile_in(dir)
        .map_err(|err| Error::io("create a temporary file in", dir, err))?;
    let mut out = HashingWriter::new(BufWriter::with_capacity(
        1 << 20,
        temp.as_file().try_clone()?,
    ));
    let mut central = Vec::with_capacity(files.len() * 2);
    let threads = rayon::current_num_threads().max(1);
    let window = Window::new(WINDOW_BYTES_PER_THREAD * threads as u64);
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let (sender, window) = (sender.clone(), &window);
            scope.spawn(move || {
                while let Some((index, cost)) = window.claim(files) {
                    let packed = pack(&files[index], level);
                    if sender.send((index, cost, packed)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let written = write_in_order(receiver, files, &window, &mut out, &mut central);
        // After a failure, wake the workers that wait for room so that they end.
        window.stop();
        written
    })?;
    write_central_directory(&mut out, &central)?;
    let (writer, hash, zip_bytes) = out.finish();
    writer
        .into_inner()
        .map_err(|err| Error::failed(format!("cannot write the zip: {}", err.error())))?
        .sync_all()?;
    Ok(WrittenZip {
        temp,
        zip_bytes,
        sha256: hash.into(),
    })
}

type Compressed = (usize, u64, Result<Packed>);

/// Write the entries as they come back from the workers, in file order (the
/// order, not the timing, decides the bytes), and free their room in the window.
fn write_in_order<W: Write>(
    receiver: std::sync::mpsc::Receiver<Compressed>,
    files: &[Entry],
    window: &Window,
    out: &mut HashingWriter<W>,
    central: &mut Vec<CentralEntry>,
) -> Result<()> {
    let mut written_dirs = BTreeSet::new();
    let mut pending = BTreeMap::new();
    let mut next = 0;
    for (index, cost, packed) in receiver {
        pending.insert(index, (cost, packed?));
        while let Some((cost, packed)) = pending.remove(&next) {
            let entry = &files[next];
            for dir in parents(&entry.zip_path) {
                if written_dirs.insert(dir.to_string()) {
                    central.push(write_local(out, dir.to_string(), DIR_MODE, &Packed::EMPTY)?);
                }
            }
            let mode = if entry.executable {
                EXEC_MODE
            } else {
                FILE_MODE
            };
            central.push(write_local(out, entry.zip_path.clone(), mode, &packed)?);
            drop(packed);
            window.release(cost);
            next += 1;
        }
    }
    Ok(())
}

/// The bytes in flight between reading a file and writing it: workers claim
/// files (and their room) in file order, the writer frees room in the same
/// order, so the file the writer waits for has always been claimed.
struct Window {
    limit: u64,
    state: Mutex<WindowState>,
    freed: Condvar,
}

#[derive(Default)]
struct WindowState {
    next: usize,
    in_flight: u64,
    stopped: bool,
}

impl Window {
    fn new(limit: u64) -> Self {
        Window {
            limit,
            state: Mutex::new(WindowState::default()),
            freed: Condvar::new(),
        }
    }

    /// The next file's index and the room it takes; None when all are claimed
    /// or the writer stopped.
    fn claim(&self, files: &[Entry]) -> Option<(usize, u64)> {
        let mut state = self.state.lock().expect("not poisoned");
        loop {
            if state.stopped || state.next >= files.len() {
                return None;
            }
            let cost = files[state.next].size.min(self.limit);
            if state.in_flight + cost <= self.limit {
                state.in_flight += cost;
                state.next += 1;
                return Some((state.next - 1, cost));
            }
            state = self.freed.wait(state).expect("not poisoned");
        }
    }

    fn release(&self, cost: u64) {
        self.state.lock().expect("not poisoned").in_flight -= cost;
        self.freed.notify_all();
    }

    fn stop(&self) {
        self.state.lock().expect("not poisoned").stopped = true;
        self.freed.notify_all();
    }
}

/// `python/`, `python/a/` for `python/a/b.py`.
fn parents(zip_path: &str) -> impl Iterator<Item = &str> {
    zip_path
        .match_indices('/')
        .map(move |(at, _)| &zip_path[..=at])
}

thread_local! {
    /// One compressor per thread and level: allocating one costs more than
    /// compressing a small file.
    static COMPRESSORS: RefCell<Vec<(u8, Compressor)>> = const { RefCell::new(Vec::new()) };
}

/// Suffixes of files whose content is compressed already (botocore ships
/// 15 MB of `.json.gz`). Deflate cannot shrink them by more than a few bytes,
/// and at a high level it spends as much time failing to as on all other
/// files together, so below `--max` they get level 1 (or are stored).
const COMPRESSED_SUFFIXES: &[&str] = &[
    ".gz", ".tgz", ".bz2", ".xz", ".zst", ".zip", ".whl", ".jar", ".egg", ".npz", ".png", ".jpg",
    ".jpeg", ".gif", ".webp",
];

/// The level for one entry.
fn entry_level(zip_path: &str, level: u8) -> u8 {
    let compressed = COMPRESSED_SUFFIXES
        .iter()
        .any(|suffix| zip_path.ends_with(suffix));
    if compressed && level < MAX_LEVEL {
        level.min(1)
    } else {
        level
    }
}

/// Read and deflate one file, in reused buffers (see `buffers`).
fn pack(entry: &Entry, level: u8) -> Result<Packed> {
    buffers::with_file(&entry.source, entry.size, |data, scratch| {
        pack_bytes(entry, data, scratch, level)
    })
    .map_err(|err| Error::io("read", &entry.source, err))?
}

fn pack_bytes(entry: &Entry, data: &[u8], scratch: &mut Scratch, level: u8) -> Result<Packed> {
    if data.len() as u64 != entry.size {
        return Err(Error::input(format!(
            "{} changed while the layer was being packed",
            entry.source.display()
        ))
        .with_fix("run layer-pack again when nothing else writes to the tree"));
    }
    let crc = libdeflater::crc32(data);
    let size = data.len() as u64;
    let stored = || Packed {
        data: data.to_vec(),
        crc,
        method: 0,
        size,
    };
    if level == 0 || data.is_empty() {
        return Ok(stored());
    }
    let level = entry_level(&entry.zip_path, level);
    let len = COMPRESSORS.with(|cell| {
        let mut compressors = cell.borrow_mut();
        let index = match compressors.iter().position(|(l, _)| *l == level) {
            Some(index) => index,
            None => {
                let lvl = CompressionLvl::new(i32::from(level)).expect("level checked by the CLI");
                compressors.push((level, Compressor::new(lvl)));
                compressors.len() - 1
            }
        };
        let (_, compressor) = &mut compressors[index];
        deflate(compressor, data, scratch)
    });
    // Deflate can grow incompressible data (a .whl inside, a .gz): store those.
    if len >= data.len() {
        Ok(stored())
    } else {
        let data = if entry.size > buffers::SMALL_FILE_BYTES {
            scratch.take_output(len)
        } else {
            scratch.output(len).to_vec()
        };
        Ok(Packed {
            data,
            crc,
            method: 8,
            size,
        })
    }
}

/// Files from this size on are first deflated into room for half their size
/// (shared libraries deflate to about 30%), and again with libdeflate's bound
/// only when that is too little: the largest file then needs 1.5 times its
/// size in memory, not twice. The bytes are the same either way.
const HALF_ROOM_FROM: usize = 1024 * 1024;

/// Deflate `data` into the scratch's output; the deflated length.
fn deflate(compressor: &mut Compressor, data: &[u8], scratch: &mut Scratch) -> usize {
    let bound = compressor.deflate_compress_bound(data.len());
    let first_room = if data.len() >= HALF_ROOM_FROM {
        data.len() / 2
    } else {
        bound
    };
    [first_room, bound]
        .into_iter()
        .find_map(|room| compressor.deflate_compress(data, scratch.output(room)).ok())
        .expect("libdeflate's bound always has room")
}

fn write_local<W: Write>(
    out: &mut HashingWriter<W>,
    name: String,
    mode: u32,
    packed: &Packed,
) -> io::Result<CentralEntry> {
    let offset = out.written;
    let compressed = packed.data.len() as u64;
    let needs_zip64 = compressed >= 0xFFFF_FFFF || packed.size >= 0xFFFF_FFFF;
    let mut extra = Vec::new();
    if needs_zip64 {
        extra = zip64_extra(&[packed.size, compressed]);
    }
    out.write_all(&0x0403_4b50u32.to_le_bytes())?;
    out.write_all(&version_needed(needs_zip64).to_le_bytes())?;
    out.write_all(&flags(&name).to_le_bytes())?;
    out.write_all(&packed.method.to_le_bytes())?;
    out.write_all(&DOS_TIME.to_le_bytes())?;
    out.write_all(&DOS_DATE.to_le_bytes())?;
    out.write_all(&packed.crc.to_le_bytes())?;
    out.write_all(&clamp32(compressed, needs_zip64).to_le_bytes())?;
    out.write_all(&clamp32(packed.size, needs_zip64).to_le_bytes())?;
    out.write_all(&(name.len() as u16).to_le_bytes())?;
    out.write_all(&(extra.len() as u16).to_le_bytes())?;
    out.write_all(name.as_bytes())?;
    out.write_all(&extra)?;
    out.write_all(&packed.data)?;
    Ok(CentralEntry {
        name,
        crc: packed.crc,
        method: packed.method,
        compressed,
        size: packed.size,
        offset,
        mode,
    })
}

fn write_central_directory<W: Write>(
    out: &mut HashingWriter<W>,
    entries: &[CentralEntry],
) -> io::Result<()> {
    let start = out.written;
    for entry in entries {
        // Zip64 extra: only the values that overflow, in this order.
        let mut big = Vec::new();
        if entry.size >= 0xFFFF_FFFF {
            big.push(entry.size);
        }
        if entry.compressed >= 0xFFFF_FFFF {
            big.push(entry.compressed);
        }
        if entry.offset >= 0xFFFF_FFFF {
            big.push(entry.offset);
        }
        let zip64 = !big.is_empty();
        let extra = if zip64 { zip64_extra(&big) } else { Vec::new() };
        let attributes = (entry.mode << 16) | if entry.mode == DIR_MODE { DOS_DIR } else { 0 };
        out.write_all(&0x0201_4b50u32.to_le_bytes())?;
        // Made by: Unix (3), so that readers apply the mode in the external attributes.
        out.write_all(&((3u16 << 8) | version_needed(zip64)).to_le_bytes())?;
        out.write_all(&version_needed(zip64).to_le_bytes())?;
        out.write_all(&flags(&entry.name).to_le_bytes())?;
        out.write_all(&entry.method.to_le_bytes())?;
        out.write_all(&DOS_TIME.to_le_bytes())?;
        out.write_all(&DOS_DATE.to_le_bytes())?;
        out.write_all(&entry.crc.to_le_bytes())?;
        out.write_all(&clamp32(entry.compressed, entry.compressed >= 0xFFFF_FFFF).to_le_bytes())?;
        out.write_all(&clamp32(entry.size, entry.size >= 0xFFFF_FFFF).to_le_bytes())?;
        out.write_all(&(entry.name.len() as u16).to_le_bytes())?;
        out.write_all(&(extra.len() as u16).to_le_bytes())?;
        out.write_all(&0u16.to_le_bytes())?; // comment length
        out.write_all(&0u16.to_le_bytes())?; // disk number
        out.write_all(&0u16.to_le_bytes())?; // internal attributes
        out.write_all(&attributes.to_le_bytes())?;
        out.write_all(&clamp32(entry.offset, entry.offset >= 0xFFFF_FFFF).to_le_bytes())?;
        out.write_all(entry.name.as_bytes())?;
        out.write_all(&extra)?;
    }
    let size = out.written - start;
    let count = entries.len() as u64;
    let zip64 = count >= 0xFFFF || size >= 0xFFFF_FFFF || start >= 0xFFFF_FFFF;
    if zip64 {
        let record_offset = out.written;
        // Zip64 end of central directory record (APPNOTE 4.3.14).
        out.write_all(&0x0606_4b50u32.to_le_bytes())?;
        out.write_all(&44u64.to_le_bytes())?;
        out.write_all(&((3u16 << 8) | 45).to_le_bytes())?;
        out.write_all(&45u16.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&count.to_le_bytes())?;
        out.write_all(&count.to_le_bytes())?;
        out.write_all(&size.to_le_bytes())?;
        out.write_all(&start.to_le_bytes())?;
        // Zip64 end of central directory locator (4.3.15).
        out.write_all(&0x0706_4b50u32.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&record_offset.to_le_bytes())?;
        out.write_all(&1u32.to_le_bytes())?;
    }
    let count16 = if zip64 { 0xFFFF } else { count as u16 };
    out.write_all(&0x0605_4b50u32.to_le_bytes())?;
    out.write_all(&0u16.to_le_bytes())?;
    out.write_all(&0u16.to_le_bytes())?;
    out.write_all(&count16.to_le_bytes())?;
    out.write_all(&count16.to_le_bytes())?;
    out.write_all(&clamp32(size, zip64).to_le_bytes())?;
    out.write_all(&clamp32(start, zip64).to_le_bytes())?;
    out.write_all(&0u16.to_le_bytes())?;
    Ok(())
}

fn zip64_extra(values: &[u64]) -> Vec<u8> {
    let mut extra = Vec::with_capacity(4 + 8 * values.len());
    extra.extend_from_slice(&0x0001u16.to_le_bytes());
    extra.extend_from_slice(&((8 * values.len()) as u16).to_le_bytes());
    for value in values {
        extra.extend_from_slice(&value.to_le_bytes());
    }
    extra
}

fn version_needed(zip64: bool) -> u16 {
    if zip64 { 45 } else { 20 }
}

/// Bit 11: the name is UTF-8 (only set when it is not plain ASCII).
fn flags(name: &str) -> u16 {
    if name.is_ascii() { 0 } else { 1 << 11 }
}

fn clamp32(value: u64, zip64: bool) -> u32 {
    if zip64 { 0xFFFF_FFFF } else { value as u32 }
}

/// Counts and hashes every byte on its way to the file.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hash: Sha256::new(),
            written: 0,
        }
    }

    fn finish(self) -> (W, sha2::digest::Output<Sha256>, u64) {
        (self.inner, self.hash.finalize(), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflating_into_half_the_room_first_gives_the_same_bytes() {
        let text: Vec<u8> = (0..3 * HALF_ROOM_FROM)
            .map(|i| b"lorem ipsum dolor "[i % 18] ^ (i / 7919) as u8)
            .collect();
        // A xorshift stream: deflate cannot shrink it, so the second try runs.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..2 * HALF_ROOM_FROM)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        for data in [&text, &noise] {
            let mut compressor = Compressor::new(CompressionLvl::new(6).unwrap());
            let mut full = vec![0u8; compressor.deflate_compress_bound(data.len())];
            let expected = compressor.deflate_compress(data, &mut full).unwrap();
            let mut scratch = Scratch::default();
            let len = deflate(&mut compressor, data, &mut scratch);
            assert_eq!(len, expected);
            assert_eq!(scratch.output(len), &full[..len]);
        }
    }

    #[test]
    fn compressed_files_get_level_one_below_max() {
        let gz = "python/botocore/data/s3/2006-03-01/service-2.json.gz";
        assert_eq!(entry_level(gz, 6), 1);
        assert_eq!(entry_level(gz, 0), 0);
        assert_eq!(entry_level(gz, MAX_LEVEL), MAX_LEVEL);
        assert_eq!(entry_level("python/botocore/data/s3/service-2.json", 6), 6);
    }

    #[test]
    fn the_window_hands_out_files_in_order_within_its_limit() {
        let files: Vec<Entry> = [4, 5, 30, 0]
            .iter()
            .map(|&size| Entry {
                zip_path: "python/x".into(),
                source: "x".into(),
                size,
                executable: false,
                root: 0,
            })
            .collect();
        let window = Window::new(10);
        assert_eq!(window.claim(&files), Some((0, 4)));
        assert_eq!(window.claim(&files), Some((1, 5)));
        window.release(4);
        window.release(5);
        // Larger than the window: it takes all of it, alone.
        assert_eq!(window.claim(&files), Some((2, 10)));
        window.release(10);
        assert_eq!(window.claim(&files), Some((3, 0)));
        assert_eq!(window.claim(&files), None);
        let stopped = Window::new(10);
        stopped.stop();
        assert_eq!(stopped.claim(&files), None);
    }
}
