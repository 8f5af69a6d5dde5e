use super::*;
use chrono::{DateTime, TimeZone, Utc};

fn parse(text: &str) -> Result<Mapping, MappingError> {
    Mapping::parse(text, "m.toml", &Lifecycles::builtin())
}

const BASE: &str = "source = \"x\"\nkind = \"incident\"\nkey = \"id\"\n[fields]\ntitle = \"subject\"\n";

#[test]
fn the_shipped_servicenow_mapping_is_valid() {
    let m = parse(include_str!("../../../assets/mappings/servicenow-incident-events.toml")).expect("valid");
    assert!(m.event_log);
    assert_eq!(m.kind, Kind::Incident);
    assert_eq!(
        m.time("29/2/2016 01:16").ok(),
        Utc.with_ymd_and_hms(2016, 2, 29, 1, 16, 0).single()
    );
}

#[test]
fn the_shipped_change_log_mapping_is_valid() {
    let m = parse(include_str!("../../../assets/mappings/generic-change-log.toml")).expect("valid");
    assert_eq!(m.kind, Kind::Change);
    assert_eq!(m.history, History::AsRecorded);
    assert_eq!(m.relations.len(), 1);
    assert_eq!(m.zero_window, Some(chrono::Duration::hours(1)));
    assert_eq!(
        m.time("2019-03-09 22:05:00").ok(),
        Utc.with_ymd_and_hms(2019, 3, 9, 22, 5, 0).single()
    );
}

#[test]
fn the_readmes_jira_time_format_reads_jira_times() {
    let m = parse(&BASE.replace("[fields]", "[time]\nformats = [\"%d/%b/%y %I:%M %p\"]\n[fields]")).expect("valid");
    assert_eq!(
        m.time("01/Mar/23 9:15 PM").ok(),
        Utc.with_ymd_and_hms(2023, 3, 1, 21, 15, 0).single()
    );
}

#[test]
fn a_value_from_the_first_of_several_columns_that_has_one() {
    let m = parse(&format!("{BASE}assignee = {{ columns = [\"a\", \"b\"] }}\n")).expect("valid");
    let v = &m.fields["assignee"];
    let slot = |c: &str| m.columns.iter().position(|x| x == c).expect("slot");
    let mut cells = vec![None; m.columns.len()];
    cells[slot("b")] = Some("Resolver 7".to_string());
    assert_eq!(
        v.get(&cells),
        Ok(Some("resolver-7".to_string())),
        "the second, as a person"
    );
    cells[slot("a")] = Some("Ann".to_string());
    assert_eq!(v.get(&cells), Ok(Some("ann".to_string())), "the first wins");
    assert_eq!(v.get(&vec![None; m.columns.len()]), Ok(None));
}

#[test]
fn values_map_and_unknown_values_are_named() {
    let m = parse(&format!(
        "{BASE}state = {{ column = \"st\", values = {{ Open = \"new\", Working = \"assigned\" }} }}\n"
    ))
    .expect("valid");
    let state = &m.fields["state"];
    let slot = m.columns.iter().position(|c| c == "st").expect("slot");
    let mut cells = vec![None; m.columns.len()];
    cells[slot] = Some("Working".to_string());
    assert_eq!(state.get(&cells), Ok(Some("assigned".into())));
    cells[slot] = Some("-100".to_string());
    let e = state.get(&cells).expect_err("unmapped");
    assert_eq!(
        e.to_string(),
        "fields.state `-100` is not one of the mapped values (Open, Working)"
    );
    cells[slot] = None;
    assert_eq!(state.get(&cells), Ok(None), "missing stays missing");
}

#[test]
fn templates_fill_columns_and_keep_braces() {
    let m = parse(
        "source = \"x\"\nkind = \"incident\"\nkey = \"id\"\n[fields]\ntitle = { template = \"{a} / {b} {{x}}\" }\n",
    )
    .expect("valid");
    let mut cells = vec![None; m.columns.len()];
    cells[1] = Some("Printer".into());
    cells[2] = Some("jam".into());
    assert_eq!(m.fields["title"].get(&cells), Ok(Some("Printer / jam {x}".into())));
    let none = vec![None; m.columns.len()];
    assert_eq!(m.fields["title"].get(&none), Ok(None), "nothing filled: no title");
    let mut first_missing = none.clone();
    first_missing[2] = Some("jam".into());
    assert_eq!(m.fields["title"].get(&first_missing), Ok(Some("jam {x}".into())));
    let mut last_missing = none;
    last_missing[1] = Some("Printer".into());
    assert_eq!(
        m.fields["title"].get(&last_missing),
        Ok(Some("Printer".into())),
        "no dangling separator"
    );
}

#[test]
fn people_become_operator_names() {
    assert_eq!(person_name("Resolver 17").as_deref(), Some("resolver-17"));
    assert_eq!(person_name("  Opened by  8 ").as_deref(), Some("opened-by-8"));
    assert_eq!(person_name("Zoë O'Brien").as_deref(), Some("zoë-o-brien"));
    assert_eq!(person_name("?!"), None);
    let long = "a".repeat(100);
    assert_eq!(person_name(&long).map(|n| n.len()), Some(64));
}

#[test]
fn mistakes_name_the_file_and_key() {
    let cases = [
        (format!("bogus = 1\n{BASE}"), "unknown field `bogus`"),
        (BASE.replace("incident", "ticket"), "kind: `ticket` is not"),
        (format!("{BASE}mood = \"m\"\n"), "fields.mood: `mood` is not a field"),
        (
            format!("{BASE}root_cause = \"m\"\n"),
            "a incident has no field `root_cause`",
        ),
        (
            format!("{BASE}state = {{ column = \"s\", values = {{ A = \"working\" }} }}\n"),
            "fields.state: `working` is not a state of incident",
        ),
        (
            format!("{BASE}impact = {{ column = \"s\", values = {{ High = \"0\" }} }}\n"),
            "fields.impact: `0` is not 1, 2 or 3",
        ),
        (
            format!("{BASE}resolution_code = {{ value = \"magic\" }}\n"),
            "fields.resolution_code: `magic` is not fixed, workaround",
        ),
        (
            format!("{BASE}team = {{ column = \"a\", value = \"b\" }}\n"),
            "fields.team: give exactly one of column, columns (a non-empty list), template or value",
        ),
        (format!("{BASE}team = {{ template = \"{{a\" }}\n"), "is not closed"),
        (
            format!("{BASE}priority = \"p\"\n"),
            "fields.priority: map the source's priorities",
        ),
        (
            BASE.replace("[fields]\ntitle = \"subject\"\n", "[fields]\n"),
            "fields.title is missing",
        ),
        (format!("event_log = true\n{BASE}"), "event_log = true needs time.at"),
        (
            format!("ci_class = \"toaster\"\n{BASE}"),
            "ci_class: unknown CI class `toaster`",
        ),
        (
            format!("ci_class = {{ column = \"type\", values = {{ Box = \"toaster\" }} }}\n{BASE}"),
            "ci_class: unknown CI class `toaster`",
        ),
        (
            format!("{BASE}team = {{ columns = [] }}\n"),
            "columns (a non-empty list)",
        ),
        (
            format!("history = \"as-is\"\n{BASE}"),
            "history: `as-is` is not \"rules\"",
        ),
        (
            format!("{BASE}[time.moves]\nteleport = \"at\"\n"),
            "time.moves.teleport: the incident lifecycle has no move `teleport`",
        ),
        (
            format!("{BASE}[time]\nzero_window = \"soon\"\n"),
            "time.zero_window: `soon` is not a time span",
        ),
        (
            format!("cis = \"ci\"\n{BASE}[[relations]]\nrelation = \"loves\"\nto = \"parent\"\n"),
            "relations[0].relation:",
        ),
        (
            format!("{BASE}[[relations]]\nrelation = \"depends_on\"\nto = \"parent\"\n"),
            "relations[0]: without `from`, a relation starts at the row's CI, and the mapping has no `cis`",
        ),
    ];
    for (text, want) in cases {
        let e = parse(&text).expect_err(want).to_string();
        assert!(e.starts_with("m.toml: "), "{e}");
        assert!(e.contains(want), "{want:?} not in {e}");
    }
    let zone =
        "source = \"x\"\nkind = \"incident\"\nkey = \"id\"\n[time]\nzone = \"Mars/Base\"\n[fields]\ntitle = \"t\"\n";
    assert!(
        parse(zone)
            .expect_err("zone")
            .to_string()
            .contains("time.zone: `Mars/Base`")
    );
    let fmt =
        "source = \"x\"\nkind = \"incident\"\nkey = \"id\"\n[time]\nformats = [\"%Q\"]\n[fields]\ntitle = \"t\"\n";
    assert!(
        parse(fmt)
            .expect_err("format")
            .to_string()
            .contains("time.formats: `%Q`")
    );
}

fn with_time(time: &str) -> Mapping {
    parse(&format!(
        "source = \"x\"\nkind = \"incident\"\nkey = \"id\"\n[time]\n{time}\n[fields]\ntitle = \"t\"\n"
    ))
    .expect("valid")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("time")
}

#[test]
fn an_offset_in_the_cell_is_the_cells_own_and_wins_over_the_zone() {
    let m = with_time("formats = [\"%Y-%m-%d %H:%M:%S%:z\", \"%d/%m/%Y %H:%M\"]\nzone = \"America/New_York\"");
    assert_eq!(m.time("2010-01-13 08:40:25+02:00"), Ok(utc(2010, 1, 13, 6, 40, 25)));
    assert_eq!(m.time("2010-01-13 08:40:25-05:30"), Ok(utc(2010, 1, 13, 14, 10, 25)));
    // Without an offset the mapping's zone says (New York is UTC-5 in January).
    assert_eq!(m.time("13/01/2010 08:40"), Ok(utc(2010, 1, 13, 13, 40, 0)));
    // RFC 3339 always reads, with its offset.
    assert_eq!(m.time("2013-11-12T09:13:00.000+01:00"), Ok(utc(2013, 11, 12, 8, 13, 0)));
    assert_eq!(m.time("yesterday"), Err(TimeError::NotATime));
}

#[test]
fn a_local_time_the_clocks_skipped_is_refused_and_a_doubled_one_is_the_first() {
    let m = with_time("formats = [\"%Y-%m-%d %H:%M\"]\nzone = \"Europe/Berlin\"");
    // 2021-03-28 02:30 never happened in Berlin: at 02:00 the clocks went to 03:00.
    assert_eq!(
        m.time("2021-03-28 02:30"),
        Err(TimeError::Skipped("Europe/Berlin".into()))
    );
    // 2021-10-31 02:30 happened twice: first in summer time (UTC+2), then in winter time.
    assert_eq!(m.time("2021-10-31 02:30"), Ok(utc(2021, 10, 31, 0, 30, 0)));
    assert_eq!(m.time("2021-10-31 03:30"), Ok(utc(2021, 10, 31, 2, 30, 0)));
}

#[test]
fn the_format_readmes_example_is_a_valid_mapping() {
    let readme = include_str!("../../../assets/mappings/README.md");
    let start = readme.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + readme[start..].find("```").expect("its end");
    parse(&readme[start..end]).unwrap_or_else(|e| panic!("the README's example: {e}"));
}
