//! The TUI on a desk on a PostgreSQL server, in a real terminal: another host's commit shows
//! up as it is heard; a lost server is said in the header, a form being filled in stays as
//! it is, and once the server is back the desk is read again.

mod common;

use std::path::PathBuf;

use common::tmux::{Tmux, opsdesk};

#[test]
fn the_terminal_desk_on_a_server_hears_other_hosts_and_rides_out_a_lost_server() {
    let server = match common::pg::server() {
        Ok(s) => s,
        Err(why) => return eprintln!("{why}"),
    };
    let url = server.fresh_db();
    let db_name = url.rsplit('/').next().expect("db").to_string();
    let db = PathBuf::from(&url);
    let dir = tempfile::tempdir().expect("dir");
    opsdesk(&db, &["init"]);
    opsdesk(&db, &["new", "incident", "--title", "Mail down"]);
    let tmux = Tmux {
        socket: format!("opsdesk-server-{}", std::process::id()),
    };
    let command = format!(
        "env OPSDESK_DB='{url}' OPSDESK_USER=alice OPSDESK_CONFIG_DIR='{}' OPSDESK_DATA_DIR='{}' TERM=xterm-256color '{}'",
        dir.path().join("config").display(),
        dir.path().join("data").display(),
        env!("CARGO_BIN_EXE_opsdesk")
    );
    let started = tmux.run(&["new-session", "-d", "-s", "desk", "-x", "100", "-y", "30", &command]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while tmux.screen().contains("cannot be reached") {
        assert!(
            std::time::Instant::now() < deadline,
            "still unreachable:\n{}",
            tmux.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(tmux.screen().contains("still typing this"), "{}", tmux.screen());
    tmux.send(&["C-s"]);
    tmux.wait_for("comment added");
    tmux.send(&["Escape"]);
    opsdesk(&db, &["new", "incident", "--title", "Badge readers offline"]);
    tmux.wait_for("Badge readers offline");
    let shown = opsdesk(&db, &["show", "INC-1"]);
    assert!(shown.contains("still typing this"), "{shown}");
}
