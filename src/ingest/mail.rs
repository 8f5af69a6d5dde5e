//! One mail message (RFC 5322, MIME) as the desk takes it, read with `mail-parser`: who sent
//! it, its subject, its text (from the plain part, or from the HTML when there is none, in
//! whatever charset it came), its attachments, and the ticket its subject names, if any
//! (`Re: [INC-42] printer`).

use mail_parser::{MessageParser, MimeHeaders};

use crate::domain::TicketId;

/// The largest message taken (a mailer keeps a refused one and tries again later).
pub const MAX_BYTES: usize = 25 * 1024 * 1024;

/// The most Message-IDs of a thread read from one message.
const MAX_REFERENCES: usize = 50;

/// The most Cc addresses taken from one message.
const MAX_CC: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub message_id: Option<String>,
    pub from_name: Option<String>,
    pub from_address: String,
    pub subject: String,
    pub body: String,
    /// Name and size in bytes.
    pub attachments: Vec<(String, usize)>,
    /// The ticket the subject names, as `[INC-42]`.
    pub ticket: Option<TicketId>,
    /// The Message-IDs it answers (In-Reply-To, then References newest first): the thread
    /// it belongs to.
    pub references: Vec<String>,
    /// The addresses it was copied to (Cc).
    pub cc: Vec<String>,
    /// Why this is an automatic message (an auto-reply, a bounce, a list's mail), which
    /// the desk never takes nor answers: see [`automatic`].
    pub automatic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("no message: expected one mail message (RFC 5322)")]
    Empty,
    #[error("the message is {0} bytes; at most {MAX_BYTES} are taken")]
    TooLarge(usize),
    #[error("not a mail message: {0}")]
    NotMail(String),
}

/// The first `[KIND-N]` in a subject that is a ticket id.
pub fn ticket_in_subject(subject: &str) -> Option<TicketId> {
    subject
        .split('[')
        .skip(1)
        .filter_map(|rest| rest.split_once(']').map(|(inside, _)| inside.trim()))
        .find_map(|inside| inside.parse().ok())
}

/// The text of an HTML body. mail-parser's conversion breaks lines at `<br>` and `</p>` only,
/// so headings, list items, table rows and divisions ran into the next line ("AlertThe badge
/// reader…"); each of those now ends its line too.
fn html_text(html: &str) -> String {
    const BLOCKS: [&str; 14] = [
        "</h1>",
        "</h2>",
        "</h3>",
        "</h4>",
        "</h5>",
        "</h6>",
        "</div>",
        "</li>",
        "</tr>",
        "</td>",
        "</th>",
        "</pre>",
        "</blockquote>",
        "</table>",
    ];
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() + 64);
    let mut last = 0;
    let mut at = 0;
    while let Some(found) = lower[at..].find("</") {
        let start = at + found;
        if let Some(tag) = BLOCKS.iter().find(|t| lower[start..].starts_with(**t)) {
            out.push_str(&html[last..start]);
            out.push_str("<br>");
            last = start;
            at = start + tag.len();
        } else {
            at = start + 2;
        }
    }
    out.push_str(&html[last..]);
    mail_parser::decoders::html::html_to_text(&out)
}

/// Why a message was sent by a machine rather than a person, if it was: RFC 3834's
/// `Auto-Submitted` (anything but `no`), `Precedence: bulk`, `junk` or `list`, the
/// `X-Autoreply`/`X-Autorespond` of common auto-responders, a sender whose mailbox is
/// MAILER-DAEMON or postmaster, or an empty Return-Path (how delivery reports are sent).
/// Answering such mail is how two auto-responders mail each other for ever.
fn automatic(message: &mail_parser::Message, from: &str) -> Option<String> {
    let raw = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = raw("Auto-Submitted") {
        let kind = v.split(';').next().unwrap_or_default().trim().to_string();
        if kind != "no" {
            return Some(format!("Auto-Submitted: {kind}"));
        }
    }
    if let Some(v) = raw("Precedence").filter(|v| ["bulk", "junk", "list"].contains(&v.as_str())) {
        return Some(format!("Precedence: {v}"));
    }
    for name in ["X-Autoreply", "X-Autorespond"] {
        if raw(name).is_some() {
            return Some(name.to_string());
        }
    }
    let mailbox = from.split('@').next().unwrap_or_default();
    if mailbox.eq_ignore_ascii_case("mailer-daemon") || mailbox.eq_ignore_ascii_case("postmaster") {
        return Some(format!("sent by {from}"));
    }
    if raw("Return-Path").is_some_and(|v| {
        v.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
    }) {
        return Some("an empty Return-Path".into());
    }
    None
}

pub fn parse(bytes: &[u8]) -> Result<Mail, MailError> {
    if bytes.len() > MAX_BYTES {
        return Err(MailError::TooLarge(bytes.len()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(MailError::Empty);
    }
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| MailError::NotMail("it cannot be read as one".into()))?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::trim)
        .filter(|a| a.contains('@'))
        .ok_or_else(|| MailError::NotMail("it has no From address".into()))?;
    let from_name = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let subject = message.subject().map(|s| s.trim().to_string()).unwrap_or_default();
    let body = (0..message.text_body_count().max(message.html_body_count()))
        .filter_map(|i| {
            // A text part stands for itself; an HTML one (the message has no plain text) is
            // read with its blocks on lines of their own.
            match message.text_part(i as u32) {
                Some(part) if part.is_text_html() => part.text_contents().map(html_text).map(Into::into),
                _ => message.body_text(i),
            }
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if subject.is_empty() && body.is_empty() {
        return Err(MailError::NotMail("it has neither a subject nor any text".into()));
    }
    let attachments = message
        .attachments()
        .map(|p| (p.attachment_name().unwrap_or("(unnamed)").to_string(), p.len()))
        .collect();
    let mut references: Vec<String> = Vec::new();
    let listed = |v: &mail_parser::HeaderValue| -> Vec<String> {
        v.as_text_list()
            .map(|l| l.iter().map(|id| id.trim().to_string()).collect())
            .unwrap_or_default()
    };
    let mut answered = listed(message.in_reply_to());
    answered.extend(listed(message.references()).into_iter().rev());
    for id in answered {
        if !id.is_empty() && !references.contains(&id) && references.len() < MAX_REFERENCES {
            references.push(id);
        }
    }
    let cc = message
        .cc()
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address())
                .map(|a| a.trim().to_string())
                .filter(|a| a.contains('@'))
                .take(MAX_CC)
                .collect()
        })
        .unwrap_or_default();
    Ok(Mail {
        references,
        cc,
        message_id: message
            .message_id()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty()),
        from_name,
        from_address: from.to_string(),
        ticket: ticket_in_subject(&subject),
        automatic: automatic(&message, from),
        subject,
        body,
        attachments,
    })
}

impl Mail {
    /// `Ana Lima <ana@example.com>`, or the address alone.
    pub fn sender(&self) -> String {
        match &self.from_name {
            Some(n) => format!("{n} <{}>", self.from_address),
            None => self.from_address.clone(),
        }
    }

    /// The attachments in one line for the timeline: `report.pdf (12 kB), log.txt (1 kB)`.
    pub fn attachment_list(&self) -> Option<String> {
        (!self.attachments.is_empty()).then(|| {
            self.attachments
                .iter()
                .map(|(name, size)| format!("{name} ({} kB)", size.div_ceil(1024)))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Kind;

    #[test]
    fn a_subject_names_a_ticket_in_brackets() {
        assert_eq!(
            ticket_in_subject("Re: [INC-42] printer"),
            Some(TicketId::new(Kind::Incident, 42))
        );
        assert_eq!(
            ticket_in_subject("[External] Re: [req-7] laptop"),
            Some(TicketId::new(Kind::Request, 7))
        );
        assert_eq!(ticket_in_subject("INC-42 without brackets"), None);
        assert_eq!(ticket_in_subject("[oops"), None);
    }

    #[test]
    fn plain_mail_reads() {
        let m = parse(b"From: Ana Lima <ana@example.com>\r\nSubject: VPN drops\r\nMessage-ID: <1@x>\r\n\r\nIt drops every hour.\r\n")
            .expect("mail");
        assert_eq!(
            (m.sender().as_str(), m.subject.as_str(), m.body.as_str()),
            ("Ana Lima <ana@example.com>", "VPN drops", "It drops every hour.")
        );
        assert_eq!(m.message_id.as_deref(), Some("1@x"));
    }

    #[test]
    fn html_blocks_end_their_lines() {
        assert_eq!(
            html_text("<h1>Alert</h1><P>Door 3 is offline.</P><ul><LI>North</LI><li>Since 09:55</li></ul>"),
            "Alert\nDoor 3 is offline.\nNorth\nSince 09:55\n"
        );
        assert_eq!(html_text("<b>door 3</b> is <I>off</I>"), "door 3 is off");
        assert_eq!(html_text("<p>se\u{f1}ora Pe\u{f1}a</p>"), "se\u{f1}ora Pe\u{f1}a\n");
    }

    #[test]
    fn not_mail_says_why() {
        assert_eq!(parse(b""), Err(MailError::Empty));
        assert!(matches!(parse(b"Subject: hi\r\n\r\nbody"), Err(MailError::NotMail(_))));
        assert!(matches!(parse(&vec![b'a'; MAX_BYTES + 1]), Err(MailError::TooLarge(_))));
    }
}
