//! The application layer: every action of opsdesk, once. It asks the domain what is allowed
//! and writes the result through the store in one transaction with its timeline events.
//! The CLI and the TUI call only this, so an action behaves the same wherever it comes from.

mod audit;
mod changes;
mod cmdb;
mod export;
mod hooks;
mod import;
mod ingest;
mod operators;
mod problems;
mod report;
mod sla;
mod tickets;

use std::path::Path;

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};
use rusqlite::Transaction;

pub use audit::{Audit, BrokenLink, Head};
pub use changes::{FreezeView, SCHEDULE_STATES, Scheduled};
pub use cmdb::{CiView, CmdbGraph, ImpactReport, Impacted, RelationView};
pub use export::{ExportFormat, Exported, RestoreReport};
pub use import::{BATCH as IMPORT_BATCH, ImportReport};
pub use ingest::{AlertAction, AlertOutcome, AlertReport, MailAction, MailOutcome, alert_line};
pub use problems::Suggestions;
pub use report::{Dashboard, Report};
pub use sla::{Escalation, SweepReport, run_escalations};
pub use tickets::{Created, Offer, Prompt, SearchHit, TicketView};

use crate::config::{Config, ConfigError};
use crate::domain::{Actor, Refusal, Role, TicketId};
use crate::store::{self, Sharing, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no ticket {0}")]
    NoTicket(TicketId),
    #[error("no CI named `{0}` (opsdesk ci list shows them; opsdesk ci add creates one)")]
    NoCi(String),
    #[error("{id} was changed by {by} at {at} — reload")]
    Conflict { id: TicketId, by: String, at: String },
    #[error("{actor} may not {what}: that needs the admin role")]
    NeedsAdmin { actor: String, what: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl From<rusqlite::Error> for DeskError {
    fn from(e: rusqlite::Error) -> Self {
        DeskError::Store(StoreError::Sqlite(e))
    }
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;

/// An open desk and the operator working it.
pub struct Desk {
    store: Store,
    config: Config,
    user: String,
}

impl Desk {
    /// Opens an existing desk as `user`.
    pub fn open(path: &Path, user: &str, config: Config) -> Result<Desk> {
        crate::domain::operator::valid_operator_name(user).map_err(DeskError::Invalid)?;
        let store = Store::open(path)?;
        let mut desk = Desk {
            store,
            config,
            user: user.to_string(),
        };
        desk.keep_clocks()?;
        Ok(desk)
    }

    /// Works every ticket's SLA clocks out again when the desk's stored clocks were made
    /// under another policy than this config's (or before clocks were kept: version 6).
    fn keep_clocks(&mut self) -> Result<()> {
        let print = self.config.sla.policy.fingerprint();
        if self.store.meta(store::sla::POLICY_KEY)?.as_deref() == Some(print.as_str()) {
            return Ok(());
        }
        let (policy, lifecycles) = (&self.config.sla.policy, &self.config.lifecycles);
        self.store
            .write(|tx| Ok::<_, DeskError>(store::sla::refresh_if_policy_changed(tx, policy, lifecycles)?))?;
        Ok(())
    }

    /// Creates a desk (or opens the one already there) with `user` as its first admin.
    /// Returns the desk and whether it was created now.
    pub fn create(path: &Path, user: &str, config: Config, sharing: Sharing) -> Result<(Desk, bool)> {
        crate::domain::operator::valid_operator_name(user).map_err(DeskError::Invalid)?;
        let (store, fresh) = Store::create(path, sharing)?;
        let mut desk = Desk {
            store,
            config,
            user: user.to_string(),
        };
        if fresh {
            let now = Utc::now();
            desk.store.write(|tx| -> Result<()> {
                store::set_meta(tx, "created_by", user)?;
                store::set_meta(tx, "created_at", &crate::domain::rules::format_time(now))?;
                desk_actor(tx, user, now)?;
                Ok(())
            })?;
        }
        desk.keep_clocks()?;
        Ok((desk, fresh))
    }

    pub fn user(&self) -> &str {
        &self.user
    }
    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn path(&self) -> &Path {
        self.store.path()
    }
    /// Changes whenever another process commits to the desk.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.store.data_version()?)
    }
    /// Copies the desk to `to` (which must not exist) while others keep working.
    pub fn backup(&self, to: &Path) -> Result<()> {
        Ok(self.store.backup_to(to)?)
    }

    /// For tests and tools that inspect the file itself.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// The acting operator as the desk knows them. Anyone acting for the first time is
/// registered as an agent; the very first operator of a desk is its admin.
fn desk_actor(tx: &Transaction, name: &str, now: DateTime<Utc>) -> Result<Actor> {
    if let Some(op) = store::operators::get(tx, name)? {
        return Ok(Actor::new(op.name, &op.roles));
    }
    let roles: &[Role] = if store::operators::count(tx)? == 0 {
        &[Role::Admin, Role::Agent]
    } else {
        &[Role::Agent]
    };
    store::operators::insert(tx, name, roles, now)?;
    Ok(Actor::new(name, roles))
}

/// The zone in which times typed without an offset are read: the operator's own.
fn local_offset() -> FixedOffset {
    Local::now().offset().fix()
}

/// `14:02` today, `Nov 21 14:02` otherwise, in the operator's zone.
pub fn short_time(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&Local);
    if local.date_naive() == Local::now().date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%b %d %H:%M").to_string()
    }
}
