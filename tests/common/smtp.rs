//! An SMTP sink on 127.0.0.1 for the mail tests: it speaks enough SMTP (RFC 5321) for a
//! client to deliver to it, keeps every message it is given, and can refuse recipients,
//! answer nothing (a server that hangs), or be down (nothing listens on its port until it is
//! started there).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for the sink to see what it expects.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Takes every message (but the refused recipients).
    Accept,
    /// Takes the connection and never says a word.
    Silent,
}

/// A message the sink was given.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-stuffing undone, CRLF line ends).
    pub data: String,
}

impl Received {
    /// The value of the first header `name` (unfolded), if there is one.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        let mut in_it = false;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if in_it && let Some(v) = &mut value {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if value.is_some() {
                in_it = false;
                continue;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_string());
                in_it = true;
            }
        }
        value
    }

    /// The body (after the blank line), with its quoted-printable or base64 encoding undone
    /// well enough to read it: the tests' text is ASCII.
    pub fn body(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        match self.header("Content-Transfer-Encoding").as_deref() {
            Some(e) if e.eq_ignore_ascii_case("quoted-printable") => {
                body.replace("=\r\n", "").replace("=3D", "=").replace("=20", " ")
            }
            _ => body.to_string(),
        }
    }
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    connections: usize,
    refused: Vec<String>,
    mode: Option<Mode>,
}

pub struct Sink {
    pub port: u16,
    shared: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<AtomicBool>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A port of 127.0.0.1 that nothing listens on (a server that is down), for a sink started
/// on it later.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Sink {
    /// A sink on a port of its own.
    pub fn start() -> Sink {
        Sink::on(0)
    }

    /// A sink on `port` (0: any).
    pub fn on(port: u16) -> Sink {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP sink");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        Sink { port, shared, stop }
    }

    /// The transport `mail setup --smtp` takes for this sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?timeout=20", self.port)
    }

    pub fn refuse(&self, address: &str) {
        self.shared
            .0
            .lock()
            .expect("lock")
            .refused
            .push(address.to_ascii_lowercase());
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.0.lock().expect("lock").mode = Some(mode);
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.0.lock().expect("lock").messages.clone()
    }

    /// Waits until the sink holds `n` messages (fails the test after a while).
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait(|s| s.messages.len() >= n, &format!("{n} messages"));
        self.messages()
    }

    /// Waits until `n` connections were made to the sink.
    pub fn wait_connections(&self, n: usize) {
        self.wait(|s| s.connections >= n, &format!("{n} connections"));
    }

    fn wait(&self, done: impl Fn(&State) -> bool, what: &str) {
        let (lock, cond) = &*self.shared;
        let start = Instant::now();
        let mut state = lock.lock().expect("lock");
        while !done(&state) {
            let left = PATIENCE.checked_sub(start.elapsed()).unwrap_or_else(|| {
                panic!(
                    "the SMTP sink never saw {what}: {} messages, {} connections",
                    state.messages.len(),
                    state.connections
                )
            });
            state = cond.wait_timeout(state, left).expect("wait").0;
        }
    }
}

fn serve(conn: TcpStream, shared: &(Mutex<State>, Condvar)) {
    let (lock, cond) = shared;
    let mode = {
        let mut s = lock.lock().expect("lock");
        s.connections += 1;
        cond.notify_all();
        s.mode.unwrap_or(Mode::Accept)
    };
    if mode == Mode::Silent {
        // Holds the connection open, saying nothing, until the client goes.
        let mut r = BufReader::new(conn);
        let mut line = String::new();
        while r.read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
        }
        return;
    }
    let Ok(mut out) = conn.try_clone() else { return };
    let mut reader = BufReader::new(conn);
    let mut say = |text: &str| out.write_all(text.as_bytes()).is_ok();
    if !say("220 sink.test ESMTP ready\r\n") {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_or(true, |n| n == 0) {
            return;
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-sink.test\r\n250-8BITMIME\r\n250 SIZE 10000000\r\n".to_string()
        } else if upper.starts_with("MAIL FROM:") {
            from = angle(&command[10..]);
            to.clear();
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = angle(&command[8..]);
            if lock.lock().expect("lock").refused.contains(&rcpt.to_ascii_lowercase()) {
                format!("550 5.1.1 <{rcpt}>: no such mailbox\r\n")
            } else {
                to.push(rcpt);
                "250 ok\r\n".into()
            }
        } else if upper == "DATA" {
            if !say("354 go ahead\r\n") {
                return;
            }
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).map_or(true, |n| n == 0) {
                    return;
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            let mut s = lock.lock().expect("lock");
            s.messages.push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            cond.notify_all();
            "250 2.0.0 queued\r\n".into()
        } else if upper == "QUIT" {
            let _ = say("221 bye\r\n");
            return;
        } else if upper == "RSET" || upper == "NOOP" {
            "250 ok\r\n".into()
        } else {
            "502 5.5.2 not implemented\r\n".into()
        };
        if !say(&answer) {
            return;
        }
    }
}

/// The address inside `<…>` (and after any parameters' start).
fn angle(s: &str) -> String {
    let s = s.trim();
    let inner = s
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map_or(s, |(a, _)| a);
    inner.to_string()
}
