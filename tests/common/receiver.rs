//! The real binary serving Alertmanager webhooks on 127.0.0.1 (a port of its own), for the
//! listener's tests: where it listens, and what it logs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::Env;

pub struct Receiver {
    pub child: Child,
    pub addr: String,
    /// Its log (standard error), a line at a time.
    pub log: mpsc::Receiver<String>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `opsdesk ingest alertmanager --listen 127.0.0.1:0` on the desk of `env`, with
/// `envs` besides (the secret, when it comes from the environment).
pub fn start(env: &Env, envs: &[(&str, &str)]) -> Receiver {
    let mut child = Command::new(env!("CARGO_BIN_EXE_opsdesk"))
        .env_clear()
        .envs(super::clock_env())
        .env("OPSDESK_CONFIG_DIR", env.config_dir())
        .env("OPSDESK_USER", "alertmanager")
        .env("OPSDESK_DB", &env.db)
        .envs(envs.iter().copied())
        .args(["ingest", "alertmanager", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (send, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    let first = log
        .recv_timeout(Duration::from_secs(10))
        .expect("the receiver says where it listens");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    Receiver { child, addr, log }
}
