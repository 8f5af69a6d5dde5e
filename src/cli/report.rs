//! `opsdesk report`: the KPIs, for people or as JSON.

use std::fmt::Write;

use chrono::Offset;
use clap::{Args, ValueEnum};

use super::{Failure, Output};
use crate::desk::Desk;
use crate::domain::kpi::{GroupBy, Kpis, Stat};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ByArg {
    Team,
    Assignee,
    Category,
    Priority,
    Ci,
    Kind,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Tickets created from this day [default: the beginning].
    #[arg(long)]
    since: Option<String>,
    /// Tickets created before this day [default: now].
    #[arg(long)]
    until: Option<String>,
    /// Break the figures down.
    #[arg(long, value_enum)]
    by: Option<ByArg>,
    /// Also count the tickets opened and resolved on each day (in your time zone); a ticket
    /// resolved in the period counts on its day whenever it was opened.
    #[arg(long)]
    daily: bool,
}

fn hours(s: &Stat) -> String {
    match (s.mean_hours, s.median_hours) {
        (Some(mean), Some(median)) => format!("median {median:.1} h, mean {mean:.1} h ({} tickets)", s.count),
        _ => "-".into(),
    }
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "-".into(), |p| format!("{p:.1} %"))
}

fn block(out: &mut String, k: &Kpis, indent: &str) {
    let kinds: Vec<String> = k.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        out,
        "{indent}tickets            {} ({}), {} open",
        k.tickets,
        kinds.join(", "),
        k.open
    );
    let _ = writeln!(out, "{indent}MTTA               {}", hours(&k.mtta));
    let _ = writeln!(out, "{indent}MTTR               {}", hours(&k.mttr));
    let _ = writeln!(out, "{indent}time to close      {}", hours(&k.time_to_close));
    let _ = writeln!(out, "{indent}resolved to closed {}", hours(&k.resolved_to_closed));
    let _ = writeln!(out, "{indent}SLA own met        {}", pct(k.sla_own_met));
    let _ = writeln!(out, "{indent}SLA resolve met    {}", pct(k.sla_resolve_met));
    let _ = writeln!(out, "{indent}reopen rate        {}", pct(k.reopen_rate));
    let _ = writeln!(out, "{indent}first-time fix     {}", pct(k.first_time_fix_rate));
    let _ = writeln!(
        out,
        "{indent}change success     {}  (emergency share {})",
        pct(k.change_success_rate),
        pct(k.emergency_change_share)
    );
    if !k.backlog.is_empty() {
        let rows: Vec<String> = k
            .backlog
            .iter()
            .map(|(age, by)| {
                let p: Vec<String> = by.iter().map(|(p, n)| format!("{p} {n}")).collect();
                format!("{age}: {}", p.join(" "))
            })
            .collect();
        let _ = writeln!(out, "{indent}backlog            {}", rows.join(" · "));
    }
    if !k.top_cis.is_empty() {
        let top: Vec<String> = k
            .top_cis
            .iter()
            .take(5)
            .map(|(c, n)| format!("{} ({n})", crate::text::inert(c, false)))
            .collect();
        let _ = writeln!(out, "{indent}top CIs            {}", top.join(", "));
    }
}

pub fn run(desk: &mut Desk, a: &ReportArgs, json: bool) -> Result<Output, Failure> {
    let since = a.since.as_deref().map(|s| super::parse_day(s, "since")).transpose()?;
    let now = chrono::Utc::now();
    let until = a
        .until
        .as_deref()
        .map(|s| super::parse_day(s, "until"))
        .transpose()?
        .unwrap_or(now);
    if since.is_some_and(|s| until <= s) {
        return Err(Failure::new("--until must be after --since"));
    }
    let by = a.by.map(|b| match b {
        ByArg::Team => GroupBy::Team,
        ByArg::Assignee => GroupBy::Assignee,
        ByArg::Category => GroupBy::Category,
        ByArg::Priority => GroupBy::Priority,
        ByArg::Ci => GroupBy::Ci,
        ByArg::Kind => GroupBy::Kind,
    });
    let zone = a.daily.then(|| chrono::Local::now().offset().fix());
    let r = desk.report(since, until, by, zone, now)?;
    if json {
        return Output::json(&r);
    }
    let mut out = String::new();
    block(&mut out, &r.all, "");
    for (name, k) in r.groups.iter().flatten() {
        let _ = writeln!(out, "\n{}", crate::text::inert(name, false));
        block(&mut out, k, "  ");
    }
    if let Some(days) = &r.daily {
        let _ = writeln!(out, "\nday          opened  resolved");
        for d in days {
            let _ = writeln!(out, "{}  {:>7}  {:>8}", d.day, d.opened, d.resolved);
        }
    }
    Ok(Output(out))
}
