//! Managing who works the desk.

use chrono::Utc;

use super::{Desk, DeskError, Result, desk_actor};
use crate::domain::operator::{Role, valid_operator_name};
use crate::store::operators::{self as store_ops, Operator};

impl Desk {
    fn require_admin(tx: &rusqlite::Transaction, user: &str, what: &str) -> Result<()> {
        let actor = desk_actor(tx, user, Utc::now())?;
        if actor.has(Role::Admin) {
            Ok(())
        } else {
            Err(DeskError::NeedsAdmin {
                actor: actor.name,
                what: what.into(),
            })
        }
    }

    /// Adds an operator with roles; only an admin may.
    pub fn add_operator(&mut self, name: &str, roles: &[Role]) -> Result<Operator> {
        valid_operator_name(name).map_err(DeskError::Invalid)?;
        if roles.is_empty() {
            return Err(DeskError::Invalid(
                "give the operator at least one --role (agent, cab, admin)".into(),
            ));
        }
        let user = &self.user;
        self.store.write(|tx| {
            Self::require_admin(tx, user, "add operators")?;
            if let Some(op) = store_ops::get(tx, name)? {
                return Err(DeskError::Invalid(format!(
                    "operator `{}` exists already (roles: {}); use `opsdesk operator grant`",
                    op.name,
                    op.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")
                )));
            }
            store_ops::insert(tx, name, roles, Utc::now())?;
            Ok(store_ops::get(tx, name)?.unwrap_or(Operator {
                name: name.into(),
                roles: roles.to_vec(),
            }))
        })
    }

    /// Gives an operator more roles, or (with `revoke`) takes them away; only an admin may.
    pub fn grant(&mut self, name: &str, roles: &[Role], revoke: bool) -> Result<Operator> {
        let user = &self.user;
        self.store.write(|tx| {
            Self::require_admin(tx, user, "change roles")?;
            let mut op = store_ops::get(tx, name)?
                .ok_or_else(|| DeskError::Refused(crate::domain::Refusal::UnknownOperator(name.into())))?;
            if revoke {
                op.roles.retain(|r| !roles.contains(r));
                if op.name.eq_ignore_ascii_case(user) && roles.contains(&Role::Admin) {
                    return Err(DeskError::Invalid("an admin cannot revoke their own admin role".into()));
                }
            } else {
                op.roles.extend_from_slice(roles);
            }
            store_ops::set_roles(tx, &op.name, &op.roles)?;
            Ok(store_ops::get(tx, name)?.unwrap_or(op))
        })
    }

    pub fn operators(&mut self) -> Result<Vec<Operator>> {
        self.store.read(|tx| Ok(store_ops::list(tx)?))
    }
}
