//! Every kind of bad input: a clear message, the right exit code, and a desk left as it was,
//! on a file and (where the input is not about the file) on a server alike.

mod common;

use common::Env;
use common::engine::Engine;

/// A desk with an incident, a CI and two operators, to be wronged in each test.
fn desk(engine: &Engine) -> Env {
    let env = engine.desk();
    env.ok(&["new", "incident", "--title", "Mail is down", "--impact", "2"]);
    env.ok(&["ci", "add", "db-01", "--class", "database"]);
    env.ok(&["operator", "add", "bob", "--role", "agent"]);
    env
}

common::engine::on_both_engines! {
    fn unknown_ticket_id(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        for args in [
            vec!["show", "INC-99"],
            vec!["move", "INC-99", "assign"],
            vec!["comment", "CHG-4", "hello"],
            vec!["edit", "REQ-1", "--field", "title=x"],
            vec!["link", "INC-1", "PRB-9"],
        ] {
            let err = env.fails(&args, 1);
            assert!(err.contains("no ticket"), "{args:?}: {err}");
        }
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn malformed_ticket_id_is_a_usage_error(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["show", "FOO-1"], 2);
        assert!(err.contains("`FOO-1` is not a ticket id"), "{err}");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn illegal_transition_lists_the_legal_ones(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["move", "INC-1", "close"], 1);
        assert_eq!(
            err.trim(),
            "opsdesk: INC-1 cannot `close` from `new`; from `new` you may: assign, resolve, cancel"
        );
        let err = env.fails(&["move", "INC-1", "approve"], 1);
        assert!(
            err.contains("`approve` is not a transition of an incident; from `new` you may: assign, resolve, cancel"),
            "{err}"
        );
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn missing_required_field_is_named(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["move", "INC-1", "resolve", "--field", "resolution_code=fixed"], 1);
        assert!(err.contains("`resolve` needs resolution_note"), "{err}");
        let err = env.fails(&["move", "INC-1", "cancel"], 1);
        assert!(err.contains("`cancel` needs note"), "{err}");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn bad_enumerated_value_lists_the_allowed_ones(engine) {
        let env = desk(engine);
        env.ok(&["assign", "INC-1"]);
        let before = env.snapshot();
        let err = env.fails(&["move", "INC-1", "pend", "--field", "pending_reason=lunch"], 1);
        assert!(
            err.contains("pending_reason cannot be `lunch`: expected one of awaiting_caller, awaiting_vendor"),
            "{err}"
        );
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn unknown_ci(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["link", "INC-1", "--ci", "db-02"], 1);
        assert!(err.contains("no CI named `db-02`"), "{err}");
        // A new ticket naming an unknown CI is not created at all.
        let err = env.fails(&["new", "incident", "--title", "x", "--ci", "db-01", "--ci", "nope"], 1);
        assert!(err.contains("no CI named `nope`"), "{err}");
        let err = env.fails(&["ci", "relate", "db-01", "depends_on", "nope"], 1);
        assert!(err.contains("no CI named `nope`"), "{err}");
        let err = env.fails(&["ci", "show", "nope"], 1);
        assert!(err.contains("no CI named `nope`"), "{err}");
        let err = env.fails(&["list", "--ci", "nope"], 1);
        assert!(err.contains("no CI named `nope`"), "{err}");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn unknown_operator(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["assign", "INC-1", "mallory"], 1);
        assert_eq!(err.trim(), "opsdesk: unknown operator `mallory`");
        let err = env.fails(&["operator", "grant", "mallory", "--role", "cab"], 1);
        assert!(err.contains("unknown operator `mallory`"), "{err}");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn malformed_field_is_a_usage_error(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        for args in [
            vec!["edit", "INC-1", "--field", "impact"],
            vec!["edit", "INC-1", "--field", "=2"],
            vec!["move", "INC-1", "resolve", "--field", "resolution_code"],
            vec!["ci", "add", "x", "--class", "server", "--attr", "novalue"],
        ] {
            let err = env.fails(&args, 2);
            assert!(err.contains("is not NAME=VALUE"), "{args:?}: {err}");
        }
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn unknown_or_forbidden_fields_are_refused(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["edit", "INC-1", "--field", "mood=happy"], 1);
        assert!(err.contains("unknown field `mood`"), "{err}");
        let err = env.fails(&["edit", "INC-1", "--field", "risk=low"], 1);
        assert!(
            err.contains("a incident has no field `risk`") || err.contains("has no field `risk`"),
            "{err}"
        );
        let err = env.fails(&["edit", "INC-1", "--field", "assignee=bob"], 1);
        assert!(err.contains("use assign"), "{err}");
        let err = env.fails(&["edit", "INC-1", "--field", "priority=1"], 1);
        assert!(err.contains("needs a note"), "{err}");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn impact_seven(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails(&["new", "incident", "--title", "x", "--impact", "7"], 2);
        assert!(err.contains("invalid value '7' for '--impact <IMPACT>'"), "{err}");
        let err = env.fails(&["edit", "INC-1", "--field", "impact=7"], 1);
        assert!(
            err.contains("impact cannot be `7`: expected 1 (high), 2 (medium) or 3 (low)"),
            "{err}"
        );
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let env = Env::empty();
    let content = b"these are my notes, not a desk\n".repeat(100);
    std::fs::write(&env.db, &content).expect("write");
    let err = env.fails(&["list"], 1);
    assert!(
        err.contains("is not an opsdesk desk (not a SQLite database); it was left untouched"),
        "{err}"
    );
    let err = env.fails(&["init"], 1);
    assert!(err.contains("not a SQLite database"), "{err}");
    assert_eq!(std::fs::read(&env.db).expect("read"), content);
    let wal = env.dir.path().join("desk.db-wal");
    assert!(!wal.exists(), "no journal may be created beside a foreign file");
}

#[test]
fn a_database_of_another_program_is_refused() {
    let env = Env::empty();
    {
        let conn = rusqlite::Connection::open(&env.db).expect("open");
        conn.execute_batch("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');")
            .expect("make");
    }
    let before = std::fs::read(&env.db).expect("read");
    let err = env.fails(&["list"], 1);
    assert!(err.contains("a SQLite database of another program"), "{err}");
    assert_eq!(std::fs::read(&env.db).expect("read"), before);
}

#[test]
fn a_desk_from_a_newer_schema_is_refused_naming_both_versions() {
    let env = desk(&Engine::Sqlite);
    {
        let conn = rusqlite::Connection::open(&env.db).expect("open");
        conn.pragma_update(None, "user_version", 99).expect("bump");
    }
    let before = env.snapshot();
    let err = env.fails(&["list"], 1);
    assert!(
        err.contains(&format!(
            "desk schema 99, this build knows up to {}",
            opsdesk::store::schema_version()
        )),
        "{err}"
    );
    assert!(err.contains("upgrade opsdesk"), "{err}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn an_explicit_desk_that_does_not_exist_is_not_created() {
    let env = Env::empty();
    let err = env.fails(&["list"], 1);
    assert!(err.contains("no desk at"), "{err}");
    assert!(err.contains("opsdesk init"), "{err}");
    assert!(!env.db.exists());
}

common::engine::on_both_engines! {
    fn a_bad_operator_name_is_refused(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails_as("eve\u{1b}[2J", &["list"], 1);
        assert!(err.contains("is not an operator name"), "{err}");
        assert!(!err.contains('\u{1b}'), "the escape must not reach the terminal");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn only_admins_manage_operators(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        let err = env.fails_as("bob", &["operator", "add", "carol", "--role", "cab"], 1);
        assert_eq!(
            err.trim(),
            "opsdesk: bob may not add operators: that needs the admin role"
        );
        let err = env.fails_as("bob", &["operator", "grant", "bob", "--role", "admin"], 1);
        assert!(err.contains("needs the admin role"), "{err}");
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn a_closed_ticket_takes_comments_but_no_move_or_edit(engine) {
        let env = desk(engine);
        env.ok(&[
            "move",
            "INC-1",
            "resolve",
            "-f",
            "resolution_code=fixed",
            "-f",
            "resolution_note=ok",
        ]);
        env.ok(&["move", "INC-1", "close"]);
        let before = env.snapshot();
        let err = env.fails(&["move", "INC-1", "reopen", "--note", "again"], 1);
        assert!(
            err.contains("INC-1 is closed: a closed ticket takes comments but no transition or edit"),
            "{err}"
        );
        let err = env.fails(&["edit", "INC-1", "--field", "title=x"], 1);
        assert!(err.contains("INC-1 is closed"), "{err}");
        assert_eq!(env.snapshot(), before);
        env.ok(&["comment", "INC-1", "user confirmed it works"]);
    }
}

common::engine::on_both_engines! {
    fn empty_title_comment_and_search_are_refused(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        assert!(
            env.fails(&["new", "incident", "--title", "  "], 1)
                .contains("the title is empty")
        );
        assert!(
            env.fails(&["comment", "INC-1", " "], 1)
                .contains("the comment is empty")
        );
        assert!(env.fails(&["search", "--", "**"], 1).contains("nothing to search for"));
        assert_eq!(env.snapshot(), before);
    }
}

common::engine::on_both_engines! {
    fn bad_ci_class_relation_and_duplicate_name(engine) {
        let env = desk(engine);
        let before = env.snapshot();
        assert!(
            env.fails(&["ci", "add", "t", "--class", "toaster"], 1)
                .contains("unknown CI class `toaster`")
        );
        assert!(
            env.fails(&["ci", "add", "DB-01", "--class", "database"], 1)
                .contains("a CI named `db-01` exists already")
        );
        assert!(
            env.fails(&["ci", "relate", "db-01", "likes", "db-01"], 2)
                .contains("unknown relation `likes`")
        );
        assert!(
            env.fails(&["ci", "relate", "db-01", "depends_on", "db-01"], 1)
                .contains("cannot be related to itself")
        );
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn a_bad_view_in_config_is_named() {
    let env = desk(&Engine::Sqlite);
    std::fs::create_dir_all(env.config_dir()).expect("config dir");
    let file = env.config_dir().join("config.toml");
    std::fs::write(&file, "[[views]]\nname = \"hot\"\npriority = [7]\n").expect("write");
    let err = env.fails(&["list"], 1);
    assert!(err.contains("view `hot`: priority 7 is not between 1 and 5"), "{err}");
    std::fs::write(&file, "[[views]]\nname = \"hot\"\nkind = \"ticket\"\n").expect("write");
    let err = env.fails(&["list"], 1);
    assert!(err.contains("config.toml:3:"), "the line is named: {err}");
    assert!(err.contains("unknown variant `ticket`"), "{err}");
}
