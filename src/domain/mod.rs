//! The ITIL model as pure code: no I/O, no clock reads, no terminal, no SQL.
//! Time and every other outside fact come in as arguments, so each rule is testable.

pub mod calendar;
pub mod cmdb;
pub mod kpi;
pub mod lifecycle;
pub mod maintenance;
pub mod operator;
pub mod policy;
pub mod priority;
pub mod rules;
pub mod schedule;
pub mod sla;
pub mod ticket;
pub mod ticket_ref;

pub use lifecycle::{Lifecycle, LifecycleError, Lifecycles, Parties, Transition};
pub use operator::{Actor, Role};
pub use policy::Policy;
pub use priority::Matrix;
pub use rules::{Context, Draft, FieldChange, Outcome, Refusal};
pub use ticket::{ChangeType, Kind, Ticket, TicketId};
