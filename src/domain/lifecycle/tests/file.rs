//! Every way a lifecycle file can be wrong, each named with its line.

use super::*;

// ---- the lifecycle file ------------------------------------------------------------------

fn load_err(src: &str) -> LifecycleError {
    match Lifecycles::load(src, "my.toml") {
        Ok(_) => panic!("loaded a bad file:\n{src}"),
        Err(e) => e,
    }
}

/// The shipped file with one replacement, to make each mistake in context.
fn broken(from: &str, to: &str) -> String {
    assert!(DEFAULT_SOURCE.contains(from), "{from:?} not in the shipped file");
    DEFAULT_SOURCE.replacen(from, to, 1)
}

fn line_of(src: &str, needle: &str) -> usize {
    let at = src.find(needle).expect("needle present");
    src[..at].matches('\n').count() + 1
}

#[test]
fn unknown_state_is_named_with_its_line() {
    let src = broken(
        "name = \"resume\"\nfrom = [\"pending\"]",
        "name = \"resume\"\nfrom = [\"paused\"]",
    );
    let e = load_err(&src);
    assert_eq!(e.file, "my.toml");
    assert_eq!(e.line, line_of(&src, "[\"paused\"]"));
    assert!(
        e.message
            .starts_with("unknown state `paused` in transition `resume` of `incident`"),
        "{e}"
    );
    assert_eq!(e.to_string().split(':').next(), Some("my.toml"));
}

#[test]
fn unknown_target_state_is_refused() {
    let e = load_err(&broken("to = \"pending\"", "to = \"waiting\""));
    assert!(e.message.contains("unknown state `waiting`"), "{e}");
}

#[test]
fn unreachable_state_is_refused() {
    let src = broken(
        "states = [\"new\", \"assigned\", \"known_error\"",
        "states = [\"new\", \"limbo\", \"assigned\", \"known_error\"",
    );
    let e = load_err(&src);
    assert_eq!(e.message, "state `limbo` of `problem` cannot be reached from `new`");
    assert_eq!(e.line, line_of(&src, "\"limbo\""));
}

#[test]
fn duplicate_state_is_refused() {
    let e = load_err(&broken(
        "\"pending\", \"resolved\", \"closed\", \"cancelled\"]",
        "\"pending\", \"pending\", \"resolved\", \"closed\", \"cancelled\"]",
    ));
    assert_eq!(e.message, "duplicate state `pending` in `incident`");
}

#[test]
fn duplicate_transition_name_is_refused() {
    let src = broken("name = \"resume\"", "name = \"pend\"");
    let e = load_err(&src);
    assert_eq!(e.message, "duplicate transition `pend` in `incident`");
    assert_eq!(e.line, line_of(&src, "name = \"pend\"\nfrom = [\"pending\"]"));
}

#[test]
fn same_name_for_different_change_types_is_allowed_but_not_for_overlapping_ones() {
    assert!(Lifecycles::load(DEFAULT_SOURCE, "x").is_ok());
    let e = load_err(&broken(
        "types = [\"emergency\"]\nfrom = [\"new\"]",
        "types = [\"emergency\", \"normal\"]\nfrom = [\"new\"]",
    ));
    assert_eq!(e.message, "duplicate transition `submit` in `change`");
}

#[test]
fn no_final_state_is_refused() {
    let e = load_err(&broken(
        "final = [\"closed\", \"cancelled\"]\nresolved = [\"resolved\"]\n\n[[problem",
        "final = []\nresolved = [\"resolved\"]\n\n[[problem",
    ));
    assert_eq!(e.message, "`problem` has no final state: list at least one in `final`");
    let e = load_err(&broken("final = [\"closed\", \"rejected\", \"cancelled\"]\n", ""));
    assert!(e.message.contains("`request` has no final state"), "{e}");
}

#[test]
fn a_transition_from_a_final_state_is_refused() {
    let src = broken(
        "name = \"reopen\"\nfrom = [\"resolved\"]",
        "name = \"reopen\"\nfrom = [\"resolved\", \"closed\"]",
    );
    let e = load_err(&src);
    assert_eq!(
        e.message,
        "transition `reopen` of `incident` leaves final state `closed`: a final state takes no transition"
    );
    assert_eq!(e.line, line_of(&src, "\"resolved\", \"closed\"]"));
}

#[test]
fn other_mistakes_are_named_too() {
    let cases = [
        (
            broken("requires = [\"pending_reason\"]", "requires = [\"mood\"]"),
            "unknown field `mood`",
        ),
        (
            broken("requires = [\"pending_reason\"]", "requires = [\"risk\"]"),
            "which a incident does not have",
        ),
        (broken("role = \"cab\"", "role = \"boss\""), "unknown role `boss`"),
        (
            broken("types = [\"normal\"]", "types = [\"urgent\"]"),
            "unknown change type `urgent`",
        ),
        (
            broken(
                "defaults = { assignee = \"$actor\" }",
                "defaults = { assignee = \"$someone\" }",
            ),
            "unknown value `$someone`",
        ),
        (broken("[fields]\n", "colour = 1\n[fields]\n"), "unknown field `colour`"),
        (
            broken("[incident]\nstates", "[incident]\nstate"),
            "unknown field `state`, expected one of `states`",
        ),
        (broken("needs_ci = true\n\n", "needs_ci = \"yes\"\n\n"), "invalid type"),
        (broken("[problem]", "[problem"), "unclosed table"),
        (
            broken("[fields]\n", "[fields]\nmood = [\"happy\"]\n"),
            "`mood` is not an enumerated field",
        ),
        (
            broken(
                "types = [\"standard\", \"normal\", \"emergency\"]",
                "types = [\"standard\", \"normal\"]",
            ),
            "for `emergency` changes, which `types` does not list",
        ),
    ];
    for (src, expected) in cases {
        let e = Lifecycles::load(&src, "my.toml").map(|_| ()).expect_err(expected);
        assert!(e.message.contains(expected), "expected {expected:?}, got {e}");
        assert!(e.line >= 1);
    }
}

#[test]
fn a_missing_kind_is_refused() {
    let cut = DEFAULT_SOURCE.find("# ----").map(|i| {
        let rest = &DEFAULT_SOURCE[i..];
        let end = rest[4..].find("# ----").map_or(rest.len(), |j| j + 4);
        DEFAULT_SOURCE.replacen(&rest[..end], "", 1)
    });
    let e = load_err(&cut.expect("sections"));
    assert_eq!(e.message, "no lifecycle for `incident`: add a [incident] table");
}

#[test]
fn milestones_follow_assignment_resolution_and_reopening() {
    use crate::domain::kpi::Milestones;
    let l = Lifecycles::builtin();
    let lifecycle = l.get(Kind::Incident);
    let a = actor("alice", &[Role::Agent]);
    let o = ops();
    let mut m = Milestones::default();
    let mut t = ticket(Kind::Incident, "new", "zed");
    type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>, i64);
    let steps: [Step; 6] = [
        ("assign", &[("assignee", "bob")], None, 1),
        ("assign", &[("assignee", "carol")], None, 2),
        (
            "resolve",
            &[("resolution_code", "fixed"), ("resolution_note", "rebooted")],
            None,
            3,
        ),
        ("reopen", &[], Some("back again"), 4),
        (
            "resolve",
            &[("resolution_code", "fixed"), ("resolution_note", "replaced")],
            None,
            5,
        ),
        ("close", &[], None, 6),
    ];
    for (name, inputs, note, hour) in steps {
        let c = Context {
            now: now() + chrono::Duration::hours(hour),
            ..ctx(&a, &o, 1)
        };
        let out = rules::apply_transition(&l, &t, name, &f(inputs), note, &c).expect(name);
        m.observe(lifecycle, &out);
        t = out.ticket;
    }
    assert_eq!(m.first_assigned, Some(now() + chrono::Duration::hours(1)));
    assert_eq!(
        m.resolved,
        Some(now() + chrono::Duration::hours(5)),
        "the last resolve counts"
    );
    assert_eq!((m.resolves, m.reopens, m.reassignments), (2, 1, 1));
}
