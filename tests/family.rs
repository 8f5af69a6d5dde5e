//! Parent and child incidents: `link CHILD --parent ID` (one level, one parent, incidents
//! only); resolving the parent resolves its open children, each with its own move; a parent
//! cannot close while a child is open. On both engines.

mod common;

use common::Env;
#[allow(unused_imports)]
use common::engine::Engine;

fn state(env: &Env, id: &str) -> String {
    env.json(&["show", id])["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Resolves INC-1; what it said besides (the notes, on standard error).
fn resolve_parent(env: &Env) -> String {
    let out = env
        .cmd()
        .args([
            "move",
            "INC-1",
            "resolve",
            "--field",
            "resolution_code=fixed",
            "--field",
            "resolution_note=Primary restarted",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn events(env: &Env, id: &str) -> usize {
    env.json(&["show", id])["timeline"].as_array().map_or(0, Vec::len)
}

common::engine::on_both_engines! {
    /// Links under a parent, and every link the desk refuses, with nothing written.
    fn children_link_under_one_parent_one_level_deep(engine) {
        let env = engine.desk();
        for title in ["Database down", "Shop errors", "Login errors", "Mail slow"] {
            env.ok(&["new", "incident", "--title", title]);
        }
        env.ok(&["new", "problem", "--title", "Disk firmware"]);
        assert_eq!(env.ok(&["link", "INC-2", "--parent", "INC-1"]), "INC-2 linked to parent INC-1\n");
        env.ok(&["link", "INC-3", "--parent", "INC-1"]);
        assert!(env.ok(&["link", "INC-2", "--parent", "INC-1"]).contains("already"));
        let before: Vec<usize> = ["INC-1", "INC-2", "INC-3", "INC-4"].iter().map(|i| events(&env, i)).collect();
        for (args, why) in [
            (&["link", "INC-4", "--parent", "INC-4"][..], "cannot be its own parent"),
            (&["link", "PRB-1", "--parent", "INC-1"], "PRB-1 is not an incident"),
            (&["link", "INC-2", "--parent", "INC-4"], "INC-2 is a child of INC-1 already"),
            (&["link", "INC-1", "--parent", "INC-4"], "INC-1 is a parent itself"),
            (&["link", "INC-4", "--parent", "INC-2"], "INC-2 is a child of INC-1: link INC-4 to INC-1 instead"),
            (&["link", "INC-4", "--parent", "INC-99"], "INC-99"),
        ] {
            let err = env.fails(args, 1);
            assert!(err.contains(why), "{args:?}: {err}");
        }
        let after: Vec<usize> = ["INC-1", "INC-2", "INC-3", "INC-4"].iter().map(|i| events(&env, i)).collect();
        assert_eq!(after, before, "the refusals wrote nothing");
        env.ok(&["link", "INC-4", "PRB-1"]);
        env.ok(&["link", "INC-1", "INC-4"]);
        let n = events(&env, "INC-4");
        let err = env.fails(&["link", "INC-4", "--parent", "INC-1"], 1);
        assert!(err.contains("linked already"), "{err}");
        assert_eq!(events(&env, "INC-4"), n, "nothing written");
        let links = env.json(&["show", "INC-1"])["links"].clone();
        let rels: Vec<(String, String)> = links
            .as_array()
            .expect("links")
            .iter()
            .map(|l| (l["relation"].as_str().unwrap_or_default().into(), l["id"].as_str().unwrap_or_default().into()))
            .collect();
        assert!(rels.contains(&("parent_of".into(), "INC-2".into())), "{rels:?}");
        assert!(rels.contains(&("parent_of".into(), "INC-3".into())), "{rels:?}");
        assert_eq!(env.json(&["show", "INC-2"])["links"][0]["relation"], "child_of");
        env.fails(&["link", "INC-4", "--parent", "INC-1", "--ci", "db"], 2);
    }
}

common::engine::on_both_engines! {
    /// Resolving the parent resolves its open children, each with its own move, actor and
    /// note; closing it waits until no child is open.
    fn the_parent_resolves_its_children_and_closes_after_them(engine) {
        let env = engine.desk();
        for title in ["Database down", "Shop errors", "Login errors"] {
            env.ok(&["new", "incident", "--title", title]);
        }
        env.ok(&["link", "INC-2", "--parent", "INC-1"]);
        env.ok(&["link", "INC-3", "--parent", "INC-1"]);
        let said = resolve_parent(&env);
        assert!(said.contains("resolved its child INC-2 with it") && said.contains("INC-3"), "{said}");
        for child in ["INC-2", "INC-3"] {
            let v = env.json(&["show", child]);
            assert_eq!(v["state"], "resolved", "{child}");
            assert_eq!(v["fields"]["resolution_note"], "Resolved with INC-1: Primary restarted");
            let moves: Vec<&serde_json::Value> = v["timeline"]
                .as_array()
                .expect("timeline")
                .iter()
                .filter(|e| e["kind"] == "transition" && e["new"] == "resolved")
                .collect();
            assert_eq!(moves.len(), 1, "{child}: its own move");
            assert_eq!(moves[0]["actor"], "alice");
        }
        // A child reopened holds the parent's close back, with nothing written.
        env.ok(&["move", "INC-3", "reopen", "--note", "still failing"]);
        let before = events(&env, "INC-1");
        let err = env.fails(&["move", "INC-1", "close"], 1);
        assert!(err.contains("INC-1 cannot be closed while its child incidents are open: INC-3"), "{err}");
        assert_eq!((state(&env, "INC-1"), events(&env, "INC-1")), ("resolved".into(), before));
        env.ok(&["move", "INC-3", "resolve", "--field", "resolution_code=fixed", "--field", "resolution_note=ok now"]);
        env.ok(&["move", "INC-1", "close"]);
        assert_eq!(state(&env, "INC-1"), "closed");
    }
}

common::engine::on_both_engines! {
    /// A child the desk's lifecycle does not let resolve from where it is stays open, the
    /// parent's resolve says so, and the parent then waits for it to close.
    fn a_child_that_cannot_resolve_stays_open_and_holds_the_parent(engine) {
        let env = engine.desk();
        env.apply_policy(&[(
            "name = \"resolve\"\nfrom = [\"new\", \"assigned\", \"pending\"]",
            "name = \"resolve\"\nfrom = [\"new\", \"assigned\"]",
        )]);
        env.ok(&["new", "incident", "--title", "Database down"]);
        env.ok(&["new", "incident", "--title", "Shop errors"]);
        env.ok(&["link", "INC-2", "--parent", "INC-1"]);
        env.ok(&["assign", "INC-2", "alice"]);
        env.ok(&["move", "INC-2", "pend", "--field", "pending_reason=awaiting_vendor"]);
        let said = resolve_parent(&env);
        assert!(said.contains("left its child INC-2 open"), "{said}");
        assert_eq!(state(&env, "INC-2"), "pending");
        let err = env.fails(&["move", "INC-1", "close"], 1);
        assert!(err.contains("while its child incidents are open: INC-2"), "{err}");
    }
}
