//! The lifecycle engine: which states a ticket passes through and which moves are allowed.
//!
//! The lifecycles are data (`assets/lifecycles.toml`, overridable per desk), checked once by
//! [`Lifecycles::load`]; [`crate::domain::rules`] applies them.

mod load;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use load::LifecycleError;
pub(crate) use load::RawFile;

use super::operator::{Actor, Role};
use super::ticket::{ChangeType, Kind, Ticket};

/// The lifecycles that ship with opsdesk.
pub const DEFAULT_SOURCE: &str = include_str!("../../../assets/lifecycles.toml");

/// What a transition does when the change's window falls in a freeze window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FreezeRule {
    /// Freezes do not concern it.
    #[default]
    Ignore,
    /// It is not taken.
    Refuse,
    /// It is taken, and the override is recorded.
    Override,
}

/// A value a transition writes: the actor, the time of the move, or a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Actor,
    Now,
    Literal(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub name: String,
    pub from: Vec<String>,
    pub to: String,
    /// Fields that must hold a value after the move; `note` must be given with it.
    pub requires: Vec<String>,
    pub role: Option<Role>,
    pub not_requester: bool,
    pub needs_ci: bool,
    pub freeze: FreezeRule,
    /// `None`: every change type (and every ticket of other kinds).
    pub types: Option<Vec<ChangeType>>,
    pub defaults: BTreeMap<String, Value>,
    pub fill: BTreeMap<String, Value>,
    pub set: BTreeMap<String, Value>,
}

impl Transition {
    fn applies_to(&self, change_type: Option<ChangeType>) -> bool {
        match (&self.types, change_type) {
            (None, _) => true,
            (Some(ts), Some(t)) => ts.contains(&t),
            (Some(_), None) => false,
        }
    }

    /// Whether the guards on who may move let this actor take it (required fields aside).
    pub fn permits(&self, ticket: &Ticket, actor: &Actor, parties: &Parties) -> bool {
        self.role.is_none_or(|r| actor.has(r)) && !(self.not_requester && parties.excludes(ticket, actor).is_some())
    }
}

/// Who a ticket is by, beyond its requester: whoever raised it and whoever submitted it on
/// its way to an approval. A transition with `not_requester` (an approval) is for someone
/// else than all of them, so nobody approves their own change or request, whoever they
/// name as its requester.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    /// Who opened the ticket (and the account that did it for them, if any).
    pub raised: Vec<String>,
    /// Who took the moves since it last left its first state (submit, request approval).
    pub submitted: Vec<String>,
}

/// No parties beyond the requester (a ticket being created; history taken from elsewhere).
pub static NO_PARTIES: Parties = Parties {
    raised: Vec::new(),
    submitted: Vec::new(),
};

impl Parties {
    /// Why `actor` (or the account acting as them) is a party to the ticket, if they are:
    /// `is the requester of`, `raised` or `submitted`.
    pub fn excludes(&self, ticket: &Ticket, actor: &Actor) -> Option<&'static str> {
        let me = |name: &str| {
            actor.is(name)
                || actor
                    .via
                    .as_deref()
                    .is_some_and(|v| v.eq_ignore_ascii_case(name.trim()))
        };
        if me(&ticket.requester) {
            Some("is the requester of")
        } else if self.raised.iter().any(|n| me(n)) {
            Some("raised")
        } else if self.submitted.iter().any(|n| me(n)) {
            Some("submitted")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    pub kind: Kind,
    /// The first state is where new tickets start.
    pub states: Vec<String>,
    pub final_states: Vec<String>,
    pub resolved_states: Vec<String>,
    pub paused_states: Vec<String>,
    pub transitions: Vec<Transition>,
}

impl Lifecycle {
    pub fn initial(&self) -> &str {
        self.states.first().map_or("new", String::as_str)
    }
    pub fn is_final(&self, state: &str) -> bool {
        self.final_states.iter().any(|s| s == state)
    }
    /// Open: neither final nor resolved — still work for someone.
    pub fn is_open(&self, state: &str) -> bool {
        !self.is_final(state) && !self.resolved_states.iter().any(|s| s == state)
    }
    pub fn is_resolved(&self, state: &str) -> bool {
        self.resolved_states.iter().any(|s| s == state)
    }
    pub fn has_state(&self, state: &str) -> bool {
        self.states.iter().any(|s| s == state)
    }

    /// Every transition of this name that applies to a ticket of this change type.
    fn named<'a>(
        &'a self,
        name: &'a str,
        change_type: Option<ChangeType>,
    ) -> impl Iterator<Item = &'a Transition> + 'a {
        self.transitions
            .iter()
            .filter(move |t| t.name == name && t.applies_to(change_type))
    }

    /// The transition called `name` that leaves the ticket's current state, if any.
    pub fn find<'a>(&'a self, ticket: &Ticket, name: &'a str) -> Option<&'a Transition> {
        self.named(name, ticket.change_type())
            .find(|t| t.from.contains(&ticket.state))
    }

    /// Whether any transition of this lifecycle (for the ticket's type) bears this name.
    pub fn knows(&self, ticket: &Ticket, name: &str) -> bool {
        self.named(name, ticket.change_type()).next().is_some()
    }

    /// Exactly the transitions this actor may take now; a final state offers none.
    pub fn allowed_transitions(&self, ticket: &Ticket, actor: &Actor, parties: &Parties) -> Vec<&Transition> {
        if self.is_final(&ticket.state) {
            return Vec::new();
        }
        let change_type = ticket.change_type();
        self.transitions
            .iter()
            .filter(|t| t.applies_to(change_type))
            .filter(|t| t.from.contains(&ticket.state))
            .filter(|t| t.permits(ticket, actor, parties))
            .collect()
    }

    /// The shortest run of transitions from the first state to `target` for a ticket of this
    /// change type, whoever moves (guards on roles left aside), never through a final state.
    pub fn route(&self, target: &str, change_type: Option<ChangeType>) -> Option<Vec<&Transition>> {
        self.shortest(self.initial(), target, change_type, |_| true)
    }

    /// The shortest run of transitions `may` lets through from `from` to `target` for a
    /// ticket of this change type, never through a final state nor back to `from`.
    pub fn shortest(
        &self,
        from: &str,
        target: &str,
        change_type: Option<ChangeType>,
        may: impl Fn(&Transition) -> bool,
    ) -> Option<Vec<&Transition>> {
        let mut came: BTreeMap<&str, (&str, &Transition)> = BTreeMap::new();
        let start = self.states.iter().find(|s| *s == from).map_or(from, String::as_str);
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(state) = queue.pop_front() {
            if state == target {
                let mut out = Vec::new();
                let mut at = state;
                while let Some((prev, tr)) = came.get(at) {
                    out.push(*tr);
                    at = prev;
                }
                out.reverse();
                return Some(out);
            }
            if self.is_final(state) {
                continue;
            }
            for tr in self
                .transitions
                .iter()
                .filter(|t| t.applies_to(change_type) && t.from.iter().any(|f| f == state) && may(t))
            {
                if tr.to != start && !came.contains_key(tr.to.as_str()) {
                    came.insert(tr.to.as_str(), (state, tr));
                    queue.push_back(tr.to.as_str());
                }
            }
        }
        None
    }
}

/// The lifecycles of all four kinds plus the value lists of enumerated fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycles {
    pub(crate) enums: BTreeMap<String, Vec<String>>,
    pub(crate) kinds: BTreeMap<Kind, Lifecycle>,
}

impl Lifecycles {
    /// The lifecycles shipped in the binary; checked by a unit test, so this cannot fail.
    pub fn builtin() -> Lifecycles {
        match Lifecycles::load(DEFAULT_SOURCE, "assets/lifecycles.toml") {
            Ok(l) => l,
            Err(e) => unreachable!("the shipped lifecycles are checked by tests: {e}"),
        }
    }

    pub fn get(&self, kind: Kind) -> &Lifecycle {
        match self.kinds.get(&kind) {
            Some(l) => l,
            None => unreachable!("the loader refuses a file without {kind}"),
        }
    }

    /// The values an enumerated field may take (`None` when the field is not enumerated).
    pub fn values(&self, field: &str) -> Option<&[String]> {
        self.enums.get(field).map(Vec::as_slice)
    }
}
