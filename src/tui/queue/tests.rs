//! The queue model: order, views, filter, marks, merges.
use super::*;
use crate::domain::{Kind, TicketId};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().expect("time")
}

fn row(rowid: i64, kind: Kind, priority: u8, hours_old: i64, assignee: Option<&str>, title: &str) -> QueueRow {
    let created = now() - chrono::Duration::hours(hours_old);
    QueueRow {
        rowid,
        id: TicketId::new(kind, rowid as u64),
        state: "new".into(),
        priority,
        assignee: assignee.map(String::from),
        title: title.into(),
        ci: Some("db-01".into()),
        created_at: created,
        updated_at: created,
        clocks: crate::domain::sla::Policy::default().clocks(
            crate::domain::Lifecycles::builtin().get(kind),
            &crate::domain::sla::History {
                kind,
                priority,
                created,
                first_state: "new".into(),
                moves: Vec::new(),
                first_assigned: assignee.map(|_| created),
            },
        ),
        is_open: true,
    }
}

fn queue() -> Queue {
    let mut q = Queue::new(vec![
        row(1, Kind::Incident, 3, 1, Some("alice"), "Printer jams on floor 2"),
        row(2, Kind::Incident, 1, 5, None, "Mail server down"),
        row(3, Kind::Request, 2, 2, Some("bob"), "New laptop for Ana"),
        row(4, Kind::Change, 4, 30, None, "Patch the mail relay"),
        row(5, Kind::Incident, 1, 1, Some("alice"), "VPN drops"),
    ]);
    q.refresh("alice", now());
    q
}

fn ids(q: &Queue) -> Vec<u64> {
    q.window(0, 100).map(|r| r.row.id.number).collect()
}

#[test]
fn default_order_is_time_to_breach() {
    assert_eq!(ids(&queue()), vec![2, 5, 3, 1, 4]);
}

#[test]
fn views_filter_the_rows() {
    let mut q = queue();
    let mut check = |name: &str, expected: Vec<u64>| {
        let i = q.views.iter().position(|v| v.name == name).expect("view");
        q.set_view(i);
        q.refresh("alice", now());
        assert_eq!(ids(&q), expected, "{name}");
    };
    check("my work", vec![5, 1]);
    check("unassigned", vec![2, 4]);
    check("changes", vec![4]);
    check("requests", vec![3]);
    // P1 4 h 24×7: INC-2 (5 h old) is breached; INC-5 (1 h) is on track.
    check("at risk / breached", vec![2]);
}

#[test]
fn views_from_config_combine_their_conditions() {
    let mut q = queue();
    q.views.push(ViewSpec {
        kind: Some(Kind::Incident),
        priority: vec![1],
        assignee: Some("ALICE".into()),
        ..ViewSpec::named("my P1 incidents")
    });
    let last = q.views.len() - 1;
    assert!(!q.set_view(last), "still open tickets: no reload needed");
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![5]);
    assert!(q.set_view(last - 1), "recently closed reads other rows");
}

#[test]
fn sorting_cycles_and_reverses() {
    let mut q = queue();
    assert_eq!(q.sort, SortBy::Due);
    assert_eq!(ids(&q)[0], 2, "the breached P1 is due first");
    q.cycle_sort();
    assert_eq!(q.sort, SortBy::Priority);
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![2, 5, 3, 1, 4], "priority, then oldest");
    q.sort = SortBy::Title;
    q.reverse = true;
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![5, 1, 4, 3, 2]);
}

#[test]
fn paused_clocks_come_after_running_ones_and_tickets_without_one_last() {
    let mut pending = row(6, Kind::Incident, 1, 3, Some("bob"), "Waiting on the vendor");
    let policy = crate::domain::sla::Policy::default();
    let created = pending.created_at;
    pending.state = "pending".into();
    pending.clocks = policy.clocks(
        crate::domain::Lifecycles::builtin().get(Kind::Incident),
        &crate::domain::sla::History {
            kind: Kind::Incident,
            priority: 1,
            created,
            first_state: "new".into(),
            moves: vec![
                (created, "assigned".into()),
                (created + chrono::Duration::hours(1), "pending".into()),
            ],
            first_assigned: Some(created),
        },
    );
    let mut q = Queue::new(vec![
        row(4, Kind::Change, 4, 30, None, "Patch the mail relay"),
        pending,
        row(1, Kind::Incident, 3, 1, Some("alice"), "Printer jams on floor 2"),
    ]);
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![1, 6, 4]);
    let paused = q.window(1, 1).next().and_then(|r| r.clock()).expect("a clock");
    assert_eq!((paused.phase, paused.left), (Phase::Paused, chrono::Duration::hours(3)));
}

#[test]
fn fuzzy_filter_matches_id_title_assignee_and_ci() {
    let mut q = queue();
    q.filter = "mail".into();
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![2, 4]);
    q.filter = "bob".into();
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![3]);
    q.filter = "REQ-3".into();
    q.refresh("alice", now());
    assert_eq!(ids(&q)[0], 3);
    q.filter = "prnt jam".into();
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![1]);
    q.filter = "db-01".into();
    q.refresh("alice", now());
    assert_eq!(q.len(), 5);
}

/// The view's order is kept between refreshes; each thing it depends on works it out again.
#[test]
fn the_kept_order_follows_sort_reverse_view_only_rows_and_operator() {
    let mut q = queue();
    q.filter = "i".into();
    q.refresh("alice", now());
    let by_due = ids(&q);
    q.filter.clear();
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![2, 5, 3, 1, 4], "the filter does not keep its narrowing");
    q.sort = SortBy::Title;
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![2, 3, 4, 1, 5], "sort");
    q.reverse = true;
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![5, 1, 4, 3, 2], "reverse");
    q.reverse = false;
    q.sort = SortBy::Due;
    let mine = q.views.iter().position(|v| v.name == "my work").expect("view");
    q.set_view(mine);
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![5, 1], "view");
    q.refresh("bob", now());
    assert_eq!(ids(&q), vec![3], "the operator of `my work`");
    q.set_view(0);
    q.set_only(Some(Only {
        label: "two".into(),
        rowids: [1, 4].into_iter().collect(),
    }));
    q.refresh("alice", now());
    assert_eq!(ids(&q), vec![1, 4], "only");
    q.set_only(None);
    q.merge(vec![row(6, Kind::Incident, 1, 9, None, "Disk full")], "alice", now());
    assert_eq!(ids(&q), vec![6, 2, 5, 3, 1, 4], "rows merged");
    q.filter = "i".into();
    q.refresh("alice", now());
    assert!(ids(&q).contains(&6) && ids(&q).len() > by_due.len(), "{:?}", ids(&q));
}

#[test]
fn selection_survives_a_refresh_and_marks_pick_targets() {
    let mut q = queue();
    q.select(2);
    let picked = q.selected_row().map(|r| r.row.id);
    q.cycle_sort();
    q.refresh("alice", now());
    assert_eq!(q.selected_row().map(|r| r.row.id), picked);
    assert_eq!(q.targets(), picked.into_iter().collect::<Vec<_>>());
    q.toggle_mark();
    q.move_by(1);
    q.toggle_mark();
    assert_eq!(q.targets().len(), 2);
    q.mark_all();
    assert_eq!(q.targets().len(), 5);
    q.mark_all();
    assert!(q.marks.is_empty());
}

#[test]
fn replacing_rows_with_fewer_keeps_everything_in_bounds() {
    let mut q = queue();
    q.select(4);
    q.replace_rows(vec![], "alice", now());
    assert!(q.selected_row().is_none());
    assert!(q.is_empty());
    q.replace_rows(vec![row(9, Kind::Incident, 1, 1, None, "back")], "alice", now());
    assert_eq!(q.selected_row().map(|r| r.row.rowid), Some(9));
}

#[test]
fn merging_changes_updates_adds_and_drops_rows() {
    let mut q = queue();
    q.select(1); // INC-5
    let mut closed = row(2, Kind::Incident, 1, 5, None, "Mail server down");
    closed.is_open = false;
    let mut renamed = row(3, Kind::Request, 2, 2, Some("bob"), "New laptop for Ana (urgent)");
    renamed.ci = None;
    let new = row(6, Kind::Incident, 1, 0, None, "Fresh");
    q.merge(vec![closed, renamed, new], "alice", now());
    // The new unowned P1 has 15 minutes to be owned: it comes first.
    assert_eq!(ids(&q), vec![6, 5, 3, 1, 4]);
    assert_eq!(
        q.selected_row().map(|r| r.row.id.number),
        Some(5),
        "the selection stays on INC-5"
    );
    let req = q.all_rows().iter().find(|r| r.row.rowid == 3).expect("req");
    assert_eq!(req.row.title, "New laptop for Ana (urgent)");
    assert_eq!(req.row.ci.as_deref(), Some("db-01"), "a CI not reloaded is kept");
}

#[test]
fn cis_arriving_later_join_the_filter() {
    let mut q = Queue::new(vec![row(1, Kind::Incident, 1, 1, None, "x")]);
    q.rows[0].row.ci = None;
    q.rows[0] = Row::new(q.rows[0].row.clone());
    q.filter = "core-switch".into();
    q.refresh("alice", now());
    assert!(q.is_empty());
    q.set_cis(vec![(1, "core-switch-1".into())], "alice", now());
    assert_eq!(q.len(), 1);
}

#[test]
fn counts_open_at_risk_and_breached() {
    let q = queue();
    // INC-2 P1 5 h: breached. INC-5 P1 1 h of 4 h: on track. The rest have long targets.
    assert_eq!(q.counts(now()), (5, 0, 1));
    assert_eq!(q.counts(now() + chrono::Duration::hours(2)), (5, 1, 1));
}

/// A queue big enough to be scored on several threads, with titles that share letters.
fn big_queue() -> Queue {
    let words = ["disk", "dns", "mail", "vpn", "db", "printer", "sso", "backup"];
    let template = row(1, Kind::Incident, 3, 1, None, "");
    let rows = (1..=5_000)
        .map(|n| {
            let mut r = template.clone();
            r.rowid = n as i64;
            r.id = TicketId::new(Kind::Incident, n as u64);
            r.priority = (n % 5 + 1) as u8;
            r.title = format!("{} {} fault {}", words[n % 8], words[(n / 8) % 8], n % 97);
            r.ci = None;
            r
        })
        .collect();
    let mut q = Queue::new(rows);
    // Scored on the spot, on every core, whatever its size (the tests of matching aside set
    // their own bound).
    q.on_the_spot = usize::MAX;
    q.refresh("alice", now());
    q
}

fn filtered(q: &mut Queue, text: &str) -> Vec<u64> {
    q.filter = text.into();
    q.refresh("alice", now());
    ids(q)
}

#[test]
fn typing_on_narrows_to_what_a_fresh_filter_finds() {
    for typed in ["disk", "db fa", "!dns", "vpn !s", "backup$"] {
        let mut step = big_queue();
        let mut seen = Vec::new();
        for end in 1..=typed.len() {
            seen = filtered(&mut step, &typed[..end]);
        }
        let mut fresh = big_queue();
        assert_eq!(seen, filtered(&mut fresh, typed), "typed one key at a time: {typed:?}");
        assert!(!seen.is_empty() || typed == "backup$", "{typed:?} matches something");
    }
    // Taking a key back widens again.
    let mut q = big_queue();
    let wide = filtered(&mut q, "di");
    filtered(&mut q, "disk");
    assert_eq!(filtered(&mut q, "di"), wide);
}

#[test]
fn narrowing_forgets_what_it_matched_when_the_ci_names_arrive() {
    let mut q = big_queue();
    assert!(filtered(&mut q, "core-sw").is_empty());
    let rowid = 17;
    q.set_cis(vec![(rowid, "core-switch-9".into())], "alice", now());
    assert_eq!(filtered(&mut q, "core-swi"), vec![17]);
}

/// Every row shown, by row id, in order.
fn all_shown(q: &Queue) -> Vec<i64> {
    q.window(0, usize::MAX).map(|r| r.row.rowid).collect()
}

#[test]
fn a_merge_places_changed_rows_where_a_fresh_sort_would() {
    let mut rng = fastrand::Rng::with_seed(17);
    let states = ["new", "assigned", "in_progress", "pending"];
    let names = [None, Some("alice"), Some("bob"), Some("carol")];
    let template = row(1, Kind::Incident, 3, 1, None, "");
    let make = |n: i64, rng: &mut fastrand::Rng| {
        let mut r = template.clone();
        r.rowid = n;
        r.id = TicketId::new(Kind::Incident, n as u64);
        r.priority = rng.u8(1..=5);
        r.created_at = now() - chrono::Duration::minutes(rng.i64(0..5000));
        r.state = states[rng.usize(..states.len())].into();
        r.assignee = names[rng.usize(..names.len())].map(String::from);
        r.title = format!(
            "{} fault {}",
            ["disk", "Mail", "vpn", "db"][rng.usize(..4)],
            rng.u8(0..9)
        );
        r
    };
    for sort in SortBy::ALL {
        for reverse in [false, true] {
            let rows: Vec<QueueRow> = (1..=300).map(|n| make(n, &mut rng)).collect();
            let mut q = Queue::new(rows.clone());
            q.sort = sort;
            q.reverse = reverse;
            q.refresh("alice", now());
            let mut desk: std::collections::BTreeMap<i64, QueueRow> = rows.into_iter().map(|r| (r.rowid, r)).collect();
            for round in 0..5 {
                let mut changed = Vec::new();
                for _ in 0..12 {
                    let rowid = rng.i64(1..=330);
                    let mut r = make(rowid, &mut rng);
                    r.is_open = rng.u8(0..5) > 0;
                    changed.push(r);
                }
                for r in &changed {
                    if r.is_open {
                        desk.insert(r.rowid, r.clone());
                    } else {
                        desk.remove(&r.rowid);
                    }
                }
                q.merge(changed, "alice", now());
                let mut fresh = Queue::new(desk.values().cloned().collect());
                fresh.sort = sort;
                fresh.reverse = reverse;
                fresh.refresh("alice", now());
                assert_eq!(
                    all_shown(&q),
                    all_shown(&fresh),
                    "{sort:?} reverse {reverse}, round {round}"
                );
            }
        }
    }
}

#[test]
fn the_header_counts_kept_between_frames_follow_every_change() {
    let mut q = queue();
    let before = q.desk_counts(now());
    assert_eq!(q.desk_counts(now()), before, "the same frame, the same counts");
    let mut closed = q.all_rows()[0].row.clone();
    closed.is_open = false;
    q.merge(vec![closed], "alice", now());
    assert_eq!(
        q.desk_counts(now()).0,
        before.0 - 1,
        "a ticket closed elsewhere leaves the count"
    );
    let mut new = q.all_rows()[0].row.clone();
    new.rowid = 99;
    q.merge(vec![new], "alice", now());
    assert_eq!(q.desk_counts(now()).0, before.0);
    // Later, clocks may have crossed their thresholds: counted again.
    let later = q.desk_counts(now() + chrono::Duration::days(30));
    assert!(later.2 >= before.2);
}

/// Sets the filter as typing does, and shows what the queue shows then.
fn typed(q: &mut Queue, text: &str) -> Vec<u64> {
    q.filter = text.into();
    q.refilter("alice", now());
    ids(q)
}

#[test]
fn a_long_view_is_matched_off_the_ui_thread_and_replaces_the_rows_when_in() {
    let expect = |text: &str| filtered(&mut big_queue(), text);
    let mut q = big_queue();
    q.on_the_spot = 0;
    let all = ids(&q);
    q.select(5);
    assert_eq!(typed(&mut q, "disk"), all, "what shows stays until the matches are in");
    assert!(q.matching());
    assert!(q.finish_matching());
    assert!(!q.matching());
    assert_eq!(ids(&q), expect("disk"));
    assert_eq!(q.selected(), 0, "a new filter shows from its first match");

    // Typed faster than it is matched: only the newest filter's matches show.
    for text in ["m", "ma", "mai"] {
        typed(&mut q, text);
    }
    q.finish_matching();
    assert_eq!(ids(&q), expect("mai"));

    // Cleared while matching: every row again, and the late matches are not taken.
    typed(&mut q, "vpn");
    q.filter.clear();
    q.refilter("alice", now());
    assert!(!q.matching());
    assert!(!q.finish_matching());
    assert_eq!(ids(&q), all);

    // The rows change while a filter is matched: it is matched again over the new rows,
    // and the text of CI names read later counts.
    typed(&mut q, "core-sw");
    q.set_cis(vec![(17, "core-switch-9".into())], "alice", now());
    let mut changed = q.all_rows()[41].row.clone();
    changed.title = "core-sw uplink flaps".into();
    q.merge(vec![changed], "alice", now());
    q.finish_matching();
    let mut shown = ids(&q);
    shown.sort();
    assert_eq!(shown, vec![17, 42]);
}

#[test]
fn every_order_kept_for_the_loaded_queue_follows_merges() {
    let mut rng = fastrand::Rng::with_seed(5);
    let make = |n: i64, rng: &mut fastrand::Rng| {
        let mut r = row(n, Kind::Incident, rng.u8(1..=5), rng.i64(0..80), None, "");
        r.state = ["new", "assigned", "pending"][rng.usize(..3)].into();
        r.assignee = [None, Some("alice"), Some("bob")][rng.usize(..3)].map(String::from);
        r.title = format!("{} fault {}", ["disk", "Mail", "vpn"][rng.usize(..3)], rng.u8(0..9));
        r
    };
    let rows: Vec<QueueRow> = (1..=200).map(|n| make(n, &mut rng)).collect();
    let mut desk: std::collections::BTreeMap<i64, QueueRow> = rows.iter().map(|r| (r.rowid, r.clone())).collect();
    let mut q = Queue::new(Vec::new());
    q.take_loaded(Loaded::of(rows), "alice", now());
    // Rounds 0 and 1 close tickets too; in rounds 2 and 3 rows only change and join (every
    // row keeps its place, and the orders and facts are patched in place).
    for round in 0..4 {
        let changed: Vec<QueueRow> = (0..15)
            .map(|_| {
                let mut r = make(rng.i64(1..=230), &mut rng);
                r.is_open = round >= 2 || rng.u8(0..4) > 0;
                r
            })
            .collect();
        for r in &changed {
            if r.is_open {
                desk.insert(r.rowid, r.clone());
            } else {
                desk.remove(&r.rowid);
            }
        }
        q.merge(changed, "alice", now());
        for sort in SortBy::ALL {
            for reverse in [false, true] {
                let mut fresh = Queue::new(desk.values().cloned().collect());
                for one in [&mut q, &mut fresh] {
                    one.sort = sort;
                    one.reverse = reverse;
                    one.refresh("alice", now());
                }
                assert_eq!(
                    all_shown(&q),
                    all_shown(&fresh),
                    "{sort:?} reverse {reverse}, round {round}"
                );
            }
        }
        // Every open view, asked through facts patched by the merges.
        let open_views: Vec<usize> = (0..q.views.len()).filter(|&v| !q.views[v].closed).collect();
        for v in open_views {
            let mut fresh = Queue::new(desk.values().cloned().collect());
            for one in [&mut q, &mut fresh] {
                (one.sort, one.reverse) = (SortBy::Due, false);
                one.set_view(v);
                one.refresh("alice", now());
            }
            assert_eq!(all_shown(&q), all_shown(&fresh), "view {v}, round {round}");
        }
        q.set_view(0);
    }
}

/// Goes to the view of closed tickets with `closed` as its rows, and back.
fn to_closed_and_back(q: &mut Queue, closed: Vec<QueueRow>, while_away: Option<Vec<QueueRow>>) {
    let open_views = q.view_index();
    let closed_view = q.views.iter().position(|v| v.closed).expect("a closed view");
    q.set_view(closed_view);
    q.replace_rows(closed, "alice", now());
    if let Some(changed) = while_away {
        q.merge(changed, "alice", now());
    }
    q.set_view(open_views);
    assert!(q.restore_open("alice", now()), "the open rows come back");
}

#[test]
fn open_rows_back_from_the_closed_view_are_in_the_order_a_fresh_sort_gives() {
    let mut done = row(9, Kind::Incident, 2, 3, None, "Old fault");
    done.is_open = false;
    for while_away in [false, true] {
        for sort in SortBy::ALL {
            let mut q = big_queue();
            q.sort = sort;
            q.refresh("alice", now());
            // Away, one ticket is reprioritised and one new (the stash's order no longer holds).
            let mut changed = row(42, Kind::Incident, 1, 0, Some("alice"), "disk now urgent");
            changed.id = TicketId::new(Kind::Incident, 42);
            let fresh = row(6_001, Kind::Request, 5, 0, None, "zz new request");
            let merged = while_away.then(|| vec![changed.clone(), fresh.clone()]);
            to_closed_and_back(&mut q, vec![done.clone()], merged);
            let mut expected = big_queue();
            if while_away {
                expected.merge(vec![changed, fresh], "alice", now());
            }
            expected.orders = Orders::default();
            expected.sort = sort;
            expected.refresh("alice", now());
            assert_eq!(q.total(), expected.total(), "{sort:?}, merged away: {while_away}");
            let all = |q: &Queue| q.window(0, q.len()).map(|r| r.row.id.number).collect::<Vec<_>>();
            assert_eq!(all(&q), all(&expected), "{sort:?}, merged away: {while_away}");
        }
    }
}

/// The title order compares the first 16 bytes of each lowercase title as a number and the
/// rest character by character, without keeping a lowercase copy: it must be the order of
/// the lowercase titles, whatever their case, shared beginnings or letters beyond ASCII.
#[test]
fn the_title_order_is_the_order_of_the_lowercase_titles() {
    let titles = [
        "Patch crm-26-db to the current release",
        "patch CRM-26-db to the current release",
        "Patch crm-26-db-host to the current release",
        "Patch crm-2",
        "",
        "Ärger mit dem Drucker",
        "ärger mit dem drucker im 2. Stock",
        "Zeitüberschreitung",
        "ÉCHEC de la sauvegarde",
        "échec",
        "Über 9000 Fehler im Log",
        "uber",
        "Σύστημα εκτός",
        "σύστημα",
    ];
    let rows: Vec<QueueRow> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| row(i as i64 + 1, Kind::Incident, 1 + (i % 3) as u8, i as i64, None, t))
        .collect();
    let mut q = Queue::new(rows.clone());
    q.sort = SortBy::Title;
    q.refresh("alice", now());
    let mut expected = rows;
    expected.sort_by_key(|r| (r.title.to_lowercase(), r.priority, r.created_at, r.rowid));
    let expected: Vec<i64> = expected.iter().map(|r| r.rowid).collect();
    assert_eq!(all_shown(&q), expected);
}
