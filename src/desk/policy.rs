//! The desk's policy: one set of rules for every operator, kept in the desk and versioned.
//! Every decision reads the policy as it stands in its own transaction, so a rule an admin
//! changed is the rule from the next action on, in every process working the desk.

use crate::store::Tx;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Desk, DeskError, Result, Who, desk_actor};
use crate::domain::{Kind, Policy, Role};
use crate::store::{self, Store};

/// The policy a desk works by, read again whenever its newest version changes.
#[derive(Default)]
pub(super) struct Rules {
    /// The trail entry the cached policy came from.
    entry: Option<i64>,
    policy: Option<Arc<Policy>>,
}

impl Rules {
    /// The policy as it stands for this connection's transaction: the newest version in the
    /// desk (the shipped one while the desk has none).
    pub fn current(&mut self, conn: &Tx) -> Result<Arc<Policy>> {
        let id = store::policy::current_id(conn)?;
        if let (Some(p), true) = (&self.policy, id == self.entry) {
            return Ok(p.clone());
        }
        let policy = match store::policy::current(conn)? {
            Some(e) => {
                let version = e.subject.clone().unwrap_or_default();
                let source = e.new.unwrap_or_default();
                Policy::parse(&source, &format!("the desk's policy (version {version})")).map_err(|err| {
                    DeskError::Invalid(format!(
                        "{err}; the desk's policy cannot be read (written by a newer opsdesk, or changed outside \
                         it: `opsdesk audit verify` tells)"
                    ))
                })?
            }
            None => Policy::shipped(),
        };
        let policy = Arc::new(policy);
        self.entry = id;
        self.policy = Some(policy.clone());
        Ok(policy)
    }

    /// The same, in a read of its own.
    pub fn now(&mut self, store: &mut Store) -> Result<Arc<Policy>> {
        store.read(|tx| self.current(tx))
    }
}

/// One version of the policy, as `policy log` and `policy show` tell it.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyVersion {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub author: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The change from the version before, as a unified diff (none for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl PolicyVersion {
    fn of(e: store::desk_log::Entry, with_source: bool) -> PolicyVersion {
        PolicyVersion {
            version: e.subject.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0),
            at: e.at,
            author: e.actor,
            via: e.via,
            diff: e.note,
            source: if with_source { e.new } else { None },
        }
    }
}

/// What `policy apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyChange {
    pub version: i64,
    pub diff: String,
    /// Tickets whose open flag or SLA clocks were worked out again under the new rules.
    pub tickets_refreshed: usize,
}

/// The change from `old` to `new` as a unified diff with three lines of context.
pub fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

impl Desk {
    /// The desk's policy now.
    pub fn policy(&mut self) -> Result<Arc<Policy>> {
        self.rules.now(&mut self.store)
    }

    /// When a desk has no policy yet (new, or made before desks kept their own), its first
    /// version is what this operator's files said (so an upgraded desk keeps its behaviour),
    /// or else the shipped one. Otherwise rules left in those files are named in a notice:
    /// they are no longer read.
    pub(super) fn adopt_policy(&mut self) -> Result<()> {
        let legacy = self.config.legacy.clone();
        let has = self
            .store
            .read(|tx| Ok::<_, DeskError>(store::policy::current_id(tx)?.is_some()))?;
        if has {
            if let Some(l) = legacy {
                self.notices.push(format!(
                    "{} still hold{} rules that are the desk's policy now and are not read (`opsdesk policy show`); \
                     remove them",
                    l.from.join(", "),
                    if l.from.len() == 1 { "s" } else { "" }
                ));
            }
            return Ok(());
        }
        let (source, from) = match &legacy {
            Some(l) => {
                let document = l.document()?;
                let file = format!("the rules of {}", l.from.join(", "));
                Policy::parse(&document, &file)?;
                (document, Some(l.from.join(", ")))
            }
            None => (Policy::shipped_source().to_string(), None),
        };
        let who = self.who.clone();
        let tickets = self.store.write(|tx| {
            // Another process may have adopted one meanwhile.
            if store::policy::current_id(tx)?.is_some() {
                return Ok::<_, DeskError>(None);
            }
            store::policy::record(tx, 1, &source, None, Utc::now(), who.by())?;
            let n = store::tickets::count(tx)?;
            Ok(Some(n))
        })?;
        match (tickets, from) {
            (Some(_), Some(from)) => self.notices.push(format!(
                "the desk keeps its own rules now: its policy (version 1) was made from {from}, which are not read \
                 any more; `opsdesk policy show` prints it and an admin changes it with `opsdesk policy apply`"
            )),
            (Some(n), None) if n > 0 => self.notices.push(
                "the desk keeps its own rules now: its policy (version 1) is the shipped one; `opsdesk policy show` \
                 prints it and an admin changes it with `opsdesk policy apply`"
                    .into(),
            ),
            _ => {}
        }
        Ok(())
    }

    /// One version of the policy (the current one when `version` is None), with its text.
    pub fn policy_version(&mut self, version: Option<i64>) -> Result<PolicyVersion> {
        self.store.read(|tx| {
            let e = match version {
                Some(n) => store::desk_log::policy_version(tx, n)?,
                None => store::policy::current(tx)?,
            };
            match e {
                Some(e) => Ok(PolicyVersion::of(e, true)),
                None if version.is_some() => Err(DeskError::Invalid(format!(
                    "the policy has no version {}: `opsdesk policy log` lists them",
                    version.unwrap_or_default()
                ))),
                None => Ok(PolicyVersion {
                    version: 0,
                    at: Utc::now(),
                    author: "opsdesk".into(),
                    via: None,
                    diff: None,
                    source: Some(Policy::shipped_source().to_string()),
                }),
            }
        })
    }

    /// Every version of the policy, oldest first, without their texts.
    pub fn policy_log(&mut self) -> Result<Vec<PolicyVersion>> {
        self.store.read(|tx| {
            Ok(store::desk_log::list(tx, &["policy"])?
                .into_iter()
                .map(|e| PolicyVersion::of(e, false))
                .collect())
        })
    }

    /// What applying `text` would change (empty: nothing); `text` is checked whole first.
    pub fn policy_diff(&mut self, text: &str, file: &str) -> Result<String> {
        Policy::parse(text, file)?;
        let current = self.policy_version(None)?;
        let name = format!("policy version {}", current.version);
        Ok(diff(&current.source.unwrap_or_default(), text, &name, file))
    }

    /// Makes `text` the desk's policy: only an admin may. It is checked whole; it must keep
    /// every state that tickets are in; what changes is recorded with its author and the
    /// diff; open flags and SLA clocks are worked out again in the same transaction when the
    /// lifecycles or the SLA policy changed.
    pub fn apply_policy(&mut self, text: &str, file: &str) -> Result<PolicyChange> {
        let new = Policy::parse(text, file)?;
        let (store, rules, who) = (&mut self.store, &mut self.rules, &self.who);
        store.write(|tx| {
            let now = Utc::now();
            require_admin(tx, who, now, "change the desk's policy")?;
            let old = rules.current(tx)?;
            let current = store::policy::current(tx)?;
            let version = current
                .as_ref()
                .and_then(|e| e.subject.as_deref())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0);
            let old_source = current.and_then(|e| e.new).unwrap_or_else(|| old.source.clone());
            if old_source == text {
                return Err(DeskError::Invalid(format!(
                    "{file} is the desk's policy already (version {version}): nothing to change"
                )));
            }
            check_states(tx, &new)?;
            let d = diff(&old_source, text, &format!("policy version {version}"), file);
            store::policy::record(tx, version + 1, text, Some(&d), now, who.by())?;
            let mut refreshed = 0;
            if old.moves_clocks(&new) {
                for (kind, state, n) in store::policy::states_in_use(tx)? {
                    let Ok(k) = kind.parse::<Kind>() else { continue };
                    if store::policy::set_open(tx, &kind, &state, new.lifecycles.get(k).is_open(&state))? > 0 {
                        refreshed += n as usize;
                    }
                }
                if store::sla::refresh_if_policy_changed(tx, &new.sla, &new.lifecycles)? {
                    let n = store::tickets::count(tx)?;
                    refreshed = refreshed.max(n as usize);
                }
            }
            Ok(PolicyChange {
                version: version + 1,
                diff: d,
                tickets_refreshed: refreshed,
            })
        })
    }
}

/// Refuses unless the acting operator is an admin.
pub(super) fn require_admin(tx: &Tx, who: &Who, now: DateTime<Utc>, what: &str) -> Result<()> {
    let actor = desk_actor(tx, who, now)?;
    if actor.has(Role::Admin) {
        Ok(())
    } else {
        Err(DeskError::NeedsAdmin {
            actor: actor.name,
            what: what.into(),
        })
    }
}

/// A new policy must have a place for every ticket: each state tickets are in must still be
/// a state of their kind's lifecycle.
fn check_states(conn: &Tx, new: &Policy) -> Result<()> {
    for (kind, state, n) in store::policy::states_in_use(conn)? {
        let Ok(k) = kind.parse::<Kind>() else { continue };
        if !new.lifecycles.get(k).has_state(&state) {
            return Err(DeskError::Invalid(format!(
                "the new policy has no state `{state}` for {kind}s, and {n} {kind}{} {} in it: keep the state \
                 (it may have no transitions into it) or move those tickets first",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" }
            )));
        }
    }
    Ok(())
}
