//! Reading a time cell: the mapping's formats, the offset in the cell, else the mapping's zone.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::Mapping;

/// Parses the mapping's strftime formats once; a format that cannot read back what it writes
/// reads nothing and is refused.
pub(super) fn parse_formats(formats: &[String]) -> Result<Vec<Vec<chrono::format::Item<'static>>>, String> {
    let mut items = Vec::new();
    for f in formats {
        let probe = Utc.with_ymd_and_hms(2016, 2, 29, 13, 45, 0).single();
        let parsed = chrono::format::StrftimeItems::new(f)
            .parse_to_owned()
            .ok()
            .filter(|it| {
                probe.is_some_and(|t| {
                    let mut s = String::new();
                    use std::fmt::Write;
                    write!(s, "{}", t.format_with_items(it.iter())).is_ok() && read_time(it, &s).is_some()
                })
            });
        match parsed {
            Some(it) => items.push(it),
            None => {
                return Err(format!(
                    "time.formats: `{f}` does not read a date and time (see chrono's strftime, e.g. %d/%m/%Y %H:%M)"
                ));
            }
        }
    }
    Ok(items)
}

impl Mapping {
    /// A time cell read with the mapping's formats and zone (RFC 3339 always works), as a
    /// time in UTC. An offset in the cell (a format with `%z` or `%:z`, or RFC 3339) is the
    /// cell's own and wins over the mapping's zone. In the zone, a local time the clocks
    /// skipped (a spring-forward gap) is refused; one they passed twice (an autumn fold) is
    /// read as the first of the two, the way most exporters write local times.
    pub fn time(&self, cell: &str) -> Result<DateTime<Utc>, TimeError> {
        let cell = cell.trim();
        let Some(read) = self.items.iter().find_map(|items| read_time(items, cell)) else {
            return DateTime::parse_from_rfc3339(cell)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| TimeError::NotATime);
        };
        match read {
            Read::Exact(t) => Ok(t),
            Read::Local(naive) => match self.zone.from_local_datetime(&naive) {
                chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                chrono::LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
                chrono::LocalResult::None => Err(TimeError::Skipped(self.zone.name().to_string())),
            },
        }
    }
}

/// Why a cell is not a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    NotATime,
    /// A local time the zone's clocks skipped (they moved forward over it).
    Skipped(String),
}

/// What a format read from a cell: a time with its own offset, or a local one.
enum Read {
    Exact(DateTime<Utc>),
    Local(NaiveDateTime),
}

/// A date and time (or a date, at midnight) read with parsed strftime items; with the
/// offset the cell gives, when the format reads one.
fn read_time(items: &[chrono::format::Item<'static>], s: &str) -> Option<Read> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
    if parsed.offset().is_some() {
        return parsed.to_datetime().ok().map(|t| Read::Exact(t.with_timezone(&Utc)));
    }
    parsed
        .to_naive_datetime_with_offset(0)
        .ok()
        .or_else(|| parsed.to_naive_date().ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .map(Read::Local)
}
