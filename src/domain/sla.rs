//! SLA policies and the clocks they set on tickets.
//!
//! A policy gives each (kind, priority) a time to own (creation → first assignment) and a
//! time to resolve (creation → resolved), counted on a named calendar: `24x7` or business
//! hours per weekday in a time zone with holidays. A clock runs while the ticket is in an
//! open state its lifecycle does not mark `paused`, and is worked out from the ticket's whole
//! state history with its current priority, so a change of priority recomputes it from
//! creation. A clock is at risk once 75 % of its target is spent and breached at 100 %.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::calendar::BusinessCalendar;
use super::lifecycle::Lifecycle;
use super::ticket::Kind;

/// When a calendar counts working time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hours {
    /// Around the clock (`24x7`).
    Always,
    Business(BusinessCalendar),
}

impl Hours {
    /// The moment `work` of working time has been spent, counting from `from`.
    pub fn add(&self, from: DateTime<Utc>, work: Duration) -> DateTime<Utc> {
        match self {
            Hours::Always => from + work.max(Duration::zero()),
            Hours::Business(c) => c.add(from, work),
        }
    }

    /// Working time between two instants.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match self {
            Hours::Always => (to - from).max(Duration::zero()),
            Hours::Business(c) => c.between(from, to),
        }
    }

    /// What a "business day" (`bd`) is on this calendar: the longest opening of a weekday
    /// (8 hours for 09:00–17:00), or 24 hours around the clock.
    pub fn business_day(&self) -> Duration {
        match self {
            Hours::Always => Duration::hours(24),
            Hours::Business(c) => c
                .hours()
                .iter()
                .flatten()
                .map(|(open, close)| *close - *open)
                .max()
                .filter(|d| *d > Duration::zero())
                .unwrap_or(Duration::hours(8)),
        }
    }
}

/// How long a (kind, priority) may take, on which calendar. `None`: no clock of that sort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub own: Option<Duration>,
    pub resolve: Option<Duration>,
    pub calendar: String,
}

/// The calendar every desk has besides `24x7`, unless its config defines one by this name.
pub const BUSINESS: &str = "business";
pub const ALWAYS: &str = "24x7";

/// A desk's SLA policy: its calendars and its targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub calendars: BTreeMap<String, Hours>,
    pub targets: BTreeMap<(Kind, u8), Target>,
}

impl Default for Policy {
    /// The defaults of ITIL.md, for incidents and requests: P1 15 min / 4 h and P2 30 min /
    /// 8 h around the clock; P3 2 h / 3, P4 8 h / 5 and P5 1 / 20 business days on Monday to
    /// Friday 09:00–17:00 UTC.
    fn default() -> Policy {
        let t = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        Policy::defaults_on(Hours::Business(BusinessCalendar::weekdays(t(9), t(17), chrono_tz::UTC)))
    }
}

impl Policy {
    /// The default targets with `business` as the business-hours calendar (its business day
    /// is what "3 business days" counts).
    pub fn defaults_on(business: Hours) -> Policy {
        let day = business.business_day();
        let mut calendars = BTreeMap::new();
        calendars.insert(ALWAYS.to_string(), Hours::Always);
        calendars.insert(BUSINESS.to_string(), business);
        let target = |own: Duration, resolve: Duration, calendar: &str| Target {
            own: Some(own),
            resolve: Some(resolve),
            calendar: calendar.to_string(),
        };
        let mut targets = BTreeMap::new();
        for kind in [Kind::Incident, Kind::Request] {
            let rows = [
                target(Duration::minutes(15), Duration::hours(4), ALWAYS),
                target(Duration::minutes(30), Duration::hours(8), ALWAYS),
                target(Duration::hours(2), day * 3, BUSINESS),
                target(Duration::hours(8), day * 5, BUSINESS),
                target(day, day * 20, BUSINESS),
            ];
            for (p, row) in (1u8..).zip(rows) {
                targets.insert((kind, p), row);
            }
        }
        Policy { calendars, targets }
    }
}

/// Where a clock is at the end of a ticket's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Running,
    Paused,
    Stopped,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Running => "running",
            Phase::Paused => "paused",
            Phase::Stopped => "stopped",
        }
    }
    pub fn parse(s: &str) -> Option<Phase> {
        match s {
            "running" => Some(Phase::Running),
            "paused" => Some(Phase::Paused),
            "stopped" => Some(Phase::Stopped),
            _ => None,
        }
    }
}

/// One SLA clock of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Clock {
    pub phase: Phase,
    /// When 75 % of the target was (or, running, will be) spent; `None` while not reached
    /// and not running.
    pub risk_at: Option<DateTime<Utc>>,
    /// When the whole target was (or, running, will be) spent.
    pub due_at: Option<DateTime<Utc>>,
    /// Target minus the working time spent up to the last change of state (negative once
    /// breached): what a paused clock has left.
    #[serde(rename = "left_seconds", serialize_with = "seconds")]
    pub left: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_seconds())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    OnTrack,
    /// 75 % of the target has passed.
    AtRisk,
    /// The target has passed.
    Breached,
}

impl Clock {
    /// Where the clock stands at `now`.
    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        if self.due_at.is_some_and(|d| d <= now) {
            Standing::Breached
        } else if self.risk_at.is_some_and(|r| r <= now) {
            Standing::AtRisk
        } else {
            Standing::OnTrack
        }
    }

    /// For a stopped clock: whether it stopped within its target.
    pub fn met(&self) -> Option<bool> {
        (self.phase == Phase::Stopped).then_some(self.due_at.is_none())
    }

    /// What is left at `now`: wall-clock time to the due time of a running clock, the
    /// working time left of a paused or stopped one.
    pub fn left_at(&self, now: DateTime<Utc>) -> Duration {
        match (self.phase, self.due_at) {
            (Phase::Running, Some(due)) => due - now,
            _ => self.left,
        }
    }
}

/// A ticket's two clocks; `None` where its policy sets no target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Clocks {
    pub own: Option<Clock>,
    pub resolve: Option<Clock>,
}

/// Which escalations have been recorded for a ticket, as bits.
pub const OWN_AT_RISK: i64 = 1;
pub const OWN_BREACHED: i64 = 2;
pub const RESOLVE_AT_RISK: i64 = 4;
pub const RESOLVE_BREACHED: i64 = 8;

/// An escalation: a running clock crossing a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    /// `tto` or `ttr`.
    pub clock: &'static str,
    pub standing: Standing,
    pub at: DateTime<Utc>,
    pub flag: i64,
}

impl Crossing {
    /// `at_risk` or `breached`.
    pub fn level(&self) -> &'static str {
        if self.standing == Standing::Breached {
            "breached"
        } else {
            "at_risk"
        }
    }
}

impl Clocks {
    /// The clock an operator watches: time to own until the ticket is owned, then time to
    /// resolve.
    pub fn watched(&self) -> Option<&Clock> {
        match &self.own {
            Some(own) if own.phase != Phase::Stopped => Some(own),
            _ => self.resolve.as_ref(),
        }
    }

    /// The thresholds of running clocks not yet recorded (per `flags`), earliest first.
    pub fn crossings(&self, flags: i64) -> Vec<Crossing> {
        let mut out = Vec::new();
        let clocks = [
            ("tto", &self.own, OWN_AT_RISK, OWN_BREACHED),
            ("ttr", &self.resolve, RESOLVE_AT_RISK, RESOLVE_BREACHED),
        ];
        for (name, clock, risk_flag, due_flag) in clocks {
            let Some(c) = clock.filter(|c| c.phase == Phase::Running) else {
                continue;
            };
            for (at, standing, flag) in [
                (c.risk_at, Standing::AtRisk, risk_flag),
                (c.due_at, Standing::Breached, due_flag),
            ] {
                if let Some(at) = at.filter(|_| flags & flag == 0) {
                    out.push(Crossing {
                        clock: name,
                        standing,
                        at,
                        flag,
                    });
                }
            }
        }
        out.sort_by_key(|c| c.at);
        out
    }

    /// When the next escalation falls due, if any.
    pub fn next_escalation(&self, flags: i64) -> Option<DateTime<Utc>> {
        self.crossings(flags).first().map(|c| c.at)
    }
}

/// A ticket as its clocks need it: the state it was created in, and each later change of
/// state with its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub kind: Kind,
    pub priority: u8,
    pub created: DateTime<Utc>,
    pub first_state: String,
    /// (time, state entered), in order.
    pub moves: Vec<(DateTime<Utc>, String)>,
    pub first_assigned: Option<DateTime<Utc>>,
}

impl History {
    /// The history of a ticket in `state` from its moves, each (time, from, to), in order;
    /// a ticket whose state no move explains (a lifecycle changed under it) is taken as
    /// having been in its state since creation.
    pub fn of_moves(
        kind: Kind,
        priority: u8,
        created: DateTime<Utc>,
        state: &str,
        moves: Vec<(DateTime<Utc>, String, String)>,
        first_assigned: Option<DateTime<Utc>>,
    ) -> History {
        let explained = moves.last().is_some_and(|(_, _, to)| to == state);
        let (first_state, moves) = match moves.first() {
            Some((_, from, _)) if explained => (from.clone(), moves.into_iter().map(|(at, _, to)| (at, to)).collect()),
            _ => (state.to_string(), Vec::new()),
        };
        History {
            kind,
            priority,
            created,
            first_state,
            moves,
            first_assigned,
        }
    }

    /// The spans of the history: (from, to or open-ended, state).
    fn spans(&self) -> impl Iterator<Item = (DateTime<Utc>, Option<DateTime<Utc>>, &str)> {
        let starts = std::iter::once((self.created, self.first_state.as_str()))
            .chain(self.moves.iter().map(|(at, s)| (*at, s.as_str())));
        let ends = self.moves.iter().map(|(at, _)| Some(*at)).chain(std::iter::once(None));
        starts.zip(ends).map(|((from, state), to)| (from, to, state))
    }
}

impl Policy {
    /// The target for a (kind, priority) and its calendar.
    pub fn target(&self, kind: Kind, priority: u8) -> Option<(&Target, &Hours)> {
        let t = self.targets.get(&(kind, priority))?;
        Some((t, self.calendars.get(&t.calendar)?))
    }

    /// A short text that changes whenever the policy does (to know when the clocks kept on
    /// a desk were worked out under another policy).
    pub fn fingerprint(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        format!("{self:?}").hash(&mut h);
        format!("{:016x}", h.finish())
    }

    /// The clocks of a ticket with this history, under this policy.
    pub fn clocks(&self, lifecycle: &Lifecycle, h: &History) -> Clocks {
        let Some((target, hours)) = self.target(h.kind, h.priority) else {
            return Clocks::default();
        };
        let running = |state: &str| lifecycle.is_open(state) && !lifecycle.paused_states.iter().any(|p| p == state);
        let resolve = target.resolve.map(|work| {
            let spans = h.spans().map(|(a, b, s)| (a, b, running(s)));
            let last = h.moves.last().map_or(h.first_state.as_str(), |(_, s)| s.as_str());
            let phase = if running(last) {
                Phase::Running
            } else if lifecycle.is_open(last) {
                Phase::Paused
            } else {
                Phase::Stopped
            };
            run(hours, work, spans, phase)
        });
        let own = target.own.map(|work| {
            let owned = h.first_assigned.map(|at| at.max(h.created));
            // Until the first assignment the clock runs as the resolve clock does; it stops
            // there, or when the ticket leaves the open states unowned.
            let mut stopped = owned.is_some();
            let mut phase = Phase::Stopped;
            let mut spans = Vec::new();
            for (a, b, s) in h.spans() {
                if owned.is_some_and(|o| a >= o) {
                    break;
                }
                let b = match (b, owned) {
                    (Some(b), Some(o)) => Some(b.min(o)),
                    (None, Some(o)) => Some(o),
                    (b, None) => b,
                };
                spans.push((a, b, running(s)));
                if b.is_none() {
                    phase = if running(s) {
                        Phase::Running
                    } else if lifecycle.is_open(s) {
                        Phase::Paused
                    } else {
                        stopped = true;
                        Phase::Stopped
                    };
                }
            }
            if stopped {
                phase = Phase::Stopped;
            }
            run(hours, work, spans.into_iter(), phase)
        });
        Clocks { own, resolve }
    }
}

/// Spends `work` over the running spans; the thresholds fall where the spent time reaches
/// them. An open-ended running span projects them into the future.
fn run(
    hours: &Hours,
    work: Duration,
    spans: impl Iterator<Item = (DateTime<Utc>, Option<DateTime<Utc>>, bool)>,
    phase: Phase,
) -> Clock {
    let risk_work = work * 3 / 4;
    let (mut spent, mut risk_at, mut due_at) = (Duration::zero(), None, None);
    for (from, to, running) in spans {
        if !running {
            continue;
        }
        let here = to.map(|to| hours.between(from, to));
        for (mark, at) in [(risk_work, &mut risk_at), (work, &mut due_at)] {
            if at.is_none() && here.is_none_or(|here| spent + here >= mark) {
                *at = Some(hours.add(from, mark - spent));
            }
        }
        if let Some(here) = here {
            spent += here;
        }
    }
    Clock {
        phase,
        risk_at,
        due_at,
        left: work - spent,
    }
}

/// Reads `15m`, `4h`, `1d` (24 hours), `3bd` (business days of `business_day`), or a sum such
/// as `1h30m`.
pub fn parse_span(text: &str, business_day: Duration) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a time span (examples: 15m, 4h, 1h30m, 3bd, 2d)");
    let mut total = Duration::zero();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: i32 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let one = match &rest[..unit] {
            "m" | "min" => Duration::minutes(1),
            "h" => Duration::hours(1),
            "d" => Duration::days(1),
            "bd" => business_day,
            _ => return Err(bad()),
        };
        total += one * n;
        rest = &rest[unit..];
    }
    if total <= Duration::zero() {
        return Err(format!("`{text}`: a target must be longer than zero"));
    }
    Ok(total)
}

/// Reads `09:00-17:00`.
pub fn parse_opening(text: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let bad = || format!("`{text}` is not an opening such as 09:00-17:00");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
    let (open, close) = (t(a)?, t(b)?);
    if open >= close {
        return Err(format!("`{text}`: opening must come before closing"));
    }
    Ok((open, close))
}

/// A business calendar from its parts as config gives them.
pub fn business_calendar(zone: &str, week: [Option<&str>; 7], holidays: &[String]) -> Result<BusinessCalendar, String> {
    let zone: chrono_tz::Tz = zone
        .parse()
        .map_err(|_| format!("`{zone}` is not a time zone name (such as Europe/Paris or UTC)"))?;
    let mut hours = [None; 7];
    for (slot, day) in hours.iter_mut().zip(week) {
        *slot = day.map(parse_opening).transpose()?;
    }
    let holidays = holidays
        .iter()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| format!("holiday `{d}` is not a date such as 2026-12-25"))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(BusinessCalendar::new(zone, hours, holidays))
}

/// `2h13m`, `3d4h`, `45m`; negative spans get a leading `-`.
pub fn countdown(span: Duration) -> String {
    let (sign, s) = if span < Duration::zero() {
        ("-", -span.num_seconds())
    } else {
        ("", span.num_seconds())
    };
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    if d >= 10 {
        format!("{sign}{d}d")
    } else if d > 0 {
        format!("{sign}{d}d{h}h")
    } else if h > 0 {
        format!("{sign}{h}h{m:02}m")
    } else {
        format!("{sign}{m}m")
    }
}

#[cfg(test)]
mod tests;
