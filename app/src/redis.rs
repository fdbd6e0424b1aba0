//! The Redis client: a small pool of RESP connections (plain TCP or rustls), AUTH on connect,
//! pipelined commands with deadlines, and the few operations the app uses. A connection that
//! fails is dropped, the next call opens a new one, so a restarted Redis heals by itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::config::RedisConfig;
use crate::resp::{self, ProtocolError, Reply};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const IO_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_IDLE: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("redis: cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    #[error("redis: timed out")]
    Timeout,
    #[error("redis: {0}")]
    Io(#[from] std::io::Error),
    #[error("redis: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("redis: server error: {0}")]
    Server(String),
    #[error("redis: unexpected reply to {0}")]
    Unexpected(&'static str),
    #[error("redis: REDIS_HOST is not a valid TLS server name")]
    ServerName,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Conn {
    io: Box<dyn Io>,
    buf: Vec<u8>,
}

impl Conn {
    /// Sends `commands` in one write and reads one reply per command.
    async fn pipeline(&mut self, commands: &[Vec<&[u8]>]) -> Result<Vec<Reply>, RedisError> {
        let mut out = Vec::new();
        for c in commands {
            out.extend_from_slice(&resp::encode(c));
        }
        self.io.write_all(&out).await?;
        self.io.flush().await?;
        let mut replies = Vec::with_capacity(commands.len());
        while replies.len() < commands.len() {
            if let Some((reply, used)) = resp::parse(&self.buf)? {
                self.buf.drain(..used);
                replies.push(reply);
                continue;
            }
            if self.io.read_buf(&mut self.buf).await? == 0 {
                return Err(RedisError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
        }
        Ok(replies)
    }
}

/// The app's Redis: configuration plus idle connections.
pub struct Redis {
    config: RedisConfig,
    tls: Option<TlsConnector>,
    idle: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .field("tls", &self.config.tls)
            .finish_non_exhaustive()
    }
}

/// Turns an error reply into an error.
fn ok(reply: Reply) -> Result<Reply, RedisError> {
    match reply {
        Reply::Error(e) => Err(RedisError::Server(e)),
        other => Ok(other),
    }
}

impl Redis {
    pub fn new(config: RedisConfig, tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        Self {
            config,
            tls: tls.map(TlsConnector::from),
            idle: Mutex::new(Vec::new()),
        }
    }

    async fn connect(&self) -> Result<Conn, RedisError> {
        let addr = (self.config.host.as_str(), self.config.port);
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| RedisError::Timeout)?
            .map_err(RedisError::Connect)?;
        tcp.set_nodelay(true)?;
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let name = ServerName::try_from(self.config.host.clone())
                    .map_err(|_| RedisError::ServerName)?;
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, tls.connect(name, tcp))
                    .await
                    .map_err(|_| RedisError::Timeout)?
                    .map_err(RedisError::Connect)?;
                Box::new(stream)
            }
        };
        let mut conn = Conn {
            io,
            buf: Vec::new(),
        };
        if let Some(password) = &self.config.password {
            let reply = conn
                .pipeline(&[vec![b"AUTH", password.expose().as_bytes()]])
                .await?;
            match reply.into_iter().next() {
                Some(Reply::Simple(s)) if s == "OK" => {}
                Some(Reply::Error(e)) => return Err(RedisError::Server(e)),
                _ => return Err(RedisError::Unexpected("AUTH")),
            }
        }
        Ok(conn)
    }

    /// Runs `commands` pipelined on a pooled connection, within the I/O deadline.
    async fn run(&self, commands: &[Vec<&[u8]>]) -> Result<Vec<Reply>, RedisError> {
        let work = async {
            let pooled = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => self.connect().await?,
            };
            let replies = conn.pipeline(commands).await?;
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
            Ok(replies)
        };
        tokio::time::timeout(CONNECT_TIMEOUT + IO_TIMEOUT, work)
            .await
            .map_err(|_| RedisError::Timeout)?
    }

    async fn one(&self, command: Vec<&[u8]>, what: &'static str) -> Result<Reply, RedisError> {
        ok(self
            .run(&[command])
            .await?
            .into_iter()
            .next()
            .ok_or(RedisError::Unexpected(what))?)
    }

    /// Connects (with AUTH) and PINGs: the start-up probe.
    pub async fn ping(&self) -> Result<(), RedisError> {
        match self.one(vec![b"PING"], "PING").await? {
            Reply::Simple(s) if s == "PONG" => Ok(()),
            _ => Err(RedisError::Unexpected("PING")),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, RedisError> {
        match self.one(vec![b"GET", key.as_bytes()], "GET").await? {
            Reply::Bulk(v) => Ok(v),
            _ => Err(RedisError::Unexpected("GET")),
        }
    }

    pub async fn set_ex(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), RedisError> {
        let secs = ttl.as_secs().max(1).to_string();
        self.one(
            vec![b"SET", key.as_bytes(), value, b"EX", secs.as_bytes()],
            "SET",
        )
        .await?;
        Ok(())
    }

    /// The first `count` elements of list `key`.
    pub async fn list_head(&self, key: &str, count: usize) -> Result<Vec<Vec<u8>>, RedisError> {
        let stop = count.saturating_sub(1).to_string();
        match self
            .one(
                vec![b"LRANGE", key.as_bytes(), b"0", stop.as_bytes()],
                "LRANGE",
            )
            .await?
        {
            Reply::Array(Some(items)) => items
                .into_iter()
                .map(|i| match i {
                    Reply::Bulk(Some(b)) => Ok(b),
                    _ => Err(RedisError::Unexpected("LRANGE")),
                })
                .collect(),
            Reply::Array(None) => Ok(Vec::new()),
            _ => Err(RedisError::Unexpected("LRANGE")),
        }
    }

    /// Pushes `value` onto the head of list `key` only if the list exists (LPUSHX: an absent
    /// list is refilled from the database on the next read, so it never holds just the newest
    /// entries), and trims it to `max` elements.
    pub async fn push_if_exists(
        &self,
        key: &str,
        value: &[u8],
        max: usize,
    ) -> Result<(), RedisError> {
        let stop = max.saturating_sub(1).to_string();
        let replies = self
            .run(&[
                vec![b"LPUSHX", key.as_bytes(), value],
                vec![b"LTRIM", key.as_bytes(), b"0", stop.as_bytes()],
            ])
            .await?;
        for r in replies {
            ok(r)?;
        }
        Ok(())
    }

    /// Replaces list `key` by `values` (head first) atomically, expiring after `ttl`.
    pub async fn replace_list(
        &self,
        key: &str,
        values: &[Vec<u8>],
        ttl: Duration,
    ) -> Result<(), RedisError> {
        let secs = ttl.as_secs().max(1).to_string();
        let mut commands: Vec<Vec<&[u8]>> = vec![vec![b"MULTI"], vec![b"DEL", key.as_bytes()]];
        if !values.is_empty() {
            let mut rpush: Vec<&[u8]> = vec![b"RPUSH", key.as_bytes()];
            rpush.extend(values.iter().map(Vec::as_slice));
            commands.push(rpush);
            commands.push(vec![b"EXPIRE", key.as_bytes(), secs.as_bytes()]);
        }
        commands.push(vec![b"EXEC"]);
        let replies = self.run(&commands).await?;
        for r in replies {
            if let Reply::Array(Some(results)) = &r {
                for inner in results {
                    ok(inner.clone())?;
                }
            }
            if let Reply::Array(None) = ok(r)? {
                return Err(RedisError::Unexpected("EXEC"));
            }
        }
        Ok(())
    }
}
