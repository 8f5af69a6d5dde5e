//! One pane a file; each draws from the state it is given.

pub mod calendar;
pub mod cmdb;
pub mod dashboard;
pub mod detail;
pub mod inbox;
pub mod queue;
