//! A ticket borrowed from where it was read: the text of a stored row, without a copy.
//! Long listings are written from it straight to JSON; it serialises byte for byte as the
//! [`Ticket`] it stands for (a test holds the two together).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::SerializeMap;

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

/// A [`Ticket`] whose text is borrowed. Fields are named and ordered as `Ticket`'s, so both
/// serialise the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

impl Serialize for Optional<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let present = self.0.iter().filter(|v| v.is_some()).count();
        let mut map = s.serialize_map(Some(present))?;
        for i in BY_NAME {
            if let Some(v) = self.0[i] {
                map.serialize_entry(OPTIONAL[i], v)?;
            }
        }
        map.end()
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
        fn a_borrowed_ticket_serialises_as_the_ticket_it_stands_for(
            state in text(), title in text(), description in text(), requester in text(),
            assignee in proptest::option::of(text()),
            fields in proptest::collection::vec(proptest::option::of(text()), 17),
            number in 0u64..1_000_000, kind in 0usize..4, levels in (1u8..4, 1u8..4, 1u8..6),
            created in 0i64..4_000_000_000_000, updated in 0i64..4_000_000_000_000, version in any::<i64>(),
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
                created_at: at(created),
                updated_at: at(updated),
                version,
            };
            let owned = borrowed.to_ticket();
            prop_assert_eq!(
                serde_json::to_string_pretty(&[borrowed]).ok(),
                serde_json::to_string_pretty(&[owned]).ok()
            );
        }
    }
}
