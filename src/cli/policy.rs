//! `opsdesk policy ...`: the desk's rules, shown, compared and changed.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Subcommand;

use super::{Failure, Output, local_time};
use crate::desk::Desk;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the policy the desk works by (or an earlier version) as a TOML document: the
    /// lifecycles, the priority matrix, the SLA targets and calendars, the intake rules.
    #[command(after_help = "Examples:
  opsdesk policy show > policy.toml
  opsdesk policy show --version 3")]
    Show {
        #[arg(long, value_name = "N")]
        version: Option<i64>,
    },
    /// What applying FILE would change, as a diff (the file is checked whole first).
    #[command(after_help = "Examples:\n  opsdesk policy diff policy.toml")]
    Diff { file: PathBuf },
    /// Make FILE the desk's policy (admins only). It is checked whole; every state tickets
    /// are in must still exist; the change is recorded with its author and the diff, and
    /// open flags and SLA clocks are worked out again when the lifecycles or targets changed.
    #[command(after_help = "Examples:
  opsdesk policy show > policy.toml && $EDITOR policy.toml
  opsdesk policy diff policy.toml
  opsdesk policy apply policy.toml")]
    Apply { file: PathBuf },
    /// Every version of the policy: when, by whom, and what changed (--diff).
    #[command(after_help = "Examples:\n  opsdesk policy log\n  opsdesk policy log --diff")]
    Log {
        #[arg(long)]
        diff: bool,
    },
}

fn read(file: &PathBuf) -> Result<(String, String), Failure> {
    let shown = file.display().to_string();
    let meta = std::fs::metadata(file).map_err(|e| Failure::new(format!("cannot read {shown}: {e}")))?;
    if meta.len() > 4 << 20 {
        return Err(Failure::new(format!("{shown} is larger than 4 MiB: not a policy")));
    }
    let bytes = std::fs::read(file).map_err(|e| Failure::new(format!("cannot read {shown}: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| Failure::new(format!("{shown} is not UTF-8 text")))?;
    Ok((text, shown))
}

pub fn run(desk: &mut Desk, cmd: &PolicyCommand, json: bool) -> Result<Output, Failure> {
    match cmd {
        PolicyCommand::Show { version } => {
            let v = desk.policy_version(*version)?;
            if json {
                return Output::json(&v);
            }
            Ok(Output(v.source.unwrap_or_default()))
        }
        PolicyCommand::Diff { file } => {
            let (text, shown) = read(file)?;
            let d = desk.policy_diff(&text, &shown)?;
            if json {
                return Output::json(&serde_json::json!({ "diff": d, "changes": !d.is_empty() }));
            }
            Ok(Output(if d.is_empty() {
                format!("{shown} is the desk's policy already\n")
            } else {
                d
            }))
        }
        PolicyCommand::Apply { file } => {
            let (text, shown) = read(file)?;
            let change = desk.apply_policy(&text, &shown)?;
            if json {
                return Output::json(&change);
            }
            let mut out = format!("the desk's policy is now version {} (from {shown})\n", change.version);
            if change.tickets_refreshed > 0 {
                let _ = writeln!(
                    out,
                    "{} tickets' open state and SLA clocks were worked out again under it",
                    change.tickets_refreshed
                );
            }
            out.push_str(&change.diff);
            Ok(Output(out))
        }
        PolicyCommand::Log { diff } => {
            let log = desk.policy_log()?;
            if json {
                return Output::json(&log);
            }
            let mut out = String::new();
            for v in &log {
                let by = match &v.via {
                    Some(via) => format!("{via} as {}", v.author),
                    None => v.author.clone(),
                };
                let lines = v.diff.as_deref().map_or(0, |d| {
                    d.lines()
                        .filter(|l| {
                            (l.starts_with('+') || l.starts_with('-')) && !l.starts_with("+++") && !l.starts_with("---")
                        })
                        .count()
                });
                let what = if v.version == 1 {
                    "first".to_string()
                } else {
                    format!("{lines} lines changed")
                };
                let _ = writeln!(out, "version {:<4} {}  {by}  ({what})", v.version, local_time(v.at));
                if *diff && let Some(d) = &v.diff {
                    out.push_str(d);
                }
            }
            if log.is_empty() {
                out.push_str("the desk has no policy of its own yet: it works by the shipped one\n");
            }
            Ok(Output(out))
        }
    }
}
