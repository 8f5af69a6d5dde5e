//! opsdesk: a service desk that lives in the terminal.
//!
//! `domain` holds the ITIL rules as pure code, `store` is the only place that speaks SQL,
//! and `desk` offers every action to the CLI (and the TUI) by asking one and writing the other.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod desk;
pub mod domain;
pub mod hooks;
pub mod ics;
pub mod import;
pub mod ingest;
pub mod mailer;
pub mod present;
pub mod seed;
pub mod store;
pub mod text;
pub mod tomlfile;
pub mod tui;
