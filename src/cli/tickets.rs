//! Ticket commands: new, list, show, move, assign, comment, edit, link, search.

use clap::{Args, Subcommand, ValueEnum};

use super::format;
use super::{Failure, Output, key_value};
use crate::desk::Desk;
use crate::desk::{AssigneeFilter, Filter};
use crate::domain::rules::Draft;
use crate::domain::{ChangeType, Kind, TicketId};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Incident,
    Request,
    Problem,
    Change,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Incident => Kind::Incident,
            KindArg::Request => Kind::Request,
            KindArg::Problem => Kind::Problem,
            KindArg::Change => Kind::Change,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChangeTypeArg {
    Standard,
    Normal,
    Emergency,
}

impl From<ChangeTypeArg> for ChangeType {
    fn from(t: ChangeTypeArg) -> ChangeType {
        match t {
            ChangeTypeArg::Standard => ChangeType::Standard,
            ChangeTypeArg::Normal => ChangeType::Normal,
            ChangeTypeArg::Emergency => ChangeType::Emergency,
        }
    }
}

pub(super) fn ticket_id(s: &str) -> Result<TicketId, String> {
    s.parse().map_err(|e: crate::domain::ticket::BadTicketId| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Open a ticket; prints its id.
    #[command(after_help = "Examples:
  opsdesk new incident --title 'VPN drops every 5 minutes' --impact 2 --urgency 1 --ci vpn-gw-01
  opsdesk new request --title 'Laptop for new hire' --category hardware
  opsdesk new change --type standard --title 'Rotate TLS certificates' --ci web-01 \\
      --field implementation_plan='certbot renew' --field planned_start='2026-12-01 02:00' \\
      --field planned_end='2026-12-01 02:30'")]
    New(NewArgs),
    /// List tickets, most urgent and oldest first.
    #[command(after_help = "Examples:
  opsdesk list --open
  opsdesk list --mine --kind incident
  opsdesk list --unassigned --priority 1
  opsdesk list --ci db-01 --json")]
    List(ListArgs),
    /// Show a ticket: every field, CIs, links, the moves open to you, and the whole timeline.
    #[command(after_help = "Examples:\n  opsdesk show INC-7\n  opsdesk show inc-7 --json")]
    Show {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
    },
    /// Move a ticket through its lifecycle (`opsdesk show ID` lists the moves open to you).
    #[command(after_help = "Examples:
  opsdesk move INC-7 assign
  opsdesk move INC-7 pend --field pending_reason=awaiting_vendor
  opsdesk move INC-7 resolve --field resolution_code=fixed --field resolution_note='Replaced the PSU'
  opsdesk move INC-7 reopen --note 'Still failing after reboot'
  opsdesk move CHG-3 approve --note 'CAB 2026-11-20' --expect-version 4")]
    Move {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        /// The transition, e.g. assign, pend, resolve, close, approve.
        transition: String,
        /// A field the transition needs, as NAME=VALUE (repeat for more).
        #[arg(long = "field", short = 'f', value_name = "NAME=VALUE", value_parser = key_value)]
        fields: Vec<(String, String)>,
        /// The note recorded with the move (some moves require one).
        #[arg(long)]
        note: Option<String>,
        /// With `resolve` on a problem: resolve its open incidents too, each with its own move.
        #[arg(long)]
        resolve_incidents: bool,
        #[command(flatten)]
        guard: VersionGuard,
    },
    /// Known errors (problems with a workaround), best match for TEXT first.
    #[command(after_help = "Examples:\n  opsdesk known-errors\n  opsdesk known-errors vpn drops --json")]
    KnownErrors {
        text: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Assign a ticket to an operator, or to yourself.
    #[command(after_help = "Examples:\n  opsdesk assign INC-7          # to me\n  opsdesk assign INC-7 bob")]
    Assign {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        /// The operator [default: you].
        operator: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        guard: VersionGuard,
    },
    /// Leave a ticket with nobody holding it (its state stays).
    #[command(after_help = "Examples:\n  opsdesk unassign INC-7\n  opsdesk unassign INC-7 --note 'back to the pool'")]
    Unassign {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        guard: VersionGuard,
    },
    /// Add a comment (or a work note) to a ticket. Closed tickets take comments too.
    #[command(
        after_help = "Examples:\n  opsdesk comment INC-7 'Called the user; it happens on Wi-Fi only'\n  opsdesk comment INC-7 --work-note 'Vendor case 4411'"
    )]
    Comment {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        /// The text; `-` reads it from standard input.
        text: String,
        /// An internal work note rather than a comment.
        #[arg(long)]
        work_note: bool,
    },
    /// Change fields of a ticket; a changed impact or urgency recomputes the priority.
    #[command(after_help = "Examples:
  opsdesk edit INC-7 --field impact=1 --field urgency=2
  opsdesk edit INC-7 --field title='Mail down for all of sales'
  opsdesk edit INC-7 --field priority=1 --note 'CEO cannot present'")]
    Edit {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(long = "field", short = 'f', value_name = "NAME=VALUE", value_parser = key_value, required = true)]
        fields: Vec<(String, String)>,
        /// Why (needed to override the priority).
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        guard: VersionGuard,
    },
    /// Link a ticket to another ticket or to a CI.
    #[command(after_help = "Examples:
  opsdesk link INC-7 PRB-2      # the incident is caused by the problem
  opsdesk link PRB-2 CHG-5      # the problem is fixed by the change
  opsdesk link INC-7 --ci db-01
  opsdesk link INC-8 --parent INC-7   # INC-8 is one of the incidents INC-7 stands for")]
    Link {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(value_parser = ticket_id, required_unless_present_any = ["ci", "parent"], conflicts_with_all = ["ci", "parent"])]
        other: Option<TicketId>,
        /// Link to this CI instead.
        #[arg(long, value_name = "NAME", conflicts_with = "parent")]
        ci: Option<String>,
        /// Make ID a child of this incident: resolving the parent resolves it, and the parent
        /// cannot close while it is open.
        #[arg(long, value_name = "PARENT", value_parser = ticket_id)]
        parent: Option<TicketId>,
    },
    /// Remove the link between two tickets, or between a ticket and a CI.
    #[command(after_help = "Examples:
  opsdesk unlink INC-7 PRB-2
  opsdesk unlink INC-7 --ci db-01")]
    Unlink {
        #[arg(value_parser = ticket_id)]
        id: TicketId,
        #[arg(value_parser = ticket_id, required_unless_present = "ci", conflicts_with = "ci")]
        other: Option<TicketId>,
        /// Unlink this CI instead.
        #[arg(long, value_name = "NAME")]
        ci: Option<String>,
    },
    /// Full-text search over titles, descriptions and comments, best match first.
    ///
    /// Every word must match; end a word with * to match words that start with it. A ticket id
    /// comes first. On a large desk the 2,000 most recent matches are ranked.
    #[command(after_help = "Examples:\n  opsdesk search printer jam\n  opsdesk search 'vpn time*' --limit 5 --json")]
    Search {
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Args)]
pub struct VersionGuard {
    /// Refuse unless the ticket is still at this version (as `show --json` gave it).
    #[arg(long, value_name = "N")]
    expect_version: Option<i64>,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    kind: KindArg,
    #[arg(long)]
    title: String,
    /// `-` reads it from standard input.
    #[arg(long)]
    description: Option<String>,
    /// 1 high, 2 medium, 3 low [default: 3].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    impact: Option<u8>,
    /// 1 high, 2 medium, 3 low [default: 3].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    urgency: Option<u8>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    team: Option<String>,
    /// Who asked [default: you].
    #[arg(long)]
    requester: Option<String>,
    /// Link a CI (repeat for more).
    #[arg(long = "ci", value_name = "NAME")]
    cis: Vec<String>,
    /// For a change: standard, normal or emergency [default: normal].
    #[arg(long = "type", value_enum)]
    change_type: Option<ChangeTypeArg>,
    /// Any other field, as NAME=VALUE.
    #[arg(long = "field", short = 'f', value_name = "NAME=VALUE", value_parser = key_value)]
    fields: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    #[arg(long)]
    state: Option<String>,
    /// Only tickets still being worked (not resolved, closed or cancelled).
    #[arg(long)]
    open: bool,
    /// Only tickets assigned to you.
    #[arg(long, conflicts_with_all = ["unassigned", "assignee"])]
    mine: bool,
    /// Only tickets assigned to nobody.
    #[arg(long, conflicts_with = "assignee")]
    unassigned: bool,
    #[arg(long, value_name = "OPERATOR")]
    assignee: Option<String>,
    /// 1 (critical) to 5 (planning).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
    priority: Option<u8>,
    /// Only tickets linked to this CI.
    #[arg(long, value_name = "NAME")]
    ci: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

pub(super) fn read_text(s: &str) -> Result<String, Failure> {
    if s != "-" {
        return Ok(s.to_string());
    }
    let mut buf = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf)
        .map_err(|e| Failure::new(format!("cannot read standard input: {e}")))?;
    Ok(buf)
}

pub fn run(desk: &mut Desk, cmd: &TicketCommand, json: bool) -> Result<Output, Failure> {
    match cmd {
        TicketCommand::New(a) => {
            let kind = Kind::from(a.kind);
            let mut fields = a.fields.clone();
            for (name, v) in [("category", &a.category), ("team", &a.team)] {
                if let Some(v) = v {
                    fields.push((name.into(), v.clone()));
                }
            }
            let draft = Draft {
                title: a.title.clone(),
                description: a.description.as_deref().map(read_text).transpose()?.unwrap_or_default(),
                impact: a.impact,
                urgency: a.urgency,
                requester: a.requester.clone(),
                change_type: a.change_type.map(ChangeType::from),
                fields,
            };
            let created = desk.create_ticket(kind, draft, &a.cis)?;
            for note in &created.notes {
                eprintln!("opsdesk: {}", crate::text::inert(note, false));
            }
            if json {
                return Output::json(&created.ticket);
            }
            Ok(Output(format!("{}\n", created.id)))
        }
        TicketCommand::List(a) => {
            let filter = Filter {
                kind: a.kind.map(Kind::from),
                state: a.state.clone(),
                open_only: a.open,
                assignee: if a.mine {
                    AssigneeFilter::Is(desk.user().to_string())
                } else if a.unassigned {
                    AssigneeFilter::Unassigned
                } else {
                    a.assignee.clone().map_or(AssigneeFilter::Any, AssigneeFilter::Is)
                },
                priority: a.priority,
                ci: a.ci.as_deref().map(|c| desk.ci_rowid(c)).transpose()?,
                limit: a.limit,
                after: None,
            };
            if json {
                return super::json_listing::tickets_in_key_order(|one, two| {
                    Ok(desk.list_keyed_in_two(&filter, one, two)?)
                });
            }
            let tickets = desk.list(&filter)?;
            Ok(Output(format::ticket_table(&tickets, chrono::Utc::now())))
        }
        TicketCommand::Show { id } => {
            let view = desk.ticket(*id)?;
            let suggestions = desk.suggestions(*id)?;
            if json {
                let mut v = serde_json::to_value(&view).map_err(|e| Failure::new(e.to_string()))?;
                if id.kind == Kind::Incident {
                    v["suggestions"] = serde_json::to_value(&suggestions).map_err(|e| Failure::new(e.to_string()))?;
                }
                return Output::json(&v);
            }
            let mut out = format::ticket_detail(&view, chrono::Utc::now());
            out.push_str(&format::suggestions(&suggestions));
            Ok(Output(out))
        }
        TicketCommand::KnownErrors { text, limit } => {
            let found = desk.known_errors(&text.join(" "), *limit)?;
            if json {
                return Output::json(&found);
            }
            if found.is_empty() {
                return Ok(Output("no known errors\n".into()));
            }
            let mut out = String::new();
            for k in &found {
                out.push_str(&format!(
                    "{} [{}] {}\n  root cause: {}\n  workaround: {}\n",
                    k.id,
                    k.state,
                    crate::text::inert(&k.title, false),
                    crate::text::clip(k.root_cause.as_deref().unwrap_or("-"), 100),
                    crate::text::clip(&k.workaround, 100)
                ));
            }
            Ok(Output(out))
        }
        TicketCommand::Move {
            id,
            transition,
            fields,
            note,
            resolve_incidents,
            guard,
        } => {
            if *resolve_incidents && (id.kind != Kind::Problem || transition != "resolve") {
                return Err(Failure {
                    message: "--resolve-incidents goes with `resolve` on a problem".into(),
                    code: 2,
                });
            }
            let out = desk.transition(*id, transition, fields, note.as_deref(), guard.expect_version)?;
            if id.kind == Kind::Problem && out.ticket.state == "resolved" {
                if *resolve_incidents {
                    for (inc, r) in desk.resolve_incidents_of(*id)? {
                        match r {
                            Ok(()) => eprintln!("opsdesk: {inc} resolved with {id}"),
                            Err(e) => eprintln!("opsdesk: {inc} not resolved: {}", crate::text::inert(&e, false)),
                        }
                    }
                } else {
                    let open = desk.open_incidents_of(*id)?;
                    if !open.is_empty() {
                        let ids: Vec<String> = open.iter().map(ToString::to_string).collect();
                        eprintln!(
                            "opsdesk: {id} has {} open incident(s): {}; resolve them too with: opsdesk move {id} ... --resolve-incidents, or one by one",
                            open.len(),
                            ids.join(", ")
                        );
                    }
                }
            }
            for f in &out.overrides {
                eprintln!(
                    "opsdesk: freeze window {} overridden (emergency change); recorded",
                    crate::text::inert(f, false)
                );
            }
            for note in &out.notes {
                eprintln!("opsdesk: {id} {}", crate::text::inert(note, false));
            }
            if json {
                return Output::json(&format::outcome_json(&out));
            }
            Ok(Output(format::outcome(&out)))
        }
        TicketCommand::Assign {
            id,
            operator,
            note,
            guard,
        } => {
            let out = desk.assign(*id, operator.as_deref(), note.as_deref(), guard.expect_version)?;
            if json {
                return Output::json(&format::outcome_json(&out));
            }
            Ok(Output(format::outcome(&out)))
        }
        TicketCommand::Unassign { id, note, guard } => {
            let out = desk.unassign(*id, note.as_deref(), guard.expect_version)?;
            if json {
                return Output::json(&format::outcome_json(&out));
            }
            Ok(Output(format::outcome(&out)))
        }
        TicketCommand::Comment { id, text, work_note } => {
            let text = read_text(text)?;
            let event = desk.comment(*id, &text, *work_note)?;
            if json {
                return Output::json(&serde_json::json!({ "id": id, "event": event }));
            }
            let what = if *work_note { "work note" } else { "comment" };
            Ok(Output(format!("{id}: {what} added\n")))
        }
        TicketCommand::Edit {
            id,
            fields,
            note,
            guard,
        } => {
            let out = desk.edit(*id, fields, note.as_deref(), guard.expect_version)?;
            if json {
                return Output::json(&format::outcome_json(&out));
            }
            Ok(Output(format::outcome(&out)))
        }
        TicketCommand::Link { id, other, ci, parent } => {
            let (added, what) = match (other, ci, parent) {
                (Some(other), _, _) => (desk.link_tickets(*id, *other)?, other.to_string()),
                (None, Some(ci), _) => (desk.link_ci(*id, ci)?, format!("CI {ci}")),
                (None, None, Some(p)) => (desk.link_parent(*id, *p)?, format!("parent {p}")),
                (None, None, None) => {
                    return Err(Failure {
                        message: "link to what? give OTHER-ID or --ci NAME".into(),
                        code: 2,
                    });
                }
            };
            if json {
                return Output::json(&serde_json::json!({ "id": id, "linked": what, "added": added }));
            }
            Ok(Output(if added {
                format!("{id} linked to {what}\n")
            } else {
                format!("{id} was linked to {what} already\n")
            }))
        }
        TicketCommand::Unlink { id, other, ci } => {
            let (removed, what) = match (other, ci) {
                (Some(other), _) => (desk.unlink_tickets(*id, *other)?, other.to_string()),
                (None, Some(ci)) => (desk.unlink_ci(*id, ci)?, format!("CI {ci}")),
                (None, None) => {
                    return Err(Failure {
                        message: "unlink what? give OTHER-ID or --ci NAME".into(),
                        code: 2,
                    });
                }
            };
            if json {
                return Output::json(&serde_json::json!({ "id": id, "unlinked": what, "removed": removed }));
            }
            Ok(Output(if removed {
                format!("{id} unlinked from {what}\n")
            } else {
                format!("{id} was not linked to {what}\n")
            }))
        }
        TicketCommand::Search { text, limit } => {
            let hits = desk.search(&text.join(" "), *limit)?;
            if json {
                return Output::json(&hits);
            }
            let tickets: Vec<_> = hits.into_iter().map(|h| h.ticket).collect();
            Ok(Output(format::ticket_table(&tickets, chrono::Utc::now())))
        }
    }
}

/// `opsdesk` with no command, until the terminal desk lands: where the desk is and its queue.
pub fn overview(desk: &mut Desk) -> Result<Output, Failure> {
    let filter = Filter {
        open_only: true,
        limit: 20,
        ..Filter::default()
    };
    let tickets = desk.list(&filter)?;
    let mut out = format!("desk {} · operator {}\n\n", desk.place().shown(), desk.user());
    if tickets.is_empty() {
        out.push_str(
            "No open tickets. To begin:\n  opsdesk new incident --title 'Something is broken'\n  opsdesk ci add web-01 --class server\n  opsdesk --help\n",
        );
    } else {
        out.push_str(&format::ticket_table(&tickets, chrono::Utc::now()));
        out.push_str("\nopsdesk --help lists every command.\n");
    }
    Ok(Output(out))
}
