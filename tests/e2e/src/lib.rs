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
