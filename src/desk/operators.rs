//! Managing who works the desk. Every change is an entry of the desk's audited trail.

use chrono::{DateTime, Utc};

use super::policy::require_admin;
use super::{Desk, DeskError, Result, Who};
use crate::domain::operator::{Role, valid_operator_name};
use crate::store::Engine;
use crate::store::Tx;
use crate::store::operators::{self as store_ops, Operator};
use crate::store::server::roles::{self, Login};

/// A mail address as opsdesk takes one: `name@host`, one word, nothing a terminal obeys.
fn check_email(address: &str) -> Result<String> {
    let a = address.trim();
    let ok = a.len() <= 254
        && a.split_once('@')
            .is_some_and(|(local, host)| !local.is_empty() && host.contains('.'))
        && !a.chars().any(|c| c.is_whitespace() || crate::text::is_risky(c));
    if ok {
        Ok(a.to_ascii_lowercase())
    } else {
        Err(DeskError::Invalid(format!(
            "`{}` is not a mail address: use e.g. alice@example.com",
            crate::text::inert(address, false)
        )))
    }
}

const NO_PASSWORDS: &str = "a desk file has no passwords: its operators are this machine's accounts (--password-file is for a desk on a server)";

/// Makes `name`'s database login role a member of the desk's group (see
/// [`roles::provision`]), an entry of the desk's trail.
fn make_login(tx: &Tx, name: &str, password: Option<&str>, now: DateTime<Utc>, who: &Who) -> Result<Login> {
    let login = roles::provision(tx, name, password)?;
    let note = format!(
        "database role {} in {}{}",
        if login.made { "made" } else { "joined" },
        login.group,
        if login.password { ", password set" } else { "" }
    );
    let e = crate::store::desk_log::DeskEvent {
        kind: "operator_login",
        subject: Some(name),
        note: Some(&note),
        ..Default::default()
    };
    crate::store::desk_log::append(tx, now, who.by(), &e)?;
    Ok(login)
}

impl Desk {
    /// Adds an operator with roles (and a mail address); only an admin may.
    pub fn add_operator(&mut self, name: &str, roles: &[Role], email: Option<&str>) -> Result<Operator> {
        Ok(self.provision_operator(name, roles, email, None)?.0)
    }

    /// Adds an operator as [`Desk::add_operator`] does and, on a server, in the same
    /// transaction makes their database role a member of the desk's group role (with
    /// `password`, when given): one command gives someone everything they need to work.
    pub fn provision_operator(
        &mut self,
        name: &str,
        roles: &[Role],
        email: Option<&str>,
        password: Option<&str>,
    ) -> Result<(Operator, Option<Login>)> {
        valid_operator_name(name).map_err(DeskError::Invalid)?;
        let on_server = self.store.engine() == Engine::Postgres;
        if password.is_some() && !on_server {
            return Err(DeskError::Invalid(NO_PASSWORDS.into()));
        }
        if roles.is_empty() {
            return Err(DeskError::Invalid(
                "give the operator at least one --role (agent, cab, admin)".into(),
            ));
        }
        let email = email.map(check_email).transpose()?;
        self.write(|tx, _, who| {
            let now = Utc::now();
            require_admin(tx, who, now, "add operators")?;
            if let Some(op) = store_ops::get(tx, name)? {
                return Err(DeskError::Invalid(format!(
                    "operator `{}` exists already (roles: {}); use `opsdesk operator grant`",
                    op.name,
                    op.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")
                )));
            }
            store_ops::insert(tx, name, roles, now, who.by())?;
            if let Some(e) = &email {
                store_ops::set_email(tx, name, Some(e), now, who.by())?;
            }
            let login = if on_server {
                Some(make_login(tx, name, password, now, who)?)
            } else {
                None
            };
            let op = store_ops::get(tx, name)?
                .ok_or_else(|| DeskError::Invalid(format!("operator `{name}` was not added")))?;
            Ok((op, login))
        })
    }

    /// Gives an operator of a server desk (one copied from a file, say) their database login
    /// role in the desk's group, with `password` when given; only an admin may.
    pub fn give_login(&mut self, name: &str, password: Option<&str>) -> Result<(Operator, Login)> {
        if self.store.engine() != Engine::Postgres {
            return Err(DeskError::Invalid(format!(
                "{} is a desk file: its operators log in as this machine's accounts (`operator login` is for a desk on a server)",
                self.store.place().shown()
            )));
        }
        self.write(|tx, _, who| {
            let now = Utc::now();
            require_admin(tx, who, now, "give operators database logins")?;
            let op = store_ops::get(tx, name)?
                .ok_or_else(|| DeskError::Refused(crate::domain::Refusal::UnknownOperator(name.into())))?;
            let login = make_login(tx, &op.name, password, now, who)?;
            Ok((op, login))
        })
    }

    /// Gives an operator more roles, or (with `revoke`) takes them away; only an admin may,
    /// and the desk always keeps one admin.
    pub fn grant(&mut self, name: &str, roles: &[Role], revoke: bool) -> Result<Operator> {
        self.write(|tx, _, who| {
            let now = Utc::now();
            require_admin(tx, who, now, "change roles")?;
            let mut op = store_ops::get(tx, name)?
                .ok_or_else(|| DeskError::Refused(crate::domain::Refusal::UnknownOperator(name.into())))?;
            if revoke {
                op.roles.retain(|r| !roles.contains(r));
                if roles.contains(&Role::Admin) {
                    if op.name.eq_ignore_ascii_case(&who.name) {
                        return Err(DeskError::Invalid("an admin cannot revoke their own admin role".into()));
                    }
                    let admins = store_ops::list(tx)?
                        .iter()
                        .filter(|o| o.roles.contains(&Role::Admin) && !o.name.eq_ignore_ascii_case(&op.name))
                        .count();
                    if admins == 0 {
                        return Err(DeskError::Invalid(format!(
                            "{} is the desk's last admin: grant another operator admin first",
                            op.name
                        )));
                    }
                }
            } else {
                op.roles.extend_from_slice(roles);
            }
            store_ops::set_roles(tx, &op.name, &op.roles, now, who.by())?;
            Ok(store_ops::get(tx, name)?.unwrap_or(op))
        })
    }

    /// Sets an operator's mail address (None clears it): an admin for anyone, an operator
    /// for themselves.
    pub fn set_email(&mut self, name: &str, email: Option<&str>) -> Result<Operator> {
        let email = email.map(check_email).transpose()?;
        self.write(|tx, _, who| {
            let now = Utc::now();
            if !name.eq_ignore_ascii_case(&who.name) {
                require_admin(tx, who, now, "set another operator's mail address")?;
            }
            let op = store_ops::get(tx, name)?
                .ok_or_else(|| DeskError::Refused(crate::domain::Refusal::UnknownOperator(name.into())))?;
            if let Some(e) = &email
                && let Some(other) = store_ops::by_email(tx, e)?
                && !other.name.eq_ignore_ascii_case(&op.name)
            {
                return Err(DeskError::Invalid(format!("{e} is {}'s address already", other.name)));
            }
            store_ops::set_email(tx, &op.name, email.as_deref(), now, who.by())?;
            Ok(store_ops::get(tx, name)?.unwrap_or(op))
        })
    }

    pub fn operators(&mut self) -> Result<Vec<Operator>> {
        self.store.read(|tx| Ok(store_ops::list(tx)?))
    }

    /// The acting operator as the desk knows them (roles, address), and who acts for them.
    pub fn whoami(&mut self) -> Result<(super::Who, Option<Operator>)> {
        let who = self.who.clone();
        let op = self
            .store
            .read(|tx| Ok::<_, DeskError>(store_ops::get(tx, &who.name)?))?;
        Ok((who, op))
    }
}
