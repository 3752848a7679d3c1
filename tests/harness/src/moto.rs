use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// How to install the emulator, said whenever it is missing.
const INSTALL: &str = "install it with: python3 -m pip install 'moto[server]==5.2.*' (scripts/test.sh does this for you)";

/// A running `moto_server`, shared by every test of one test binary.
pub struct MotoServer {
    endpoint: String,
    pid: u32,
    /// Kept so that the watchdog's stdin stays open for as long as we live.
    _watchdog: Mutex<(Child, ChildStdin)>,
}

impl std::fmt::Debug for MotoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MotoServer({}, pid {})", self.endpoint, self.pid)
    }
}

static MOTO: OnceLock<MotoServer> = OnceLock::new();

/// The moto server of this test binary, started on first use.
///
/// Panics (failing the test, never skipping it) when `moto_server` is missing.
pub fn moto() -> &'static MotoServer {
    MOTO.get_or_init(MotoServer::start)
}

impl MotoServer {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The PID of the moto_server process (not of its watchdog).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn start() -> MotoServer {
        let program = find_moto_server();
        // A small shell watchdog starts moto_server and waits on its own stdin,
        // which is a pipe from this test process. When the test process ends, in
        // any way, the pipe closes and the watchdog stops moto_server by its PID.
        // Only the process we started is ever signalled.
        let script = r#"
            "$0" -H 127.0.0.1 -p 0 &
            pid=$!
            echo "moto_server pid $pid" >&2
            while read -r _; do :; done
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        "#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&program)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start moto_server ({}): {err}; {INSTALL}",
                    program.display()
                )
            });
        let stdin = child.stdin.take().expect("watchdog stdin");
        let stderr = child.stderr.take().expect("moto stderr");

        // Read stderr on a thread for as long as moto runs: it logs every request,
        // and an undrained pipe would block it.
        let (found, wait_for) = mpsc::channel();
        std::thread::spawn(move || {
            let mut pid = None;
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("moto_server pid ") {
                    pid = rest.trim().parse::<u32>().ok();
                }
                let port = line.split("Running on http://127.0.0.1:").nth(1);
                if let (Some(pid), Some(port), false) = (pid, port, sent)
                    && let Ok(port) = port.trim().parse::<u16>()
                {
                    let _ = found.send(Ok((pid, port)));
                    sent = true;
                }
                if !sent && (line.contains("not found") || line.contains("Error")) {
                    let _ = found.send(Err(line.clone()));
                    sent = true;
                }
            }
            if !sent {
                let _ = found.send(Err("moto_server exited before it was ready".into()));
            }
        });
        let (pid, port) = match wait_for.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(found)) => found,
            Ok(Err(line)) => panic!("moto_server failed to start: {line}; {INSTALL}"),
            Err(_) => panic!("moto_server printed no port within 60 s; {INSTALL}"),
        };
        let server = MotoServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid,
            _watchdog: Mutex::new((child, stdin)),
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}/moto-api/", self.endpoint);
        loop {
            if ureq::get(&url).call().is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "moto_server at {} did not answer within 30 s",
                    self.endpoint
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `moto_server` from `MOTO_SERVER`, or from `PATH`.
fn find_moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("moto_server is not on PATH; {INSTALL}"))
}
