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

fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
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
                local(f.start),
                local(f.end),
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
                    local(f.start),
                    local(f.end),
                    inert(&scope, false)
                );
            }
            Ok(Output(out))
        }
    }
}
