//! `opsdesk copy --to DEST`

use std::fmt::Write;

use super::{Failure, Output};
use crate::desk::Desk;
use crate::store::Place;

pub fn run(desk: &mut Desk, to: &str, json: bool) -> Result<Output, Failure> {
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} rows, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let dest = Place::of(to);
    bar.set_message(format!("copying to {}", crate::text::inert(&dest.short(), false)));
    let copied = desk.copy_to(dest, &mut |done, all| {
        bar.set_length(all);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let c = copied?;
    if json {
        return Output::json(&c);
    }
    let rows: u64 = c.tables.iter().map(|(_, n)| n).sum();
    let of = |t: &str, one: &str| {
        let n = c.tables.iter().find(|(name, _)| name == t).map_or(0, |(_, n)| *n);
        format!("{n} {one}{}", if n == 1 { "" } else { "s" })
    };
    let mut out = format!(
        "copied {} to {}: {rows} rows ({}, {}, {}, {})\n",
        desk.place().shown(),
        c.to,
        of("tickets", "ticket"),
        of("comments", "comment"),
        of("cis", "CI"),
        of("operators", "operator"),
    );
    let _ = match &c.head {
        Some(h) => writeln!(
            out,
            "timeline: {} events chained, head event {h}, the same in both",
            c.events
        ),
        None => writeln!(out, "timeline: no events yet"),
    };
    if let Some(h) = &c.trail_head {
        let _ = writeln!(
            out,
            "desk trail: {} entries chained, head entry {h}, the same in both",
            c.trail
        );
    }
    Ok(Output(crate::text::inert(&out, true)))
}
