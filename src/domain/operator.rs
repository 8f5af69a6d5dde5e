//! Operators and their roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works tickets.
    Agent,
    /// Authorises changes.
    Cab,
    /// Manages operators, lifecycles and SLA policy.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Agent, Role::Cab, Role::Admin];
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Cab => "cab",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown role `{s}`: expected agent, cab or admin"))
    }
}

/// Who is acting: a name and the roles the desk grants it, and the account that acts as
/// them when that is someone else (an admin acting for an operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub roles: Vec<Role>,
    pub via: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>, roles: &[Role]) -> Self {
        Actor {
            name: name.into(),
            roles: roles.to_vec(),
            via: None,
        }
    }
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// Names compare without regard to case: `Alice` requested what `alice` approves.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.trim())
    }
}

/// An operator name is one word a shell and a log line can carry without quoting.
pub fn valid_operator_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not an operator name: use 1-64 letters, digits, `.`, `_`, `-` or `@`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_in_any_case() {
        assert_eq!("CAB".parse(), Ok(Role::Cab));
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn actor_names_compare_without_case() {
        let a = Actor::new("alice", &[Role::Agent]);
        assert!(a.is("Alice"));
        assert!(!a.is("bob"));
        assert!(a.has(Role::Agent) && !a.has(Role::Cab));
    }

    #[test]
    fn operator_names_are_single_words() {
        assert!(valid_operator_name("alice.smith@corp").is_ok());
        assert!(valid_operator_name("").is_err());
        assert!(valid_operator_name("two words").is_err());
        assert!(valid_operator_name("evil\u{1b}[2J").is_err());
    }
}
