//! `opsdesk ci ...`

use std::fmt::Write;

use clap::Subcommand;

use super::{Failure, Output, key_value};
use crate::desk::Desk;
use crate::domain::cmdb::Relation;
use crate::text::{clip, inert};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DirectionArg {
    Up,
    Down,
}

fn relation(s: &str) -> Result<Relation, String> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Add a configuration item.
    #[command(
        after_help = "Classes: business_service, application, database, server, virtual_machine,
         network_device, storage, cluster
Examples:
  opsdesk ci add shop --class business_service
  opsdesk ci add db-01 --class database --attr engine=postgres --attr version=16 --env prod"
    )]
    Add {
        name: String,
        #[arg(long)]
        class: String,
        /// live, planned, maintenance or retired [default: live].
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        owner_team: Option<String>,
        #[arg(long = "env")]
        environment: Option<String>,
        /// A free attribute as KEY=VALUE (repeat for more).
        #[arg(long = "attr", value_name = "KEY=VALUE", value_parser = key_value)]
        attrs: Vec<(String, String)>,
    },
    /// Record that A depends_on, runs_on, connected_to or part_of B.
    #[command(after_help = "Examples:
  opsdesk ci relate shop depends_on shop-api
  opsdesk ci relate shop-api runs_on vm-17
  opsdesk ci relate vm-17 part_of cluster-a")]
    Relate {
        a: String,
        #[arg(value_parser = relation)]
        relation: Relation,
        b: String,
    },
    /// Show a CI: relations both ways, the business services it impacts, its open tickets.
    #[command(after_help = "Examples:\n  opsdesk ci show db-01\n  opsdesk ci show db-01 --json")]
    Show { name: String },
    /// What a CI's failure impacts (up, the default) or what it needs (down), transitively
    /// through depends_on, runs_on and part_of, with depth and the path to each; cycles are
    /// reported, never followed.
    #[command(after_help = "Examples:\n  opsdesk ci impact db-01\n  opsdesk ci impact shop --direction down --json")]
    Impact {
        name: String,
        #[arg(long, value_enum, default_value = "up")]
        direction: DirectionArg,
    },
    /// Set a CI's maintenance windows (replacing the ones it had): when its changes are
    /// expected. A change outside them is flagged, not refused.
    #[command(
        after_help = "A window: DAYS HH:MM-HH:MM ZONE, days like Sun, Mon-Fri or Sat,Sun; past midnight is fine.
Examples:
  opsdesk ci maintenance db-01 'Sun 02:00-06:00 Europe/Berlin'
  opsdesk ci maintenance web-01 'Mon-Fri 22:00-02:00 UTC' 'Sat 08:00-12:00 UTC'
  opsdesk ci maintenance db-01 --clear"
    )]
    Maintenance {
        name: String,
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        windows: Vec<String>,
        /// Remove every maintenance window of the CI.
        #[arg(long)]
        clear: bool,
    },
    /// List CIs, by class and name.
    #[command(after_help = "Examples:\n  opsdesk ci list\n  opsdesk ci list --class server --json")]
    List {
        #[arg(long)]
        class: Option<String>,
    },
}

pub fn run(desk: &mut Desk, cmd: &CiCommand, json: bool) -> Result<Output, Failure> {
    match cmd {
        CiCommand::Add {
            name,
            class,
            status,
            owner_team,
            environment,
            attrs,
        } => {
            let ci = desk.add_ci(
                name,
                class,
                status.as_deref(),
                owner_team.as_deref(),
                environment.as_deref(),
                attrs,
            )?;
            if json {
                return Output::json(&ci);
            }
            Ok(Output(format!("added CI {} ({})\n", inert(&ci.name, false), ci.class)))
        }
        CiCommand::Relate { a, relation, b } => {
            let added = desk.relate_cis(a, *relation, b)?;
            if json {
                return Output::json(&serde_json::json!({"from": a, "relation": relation, "to": b, "added": added}));
            }
            let already = if added { "" } else { " (recorded already)" };
            Ok(Output(format!(
                "{} {relation} {}{already}\n",
                inert(a, false),
                inert(b, false)
            )))
        }
        CiCommand::Show { name } => {
            let v = desk.ci(name)?;
            if json {
                return Output::json(&v);
            }
            let mut out = String::new();
            let _ = writeln!(out, "{}  {} · {}", inert(&v.ci.name, false), v.ci.class, v.ci.status);
            for (k, val) in [("owner team", &v.ci.owner_team), ("environment", &v.ci.environment)] {
                if let Some(val) = val {
                    let _ = writeln!(out, "  {k}: {}", inert(val, false));
                }
            }
            for (k, val) in &v.ci.attrs {
                let _ = writeln!(out, "  {}: {}", inert(k, false), inert(val, false));
            }
            for m in desk.maintenance_of(&v.ci.name)? {
                let _ = writeln!(out, "  maintenance: {m}");
            }
            if !v.relations_out.is_empty() || !v.relations_in.is_empty() {
                let _ = writeln!(out, "\nRelations:");
                for r in &v.relations_out {
                    let _ = writeln!(out, "  {} {} ({})", r.relation, inert(&r.ci, false), r.class);
                }
                for r in &v.relations_in {
                    let _ = writeln!(out, "  ← {} {} ({})", r.relation, inert(&r.ci, false), r.class);
                }
            }
            let _ = writeln!(out, "\nImpacted business services:");
            if v.impacted_services.is_empty() {
                let _ = writeln!(out, "  none");
            }
            for s in &v.impacted_services {
                let path: Vec<String> = s.path.iter().map(|p| inert(p, false)).collect();
                let _ = writeln!(
                    out,
                    "  {} (depth {}: {})",
                    inert(&s.ci, false),
                    s.depth,
                    path.join(" ← ")
                );
            }
            let _ = writeln!(out, "\nOpen tickets:");
            if v.open_tickets.is_empty() {
                let _ = writeln!(out, "  none");
            }
            for t in &v.open_tickets {
                let _ = writeln!(out, "  {} P{} {} {}", t.id, t.priority, t.state, clip(&t.title, 60));
            }
            Ok(Output(out))
        }
        CiCommand::Impact { name, direction } => {
            let direction = match direction {
                DirectionArg::Up => crate::domain::cmdb::Direction::Up,
                DirectionArg::Down => crate::domain::cmdb::Direction::Down,
            };
            let r = desk.ci_impact(name, direction)?;
            if json {
                return Output::json(&r);
            }
            let mut out = String::new();
            let what = match direction {
                crate::domain::cmdb::Direction::Up => "If {} fails, it impacts",
                crate::domain::cmdb::Direction::Down => "{} depends on",
            };
            let _ = writeln!(
                out,
                "{} {} CI(s):",
                what.replace("{}", &inert(&r.ci, false)),
                r.reached.len()
            );
            for i in &r.reached {
                let star = if i.class == "business_service" { " ★" } else { "" };
                let path: Vec<String> = i.path.iter().map(|p| inert(p, false)).collect();
                let arrow = match direction {
                    crate::domain::cmdb::Direction::Up => " ← ",
                    crate::domain::cmdb::Direction::Down => " → ",
                };
                let _ = writeln!(
                    out,
                    "  {:>2}  {:<32} {:<18}{star}  {}",
                    i.depth,
                    clip(&i.ci, 32),
                    i.class,
                    path.join(arrow)
                );
            }
            if !r.services.is_empty() {
                let s: Vec<String> = r.services.iter().map(|s| inert(s, false)).collect();
                let _ = writeln!(out, "Business services hit: {}", s.join(", "));
            }
            for c in &r.cycles {
                let c: Vec<String> = c.iter().map(|p| inert(p, false)).collect();
                let _ = writeln!(out, "Cycle: {}", c.join(" → "));
            }
            Ok(Output(out))
        }
        CiCommand::Maintenance { name, windows, clear } => {
            let set = desk.set_maintenance(name, if *clear { &[] } else { windows })?;
            if json {
                return Output::json(&serde_json::json!({"ci": name, "maintenance": set}));
            }
            if set.is_empty() {
                return Ok(Output(format!("{} has no maintenance window\n", inert(name, false))));
            }
            Ok(Output(format!(
                "{} maintenance: {}\n",
                inert(name, false),
                set.join("; ")
            )))
        }
        CiCommand::List { class } => {
            let cis = desk.cis(class.as_deref())?;
            if json {
                return Output::json(&cis);
            }
            if cis.is_empty() {
                return Ok(Output("no CIs\n".into()));
            }
            let mut out = format!("{:<32} {:<18} STATUS\n", "NAME", "CLASS");
            for c in &cis {
                let _ = writeln!(out, "{:<32} {:<18} {}", clip(&c.name, 32), c.class, c.status);
            }
            Ok(Output(out))
        }
    }
}
