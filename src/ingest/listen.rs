//! `opsdesk ingest alertmanager --listen ADDR`: the same intake as standard input, served as
//! the HTTP webhook receiver Alertmanager posts to. Every request must carry the shared secret
//! (`Authorization: Bearer SECRET`, which Alertmanager sends from its webhook's
//! `http_config.authorization.credentials`); bodies are bounded; a bad request gets a clear
//! HTTP error and the receiver keeps serving. Requests are taken one at a time, each in one
//! transaction.

use std::io::Read;

use serde::Serialize;

use super::alertmanager::{self, MAX_BYTES};
use crate::desk::{Desk, DeskError};

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

/// Answers one request.
pub fn handle(
    desk: &mut Desk,
    secret: &str,
    method: &str,
    authorization: Option<&str>,
    length: Option<usize>,
    body: &mut dyn Read,
) -> Reply {
    if method != "POST" {
        return error(405, "POST Alertmanager webhook payloads (version 4) here");
    }
    let given = authorization
        .and_then(|a| a.trim().strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| same(g.as_bytes(), secret.as_bytes())) {
        return error(401, "missing or wrong secret: send `Authorization: Bearer SECRET`");
    }
    if length.is_some_and(|n| n > MAX_BYTES) {
        return error(413, &format!("the body is over {MAX_BYTES} bytes"));
    }
    let mut bytes = Vec::new();
    if let Err(e) = body.take(MAX_BYTES as u64 + 1).read_to_end(&mut bytes) {
        return error(400, &format!("cannot read the body: {e}"));
    }
    if bytes.len() > MAX_BYTES {
        return error(413, &format!("the body is over {MAX_BYTES} bytes"));
    }
    let payloads = match alertmanager::parse(&bytes) {
        Ok(p) => p,
        Err(e) => return error(400, &e.to_string()),
    };
    match desk.ingest_alertmanager(&payloads) {
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

/// Serves until the process is stopped. `ready` hears the address bound (port 0 picks one).
pub fn serve(desk: &mut Desk, addr: &str, secret: &str, ready: impl FnOnce(&str)) -> Result<(), String> {
    let server = tiny_http::Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = server
        .server_addr()
        .to_ip()
        .map_or_else(|| addr.to_string(), |a| a.to_string());
    ready(&bound);
    loop {
        let mut request = match server.recv() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("opsdesk: a connection failed: {e}");
                continue;
            }
        };
        let authorization = request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Authorization"))
            .map(|h| h.value.as_str().to_string());
        let method = request.method().as_str().to_string();
        let url = crate::text::clip(&crate::text::inert(request.url(), false), 80);
        let length = request.body_length();
        let reply = handle(
            desk,
            secret,
            &method,
            authorization.as_deref(),
            length,
            request.as_reader(),
        );
        eprintln!(
            "opsdesk: {method} {url} {} {}",
            reply.status,
            crate::text::inert(&reply.summary, false)
        );
        let json = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]);
        let mut response = tiny_http::Response::from_string(reply.body).with_status_code(reply.status);
        if let Ok(h) = json {
            response = response.with_header(h);
        }
        if let Err(e) = request.respond(response) {
            eprintln!("opsdesk: could not answer {url}: {e}");
        }
        for failure in crate::hooks::take_failures() {
            eprintln!("opsdesk: {}", crate::text::inert(&failure, false));
        }
    }
}
