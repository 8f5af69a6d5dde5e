//! The desk's files: creating one without following a link or changing a file that is not
//! a desk, removing one that could not be finished, and copying one so that a copy cut short
//! is never at the place asked for.

use std::fs::OpenOptions;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::{Result, Sharing, StoreError};

fn io(what: &'static str, path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// What is at `path`, looked at without following a symbolic link: refuses a link (where
/// `links` is false) and anything that is not a plain file. Returns whether one is there.
pub fn look(path: &Path, links: bool) -> Result<bool> {
    let not = |why: &str| StoreError::NotADesk {
        path: path.display().to_string(),
        why: why.to_string(),
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() && links => Ok(true),
        Ok(m) if m.file_type().is_symlink() => Err(not(
            "it is a symbolic link, and opsdesk changes no mode through one: give the desk's own path",
        )),
        Ok(m) if m.is_dir() => Err(not("it is a folder")),
        Ok(m) if !m.is_file() => Err(not("it is not a plain file")),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("look at", path, e)),
    }
}

/// Makes a new, empty desk file at `path` with the mode `sharing` asks for. Returns false
/// when a file is there already (which is left as it is).
pub fn create(path: &Path, sharing: Sharing) -> Result<bool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", path, e))?;
    }
    // A link to a desk is opened as that desk, but never made shared through.
    if look(path, sharing == Sharing::Private)? {
        return Ok(false);
    }
    // create_new (O_EXCL) never truncates or adopts a file someone else is creating at this
    // moment, nor follows a link put there meanwhile.
    let file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(sharing.mode())
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            look(path, sharing == Sharing::Private)?;
            return Ok(false);
        }
        Err(e) => return Err(io("create", path, e)),
    };
    // The umask may have narrowed the mode; say exactly what we mean.
    file.set_permissions(std::fs::Permissions::from_mode(sharing.mode()))
        .map_err(|e| io("set permissions on", path, e))?;
    Ok(true)
}

/// Gives a desk file (already found to be a desk) the mode `sharing` asks for, through the
/// file itself, opened without following a link.
pub fn set_mode(path: &Path, sharing: Sharing) -> Result<()> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| io("open", path, e))?;
    file.set_permissions(std::fs::Permissions::from_mode(sharing.mode()))
        .map_err(|e| io("set permissions on", path, e))
}

/// The file and the journal files SQLite keeps beside it.
fn with_journals(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    ["", "-wal", "-shm", "-journal"].into_iter().map(move |suffix| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    })
}

/// Removes a desk that could not be finished (a full disk), so nothing half made is left.
pub fn remove(path: &Path) {
    for p in with_journals(path) {
        let _ = std::fs::remove_file(p);
    }
}

/// Copies the desk `from` is connected to into a new file at `to`, through SQLite's online
/// backup API, a few hundred pages at a time, so other operators keep working meanwhile.
/// The copy is written beside `to` under a name of its own and put at `to` only once whole
/// (a hard link: it never replaces a file that appeared at `to` meanwhile), so a backup cut
/// short leaves nothing at `to`, and running it again works. The copy is private (0600).
pub fn backup(from: &Connection, to: &Path) -> Result<()> {
    if look(to, true)? {
        return Err(io(
            "create the backup",
            to,
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "File exists"),
        ));
    }
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let partial = to.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    remove(&partial);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| io("create the backup", to, e))?;
    let copy = || -> Result<()> {
        let mut dst = Connection::open(&partial)?;
        {
            let backup = rusqlite::backup::Backup::new(from, &mut dst)?;
            backup.run_to_completion(256, Duration::from_millis(1), None)?;
        }
        // A backup is a desk of its own: same schema, and the journal mode desks use.
        dst.pragma_update(None, "journal_mode", "WAL")?;
        dst.close().map_err(|(_, e)| e)?;
        std::fs::hard_link(&partial, to).map_err(|e| io("create the backup", to, e))?;
        Ok(())
    };
    let done = copy();
    // Whole or not, the partial copy goes; only a whole one is at `to`.
    remove(&partial);
    done
}
