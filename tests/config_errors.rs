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
        "2: unknown field `mosue`, expected one of `user`, `priority`, `keys`, `mouse`, `views`, `sla`, `ingest`, `hooks`"
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
}

#[test]
fn a_priority_matrix_of_the_wrong_shape() {
    assert_eq!(
        config("[priority]\nmatrix = [[1, 2], [3]]\n"),
        "2: key `priority.matrix`: the priority matrix has 3 rows (impact 1-3) of 3 priorities (urgency 1-3)"
    );
}

#[test]
fn an_sla_target_that_is_not_a_time_span() {
    assert_eq!(
        config("[[sla.targets]]\npriority = 1\nown = \"soon\"\n"),
        "3: key `sla.targets[1].own`: `soon` is not a time span (examples: 15m, 4h, 1h30m, 3bd, 2d)"
    );
}

#[test]
fn a_calendar_in_a_time_zone_that_does_not_exist() {
    assert_eq!(
        config("[sla.calendars.ops]\nmonday = \"09:00-17:00\"\nzone = \"Mars/Base\"\n"),
        "3: key `sla.calendars.ops.zone`: `Mars/Base` is not a time zone name (such as Europe/Paris or UTC)"
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
    assert_eq!(
        mistake("lifecycles.toml", b"[incident]\ninitial = \"new\"\n"),
        "2: unknown field `initial`, expected one of `states`, `final`, `resolved`, `paused`, `types`, `transition`"
    );
}

#[test]
fn a_lifecycle_of_the_wrong_type() {
    assert_eq!(
        mistake("lifecycles.toml", b"incident = 3\n"),
        "1: key `incident`: invalid type: integer `3`, expected a table"
    );
}

#[test]
fn an_alert_level_out_of_range() {
    assert_eq!(
        config("[ingest.alertmanager]\nresolve = true\nimpact = { label = \"severity\", values = { critical = 0 } }\n"),
        "3: key `ingest.alertmanager.impact`: `critical` = 0: levels are 1 (high), 2 (medium) or 3 (low)"
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
