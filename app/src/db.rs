//! Postgres access: one shared tokio-postgres client (queries from concurrent requests are
//! pipelined on it), reconnected on demand when it is closed, every call under a deadline, and
//! the app's three statements. The app never runs DDL: the schema is `app/migrations/`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls};

use crate::config::PgConfig;
use crate::tls::PgTls;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Timestamps leave the database as RFC 3339 text in UTC, with microseconds.
const CREATED_AT: &str =
    r#"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Shown with its causes: tokio-postgres' own text is only "db error" for a server error.
    #[error("postgres: {}", chain(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("postgres: timed out")]
    Timeout,
}

/// An error and its sources, `: `-separated, repeated texts left out.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// A stored check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub created_at: String,
}

/// A recent palindrome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recent {
    pub text: String,
    pub created_at: String,
}

pub struct Db {
    config: tokio_postgres::Config,
    tls: Option<PgTls>,
    client: Mutex<Option<Arc<Client>>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("host", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .finish_non_exhaustive()
    }
}

async fn deadline<T>(
    limit: Duration,
    work: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, DbError> {
    Ok(tokio::time::timeout(limit, work)
        .await
        .map_err(|_| DbError::Timeout)??)
}

impl Db {
    pub fn new(pg: &PgConfig, tls: Option<PgTls>) -> Self {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&pg.host)
            .port(pg.port)
            .dbname(&pg.dbname)
            .user(&pg.user)
            .application_name("palindrome")
            .connect_timeout(CONNECT_TIMEOUT)
            .ssl_mode(if tls.is_some() {
                SslMode::Require
            } else {
                SslMode::Disable
            });
        if let Some(password) = &pg.password {
            config.password(password.expose());
        }
        Self {
            config,
            tls,
            client: Mutex::new(None),
        }
    }

    /// The shared client, connecting when there is none or the last one closed.
    async fn client(&self) -> Result<Arc<Client>, DbError> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(c));
        }
        *slot = None;
        let client = match &self.tls {
            None => {
                let (client, connection) =
                    deadline(CONNECT_TIMEOUT, self.config.connect(NoTls)).await?;
                tokio::spawn(connection);
                client
            }
            Some(tls) => {
                let (client, connection) =
                    deadline(CONNECT_TIMEOUT, self.config.connect(tls.clone())).await?;
                tokio::spawn(connection);
                client
            }
        };
        let client = Arc::new(client);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// Connects and proves the app's table is readable: the start-up probe.
    pub async fn probe(&self) -> Result<(), DbError> {
        let client = self.client().await?;
        deadline(
            QUERY_TIMEOUT,
            client.query_typed("SELECT 1 FROM phrases LIMIT 0", &[]),
        )
        .await?;
        Ok(())
    }

    /// Stores one check.
    pub async fn insert(
        &self,
        text: &str,
        normalized: &str,
        is_palindrome: bool,
    ) -> Result<Stored, DbError> {
        let client = self.client().await?;
        let sql = format!(
            "INSERT INTO phrases (text, normalized, is_palindrome) VALUES ($1, $2, $3) RETURNING id, {CREATED_AT}"
        );
        let row = deadline(
            QUERY_TIMEOUT,
            client.query_typed_one(
                &sql,
                &[
                    (&text, Type::TEXT),
                    (&normalized, Type::TEXT),
                    (&is_palindrome, Type::BOOL),
                ],
            ),
        )
        .await?;
        Ok(Stored {
            id: row.try_get(0)?,
            created_at: row.try_get(1)?,
        })
    }

    /// The newest `limit` palindromes, newest first.
    pub async fn recent_palindromes(&self, limit: usize) -> Result<Vec<Recent>, DbError> {
        let client = self.client().await?;
        let sql = format!(
            "SELECT text, {CREATED_AT} FROM phrases WHERE is_palindrome ORDER BY created_at DESC, id DESC LIMIT $1"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = deadline(
            QUERY_TIMEOUT,
            client.query_typed(&sql, &[(&limit, Type::INT8)]),
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Recent {
                    text: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                })
            })
            .collect()
    }
}
