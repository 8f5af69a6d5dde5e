//! A PostgreSQL server for the tests: the one `OPSDESK_TEST_PG` names (a URL of a server on
//! which the tests may create databases), or a throwaway cluster this test process starts
//! from PostgreSQL's binaries (`initdb` and `postgres` on PATH or under
//! /usr/lib/postgresql/*/bin), run as the `postgres` account when the tests run as root (the
//! server refuses root). The cluster listens on a socket in its own temporary folder, where
//! it trusts everyone, and on 127.0.0.1, where it asks every role but its superuser for a
//! password (SCRAM), as a team's server would; it stops when this process ends: its shell
//! waits on a pipe that closes then.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where the tests reach PostgreSQL.
pub struct Server {
    /// A URL without a database name: `postgresql://postgres@%2Ftmp%2Fx:5432`.
    base: String,
    /// The cluster this process started: where it listens and its programs.
    pub own: Option<Own>,
    /// The cluster this process started, kept until it ends (its pipe keeps it running).
    _cluster: Option<Mutex<(Child, ChildStdin)>>,
}

/// Why there is no server, said once by the suites that need one.
pub const NEEDS_A_SERVER: &str = "the PostgreSQL suite needs a server: install PostgreSQL (the Debian package \
     `postgresql`) so the tests can start one, or set OPSDESK_TEST_PG=postgresql://USER@HOST:PORT to one \
     on which they may create databases";

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The server, started on first use; `Err` says why there is none. With
/// `OPSDESK_REQUIRE_PG=1` (as `.ci/run` sets) having none fails the test instead.
pub fn server() -> Result<&'static Server, String> {
    let found = SERVER.get_or_init(find).as_ref().map_err(Clone::clone);
    if let Err(why) = &found
        && std::env::var_os("OPSDESK_REQUIRE_PG").is_some_and(|v| v == "1")
    {
        panic!("OPSDESK_REQUIRE_PG=1 but {why}");
    }
    found
}

fn find() -> Result<Server, String> {
    if let Ok(url) = std::env::var("OPSDESK_TEST_PG") {
        return Ok(Server {
            base: url.trim_end_matches('/').to_string(),
            own: None,
            _cluster: None,
        });
    }
    let bin = binaries().ok_or_else(|| NEEDS_A_SERVER.to_string())?;
    start(&bin)
}

/// The folder holding `initdb` and `postgres`.
fn binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"));
    on_path
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

/// `program args…`, as the `postgres` account when this process is root.
fn unprivileged(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start(bin: &Path) -> Result<Server, String> {
    // Kept past this process: the server's shell removes it once the server has stopped.
    let dir = tempfile::Builder::new()
        .prefix("opsdesk-pg-")
        .tempdir()
        .map_err(|e| format!("no temporary folder for a cluster: {e}"))?
        .keep();
    let dir = dir.as_path();
    if is_root() {
        let uid = account_id("postgres")
            .ok_or("the tests run as root and there is no `postgres` account to run the server")?;
        std::os::unix::fs::chown(dir, Some(uid.0), Some(uid.1)).map_err(|e| format!("chown: {e}"))?;
    }
    let data = dir.join("data");
    let init = unprivileged(&bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale",
            "C",
            "-D",
        ])
        .arg(&data)
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !init.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&init.stderr)));
    }
    let hba = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| format!("cannot write pg_hba.conf: {e}"))?;
    let port = free_port()?;
    // The shell starts the server and stops it once its standard input closes, which it does
    // when this process ends, however it ends.
    let script = "\"$0\" -D \"$1\" -k \"$2\" -p \"$3\" -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 2>&1 & pid=$!; \
         cat >/dev/null; kill -INT $pid; wait $pid; rm -rf \"$2\"";
    let mut child = unprivileged(Path::new("/bin/sh"))
        .arg("-c")
        .arg(script)
        .arg(bin.join("postgres"))
        .arg(&data)
        .arg(dir)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("no pipes to the server".into());
    };
    let mut lines = BufReader::new(stdout).lines();
    let mut said = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                let ready = line.contains("ready to accept connections");
                said.push(line);
                if ready {
                    break;
                }
            }
            _ => return Err(format!("the server did not start: {}", said.join("\n"))),
        }
    }
    // Its later lines are not read: they go on into the pipe, which the server outlives.
    std::thread::spawn(move || lines.for_each(drop));
    let socket = dir.display().to_string().replace('/', "%2F");
    Ok(Server {
        base: format!("postgresql://postgres@{socket}:{port}"),
        own: Some(Own {
            socket: dir.to_path_buf(),
            port,
            bin: bin.to_path_buf(),
        }),
        _cluster: Some(Mutex::new((child, stdin))),
    })
}

/// A cluster the tests started.
pub struct Own {
    /// The folder of its socket (where it trusts everyone).
    pub socket: PathBuf,
    /// Its port, on the socket and on 127.0.0.1 (where it asks for passwords).
    pub port: u16,
    /// The folder of PostgreSQL's programs (psql, createdb, …).
    pub bin: PathBuf,
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn account_id(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name) && f.len() > 3).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Server {
    /// The URL of a database of this name.
    pub fn url(&self, db: &str) -> String {
        format!("{}/{db}", self.base)
    }

    /// The URL of database `db` for login role `user` with `password`: over loopback TCP,
    /// where the cluster asks for it, or (on the server `OPSDESK_TEST_PG` names) where that
    /// server is reached.
    pub fn login_url(&self, user: &str, password: &str, db_url: &str) -> String {
        let db = db_url.rsplit('/').next().unwrap_or_default();
        match self.own.as_ref().map(|o| o.port) {
            Some(port) => format!("postgresql://{user}:{password}@127.0.0.1:{port}/{db}"),
            None => {
                let rest = self.base.trim_start_matches("postgresql://");
                let rest = rest.split_once('@').map_or(rest, |(_, h)| h);
                format!("postgresql://{user}:{password}@{rest}/{db}")
            }
        }
    }

    /// A new empty database for one test; its URL.
    pub fn fresh_db(&self) -> String {
        let name = format!(
            "opsdesk_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Runs `sql` in database `db` as the server's superuser.
    pub fn sql(&self, db: &str, sql: &str) {
        let mut client = postgres::Client::connect(&self.url(db), postgres::NoTls).expect("connect to the test server");
        client.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
