//! Buffers for reading a file whole and deflating it, reused from file to file
//! by the ELF checks and the zip writer.
//!
//! A new buffer per file made the peak memory grow with the layer (101 MiB at
//! 251 MB, 49 MiB at 84 MB): once a large block is freed, glibc raises its mmap
//! threshold, and from then on blocks of every size are carved from per-thread
//! heaps that keep what was freed. Here a small file is read into its thread's
//! own buffers, and a large one into the one pair of buffers the threads share
//! (one large file at a time); both are kept for the next file, so the large
//! blocks are allocated a few times per run, not once per file. What a file
//! leaves behind for the zip writer (its deflated bytes) is copied out at its
//! exact size.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

/// Files up to this size use their thread's own buffers, which therefore stay
/// small; larger files are few (35 of the 2,182 in a numpy + pandas layer)
/// and take turns with the shared pair.
pub const SMALL_FILE_BYTES: u64 = 256 * 1024;

/// A file's bytes, and room to deflate them into (its content is left from
/// earlier files: write before reading it).
#[derive(Debug, Default)]
pub struct Scratch {
    input: Vec<u8>,
    output: Vec<u8>,
}

impl Scratch {
    const fn new() -> Self {
        Scratch {
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    /// The first `len` bytes of the output, taken away (the scratch grows a new
    /// output for the next file): for a large file, whose deflated bytes would
    /// otherwise be held twice while they are copied out.
    pub fn take_output(&mut self, len: usize) -> Vec<u8> {
        let mut output = std::mem::take(&mut self.output);
        output.truncate(len);
        output.shrink_to_fit();
        output
    }

    /// At least `room` bytes to write into (zeroed only where it grows).
    pub fn output(&mut self, room: usize) -> &mut [u8] {
        if self.output.len() < room {
            self.output.resize(room, 0);
        }
        &mut self.output[..room]
    }
}

thread_local! {
    static SMALL: RefCell<Scratch> = const { RefCell::new(Scratch::new()) };
}

static LARGE: Mutex<Scratch> = Mutex::new(Scratch::new());

/// Read the file at `path`, listed with `size` bytes, and run `work` on its
/// bytes and a scratch to deflate into. One byte more than listed is read, so
/// a file that grew since it was listed shows as longer.
pub fn with_file<T>(
    path: &Path,
    size: u64,
    work: impl FnOnce(&[u8], &mut Scratch) -> T,
) -> std::io::Result<T> {
    let run = |scratch: &mut Scratch| {
        let mut input = std::mem::take(&mut scratch.input);
        input.clear();
        let read = std::fs::File::open(path).and_then(|file| {
            input.reserve_exact(size as usize + 1);
            file.take(size + 1).read_to_end(&mut input)
        });
        let result = read.map(|_| work(&input, scratch));
        scratch.input = input;
        result
    };
    if size <= SMALL_FILE_BYTES {
        SMALL.with(|cell| run(&mut cell.borrow_mut()))
    } else {
        run(&mut LARGE.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_and_keeps_the_buffers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdef").unwrap();
        let first = with_file(&path, 6, |bytes, scratch| {
            scratch.output(4).copy_from_slice(b"wxyz");
            (bytes.to_vec(), bytes.as_ptr() as usize)
        })
        .unwrap();
        assert_eq!(first.0, b"abcdef");
        // The same buffers for the next file; the output keeps its room.
        let second = with_file(&path, 6, |bytes, scratch| {
            (bytes.as_ptr() as usize, scratch.output(2).to_vec())
        })
        .unwrap();
        assert_eq!(second.0, first.1);
        assert_eq!(second.1, b"wx");
        // A file that grew since it was listed reads longer than listed.
        assert_eq!(with_file(&path, 4, |bytes, _| bytes.len()).unwrap(), 5);
        assert!(with_file(&dir.path().join("missing"), 1, |_, _| ()).is_err());
    }

    #[test]
    fn large_files_share_one_pair_of_buffers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large");
        let size = SMALL_FILE_BYTES + 1;
        std::fs::write(&path, vec![7u8; size as usize]).unwrap();
        let at = |_: ()| with_file(&path, size, |bytes, _| bytes.as_ptr() as usize).unwrap();
        let here = at(());
        let there = std::thread::spawn(move || {
            with_file(&path, size, |bytes, _| bytes.as_ptr() as usize).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(here, there);
    }
}
