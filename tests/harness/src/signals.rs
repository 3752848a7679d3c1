//! Stopping a tool's real process by a signal at a chosen moment of its run,
//! for the tests of what each tool leaves behind when it is interrupted.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Proxy;

/// The moment: once the proxy has received `received` calls of `operation`,
/// send `signal` (`INT`, `TERM`, `KILL`) `times` times, 300 ms apart.
#[derive(Debug, Clone, Copy)]
pub struct Stopping<'a> {
    pub operation: &'a str,
    pub received: usize,
    pub signal: &'a str,
    pub times: usize,
}

/// How the stopped run ended.
#[derive(Debug)]
pub struct Stopped {
    /// `None` when the signal itself ended the process (SIGKILL).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// From the first signal to the exit.
    pub took: Duration,
}

/// Run `command` with `stdin` piped in, and stop it as `stopping` says, as
/// seen by `proxy` (the command must talk to AWS through it).
pub fn stop_when(mut command: Command, stdin: &str, proxy: &Proxy, stopping: &Stopping) -> Stopped {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the tool");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let started = Instant::now();
    while proxy.stats(stopping.operation).received < stopping.received {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {} call {} within 30 s",
            stopping.operation,
            stopping.received
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let signalled = Instant::now();
    for time in 0..stopping.times {
        if time > 0 {
            std::thread::sleep(Duration::from_millis(300));
        }
        Command::new("kill")
            .args(["-s", stopping.signal, &child.id().to_string()])
            .status()
            .expect("kill");
    }
    let out = child.wait_with_output().expect("wait for the tool");
    Stopped {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: signalled.elapsed(),
    }
}
