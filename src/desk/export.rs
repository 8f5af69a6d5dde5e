//! `opsdesk export`: every ticket with its whole timeline as JSON lines (or the tickets
//! alone as CSV, for spreadsheets). A JSON lines export ends with a line that counts its
//! records and carries a SHA-256 of them, so an export cut short is never restored as if it
//! were whole (see `restore`). Both formats are safe on a terminal: JSON escapes what a
//! terminal would obey, and CSV cells pass through the one sanitiser; a CSV cell that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) starts with `'`.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Desk, DeskError, Result};
use crate::domain::Kind;
use crate::store::cmdb as store_cmdb;
use crate::store::tickets as store_tickets;

/// What the first field of every exported line says.
pub const FORMAT: &str = "opsdesk-export/1";

/// One ticket as exported: its fields, its CIs and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exported {
    pub format: String,
    pub id: String,
    pub kind: Kind,
    pub state: String,
    pub title: String,
    pub description: String,
    pub impact: u8,
    pub urgency: u8,
    pub priority: u8,
    pub requester: String,
    pub assignee: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub cis: Vec<ExportedCi>,
    pub timeline: Vec<ExportedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedCi {
    pub name: String,
    pub class: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub note: Option<String>,
    /// The text of a comment or work note.
    pub comment: Option<String>,
    /// The account that acted as `actor`, when it was another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// What a replay of the ticket starts from (on `created` and `baseline` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}

/// The last line of a JSON lines export: how many records came before it, and the SHA-256
/// of their bytes (each line with its newline), in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    pub format: String,
    pub end: bool,
    pub records: usize,
    pub sha256: String,
}

/// A CSV cell as written: through the sanitiser (a terminal shows it, never obeys it), and
/// with `'` before what a spreadsheet would take for a formula.
pub fn csv_cell(value: &str) -> String {
    let shown = crate::text::inert(value, true);
    if shown.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{shown}")
    } else {
        shown
    }
}

/// The formats `opsdesk export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// The CSV header: the common fields, then every optional field of ITIL.md.
fn csv_header() -> Vec<&'static str> {
    let mut h = vec![
        "id",
        "kind",
        "state",
        "title",
        "description",
        "impact",
        "urgency",
        "priority",
        "requester",
        "assignee",
        "created_at",
        "updated_at",
        "version",
        "cis",
    ];
    let rest: Vec<&'static str> = crate::domain::ticket::FIELDS
        .iter()
        .map(|f| f.name)
        .filter(|f| !h.contains(f))
        .collect();
    h.extend(rest);
    h
}

impl Desk {
    /// Writes every ticket (of `kind`, if given) to `out`, oldest first. Returns how many.
    pub fn export(&mut self, format: ExportFormat, kind: Option<Kind>, out: &mut dyn Write) -> Result<usize> {
        let io = |e: std::io::Error| DeskError::Invalid(format!("cannot write the export: {e}"));
        let csv_err = |e: csv::Error| DeskError::Invalid(format!("cannot write the export: {e}"));
        let csv = format == ExportFormat::Csv;
        let header = csv_header();
        // One CSV record, each cell made safe, quoted as CSV needs.
        let csv_line = |fields: &[String]| -> Result<Vec<u8>> {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(fields.iter().map(|f| csv_cell(f))).map_err(csv_err)?;
            w.into_inner()
                .map_err(|e| DeskError::Invalid(format!("cannot write the export: {e}")))
        };
        if csv {
            let names: Vec<String> = header.iter().map(|h| h.to_string()).collect();
            out.write_all(&csv_line(&names)?).map_err(io)?;
        }
        let mut count = 0;
        let mut digest = Sha256::new();
        self.store.read(|tx| {
            let rowids = store_tickets::rowids(tx, kind)?;
            for rowid in rowids {
                let Some(stored) = store_tickets::get_by_rowid(tx, rowid)? else {
                    continue;
                };
                let t = stored.ticket;
                let cis = store_cmdb::of_ticket(tx, rowid)?;
                if csv {
                    let names: Vec<&str> = cis.iter().map(|c| c.name.as_str()).collect();
                    let row: Vec<String> = header
                        .iter()
                        .map(|h| match *h {
                            "id" => t.id.to_string(),
                            "kind" => t.kind.name().to_string(),
                            "created_at" => crate::domain::rules::format_time(t.created_at),
                            "updated_at" => crate::domain::rules::format_time(t.updated_at),
                            "version" => t.version.to_string(),
                            "cis" => names.join(";"),
                            other => t.get(other).unwrap_or_default(),
                        })
                        .collect();
                    out.write_all(&csv_line(&row)?).map_err(io)?;
                } else {
                    let timeline = store_tickets::timeline(tx, rowid)?
                        .into_iter()
                        .map(|e| ExportedEvent {
                            at: e.at,
                            actor: e.actor,
                            kind: e.kind,
                            field: e.field,
                            old: e.old,
                            new: e.new,
                            note: e.note,
                            comment: e.comment,
                            via: e.via,
                            snapshot: e.snapshot,
                        })
                        .collect();
                    let record = Exported {
                        format: FORMAT.into(),
                        id: t.id.to_string(),
                        kind: t.kind,
                        state: t.state,
                        title: t.title,
                        description: t.description,
                        impact: t.impact,
                        urgency: t.urgency,
                        priority: t.priority,
                        requester: t.requester,
                        assignee: t.assignee,
                        fields: t.fields,
                        created_at: t.created_at,
                        updated_at: t.updated_at,
                        version: t.version,
                        cis: cis
                            .into_iter()
                            .map(|c| ExportedCi {
                                name: c.name,
                                class: c.class,
                            })
                            .collect(),
                        timeline,
                    };
                    let line = serde_json::to_string(&record)
                        .map_err(|e| DeskError::Invalid(format!("cannot write the export: {e}")))?;
                    let line = crate::text::json_safe(line) + "\n";
                    digest.update(line.as_bytes());
                    out.write_all(line.as_bytes()).map_err(io)?;
                }
                count += 1;
            }
            Ok::<_, DeskError>(())
        })?;
        if !csv {
            let end = Trailer {
                format: FORMAT.into(),
                end: true,
                records: count,
                sha256: crate::store::chain::hex(&digest.finalize()),
            };
            let line =
                serde_json::to_string(&end).map_err(|e| DeskError::Invalid(format!("cannot write the export: {e}")))?;
            out.write_all(line.as_bytes()).map_err(io)?;
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)?;
        Ok(count)
    }
}
