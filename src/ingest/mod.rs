//! Tickets that nobody types: alerts from monitoring, and mail. Parsing and mapping only; the desk
//! (`desk::ingest`) writes what comes out.

pub mod alertmanager;
pub mod listen;
pub mod mail;
