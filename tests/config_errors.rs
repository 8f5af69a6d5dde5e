//! A bad configuration file is a clear error naming the file, the line and the key, and
//! nothing runs: one test per kind of mistake (as bottom does), each through the real binary.

mod common;

use common::Env;

/// Writes `text` as `file` in the config folder, runs `opsdesk list` and returns what it
/// said after `opsdesk: <path>:`, having checked it failed with exit 1 and wrote nothing.
fn mistake(file: &str, text: &[u8]) -> String {
    let env = Env::new();
    let before = env.snapshot();
    std::fs::create_dir_all(env.config_dir()).expect("config dir");
    let path = env.config_dir().join(file);
    std::fs::write(&path, text).expect("write");
    let err = env.fails(&["list"], 1);
    assert_eq!(env.snapshot(), before, "a bad {file} wrote to the desk");
    let prefix = format!("opsdesk: {}:", path.display());
    err.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("the file is named first: {err}"))
        .trim_end()
        .to_string()
}

fn config(text: &str) -> String {
    mistake("config.toml", text.as_bytes())
}

/// The desk's policy as shipped, as `opsdesk policy show` prints it.
fn shipped_policy() -> String {
    Env::new().ok(&["policy", "show"])
}

/// Applies `text` as the desk's policy, expecting a refusal that names the file: returns
/// what it said after `opsdesk: <path>:`, having checked it exited 1 and wrote nothing.
fn policy(text: &str) -> String {
    let env = Env::new();
    let before = env.snapshot();
    let path = env.dir.path().join("policy.toml");
    std::fs::write(&path, text).expect("write");
    let err = env.fails(&["policy", "apply", &path.display().to_string()], 1);
    assert_eq!(env.snapshot(), before, "a bad policy wrote to the desk");
    let prefix = format!("opsdesk: {}:", path.display());
    err.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("the file is named first: {err}"))
        .trim_end()
        .to_string()
}

/// The shipped policy with `from` replaced by `to` once, and the line `to` starts on.
fn policy_edit(from: &str, to: &str) -> (String, usize) {
    let shipped = shipped_policy();
    let at = shipped
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} is in the shipped policy"));
    let line = shipped[..at].matches('\n').count() + 1;
    (shipped.replacen(from, to, 1), line)
}

#[test]
fn not_toml_at_all() {
    assert_eq!(
        config("user = \"bob\nmouse = true\n"),
        "1: key `user`: invalid basic string, expected `\"`"
    );
}

#[test]
fn a_misspelt_key() {
    assert_eq!(
        config("user = \"bob\"\nmosue = true\n"),
        "2: unknown field `mosue`, expected one of `user`, `priority`, `keys`, `mouse`, `theme`, `views`, `sla`, `ingest`, `hooks`"
    );
}

#[test]
fn a_value_of_the_wrong_type() {
    assert_eq!(
        config("user = \"bob\"\nmouse = \"yes\"\n"),
        "2: key `mouse`: invalid type: string \"yes\", expected a boolean"
    );
}

#[test]
fn a_key_given_twice() {
    assert_eq!(
        config("user = \"bob\"\n\nuser = \"carol\"\n"),
        "3: key `user`: duplicate key"
    );
}

#[test]
fn a_number_out_of_range() {
    assert_eq!(
        config("[[views]]\nname = \"hot\"\nkind = \"incident\"\npriority = [1, 9]\n"),
        "4: key `views.priority`: view `hot`: priority 9 is not between 1 and 5"
    );
}

#[test]
fn a_name_that_is_not_one_of_the_choices() {
    assert_eq!(
        config("[[views]]\nname = \"hot\"\nkind = \"incidnet\"\n"),
        "3: key `views.kind`: unknown variant `incidnet`, expected one of `incident`, `request`, `problem`, `change`"
    );
}

#[test]
fn a_key_bound_to_an_action_that_does_not_exist() {
    assert_eq!(
        config("mouse = false\n\n[keys]\nx = \"fly\"\n"),
        "4: key `keys.x`: `fly` (bound to `x`) is not an action of opsdesk"
    );
}

#[test]
fn a_key_name_that_is_not_a_key() {
    assert_eq!(
        config("[keys]\n\"ctrl-zz\" = \"quit\"\n"),
        "2: key `keys.ctrl-zz`: `ctrl-zz` is not a key (see assets/keymap.toml for the names)"
    );
    assert_eq!(
        config("mouse = true\n\n[keys.cmdb]\nj = \"down\"\nx = \"resolve\"\n"),
        "5: key `keys.cmdb.x`: `resolve` (bound to `x`) means nothing in the cmdb layer"
    );
    assert_eq!(
        config("[keys.sidebar]\nj = \"down\"\n"),
        "2: key `keys.sidebar.j`: `sidebar` is not a layer of keys (one of global, queue, detail, cmdb, calendar, dashboard, inbox, form, picker, prompt, confirm)"
    );
    assert_eq!(
        config("theme = \"neon\"\n"),
        "1: key `theme`: `neon` is not a theme (one of auto, full, basic, plain, ascii)"
    );
}

#[test]
fn a_priority_matrix_of_the_wrong_shape() {
    let (text, line) = policy_edit("matrix = [[1, 2, 3], [2, 3, 4], [3, 4, 5]]", "matrix = [[1, 2], [3]]");
    assert_eq!(
        policy(&text),
        format!(
            "{line}: key `priority.matrix`: the priority matrix has 3 rows (impact 1-3) of 3 priorities (urgency 1-3)"
        )
    );
}

#[test]
fn an_sla_target_that_is_not_a_time_span() {
    let (text, line) = policy_edit("[sla]\n", "[sla]\n[[sla.targets]]\npriority = 1\nown = \"soon\"\n");
    assert_eq!(
        policy(&text),
        format!(
            "{}: key `sla.targets[1].own`: `soon` is not a time span (examples: 15m, 4h, 1h30m, 3bd, 2d)",
            line + 3
        )
    );
}

#[test]
fn a_calendar_in_a_time_zone_that_does_not_exist() {
    let (text, line) = policy_edit(
        "[sla]\n",
        "[sla]\n[sla.calendars.ops]\nmonday = \"09:00-17:00\"\nzone = \"Mars/Base\"\n",
    );
    assert_eq!(
        policy(&text),
        format!(
            "{}: key `sla.calendars.ops.zone`: `Mars/Base` is not a time zone name (such as Europe/Paris or UTC)",
            line + 3
        )
    );
}

#[test]
fn a_file_that_is_not_utf8() {
    assert_eq!(
        mistake("config.toml", b"user = \"bob\"\nmouse = \"\xff\"\n"),
        "2: not UTF-8 text (byte 0xff); save the file as UTF-8"
    );
}

#[test]
fn a_config_file_that_cannot_be_read() {
    let env = Env::new();
    std::fs::create_dir_all(env.config_dir().join("config.toml")).expect("a folder in its place");
    let err = env.fails(&["list"], 1);
    assert!(err.contains("config.toml: cannot read: Is a directory"), "{err}");
}

#[test]
fn a_lifecycle_key_that_does_not_exist() {
    let (text, line) = policy_edit("[lifecycles.incident]\n", "[lifecycles.incident]\ninitial = \"new\"\n");
    assert_eq!(
        policy(&text),
        format!(
            "{}: unknown field `initial`, expected one of `states`, `final`, `resolved`, `paused`, `types`, `transition`",
            line + 1
        )
    );
}

#[test]
fn a_lifecycle_of_the_wrong_type() {
    let shipped = shipped_policy();
    let at = shipped.find("[lifecycles.").expect("lifecycles");
    let text = format!("lifecycles = 3\n{}", &shipped[..at]);
    assert_eq!(
        policy(&text),
        "1: key `lifecycles`: invalid type: integer `3`, expected a table"
    );
}

#[test]
fn a_policy_without_its_lifecycles() {
    let shipped = shipped_policy();
    let at = shipped.find("[lifecycles.").expect("lifecycles");
    assert!(policy(&shipped[..at]).contains("the policy has no [lifecycles]"));
}

#[test]
fn an_alert_level_out_of_range() {
    let (text, line) = policy_edit(
        "impact = { label = \"severity\", values = { critical = 1, page = 1, error = 2, warning = 2, info = 3, none = 3 } }",
        "impact = { label = \"severity\", values = { critical = 0 } }",
    );
    assert_eq!(
        policy(&text),
        format!("{line}: key `ingest.alertmanager.impact`: `critical` = 0: levels are 1 (high), 2 (medium) or 3 (low)")
    );
}

/// Rules left in config.toml or a lifecycles.toml from before desks kept their own are not
/// read once the desk has a policy: the command works by the desk's rules, and says so.
#[test]
fn rules_left_in_an_operators_files_are_named_and_not_read() {
    let env = Env::new();
    std::fs::create_dir_all(env.config_dir()).expect("dir");
    env.write_config("[priority]\nmatrix = [[5, 5, 5], [5, 5, 5], [5, 5, 5]]\n");
    std::fs::write(env.config_dir().join("lifecycles.toml"), "not even toml [").expect("write");
    let out = env
        .cmd()
        .args(["new", "incident", "--title", "x", "--impact", "1", "--urgency", "1"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("still hold rules that are the desk's policy now and are not read"),
        "{err}"
    );
    assert_eq!(
        env.json(&["show", "INC-1"])["priority"],
        1,
        "the desk's matrix, not the file's"
    );
}

#[test]
fn a_hook_without_a_command() {
    assert_eq!(
        config("[[hooks]]\non = [\"created\"]\ncommand = []\n"),
        "3: key `hooks[1].command`: give the program first, then its arguments"
    );
}

#[test]
fn a_hook_on_an_event_that_does_not_exist() {
    assert_eq!(
        config("[[hooks]]\non = [\"deleted\"]\ncommand = [\"notify\"]\n"),
        "2: key `hooks.on`: unknown variant `deleted`, expected one of `created`, `transition`, `assigned`, `at_risk`, `breached`"
    );
}
