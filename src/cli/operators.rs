//! `opsdesk operator ...`

use std::fmt::Write;

use clap::Subcommand;

use super::{Failure, Output};
use crate::desk::Desk;
use crate::domain::Role;

fn role(s: &str) -> Result<Role, String> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Add an operator (admins only). Anyone else who acts is registered as an agent.
    #[command(
        after_help = "Roles: agent (works tickets), cab (authorises changes), admin (manages the desk)
Examples:
  opsdesk operator add bob --role agent
  opsdesk operator add carol --role agent --role cab"
    )]
    Add {
        name: String,
        #[arg(long = "role", value_parser = role, required = true)]
        roles: Vec<Role>,
    },
    /// Give an operator more roles, or take them away with --revoke (admins only).
    #[command(
        after_help = "Examples:\n  opsdesk operator grant bob --role cab\n  opsdesk operator grant bob --role cab --revoke"
    )]
    Grant {
        name: String,
        #[arg(long = "role", value_parser = role, required = true)]
        roles: Vec<Role>,
        #[arg(long)]
        revoke: bool,
    },
    /// List operators and their roles.
    #[command(after_help = "Examples:\n  opsdesk operator list\n  opsdesk operator list --json")]
    List,
}

pub fn run(desk: &mut Desk, cmd: &OperatorCommand, json: bool) -> Result<Output, Failure> {
    let roles_text = |roles: &[Role]| roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ");
    match cmd {
        OperatorCommand::Add { name, roles } => {
            let op = desk.add_operator(name, roles)?;
            if json {
                return Output::json(&op);
            }
            Ok(Output(format!(
                "added operator {} ({})\n",
                op.name,
                roles_text(&op.roles)
            )))
        }
        OperatorCommand::Grant { name, roles, revoke } => {
            let op = desk.grant(name, roles, *revoke)?;
            if json {
                return Output::json(&op);
            }
            Ok(Output(format!("{} now has: {}\n", op.name, roles_text(&op.roles))))
        }
        OperatorCommand::List => {
            let ops = desk.operators()?;
            if json {
                return Output::json(&ops);
            }
            let mut out = format!("{:<24} ROLES\n", "NAME");
            for o in &ops {
                let _ = writeln!(out, "{:<24} {}", o.name, roles_text(&o.roles));
            }
            Ok(Output(out))
        }
    }
}
