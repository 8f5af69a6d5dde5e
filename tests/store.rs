//! The desk file's guarantees, through the library: append-only timeline, upgrades,
//! optimistic concurrency between two operators, pagination.

mod common;

use opsdesk::config::Config;
use opsdesk::desk::{Desk, DeskError};
use opsdesk::domain::rules::Draft;
use opsdesk::domain::{Kind, TicketId};
use opsdesk::store::tickets::Filter;
use opsdesk::store::{self, Sharing, Store};

fn new_desk(dir: &tempfile::TempDir, user: &str) -> Desk {
    let (desk, _) =
        Desk::create(dir.path().join("desk.db"), user, Config::default(), Sharing::Private).expect("create");
    desk
}

fn draft(title: &str) -> Draft {
    Draft {
        title: title.into(),
        ..Draft::default()
    }
}

#[test]
fn the_timeline_is_append_only() {
    let dir = tempfile::tempdir().expect("dir");
    let mut desk = new_desk(&dir, "alice");
    desk.create_ticket(Kind::Incident, draft("x"), &[]).expect("create");
    desk.comment(TicketId::new(Kind::Incident, 1), "hello", false)
        .expect("comment");
    let conn = rusqlite::Connection::open(dir.path().join("desk.db")).expect("open");
    let err = conn
        .execute("UPDATE events SET actor = 'mallory'", [])
        .expect_err("update refused");
    assert!(err.to_string().contains("the timeline is append-only"), "{err}");
    let err = conn.execute("DELETE FROM events", []).expect_err("delete refused");
    assert!(err.to_string().contains("cannot be removed"), "{err}");
    let err = conn
        .execute("UPDATE comments SET body = 'edited'", [])
        .expect_err("comment edit refused");
    assert!(err.to_string().contains("cannot be changed"), "{err}");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM events WHERE actor = 'alice'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 2);
}

#[test]
fn a_desk_of_schema_14_keeps_its_longest_change_window_and_loses_the_triggers() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v14.db");
    {
        let conn = store::create_at_version(&path, 14).expect("v14 desk");
        conn.execute_batch(
            "INSERT INTO tickets (kind, number, state, is_open, title, impact, urgency, priority, requester, created_at, updated_at, version, planned_start, planned_end)
             VALUES ('change', 1, 'new', 1, 'Long migration', 3, 3, 5, 'alice', 0, 0, 1, '2026-06-01T00:00:00Z', '2026-06-11T00:00:00Z');",
        )
        .expect("v14 data");
    }
    let desk = Desk::open(&path, "alice", Config::default()).expect("open upgrades");
    let conn = desk.store().sqlite().expect("a desk file");
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'change_span%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(triggers, 0);
    let back = store::tickets::longest_window(&store::Tx::lite(conn)).expect("look-back");
    assert_eq!(back, chrono::Duration::days(10) + chrono::Duration::seconds(1));
}

#[test]
fn a_desk_of_an_older_schema_upgrades_on_open() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    {
        let conn = store::create_at_version(&path, 1).expect("v1 desk");
        conn.execute_batch(
            "INSERT INTO operators VALUES ('alice', 'admin,agent', 0);
             INSERT INTO tickets (kind, number, state, is_open, title, impact, urgency, priority, requester, created_at, updated_at, version)
             VALUES ('incident', 1, 'new', 1, 'Legacy printer fault', 3, 3, 5, 'alice', 0, 0, 1);",
        )
        .expect("v1 data");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, 1);
    }
    let mut desk = Desk::open(&path, "alice", Config::default()).expect("open upgrades");
    let v: i64 = desk
        .store()
        .sqlite()
        .expect("a desk file")
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(v as usize, store::schema_version());
    // The search index added by version 2 holds what version 1 had.
    let hits = desk.search("printer", 10).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].ticket.id, TicketId::new(Kind::Incident, 1));
}

#[test]
fn a_version_4_desk_gets_its_kpi_milestones_from_its_timeline() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v4.db");
    {
        let conn = store::create_at_version(&path, 4).expect("v4 desk");
        // Assigned to bob at 10, passed to carol at 20, resolved at 30, reopened at 40,
        // resolved for good at 50; a change completed at 60 is not "resolved".
        conn.execute_batch(
            "INSERT INTO operators VALUES ('alice', 'admin,agent', 0);
             INSERT INTO tickets (id, kind, number, state, is_open, title, impact, urgency, priority, requester, created_at, updated_at, version)
             VALUES (1, 'incident', 1, 'resolved', 0, 'Mail down', 2, 2, 3, 'alice', 0, 50, 9),
                    (2, 'change', 1, 'review', 0, 'Patch', 2, 2, 3, 'alice', 0, 60, 3),
                    (3, 'incident', 2, 'new', 1, 'Untouched', 2, 2, 3, 'alice', 0, 0, 1);
             INSERT INTO events (ticket_id, at, actor, kind, field, old, new) VALUES
                (1, 0, 'alice', 'created', 'state', NULL, 'new'),
                (1, 10, 'alice', 'transition', 'assign', 'new', 'assigned'),
                (1, 10, 'alice', 'field', 'assignee', NULL, 'bob'),
                (1, 20, 'alice', 'field', 'assignee', 'bob', 'carol'),
                (1, 30, 'carol', 'transition', 'resolve', 'assigned', 'resolved'),
                (1, 40, 'alice', 'transition', 'reopen', 'resolved', 'assigned'),
                (1, 50, 'carol', 'transition', 'resolve', 'assigned', 'resolved'),
                (2, 60, 'alice', 'transition', 'complete', 'implement', 'review'),
                (3, 0, 'alice', 'created', 'state', NULL, 'new');",
        )
        .expect("v4 data");
    }
    Desk::open(&path, "alice", Config::default()).expect("open upgrades");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let row = |id: i64| -> (Option<i64>, Option<i64>, i64, i64, i64) {
        conn.query_row(
            "SELECT first_assigned_at, resolved_at, resolves, reopens, reassignments FROM tickets WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("row")
    };
    assert_eq!(row(1), (Some(10), Some(50), 2, 1, 1));
    assert_eq!(row(2), (None, None, 0, 0, 0));
    assert_eq!(row(3), (None, None, 0, 0, 0));
}

#[test]
fn an_older_desk_learns_when_its_tickets_were_closed() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v8.db");
    {
        let conn = store::create_at_version(&path, 8).expect("v8 desk");
        // Closed at 70 after a resolve at 50; cancelled at 30; resolved, not closed; a change
        // closed at 90.
        conn.execute_batch(
            "INSERT INTO operators VALUES ('alice', 'admin,agent', 0);
             INSERT INTO tickets (id, kind, number, state, is_open, title, impact, urgency, priority, requester, created_at, updated_at, version)
             VALUES (1, 'incident', 1, 'closed', 0, 'Mail down', 2, 2, 3, 'alice', 0, 70, 4),
                    (2, 'incident', 2, 'cancelled', 0, 'Typo', 2, 2, 3, 'alice', 0, 30, 2),
                    (3, 'incident', 3, 'resolved', 0, 'Slow', 2, 2, 3, 'alice', 0, 40, 3),
                    (4, 'change', 1, 'closed', 0, 'Patch', 2, 2, 3, 'alice', 0, 90, 3);
             INSERT INTO events (ticket_id, at, actor, kind, field, old, new) VALUES
                (1, 0, 'alice', 'created', 'state', NULL, 'new'),
                (1, 10, 'alice', 'transition', 'assign', 'new', 'assigned'),
                (1, 50, 'alice', 'transition', 'resolve', 'assigned', 'resolved'),
                (1, 70, 'alice', 'transition', 'close', 'resolved', 'closed'),
                (2, 0, 'alice', 'created', 'state', NULL, 'new'),
                (2, 30, 'alice', 'transition', 'cancel', 'new', 'cancelled'),
                (3, 0, 'alice', 'created', 'state', NULL, 'new'),
                (3, 40, 'alice', 'transition', 'resolve', 'assigned', 'resolved'),
                (4, 0, 'alice', 'created', 'state', NULL, 'new'),
                (4, 80, 'alice', 'transition', 'complete', 'implement', 'review'),
                (4, 90, 'alice', 'transition', 'close', 'review', 'closed');",
        )
        .expect("v8 data");
    }
    Desk::open(&path, "alice", Config::default()).expect("open upgrades");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let closed: Vec<Option<i64>> = (1..=4)
        .map(|id| {
            conn.query_row("SELECT closed_at FROM tickets WHERE id = ?1", [id], |r| r.get(0))
                .expect("row")
        })
        .collect();
    assert_eq!(closed, vec![Some(70), Some(30), None, Some(90)]);
}

#[test]
fn two_operators_one_ticket_the_second_write_is_refused_not_merged() {
    let dir = tempfile::tempdir().expect("dir");
    let mut alice = new_desk(&dir, "alice");
    let mut bob = Desk::open(dir.path().join("desk.db"), "bob", Config::default()).expect("bob opens");
    let id = alice
        .create_ticket(Kind::Incident, draft("Disk full"), &[])
        .expect("create")
        .id;
    // Both look at version 1.
    let seen = alice.ticket(id).expect("read").ticket.version;
    assert_eq!(bob.ticket(id).expect("read").ticket.version, seen);
    let before_alice = alice.data_version().expect("dv");
    bob.edit(id, &[("title".into(), "Disk full on db-01".into())], None, Some(seen))
        .expect("bob first");
    assert_ne!(
        alice.data_version().expect("dv"),
        before_alice,
        "alice can see that someone wrote"
    );
    let err = alice
        .edit(id, &[("title".into(), "Disk almost full".into())], None, Some(seen))
        .expect_err("alice is stale");
    match &err {
        DeskError::Conflict { id: cid, by, .. } => {
            assert_eq!(*cid, id);
            assert_eq!(by, "bob");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("INC-1 was changed by bob at "), "{err}");
    assert!(err.to_string().ends_with(" — reload"), "{err}");
    let t = alice.ticket(id).expect("read");
    assert_eq!(t.ticket.title, "Disk full on db-01");
    assert_eq!(t.ticket.version, 2);
    assert_eq!(t.timeline.len(), 2, "created + bob's edit; nothing of alice's");
}

#[test]
fn a_refused_action_writes_no_event() {
    let dir = tempfile::tempdir().expect("dir");
    let mut desk = new_desk(&dir, "alice");
    let id = desk.create_ticket(Kind::Incident, draft("x"), &[]).expect("create").id;
    assert!(desk.transition(id, "close", &[], None, None).is_err());
    assert!(
        desk.transition(id, "resolve", &[("resolution_code".into(), "fixed".into())], None, None)
            .is_err()
    );
    assert_eq!(desk.ticket(id).expect("read").timeline.len(), 1);
}

#[test]
fn keyset_pages_walk_the_queue_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().expect("dir");
    let mut desk = new_desk(&dir, "alice");
    for i in 0..23u8 {
        let d = Draft {
            title: format!("t{i}"),
            impact: Some(1 + i % 3),
            urgency: Some(1 + (i / 3) % 3),
            ..Draft::default()
        };
        desk.create_ticket(Kind::Incident, d, &[]).expect("create");
    }
    let all = desk
        .list(&Filter {
            open_only: true,
            limit: 100,
            ..Filter::default()
        })
        .expect("all");
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = desk
            .list(&Filter {
                open_only: true,
                limit: 5,
                after,
                ..Filter::default()
            })
            .expect("page");
        let Some(last) = page.last() else { break };
        // The cursor is what the row showed: priority, creation time, and the id as a tiebreak.
        let rowid = desk
            .store()
            .sqlite()
            .expect("a desk file")
            .query_row(
                "SELECT id FROM tickets WHERE kind = 'incident' AND number = ?1",
                [last.id.number as i64],
                |r| r.get(0),
            )
            .expect("rowid");
        after = Some((last.priority, last.created_at.timestamp_millis(), rowid));
        paged.extend(page);
    }
    assert_eq!(
        paged.iter().map(|t| t.id).collect::<Vec<_>>(),
        all.iter().map(|t| t.id).collect::<Vec<_>>()
    );
    assert_eq!(paged.len(), 23);
    assert!(paged.windows(2).all(|w| w[0].priority <= w[1].priority));
}

#[test]
fn the_open_queue_is_served_by_its_index() {
    let dir = tempfile::tempdir().expect("dir");
    let _desk = new_desk(&dir, "alice");
    let store = Store::open(dir.path().join("desk.db")).expect("open");
    let plan = common::query_plan(
        store.sqlite().expect("a desk file"),
        "SELECT id FROM tickets WHERE is_open = 1 ORDER BY priority, created_at, id LIMIT 50",
        [],
    );
    assert!(plan.contains("tickets_open_queue"), "{plan}");
    assert!(
        !plan.contains("TEMP B-TREE"),
        "the first page must not sort all open rows: {plan}"
    );
}

#[test]
fn a_backup_taken_while_another_operator_writes_is_a_whole_desk() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("desk.db");
    opsdesk::seed::seed(&path, &opsdesk::seed::SeedOptions::new(3_000, chrono::Utc::now())).expect("seed");
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || {
        let mut bob = Desk::open(&writer_path, "bob", Config::default()).expect("bob");
        for i in 0..200 {
            bob.create_ticket(Kind::Incident, draft(&format!("written during the backup {i}")), &[])
                .expect("write");
        }
    });
    let alice = Desk::open(&path, "alice", Config::default()).expect("alice");
    let copy = dir.path().join("copy.db");
    alice.backup(&copy).expect("backup");
    writer.join().expect("writer");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&copy).expect("meta").permissions()) & 0o777;
    assert_eq!(mode, 0o600);
    let mut restored = Desk::open(&copy, "alice", Config::default()).expect("the backup opens as a desk");
    let ok: String = restored
        .store()
        .sqlite()
        .expect("a desk file")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    let n: i64 = restored
        .store()
        .sqlite()
        .expect("a desk file")
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    assert!(
        (3_000..=3_200).contains(&n),
        "{n} tickets: a consistent moment of the desk"
    );
    // Every ticket in the copy has its whole timeline: no half-written action.
    let orphans: i64 = restored
        .store()
        .sqlite().expect("a desk file")
        .query_row("SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'created')", [], |r| r.get(0))
        .expect("orphans");
    assert_eq!(orphans, 0);
    // The search index came along, in step with the tickets it indexes.
    let written = usize::try_from(n - 3_000).expect("count");
    assert_eq!(restored.search("written", 500).expect("search").len(), written);
    // An existing file is never overwritten.
    let err = alice.backup(&copy).expect_err("exists");
    assert!(err.to_string().contains("cannot create the backup"), "{err}");
}

#[test]
fn a_report_reads_only_its_covering_index() {
    let dir = tempfile::tempdir().expect("dir");
    let _desk = new_desk(&dir, "alice");
    let store = Store::open(dir.path().join("desk.db")).expect("open");
    for label in [None, Some("team"), Some("assignee"), Some("category")] {
        let plan = common::query_plan(
            store.sqlite().expect("a desk file"),
            &opsdesk::store::kpi::facts_sql(label),
            [0i64, 1i64],
        );
        assert!(plan.contains("COVERING INDEX tickets_report"), "{label:?}: {plan}");
    }
}

#[test]
fn a_ticket_view_reads_only_the_cmdb_above_its_cis_and_finds_the_same_services() {
    use opsdesk::domain::cmdb::{self, Relation};
    let dir = tempfile::tempdir().expect("dir");
    let mut desk = new_desk(&dir, "alice");
    // shop (service) depends_on api runs_on vm part_of cluster; billing (service) depends_on
    // api too; a cycle vm depends_on api; the printer is only connected_to the cluster.
    for (name, class) in [
        ("shop", "business_service"),
        ("billing", "business_service"),
        ("api", "application"),
        ("vm", "virtual_machine"),
        ("cluster", "cluster"),
        ("printer", "network_device"),
    ] {
        desk.add_ci(name, class, None, None, None, &[]).expect("ci");
    }
    for (a, r, b) in [
        ("shop", Relation::DependsOn, "api"),
        ("billing", Relation::DependsOn, "api"),
        ("api", Relation::RunsOn, "vm"),
        ("vm", Relation::PartOf, "cluster"),
        ("vm", Relation::DependsOn, "api"),
        ("printer", Relation::ConnectedTo, "cluster"),
    ] {
        desk.relate_cis(a, r, b).expect("relate");
    }
    let conn = desk.store().sqlite().expect("a desk file");
    let all = store::cmdb::edges(&store::Tx::lite(conn)).expect("edges");
    let names = store::cmdb::names(&store::Tx::lite(conn)).expect("names");
    let service = |names: &std::collections::BTreeMap<i64, (String, String)>, id: i64| {
        names.get(&id).is_some_and(|(_, c)| c == "business_service")
    };
    for (id, (name, _)) in &names {
        let (part, part_names) = store::cmdb::impact_part(&store::Tx::lite(conn), *id).expect("part");
        let whole = cmdb::impacted_services(&all, *id, |c| service(&names, c));
        let from_part = cmdb::impacted_services(&part, *id, |c| service(&part_names, c));
        assert_eq!(from_part, whole, "{name}");
        assert!(part.iter().all(|e| e.relation != Relation::ConnectedTo), "{name}");
    }
    // The cluster's failure reaches both services; the printer's none.
    let cluster = names
        .iter()
        .find(|(_, (n, _))| n == "cluster")
        .map(|(id, _)| *id)
        .expect("cluster");
    let (part, part_names) = store::cmdb::impact_part(&store::Tx::lite(conn), cluster).expect("part");
    let mut hit: Vec<&str> = cmdb::impacted_services(&part, cluster, |c| service(&part_names, c))
        .into_iter()
        .filter_map(|(s, _, _)| part_names.get(&s).map(|(n, _)| n.as_str()))
        .collect();
    hit.sort_unstable();
    assert_eq!(hit, ["billing", "shop"]);
}
