//! The TUI on a desk on a PostgreSQL server, in a real terminal: another host's commit shows
//! up as it is heard; a lost server is said in the header, a form being filled in stays as
//! it is, and once the server is back the desk is read again.

mod common;

use std::path::PathBuf;

use common::tmux::{Tmux, opsdesk};

#[test]
fn the_terminal_desk_on_a_server_hears_other_hosts_and_rides_out_a_lost_server() {
    let Some((server, url, db, dir)) = desk_on_server() else {
        return;
    };
    let db_name = url.rsplit('/').next().expect("db").to_string();
    let tmux = Tmux::start_desk(
        "server",
        &url,
        dir.path(),
        "OPSDESK_USER=alice TERM=xterm-256color",
        (100, 30),
    );
    tmux.wait_for("INC-1");

    // Another host opens a ticket: it shows up.
    opsdesk(&db, &["new", "incident", "--title", "Printer on fire"]);
    tmux.wait_for("Printer on fire");

    // A comment half typed when the server goes away.
    tmux.send(&["c"]);
    tmux.wait_for("comment on");
    tmux.type_text("still typing this");
    tmux.wait_for("still typing this");
    server.sql(
        "postgres",
        &format!(
            "ALTER DATABASE {db_name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}'"
        ),
    );
    let screen = tmux.wait_for("cannot be reached");
    assert!(screen.contains("still typing this"), "the form is kept:\n{screen}");

    // The server is back: the header says so, the form is still there, and what others
    // commit shows up again.
    server.sql("postgres", &format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS true"));
    wait_until_reached(&tmux);
    assert!(tmux.screen().contains("still typing this"), "{}", tmux.screen());
    tmux.send(&["C-s"]);
    tmux.wait_for("comment added");
    tmux.send(&["Escape"]);
    opsdesk(&db, &["new", "incident", "--title", "Badge readers offline"]);
    tmux.wait_for("Badge readers offline");
    let shown = opsdesk(&db, &["show", "INC-1"]);
    assert!(shown.contains("still typing this"), "{shown}");
}

/// What others commit while the desk cannot reach its server (its listener gone, so their
/// notices never come) is on screen once it is back: the desk is read again whole. The desk
/// runs as an operator of its own, shut out by the server while the superuser commits.
#[test]
fn the_terminal_desk_on_a_server_catches_up_on_what_was_committed_while_it_was_away() {
    let Some((server, url, db, dir)) = desk_on_server() else {
        return;
    };
    // Roles are the cluster's: one of this run's own, so no other test's desk is shut out.
    let name = format!("erin{}", std::process::id());
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret-pass\n").expect("password file");
    let pw = pw.display().to_string();
    opsdesk(
        &db,
        &["operator", "add", &name, "--role", "agent", "--password-file", &pw],
    );
    let login = server.login_url(&name, "s3cret-pass", &url);
    let tmux = Tmux::start_desk("away", &login, dir.path(), "TERM=xterm-256color", (100, 30));
    tmux.wait_for("Mail down");

    server.sql(
        "postgres",
        &format!(
            "ALTER ROLE {name} NOLOGIN; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'"
        ),
    );
    tmux.wait_for("cannot be reached");
    opsdesk(&db, &["new", "incident", "--title", "Opened while away"]);
    let screen = tmux.screen();
    assert!(!screen.contains("Opened while away"), "seen while away:\n{screen}");

    // Back: the ticket shows (read on the desk's connection, made again), and the header
    // says the server is reached once the listener is back too (its pauses grow to 5 s).
    server.sql("postgres", &format!("ALTER ROLE {name} LOGIN"));
    tmux.wait_for("Opened while away");
    wait_until_reached(&tmux);
}

/// A new desk on the test server holding INC-1 "Mail down": the server, the desk's URL (and
/// as a path, as `--db` takes it), a folder for the desk's config and data. None, said,
/// without a server.
fn desk_on_server() -> Option<(&'static common::pg::Server, String, PathBuf, tempfile::TempDir)> {
    let server = common::pg::server().map_err(|why| eprintln!("{why}")).ok()?;
    let url = server.fresh_db();
    let db = PathBuf::from(&url);
    opsdesk(&db, &["init"]);
    opsdesk(&db, &["new", "incident", "--title", "Mail down"]);
    Some((server, url, db, tempfile::tempdir().expect("dir")))
}

/// Waits (15 s at most) until the header no longer says the server cannot be reached.
fn wait_until_reached(tmux: &Tmux) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while tmux.screen().contains("cannot be reached") {
        assert!(
            std::time::Instant::now() < deadline,
            "still unreachable:\n{}",
            tmux.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
