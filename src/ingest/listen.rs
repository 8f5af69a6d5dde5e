//! `opsdesk ingest alertmanager --listen ADDR`: the same intake as standard input, served as
//! the HTTP webhook receiver Alertmanager posts to, built to stay up on a hostile network.
//!
//! hyper serves HTTP/1.1 on one thread (tokio, current-thread); the desk is written on the
//! calling thread, one request's payloads in one transaction, in the order they arrive.
//! Every request must carry the shared secret (`Authorization: Bearer SECRET`, which
//! Alertmanager sends from its webhook's `http_config.authorization.credentials`), checked
//! before any byte of the body is read. What a client can make the listener hold is bounded:
//!
//! - the request head: [`MAX_HEADER_BYTES`] and [`MAX_HEADERS`] (431 past either), read within
//!   [`HEADER_TIMEOUT`] (then the connection is closed);
//! - the body: [`MAX_BYTES`] while it is read (413, whatever Content-Length claimed), within
//!   [`BODY_TIMEOUT`] (408);
//! - connections: at most [`MAX_CONNECTIONS`] at once; when a new one comes and all are
//!   taken, the oldest that has not sent a whole request head is closed to make room (idle
//!   and trickling clients give way to ones that talk), and if every one is busy with a
//!   request, the newcomer is closed.
//!
//! A malformed request is answered by hyper (400) and its connection closed; a panic in a
//! request's task ends that task, not the listener.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde::Serialize;

use super::alertmanager::{self, MAX_BYTES, Payload};
use crate::desk::{Desk, DeskError};

/// The most a request head (request line and headers) may hold.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// The most headers a request may have.
pub const MAX_HEADERS: usize = 64;
/// How long a client has to send its whole request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send its whole body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many connections are served at once.
pub const MAX_CONNECTIONS: usize = 64;

/// What a request gets back: a status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// One line for the receiver's log.
    pub summary: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

fn error(status: u16, message: &str) -> Reply {
    Reply {
        status,
        body: serde_json::to_string(&ErrorBody { error: message }).unwrap_or_default() + "\n",
        summary: message.to_string(),
    }
}

/// Compares without stopping at the first difference, so the time taken says nothing of
/// how much of a guessed secret was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a request may be read at all: its method and its secret, from the head alone.
pub fn admit(secret: &str, method: &str, authorization: Option<&[u8]>, length: Option<u64>) -> Result<(), Reply> {
    if method != "POST" {
        return Err(error(405, "POST Alertmanager webhook payloads (version 4) here"));
    }
    let given = authorization
        .and_then(|a| std::str::from_utf8(a).ok())
        .and_then(|a| a.trim().strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| same(g.as_bytes(), secret.as_bytes())) {
        return Err(error(
            401,
            "missing or wrong secret: send `Authorization: Bearer SECRET`",
        ));
    }
    if length.is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> Reply {
    error(413, &format!("the body is over {MAX_BYTES} bytes"))
}

/// Takes parsed payloads on the desk.
pub fn take(desk: &mut Desk, payloads: &[Payload]) -> Reply {
    match desk.ingest_alertmanager(payloads) {
        Ok(report) => Reply {
            status: 200,
            summary: format!(
                "{} alerts: {} opened, {} occurrences, {} resolved",
                report.alerts, report.opened, report.occurrences, report.resolved
            ),
            body: serde_json::to_string(&report).unwrap_or_default() + "\n",
        },
        // The desk is busy or failing: Alertmanager retries a 5xx.
        Err(e @ DeskError::Store(_)) => error(503, &e.to_string()),
        Err(e) => error(500, &e.to_string()),
    }
}

/// A request for the desk's thread: payloads to take, and where the reply goes.
struct Job {
    payloads: Vec<Payload>,
    reply: tokio::sync::oneshot::Sender<Reply>,
}

/// The connections being served, oldest first, and whether each is in a request.
#[derive(Default)]
struct Connections {
    next: u64,
    live: BTreeMap<u64, (Arc<AtomicBool>, tokio::sync::oneshot::Sender<()>)>,
    evicted: u64,
}

/// Serves until the process is stopped. `ready` hears the address bound (port 0 picks one).
pub fn serve(desk: &mut Desk, addr: &str, secret: &str, ready: impl FnOnce(&str)) -> Result<(), String> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| addr.to_string(), |a| a.to_string());
    ready(&bound);
    let (jobs, inbox) = mpsc::channel::<Job>();
    let secret: Arc<str> = secret.into();
    let server = std::thread::Builder::new()
        .name("opsdesk-listen".into())
        .spawn(move || run_server(listener, secret, jobs))
        .map_err(|e| format!("cannot start the listener: {e}"))?;
    // What the alerts put in the outbox is delivered on a thread of its own.
    let postman = crate::desk::Postman::start(desk, || {});
    // The desk's own thread: one request at a time, in the order they come.
    for job in inbox {
        let reply = take(desk, &job.payloads);
        postman.poke();
        for d in postman.take_reports() {
            if let Some(why) = &d.stopped {
                eprintln!("opsdesk: mail waits: {}", crate::text::inert(why, false));
            }
        }
        for failure in crate::hooks::take_failures() {
            eprintln!("opsdesk: {}", crate::text::inert(&failure, false));
        }
        let _ = job.reply.send(reply);
    }
    match server.join() {
        Ok(r) => r,
        Err(_) => Err("the listener stopped".into()),
    }
}

fn run_server(listener: std::net::TcpListener, secret: Arc<str>, jobs: mpsc::Sender<Job>) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the listener: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| format!("cannot listen: {e}"))?;
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_header_size(MAX_HEADER_BYTES)
            .max_headers(MAX_HEADERS)
            .max_buf_size(MAX_HEADER_BYTES.max(8192) * 2);
        let conns = Arc::new(Mutex::new(Connections::default()));
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, say: wait a moment rather than spin, and go on.
                    eprintln!("opsdesk: cannot take a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some((id, busy, killed)) = admit_connection(&conns) else {
                drop(stream);
                continue;
            };
            let service = {
                let (secret, jobs, busy) = (secret.clone(), jobs.clone(), busy.clone());
                hyper::service::service_fn(move |req| {
                    let (secret, jobs, busy) = (secret.clone(), jobs.clone(), busy.clone());
                    async move {
                        busy.store(true, Ordering::SeqCst);
                        let response = answer(req, &secret, &jobs).await;
                        busy.store(false, Ordering::SeqCst);
                        Ok::<_, Infallible>(response)
                    }
                })
            };
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let conns = conns.clone();
            tokio::spawn(async move {
                tokio::select! {
                    r = connection => {
                        if let Err(e) = r
                            && !e.is_incomplete_message()
                        {
                            let e = crate::text::inert(&e.to_string(), false);
                            eprintln!("opsdesk: {peer}: connection closed: {e}");
                        }
                    }
                    _ = killed => {}
                }
                if let Ok(mut c) = conns.lock() {
                    c.live.remove(&id);
                }
            });
        }
    })
}

/// Makes room for a new connection and registers it: its id, its "in a request" flag, and
/// what tells its task to close it. None: every connection is busy with a request.
fn admit_connection(conns: &Mutex<Connections>) -> Option<(u64, Arc<AtomicBool>, tokio::sync::oneshot::Receiver<()>)> {
    let mut c = conns.lock().ok()?;
    if c.live.len() >= MAX_CONNECTIONS {
        let idle = c
            .live
            .iter()
            .find(|(_, (busy, _))| !busy.load(Ordering::SeqCst))
            .map(|(id, _)| *id);
        let Some(idle) = idle else {
            eprintln!("opsdesk: {MAX_CONNECTIONS} connections are all in a request: a new one is closed");
            return None;
        };
        if let Some((_, kill)) = c.live.remove(&idle) {
            let _ = kill.send(());
        }
        c.evicted += 1;
        if c.evicted == 1 || c.evicted.is_multiple_of(1000) {
            eprintln!(
                "opsdesk: {} connection{} that sent no request closed to make room (at most {MAX_CONNECTIONS} at once)",
                c.evicted,
                if c.evicted == 1 { "" } else { "s" }
            );
        }
    }
    let id = c.next;
    c.next += 1;
    let busy = Arc::new(AtomicBool::new(false));
    let (kill, killed) = tokio::sync::oneshot::channel();
    c.live.insert(id, (busy.clone(), kill));
    Some((id, busy, killed))
}

/// One request, from its head to its reply; logged with its status.
async fn answer(req: Request<Incoming>, secret: &str, jobs: &mpsc::Sender<Job>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = crate::text::clip(&crate::text::inert(req.uri().path(), false), 80);
    let reply = reply(req, secret, jobs).await;
    eprintln!(
        "opsdesk: {method} {path} {} {}",
        reply.status,
        crate::text::inert(&reply.summary, false)
    );
    let ok = reply.status == 200;
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if !ok {
        // A refused request may have left a body unread: the connection ends with the reply.
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn reply(req: Request<Incoming>, secret: &str, jobs: &mpsc::Sender<Job>) -> Reply {
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let authorization = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    if let Err(refused) = admit(secret, req.method().as_str(), authorization, length) {
        return refused;
    }
    let body = Limited::new(req.into_body(), MAX_BYTES);
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, body.collect()).await {
        Err(_) => {
            return error(
                408,
                &format!("the body did not come within {} s", BODY_TIMEOUT.as_secs()),
            );
        }
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return too_large(),
        Ok(Err(e)) => return error(400, &format!("cannot read the body: {e}")),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let payloads = match alertmanager::parse(&bytes) {
        Ok(p) => p,
        Err(e) => return error(400, &e.to_string()),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if jobs.send(Job { payloads, reply }).is_err() {
        return error(503, "the desk is closed");
    }
    answer.await.unwrap_or_else(|_| error(503, "the desk did not answer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_decides_before_any_body_is_read() {
        let s = "a-secret-of-sixteen+";
        let auth = format!("Bearer {s}");
        assert_eq!(
            admit(s, "GET", Some(auth.as_bytes()), None).map_err(|r| r.status),
            Err(405)
        );
        assert_eq!(admit(s, "POST", None, Some(u64::MAX)).map_err(|r| r.status), Err(401));
        assert_eq!(
            admit(s, "POST", Some(b"Bearer nope"), None).map_err(|r| r.status),
            Err(401)
        );
        assert_eq!(
            admit(s, "POST", Some(b"\xff\xfe"), None).map_err(|r| r.status),
            Err(401)
        );
        assert_eq!(
            admit(s, "POST", Some(auth.as_bytes()), Some(1 << 40)).map_err(|r| r.status),
            Err(413)
        );
        assert_eq!(admit(s, "POST", Some(auth.as_bytes()), Some(10)), Ok(()));
    }

    #[test]
    fn an_idle_connection_makes_room_and_busy_ones_do_not() {
        let conns = Mutex::new(Connections::default());
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            held.push(admit_connection(&conns).expect("room"));
        }
        // The oldest idle one is closed for the newcomer.
        let (_, _, mut first_killed) = held.remove(0);
        assert!(admit_connection(&conns).is_some());
        assert!(first_killed.try_recv().is_ok(), "told to close");
        // When every one is in a request, the newcomer is refused.
        for (_, busy, _) in &held {
            busy.store(true, Ordering::SeqCst);
        }
        if let Ok(c) = conns.lock() {
            for (busy, _) in c.live.values() {
                busy.store(true, Ordering::SeqCst);
            }
        }
        assert!(admit_connection(&conns).is_none());
    }
}
