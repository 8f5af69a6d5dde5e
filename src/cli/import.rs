//! `opsdesk import`: another tool's tickets, through a mapping file.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::{Failure, Output};
use crate::desk::{Desk, ImportReport};
use crate::import::mapping::Mapping;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV or JSON-lines file to import.
    file: PathBuf,
    /// How the file's columns and values become tickets (see assets/mappings/README.md).
    /// Without it, FILE must be an `opsdesk export` (JSON lines), restored as it was.
    #[arg(long, short)]
    mapping: Option<PathBuf>,
    /// Read and check everything, write nothing: say what an import would do.
    #[arg(long)]
    dry_run: bool,
}

/// Rows not taken that the human report lists (`--json` lists them all).
const SHOWN: usize = 50;

pub fn run(desk: &mut Desk, a: &ImportArgs, json: bool) -> Result<Output, Failure> {
    let Some(mapping_file) = &a.mapping else {
        let r = desk.restore(&a.file, a.dry_run)?;
        if json {
            return Output::json(&r);
        }
        let mut out = format!(
            "{} {}: {} tickets, {} new, {} already there; {} events; {} CIs added\n",
            if r.dry_run { "would restore" } else { "restored" },
            r.file,
            r.records,
            r.created,
            r.unchanged,
            r.events,
            r.cis_added
        );
        for (from, to) in &r.renumbered {
            out.push_str(&format!("  {from} is {to} here (the desk already had a {from})\n"));
        }
        return Ok(Output(out));
    };
    let shown = mapping_file.display().to_string();
    let text = std::fs::read_to_string(mapping_file).map_err(|e| Failure::new(format!("cannot read {shown}: {e}")))?;
    let policy = desk.policy()?;
    let mapping = Mapping::parse(&text, &shown, &policy.lifecycles).map_err(|e| Failure::new(e.to_string()))?;
    // What the import needs, said before a row is read.
    let (needed, lacking) = desk.import_roles(&mapping)?;
    let roles: Vec<String> = needed.iter().map(|n| format!("{} ({})", n.role, n.why)).collect();
    eprintln!("this import needs: {}", crate::text::inert(&roles.join("; "), false));
    for l in &lacking {
        eprintln!("warning: {}", crate::text::inert(l, false));
    }
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} rows, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("importing {}", a.file.display()));
    let report = desk.import(&a.file, &mapping, a.dry_run, &mut |done, all| {
        bar.set_length(all as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let report = report?;
    if json {
        return Output::json(&report);
    }
    Ok(Output(human(&report)))
}

fn human(r: &ImportReport) -> String {
    let mut out = String::new();
    let verb = if r.dry_run { "would import" } else { "imported" };
    let _ = writeln!(
        out,
        "{verb} {} ({}): {} rows, {} records",
        r.file, r.source, r.rows, r.records
    );
    let _ = writeln!(
        out,
        "  tickets: {} new, {} updated, {} unchanged; {} events; {} people, {} CIs and {} relations added",
        r.created, r.updated, r.unchanged, r.events, r.people_added, r.cis_added, r.relations_added
    );
    if !r.long_windows.is_empty() {
        let shown: Vec<String> = r
            .long_windows
            .iter()
            .take(5)
            .map(|w| format!("{} ({} days)", crate::text::inert(&w.key, false), w.days))
            .collect();
        let _ = writeln!(
            out,
            "  {} planned longer than the desk's changes.long_window: {}{}",
            count(r.long_windows.len(), "change", "changes"),
            shown.join(", "),
            if r.long_windows.len() > 5 { ", …" } else { "" }
        );
    }
    if r.dry_run {
        out.push_str("  dry run: nothing was written\n");
    }
    if r.rejected.is_empty() {
        if r.created + r.updated == 0 {
            out.push_str("nothing new: every record is on the desk as the file has it\n");
        } else {
            out.push_str("every row was taken\n");
        }
    } else {
        let causes: Vec<String> = r
            .not_taken
            .iter()
            .map(|(c, n)| format!("{n} {}", c.describe()))
            .collect();
        let _ = writeln!(
            out,
            "{} not taken: {}",
            count(r.rejected.len(), "row", "rows"),
            causes.join(", ")
        );
        for x in r.rejected.iter().take(SHOWN) {
            let key = if x.key.is_empty() { "-" } else { &x.key };
            let _ = writeln!(
                out,
                "  line {:<7} {:<12} {}",
                x.line,
                crate::text::inert(key, false),
                crate::text::inert(&x.reason, false)
            );
        }
        if r.rejected.len() > SHOWN {
            let _ = writeln!(out, "  … and {} more (--json lists them all)", r.rejected.len() - SHOWN);
        }
    }
    out
}

/// `1 row`, `2 rows`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
