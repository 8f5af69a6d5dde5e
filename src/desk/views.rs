//! Reading tickets back: one with everything around it and the moves open to the operator
//! looking, pages and queues of them, and search.

use crate::store::Tx;
use chrono::Utc;
use serde::Serialize;

use super::tickets::{ci_by_name, load};
use super::{Desk, DeskError, Result, Who};
use crate::domain::rules;
use crate::domain::ticket_ref::TicketRef;
use crate::domain::{Actor, Ticket, TicketId};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::queue as store_queue;
use crate::store::tickets::{self as store_tickets, Event, Filter, Link};
use crate::store::{self, operators as store_ops};

/// A ticket with everything around it, as `show` and the detail pane present it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub open: bool,
    pub cis: Vec<Ci>,
    /// Business services that the linked CIs' failure impacts (each once).
    pub impacted_services: Vec<String>,
    /// The same per CI, in the order of `cis`, for screens that show them beside each CI.
    #[serde(skip)]
    pub services_by_ci: Vec<Vec<String>>,
    pub links: Vec<Link>,
    /// The transitions the viewing operator may take now.
    pub allowed: Vec<String>,
    /// The SLA clocks (time to own, time to resolve) as the desk keeps them.
    pub sla: crate::domain::sla::Clocks,
    /// Alerts from monitoring that opened or recurred on this ticket.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<crate::store::alerts::Alert>,
    /// Who hears of its public replies besides the requester.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watchers: Vec<String>,
    pub timeline: Vec<Event>,
}

/// One field a move asks for: free text, long text, or a pick from a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prompt {
    pub field: String,
    /// The values to pick from, for enumerated fields and operators.
    pub choices: Option<Vec<String>>,
    /// Text that may span lines (notes, plans, resolution notes).
    pub long: bool,
    /// What the field holds now, or what the move would fill in, to start from.
    pub initial: Option<String>,
}

/// A move this operator may take now, with what it will ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub name: String,
    pub to: String,
    pub prompts: Vec<Prompt>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    #[serde(flatten)]
    pub ticket: Ticket,
    /// BM25, lower is better.
    pub score: f64,
}

/// The operator looking, with the roles the desk gives them (no write: someone not yet
/// registered looks as an operator without roles).
fn viewer(tx: &Tx, who: &Who) -> Result<Actor> {
    let roles = store_ops::get(tx, &who.name)?.map(|o| o.roles).unwrap_or_default();
    let mut actor = Actor::new(who.name.clone(), &roles);
    actor.via = who.via.clone();
    Ok(actor)
}

impl Desk {
    /// A ticket with its CIs, links, timeline and the moves open to this operator.
    pub fn ticket(&mut self, id: TicketId) -> Result<TicketView> {
        self.read(|tx, policy, who| {
            let stored = load(tx, id)?;
            let actor = viewer(tx, who)?;
            let lifecycle = policy.lifecycles.get(id.kind);
            let parties = store_tickets::parties(tx, stored.rowid, lifecycle.initial())?;
            let cis = store_cmdb::of_ticket(tx, stored.rowid)?;
            let mut impacted_services = Vec::new();
            let mut services_by_ci = Vec::new();
            // Only the part of the CMDB above each CI is read (not the whole CMDB per view).
            for ci in &cis {
                let (edges, names) = store_cmdb::impact_part(tx, ci.rowid)?;
                let is_service = |id: i64| names.get(&id).is_some_and(|(_, class)| class == "business_service");
                let services: Vec<String> = crate::domain::cmdb::impacted_services(&edges, ci.rowid, is_service)
                    .into_iter()
                    .map(|(service, _, _)| names.get(&service).map(|(n, _)| n.clone()).unwrap_or_default())
                    .collect();
                for name in &services {
                    if !impacted_services.contains(name) {
                        impacted_services.push(name.clone());
                    }
                }
                services_by_ci.push(services);
            }
            Ok(TicketView {
                open: lifecycle.is_open(&stored.ticket.state),
                allowed: rules::legal_names(lifecycle, &stored.ticket, &actor, &parties),
                cis,
                impacted_services,
                services_by_ci,
                links: store_tickets::links(tx, stored.rowid)?,
                alerts: crate::store::alerts::of_ticket(tx, stored.rowid)?,
                watchers: crate::store::mail::watchers(tx, stored.rowid)?,
                timeline: store_tickets::timeline(tx, stored.rowid)?,
                sla: stored.clocks,
                ticket: stored.ticket,
            })
        })
    }

    /// A page of tickets, by priority and then oldest first.
    pub fn list(&mut self, filter: &Filter) -> Result<Vec<Ticket>> {
        self.store.read(|tx| Ok(store_tickets::list(tx, filter)?))
    }

    /// [`Desk::list`]'s tickets with the key that orders them, handed to `each` until it
    /// answers false; a long listing comes in no particular order (the fastest way to read
    /// the whole desk), so the caller sorts by key.
    pub fn list_keyed(
        &mut self,
        filter: &Filter,
        each: impl FnMut(super::ListKey, TicketRef<'_>) -> bool,
    ) -> Result<()> {
        self.store.read(|tx| Ok(store_tickets::list_keyed(tx, filter, each)?))
    }

    /// [`Desk::list_keyed`]'s tickets, a long listing read in two parts at once (one desk
    /// snapshot): `first` hears one part on this thread, `second` the other, on another
    /// thread when it can (see [`crate::store::Store::read_in_two`]). A short listing all
    /// goes to `first`, in order.
    pub fn list_keyed_in_two(
        &mut self,
        filter: &Filter,
        first: impl FnMut(super::ListKey, TicketRef<'_>) -> bool,
        second: impl FnMut(super::ListKey, TicketRef<'_>) -> bool + Send,
    ) -> Result<()> {
        if filter.limit <= store_tickets::READ_IN_TABLE_ORDER_OVER {
            return self.list_keyed(filter, first);
        }
        self.store.read_in_two(
            |tx| Ok::<_, DeskError>(store_tickets::LongListing::plan(tx, filter)?),
            |tx, plan| Ok(plan.read_part(tx, filter, 0, 2, first)?),
            |tx, plan| Ok(plan.read_part(tx, filter, 1, 2, second)?),
        )?;
        Ok(())
    }

    /// These tickets as they stand now (no timeline), in one read: what a screen needs
    /// before it acts on many at once (their versions, holders and states).
    pub fn tickets_now(&mut self, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        self.read(|tx, _, _| ids.iter().map(|id| Ok(load(tx, *id)?.ticket)).collect())
    }

    /// Every open ticket as the queue shows it.
    pub fn queue_open(&mut self) -> Result<Vec<store_queue::QueueRow>> {
        self.store.read(|tx| Ok(store_queue::queue_open(tx)?))
    }

    /// Every open ticket with its first CI, each made into what the caller keeps of it as
    /// it is read (the terminal desk's rows): the whole queue is never held twice, once as
    /// read and once as kept (a million-ticket desk has 77,000 open).
    pub fn queue_open_made<T>(&mut self, mut make: impl FnMut(store_queue::QueueRow) -> T) -> Result<Vec<T>> {
        self.store.read(|tx| {
            let mut cis: std::collections::HashMap<i64, String> = store_queue::open_ci_names(tx)?.into_iter().collect();
            let mut made = Vec::with_capacity(store_queue::open_count(tx)?);
            store_queue::queue_open_each(tx, &mut |mut row| {
                row.ci = cis.remove(&row.rowid);
                made.push(make(row));
            })?;
            Ok(made)
        })
    }

    /// The first `limit` open tickets by time to breach (the queue's first view and order),
    /// with their first CI: what the terminal desk shows while it reads the rest.
    pub fn queue_open_first(&mut self, limit: usize) -> Result<Vec<store_queue::QueueRow>> {
        self.store.read(|tx| Ok(store_queue::queue_open_first(tx, limit)?))
    }

    /// When the newest change on the desk was made.
    pub fn newest_change(&mut self) -> Result<Option<chrono::DateTime<Utc>>> {
        self.store.read(|tx| Ok(store_queue::newest_change(tx)?))
    }

    /// The first CI of every open ticket, by ticket row id (slower: run it off the UI thread).
    pub fn open_ci_names(&mut self) -> Result<Vec<(i64, String)>> {
        self.store.read(|tx| Ok(store_queue::open_ci_names(tx)?))
    }

    /// Tickets changed at or after `since`, open or not.
    pub fn queue_changed_since(&mut self, since: chrono::DateTime<Utc>) -> Result<Vec<store_queue::QueueRow>> {
        self.store.read(|tx| Ok(store_queue::queue_changed_since(tx, since)?))
    }

    /// Tickets finished in the last `days` days, newest first (at most 1,000).
    pub fn queue_recently_closed(&mut self, days: i64) -> Result<Vec<store_queue::QueueRow>> {
        let since = Utc::now() - chrono::Duration::days(days);
        self.store
            .read(|tx| Ok(store_queue::queue_recently_closed(tx, since, 1_000)?))
    }

    /// Changes whose planned window overlaps `[from, to)`, by start (cancelled ones left out).
    pub fn changes_between(
        &mut self,
        from: chrono::DateTime<Utc>,
        to: chrono::DateTime<Utc>,
    ) -> Result<Vec<store_tickets::ChangeWindow>> {
        self.store.read(|tx| Ok(store_tickets::changes_between(tx, from, to)?))
    }

    /// The row id of a CI by name, for filters.
    pub fn ci_rowid(&mut self, name: &str) -> Result<i64> {
        self.store.read(|tx| Ok(ci_by_name(tx, name)?.rowid))
    }

    /// Ranked full-text search; a ticket id typed as the query comes first.
    pub fn search(&mut self, text: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let query = store::search::fts_query(text)
            .ok_or_else(|| DeskError::Invalid("nothing to search for: give a word or two".into()))?;
        let exact: Option<TicketId> = text.trim().parse().ok();
        self.store.read(|tx| {
            let mut hits = Vec::new();
            if let Some(id) = exact
                && let Some(s) = store_tickets::get(tx, id)?
            {
                hits.push(SearchHit {
                    ticket: s.ticket,
                    score: f64::NEG_INFINITY,
                });
            }
            let ranked = store::search::search(tx, &query, limit)?;
            let rowids: Vec<i64> = ranked.iter().map(|(rowid, _)| *rowid).collect();
            let mut found: std::collections::HashMap<i64, store_tickets::Stored> =
                store_tickets::get_by_rowids(tx, &rowids)?
                    .into_iter()
                    .map(|s| (s.rowid, s))
                    .collect();
            for (rowid, score) in ranked {
                if hits.len() >= limit {
                    break;
                }
                if let Some(s) = found.remove(&rowid)
                    && Some(s.ticket.id) != exact
                {
                    hits.push(SearchHit {
                        ticket: s.ticket,
                        score,
                    });
                }
            }
            Ok(hits)
        })
    }

    /// Exactly the moves this operator may take on a ticket now, each with the fields to ask
    /// for: as the domain decides, so a screen offers nothing the desk would refuse for who
    /// is asking.
    pub fn offers(&mut self, id: TicketId) -> Result<Vec<Offer>> {
        use crate::domain::ticket::{FieldType, NOTE, field_spec};
        self.read(|tx, policy, who| {
            let lifecycles = &policy.lifecycles;
            let stored = load(tx, id)?;
            let operators = Self::operator_names(tx)?;
            let actor = viewer(tx, who)?;
            let lifecycle = lifecycles.get(id.kind);
            let parties = store_tickets::parties(tx, stored.rowid, lifecycle.initial())?;
            let offers = lifecycle
                .allowed_transitions(&stored.ticket, &actor, &parties)
                .into_iter()
                .map(|t| Offer {
                    name: t.name.clone(),
                    to: t.to.clone(),
                    prompts: t
                        .requires
                        .iter()
                        .map(|f| {
                            let spec = field_spec(f);
                            let ty = spec.map(|s| s.ty);
                            let choices = match ty {
                                Some(FieldType::Enum) => lifecycles.values(f).map(<[String]>::to_vec),
                                Some(FieldType::Operator) => Some(operators.clone()),
                                _ => None,
                            };
                            let filled = t.defaults.get(f).map(|v| match v {
                                crate::domain::lifecycle::Value::Actor => actor.name.clone(),
                                crate::domain::lifecycle::Value::Now => String::new(),
                                crate::domain::lifecycle::Value::Literal(s) => s.clone(),
                            });
                            Prompt {
                                field: f.clone(),
                                choices,
                                long: f == NOTE || ty == Some(FieldType::LongText),
                                initial: stored.ticket.get(f).or(filled),
                            }
                        })
                        .collect(),
                })
                .collect();
            Ok(offers)
        })
    }
}
