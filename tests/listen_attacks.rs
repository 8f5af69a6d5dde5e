//! The webhook receiver on a hostile network: each attack that once killed or froze it, sent
//! to the real binary on 127.0.0.1 by someone without the secret (or with it, where the
//! attack needs it), after which an authenticated alert is still taken within a second and
//! the desk is whole.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Env;
use common::receiver::Receiver;

const SECRET: &str = "s3cret-for-the-attack-tests";

/// What the attacks ask of the receiver.
trait Probe {
    fn alive(&mut self) -> bool;
    fn rss_kb(&self) -> u64;
    fn raw(&self, bytes: &[u8]) -> String;
    fn taken_within_a_second(&mut self, env: &Env, after: &str);
}

fn start(env: &Env) -> Receiver {
    common::receiver::start(env, &[("OPSDESK_INGEST_SECRET", SECRET)])
}

impl Probe for Receiver {
    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Resident memory of the receiver, in kB.
    fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Sends raw bytes on a new connection and reads what comes back until the receiver
    /// closes it (or 15 s pass).
    fn raw(&self, bytes: &[u8]) -> String {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
        let _ = s.write_all(bytes);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).to_string()
    }

    /// An authenticated alert, as Alertmanager sends it; asserts it is taken within a second.
    fn taken_within_a_second(&mut self, env: &Env, after: &str) {
        assert!(self.alive(), "the receiver died after {after}");
        let payload = alert(after);
        let started = Instant::now();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            payload.len()
        );
        let reply = self.raw(&[head.as_bytes(), payload.as_bytes()].concat());
        let took = started.elapsed();
        assert!(reply.starts_with("HTTP/1.1 200"), "after {after}: {reply}");
        assert!(took < Duration::from_secs(1), "after {after} the alert took {took:?}");
        let ok: String = rusqlite::Connection::open(&env.db)
            .expect("open")
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(ok, "ok", "after {after}");
    }
}

/// One firing alert with its own fingerprint.
fn alert(name: &str) -> String {
    let fingerprint: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    serde_json::json!({
        "version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "opsdesk",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
        "alerts": [{
            "status": "firing", "labels": {"alertname": "Probe"}, "annotations": {"summary": name},
            "startsAt": "2026-11-23T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom/graph", "fingerprint": fingerprint
        }]
    })
    .to_string()
}

fn status(reply: &str) -> u16 {
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn absurd_content_lengths_are_refused_before_anything_is_read() {
    let env = Env::new();
    let mut r = start(&env);
    for (length, auth, want) in [
        ("18446744073709551615", false, 401),
        ("1099511627776", false, 401),
        ("18446744073709551615", true, 413),
        ("1099511627776", true, 413),
        ("16777217", true, 413),
    ] {
        let auth = if auth {
            format!("Authorization: Bearer {SECRET}\r\n")
        } else {
            String::new()
        };
        let reply = r.raw(format!("POST / HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {length}\r\n\r\n").as_bytes());
        let got = status(&reply);
        // The receiver refuses a length it will not take (413) and a request without the
        // secret (401); hyper itself turns away one it cannot hold (a 4xx of its own).
        assert!(
            got == want || (length.len() == 20 && (400..500).contains(&got)),
            "{length}: {reply}"
        );
        r.taken_within_a_second(&env, &format!("Content-Length {length}"));
    }
}

#[test]
fn a_silent_or_trickling_client_blocks_nobody() {
    let env = Env::new();
    let mut r = start(&env);
    // Connects and says nothing.
    let silent = TcpStream::connect(&r.addr).expect("connect");
    r.taken_within_a_second(&env, "a silent connection");
    // Announces a body of 2,000 bytes with the secret, then sends nothing.
    let mut waiting = TcpStream::connect(&r.addr).expect("connect");
    waiting
        .write_all(
            format!("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nContent-Length: 2000\r\n\r\n")
                .as_bytes(),
        )
        .expect("head");
    r.taken_within_a_second(&env, "a body that never comes");
    // A byte a second, of a head and of a body, while others are served.
    let addr = r.addr.clone();
    let trickle = std::thread::spawn(move || {
        let mut head = TcpStream::connect(&addr).expect("connect");
        let mut body = TcpStream::connect(&addr).expect("connect");
        let _ = body.write_all(
            format!("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nContent-Length: 500\r\n\r\n")
                .as_bytes(),
        );
        for b in b"POST / HTTP/1.1\r\nHost" {
            let _ = head.write_all(&[*b]);
            let _ = body.write_all(b"{");
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    for i in 0..3 {
        r.taken_within_a_second(&env, &format!("trickling clients ({i})"));
    }
    trickle.join().expect("trickle");
    drop((silent, waiting));
}

#[test]
fn a_thousand_idle_connections_do_not_stop_it() {
    raise_descriptor_limit(2_500);
    let env = Env::new();
    let mut r = start(&env);
    let idle: Vec<TcpStream> = (0..1_000)
        .map(|i| TcpStream::connect(&r.addr).unwrap_or_else(|e| panic!("connection {i}: {e}")))
        .collect();
    for s in &idle {
        s.set_nonblocking(true).expect("nonblocking");
    }
    r.taken_within_a_second(&env, "1,000 idle connections");
    assert_eq!(idle.len(), 1_000);
    // Its descriptors stay bounded: it holds at most its limit of connections.
    let fds = std::fs::read_dir(format!("/proc/{}/fd", r.child.id()))
        .expect("fds")
        .count();
    assert!(fds < 200, "{fds} descriptors open in the receiver");
}

#[test]
fn a_huge_header_is_refused_without_growing() {
    let env = Env::new();
    let mut r = start(&env);
    let before = r.rss_kb();
    let line = "x".repeat(1 << 20);
    for head in [
        format!("POST / HTTP/1.1\r\nHost: x\r\nX-Big: {line}\r\n\r\n"),
        format!("POST /{line} HTTP/1.1\r\nHost: x\r\n\r\n"),
        format!("POST / HTTP/1.1\r\nHost: x\r\n{}\r\n", "X-Many: y\r\n".repeat(200)),
    ] {
        let reply = r.raw(head.as_bytes());
        assert!(matches!(status(&reply), 431 | 414 | 400) || reply.is_empty(), "{reply}");
        r.taken_within_a_second(&env, "a huge head");
    }
    let grew = r.rss_kb().saturating_sub(before);
    assert!(grew < 8 * 1024, "the receiver grew by {grew} kB");
}

#[test]
fn malformed_requests_get_an_error_and_it_keeps_serving() {
    let env = Env::new();
    let mut r = start(&env);
    let auth = format!("Authorization: Bearer {SECRET}\r\n");
    let cases: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"POST / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_vec(),
        format!("POST / HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 5\r\nContent-Length: 7\r\n\r\nabcde").into_bytes(),
        format!("POST / HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n").into_bytes(),
        format!("POST / HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            .into_bytes(),
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 10\r\n\r\n\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"
        )
        .into_bytes(),
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ];
    for (i, case) in cases.iter().enumerate() {
        let before = env.snapshot();
        let reply = r.raw(case);
        let s = status(&reply);
        assert!(reply.is_empty() || (400..500).contains(&s), "case {i}: {reply}");
        assert_eq!(env.snapshot(), before, "case {i} wrote");
        r.taken_within_a_second(&env, &format!("malformed request {i}"));
    }
}

/// The test opens many connections of its own: make sure it may (raises its soft limit on
/// open files towards the hard one, as `ulimit -n` would).
fn raise_descriptor_limit(want: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft: u64 = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    if soft >= want {
        return;
    }
    let status = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string(), &format!("--nofile={want}:")])
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "this test needs {want} open files (ulimit -n is {soft}) and prlimit could not raise it"
    );
}
