//! Sending the desk's mail: the transport an admin set up (`opsdesk mail setup`), and one
//! message of the outbox handed to it through lettre. SMTP (`smtp://host:port`, STARTTLS when
//! the server offers it; `smtps://host:port`, TLS from the first byte), with a user and a
//! password from the URL or from a file it names (`?password_file=/etc/opsdesk/smtp`); or a
//! sendmail-compatible command (`sendmail:/usr/sbin/sendmail`).

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SendmailTransport, Transport as _};

use crate::store::mail::Outgoing;

/// How long one SMTP conversation may take before it is given up (and tried again later).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest password file read.
const MAX_PASSWORD_FILE: u64 = 4096;

/// Where the desk's mail goes, as set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Smtp {
        host: String,
        port: u16,
        /// TLS from the first byte (`smtps`); otherwise STARTTLS when offered.
        wrapped: bool,
        user: Option<String>,
        password: Option<Password>,
        timeout: Duration,
    },
    Sendmail {
        command: PathBuf,
    },
}

#[derive(Clone, PartialEq, Eq)]
pub enum Password {
    Given(String),
    File(PathBuf),
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Password::Given(_) => f.write_str("Given(…)"),
            Password::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

/// Why a message was not sent, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// Refused for good (an SMTP 5xx answer).
    pub permanent: bool,
    /// The server answered (so the next message may be tried); false when it could not be
    /// reached, or the conversation broke.
    pub answered: bool,
}

impl Transport {
    /// Reads a transport as `mail setup --smtp` takes it; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Transport, String> {
        let text = text.trim();
        if let Some(command) = text.strip_prefix("sendmail:") {
            let command = PathBuf::from(command.trim());
            if !command.is_absolute() {
                return Err(format!(
                    "`{}`: a sendmail transport names the command by its absolute path, as \
                     sendmail:/usr/sbin/sendmail",
                    crate::text::inert(text, false)
                ));
            }
            return Ok(Transport::Sendmail { command });
        }
        let url = url::Url::parse(text).map_err(|e| {
            format!(
                "`{}` is not a mail transport ({e}): give smtp://host:port, smtps://host:port or \
                 sendmail:/usr/sbin/sendmail",
                crate::text::inert(text, false)
            )
        })?;
        let wrapped = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => {
                return Err(format!(
                    "`{other}:` is not a mail transport opsdesk speaks: give smtp://host:port (STARTTLS when \
                     offered), smtps://host:port (TLS) or sendmail:/usr/sbin/sendmail"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("`{}` names no host", Transport::shown_url(&url)))?
            .trim_matches(|c| c == '[' || c == ']')
            .to_string();
        let port = url.port().unwrap_or(if wrapped { 465 } else { 587 });
        let decode = |s: &str| {
            percent_encoding_decode(s)
                .ok_or_else(|| format!("`{}`: the user or password is not UTF-8", Transport::shown_url(&url)))
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let mut password = url.password().map(decode).transpose()?.map(Password::Given);
        let mut timeout = SMTP_TIMEOUT;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "password_file" => {
                    if password.is_some() {
                        return Err("give the password in the URL or in password_file, not both".into());
                    }
                    let path = PathBuf::from(value.as_ref());
                    if !path.is_absolute() {
                        return Err(format!("password_file `{}` is not an absolute path", path.display()));
                    }
                    password = Some(Password::File(path));
                }
                "timeout" => {
                    let secs: u64 = value
                        .parse()
                        .ok()
                        .filter(|s| (1..=600).contains(s))
                        .ok_or_else(|| format!("timeout `{value}` is not a number of seconds from 1 to 600"))?;
                    timeout = Duration::from_secs(secs);
                }
                other => {
                    return Err(format!(
                        "`{}` is not a setting of an SMTP transport (password_file, timeout)",
                        crate::text::inert(other, false)
                    ));
                }
            }
        }
        if password.is_some() && user.is_none() {
            return Err("a password is given but no user: smtp://USER@host:port?password_file=…".into());
        }
        Ok(Transport::Smtp {
            host,
            port,
            wrapped,
            user,
            password,
            timeout,
        })
    }

    fn shown_url(url: &url::Url) -> String {
        let mut url = url.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        crate::text::inert(url.as_str(), false)
    }

    /// The transport as it may be shown to anyone: never its password.
    pub fn shown(&self) -> String {
        match self {
            Transport::Sendmail { command } => format!("sendmail:{}", command.display()),
            Transport::Smtp {
                host,
                port,
                wrapped,
                user,
                password,
                ..
            } => {
                let scheme = if *wrapped { "smtps" } else { "smtp" };
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                let user = match (user, password) {
                    (Some(u), Some(Password::Given(_))) => format!("{u}:***@"),
                    (Some(u), _) => format!("{u}@"),
                    (None, _) => String::new(),
                };
                let file = match password {
                    Some(Password::File(p)) => format!("?password_file={}", p.display()),
                    _ => String::new(),
                };
                format!("{scheme}://{user}{host}:{port}{file}")
            }
        }
    }

    /// Whether the transport answers: an SMTP server is connected to, greeted (and TLS and the
    /// login taken, as a send would), and left; a command must be a file that may be run.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Transport::Sendmail { command } => {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::metadata(command).map_err(|e| format!("{}: {e}", command.display()))?;
                if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
                    return Err(format!("{} is not a command that may be run", command.display()));
                }
                Ok(())
            }
            Transport::Smtp { .. } => {
                let mut session = self.session();
                let conn = session.connect().map_err(|e| e.message)?;
                session.conn = Some(conn);
                Ok(())
            }
        }
    }

    /// A delivery run's conversation with the transport: one SMTP connection, opened for the
    /// first message and used for the next ones, closed when the session is dropped.
    pub fn session(&self) -> Session<'_> {
        Session {
            transport: self,
            conn: None,
        }
    }
}

/// See [`Transport::session`].
pub struct Session<'a> {
    transport: &'a Transport,
    conn: Option<SmtpConnection>,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = c.quit();
        }
    }
}

/// The message's text and its end, `<CRLF>.<CRLF>`, written as one command (see
/// [`Session::send`]), its lines that start with a dot given another (RFC 5321 4.5.2).
struct Payload(String);

impl std::fmt::Display for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn payload(message: &[u8]) -> Payload {
    let text = String::from_utf8_lossy(message);
    let mut out = String::with_capacity(text.len() + 16);
    if text.starts_with('.') {
        out.push('.');
    }
    out.push_str(&text.replace("\r\n.", "\r\n.."));
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    Payload(out)
}

impl Session<'_> {
    /// Hands one message to the transport.
    pub fn send(&mut self, from: &Mailbox, m: &Outgoing) -> Result<(), SendError> {
        let message = build(from, m).map_err(|message| SendError {
            message,
            permanent: true,
            answered: true,
        })?;
        let Transport::Smtp { host, .. } = self.transport else {
            return self.sendmail(&message);
        };
        let host = host.clone();
        let mut conn = match self.conn.take() {
            Some(c) if !c.has_broken() => c,
            _ => self.connect()?,
        };
        match transfer(&mut conn, &message) {
            Ok(()) => {
                self.conn = Some(conn);
                Ok(())
            }
            Err(e) => {
                let answered = e.is_permanent() || e.is_transient();
                // A refusal ends that message's transaction; the connection goes on.
                if answered && conn.command(lettre::transport::smtp::commands::Rset).is_ok() {
                    self.conn = Some(conn);
                }
                Err(SendError {
                    permanent: e.is_permanent(),
                    answered,
                    message: format!("{host}: {}", smtp_error(&e)),
                })
            }
        }
    }

    fn sendmail(&self, message: &Message) -> Result<(), SendError> {
        let Transport::Sendmail { command } = self.transport else {
            return Ok(());
        };
        SendmailTransport::new_with_command(command)
            .send(message)
            .map(|_| ())
            .map_err(|e| SendError {
                message: format!("{}: {e}", command.display()),
                permanent: false,
                answered: true,
            })
    }

    /// Connects, greets, takes TLS (from the first byte, or by STARTTLS when offered) and
    /// logs in. A password never crosses a connection in the clear, but to this host itself.
    fn connect(&self) -> Result<SmtpConnection, SendError> {
        let Transport::Smtp {
            host,
            port,
            wrapped,
            user,
            password,
            timeout,
        } = self.transport
        else {
            return Err(SendError {
                message: "not an SMTP transport".into(),
                permanent: false,
                answered: false,
            });
        };
        let unreachable = |e: lettre::transport::smtp::Error| SendError {
            permanent: e.is_permanent(),
            answered: e.is_permanent() || e.is_transient(),
            message: format!("{host}:{port}: {}", smtp_error(&e)),
        };
        let tls = TlsParameters::new(host.clone()).map_err(unreachable)?;
        let hello = ClientId::default();
        let mut conn = SmtpConnection::connect(
            (host.as_str(), *port),
            Some(*timeout),
            &hello,
            wrapped.then_some(&tls),
            None,
        )
        .map_err(unreachable)?;
        if !*wrapped && conn.can_starttls() {
            conn.starttls(&tls, &hello).map_err(unreachable)?;
        }
        if let Some(user) = user {
            let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
            if !conn.is_encrypted() && !local {
                return Err(SendError {
                    message: format!(
                        "{host}:{port} offers no TLS: the password is not sent in the clear (use smtps://, or a \
                         server that offers STARTTLS)"
                    ),
                    permanent: false,
                    answered: false,
                });
            }
            let secret = match password {
                Some(Password::Given(p)) => p.clone(),
                Some(Password::File(path)) => read_password(path)?,
                None => String::new(),
            };
            let credentials = Credentials::new(user.clone(), secret);
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .map_err(unreachable)?;
        }
        Ok(conn)
    }
}

/// One message's transaction on an open connection: MAIL, RCPT, DATA, and the text with its
/// end in one write (lettre's own `send` writes the end apart, which with Nagle's algorithm
/// and the server's delayed ACK waits 40 ms a message).
fn transfer(conn: &mut SmtpConnection, message: &Message) -> Result<(), lettre::transport::smtp::Error> {
    use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
    use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
    let envelope = message.envelope();
    let text = message.formatted();
    let mut options = Vec::new();
    if !text.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), options))?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), vec![]))?;
    }
    conn.command(Data)?;
    conn.command(payload(&text))?;
    Ok(())
}

/// lettre's error with what it wraps (the server's answer, the I/O error), on one line.
fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    crate::text::inert(&text, false)
}

fn read_password(path: &std::path::Path) -> Result<String, SendError> {
    use std::io::Read;
    let fail = |why: String| SendError {
        message: format!("the SMTP password file {}: {why}", path.display()),
        permanent: false,
        answered: false,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut text = String::new();
    file.take(MAX_PASSWORD_FILE)
        .read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

fn percent_encoding_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads the desk's From address (`Help desk <help@example.com>` or the address alone).
pub fn parse_from(text: &str) -> Result<Mailbox, String> {
    text.trim().parse::<Mailbox>().map_err(|e| {
        format!(
            "`{}` is not a mail address to send from ({e}): give e.g. 'Help desk <help@example.com>'",
            crate::text::inert(text, false)
        )
    })
}

/// Whether `text` is a mail address a message can go to.
pub fn is_address(text: &str) -> bool {
    text.trim().parse::<lettre::Address>().is_ok()
}

/// `<id>` for a header.
fn angled(id: &str) -> String {
    format!("<{}>", id.trim_matches(|c| c == '<' || c == '>'))
}

/// The message as it goes out: the outbox's text (made safe: no control character of the
/// ticket's text reaches a mail header or a mail reader), threaded, and marked so that
/// auto-responders do not answer it.
fn build(from: &Mailbox, m: &Outgoing) -> Result<Message, String> {
    let to: Mailbox = m.recipient.parse().map_err(|e| {
        format!(
            "`{}` is not a mail address: {e}",
            crate::text::inert(&m.recipient, false)
        )
    })?;
    let mut b = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(crate::text::inert(&m.subject, false))
        .message_id(Some(angled(&m.message_id)))
        .date_now()
        // Exchange's out-of-office and delivery reports stay quiet.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
            "All".into(),
        ));
    if let Some(parent) = &m.in_reply_to {
        b = b.in_reply_to(angled(parent));
    }
    if let Some(refs) = &m.references {
        let refs: Vec<String> = refs.split_whitespace().map(angled).collect();
        if !refs.is_empty() {
            b = b.references(refs.join(" "));
        }
    }
    if m.automatic {
        b = b.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
    }
    b.header(ContentType::TEXT_PLAIN)
        .body(crate::text::inert(&m.body, true))
        .map_err(|e| format!("the message cannot be written: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_text_ends_once_and_its_dot_lines_are_doubled() {
        assert_eq!(payload(b"a\r\n.b\r\n..c").0, "a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(payload(b".x\r\n").0, "..x\r\n.\r\n");
        assert_eq!(payload(b"").0, "\r\n.\r\n");
    }

    #[test]
    fn transports_are_read_and_shown_without_their_password() {
        let t = Transport::parse("smtp://desk%40example.com:s3cret@mail.example.com:2525").expect("smtp");
        assert_eq!(t.shown(), "smtp://desk@example.com:***@mail.example.com:2525");
        assert!(!format!("{t:?}").contains("s3cret"));
        let t = Transport::parse("smtps://mail.example.com").expect("smtps");
        assert_eq!(t.shown(), "smtps://mail.example.com:465");
        let t = Transport::parse("smtp://u@mail.example.com?password_file=/etc/opsdesk/smtp").expect("file");
        assert_eq!(
            t.shown(),
            "smtp://u@mail.example.com:587?password_file=/etc/opsdesk/smtp"
        );
        assert_eq!(
            Transport::parse("sendmail:/usr/sbin/sendmail")
                .expect("sendmail")
                .shown(),
            "sendmail:/usr/sbin/sendmail"
        );
        for bad in [
            "http://mail.example.com",
            "sendmail:sendmail",
            "smtp://",
            "smtp://:pw@host",
            "smtp://u@host?password_file=relative",
            "smtp://u:pw@host?password_file=/etc/x",
            "smtp://host?tls=none",
            "smtp://host?timeout=0",
            "mail.example.com",
        ] {
            let e = Transport::parse(bad).expect_err(bad);
            assert!(!e.contains("pw@"), "{bad}: {e}");
        }
    }
}
