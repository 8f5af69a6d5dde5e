//! The command line: one subcommand per action of the desk, each a twin of a TUI action.
//! Exit codes: 0 done, 1 refused or failed (the reason on stderr, nothing written),
//! 2 the command line itself is wrong.

mod audit;
mod changes;
mod cmdb;
mod copy;
mod format;
mod import;
mod inbox;
mod json_listing;
mod mail;
mod operators;
mod policy;
mod report;
mod setup;
mod tickets;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Paths};
use crate::desk::Sharing;
use crate::desk::{Desk, DeskError, Identity};

const EXAMPLES: &str = "\
Examples:
  opsdesk init                                   create your desk (you become its admin)
  opsdesk new incident --title 'Mail is down' --impact 1 --urgency 1
  opsdesk list --open --mine
  opsdesk move INC-1 resolve --field resolution_code=fixed --field resolution_note='Restarted postfix'
  opsdesk show INC-1 --json | jq .state

You act as your OS account. An admin of the desk may act as another operator with --user
(both are recorded); anyone else is refused.

Environment:
  OPSDESK_DB          the desk file (like --db)
  OPSDESK_USER        the operator to act as (like --user; admins only)
  OPSDESK_CONFIG_DIR  where config.toml is read from
  OPSDESK_DATA_DIR    where the default desk lives";

/// opsdesk: a service desk that lives in the terminal.
///
/// Incidents, service requests, problems and changes move through their ITIL lifecycles on a
/// desk that is one SQLite file, shared safely by the operators of one host. Every action of
/// the desk is a command here; with no command, opsdesk opens the desk.
#[derive(Debug, Parser)]
#[command(name = "opsdesk", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// The desk file [default: desk.db in the data folder; `opsdesk paths` shows it].
    #[arg(long, env = "OPSDESK_DB", global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Act as this operator instead of your OS account: for an admin of the desk only, and
    /// recorded as both [default: config.toml's `user`, else yourself].
    #[arg(long, env = "OPSDESK_USER", global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Print JSON for scripts instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a desk file (or say that it exists).
    #[command(after_help = "Examples:\n  opsdesk init\n  opsdesk init --db /srv/desk/team.db --shared")]
    Init {
        /// Make the file readable and writable by its Unix group (0660), for a team.
        #[arg(long)]
        shared: bool,
    },
    #[command(flatten)]
    Ticket(tickets::TicketCommand),
    #[command(flatten)]
    Conversation(mail::ConversationCommand),
    /// What the desk told you about: tickets given to you, mentions of @you, breaches on
    /// yours; read and unread.
    Inbox(inbox::InboxArgs),
    /// The desk's mail: its transport, the outbox, delivering it.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// The mail the desk sends by itself on the events its policy names ([notify]).
    #[command(subcommand)]
    Notify(mail::NotifyCommand),
    /// Configuration items: add, relate, show, list.
    #[command(subcommand)]
    Ci(cmdb::CiCommand),
    /// Operators and their roles.
    #[command(subcommand)]
    Operator(operators::OperatorCommand),
    /// The desk's policy: its lifecycles, priority matrix, SLA policy and intake rules, the
    /// same for every operator. Admins change it; every version is kept in the audit trail.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Freeze windows: periods in which normal and standard changes are not approved.
    #[command(subcommand)]
    Freeze(changes::FreezeCommand),
    /// The change schedule.
    #[command(subcommand)]
    Change(changes::ChangeCommand),
    /// Explore opsdesk on a throwaway demo desk: a small organisation's services and ~300
    /// tickets of every kind and state. The desk is deleted on exit unless --db names one.
    #[command(after_help = "Examples:\n  opsdesk demo\n  opsdesk demo --db /tmp/demo.db     # keep it afterwards")]
    Demo,
    /// KPIs from the timeline: MTTA, MTTR, SLA compliance, backlog, reopen and first-time-fix
    /// rates, change success, incidents per CI; over tickets created in the period.
    #[command(after_help = "Examples:
  opsdesk report
  opsdesk report --since 2026-01-01 --until 2026-07-01 --by team
  opsdesk report --by priority --json")]
    Report(report::ReportArgs),
    /// Import another tool's tickets from CSV or JSON lines, through a mapping file. Rows
    /// that cannot be taken are listed with their line and why; the rest go in. Running it
    /// again changes nothing; a run cut short resumes where it stopped. Needs the admin role.
    #[command(after_help = "Examples:
  opsdesk import incident_event_log.csv --mapping assets/mappings/servicenow-incident-events.toml
  opsdesk import tickets.jsonl --mapping mine.toml --dry-run
  opsdesk import tickets.csv -m mine.toml --json | jq '.rejected'")]
    Import(import::ImportArgs),
    /// Every ticket with its whole timeline as JSON lines (or the tickets alone as CSV),
    /// oldest first, on standard output. `opsdesk import FILE` (no mapping) restores a JSON
    /// lines export into a desk as it was.
    #[command(after_help = "Examples:
  opsdesk export > desk.jsonl
  opsdesk --db new.db import desk.jsonl
  opsdesk export --format csv --kind incident > incidents.csv")]
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: FormatArg,
        /// Only tickets of this kind.
        #[arg(long)]
        kind: Option<crate::domain::Kind>,
    },
    /// SLA escalation: record every clock that has crossed 75 % or 100 % of its target
    /// since the last sweep (once each) and run the configured command for each.
    #[command(subcommand)]
    Sla(SlaCommand),
    /// Copy the desk to FILE through SQLite's online backup API, while others keep working.
    /// The copy is a desk of its own (open it with --db FILE).
    #[command(after_help = "Examples:\n  opsdesk backup /srv/backups/desk-$(date +%F).db")]
    Backup { file: PathBuf },
    /// Copy the whole desk, its history with its hashes, to a new desk file or an empty
    /// database on a PostgreSQL server (either way round); both chains are checked after.
    #[command(after_help = "Examples:
  opsdesk copy --to postgresql://opsdesk@db.example.com/desk   # move a desk onto a server
  OPSDESK_DB=postgresql://opsdesk@db.example.com/desk opsdesk copy --to desk-$(date +%F).db")]
    Copy {
        /// A new desk file, or the URL of an empty database.
        #[arg(long, value_name = "DEST")]
        to: String,
    },
    /// Take tickets from other tools: Prometheus Alertmanager's webhook payloads, and mail.
    #[command(subcommand)]
    Ingest(IngestCommand),
    /// Check the timeline: every event carries a hash of the one before it, so a row changed
    /// or removed by hand (with sqlite3, say) breaks the chain. Exit 1 names the first broken
    /// link.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print where the default desk and the configuration are.
    #[command(after_help = "Example:\n  opsdesk paths")]
    Paths,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Record the escalations due now and run `sla.command` of config.toml for each. The
    /// terminal desk sweeps by itself while it runs; run this from cron for a desk nobody
    /// has open. A failing command is reported and noted in the ticket's timeline; the
    /// sweep still counts as done (exit 0).
    #[command(after_help = "Examples:
  opsdesk sla sweep
  */5 * * * *  opsdesk --db /srv/desk/team.db sla sweep --json >> /var/log/opsdesk-sla.log")]
    Sweep,
}

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Read Alertmanager webhook payloads (version 4) on standard input. A firing alert opens
    /// an incident, or counts an occurrence on the open incident it opened before; a resolved
    /// alert adds a work note, and resolves the incident when config.toml's
    /// [ingest.alertmanager] says `resolve = true`. Labels name the CIs (`service`, `instance`)
    /// and give impact and urgency (`severity`). All of the input is taken, or none of it.
    ///
    /// With --listen, serve the same as an HTTP webhook receiver that Alertmanager posts to
    /// (`webhook_configs: - url: http://ADDR/` with `http_config.authorization.credentials` set
    /// to the secret of [ingest.alertmanager], or OPSDESK_INGEST_SECRET).
    #[command(after_help = "Examples:
  opsdesk ingest alertmanager < payload.json
  opsdesk ingest alertmanager --json < payloads.jsonl
  OPSDESK_INGEST_SECRET=$(cat ~/.am-secret) opsdesk ingest alertmanager --listen 127.0.0.1:9095")]
    Alertmanager {
        /// Serve HTTP on this address (host:port) instead of reading standard input.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Read one mail message (RFC 5322) on standard input, as procmail, fetchmail or a
    /// .forward pipe hands it over. A new message opens a request (an incident with `kind =
    /// "incident"` under the policy's [ingest.mail]) whose requester is the sender; a reply
    /// whose subject names a ticket, as `Re: [INC-42] ...`, becomes a comment on it when it
    /// comes from the ticket's requester or an operator's address, and otherwise the sender's
    /// own request, linked to that ticket (or is refused: `strangers = "refuse"`). Attachments
    /// are listed.
    /// The same Message-ID twice is taken once. A message that cannot be taken exits 1 and
    /// writes nothing, so the mailer keeps it.
    #[command(after_help = "Examples:
  opsdesk ingest mail < message.eml
  # ~/.procmailrc
  :0 w
  | opsdesk --db /srv/desk/team.db ingest mail")]
    Mail,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain. Note the head it prints somewhere safe: `--expect HEAD` later
    /// also shows that no event up to that one was removed or rewritten since.
    #[command(after_help = "Examples:
  opsdesk audit verify
  opsdesk audit verify --expect 3f9a...c2   # a head printed by an earlier run
  opsdesk audit verify --json | jq -r .head.hash >> ~/desk-heads.log")]
    Verify {
        /// A head printed by an earlier `audit verify` (64 hex digits).
        #[arg(long, value_name = "HASH")]
        expect: Option<String>,
    },
}

/// A failure the user should read: a message and the exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl From<DeskError> for Failure {
    fn from(e: DeskError) -> Self {
        let mut message = e.to_string();
        if let DeskError::Refused(crate::domain::Refusal::Missing { .. }) = e {
            message.push_str(" (give fields with --field NAME=VALUE and the note with --note TEXT)");
        }
        Failure { message, code: 1 }
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure {
            message: e.to_string(),
            code: 1,
        }
    }
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

/// What a command prints on success.
pub struct Output(pub String);

impl Output {
    pub fn json<T: serde::Serialize>(value: &T) -> Result<Output, Failure> {
        serde_json::to_string_pretty(value)
            .map(|json| Output(crate::text::json_safe(json) + "\n"))
            .map_err(|e| Failure::new(format!("cannot write JSON: {e}")))
    }
}

/// The OS account this process runs as (its effective user id's name in the password
/// database; `uid1000` for an id without one). Never an environment variable: identity is
/// not a setting.
pub fn os_account() -> String {
    if let Some(name) = whoami::username().ok().map(|u| u.trim().to_string())
        && crate::domain::operator::valid_operator_name(&name).is_ok()
    {
        return name;
    }
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| std::os::unix::fs::MetadataExt::uid(&m));
    format!("uid{uid}")
}

/// Who is acting: the OS account, as `--user`, `OPSDESK_USER` or config.toml's `user` when
/// one is given (which the desk allows an admin alone).
fn identity(cli: &Cli, config: &Config) -> Identity {
    let act_as = cli
        .user
        .clone()
        .or_else(|| config.user.clone())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    Identity {
        account: os_account(),
        act_as,
    }
}

/// Opens the desk a command works on. A desk named explicitly must exist (a typo must not
/// silently start an empty desk); the default desk is created on first use. What the desk
/// has to say about how it was opened goes to standard error, unless the terminal desk will
/// show it.
pub fn open_desk(cli: &Cli, paths: &Paths, config: Config) -> Result<Desk, Failure> {
    let id = identity(cli, &config);
    let mut desk = match &cli.db {
        Some(path) => Desk::open_as(path, &id, config)?,
        None => {
            let (mut desk, fresh) = Desk::create_as(paths.default_desk(), &id, config, Sharing::Private)?;
            if fresh {
                // Said where it will be read: on the terminal desk's status line, or on
                // standard error before a command's output.
                let text = format!("created your desk at {} (you are its admin)", desk.place().shown());
                desk.notify(text);
            }
            desk
        }
    };
    if cli.command.is_some() {
        for n in desk.take_notices() {
            eprintln!("opsdesk: {}", crate::text::inert(&n, false));
        }
    }
    Ok(desk)
}

/// Runs the parsed command line; returns what to print or why it failed.
pub fn run(cli: Cli) -> Result<Output, Failure> {
    let paths = Paths::discover()?;
    let config = Config::load(&paths)?;
    match &cli.command {
        Some(Command::Init { shared }) => setup::init(&cli, &paths, config, *shared),
        Some(Command::Demo) => setup::demo(&cli, config),
        Some(Command::Report(args)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            report::run(&mut desk, args, cli.json)
        }
        Some(Command::Import(args)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            import::run(&mut desk, args, cli.json)
        }
        Some(Command::Export { format, kind }) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            let format = match format {
                FormatArg::Jsonl => crate::desk::ExportFormat::Jsonl,
                FormatArg::Csv => crate::desk::ExportFormat::Csv,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            desk.export(format, *kind, &mut out)?;
            Ok(Output(String::new()))
        }
        Some(Command::Sla(SlaCommand::Sweep)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            let report = desk.sweep_and_escalate(chrono::Utc::now())?;
            if cli.json {
                return Output::json(&report);
            }
            let mut out = String::new();
            for e in &report.escalations {
                out.push_str(&format!(
                    "{} {} {} — {}\n",
                    e.id,
                    crate::present::clock_name(e.clock),
                    e.level.replace('_', " "),
                    crate::text::clip(&crate::text::inert(&e.title, false), 60)
                ));
            }
            for (id, why) in &report.failures {
                eprintln!(
                    "opsdesk: escalation command for {id} failed: {}",
                    crate::text::inert(why, false)
                );
            }
            if report.escalations.is_empty() {
                out.push_str("no escalation due\n");
            }
            Ok(Output(out))
        }
        Some(Command::Ingest(IngestCommand::Alertmanager { listen: Some(addr) })) => {
            let from_env = std::env::var("OPSDESK_INGEST_SECRET")
                .ok()
                .filter(|s| !s.trim().is_empty());
            let secret = from_env
                .map(|s| crate::config::check_secret(&s, "OPSDESK_INGEST_SECRET", 0))
                .transpose()?
                .or_else(|| config.ingest_secret.clone())
                .ok_or_else(|| {
                    Failure::new(
                        "--listen needs a shared secret: set `secret` under [ingest.alertmanager] in config.toml \
                         (or OPSDESK_INGEST_SECRET), and the same in Alertmanager's \
                         http_config.authorization.credentials",
                    )
                })?;
            let mut desk = open_desk(&cli, &paths, config)?;
            crate::ingest::listen::serve(&mut desk, addr, &secret, |bound| {
                eprintln!("opsdesk: listening on http://{bound} for Alertmanager webhooks (version 4)");
            })
            .map_err(Failure::new)?;
            Ok(Output(String::new()))
        }
        Some(Command::Ingest(IngestCommand::Alertmanager { listen: None })) => {
            let bytes = read_stdin(crate::ingest::alertmanager::MAX_BYTES)?;
            let payloads =
                crate::ingest::alertmanager::parse(&bytes).map_err(|e| Failure::new(format!("standard input: {e}")))?;
            let mut desk = open_desk(&cli, &paths, config)?;
            let report = desk.ingest_alertmanager(&payloads)?;
            if cli.json {
                return Output::json(&report);
            }
            Ok(Output(alert_report(&report)))
        }
        Some(Command::Ingest(IngestCommand::Mail)) => {
            let bytes = read_stdin(crate::ingest::mail::MAX_BYTES)?;
            let mail = crate::ingest::mail::parse(&bytes).map_err(|e| Failure::new(format!("standard input: {e}")))?;
            let mut desk = open_desk(&cli, &paths, config)?;
            let out = desk.ingest_mail(&mail)?;
            if cli.json {
                return Output::json(&out);
            }
            Ok(Output(mail::intake_text(&out, &mail.sender())))
        }
        Some(Command::Audit(AuditCommand::Verify { expect })) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            audit::run(&mut desk, expect.as_deref(), cli.json)
        }
        Some(Command::Backup { file }) => {
            let desk = open_desk(&cli, &paths, config)?;
            desk.backup(file)?;
            Ok(Output(format!(
                "backed up {} to {}\n",
                desk.place().shown(),
                file.display()
            )))
        }
        Some(Command::Copy { to }) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            copy::run(&mut desk, to, cli.json)
        }
        Some(Command::Paths) => Ok(Output(format!(
            "desk        {}\nconfig      {}\npolicy      kept in the desk (opsdesk policy show)\n",
            cli.db.clone().unwrap_or_else(|| paths.default_desk()).display(),
            paths.config_file().display(),
        ))),
        Some(Command::Ticket(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            tickets::run(&mut desk, cmd, cli.json)
        }
        Some(Command::Conversation(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            mail::run_conversation(&mut desk, cmd, cli.json)
        }
        Some(Command::Inbox(args)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            inbox::run(&mut desk, args, cli.json)
        }
        Some(Command::Mail(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            mail::run(&mut desk, cmd, cli.json)
        }
        Some(Command::Notify(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            mail::run_notify(&mut desk, cmd, cli.json)
        }
        Some(Command::Ci(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            cmdb::run(&mut desk, cmd, cli.json)
        }
        Some(Command::Freeze(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            changes::run_freeze(&mut desk, cmd, cli.json)
        }
        Some(Command::Change(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            changes::run_change(&mut desk, cmd, cli.json)
        }
        Some(Command::Operator(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            operators::run(&mut desk, cmd, cli.json)
        }
        Some(Command::Policy(cmd)) => {
            let mut desk = open_desk(&cli, &paths, config)?;
            policy::run(&mut desk, cmd, cli.json)
        }
        None => {
            let mut desk = open_desk(&cli, &paths, config)?;
            // The desk in the terminal; when output goes to a pipe or a file, a summary instead.
            if std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::io::IsTerminal::is_terminal(&std::io::stdin())
            {
                crate::tui::run(desk).map_err(Failure::new)?;
                Ok(Output(String::new()))
            } else {
                tickets::overview(&mut desk)
            }
        }
    }
}

/// Standard input, up to one byte more than `max` (so the parser can say it was too large).
pub(super) fn read_stdin(max: usize) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::io::stdin().lock(), max as u64 + 1),
        &mut bytes,
    )
    .map_err(|e| Failure::new(format!("cannot read standard input: {e}")))?;
    Ok(bytes)
}

fn alert_report(r: &crate::desk::AlertReport) -> String {
    use crate::desk::AlertAction;
    let mut out = String::new();
    for o in &r.outcomes {
        let id = o.ticket.map(|t| t.to_string()).unwrap_or_default();
        let alert = crate::text::inert(&o.alert, false);
        let line = match &o.action {
            AlertAction::Opened => format!("{id} opened for {alert} ({})", o.fingerprint),
            AlertAction::Occurrence => format!("{id}: {alert} fired again ({} times)", o.occurrences),
            AlertAction::Noted => format!("{id}: {alert} resolved (work note added)"),
            AlertAction::Resolved => format!("{id}: {alert} resolved; so is {id}"),
            AlertAction::NotResolved(why) => {
                format!("{id}: {alert} resolved (work note added); {id} stays open: {why}")
            }
            AlertAction::NoIncident => format!("{alert} ({}) resolved: no open incident of its own", o.fingerprint),
        };
        out.push_str(&crate::text::inert(&line, false));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} alert{}: {} opened, {} occurrence{}, {} resolved\n",
        r.alerts,
        if r.alerts == 1 { "" } else { "s" },
        r.opened,
        r.occurrences,
        if r.occurrences == 1 { "" } else { "s" },
        r.resolved
    ));
    out
}

/// Prints to stdout through the one sanitiser, whatever the command put together (its text
/// from the desk was made inert already; this is the edge nothing passes around); a closed
/// pipe (`opsdesk list | head`) is not an error.
pub fn print(out: &Output) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(crate::text::inert(&out.0, true).as_bytes());
    let _ = stdout.flush();
}

/// A date or time typed on the command line (`2026-12-01`, `2026-12-01 18:00` in the
/// operator's zone, or RFC 3339), for option `--{what}`.
pub fn parse_day(s: &str, what: &str) -> Result<chrono::DateTime<chrono::Utc>, Failure> {
    let offset = chrono::Offset::fix(chrono::Local::now().offset());
    crate::domain::rules::parse_time(s.trim(), offset)
        .ok_or_else(|| Failure::new(format!("--{what} `{s}` is not a date: use e.g. 2026-12-01")))
}

/// The operator's zone, in which times are shown and read.
pub fn local_zone() -> chrono::FixedOffset {
    chrono::Offset::fix(chrono::Local::now().offset())
}

/// `2026-12-01 18:00` in the operator's zone.
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
}

/// Parses `NAME=VALUE` for `--field` and `--attr`.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_ascii_lowercase(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}
