//! Moving a desk: a whole copy into an empty destination on either engine, checked by
//! walking both chains.

use serde::Serialize;

use super::{Desk, DeskError, Result};
use crate::store::{self, Place, Sharing, Store, chain, desk_log};

/// What a copy wrote, and the chains it checked on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Copied {
    pub to: String,
    /// Rows per table, in copy order.
    pub tables: Vec<(String, u64)>,
    /// Events of the timeline, and its head (`#id hash`), the same in both desks.
    pub events: u64,
    pub head: Option<String>,
    /// Entries of the desk's trail, and its head, the same in both desks.
    pub trail: u64,
    pub trail_head: Option<String>,
}

/// The timeline's and the trail's length and head as `audit verify` shows them, `#id hash`.
type Chains = (u64, Option<String>, u64, Option<String>);

fn head(id: i64, hash: &[u8]) -> String {
    format!("#{id} {}", chain::hex(hash))
}

/// Both chains walked, every hash computed again; a head only where a chain holds whole.
fn walked(tx: &store::Tx) -> Result<Chains> {
    let v = chain::verify(tx, None)?;
    let d = desk_log::verify(tx, None)?;
    let h = |x: Option<(i64, [u8; 32])>| x.map(|(id, hash)| head(id, &hash));
    Ok((v.events, h(v.head), d.events, h(d.head)))
}

/// Both chains' length and newest entry as stored: what a walk of them ends on when whole.
fn stored(tx: &store::Tx) -> Result<Chains> {
    let [(events, last), (trail, trail_last)] = store::copy::stored_heads(tx)?;
    let h = |x: Option<(i64, Vec<u8>)>| x.map(|(id, hash)| head(id, &hash));
    Ok((events, h(last), trail, h(trail_last)))
}

impl Desk {
    /// Copies this whole desk to `to`: a new desk file, or an empty database on a server.
    /// Anything already at `to` is refused, untouched; a copy cut short leaves no desk file
    /// (on a server, an empty desk a second copy may fill). `progress` hears rows copied and
    /// rows in all. Both desks' chains are walked after: the copy is refused unless they agree.
    pub fn copy_to(&mut self, to: impl Into<Place>, progress: &mut dyn FnMut(u64, u64)) -> Result<Copied> {
        let to = to.into();
        let shown = to.shown();
        if &to == self.store.place() {
            return Err(DeskError::Invalid(format!(
                "{shown} is this desk: copy it somewhere else"
            )));
        }
        if let Some(file) = to.file()
            && (file.exists() || file.is_symlink())
        {
            return Err(DeskError::Invalid(format!(
                "{} exists: a copy goes into a new file (or an empty database); it was left untouched",
                crate::text::inert(&file.display().to_string(), false)
            )));
        }
        let (mut dest, fresh) = Store::create(to, Sharing::Private)?;
        if !fresh && !dest.read(store::copy::is_empty)? {
            return Err(DeskError::Invalid(format!(
                "{shown} holds a desk already: a copy goes into an empty database only; it was left untouched"
            )));
        }
        let copied = self.copy_into(&mut dest, progress);
        match copied {
            Ok(c) => Ok(c),
            Err(e) => {
                dest.discard();
                Err(e)
            }
        }
    }

    fn copy_into(&mut self, dest: &mut Store, progress: &mut dyn FnMut(u64, u64)) -> Result<Copied> {
        let is_file = dest.place().file().is_some();
        let indexes = if is_file {
            dest.begin_bulk_load()?;
            dest.drop_ticket_indexes()?
        } else {
            Vec::new()
        };
        let (tables, ours) = self.store.read(|from| -> Result<_> {
            let ours = stored(from)?;
            let tables = dest.write(|to| -> Result<_> {
                let tables = store::copy::copy(from, to, progress)?;
                // The copy's chains, walked in full before it commits, must end where this
                // desk's stored ones do: then `audit verify` says the same of both.
                let theirs = walked(to)?;
                if theirs != ours {
                    return Err(DeskError::Invalid(format!(
                        "the copy's chains do not hold as this desk's stored ones end (timeline {} events, head {}; \
                         the copy walked {} events, head {}): nothing was kept; `opsdesk audit verify` here says \
                         whether this desk's own chain is broken",
                        ours.0,
                        ours.1.as_deref().unwrap_or("none"),
                        theirs.0,
                        theirs.1.as_deref().unwrap_or("none")
                    )));
                }
                Ok(tables)
            })?;
            Ok((tables, ours))
        })?;
        if is_file {
            dest.create_indexes(&indexes)?;
            dest.end_bulk_load()?;
        }
        Ok(Copied {
            to: dest.place().shown(),
            tables: tables.into_iter().map(|(t, n)| (t.to_string(), n)).collect(),
            events: ours.0,
            head: ours.1,
            trail: ours.2,
            trail_head: ours.3,
        })
    }
}
