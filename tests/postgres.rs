//! The desk on a PostgreSQL server: the same commands, the same refusals and the same
//! guarantees as on a file (see `common::pg` for where the server comes from).

mod common;

use common::Env;
use common::pg::{self, Server};

/// The server, or (on a machine without PostgreSQL) `None` after saying why, once.
fn server() -> Option<&'static Server> {
    match pg::server() {
        Ok(s) => Some(s),
        Err(why) => {
            eprintln!("{why}");
            None
        }
    }
}

#[test]
fn the_readme_tour_runs_on_a_server() {
    let Some(server) = server() else { return };
    let url = server.fresh_db();
    let out = common::run_readme_tour(&url);
    assert!(out.contains("INC-1: resolve: assigned → resolved"), "{out}");
    assert!(out.contains("shop (depth 1: shop-db ← shop)"), "{out}");
    assert!(out.contains("INC-1: close: resolved → closed"), "{out}");
}

#[test]
fn a_stale_write_is_refused_with_the_same_message() {
    let Some(server) = server() else { return };
    let env = Env::on_server(server);
    env.ok(&["new", "incident", "--title", "Printer jam"]);
    let seen = env.json(&["show", "INC-1"])["version"]
        .as_i64()
        .expect("version")
        .to_string();
    env.ok_as("bob", &["comment", "INC-1", "I'm on it"]);
    let err = env.fails(&["assign", "INC-1", "--expect-version", &seen], 1);
    assert!(err.starts_with("opsdesk: INC-1 was changed by bob at "), "{err}");
    assert!(err.trim_end().ends_with(" — reload"), "{err}");
    let shown = env.json(&["show", "INC-1"]);
    assert!(
        shown["assignee"].is_null(),
        "the refused assignment wrote nothing: {shown}"
    );
    let now = shown["version"].as_i64().expect("version").to_string();
    env.ok(&["assign", "INC-1", "--expect-version", &now]);
}

#[test]
fn the_timeline_refuses_change_removal_and_truncation() {
    let Some(server) = server() else { return };
    let env = Env::on_server(server);
    env.ok(&["new", "incident", "--title", "Disk full"]);
    env.ok(&["comment", "INC-1", "cleaning up"]);
    let db = env.db.display().to_string();
    let mut client = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    for (sql, says) in [
        (
            "UPDATE events SET actor = 'mallory'",
            "the timeline is append-only: an event cannot be changed",
        ),
        (
            "DELETE FROM events",
            "the timeline is append-only: an event cannot be removed",
        ),
        (
            "TRUNCATE events CASCADE",
            "the timeline is append-only: an event cannot be removed",
        ),
        (
            "UPDATE comments SET body = 'nothing'",
            "comments are part of the timeline and cannot be changed",
        ),
        (
            "DELETE FROM desk_events",
            "the desk trail is append-only: an event cannot be removed",
        ),
    ] {
        let err = client.batch_execute(sql).expect_err(sql);
        let message = err.as_db_error().map(|e| e.message().to_string()).unwrap_or_default();
        assert_eq!(message, says, "{sql}");
    }
    let verified = env.ok(&["audit", "verify"]);
    assert!(verified.contains("timeline intact: 2 events chained"), "{verified}");
}

#[test]
fn a_desk_from_a_newer_schema_is_refused_naming_both_versions() {
    let Some(server) = server() else { return };
    let env = Env::on_server(server);
    let db = env.db.display().to_string();
    let mut client = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    client
        .batch_execute("UPDATE meta SET value = '99' WHERE key = 'postgresql_schema'")
        .expect("make it newer");
    let err = env.fails(&["list"], 1);
    assert!(
        err.contains(&format!(
            "desk schema 99, this build knows up to {}",
            opsdesk::store::server::schema_version()
        )),
        "the desk's version and this build's: {err}"
    );
}

#[test]
fn a_database_that_is_not_a_desk_is_refused_and_left_alone() {
    let Some(server) = server() else { return };
    let url = server.fresh_db();
    let name = url.rsplit('/').next().expect("name").to_string();
    server.sql(&name, "CREATE TABLE invoices (id bigint PRIMARY KEY)");
    let env = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: url.clone().into(),
    };
    let err = env.fails(&["list"], 1);
    assert!(
        err.contains("is not an opsdesk desk (a database of another program)"),
        "{err}"
    );
    let err = env.fails(&["init"], 1);
    assert!(err.contains("a database of another program"), "{err}");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let tables: i64 = client
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", &[])
        .expect("count")
        .get(0);
    assert_eq!(tables, 1, "nothing was made in it");
    // An empty database is no desk until `init` makes it one.
    let empty = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: server.fresh_db().into(),
    };
    let err = empty.fails(&["list"], 1);
    assert!(
        err.contains("no desk at postgresql://") && err.contains("opsdesk init"),
        "{err}"
    );
}

#[test]
fn a_password_is_never_shown() {
    let env = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: "postgresql://ann:s3cret-pw@%2Fno%2Fsuch%2Fdir:5432/desk".into(),
    };
    let err = env.fails(&["list"], 1);
    assert!(err.contains("postgresql://ann@%2Fno%2Fsuch%2Fdir:5432/desk"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let err = env.fails(&["init"], 1);
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn search_ranks_a_title_above_a_comment() {
    let Some(server) = server() else { return };
    let env = Env::on_server(server);
    env.ok(&["new", "incident", "--title", "VPN drops every hour"]);
    env.ok(&["new", "incident", "--title", "Laptop fan is loud"]);
    env.ok(&["comment", "INC-2", "maybe the VPN client spins the CPU"]);
    env.ok(&["new", "incident", "--title", "Printer jam"]);
    let hits = env.json(&["search", "vpn"]);
    let ids: Vec<&str> = hits
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        ["INC-1", "INC-2"],
        "title first, then the comment; the printer not at all"
    );
    let prefix = env.json(&["search", "print*"]);
    assert_eq!(prefix.as_array().map(Vec::len), Some(1), "{prefix}");
}

#[test]
fn on_a_server_the_operator_is_the_role_that_connected() {
    let Some(server) = server() else { return };
    // The test server's superuser made the desk (and is its admin); ann is a login role.
    let admin = Env::on_server(server);
    let url = admin.db.display().to_string();
    let name = url.rsplit('/').next().expect("name").to_string();
    server.sql(
        &name,
        "CREATE ROLE ann LOGIN; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ann; \
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ann;",
    );
    let ann = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: url.replacen("postgresql://postgres@", "postgresql://ann@", 1).into(),
    };
    // Whatever the OS account running this, the desk sees ann.
    let who = ann.ok_self(&["operator", "whoami", "--json"]);
    let who: serde_json::Value = serde_json::from_str(&who).expect("json");
    assert_eq!(who["operator"], "ann", "{who}");
    ann.ok_self(&["new", "incident", "--title", "VPN is down"]);
    let shown = ann.json_as("ann", &["show", "INC-1"]);
    assert_eq!(shown["requester"], "ann", "{shown}");
    // ann is no admin: acting as someone else is refused, and nothing is written.
    let err = ann.fails_as("bob", &["comment", "INC-1", "not me"], 1);
    assert!(err.contains("ann may not act as bob"), "{err}");
    // The desk's admin (the superuser) may, and both are recorded.
    admin.ok_as("bob", &["comment", "INC-1", "on it"]);
    let timeline = admin.json(&["show", "INC-1"]);
    let last = timeline["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["actor"], "bob", "{last}");
    assert_eq!(last["via"], "postgres", "{last}");
}

/// What the server said when `sql`, run as the role of `url`, was refused.
fn refused(url: &str, sql: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    match client.batch_execute(sql) {
        Ok(()) => panic!("{sql} was allowed"),
        Err(e) => e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string()),
    }
}

#[test]
fn an_admin_provisions_an_operator_who_logs_in_with_a_password_and_cannot_rewrite_history() {
    let Some(server) = server() else { return };
    let admin = Env::on_server(server);
    let url = admin.db.display().to_string();
    let db = url.rsplit('/').next().expect("name").to_string();
    admin.ok(&["new", "incident", "--title", "Mail is slow"]);
    admin.ok(&["comment", "INC-1", "looking"]);
    let pw = admin.dir.path().join("dana.pw");
    std::fs::write(&pw, "c0rrect-horse\n").expect("password file");
    let out = admin.ok(&[
        "operator",
        "add",
        "dana",
        "--role",
        "agent",
        "--password-file",
        &pw.display().to_string(),
    ]);
    assert!(out.contains("added operator dana (agent)"), "{out}");
    assert!(
        out.contains(&format!(
            "database role dana made, a member of {db}_operators; password set"
        )),
        "{out}"
    );
    // The password never reached the server: only its SCRAM verifier did.
    let mut su = postgres::Client::connect(&server.url(&db), postgres::NoTls).expect("connect");
    let stored: String = su
        .query_one("SELECT rolpassword FROM pg_authid WHERE rolname = 'dana'", &[])
        .expect("role")
        .get(0);
    assert!(
        stored.starts_with("SCRAM-SHA-256$") && !stored.contains("c0rrect"),
        "{stored}"
    );

    // Dana logs in over TCP with her password, from the URL or PGPASSWORD, and works.
    let dana = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: server.login_url("dana", "c0rrect-horse", &url).into(),
    };
    let who: serde_json::Value = serde_json::from_str(&dana.ok_self(&["operator", "whoami", "--json"])).expect("json");
    assert_eq!(
        (who["operator"].as_str(), who["roles"][0].as_str()),
        (Some("dana"), Some("agent")),
        "{who}"
    );
    dana.ok_self(&["comment", "INC-1", "the relay is full"]);
    let no_password_url = server.login_url("dana", "", &url).replacen("dana:@", "dana@", 1);
    let out = dana
        .cmd_self()
        .env("OPSDESK_DB", &no_password_url)
        .env("PGPASSWORD", "c0rrect-horse")
        .args(["assign", "INC-1", "dana"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A wrong password is a clear refusal that never shows the password.
    let wrong = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: server.login_url("dana", "wr0ng-guess", &url).into(),
    };
    let err = wrong.fails_as("dana", &["list"], 1);
    assert!(
        err.contains("password authentication failed for user \"dana\""),
        "{err}"
    );
    assert!(!err.contains("wr0ng-guess"), "{err}");

    // Her database role may add to the timeline, never change, remove or truncate it, and
    // cannot make herself (or anyone) an admin behind opsdesk's back.
    let dana_url = server.login_url("dana", "c0rrect-horse", &url);
    for (sql, says) in [
        ("UPDATE events SET note = 'x'", "permission denied for table events"),
        ("DELETE FROM comments", "permission denied for table comments"),
        ("TRUNCATE events CASCADE", "permission denied for table events"),
        (
            "UPDATE desk_events SET note = 'x'",
            "permission denied for table desk_events",
        ),
        ("TRUNCATE tickets CASCADE", "permission denied for table tickets"),
        (
            "UPDATE operators SET roles = 'admin,agent' WHERE name = 'dana'",
            "only a desk admin may change the desk's operators (dana is not one)",
        ),
        (
            "INSERT INTO operators (name, roles, created_at) VALUES ('mallory', 'admin', 0)",
            "only a desk admin may change the desk's operators (dana is not one)",
        ),
        (
            "UPDATE meta SET value = '0' WHERE key = 'postgresql_schema'",
            "only a desk admin may change the desk's settings (dana is not one)",
        ),
    ] {
        let said = refused(&dana_url, sql);
        assert!(said.contains(says), "{sql}: {said}");
    }
    // Nor can she provision others: that is an admin's.
    let err = dana.fails_as("dana", &["operator", "add", "erin", "--role", "agent"], 1);
    assert!(err.contains("admin"), "{err}");
    let roles: i64 = su
        .query_one(
            "SELECT count(*) FROM pg_roles WHERE rolname IN ('erin', 'mallory')",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(roles, 0);
    let shown = admin.json(&["show", "INC-1"]);
    assert_eq!(shown["assignee"], "dana", "{shown}");
    let ops = admin.json(&["operator", "list"]);
    let names: Vec<&str> = ops
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(!names.contains(&"mallory"), "{ops}");
    // Made a desk admin, she still cannot make database roles: her role lacks CREATEROLE,
    // and the refusal says so, with nothing written.
    admin.ok(&["operator", "grant", "dana", "--role", "admin"]);
    let err = dana.fails_as("dana", &["operator", "add", "frank", "--role", "agent"], 1);
    assert!(
        err.contains("the database role `frank` could not be made an operator of this desk")
            && err.contains("needs CREATEROLE"),
        "{err}"
    );
    let ops = admin.json(&["operator", "list"]);
    assert!(!ops.to_string().contains("frank"), "{ops}");
    admin.ok(&["audit", "verify"]);
}

#[test]
fn a_password_is_for_a_desk_on_a_server() {
    let env = Env::new();
    let pw = env.dir.path().join("pw");
    let pw_arg = pw.display().to_string();
    let add = [
        "operator",
        "add",
        "bob",
        "--role",
        "agent",
        "--password-file",
        pw_arg.as_str(),
    ];
    for (text, says) in [
        ("secret\n", "a desk file has no passwords"),
        ("\n", "holds no password"),
    ] {
        std::fs::write(&pw, text).expect("password file");
        let err = env.fails(&add, 1);
        assert!(err.contains(says), "{err}");
    }
    let ops = env.json(&["operator", "list"]);
    assert!(!ops.to_string().contains("\"bob\""), "nothing written: {ops}");
    // A file's operators are the machine's accounts: no database login to give.
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    let err = env.fails(&["operator", "login", "bob"], 1);
    assert!(err.contains("`operator login` is for a desk on a server"), "{err}");
}

#[test]
fn a_login_is_for_an_operator_the_desk_has_and_given_by_an_admin() {
    let Some(server) = server() else { return };
    let admin = Env::on_server(server);
    let err = admin.fails(&["operator", "login", "nobody-here"], 1);
    assert!(err.contains("nobody-here"), "{err}");
    admin.ok(&["operator", "add", "login-erin", "--role", "agent"]);
    let out = admin.ok(&["operator", "login", "login-erin"]);
    assert!(out.contains("database role login-erin exists, a member of"), "{out}");
    // An agent cannot give anyone a login, herself included.
    let err = admin.fails_as("login-erin", &["operator", "login", "login-erin"], 1);
    assert!(err.contains("admin"), "{err}");
}

#[test]
fn what_a_server_desk_cannot_do_is_refused_before_anything_is_written() {
    // Neither needs a server: both are refused before a connection is made.
    let env = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: "postgresql://ann@%2Fno%2Fsuch%2Fdir:5432/desk".into(),
    };
    let err = env.fails(&["init", "--shared"], 1);
    assert!(err.contains("--shared is for a desk file"), "{err}");
    let tls = Env {
        dir: tempfile::tempdir().expect("dir"),
        db: "postgresql://ann@db.example.com/desk?sslmode=require".into(),
    };
    let err = tls.fails(&["list"], 1);
    assert!(err.contains("this build of opsdesk connects without TLS"), "{err}");
}

#[test]
fn a_commit_tells_listeners_which_tickets_it_touched() {
    let Some(server) = server() else { return };
    let env = Env::on_server(server);
    env.ok(&["new", "incident", "--title", "Mail is slow"]);
    env.ok(&["new", "incident", "--title", "VPN is down"]);
    let mut listener = postgres::Client::connect(&env.db.display().to_string(), postgres::NoTls).expect("connect");
    listener.batch_execute("LISTEN opsdesk").expect("listen");
    env.ok(&["comment", "INC-2", "on it"]);
    env.ok(&["operator", "add", "notify-bob", "--role", "agent"]);
    let mut heard = Vec::new();
    {
        use postgres::fallible_iterator::FallibleIterator;
        let mut notes = listener.notifications();
        let mut waiting = notes.timeout_iter(std::time::Duration::from_secs(10));
        while heard.len() < 2 {
            match waiting.next().expect("notifications") {
                Some(n) => heard.push((n.channel().to_string(), n.payload().to_string())),
                None => break,
            }
        }
    }
    let row: i64 = postgres::Client::connect(&env.db.display().to_string(), postgres::NoTls)
        .expect("connect")
        .query_one("SELECT id FROM tickets WHERE kind = 'incident' AND number = 2", &[])
        .expect("row")
        .get(0);
    assert_eq!(
        heard,
        [
            ("opsdesk".to_string(), row.to_string()),
            ("opsdesk".to_string(), "desk".to_string())
        ],
        "the comment names its ticket's row; the operator, the desk"
    );
}

#[test]
fn desks_on_one_cluster_provisioning_the_same_operator_at_once_all_succeed() {
    let Some(server) = server() else { return };
    let desks: Vec<Env> = (0..12).map(|_| Env::on_server(server)).collect();
    let name = format!("same{}", std::process::id());
    std::thread::scope(|s| {
        for env in &desks {
            let name = name.as_str();
            s.spawn(move || env.ok(&["operator", "add", name, "--role", "agent"]));
        }
    });
    for env in &desks {
        let listed = env.ok(&["operator", "list"]);
        assert!(listed.contains(&name), "{listed}");
    }
}
