//! Bringing other tools' tickets in: mapping files, reading CSV and JSON lines, and replaying
//! each record through the lifecycle rules. The desk (`desk::import`) writes the result.

pub mod bounded;
pub mod mapping;
pub mod replay;

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

use mapping::{Format, Mapping};
use replay::{Cause, Rejected, Row};

/// Why a file cannot be read at all (a bad row is [`Rejected`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: cannot tell the format from the name; set format = \"csv\" or \"jsonl\" in the mapping")]
    UnknownFormat { path: String },
    #[error("{path}: the header has no column `{column}`, which the mapping reads (columns: {header})")]
    MissingColumn {
        path: String,
        column: String,
        header: String,
    },
    #[error("{path}: {message}")]
    Csv { path: String, message: String },
}

/// The records of a file: each key with its rows in file order, keys in order of first
/// appearance.
#[derive(Debug, Default)]
pub struct Records {
    pub groups: Vec<(String, Vec<Row>)>,
    pub rows: usize,
    pub rejected: Vec<Rejected>,
}

impl Records {
    fn push(&mut self, index: &mut HashMap<String, usize>, mapping: &Mapping, row: Row) {
        self.rows += 1;
        let key = row.cells.get(mapping.key).cloned().flatten();
        let Some(key) = key else {
            self.rejected.push(Rejected {
                line: row.line,
                key: String::new(),
                cause: Cause::NoKey,
                reason: format!("the key column `{}` is empty", mapping.columns[mapping.key]),
            });
            return;
        };
        match index.get(&key) {
            Some(&i) => self.groups[i].1.push(row),
            None => {
                index.insert(key.clone(), self.groups.len());
                self.groups.push((key, vec![row]));
            }
        }
    }
}

fn format_of(path: &Path, mapping: &Mapping) -> Result<Format, ReadError> {
    if let Some(f) = mapping.format {
        return Ok(f);
    }
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
        _ => Err(ReadError::UnknownFormat {
            path: path.display().to_string(),
        }),
    }
}

fn cell(mapping: &Mapping, raw: &str) -> Option<String> {
    let v = raw.trim();
    (!v.is_empty() && !mapping.missing.iter().any(|m| m == v)).then(|| v.to_string())
}

/// Reads the whole file into records.
pub fn read(path: &Path, mapping: &Mapping) -> Result<Records, ReadError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| ReadError::Io {
        path: shown.clone(),
        source: e,
    })?;
    match format_of(path, mapping)? {
        Format::Csv => read_csv(file, &shown, mapping),
        Format::Jsonl => read_jsonl(file, &shown, mapping),
    }
}

fn read_csv(file: impl Read, shown: &str, mapping: &Mapping) -> Result<Records, ReadError> {
    let (file, breaks) = bounded::LineBreaks::new(file);
    let (file, budget) = bounded::Bounded::new(file, bounded::MAX_RECORD);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let line_of =
        |p: Option<&csv::Position>, fallback: u64| p.map_or(fallback, |p| bounded::line_at(&breaks, p.byte()));
    let csv_err = |e: csv::Error| ReadError::Csv {
        path: shown.to_string(),
        message: e.to_string(),
    };
    let header = reader.headers().map_err(csv_err)?.clone();
    budget.reset();
    let mut slots = Vec::with_capacity(mapping.columns.len());
    for c in &mapping.columns {
        let i = header
            .iter()
            .position(|h| h.trim() == c)
            .ok_or_else(|| ReadError::MissingColumn {
                path: shown.to_string(),
                column: c.clone(),
                header: header.iter().collect::<Vec<_>>().join(", "),
            })?;
        slots.push(i);
    }
    let mut out = Records::default();
    let mut index = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        let read = reader.read_record(&mut record);
        budget.reset();
        match read {
            Ok(false) => break,
            Ok(true) => {
                let line = line_of(record.position(), line);
                if record.len() != header.len() {
                    out.rows += 1;
                    out.rejected.push(Rejected {
                        line,
                        key: String::new(),
                        cause: Cause::Unreadable,
                        reason: format!("{} cells where the header has {}", record.len(), header.len()),
                    });
                    continue;
                }
                let cells = slots.iter().map(|&i| cell(mapping, &record[i])).collect();
                out.push(&mut index, mapping, Row { line, cells });
            }
            Err(e) => {
                // A broken record (bad UTF-8, say) is one row not taken; an I/O error ends it.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(csv_err(e));
                }
                out.rows += 1;
                out.rejected.push(Rejected {
                    line: line_of(e.position(), line),
                    key: String::new(),
                    cause: Cause::Unreadable,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(out)
}

fn read_jsonl(file: impl Read, shown: &str, mapping: &Mapping) -> Result<Records, ReadError> {
    let mut out = Records::default();
    let mut index = HashMap::new();
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        let more =
            bounded::read_line(&mut reader, &mut buf, bounded::MAX_RECORD, line + 1).map_err(|e| ReadError::Io {
                path: shown.to_string(),
                source: e,
            })?;
        if !more {
            break;
        }
        line += 1;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reject = |out: &mut Records, reason: String| {
            out.rows += 1;
            out.rejected.push(Rejected {
                line,
                key: String::new(),
                cause: Cause::Unreadable,
                reason,
            });
        };
        let value: serde_json::Value = match serde_json::from_slice(&buf) {
            Ok(v) => v,
            Err(e) => {
                reject(&mut out, format!("not a JSON object: {e}"));
                continue;
            }
        };
        let Some(obj) = value.as_object() else {
            reject(&mut out, "not a JSON object".into());
            continue;
        };
        let cells = mapping
            .columns
            .iter()
            .map(|c| match obj.get(c) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => cell(mapping, s),
                Some(other) => cell(mapping, &other.to_string()),
            })
            .collect();
        out.push(&mut index, mapping, Row { line, cells });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lifecycles;

    fn mapping() -> Mapping {
        Mapping::parse(
            "source = \"t\"\nkind = \"incident\"\nkey = \"id\"\nmissing = [\"?\"]\n[fields]\ntitle = \"subject\"\n",
            "m.toml",
            &Lifecycles::builtin(),
        )
        .expect("mapping")
    }

    #[test]
    fn csv_rows_group_by_key_and_bad_rows_are_listed_with_their_line() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("x.csv");
        std::fs::write(
            &p,
            "id,subject,extra\nA,Printer,1\nB,\"Mail, again\",2\nA,?,3\nC,short\n,No key,4\n",
        )
        .expect("write");
        let r = read(&p, &mapping()).expect("read");
        assert_eq!(r.rows, 5);
        assert_eq!(r.groups.len(), 2);
        assert_eq!(r.groups[0].0, "A");
        assert_eq!(r.groups[0].1.len(), 2);
        assert_eq!(r.groups[0].1[1].cells[1], None, "`?` is missing");
        assert_eq!(r.groups[1].1[0].cells[1].as_deref(), Some("Mail, again"));
        let lines: Vec<(u64, &str)> = r.rejected.iter().map(|x| (x.line, x.reason.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (5, "2 cells where the header has 3"),
                (6, "the key column `id` is empty")
            ]
        );
    }

    #[test]
    fn a_column_the_mapping_needs_must_be_in_the_header() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "id,title\nA,x\n").expect("write");
        let e = read(&p, &mapping()).expect_err("no subject").to_string();
        assert!(e.contains("the header has no column `subject`"), "{e}");
        assert!(e.contains("columns: id, title"), "{e}");
    }

    #[test]
    fn line_numbers_are_right_whatever_the_line_endings() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("x.csv");
        for (ending, name) in [("\n", "LF"), ("\r\n", "CRLF")] {
            // A quoted cell spanning two lines, then a short row on line 5 and a row
            // without its key on line 6.
            let text = [
                "id,subject,extra",
                "A,\"two",
                "lines\",1",
                "B,ok,2",
                "C,short",
                ",No key,4",
                "",
            ]
            .join(ending);
            std::fs::write(&p, text).expect("write");
            let r = read(&p, &mapping()).expect("read");
            let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
            assert_eq!(lines, vec![5, 6], "{name}");
            assert_eq!(r.groups[0].1[0].line, 2, "{name}");
            assert_eq!(r.groups[1].1[0].line, 4, "{name}");
        }
    }

    #[test]
    fn json_lines_take_strings_numbers_and_nulls() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("x.jsonl");
        std::fs::write(
            &p,
            "{\"id\": 7, \"subject\": \"Disk full\"}\n\n{\"id\": \"8\", \"subject\": null}\nnot json\n[1]\n",
        )
        .expect("write");
        let r = read(&p, &mapping()).expect("read");
        assert_eq!(r.groups.len(), 2);
        assert_eq!(r.groups[0].0, "7");
        assert_eq!(r.groups[1].1[0].cells[1], None);
        assert_eq!(r.rejected.len(), 2);
        assert_eq!(r.rejected[0].line, 4);
        assert!(r.rejected[0].reason.starts_with("not a JSON object"));
        assert_eq!(r.rejected[1].line, 5);
    }

    #[test]
    fn a_file_of_unknown_format_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("x.xlsx");
        std::fs::write(&p, "").expect("write");
        assert!(matches!(read(&p, &mapping()), Err(ReadError::UnknownFormat { .. })));
    }
}
