//! The application layer: every action of opsdesk, once. It asks the domain what is allowed
//! and writes the result through the store in one transaction with its timeline events.
//! The CLI and the TUI call only this, so an action behaves the same wherever it comes from.

mod audit;
mod changes;
mod cmdb;
mod copy;
mod deliver;
mod export;
mod family;
mod hooks;
mod import;
mod inbox;
mod ingest;
mod mail;
mod notify;
mod operators;
mod policy;
mod problems;
mod report;
mod restore;
mod sla;
mod tickets;
mod views;

use std::path::Path;

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};

pub use audit::{Audit, BrokenLink, Difference, Head, Trail};
pub use changes::{FreezeView, SCHEDULE_STATES, Scheduled};
pub use cmdb::{CiView, CmdbGraph, ImpactReport, Impacted, RelationView};
pub use copy::Copied;
pub use deliver::{Delivery, Postman};
pub use export::{ExportFormat, Exported, csv_cell};
pub use import::{BATCH as IMPORT_BATCH, ImportReport};
pub use inbox::{Inbox, InboxItem, InboxMark};
pub use ingest::{AlertAction, AlertOutcome, AlertReport, MailAction, MailOutcome, alert_line};
pub use mail::{MailSetup, QueuedMail, Replied, ReplyPreview, Sent};
pub use notify::Preview;
pub use policy::{PolicyChange, PolicyVersion};
pub use problems::Suggestions;
pub use report::{Dashboard, Report};
pub use restore::RestoreReport;
pub use sla::{Escalation, SweepReport, run_escalations};
pub use tickets::Created;
pub use views::{Offer, Prompt, SearchHit, TicketView};

// What the terminal desk and the CLI show, named here so that neither names the store.
pub use crate::store::Sharing;
pub use crate::store::cmdb::Ci;
pub use crate::store::queue::QueueRow;
pub use crate::store::tickets::{AssigneeFilter, ChangeWindow, Filter, ListKey};

use crate::config::{Config, ConfigError};
use crate::domain::{Actor, Refusal, Role, TicketId};
use crate::store::{self, Place, Store, StoreError, Tx};

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
    #[error(
        "{account} may not act as {name}: only an admin of this desk acts as another operator \
         (leave out --user, OPSDESK_USER and config.toml's `user` to act as {account})"
    )]
    NotYou { account: String, name: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Policy(#[from] crate::domain::policy::PolicyError),
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;

/// Who is at the desk: the operator acting, and the account acting as them when that is
/// someone else (only an admin may act for another operator; both are recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub name: String,
    pub via: Option<String>,
}

impl Who {
    pub fn new(name: impl Into<String>) -> Who {
        Who {
            name: name.into(),
            via: None,
        }
    }
    /// `bob`, or `root as bob`.
    pub fn shown(&self) -> String {
        match &self.via {
            Some(via) => format!("{via} as {}", self.name),
            None => self.name.clone(),
        }
    }
    fn by(&self) -> store::tickets::By<'_> {
        store::tickets::By {
            name: &self.name,
            via: self.via.as_deref(),
        }
    }
}

/// Who runs this process and whom they mean to act as: the account is the OS's, never a
/// setting; `act_as` comes from `--user`, `OPSDESK_USER` or config.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub act_as: Option<String>,
}

impl Identity {
    /// Whom it means to act as: the account itself, or another operator through it.
    fn who(&self) -> Who {
        match &self.act_as {
            Some(name) if !name.eq_ignore_ascii_case(&self.account) => Who {
                name: name.clone(),
                via: Some(self.account.clone()),
            },
            _ => Who::new(self.account.clone()),
        }
    }

    /// The identity on this desk's store: on a server the account is the role the
    /// connection authenticated as (`session_user`), whatever the OS account; a file takes
    /// the OS account as given.
    fn on(&self, store: &mut Store) -> Result<Identity> {
        if store.engine() == store::Engine::Sqlite {
            return Ok(self.clone());
        }
        let account: String = store.read(|tx| tx.query_row("SELECT session_user", (), |r| r.get(0)))?;
        Ok(Identity {
            account,
            act_as: self.act_as.clone(),
        })
    }
}

/// An open desk and the operator working it.
pub struct Desk {
    store: Store,
    config: Config,
    rules: policy::Rules,
    who: Who,
    /// What the operator should know about how the desk was opened (shown once).
    notices: Vec<String>,
}

impl Desk {
    /// Opens an existing desk as `user` (trusted code: a tool or a test that says who acts;
    /// the command line goes through [`Desk::open_as`]).
    pub fn open(place: impl Into<Place>, user: &str, config: Config) -> Result<Desk> {
        Desk::opened(Store::open(place)?, Who::new(user), config)
    }

    /// Opens an existing desk for the account running this process, acting as `act_as` when
    /// given: only an admin of the desk may act as another operator, and the timeline then
    /// records both.
    pub fn open_as(place: impl Into<Place>, id: &Identity, config: Config) -> Result<Desk> {
        let mut store = Store::open(place)?;
        let id = id.on(&mut store)?;
        let who = Desk::check_identity(&mut store, &id)?;
        Desk::opened(store, who, config)
    }

    /// Opens the desk again as `who` (for work on another thread: the identity was checked
    /// when the desk was first opened).
    pub(crate) fn reopen(place: &Place, who: &Who, config: Config) -> Result<Desk> {
        Desk::opened(Store::open(place)?, who.clone(), config)
    }

    fn opened(store: Store, who: Who, config: Config) -> Result<Desk> {
        crate::domain::operator::valid_operator_name(&who.name).map_err(DeskError::Invalid)?;
        let mut desk = Desk {
            store,
            config,
            rules: policy::Rules::default(),
            who,
            notices: Vec::new(),
        };
        desk.adopt_policy()?;
        desk.keep_clocks()?;
        Ok(desk)
    }

    /// Works every ticket's SLA clocks out again when they were made under another policy
    /// than the desk's (once, when a desk is upgraded; applying a policy does it itself).
    fn keep_clocks(&mut self) -> Result<()> {
        let policy = self.rules.now(&mut self.store)?;
        let print = store::sla::clock_fingerprint(&policy.sla, &policy.lifecycles);
        if self.store.meta(store::sla::POLICY_KEY)?.as_deref() == Some(print.as_str()) {
            return Ok(());
        }
        self.store.write(|tx| {
            Ok::<_, DeskError>(store::sla::refresh_if_policy_changed(
                tx,
                &policy.sla,
                &policy.lifecycles,
            )?)
        })?;
        Ok(())
    }

    /// Creates a desk (or opens the one already there) with `user` as its first admin.
    /// Returns the desk and whether it was created now.
    pub fn create(place: impl Into<Place>, user: &str, config: Config, sharing: Sharing) -> Result<(Desk, bool)> {
        let (store, fresh) = Store::create(place, sharing)?;
        Desk::created(store, fresh, Who::new(user), config)
    }

    /// Creates a desk for the account running this process, which becomes its first admin;
    /// `act_as` (given by that account at creation) becomes an admin too. An existing desk is
    /// opened as [`Desk::open_as`] would.
    pub fn create_as(place: impl Into<Place>, id: &Identity, config: Config, sharing: Sharing) -> Result<(Desk, bool)> {
        let (mut store, fresh) = Store::create(place, sharing)?;
        let id = &id.on(&mut store)?;
        // Whoever makes a desk may name its first operator; on a desk that exists, only an admin
        // acts as someone else.
        let who = if fresh {
            id.who()
        } else {
            Desk::check_identity(&mut store, id)?
        };
        Desk::created(store, fresh, who, config)
    }

    fn created(mut store: Store, fresh: bool, who: Who, config: Config) -> Result<(Desk, bool)> {
        crate::domain::operator::valid_operator_name(&who.name).map_err(DeskError::Invalid)?;
        if let Some(via) = &who.via {
            crate::domain::operator::valid_operator_name(via).map_err(DeskError::Invalid)?;
        }
        let file = store.place().file().map(Path::to_path_buf);
        if fresh {
            let now = Utc::now();
            let made = store.write(|tx| -> Result<()> {
                store::set_meta(tx, "created_by", &who.shown())?;
                store::set_meta(tx, "created_at", &crate::domain::rules::format_time(now))?;
                let admin = [Role::Admin, Role::Agent];
                let e = store::desk_log::DeskEvent {
                    kind: "desk_created",
                    subject: Some(&who.name),
                    ..Default::default()
                };
                store::desk_log::append(tx, now, who.by(), &e)?;
                if let Some(account) = &who.via {
                    store::operators::insert(tx, account, &admin, now, who.by())?;
                }
                store::operators::insert(tx, &who.name, &admin, now, who.by())?;
                Ok(())
            });
            if let Err(e) = made {
                // A desk that could not be finished (a full disk) is not left behind.
                store.discard();
                return Err(e);
            }
        }
        match Desk::opened(store, who, config) {
            Ok(desk) => Ok((desk, fresh)),
            Err(e) => {
                if fresh && let Some(file) = &file {
                    store::files::remove(file);
                }
                Err(e)
            }
        }
    }

    /// Whom `id` may act as on this desk: itself, or (an admin) anyone.
    fn check_identity(store: &mut Store, id: &Identity) -> Result<Who> {
        crate::domain::operator::valid_operator_name(&id.account).map_err(DeskError::Invalid)?;
        let who = id.who();
        if who.via.is_some() {
            let account = store.read(|tx| store::operators::get(tx, &id.account))?;
            if !account.is_some_and(|a| a.roles.contains(&Role::Admin)) {
                return Err(DeskError::NotYou {
                    account: id.account.clone(),
                    name: who.name,
                });
            }
        }
        Ok(who)
    }

    /// Runs `f` in one write transaction, with the desk's policy as it stands in it.
    fn write<T>(&mut self, f: impl FnOnce(&Tx, &crate::domain::Policy, &Who) -> Result<T>) -> Result<T> {
        let (store, rules, who) = (&mut self.store, &mut self.rules, &self.who);
        store.write(|tx| {
            let policy = rules.current(tx)?;
            f(tx, &policy, who)
        })
    }

    /// Runs `f` over one snapshot of the desk, with the policy as it stands in it.
    fn read<T>(&mut self, f: impl FnOnce(&Tx, &crate::domain::Policy, &Who) -> Result<T>) -> Result<T> {
        let (store, rules, who) = (&mut self.store, &mut self.rules, &self.who);
        store.read(|tx| {
            let policy = rules.current(tx)?;
            f(tx, &policy, who)
        })
    }

    /// The operator acting.
    pub fn user(&self) -> &str {
        &self.who.name
    }
    pub fn who(&self) -> &Who {
        &self.who
    }
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// What the operator should know about how the desk was opened; each is given once.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
    /// Adds something the operator should know, given with the others.
    pub fn notify(&mut self, text: impl Into<String>) {
        self.notices.push(text.into());
    }
    pub fn place(&self) -> &Place {
        self.store.place()
    }
    /// Calls `on_change` (on another thread) when another host commits to a desk on a server.
    pub fn watch(&mut self, on_change: fn()) {
        self.store.watch(on_change);
    }
    /// Whether the desk's server can be reached, as far as this process knows.
    pub fn reachable(&self) -> bool {
        self.store.reachable()
    }
    /// Changes whenever another process commits to the desk.
    pub fn data_version(&mut self) -> Result<i64> {
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
/// registered as an agent (an entry of the desk's trail); the very first operator of a desk
/// that has none is its admin.
fn desk_actor(tx: &Tx, who: &Who, now: DateTime<Utc>) -> Result<Actor> {
    if let Some(op) = store::operators::get(tx, &who.name)? {
        let mut actor = Actor::new(op.name, &op.roles);
        actor.via = who.via.clone();
        return Ok(actor);
    }
    let first = store::operators::count(tx)? == 0;
    enrol(tx, who, now, first)
}

/// [`desk_actor`], and the names of every operator (the acting one among them), from one
/// read of the operators: what a move on a ticket needs.
fn actor_among_operators(tx: &Tx, who: &Who, now: DateTime<Utc>) -> Result<(Actor, Vec<String>)> {
    let all = store::operators::list(tx)?;
    let found = all
        .iter()
        .find(|op| op.name == who.name)
        .map(|op| Actor::new(op.name.clone(), &op.roles));
    let mut names: Vec<String> = all.into_iter().map(|op| op.name).collect();
    let actor = match found {
        Some(mut actor) => {
            actor.via = who.via.clone();
            actor
        }
        None => {
            let actor = enrol(tx, who, now, names.is_empty())?;
            let at = names.binary_search(&who.name).unwrap_or_else(|at| at);
            names.insert(at, who.name.clone());
            actor
        }
    };
    Ok((actor, names))
}

/// Makes `who` an operator on their first write: an agent, and an admin too when they are
/// the desk's `first`.
fn enrol(tx: &Tx, who: &Who, now: DateTime<Utc>, first: bool) -> Result<Actor> {
    let roles: &[Role] = if first {
        &[Role::Admin, Role::Agent]
    } else {
        &[Role::Agent]
    };
    store::operators::insert(tx, &who.name, roles, now, who.by())?;
    let mut actor = Actor::new(who.name.clone(), roles);
    actor.via = who.via.clone();
    Ok(actor)
}

/// The zone in which times typed without an offset are read: the operator's own.
fn local_offset() -> FixedOffset {
    Local::now().offset().fix()
}

/// `14:02` today, `Nov 21 14:02` otherwise, in the operator's zone and at the real time:
/// for messages, such as whose change a stale write ran into.
pub fn short_time(t: DateTime<Utc>) -> String {
    crate::present::short_time(t, Utc::now(), local_offset())
}
