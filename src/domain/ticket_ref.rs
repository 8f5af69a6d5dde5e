//! A ticket borrowed from where it was read: the text of a stored row, without a copy.
//! Long listings are written from it straight to JSON; it serialises byte for byte as the
//! [`Ticket`] it stands for (a test holds the two together).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::ticket::{FIELDS, Kind, Ticket, TicketId};

/// The optional fields a ticket may carry, in [`FIELDS`] order (the fields after `assignee`).
pub const OPTIONAL: [&str; 17] = [
    "team",
    "category",
    "pending_reason",
    "resolution_code",
    "resolution_note",
    "root_cause",
    "workaround",
    "change_type",
    "risk",
    "implementation_plan",
    "backout_plan",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "close_code",
    "review_note",
];

/// [`OPTIONAL`]'s places in the order of their names: the order a [`Ticket`]'s map of fields
/// serialises in.
const BY_NAME: [usize; 17] = [14, 13, 10, 1, 7, 15, 9, 2, 12, 11, 3, 4, 16, 8, 5, 0, 6];

/// A [`Ticket`] whose text is borrowed, written as JSON exactly as `Ticket` serialises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketRef<'a> {
    pub id: TicketId,
    pub kind: Kind,
    pub state: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub impact: u8,
    pub urgency: u8,
    pub priority: u8,
    pub requester: &'a str,
    pub assignee: Option<&'a str>,
    pub fields: Optional<'a>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The values of [`OPTIONAL`], in its order; `None` where a ticket has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Optional<'a>(pub [Option<&'a str>; 17]);

impl TicketRef<'_> {
    /// Writes the ticket as an element of a pretty JSON list (serde_json's pretty printer:
    /// two spaces an indent, the element one indent in): byte for byte what serialising the
    /// [`Ticket`] in such a list writes (a test holds them together). Strings go through
    /// serde_json's own escaping; the rest is written straight, since a long listing writes
    /// one per ticket.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut number = itoa::Buffer::new();
        out.extend_from_slice(b"{\n    \"id\": \"");
        out.extend_from_slice(self.id.kind.prefix().as_bytes());
        out.push(b'-');
        out.extend_from_slice(number.format(self.id.number).as_bytes());
        out.extend_from_slice(b"\",\n    \"kind\": \"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.extend_from_slice(b"\",\n    \"state\": ");
        string(out, self.state);
        out.extend_from_slice(b",\n    \"title\": ");
        string(out, self.title);
        out.extend_from_slice(b",\n    \"description\": ");
        string(out, self.description);
        let levels: [(&[u8], u8); 3] = [
            (b",\n    \"impact\": ", self.impact),
            (b",\n    \"urgency\": ", self.urgency),
            (b",\n    \"priority\": ", self.priority),
        ];
        for (name, level) in levels {
            out.extend_from_slice(name);
            out.extend_from_slice(number.format(level).as_bytes());
        }
        out.extend_from_slice(b",\n    \"requester\": ");
        string(out, self.requester);
        out.extend_from_slice(b",\n    \"assignee\": ");
        match self.assignee {
            Some(who) => string(out, who),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\n    \"fields\": {");
        let mut any = false;
        for i in BY_NAME {
            if let Some(value) = self.fields.0[i] {
                out.extend_from_slice(if any { b",\n      \"" } else { b"\n      \"" });
                out.extend_from_slice(OPTIONAL[i].as_bytes());
                out.extend_from_slice(b"\": ");
                string(out, value);
                any = true;
            }
        }
        out.extend_from_slice(if any { b"\n    }" } else { b"}" });
        out.extend_from_slice(b",\n    \"created_at\": ");
        time(out, self.created_at);
        out.extend_from_slice(b",\n    \"updated_at\": ");
        time(out, self.updated_at);
        out.extend_from_slice(b",\n    \"version\": ");
        out.extend_from_slice(number.format(self.version).as_bytes());
        out.extend_from_slice(b"\n  }");
    }
}

/// A JSON string, escaped by serde_json (writing to memory cannot fail).
fn string(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(out, s);
}

/// A time as chrono serialises it (RFC 3339 in UTC, `Z`, seconds, and a fraction only as
/// long as it needs), written without the formatting machinery for the times of this
/// millennium to the millisecond (what the desk stores); any other time as chrono does.
fn time(out: &mut Vec<u8>, at: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    // Once, not in each accessor (a `DateTime`'s adds its offset every time).
    let at = at.naive_utc();
    let nanos = at.nanosecond();
    let year = u32::try_from(at.year()).unwrap_or(u32::MAX);
    if year > 9999 || !nanos.is_multiple_of(1_000_000) || nanos >= 1_000_000_000 {
        let _ = serde_json::to_writer(out, &at.and_utc());
        return;
    }
    let mut text = *b"\"0000-00-00T00:00:00.000Z\"";
    let parts = [
        (1..5, year),
        (6..8, at.month()),
        (9..11, at.day()),
        (12..14, at.hour()),
        (15..17, at.minute()),
        (18..20, at.second()),
        (21..24, nanos / 1_000_000),
    ];
    for (place, mut value) in parts {
        for digit in text[place].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    if nanos == 0 {
        // No fraction: the `Z` right after the seconds.
        out.extend_from_slice(&text[..20]);
        out.extend_from_slice(b"Z\"");
    } else {
        out.extend_from_slice(&text);
    }
}

impl TicketRef<'_> {
    /// The ticket as its own: what the store hands out when it is kept.
    pub fn to_ticket(&self) -> Ticket {
        let fields: BTreeMap<String, String> = OPTIONAL
            .iter()
            .zip(self.fields.0)
            .filter_map(|(name, v)| Some(((*name).to_string(), v?.to_string())))
            .collect();
        Ticket {
            id: self.id,
            kind: self.kind,
            state: self.state.to_string(),
            title: self.title.to_string(),
            description: self.description.to_string(),
            impact: self.impact,
            urgency: self.urgency,
            priority: self.priority,
            requester: self.requester.to_string(),
            assignee: self.assignee.map(str::to_string),
            fields,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// Whether [`OPTIONAL`] is every field of [`FIELDS`] after the seven each ticket has.
pub fn optional_are_the_fields() -> bool {
    FIELDS.len() == 7 + OPTIONAL.len() && FIELDS[7..].iter().zip(OPTIONAL).all(|(f, name)| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_optional_fields_are_the_models_and_by_name_sorts_them() {
        assert!(optional_are_the_fields());
        let sorted: Vec<&str> = BY_NAME.iter().map(|&i| OPTIONAL[i]).collect();
        let mut expected = OPTIONAL.to_vec();
        expected.sort_unstable();
        assert_eq!(sorted, expected);
    }

    fn text() -> impl Strategy<Value = String> {
        // Any characters, the controls and quotes serde must escape among them.
        proptest::collection::vec(
            prop_oneof![any::<char>(), Just('"'), Just('\\'), Just('\n'), Just('\u{1b}')],
            0..12,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_borrowed_ticket_is_written_as_the_ticket_it_stands_for_serialises(
            state in text(), title in text(), description in text(), requester in text(),
            assignee in proptest::option::of(text()),
            // As often none at all as some.
            fields in proptest::collection::vec(proptest::option::weighted(0.15, text()), 17),
            number in any::<u64>(), kind in 0usize..4, levels in (1u8..4, 1u8..4, 1u8..6),
            // Years from before 0 to past 9999, on whole seconds as often as not.
            created in -70_000_000_000_000i64..300_000_000_000_000, updated in 0i64..4_000_000_000_000,
            whole in any::<bool>(), version in any::<i64>(),
        ) {
            let kind = Kind::ALL[kind];
            let mut optional = Optional::default();
            for (slot, v) in optional.0.iter_mut().zip(&fields) {
                *slot = v.as_deref();
            }
            let at = |ms| DateTime::from_timestamp_millis(ms).unwrap_or_default();
            let borrowed = TicketRef {
                id: TicketId::new(kind, number),
                kind,
                state: &state,
                title: &title,
                description: &description,
                impact: levels.0,
                urgency: levels.1,
                priority: levels.2,
                requester: &requester,
                assignee: assignee.as_deref(),
                fields: optional,
                created_at: at(if whole { created - created.rem_euclid(1000) } else { created }),
                updated_at: at(updated),
                version,
            };
            // A list of one, pretty: "[\n  " + the element + "\n]".
            let list = serde_json::to_string_pretty(&[borrowed.to_ticket()]).unwrap_or_default();
            let mut written = Vec::new();
            borrowed.write_json(&mut written);
            prop_assert_eq!(String::from_utf8_lossy(&written), &list[4..list.len() - 2]);
        }
    }
}
