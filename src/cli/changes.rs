//! `opsdesk freeze ...` (and, later, the change calendar).

use std::fmt::Write;

use clap::Subcommand;

use super::{Failure, Output};
use crate::desk::Desk;
use crate::text::inert;

#[derive(Debug, Subcommand)]
pub enum FreezeCommand {
    /// Declare a freeze window (cab or admin). Normal and standard changes whose window falls
    /// in it are not approved; an emergency change may be, and the override is recorded.
    #[command(after_help = "Times: 2026-12-20, 2026-12-20 18:00 (your zone) or RFC 3339.
Examples:
  opsdesk freeze add year-end --from 2026-12-20 --to 2027-01-04
  opsdesk freeze add shop-sale --from '2026-11-27 00:00' --to '2026-11-30 23:59' --ci shop")]
    Add {
        name: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Limit it to a CI or a service (and what the service depends on); repeat for more.
        #[arg(long = "ci", value_name = "NAME")]
        cis: Vec<String>,
    },
    /// List freeze windows.
    #[command(after_help = "Examples:\n  opsdesk freeze list\n  opsdesk freeze list --json")]
    List,
}

#[derive(Debug, Subcommand)]
pub enum ChangeCommand {
    /// The forward schedule of change: every change from assess to review with its window,
    /// type, risk, state, conflicts and freezes; --ics writes it as iCalendar.
    #[command(after_help = "Dates: 2026-12-01 or 2026-12-01 18:00 (your zone) or RFC 3339.
Examples:
  opsdesk change calendar
  opsdesk change calendar --from 2026-12-01 --to 2027-01-01 --json
  opsdesk change calendar --ics > changes.ics")]
    Calendar {
        /// From this day [default: today].
        #[arg(long)]
        from: Option<String>,
        /// Up to this day [default: 30 days after --from].
        #[arg(long)]
        to: Option<String>,
        /// Write iCalendar (RFC 5545) for calendar applications.
        #[arg(long, conflicts_with = "json")]
        ics: bool,
        /// Closed changes too, with their conflicts: the schedule's history.
        #[arg(long)]
        include_closed: bool,
    },
}

pub fn run_change(desk: &mut Desk, cmd: &ChangeCommand, json: bool) -> Result<Output, Failure> {
    let ChangeCommand::Calendar {
        from,
        to,
        ics,
        include_closed,
    } = cmd;
    let from = match from {
        Some(f) => super::parse_day(f, "from")?,
        None => {
            let today = chrono::Local::now()
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default();
            chrono::TimeZone::from_local_datetime(&chrono::Local, &today)
                .earliest()
                .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc))
        }
    };
    let to = match to {
        Some(t) => super::parse_day(t, "to")?,
        None => from + chrono::Duration::days(30),
    };
    if to <= from {
        return Err(Failure::new("--to must be after --from"));
    }
    let schedule = desk.schedule(from, to, *include_closed)?;
    if *ics {
        let stamp = desk.desk_stamp();
        let events: Vec<crate::ics::Event> = schedule
            .iter()
            .map(|c| {
                let mut description = format!(
                    "{} change, risk {}, {}. CIs: {}.",
                    c.change_type.as_deref().unwrap_or("-"),
                    c.risk.as_deref().unwrap_or("-"),
                    c.state,
                    if c.cis.is_empty() {
                        "none".to_string()
                    } else {
                        c.cis.join(", ")
                    }
                );
                if !c.conflicts.is_empty() {
                    let ids: Vec<String> = c.conflicts.iter().map(ToString::to_string).collect();
                    description.push_str(&format!("\nConflicts with {}.", ids.join(", ")));
                }
                if !c.freezes.is_empty() {
                    description.push_str(&format!("\nIn freeze window {}.", c.freezes.join(", ")));
                }
                if !c.outside_maintenance.is_empty() {
                    description.push_str(&format!(
                        "\nOutside the maintenance window of {}.",
                        c.outside_maintenance.join(", ")
                    ));
                }
                crate::ics::Event {
                    uid: format!("{}-{stamp}@opsdesk", c.id),
                    start: c.start,
                    end: c.end,
                    summary: format!("{} {}", c.id, c.title),
                    description,
                    status: if matches!(c.state.as_str(), "assess" | "authorize") {
                        "TENTATIVE"
                    } else {
                        "CONFIRMED"
                    },
                }
            })
            .collect();
        return Ok(Output(crate::ics::calendar(
            "opsdesk changes",
            &events,
            chrono::Utc::now(),
        )));
    }
    if json {
        return Output::json(&schedule);
    }
    if schedule.is_empty() {
        return Ok(Output(format!(
            "no changes between {} and {}\n",
            super::local_time(from),
            super::local_time(to)
        )));
    }
    let mut out = String::new();
    for c in &schedule {
        let mut flags = Vec::new();
        if !c.conflicts.is_empty() {
            let ids: Vec<String> = c.conflicts.iter().map(ToString::to_string).collect();
            flags.push(format!("CONFLICT with {}", ids.join(", ")));
        }
        if !c.freezes.is_empty() {
            flags.push(format!("FREEZE {}", c.freezes.join(", ")));
        }
        if !c.outside_maintenance.is_empty() {
            flags.push(format!("OUTSIDE MAINTENANCE {}", c.outside_maintenance.join(", ")));
        }
        if c.long {
            flags.push(format!("long window: {} days", (c.end - c.start).num_days()));
        }
        let _ = writeln!(
            out,
            "{} → {}  {:<8} {:<9} {:<6} {:<10} {}{}",
            super::local_time(c.start),
            c.end.with_timezone(&chrono::Local).format("%H:%M"),
            c.id.to_string(),
            c.change_type.as_deref().unwrap_or("-"),
            c.risk.as_deref().unwrap_or("-"),
            c.state,
            crate::text::clip(&c.title, 40),
            if flags.is_empty() {
                String::new()
            } else {
                format!("  ⚠ {}", flags.join("; "))
            }
        );
    }
    Ok(Output(out))
}

pub fn run_freeze(desk: &mut Desk, cmd: &FreezeCommand, json: bool) -> Result<Output, Failure> {
    match cmd {
        FreezeCommand::Add { name, from, to, cis } => {
            let f = desk.add_freeze(name, from, to, cis)?;
            if json {
                return Output::json(&f);
            }
            let scope = if f.cis.is_empty() {
                "everything".to_string()
            } else {
                f.cis.join(", ")
            };
            Ok(Output(format!(
                "freeze {} from {} to {} on {}\n",
                inert(&f.name, false),
                super::local_time(f.start),
                super::local_time(f.end),
                inert(&scope, false)
            )))
        }
        FreezeCommand::List => {
            let list = desk.freezes()?;
            if json {
                return Output::json(&list);
            }
            if list.is_empty() {
                return Ok(Output("no freeze windows\n".into()));
            }
            let mut out = String::new();
            for f in &list {
                let scope = if f.cis.is_empty() {
                    "everything".to_string()
                } else {
                    f.cis.join(", ")
                };
                let _ = writeln!(
                    out,
                    "{:<20} {} → {}  {}",
                    inert(&f.name, false),
                    super::local_time(f.start),
                    super::local_time(f.end),
                    inert(&scope, false)
                );
            }
            Ok(Output(out))
        }
    }
}
