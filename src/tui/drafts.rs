//! Drafts: what an operator typed in a form, kept on disk as they type, so that quitting,
//! a lost SSH session or a crash loses nothing. Opening the same form again (the same kind
//! of write on the same ticket of the same desk) offers it back. A draft is the operator's
//! own: a file readable by them alone, in their data folder, gone once the desk takes it.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::app::{App, Purpose};
use super::widgets::form::Form;

/// Drafts larger than this are not kept (a paste of a whole log stays in the form).
const MAX_DRAFT_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Drafts {
    dir: PathBuf,
    desk: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    desk: String,
    form: String,
    saved_at: chrono::DateTime<chrono::Utc>,
    fields: Vec<(String, String)>,
}

/// A draft offered back: the values typed and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub saved_at: chrono::DateTime<chrono::Utc>,
    pub fields: Vec<(String, String)>,
}

/// Which form a draft belongs to: the same write on the same ticket.
pub fn form_key(purpose: &Purpose) -> String {
    let ids = |ids: &mut dyn Iterator<Item = String>| ids.collect::<Vec<_>>().join(",");
    match purpose {
        Purpose::Transition { name, targets } => {
            format!("move {name} {}", ids(&mut targets.iter().map(|t| t.0.to_string())))
        }
        Purpose::Comment { targets, internal } => format!(
            "{} {}",
            if *internal { "note" } else { "comment" },
            ids(&mut targets.iter().map(ToString::to_string))
        ),
        Purpose::Assign { targets } => format!("assign {}", ids(&mut targets.iter().map(|t| t.0.to_string()))),
        Purpose::NewTicket => "new".to_string(),
        Purpose::Edit { id, .. } => format!("edit {id}"),
        Purpose::Link { id } => format!("link {id}"),
        Purpose::Reply { id } => format!("reply {id}"),
    }
}

impl Drafts {
    /// Drafts of the desk at `desk`, kept in `dir` (made 0700 when missing).
    pub fn new(dir: PathBuf, desk: &crate::store::Place) -> Drafts {
        let desk = match desk.file() {
            Some(file) => std::fs::canonicalize(file)
                .unwrap_or_else(|_| file.to_path_buf())
                .display()
                .to_string(),
            None => desk.shown(),
        };
        Drafts { dir, desk }
    }

    fn file(&self, form: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(self.desk.as_bytes());
        h.update([0]);
        h.update(form.as_bytes());
        let hex: String = h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.json"))
    }

    /// Keeps `fields` as the draft of `form` (written aside, then renamed over, so a crash
    /// mid-write leaves the previous draft).
    pub fn save(
        &self,
        form: &str,
        fields: &[(String, String)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let stored = Stored {
            desk: self.desk.clone(),
            form: form.to_string(),
            saved_at: now,
            fields: fields.to_vec(),
        };
        let json = serde_json::to_vec(&stored).map_err(std::io::Error::other)?;
        if json.len() > MAX_DRAFT_BYTES {
            return Ok(());
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let path = self.file(form);
        let aside = path.with_extension(format!("json.{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&aside)?;
        f.write_all(&json)?;
        drop(f);
        std::fs::rename(&aside, &path)
    }

    /// The draft of `form`, if one was kept for this desk.
    pub fn load(&self, form: &str) -> Option<Draft> {
        let bytes = std::fs::read(self.file(form)).ok()?;
        if bytes.len() > MAX_DRAFT_BYTES {
            return None;
        }
        let stored: Stored = serde_json::from_slice(&bytes).ok()?;
        (stored.desk == self.desk && stored.form == form).then_some(Draft {
            saved_at: stored.saved_at,
            fields: stored.fields,
        })
    }

    pub fn remove(&self, form: &str) {
        let _ = std::fs::remove_file(self.file(form));
    }
}

impl App {
    /// Keeps what is typed in `form` as its draft (or forgets the draft when nothing is).
    pub(super) fn keep_draft(&mut self, form: &Form<Purpose>) {
        let Some(drafts) = &self.drafts else { return };
        let key = form_key(&form.purpose);
        if !form.typed() {
            drafts.remove(&key);
            return;
        }
        if let Err(e) = drafts.save(&key, &form.values(), chrono::Utc::now()) {
            self.complain(format!("the draft could not be kept: {e}"));
        }
    }

    pub(super) fn forget_draft(&self, purpose: &Purpose) {
        if let Some(drafts) = &self.drafts {
            drafts.remove(&form_key(purpose));
        }
    }

    /// Opens `form`, with the draft kept for it filled in when there is one.
    pub(super) fn open_form(&mut self, mut form: Form<Purpose>) {
        if let Some(draft) = self.drafts.as_ref().and_then(|d| d.load(&form_key(&form.purpose))) {
            for (name, value) in &draft.fields {
                if let Some(f) = form.fields.iter_mut().find(|f| &f.name == name) {
                    f.set_value(value);
                }
            }
            let at = crate::present::short_time(draft.saved_at, self.now, self.zone);
            let discard = self.keymap.phrase(
                super::action::Layer::Form,
                &[(super::action::Action::Cancel, "discards it")],
            );
            form.notice = Some(format!("your draft of {at} is back; {discard}"));
        }
        self.mode = super::app::Mode::Form(Box::new(form));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_comes_back_for_the_same_form_of_the_same_desk_only() {
        let dir = tempfile::tempdir().expect("dir");
        let a = Drafts::new(dir.path().join("drafts"), &crate::store::Place::of("/desks/a.db"));
        let b = Drafts::new(dir.path().join("drafts"), &crate::store::Place::of("/desks/b.db"));
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let fields = vec![("text".to_string(), "half a sentence".to_string())];
        a.save("comment INC-1", &fields, now).expect("save");
        assert_eq!(a.load("comment INC-1").map(|d| d.fields), Some(fields));
        assert_eq!(a.load("comment INC-2"), None);
        assert_eq!(b.load("comment INC-1"), None, "another desk's draft is not offered");
        let mode = std::fs::metadata(a.file("comment INC-1")).expect("file");
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        a.remove("comment INC-1");
        assert_eq!(a.load("comment INC-1"), None);
    }
}
