//! Shared by the integration tests: the real `moto_server` from `.venv` on a free loopback port,
//! and the `palin-inventory` binary with a scrubbed environment (no inherited `AWS_*`, `PALIN_*`
//! or Terraform workspace variables, a temporary `HOME`).

#![allow(dead_code)] // each test file uses its own subset

use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use tempfile::TempDir;

pub const REGION: &str = "eu-west-1";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives inside the workspace")
        .to_path_buf()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `$PALIN_VENV/bin/moto_server`, by default `<workspace root>/.venv/bin/moto_server`.
pub fn moto_server_exe() -> PathBuf {
    let venv = std::env::var_os("PALIN_VENV")
        .filter(|v| !v.is_empty())
        .map_or_else(|| workspace_root().join(".venv"), PathBuf::from);
    venv.join("bin").join("moto_server")
}

/// Whether an inherited environment variable must not reach the processes under test: AWS and
/// palin settings, and Terraform's workspace selection.
pub fn is_scrubbed(name: &OsString) -> bool {
    name.to_str().is_none_or(|n| {
        n.starts_with("AWS_")
            || n.starts_with("PALIN_")
            || n == "TF_WORKSPACE"
            || n == "TF_DATA_DIR"
    })
}

/// A running `moto_server`; killed when dropped.
pub struct Moto {
    child: Child,
    port: u16,
    _home: TempDir,
}

impl Moto {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Start moto with extra environment variables (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let exe = moto_server_exe();
        assert!(
            exe.is_file(),
            "{} not found: run `bash scripts/setup.sh` first (it installs moto[server] into .venv), \
             or point PALIN_VENV at a venv that has it",
            exe.display()
        );
        let home = tempfile::tempdir().expect("create a temp dir for moto");
        let log = home.path().join("moto.log");
        // The port is free when probed but could be taken before moto binds it: retry a few times.
        for _ in 0..3 {
            let port = free_port();
            let log_file = File::create(&log).expect("create moto's log file");
            let mut cmd = StdCommand::new(&exe);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone moto's log handle"))
                .stderr(log_file)
                .env("HOME", home.path())
                .envs(env.iter().copied());
            for (name, _) in std::env::vars_os() {
                if is_scrubbed(&name) {
                    cmd.env_remove(name);
                }
            }
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
            if wait_listening(&mut child, port, &log) {
                return Moto {
                    child,
                    port,
                    _home: home,
                };
            }
        }
        panic!(
            "moto_server exited before listening, three times; last log:\n{}",
            fs::read_to_string(&log).unwrap_or_default()
        );
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls until moto accepts connections on `port`; false (child reaped) if it exited first.
/// Panics (after killing it) if it neither listens nor exits within a minute.
pub fn wait_listening(child: &mut Child, port: u16, log: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        if child.try_wait().expect("poll moto_server").is_some() {
            return false;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "moto_server did not listen on {addr} within 60 s; log:\n{}",
                fs::read_to_string(log).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral loopback port")
        .port()
}

/// `palin-inventory` with no inherited `AWS_*`/`PALIN_*` variables, test credentials, the region,
/// and `HOME` (and the working directory) in `home`, so nothing from the developer's machine is read.
pub fn palin(home: &Path) -> Command {
    let mut cmd =
        Command::cargo_bin("palin-inventory").expect("the palin-inventory binary is built");
    for (name, _) in std::env::vars_os() {
        if is_scrubbed(&name) {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home)
        .write_stdin("");
    cmd
}
