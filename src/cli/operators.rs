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
On a desk on a PostgreSQL server this also makes NAME a database login role in the desk's
group role (<database>_operators), which may read the desk, work tickets, and only add to
the timeline; the role you connect as needs CREATEROLE.
Examples:
  opsdesk operator add bob --role agent
  opsdesk operator add carol --role agent --role cab --email carol@example.com
  opsdesk operator add dave --role agent --password-file dave.pw   # on a server"
    )]
    Add {
        name: String,
        #[arg(long = "role", value_parser = role, required = true)]
        roles: Vec<Role>,
        /// Their mail address: mail from it is theirs.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// On a server: their database password, the first line of FILE (`-`: standard
        /// input). Only its SCRAM verifier is sent to the server.
        #[arg(long, value_name = "FILE")]
        password_file: Option<std::path::PathBuf>,
    },
    /// On a server desk: give an operator (one copied from a desk file, say) their database
    /// login role in the desk's group role, or set its password (admins only).
    #[command(
        after_help = "Examples:\n  opsdesk operator login bob --password-file bob.pw\n  opsdesk operator login bob   # a role that logs in without a password (peer, certificate)"
    )]
    Login {
        name: String,
        /// Their database password, the first line of FILE (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        password_file: Option<std::path::PathBuf>,
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
        OperatorCommand::Add {
            name,
            roles,
            email,
            password_file,
        } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let (op, login) = desk.provision_operator(name, roles, email.as_deref(), password.as_deref())?;
            if json {
                let mut v = serde_json::to_value(&op).map_err(|e| Failure::new(e.to_string()))?;
                if let (Some(obj), Some(login)) = (v.as_object_mut(), &login) {
                    obj.insert("login".into(), serde_json::json!(login));
                }
                return Output::json(&v);
            }
            let mut out = format!("added operator {} ({})\n", op.name, roles_text(&op.roles));
            if let Some(l) = login {
                out.push_str(&login_text(&l));
            }
            Ok(Output(out))
        }
        OperatorCommand::Login { name, password_file } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let (op, login) = desk.give_login(name, password.as_deref())?;
            if json {
                return Output::json(&login);
            }
            Ok(Output(format!(
                "{} ({}): {}",
                op.name,
                roles_text(&op.roles),
                login_text(&login)
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

fn login_text(l: &crate::store::server::roles::Login) -> String {
    format!(
        "database role {} {}, a member of {}{}\n",
        l.role,
        if l.made { "made" } else { "exists" },
        l.group,
        if l.password { "; password set" } else { "" }
    )
}

/// The longest password file read: a password is one line.
const MAX_PASSWORD_BYTES: u64 = 1024;

/// A password: the first line of `file` (`-`: standard input), never empty.
fn read_password(file: &std::path::Path) -> Result<String, Failure> {
    use std::io::Read;
    let shown = crate::text::inert(&file.display().to_string(), false);
    let bytes = if file == std::path::Path::new("-") {
        super::read_stdin(MAX_PASSWORD_BYTES as usize)?
    } else {
        let mut bytes = Vec::new();
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_PASSWORD_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| Failure::new(format!("cannot read the password from {shown}: {e}")))?;
        bytes
    };
    if bytes.len() as u64 > MAX_PASSWORD_BYTES {
        return Err(Failure::new(format!(
            "{shown} is no password file: a password is one line of at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| Failure::new(format!("the password in {shown} is not UTF-8")))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(Failure::new(format!(
            "{shown} holds no password: its first line is empty"
        )));
    }
    Ok(line.to_string())
}
