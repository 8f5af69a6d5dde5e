//! Making a desk: `opsdesk init` and `opsdesk demo`.

use super::*;

pub(super) fn init(cli: &Cli, paths: &Paths, config: Config, shared: bool) -> Result<Output, Failure> {
    let id = identity(cli, &config);
    let path = cli.db.clone().unwrap_or_else(|| paths.default_desk());
    let on_server = crate::store::Place::from(&path).file().is_none();
    if shared && on_server {
        return Err(Failure::new(
            "--shared is for a desk file: on a server, the database's roles say who may use the desk",
        ));
    }
    let sharing = if shared { Sharing::Group } else { Sharing::Private };
    let (desk, fresh) = Desk::create_as(&path, &id, config, sharing)?;
    let admins = match &desk.who().via {
        Some(account) => format!("{account} and {} are its admins", desk.user()),
        None => format!("{} is its admin", desk.user()),
    };
    let mode = if on_server {
        "on a PostgreSQL server"
    } else if shared {
        "0660, shared with its group"
    } else {
        "0600, yours alone"
    };
    Ok(Output(if fresh {
        format!(
            "created desk {} ({mode}); {admins}\nnext: opsdesk new incident --title '...'\n",
            desk.place().shown(),
        )
    } else if shared {
        format!("{} is a desk already; it is now {mode}\n", desk.place().shown())
    } else {
        format!("{} is a desk already; nothing changed\n", desk.place().shown())
    }))
}

/// Seeds a demo desk and opens it. Without --db the desk is a temporary file, removed when
/// the desk closes; in a pipe (no terminal) it is kept and its path printed.
pub(super) fn demo(cli: &Cli, config: Config) -> Result<Output, Failure> {
    let (path, keep) = match &cli.db {
        Some(p) => (p.clone(), true),
        None => (
            std::env::temp_dir().join(format!(
                "opsdesk-demo-{}-{}.db",
                std::process::id(),
                chrono::Utc::now().timestamp()
            )),
            false,
        ),
    };
    crate::seed::seed(&path, &crate::seed::SeedOptions::demo(chrono::Utc::now()))
        .map_err(|e| Failure::new(format!("cannot make the demo desk: {e}")))?;
    let user = cli.user.clone().unwrap_or_else(|| "alice".to_string());
    let interactive =
        std::io::IsTerminal::is_terminal(&std::io::stdout()) && std::io::IsTerminal::is_terminal(&std::io::stdin());
    if !interactive {
        return Ok(Output(format!(
            "demo desk at {}\nopen it with: opsdesk --db {} --user {user}\n",
            path.display(),
            path.display()
        )));
    }
    let result = Desk::open(&path, &user, config)
        .map_err(Failure::from)
        .and_then(|desk| crate::tui::run(desk).map_err(Failure::new));
    if !keep {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    result.map(|()| Output(String::new()))
}
