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
  opsdesk operator add carol --role agent --role cab --email carol@example.com"
    )]
    Add {
        name: String,
        #[arg(long = "role", value_parser = role, required = true)]
        roles: Vec<Role>,
        /// Their mail address: mail from it is theirs.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
    },
    /// Set an operator's mail address, or clear it with --clear (your own, or anyone's as
    /// an admin).
    #[command(
        after_help = "Examples:\n  opsdesk operator email bob bob@example.com\n  opsdesk operator email bob --clear"
    )]
    Email {
        name: String,
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        address: Option<String>,
        #[arg(long)]
        clear: bool,
    },
    /// Who you are on this desk: your account, whom you act as, your roles.
    #[command(
        after_help = "Examples:\n  opsdesk operator whoami\n  opsdesk --user bob operator whoami   # admins only"
    )]
    Whoami,
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
        OperatorCommand::Add { name, roles, email } => {
            let op = desk.add_operator(name, roles, email.as_deref())?;
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
        OperatorCommand::Email { name, address, .. } => {
            let op = desk.set_email(name, address.as_deref())?;
            if json {
                return Output::json(&op);
            }
            Ok(Output(match &op.email {
                Some(e) => format!("{}'s address is {e}\n", op.name),
                None => format!("{} has no address now\n", op.name),
            }))
        }
        OperatorCommand::Whoami => {
            let (who, op) = desk.whoami()?;
            let roles = op.as_ref().map(|o| o.roles.clone()).unwrap_or_default();
            if json {
                return Output::json(&serde_json::json!({
                    "operator": who.name,
                    "via": who.via,
                    "roles": roles,
                    "email": op.and_then(|o| o.email),
                }));
            }
            let roles = if roles.is_empty() {
                "not registered yet: the first action registers you as an agent".to_string()
            } else {
                roles_text(&roles)
            };
            Ok(Output(format!("{} ({roles})\n", who.shown())))
        }
        OperatorCommand::List => {
            let ops = desk.operators()?;
            if json {
                return Output::json(&ops);
            }
            let mut out = format!("{:<24} {:<18} EMAIL\n", "NAME", "ROLES");
            for o in &ops {
                let _ = writeln!(
                    out,
                    "{:<24} {:<18} {}",
                    o.name,
                    roles_text(&o.roles),
                    o.email.as_deref().unwrap_or("-")
                );
            }
            Ok(Output(out))
        }
    }
}
