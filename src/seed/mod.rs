//! A realistic synthetic desk of any size, for benchmarks and the demo desk.
//!
//! Every ticket is walked through its lifecycle by the real rules engine, so a seeded desk
//! holds only what the product itself could have written: valid states, the fields each
//! transition needs, roles and segregation of duties respected, and a timeline to match.

use std::path::Path;

use chrono::{DateTime, Duration, Offset, Utc};

use crate::domain::cmdb::Relation;
use crate::domain::kpi::Milestones;
use crate::domain::rules::{self, Context, Draft, Outcome};
use crate::domain::{Actor, ChangeType, Kind, Role};
use crate::store::cmdb::{self as store_cmdb, Ci};
use crate::store::tickets::{self as store_tickets, NewEvent};
use crate::store::{Sharing, Store, StoreError, operators as store_ops};

mod script;
use script::*;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub tickets: usize,
    /// The desk's "now": tickets are spread over the year before it.
    pub now: DateTime<Utc>,
    pub rng_seed: u64,
    /// Of tickets older than two weeks, how many are finished (closed, cancelled, rejected).
    pub done_share: f64,
    /// Tickets are created over this many days before `now`.
    pub span_days: i64,
    /// An operator to register as an admin besides the seeded cast (the OS account that
    /// will work the desk, so it may act as the cast with `--user`).
    pub admin: Option<String>,
}

impl SeedOptions {
    pub fn new(tickets: usize, now: DateTime<Utc>) -> Self {
        SeedOptions {
            tickets,
            now,
            rng_seed: 42,
            done_share: 0.93,
            span_days: 365,
            admin: None,
        }
    }

    /// A small, lively desk to explore: a month of history, much of it still open, some of
    /// it at risk or breached, and changes across the weeks around now.
    pub fn demo(now: DateTime<Utc>) -> Self {
        SeedOptions {
            tickets: 300,
            now,
            rng_seed: 7,
            done_share: 0.5,
            span_days: 30,
            admin: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub tickets: usize,
    pub events: usize,
    pub comments: usize,
    pub cis: usize,
    pub operators: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0} exists already: seeding writes a new desk")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the seeder broke a rule, which is a bug: {0}")]
    Rule(#[from] crate::domain::Refusal),
}

impl From<rusqlite::Error> for SeedError {
    fn from(e: rusqlite::Error) -> Self {
        SeedError::Store(StoreError::Sqlite(e))
    }
}

/// The CMDB: business services depending on applications, which depend on databases and
/// run on virtual machines, which are part of clusters; servers connected to switches.
fn build_cmdb(store: &mut Store, g: &mut Gen, tickets: usize, now: DateTime<Utc>) -> Result<Vec<Ci>, SeedError> {
    let scale = (tickets / 10_000).max(1);
    store.write(|tx| -> Result<Vec<Ci>, SeedError> {
        let mut all = Vec::new();
        let add = |name: String, class: &str, team: &str, all: &mut Vec<Ci>| -> Result<i64, SeedError> {
            let mut ci = Ci {
                rowid: 0,
                name,
                class: class.into(),
                status: "live".into(),
                owner_team: Some(team.into()),
                environment: Some("prod".into()),
                attrs: Default::default(),
            };
            ci.rowid = store_cmdb::insert(tx, &ci, now)?;
            let id = ci.rowid;
            all.push(ci);
            Ok(id)
        };
        let mut switches = Vec::new();
        for s in 0..(2 * scale).max(2) {
            switches.push(add(format!("sw-{s:03}"), "network_device", "network", &mut all)?);
        }
        let mut clusters = Vec::new();
        for c in 0..scale.max(2) {
            let id = add(format!("cluster-{c:02}"), "cluster", "platform", &mut all)?;
            store_cmdb::relate(tx, id, Relation::ConnectedTo, switches[c % switches.len()])?;
            clusters.push(id);
        }
        for round in 0..scale {
            for svc in SERVICES {
                let name = if round == 0 {
                    (*svc).to_string()
                } else {
                    format!("{svc}-{round}")
                };
                let service = add(name.clone(), "business_service", g.pick(TEAMS), &mut all)?;
                let db = add(format!("{name}-db"), "database", "database", &mut all)?;
                let dbhost = add(format!("{name}-db-host"), "server", "platform", &mut all)?;
                store_cmdb::relate(tx, db, Relation::RunsOn, dbhost)?;
                store_cmdb::relate(
                    tx,
                    dbhost,
                    Relation::ConnectedTo,
                    switches[g.rng.usize(..switches.len())],
                )?;
                for app in 0..g.rng.usize(2..=3) {
                    let app_name = format!("{name}-{}", APPS[(app + round) % APPS.len()]);
                    let a = add(app_name.clone(), "application", "apps", &mut all)?;
                    let vm = add(format!("{app_name}-vm"), "virtual_machine", "platform", &mut all)?;
                    store_cmdb::relate(tx, service, Relation::DependsOn, a)?;
                    store_cmdb::relate(tx, a, Relation::DependsOn, db)?;
                    store_cmdb::relate(tx, a, Relation::RunsOn, vm)?;
                    store_cmdb::relate(tx, vm, Relation::PartOf, clusters[g.rng.usize(..clusters.len())])?;
                }
            }
        }
        Ok(all)
    })
}

/// Writes a new desk of `opts.tickets` tickets at `path`.
pub fn seed(path: &Path, opts: &SeedOptions) -> Result<SeedReport, SeedError> {
    if path.exists() {
        return Err(SeedError::Exists(path.display().to_string()));
    }
    let policy = crate::domain::Policy::shipped();
    let (mut store, _) = Store::create(path, Sharing::Private)?;
    store.begin_bulk_load()?;
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(opts.rng_seed),
    };
    let mut report = SeedReport::default();
    let year_ago = opts.now - Duration::days(opts.span_days.max(1));
    store.write(|tx| -> Result<(), SeedError> {
        for (i, name) in OPERATORS.iter().enumerate() {
            let roles: &[Role] = match i {
                0 => &[Role::Admin, Role::Agent, Role::Cab],
                1..=3 => &[Role::Agent, Role::Cab],
                _ => &[Role::Agent],
            };
            store_ops::insert(tx, name, roles, year_ago, "seed".into())?;
        }
        if let Some(admin) = opts
            .admin
            .as_deref()
            .filter(|a| !OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(a)))
        {
            store_ops::insert(tx, admin, &[Role::Admin, Role::Agent], year_ago, "seed".into())?;
        }
        crate::store::set_meta(tx, "created_by", "seed")?;
        crate::store::policy::record(
            tx,
            1,
            crate::domain::Policy::shipped_source(),
            None,
            year_ago,
            "seed".into(),
        )?;
        crate::store::search::pause_index(tx)?;
        Ok(())
    })?;
    report.operators = OPERATORS.len();
    let cis = build_cmdb(&mut store, &mut g, opts.tickets, year_ago)?;
    report.cis = cis.len();
    let operators: Vec<String> = OPERATORS.iter().map(|s| s.to_string()).collect();
    let actors: Vec<Actor> = store.read(|tx| -> Result<Vec<Actor>, SeedError> {
        // The cast works the tickets; the extra admin, if any, only watches.
        Ok(store_ops::list(tx)?
            .into_iter()
            .filter(|o| OPERATORS.iter().any(|c| c.eq_ignore_ascii_case(&o.name)))
            .map(|o| Actor::new(o.name, &o.roles))
            .collect())
    })?;
    // One core walks tickets through their lifecycles while the other writes them.
    let world = World {
        policy: &policy,
        cis: &cis,
        actors: &actors,
        operators: &operators,
        now: opts.now,
        year_ago,
        done_share: opts.done_share,
    };
    // A new desk: its ticket indexes are built once at the end instead of at every insert.
    let indexes = store.drop_ticket_indexes()?;
    const BATCH: usize = 2_000;
    const PER_TRANSACTION: usize = 100_000;
    let total = opts.tickets;
    std::thread::scope(|scope| -> Result<(), SeedError> {
        let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<Life>, SeedError>>(8);
        // Written batches go back to be freed where they were made: freed on the writer's
        // thread, each text took the lock of the other thread's heap, and the two threads
        // spent a seventh of their time passing it between them.
        let (written, to_free) = std::sync::mpsc::channel::<Vec<Life>>();
        scope.spawn(move || {
            let mut made = 0;
            while made < total {
                while let Ok(done) = to_free.try_recv() {
                    drop(done);
                }
                let n = BATCH.min(total - made);
                let batch: Result<Vec<Life>, SeedError> = (0..n).map(|_| world.life(&mut g)).collect();
                let failed = batch.is_err();
                if send.send(batch).is_err() || failed {
                    return;
                }
                made += n;
            }
        });
        let mut numbers = [0i64; 4];
        let mut receive = receive.into_iter().peekable();
        while receive.peek().is_some() {
            store.write(|tx| -> Result<(), SeedError> {
                let mut in_tx = 0;
                while in_tx < PER_TRANSACTION {
                    let Some(batch) = receive.next() else { break };
                    let batch = batch?;
                    for life in &batch {
                        write_life(tx, &world, life, &mut numbers, &mut report)?;
                        in_tx += 1;
                    }
                    let _ = written.send(batch);
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    store.create_indexes(&indexes)?;
    store.write(|tx| -> Result<(), SeedError> { Ok(crate::store::search::resume_index(tx)?) })?;
    store.write(|tx| -> Result<(), SeedError> {
        let print = crate::store::sla::clock_fingerprint(&policy.sla, &policy.lifecycles);
        crate::store::set_meta(tx, crate::store::sla::POLICY_KEY, &print)?;
        Ok(())
    })?;
    store.end_bulk_load()?;
    Ok(report)
}

/// What every generated ticket draws on.
#[derive(Clone, Copy)]
struct World<'a> {
    policy: &'a crate::domain::Policy,
    cis: &'a [Ci],
    actors: &'a [Actor],
    operators: &'a [String],
    now: DateTime<Utc>,
    year_ago: DateTime<Utc>,
    done_share: f64,
}

/// One ticket's whole life, decided by the rules engine, ready to be written.
struct Life {
    ticket: crate::domain::Ticket,
    created: DateTime<Utc>,
    opener: String,
    /// The ticket as it was created, for the created event.
    snapshot: String,
    ci: Option<usize>,
    log: Vec<(DateTime<Utc>, String, Either)>,
    milestones: Milestones,
    clocks: crate::domain::sla::Clocks,
}

impl World<'_> {
    fn life(&self, g: &mut Gen) -> Result<Life, SeedError> {
        let (policy, cis, actors) = (self.policy, self.cis, self.actors);
        let kind = match g.rng.u32(0..100) {
            0..=59 => Kind::Incident,
            60..=84 => Kind::Request,
            85..=89 => Kind::Problem,
            _ => Kind::Change,
        };
        let change_type = (kind == Kind::Change).then(|| match g.rng.u32(0..10) {
            0..=3 => ChangeType::Standard,
            4..=8 => ChangeType::Normal,
            _ => ChangeType::Emergency,
        });
        let span = (self.now - self.year_ago).num_seconds().max(1);
        let created = self.year_ago + Duration::seconds(g.rng.i64(0..span));
        let ci_index = g.rng.usize(..cis.len());
        let ci = &cis[ci_index];
        let requester_agent = &actors[g.rng.usize(..actors.len())];
        let title = match kind {
            Kind::Request => format!("{} {}", g.pick(REQUESTS), ci.name),
            Kind::Change => format!("Patch {} to the current release", ci.name),
            Kind::Problem => format!("Recurring: {} {}", ci.name, g.pick(SYMPTOMS)),
            Kind::Incident => format!("{} {}", ci.name, g.pick(SYMPTOMS)),
        };
        let requester = if kind == Kind::Change {
            requester_agent.name.clone()
        } else {
            g.pick(PEOPLE).to_string()
        };
        let draft = Draft {
            title,
            description: format!("{} {} {}.", g.pick(PEOPLE), g.pick(WORDS), g.pick(WORDS)),
            impact: Some(g.rng.u8(1..=3)),
            urgency: Some(g.rng.u8(1..=3)),
            requester: Some(requester),
            change_type,
            fields: vec![
                ("category".into(), g.pick(CATEGORIES).into()),
                ("team".into(), g.pick(TEAMS).into()),
            ],
        };
        let link_ci = kind == Kind::Change || g.chance(0.6);
        let opener = &actors[g.rng.usize(..actors.len())];
        let ctx = Context {
            actor: opener,
            now: created,
            operators: self.operators,
            linked_cis: usize::from(link_ci),
            local_offset: Utc.fix(),
            frozen_by: &[],
            parties: &crate::domain::lifecycle::NO_PARTIES,
        };
        let mut ticket = rules::create(kind, draft, &policy.lifecycles, &policy.matrix, &ctx)?;
        let snapshot = store_tickets::snapshot_of(&ticket);
        let mut parties = crate::domain::Parties {
            raised: vec![opener.name.clone()],
            submitted: Vec::new(),
        };
        let assignee = &actors[g.rng.usize(..actors.len())];
        let steps = script(g, kind, change_type, created, &assignee.name);
        let settled = Duration::days(14).min((self.now - self.year_ago) / 4);
        let finished = self.now - created > settled && g.chance(self.done_share);
        let take = if finished {
            steps.len()
        } else {
            g.rng.usize(0..steps.len())
        };
        let mut at = created;
        let mut log = Vec::new();
        for Step::Move(name, fields, note) in steps.into_iter().take(take) {
            at += g.minutes(5, 60 * 30);
            if at > self.now {
                break;
            }
            if g.chance(0.2) {
                let c = format!("{} {}", g.pick(PEOPLE), g.pick(WORDS));
                ticket.version += 1;
                log.push((
                    at,
                    assignee.name.clone(),
                    Either::Comment(c, g.chance(0.3), ticket.version),
                ));
                at += g.minutes(1, 120);
            }
            let actor: &Actor = match name {
                "approve" | "reject" => {
                    let fit: Vec<&Actor> = actors
                        .iter()
                        .filter(|a| a.has(Role::Cab) && parties.excludes(&ticket, a).is_none())
                        .collect();
                    fit[g.rng.usize(..fit.len())]
                }
                _ => assignee,
            };
            let ctx = Context {
                actor,
                now: at,
                parties: &parties,
                ..ctx.clone()
            };
            let out = rules::apply_transition(&policy.lifecycles, &ticket, name, &fields, note.as_deref(), &ctx)?;
            ticket = out.ticket.clone();
            parties.submitted.push(actor.name.clone());
            log.push((at, actor.name.clone(), Either::Move(Box::new(out))));
        }
        // The SLA clocks and KPI milestones of this life, worked out here on the generating
        // core rather than read back from what was written.
        let lifecycle = policy.lifecycles.get(kind);
        let mut milestones = Milestones::default();
        let mut moves = Vec::new();
        for (_, _, item) in &log {
            if let Either::Move(out) = item {
                milestones.observe(lifecycle, out);
                if let Some((_, _, to)) = &out.transition {
                    moves.push((out.ticket.updated_at, to.clone()));
                }
            }
        }
        // Times as the desk keeps them (milliseconds), so the clocks are the ones the desk
        // would work out from what is written.
        let ms = |t: DateTime<Utc>| crate::store::from_millis(crate::store::to_millis(t));
        let history = crate::domain::sla::History {
            kind,
            priority: ticket.priority,
            created: ms(ticket.created_at),
            first_state: lifecycle.initial().to_string(),
            moves: moves.into_iter().map(|(at, s)| (ms(at), s)).collect(),
            first_assigned: milestones.first_assigned.map(ms),
        };
        let clocks = policy.sla.clocks(lifecycle, &history);
        Ok(Life {
            ticket,
            created,
            opener: opener.name.clone(),
            snapshot,
            ci: link_ci.then_some(ci_index),
            log,
            milestones,
            clocks,
        })
    }
}

fn write_life(
    tx: &crate::store::Tx,
    world: &World,
    life: &Life,
    numbers: &mut [i64; 4],
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    let Life {
        ticket,
        created,
        opener,
        snapshot,
        ci,
        log,
        milestones,
        clocks,
    } = life;
    let (created, opener) = (*created, opener.as_str());
    let kind = ticket.kind;
    let lifecycle = world.policy.lifecycles.get(kind);
    let open = lifecycle.is_open(&ticket.state);
    let k = Kind::ALL.iter().position(|x| *x == kind).unwrap_or(0);
    numbers[k] += 1;
    let (rowid, _) = store_tickets::insert_numbered(tx, ticket, numbers[k], open, milestones, clocks)?;
    let created_event = NewEvent {
        kind: "created",
        field: Some("state"),
        new: Some(lifecycle.initial()),
        note: Some(&ticket.title),
        version: Some(1),
        snapshot: Some(snapshot),
        ..NewEvent::default()
    };
    store_tickets::append_event(tx, rowid, created, opener, &created_event)?;
    report.events += 1;
    if let Some(ci) = ci.and_then(|i| world.cis.get(i)) {
        store_cmdb::link_ticket(tx, rowid, ci.rowid)?;
        let e = NewEvent {
            kind: "ci_link",
            new: Some(&ci.name),
            version: Some(1),
            ..NewEvent::default()
        };
        store_tickets::append_event(tx, rowid, created, opener, &e)?;
        report.events += 1;
    }
    for (at, actor, item) in log {
        let (at, actor) = (*at, actor.as_str());
        match item {
            Either::Comment(text, internal, version) => {
                let cid = store_tickets::add_comment(tx, rowid, at, actor, text, *internal)?;
                let kind = if *internal { "work_note" } else { "comment" };
                let e = NewEvent {
                    kind,
                    comment_id: Some(cid),
                    version: Some(*version),
                    ..NewEvent::default()
                };
                store_tickets::append_event(tx, rowid, at, actor, &e)?;
                report.comments += 1;
                report.events += 1;
            }
            Either::Move(out) => {
                store_tickets::record_outcome(tx, rowid, out, actor)?;
                report.events += 1 + out.changes.len();
            }
        }
    }
    report.tickets += 1;
    Ok(())
}

enum Either {
    /// Text, whether a work note, and the ticket's version once it is written.
    Comment(String, bool, i64),
    Move(Box<Outcome>),
}
