//! `opsdesk inbox`: each operator's items (a ticket another gave them, a comment naming them,
//! a breach on a ticket they hold), never of their own doing; marking them read and unread by
//! number, by ticket or all; refusals with nothing changed. On both engines.

mod common;

#[allow(unused_imports)]
use common::engine::Engine;

/// The reasons and tickets of an inbox's items, newest first.
fn items(v: &serde_json::Value) -> Vec<(String, String, bool)> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    (
                        i["reason"].as_str().unwrap_or_default().to_string(),
                        i["ticket"].as_str().unwrap_or_default().to_string(),
                        i["read"].as_bool().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn item(reason: &str, ticket: &str, read: bool) -> (String, String, bool) {
    (reason.into(), ticket.into(), read)
}

common::engine::on_both_engines! {
    /// Who hears of what: the operator given a ticket by another, each operator a
    /// comment or work note names (not its author, not a stranger), and nobody about their own
    /// action.
    fn each_operator_hears_of_what_others_did_to_them_and_never_of_their_own(engine) {
        let env = engine.desk();
        env.ok(&["operator", "add", "bob", "--role", "agent"]);
        env.ok(&["operator", "add", "carol", "--role", "agent"]);
        env.ok(&["new", "incident", "--title", "VPN drops", "--impact", "3", "--urgency", "3"]);
        // alice takes her own ticket: nothing for her.
        env.ok(&["assign", "INC-1", "alice"]);
        // bob opens one given to alice, and gives INC-1 to carol.
        env.ok_as("bob", &["new", "incident", "--title", "Printer jam"]);
        env.ok_as("bob", &["assign", "INC-2", "alice"]);
        env.ok_as("bob", &["assign", "INC-1", "carol"]);
        // carol names alice, herself, bob and someone the desk does not know.
        env.ok_as("carol", &["comment", "INC-1", "@alice @carol see this; @bob, @nobody too."]);
        env.ok_as("carol", &["comment", "INC-2", "internal: @alice knows", "--work-note"]);
        let alice = env.json(&["inbox"]);
        assert_eq!(
            items(&alice),
            [item("mention", "INC-2", false), item("mention", "INC-1", false), item("assigned", "INC-2", false)],
            "{alice}"
        );
        assert_eq!(alice["unread"], 3);
        assert_eq!(alice["operator"], "alice");
        assert_eq!(alice["items"][1]["by"], "carol");
        assert_eq!(alice["items"][1]["note"], "@alice @carol see this; @bob, @nobody too.");
        assert_eq!(items(&env.json_as("bob", &["inbox"])), [item("mention", "INC-1", false)]);
        assert_eq!(items(&env.json_as("carol", &["inbox"])), [item("assigned", "INC-1", false)]);
        let text = env.ok(&["inbox"]);
        assert!(text.starts_with("alice's inbox: 3 unread\n"), "{text}");
        assert!(text.contains("assigned  INC-2") && text.contains("Printer jam"), "{text}");
        assert!(text.contains("        internal: @alice knows"), "{text}");
    }
}

common::engine::on_both_engines! {
    /// Read by number, by ticket and all; unread again; what was read shows with --all. A
    /// number that is not one's own, a ticket that does not exist, a word that is neither,
    /// and nothing named are refused with nothing marked.
    fn items_are_marked_read_and_unread_by_their_operator_only(engine) {
        let env = engine.desk();
        env.ok(&["operator", "add", "bob", "--role", "agent"]);
        env.ok_as("bob", &["new", "request", "--title", "Laptop"]);
        env.ok_as("bob", &["assign", "REQ-1", "alice"]);
        env.ok_as("bob", &["comment", "REQ-1", "@alice it came"]);
        env.ok_as("bob", &["new", "request", "--title", "Monitor"]);
        env.ok_as("bob", &["assign", "REQ-2", "alice"]);
        let all = env.json(&["inbox"]);
        let ids: Vec<i64> = all["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["item"].as_i64())
            .collect();
        assert_eq!(ids.len(), 3);
        // Refusals first: nothing changes.
        let err = env.fails_as("bob", &["inbox", "read", &ids[0].to_string()], 1);
        assert!(err.contains(&format!("there is no item {} in bob's inbox", ids[0])), "{err}");
        let err = env.fails(&["inbox", "read", "INC-99"], 1);
        assert!(err.contains("INC-99"), "{err}");
        let err = env.fails(&["inbox", "read", "laptop"], 2);
        assert!(err.contains("not a ticket id") && err.contains("item's number"), "{err}");
        env.fails(&["inbox", "read"], 2);
        env.fails(&["inbox", "unread"], 2);
        let err = env.fails(&["inbox", "read", &ids[2].to_string(), "999999"], 1);
        assert!(err.contains("no item 999999"), "{err}");
        assert_eq!(env.json(&["inbox"])["unread"], 3, "a refused mark marks nothing");

        // By number (the newest: Monitor), then by ticket (both of REQ-1's).
        assert_eq!(env.ok(&["inbox", "read", &ids[0].to_string()]), "1 item marked read; 2 unread\n");
        assert_eq!(
            env.ok(&["inbox", "read", &ids[0].to_string()]),
            "nothing changed: already read; 2 unread\n"
        );
        assert_eq!(env.ok(&["inbox", "read", "REQ-1"]), "2 items marked read; 0 unread\n");
        let text = env.ok(&["inbox"]);
        assert!(text.contains("nothing unread"), "{text}");
        assert_eq!(items(&env.json(&["inbox", "--all"])).len(), 3);
        assert!(items(&env.json(&["inbox", "--all"])).iter().all(|(_, _, read)| *read));
        // Unread again, then all read at once.
        let v = env.json(&["inbox", "unread", &ids[1].to_string(), "REQ-2"]);
        assert_eq!((v["changed"].as_u64(), v["unread"].as_u64()), (Some(2), Some(2)), "{v}");
        assert_eq!(env.ok(&["inbox", "read", "--all"]), "2 items marked read; 0 unread\n");
        // bob's own inbox is untouched by all of it.
        assert_eq!(env.json_as("bob", &["inbox", "--all"])["items"], serde_json::json!([]));
    }
}

common::engine::on_both_engines! {
    /// A breach tells the operator holding the ticket, once; an unheld ticket's breach tells
    /// nobody.
    fn a_breach_tells_the_holder_once(engine) {
        use opsdesk::config::Config;
        use opsdesk::desk::Desk;
        use opsdesk::domain::Kind;
        use opsdesk::domain::rules::Draft;
        let env = engine.desk();
        env.ok(&["operator", "add", "bob", "--role", "agent"]);
        let mut desk = Desk::open(&env.db, "alice", Config::default()).expect("open");
        let p1 = |title: &str| Draft {
            title: title.into(),
            impact: Some(1),
            urgency: Some(1),
            ..Draft::default()
        };
        let held = desk.create_ticket(Kind::Incident, p1("Payments down"), &[]).expect("create").id;
        desk.create_ticket(Kind::Incident, p1("Nobody's"), &[]).expect("create");
        desk.assign(held, Some("bob"), None, None).expect("assign");
        let now = chrono::Utc::now();
        desk.sweep(now + chrono::Duration::minutes(5)).expect("sweep");
        desk.sweep(now + chrono::Duration::hours(5)).expect("sweep");
        desk.sweep(now + chrono::Duration::hours(6)).expect("sweep again");
        let bob = env.json_as("bob", &["inbox"]);
        assert_eq!(
            items(&bob),
            [item("breach", "INC-1", false), item("assigned", "INC-1", false)],
            "{bob}"
        );
        assert_eq!(bob["items"][0]["note"], "time to resolve");
        assert_eq!(bob["items"][0]["by"], "sla");
        assert_eq!(env.json(&["inbox"])["items"], serde_json::json!([]), "alice acted; no breach of hers");
    }
}
