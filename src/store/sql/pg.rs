//! The PostgreSQL side of [`super::Tx`]: where a desk on a server is, how to reach it
//! (password from the URL, `PGPASSWORD` or `~/.pgpass`, never shown), and statements
//! prepared once per connection with `$N` placeholders.

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::error::Error;
use std::path::PathBuf;

use bytes::BytesMut;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use super::{Row, RowOf, Value, ValueRef};
use crate::store::{Result, StoreError};

/// A desk on a PostgreSQL server: a `postgresql://` URL, understood as libpq does.
#[derive(Clone)]
pub struct PgConfig {
    config: postgres::Config,
    shown: String,
}

impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgConfig {
    /// Whether `s` names a desk on a server rather than a file.
    pub fn is_url(s: &str) -> bool {
        s.starts_with("postgresql://") || s.starts_with("postgres://")
    }

    /// Reads a URL. The password comes from the URL, else `PGPASSWORD`, else the first
    /// matching line of `~/.pgpass` (or `PGPASSFILE`) when only its owner may read it.
    pub fn parse(url: &str) -> Result<PgConfig> {
        PgConfig::parse_with(url, &|k| std::env::var(k).ok())
    }

    /// [`PgConfig::parse`] with the environment `env` gives (tests pin it).
    pub fn parse_with(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<PgConfig> {
        let mut config = PgConfig::place(url, env)?;
        if config.get_password().is_none() {
            if let Some(p) = env("PGPASSWORD") {
                config.password(p);
            } else if let Some(p) = pgpass(&config, env) {
                config.password(p);
            }
        }
        let shown = shown(&config);
        Ok(PgConfig { config, shown })
    }

    /// Where `url` leads, without its password and without looking one up: for showing.
    pub fn shown_url(url: &str) -> Result<String> {
        Ok(shown(&PgConfig::place(url, &|k| std::env::var(k).ok())?))
    }

    /// The URL with libpq's defaults filled in (PG* variables, the socket folder, the
    /// account's name), but no password looked up.
    fn place(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<postgres::Config> {
        let mut config: postgres::Config = url.parse().map_err(|e| StoreError::BadUrl {
            url: without_password(url),
            why: format!("{e}"),
        })?;
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(h) if !h.is_empty() => {
                    config.host(&h);
                }
                _ => {
                    config.host_path("/var/run/postgresql");
                }
            }
        }
        // A server that does not answer is said within seconds, not after the system's minutes.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT").and_then(|p| p.parse().ok())
        {
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER").unwrap_or_else(|| whoami::username().unwrap_or_default());
            config.user(&user);
        }
        if config.get_dbname().is_none()
            && let Some(db) = env("PGDATABASE")
        {
            config.dbname(&db);
        }
        if config.get_application_name().is_none() {
            config.application_name("opsdesk");
        }
        Ok(config)
    }

    /// Where the desk is, without its password: `postgresql://ann@db.example:5432/desk`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub fn connect(&self) -> Result<PgConn> {
        Ok(PgConn {
            client: self.connect_plain()?,
            cache: RefCell::new(HashMap::new()),
        })
    }

    /// A connection of the client library itself (for listening).
    pub fn connect_plain(&self) -> Result<Client> {
        if self.config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(StoreError::BadUrl {
                url: self.shown.clone(),
                why: "sslmode=require: this build of opsdesk connects without TLS (use a socket, a tunnel, or sslmode=prefer/disable)".into(),
            });
        }
        let client = self.config.connect(NoTls).map_err(|e| match e.as_db_error() {
            // It answered: a role, password or database it would not take.
            Some(_) => StoreError::Denied {
                what: format!("the server of {} refused the connection", self.shown),
                why: crate::store::pg_message(&e),
            },
            None => StoreError::Unreachable {
                url: self.shown.clone(),
                why: e.to_string(),
            },
        })?;
        Ok(client)
    }
}

fn host_name(h: &postgres::config::Host) -> String {
    match h {
        postgres::config::Host::Tcp(name) => name.clone(),
        postgres::config::Host::Unix(dir) => dir.display().to_string(),
    }
}

fn shown(c: &postgres::Config) -> String {
    let host = c.get_hosts().first().map(host_name).unwrap_or_default();
    let host = if host.starts_with('/') {
        host.replace('/', "%2F")
    } else {
        host
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().unwrap_or_default();
    let db = c.get_dbname().unwrap_or(user);
    format!("postgresql://{user}@{host}:{port}/{db}")
}

/// The URL as given with any password in it taken out.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// The password `~/.pgpass` holds for this connection, as libpq reads it: lines of
/// `host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`; a
/// file others may read is ignored.
fn pgpass(c: &postgres::Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let path = match env("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env("HOME")?).join(".pgpass"),
    };
    let meta = std::fs::metadata(&path).ok()?;
    if meta.mode() & 0o077 != 0 || meta.len() > 1 << 20 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = c.get_hosts().first().map(host_name).unwrap_or_default();
    let host = if host.starts_with('/') {
        "localhost".to_string()
    } else {
        host
    };
    let port = c.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = c.get_user().unwrap_or_default();
    let db = c.get_dbname().unwrap_or(user);
    let want = [host.as_str(), port.as_str(), db, user];
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        (fields.len() == 5 && fields[..4].iter().zip(want).all(|(f, w)| f == "*" || f == w)).then(|| fields[4].clone())
    })
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(d) = chars.next()
                    && let Some(f) = fields.last_mut()
                {
                    f.push(d);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

/// One connection to a desk's database, with the statements it has prepared.
pub struct PgConn {
    client: Client,
    cache: RefCell<HashMap<String, Statement>>,
}

/// What [`super::Tx`] asks of a PostgreSQL transaction.
pub(crate) trait PgExec {
    fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<usize>;
    fn batch(&self, sql: &str) -> Result<()>;
    /// Every row of the answer, read before the first is handed on (so `f` may query).
    fn query(&self, sql: &str, params: &[Value<'_>], f: &mut dyn FnMut(&Row<'_>) -> Result<bool>) -> Result<()>;
    /// The answer read a batch of rows at a time, for answers that may be long.
    fn stream(&self, sql: &str, params: &[Value<'_>], f: &mut dyn FnMut(&Row<'_>) -> Result<bool>) -> Result<()>;
    /// The answer as the server sends it, without waiting between batches; `f` may not use
    /// this transaction, and after it stops the rest of the answer is still read (skipped).
    fn scan(&self, sql: &str, params: &[Value<'_>], f: &mut dyn FnMut(&Row<'_>) -> Result<bool>) -> Result<()>;
    /// Loads rows of `cols.len()` values each (`values`, row after row) into `table` with
    /// COPY, the server's fastest way in.
    fn copy_in(&self, table: &str, cols: &[String], values: &[Value<'_>]) -> Result<()>;
    /// Loads into `table`, through one COPY, the rows `feed` hands its sink, one row of
    /// `cols.len()` values at a time; `feed` may not use this transaction.
    fn copy_from(&self, table: &str, cols: &[String], feed: super::Feed<'_>) -> Result<()>;
}

/// How a transaction begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Reads one snapshot of the desk.
    Read,
    /// Takes the desk's write lock first, as SQLite's IMMEDIATE does: writers go one at a
    /// time, and each reads what the one before it committed.
    Write,
}

/// The advisory lock every writer takes first (`OPSD` as a number).
const WRITE_LOCK: i64 = 0x4F50_5344;

impl PgConn {
    /// Begins a transaction; it commits only through [`PgTx::commit`].
    pub fn begin(&mut self, how: Begin) -> Result<PgTx<'_>> {
        let PgConn { client, cache } = self;
        let tx = match how {
            Begin::Read => client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?,
            Begin::Write => {
                let mut tx = client.transaction()?;
                // A literal in a simple query: one round trip, where a parameter would take
                // two (the statement prepared, then run).
                tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK})"))?;
                tx
            }
        };
        Ok(PgTx {
            tx: RefCell::new(tx),
            cache,
        })
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// A transaction on a desk's database.
pub struct PgTx<'c> {
    tx: RefCell<postgres::Transaction<'c>>,
    cache: &'c RefCell<HashMap<String, Statement>>,
}

impl<'c> PgTx<'c> {
    /// The transaction, unless a scan or a load holds it: a caller's mistake, refused.
    fn tx(&self) -> Result<RefMut<'_, postgres::Transaction<'c>>> {
        self.tx.try_borrow_mut().map_err(|_| {
            StoreError::Corrupt("a statement was run while the connection was still reading an answer".into())
        })
    }

    /// The column types of `table`'s `cols`, from a statement prepared once per table.
    fn types(&self, table: &str, cols: &[String]) -> Result<Vec<Type>> {
        let list = super::quoted_list(cols);
        Ok(self
            .statement(&format!("SELECT {list} FROM {} LIMIT 0", super::quoted(table)))?
            .columns()
            .iter()
            .map(|c| c.type_().clone())
            .collect())
    }

    pub fn commit(self) -> Result<()> {
        Ok(self.tx.into_inner().commit()?)
    }

    pub fn rollback(self) -> Result<()> {
        Ok(self.tx.into_inner().rollback()?)
    }

    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.cache.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.tx()?.prepare(&super::dollar_placeholders(sql))?;
        self.cache.borrow_mut().insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

fn bound<'a>(params: &'a [Value<'a>]) -> Vec<Bind<'a>> {
    params.iter().map(Bind).collect()
}

fn refs<'a>(bound: &'a [Bind<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect()
}

/// Rows fetched at a time by [`PgExec::stream`].
const BATCH: i32 = 2_000;

impl PgExec for PgTx<'_> {
    fn copy_in(&self, table: &str, cols: &[String], values: &[Value<'_>]) -> Result<()> {
        if cols.is_empty() || values.is_empty() {
            return Ok(());
        }
        self.copy_from(table, cols, &mut |put| {
            for row in values.chunks(cols.len()) {
                put(row)?;
            }
            Ok(())
        })
    }

    fn copy_from(&self, table: &str, cols: &[String], feed: super::Feed<'_>) -> Result<()> {
        let types = self.types(table, cols)?;
        let mut tx = self.tx()?;
        let sink = tx.copy_in(&format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            super::quoted(table),
            super::quoted_list(cols)
        ))?;
        let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        feed(&mut |row| {
            let bound = bound(row);
            Ok(writer.write(&refs(&bound))?)
        })?;
        writer.finish()?;
        Ok(())
    }

    fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<usize> {
        let stmt = self.statement(sql)?;
        let bound = bound(params);
        let n = self.tx()?.execute(&stmt, &refs(&bound))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.tx()?.batch_execute(sql)?)
    }

    fn query(&self, sql: &str, params: &[Value<'_>], f: &mut dyn FnMut(&Row<'_>) -> Result<bool>) -> Result<()> {
        let stmt = self.statement(sql)?;
        let bound = bound(params);
        let rows = self.tx()?.query(&stmt, &refs(&bound))?;
        for r in &rows {
            if !f(&Row(RowOf::Pg(r)))? {
                break;
            }
        }
        Ok(())
    }

    fn stream(&self, sql: &str, params: &[Value<'_>], f: &mut dyn FnMut(&Row<'_>) -> Result<bool>) -> Result<()> {
        let stmt = self.statement(sql)?;
        let bound = bound(params);
        let portal = self.tx()?.bind(&stmt, &refs(&bound))?;
        loop {
            // The borrow ends before `f` runs, so `f` may query too.
            let rows = self.tx()?.query_portal(&portal, BATCH)?;
            let done = rows.len() < BATCH as usize;
            for r in &rows {
                if !f(&Row(RowOf::Pg(r)))? {
                    return Ok(());
                }
            }
            if done {
                return Ok(());
            }
        }
    }

    fn scan(&self, sql: &str, params: &[Value<'_>], f: &mut dyn FnMut(&Row<'_>) -> Result<bool>) -> Result<()> {
        let stmt = self.statement(sql)?;
        let bound = bound(params);
        let mut tx = self.tx()?;
        let mut rows = tx.query_raw(&stmt, refs(&bound))?;
        let mut wanted = true;
        while let Some(r) = rows.next()? {
            if wanted {
                wanted = f(&Row(RowOf::Pg(&r)))?;
            }
        }
        Ok(())
    }
}

/// A [`Value`] as the type PostgreSQL wants for its placeholder.
#[derive(Debug)]
struct Bind<'a>(&'a Value<'a>);

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Bind<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("an integer cannot be stored as {ty}").into()),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => r.to_sql(ty, out),
            },
            Value::Text(s) => s.as_ref().to_sql(ty, out),
            Value::Blob(b) => b.as_ref().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A `numeric` (what `sum` and `avg` give): an integer when it has no fraction and fits.
struct Numeric(ValueRef<'static>);

impl FromSql<'_> for Numeric {
    fn from_sql(_: &Type, raw: &[u8]) -> std::result::Result<Numeric, BoxError> {
        let word = |i: usize| -> std::result::Result<u16, BoxError> {
            raw.get(i * 2..i * 2 + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "a numeric cut short".into())
        };
        let (ndigits, weight, sign, scale) = (word(0)?, word(1)? as i16, word(2)?, word(3)?);
        if sign == 0xC000 {
            return Ok(Numeric(ValueRef::Real(f64::NAN)));
        }
        let mut whole: Option<i64> = Some(0);
        let mut real = 0.0f64;
        for k in 0..usize::from(ndigits) {
            let d = word(4 + k)?;
            let power = i32::from(weight) - k as i32;
            real += f64::from(d) * 10000f64.powi(power);
            whole = match u32::try_from(power) {
                Ok(p) => whole.and_then(|w| {
                    10000i64
                        .checked_pow(p)
                        .and_then(|m| m.checked_mul(i64::from(d)))
                        .and_then(|v| w.checked_add(v))
                }),
                Err(_) if d == 0 => whole,
                Err(_) => None,
            };
        }
        let negative = sign == 0x4000;
        Ok(Numeric(match whole {
            Some(w) if scale == 0 => ValueRef::Int(if negative { -w } else { w }),
            _ => ValueRef::Real(if negative { -real } else { real }),
        }))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

pub(super) fn value<'r>(r: &'r postgres::Row, i: usize) -> Result<ValueRef<'r>> {
    fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> ValueRef<'static>) -> ValueRef<'static> {
        v.map_or(ValueRef::Null, f)
    }
    let ty = r
        .columns()
        .get(i)
        .map(|c| c.type_().clone())
        .ok_or(StoreError::Column {
            index: i,
            want: "a column",
            found: "no such column",
        })?;
    Ok(match ty {
        Type::INT8 => opt(r.try_get::<_, Option<i64>>(i)?, ValueRef::Int),
        Type::INT4 => opt(r.try_get::<_, Option<i32>>(i)?, |v| ValueRef::Int(v.into())),
        Type::INT2 => opt(r.try_get::<_, Option<i16>>(i)?, |v| ValueRef::Int(v.into())),
        Type::OID => opt(r.try_get::<_, Option<u32>>(i)?, |v| ValueRef::Int(v.into())),
        Type::BOOL => opt(r.try_get::<_, Option<bool>>(i)?, |v| ValueRef::Int(v.into())),
        Type::FLOAT8 => opt(r.try_get::<_, Option<f64>>(i)?, ValueRef::Real),
        Type::FLOAT4 => opt(r.try_get::<_, Option<f32>>(i)?, |v| ValueRef::Real(v.into())),
        Type::NUMERIC => opt(r.try_get::<_, Option<Numeric>>(i)?, |n| n.0),
        Type::BYTEA => r.try_get::<_, Option<&[u8]>>(i)?.map_or(ValueRef::Null, ValueRef::Blob),
        _ => r.try_get::<_, Option<&str>>(i)?.map_or(ValueRef::Null, ValueRef::Text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        let c = PgConfig::parse_with("postgresql://ann:s3cret@db.example:6432/desk?sslmode=disable", &|_| {
            None
        })
        .expect("url");
        assert_eq!(c.shown(), "postgresql://ann@db.example:6432/desk");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(
            without_password("postgresql://ann:s3cret@db/desk?x=1"),
            "postgresql://ann@db/desk?x=1"
        );
        assert_eq!(without_password("postgresql://db/desk"), "postgresql://db/desk");
    }

    #[test]
    fn a_socket_directory_is_a_host() {
        let c = PgConfig::parse_with("postgresql://ann@%2Ftmp%2Fpg/desk", &|_| None).expect("url");
        assert_eq!(c.shown(), "postgresql://ann@%2Ftmp%2Fpg:5432/desk");
        let c = PgConfig::parse_with("postgresql:///desk?host=/tmp/pg&user=bob", &|_| None).expect("url");
        assert_eq!(c.shown(), "postgresql://bob@%2Ftmp%2Fpg:5432/desk");
    }

    #[test]
    fn the_password_comes_from_the_environment_or_a_private_pgpass() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "# desks\nother:*:*:*:no\ndb.example:5432:desk:ann:from-file\n").expect("write");
        let file_name = file.display().to_string();
        let url = "postgresql://ann@db.example/desk";
        let password = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let c =
                PgConfig::parse_with(url, &|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).expect("url");
            c.config.get_password().map(|p| String::from_utf8_lossy(p).to_string())
        };
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(password(&[("PGPASSFILE", &file_name)]).as_deref(), Some("from-file"));
        assert_eq!(
            password(&[("PGPASSFILE", &file_name), ("PGPASSWORD", "from-env")]).as_deref(),
            Some("from-env"),
            "PGPASSWORD comes before the file"
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(
            password(&[("PGPASSFILE", &file_name)]),
            None,
            "a file others may read is ignored"
        );
        let c = PgConfig::parse_with("postgresql://ann:in-url@db.example/desk", &|_| None).expect("url");
        assert_eq!(c.config.get_password(), Some(&b"in-url"[..]));
        assert!(!c.shown().contains("in-url"));
    }

    #[test]
    fn pgpass_lines_split_on_unescaped_colons() {
        assert_eq!(
            pgpass_fields(r"db:*:desk:ann:pa\:ss:w"),
            ["db", "*", "desk", "ann", "pa:ss:w"]
        );
    }

    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        let e = PgConfig::parse_with("postgresql://ann:s3cret@db:notaport/desk", &|_| None).expect_err("refused");
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
