//! Running a configured command for an event: the program and its arguments as config gives
//! them (never through a shell), the ticket's fields in `OPSDESK_*` environment variables,
//! no input, a time limit, and what went wrong in words.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

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
