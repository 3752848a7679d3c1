//! The fuzz targets on a stable toolchain: no coverage guidance, but the same
//! target functions, run on every seed, then on random bytes and on mutated
//! seeds (bit flips, truncations, splices, repeated slices) until a time budget
//! is spent. Deterministic for a given `--seed`, so a crash can be replayed.
//!
//! Usage: replay TARGET [--seconds N] [--seed S] [--corpus DIR]...
//! A panic prints the input's file (written to fuzz/artifacts/TARGET/) and
//! exits non-zero.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let target_name = args.next().unwrap_or_else(|| usage());
    let mut seconds = 10u64;
    let mut seed = 1u64;
    let mut corpora: Vec<PathBuf> = Vec::new();
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--seconds" => seconds = value.parse().unwrap_or_else(|_| usage()),
            "--seed" => seed = value.parse().unwrap_or_else(|_| usage()),
            "--corpus" => corpora.push(value.into()),
            _ => usage(),
        }
    }
    let target = layer_tools_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target_name)
        .map(|(_, target)| *target)
        .unwrap_or_else(|| usage());
    let seeds = read_corpora(&corpora);
    let mut rng = fastrand::Rng::with_seed(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    for input in &seeds {
        run_one(&target_name, target, input);
        runs += 1;
    }
    while Instant::now() < deadline {
        for _ in 0..64 {
            let input = next_input(&mut rng, &seeds);
            run_one(&target_name, target, &input);
            runs += 1;
        }
    }
    eprintln!(
        "replay {target_name}: {runs} inputs ({} seeds) in {seconds} s, seed {seed}: no panic",
        seeds.len()
    );
}

fn usage() -> ! {
    let names: Vec<&str> = layer_tools_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: replay TARGET [--seconds N] [--seed S] [--corpus DIR]...   (targets: {})",
        names.join(", ")
    );
    std::process::exit(2);
}

fn read_corpora(dirs: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .collect()
}

/// Random bytes a quarter of the time, else a mutated seed.
fn next_input(rng: &mut fastrand::Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if seeds.is_empty() || rng.u8(..4) == 0 {
        let len = rng.usize(..512);
        return (0..len).map(|_| rng.u8(..)).collect();
    }
    let mut input = seeds[rng.usize(..seeds.len())].clone();
    for _ in 0..rng.usize(1..8) {
        mutate(rng, &mut input, seeds);
    }
    input
}

fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = input.len();
    match rng.u8(..6) {
        0 if len > 0 => {
            let at = rng.usize(..len);
            input[at] ^= 1 << rng.u8(..8);
        }
        1 if len > 0 => {
            let at = rng.usize(..len);
            input[at] = [0, 0xff, b'"', b'{', b'}', b'\n', b'\\', 0x7f][rng.usize(..8)];
        }
        2 => input.truncate(rng.usize(..=len)),
        3 if len > 0 => {
            // Repeat a slice: long strings, deep nesting, many entries.
            let start = rng.usize(..len);
            let end = rng.usize(start..=len.min(start + 64));
            let piece = input[start..end].to_vec();
            for _ in 0..rng.usize(1..64) {
                input.splice(start..start, piece.iter().copied());
            }
        }
        4 => {
            // Splice another seed's tail in.
            let other = &seeds[rng.usize(..seeds.len())];
            let from = rng.usize(..=other.len());
            input.truncate(rng.usize(..=len));
            input.extend_from_slice(&other[from..]);
        }
        _ if len >= 4 => {
            // Overwrite a little-endian u16/u32 field with an edge value.
            let at = rng.usize(..len - 3);
            let value: u32 = [0, 1, 0xffff, 0xffff_ffff, 0x8000_0000, len as u32][rng.usize(..6)];
            input[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        _ => input.push(rng.u8(..)),
    }
}

fn run_one(name: &str, target: fn(&[u8]), input: &[u8]) {
    if std::panic::catch_unwind(|| target(input)).is_err() {
        let path = save(name, input);
        eprintln!(
            "replay {name}: PANIC on the input saved at {}",
            path.display()
        );
        std::process::exit(1);
    }
}

fn save(name: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("artifacts")
        .join(name);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("crash-{:016x}", fxhash(input)));
    let _ = std::fs::write(&path, input);
    path
}

fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}
