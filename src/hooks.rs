//! Running a configured command for an event: the program and its arguments as config gives
//! them (never through a shell), the ticket's fields in `OPSDESK_*` environment variables,
//! no input, a time limit, and what went wrong in words.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use wait_timeout::ChildExt;

/// What a hook may be run on (`on = [...]` in a `[[hooks]]` table of config.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    Created,
    Transition,
    Assigned,
    AtRisk,
    Breached,
}

impl HookEvent {
    pub fn name(self) -> &'static str {
        match self {
            HookEvent::Created => "created",
            HookEvent::Transition => "transition",
            HookEvent::Assigned => "assigned",
            HookEvent::AtRisk => "at_risk",
            HookEvent::Breached => "breached",
        }
    }
}

/// A configured hook: the command (program and arguments, no shell), the events it runs on,
/// and how long it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSpec {
    pub on: Vec<HookEvent>,
    pub command: Vec<String>,
    pub timeout: Duration,
}

/// Hooks run on threads of their own, after the write they follow has committed. The command
/// line waits for them (at most their time limit) once it has printed its result; the terminal
/// desk never waits, and shows what failed.
static RUNNING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
static FAILED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn lock<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` on its own thread; the messages it returns are failures to show.
pub fn in_background(work: impl FnOnce() -> Vec<String> + Send + 'static) {
    let handle = std::thread::spawn(move || {
        let failures = work();
        lock(&FAILED).extend(failures);
    });
    let mut running = lock(&RUNNING);
    running.retain(|h| !h.is_finished());
    running.push(handle);
}

/// Waits for every hook started, and gives back what failed.
pub fn wait_all() -> Vec<String> {
    let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&RUNNING));
    for h in handles {
        let _ = h.join();
    }
    take_failures()
}

/// What failed since last asked, without waiting.
pub fn take_failures() -> Vec<String> {
    std::mem::take(&mut *lock(&FAILED))
}

/// Runs `argv` with `env` added to the environment; waits at most `timeout`, then stops it.
/// `Err` says why it failed: could not start, exit status with the first line it printed
/// on stderr, or the time limit.
pub fn run(argv: &[String], env: &[(String, String)], timeout: Duration) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("no command configured".into());
    };
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("`{program}` could not be started: {e}"))?;
    // Read stderr on the side so a chatty command cannot block on a full pipe.
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = (&mut pipe).take(64 * 1024).read_to_string(&mut text);
            text
        })
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "`{program}` did not finish within {} s and was stopped",
                timeout.as_secs()
            ));
        }
        Err(e) => return Err(format!("`{program}`: {e}")),
    };
    if status.success() {
        return Ok(());
    }
    let said = stderr
        .and_then(|h| h.join().ok())
        .and_then(|t| {
            t.lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| crate::text::clip(l.trim(), 200))
        })
        .map(|l| format!(": {l}"))
        .unwrap_or_default();
    Err(format!("`{program}` failed ({status}){said}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn fields_arrive_as_environment_not_as_shell_text() {
        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("out");
        let title = "x'; touch /tmp/opsdesk-pwned; echo '$(id)".to_string();
        let env = vec![
            ("OPSDESK_TITLE".to_string(), title.clone()),
            ("OUT".to_string(), out.display().to_string()),
        ];
        run(
            &sh("printf '%s' \"$OPSDESK_TITLE\" > \"$OUT\""),
            &env,
            Duration::from_secs(10),
        )
        .expect("ran");
        assert_eq!(std::fs::read_to_string(&out).expect("out"), title);
    }

    #[test]
    fn failures_say_why() {
        let e = run(
            &sh("echo 'pager unreachable' >&2; exit 3"),
            &[],
            Duration::from_secs(10),
        )
        .expect_err("fails");
        assert!(e.contains("exit status: 3") && e.contains("pager unreachable"), "{e}");
        let e = run(&["/no/such/program".into()], &[], Duration::from_secs(10)).expect_err("fails");
        assert!(e.contains("could not be started"), "{e}");
        let e = run(&sh("exec sleep 30"), &[], Duration::from_millis(200)).expect_err("stopped");
        assert!(e.contains("was stopped"), "{e}");
        assert!(run(&[], &[], Duration::from_secs(1)).is_err());
    }
}
