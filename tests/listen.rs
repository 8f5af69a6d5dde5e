//! `opsdesk ingest alertmanager --listen`: the real binary serving HTTP on loopback, asked as
//! Alertmanager asks, and as it should not be.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use std::time::{Duration, Instant};

use common::Env;
use common::receiver::Receiver;

const SECRET: &str = "s3cret-for-the-tests-only";

fn start(env: &Env) -> Receiver {
    env.write_config(&format!("[ingest.alertmanager]\nsecret = \"{SECRET}\"\n"));
    common::receiver::start(env, &[])
}

/// One HTTP/1.1 request on its own connection; returns the status and the body.
fn request(addr: &str, method: &str, auth: Option<&str>, body: &[u8], length: Option<usize>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let mut head = format!(
        "{method} / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
        length.unwrap_or(body.len())
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("head");
    let _ = s.write_all(body);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {out:?}"));
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn bearer() -> String {
    format!("Bearer {SECRET}")
}

fn fixture() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/alertmanager-firing.json"
    ))
    .expect("fixture")
}

#[test]
fn the_receiver_takes_good_requests_refuses_bad_ones_and_keeps_serving() {
    let env = Env::new();
    let r = start(&env);
    let payload = fixture();
    let before = env.snapshot();
    let bad: Vec<(u16, String, &str)> = vec![
        {
            let (s, b) = request(&r.addr, "POST", None, payload.as_bytes(), None);
            (s, b, "missing or wrong secret")
        },
        {
            let (s, b) = request(&r.addr, "POST", Some("Bearer not-the-secret"), payload.as_bytes(), None);
            (s, b, "missing or wrong secret")
        },
        {
            let (s, b) = request(&r.addr, "GET", Some(&bearer()), b"", None);
            (s, b, "POST Alertmanager webhook payloads")
        },
        {
            let (s, b) = request(&r.addr, "POST", Some(&bearer()), b"", Some(16 * 1024 * 1024 + 1));
            (s, b, "the body is over 16777216 bytes")
        },
        {
            let (s, b) = request(&r.addr, "POST", Some(&bearer()), &payload.as_bytes()[..200], None);
            (s, b, "not an Alertmanager payload: line")
        },
        {
            let (s, b) = request(
                &r.addr,
                "POST",
                Some(&bearer()),
                br#"{"version":"3","status":"firing","alerts":[]}"#,
                None,
            );
            (s, b, "opsdesk reads Alertmanager's webhook version 4")
        },
    ];
    let statuses: Vec<u16> = bad.iter().map(|(s, _, _)| *s).collect();
    assert_eq!(statuses, vec![401, 401, 405, 413, 400, 400]);
    for (_, body, expected) in &bad {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON error: {body}"));
        assert!(
            v["error"].as_str().is_some_and(|e| e.contains(expected)),
            "{expected}: {body}"
        );
    }
    assert_eq!(env.snapshot(), before, "a refused request wrote");
    // Still serving: the payload itself is taken.
    let (status, body) = request(&r.addr, "POST", Some(&bearer()), payload.as_bytes(), None);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["opened"], 2);
    assert_eq!(env.json(&["show", "INC-1"])["alerts"][0]["occurrences"], 1);
    // Each request is in the receiver's log, with its status.
    let lines: Vec<String> = r.log.try_iter().collect();
    assert!(lines.iter().any(|l| l.contains("POST / 401")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("POST / 200 2 alerts: 2 opened")),
        "{lines:?}"
    );
}

#[test]
fn four_hundred_requests_from_four_senders_are_all_taken() {
    let env = Env::new();
    let r = start(&env);
    let one: serde_json::Value = serde_json::from_str(&fixture()).expect("json");
    let started = Instant::now();
    std::thread::scope(|s| {
        for sender in 0..4 {
            let (addr, one) = (&r.addr, &one);
            s.spawn(move || {
                for i in 0..100 {
                    let mut p = one.clone();
                    let mut alert = one["alerts"][0].clone();
                    alert["fingerprint"] = format!("{sender}-{i}").into();
                    p["alerts"] = serde_json::json!([alert]);
                    let (status, body) = request(addr, "POST", Some(&bearer()), p.to_string().as_bytes(), None);
                    assert_eq!(status, 200, "{body}");
                }
            });
        }
    });
    let took = started.elapsed();
    eprintln!("400 requests in {took:?}: {:.0} requests/s", 400.0 / took.as_secs_f64());
    let list = env.json(&["list", "--limit", "1000"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(400),
        "every request made its incident"
    );
}

#[test]
fn the_receiver_will_not_start_without_a_secret_or_on_a_bad_address() {
    let env = Env::new();
    let before = env.snapshot();
    let err = env.fails_as(
        "alertmanager",
        &["ingest", "alertmanager", "--listen", "127.0.0.1:0"],
        1,
    );
    assert!(
        err.contains("--listen needs a shared secret: set `secret` under [ingest.alertmanager]"),
        "{err}"
    );
    // The environment is held to the same rule as config.toml.
    let out = env
        .cmd_as("alertmanager")
        .env("OPSDESK_INGEST_SECRET", "x")
        .args(["ingest", "alertmanager", "--listen", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("OPSDESK_INGEST_SECRET: key `ingest.alertmanager.secret`: use at least 16 characters"),
        "{err}"
    );
    env.write_config("[ingest.alertmanager]\nsecret = \"short\"\n");
    let err = env.fails_as(
        "alertmanager",
        &["ingest", "alertmanager", "--listen", "127.0.0.1:0"],
        1,
    );
    assert!(
        err.contains("key `ingest.alertmanager.secret`: use at least 16 characters"),
        "{err}"
    );
    env.write_config(&format!("[ingest.alertmanager]\nsecret = \"{SECRET}\"\n"));
    let err = env.fails_as(
        "alertmanager",
        &["ingest", "alertmanager", "--listen", "no-such-host:x"],
        1,
    );
    assert!(err.contains("cannot listen on no-such-host:x"), "{err}");
    assert_eq!(env.snapshot(), before);
}
