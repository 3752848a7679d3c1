//! Tests across the tools live in `tests/`; this crate has no code of its own
//! but the binary locator they share.

use std::path::PathBuf;

/// The five tools.
pub const TOOLS: &[&str] = &[
    "layer-bump",
    "layer-pack",
    "layer-publish",
    "layer-attach",
    "layer-watch",
];

/// The path of a tool binary built by `cargo test --workspace` (next to this
/// test binary's `deps/` folder).
pub fn tool_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo build --workspace --bins` first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// The repository's `examples/` folder (the layers the demo and the pipe tests use).
pub fn examples_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Every workflow and composite action under examples/ci/ (YAML files, sorted).
pub fn ci_example_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![examples_dir().join("ci")];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("examples/ci reads") {
            let path = entry.expect("examples/ci reads").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Copy a folder recursively (`cp -R FROM TO`), for fixtures made from the examples.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    let status = std::process::Command::new("cp")
        .arg("-R")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(
        status.success(),
        "cp -R {} {}",
        from.display(),
        to.display()
    );
}

/// Run a command with `stdin` piped in, or with stdin on /dev/null (nothing
/// piped in) when it is `None`; stdout and stderr captured.
pub fn output_with_stdin(
    command: &mut std::process::Command,
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let Some(text) = stdin else {
        return command
            .stdin(Stdio::null())
            .output()
            .expect("the tool runs");
    };
    let mut child = command
        .stdin(Stdio::piped())
        .spawn()
        .expect("the tool runs");
    let mut pipe = child.stdin.take().expect("a stdin pipe");
    pipe.write_all(text.as_bytes()).expect("stdin written");
    drop(pipe);
    child.wait_with_output().expect("the tool ends")
}

/// An optional external program: the path in the environment variable `env`
/// when it is set, else the first `name` on PATH.
pub fn find_program(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A warning written straight to the process's stderr (libtest captures the print
/// macros only), so that it shows in a passing run: a check skipped for want of
/// an external program.
pub fn warn_loudly(message: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "\n{}\n{message}\n{}\n",
        "!".repeat(78),
        "!".repeat(78)
    );
}
