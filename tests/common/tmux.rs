//! A real terminal for the real binary: a tmux server of its own, 80x24 unless told.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    /// The real binary on desk `db` (a path or a URL) in a tmux server of its own (named for
    /// `name`), `width`x`height`, its config and data under `dir`, with `env` (`VAR=value …`)
    /// set besides.
    #[allow(dead_code)] // each test target compiles this module; not all of them use it
    pub fn start_desk(name: &str, db: &str, dir: &Path, env: &str, (width, height): (u16, u16)) -> Tmux {
        let tmux = Tmux {
            socket: format!("opsdesk-{name}-{}", std::process::id()),
        };
        let command = format!(
            "env OPSDESK_DB='{db}' {env} OPSDESK_CONFIG_DIR='{}' OPSDESK_DATA_DIR='{}' '{}'",
            dir.join("config").display(),
            dir.join("data").display(),
            env!("CARGO_BIN_EXE_opsdesk")
        );
        let (w, h) = (width.to_string(), height.to_string());
        let started = tmux.run(&["new-session", "-d", "-s", "desk", "-x", &w, "-y", &h, &command]);
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
        tmux
    }

    /// The server's socket, a path of its own: tmux leaves its sockets behind when the server
    /// ends, so the test removes it (see `Drop`).
    fn path(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("tmux-{}", self.socket))
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(self.path())
            .args(args)
            .output()
            .expect("tmux is installed (apt-get install tmux; .ci/run does it)")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "desk"]).stdout).to_string()
    }

    /// Waits until the screen shows `text`, for at most 10 s, and returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "waited 10 s for {text:?}; the screen is:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "desk"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    pub fn type_text(&self, text: &str) {
        assert!(self.run(&["send-keys", "-t", "desk", "-l", text]).status.success());
    }
}

/// Ends the server and removes its socket, which tmux leaves behind.
impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        let _ = std::fs::remove_file(self.path());
    }
}

/// Runs the binary on the desk at `db` as alice, for setting up and checking what a terminal
/// session did; fails the test if it fails.
pub fn opsdesk(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdesk"))
        .args(args)
        .env("OPSDESK_DB", db)
        .env("OPSDESK_USER", "alice")
        .output()
        .expect("run opsdesk");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}
