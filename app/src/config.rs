//! Validated configuration (pure): turns the raw [`Settings`] into a [`Config`] or a one-line
//! [`ConfigError`] naming the environment variable at fault. Secrets are wrapped in [`Secret`],
//! whose `Debug` never shows the value.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{self, Settings};

/// A value that must never be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// How the Postgres connection is protected (libpq's `sslmode` names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgSsl {
    /// Plain TCP.
    Disable,
    /// TLS, certificate not verified (protects against passive eavesdropping only).
    Require,
    /// TLS, chain verified against the public web roots plus `root_cert`, and the host name.
    VerifyFull { root_cert: Option<PathBuf> },
}

impl PgSsl {
    /// The `PGSSLMODE` value.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Require => "require",
            Self::VerifyFull { .. } => "verify-full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgConfig {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    pub password: Option<Secret>,
    pub ssl: PgSsl,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub password: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub postgres: PgConfig,
    pub redis: RedisConfig,
    pub version: String,
    pub drain: Duration,
    pub shutdown_timeout: Duration,
}

/// A setting that is missing or invalid; `Display` is one line naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{var}: {problem}")]
    Invalid { var: &'static str, problem: String },
}

fn invalid(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        problem: problem.into(),
    }
}

/// An optional setting: unset and empty are the same.
fn optional(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.is_empty())
}

fn required<'a>(var: &'static str, value: Option<&'a String>) -> Result<&'a str, ConfigError> {
    optional(value).ok_or(ConfigError::Missing(var))
}

pub fn port(var: &'static str, value: &str) -> Result<u16, ConfigError> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid(var, format!("{value:?} is not a port number (1-65535)")))
}

fn host(var: &'static str, value: Option<&String>) -> Result<String, ConfigError> {
    let value = required(var, value)?;
    if value.starts_with('/') {
        return Err(invalid(
            var,
            "Unix-domain sockets are not supported: give a host name or IP address",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '/')
    {
        return Err(invalid(
            var,
            format!("{value:?} is not a host name or IP address"),
        ));
    }
    Ok(value.to_owned())
}

fn seconds(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| *d <= Duration::from_secs(24 * 3600))
        .ok_or_else(|| {
            invalid(
                var,
                format!("{value:?} is not a number of seconds (0 to 86400)"),
            )
        })
}

fn boolean(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(var, format!("{value:?} is not true or false"))),
    }
}

impl Config {
    pub fn from_settings(s: &Settings) -> Result<Self, ConfigError> {
        let bind: IpAddr = s
            .bind
            .trim()
            .parse()
            .map_err(|_| invalid(cli::BIND, format!("{:?} is not an IP address", s.bind)))?;
        let ssl = match s.pgsslmode.trim() {
            "disable" => PgSsl::Disable,
            "require" => PgSsl::Require,
            "verify-full" => PgSsl::VerifyFull {
                root_cert: optional(s.pgsslrootcert.as_ref()).map(PathBuf::from),
            },
            other => {
                return Err(invalid(
                    cli::PGSSLMODE,
                    format!("{other:?} is not one of disable, require, verify-full"),
                ));
            }
        };
        let version = s.app_version.trim();
        if version.is_empty()
            || version.len() > 128
            || !version.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid(
                cli::APP_VERSION,
                "must be 1-128 visible ASCII characters (it is sent as an HTTP header)",
            ));
        }
        Ok(Self {
            listen: SocketAddr::new(bind, port(cli::PORT, &s.port)?),
            postgres: PgConfig {
                host: host(cli::PGHOST, s.pghost.as_ref())?,
                port: port(cli::PGPORT, &s.pgport)?,
                dbname: required(cli::PGDATABASE, s.pgdatabase.as_ref())?.to_owned(),
                user: required(cli::PGUSER, s.pguser.as_ref())?.to_owned(),
                password: optional(s.pgpassword.as_ref()).map(Secret::new),
                ssl,
            },
            redis: RedisConfig {
                host: host(cli::REDIS_HOST, s.redis_host.as_ref())?,
                port: port(cli::REDIS_PORT, &s.redis_port)?,
                tls: boolean(cli::REDIS_TLS, &s.redis_tls)?,
                password: optional(s.redis_password.as_ref()).map(Secret::new),
            },
            version: version.to_owned(),
            drain: seconds(cli::DRAIN_SECONDS, &s.drain_seconds)?,
            shutdown_timeout: seconds(cli::SHUTDOWN_TIMEOUT, &s.shutdown_timeout)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::Cli;

    /// Parses flags; flags override the environment, and the variables the tests leave unset
    /// must not be set in the test's environment (`settings_env_free` checks).
    fn settings(args: &[&str]) -> Settings {
        let mut argv = vec!["palindrome"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("parses").settings
    }

    const MINIMAL: [&str; 6] = [
        "--pghost=db.internal",
        "--pgdatabase=palindromes",
        "--pguser=app",
        "--redis-host=cache.internal",
        "--pgpassword=pw",
        "--app-version=1.2.3",
    ];

    fn with(extra: &[&str]) -> Result<Config, ConfigError> {
        let mut args = MINIMAL.to_vec();
        args.extend_from_slice(extra);
        Config::from_settings(&settings(&args))
    }

    fn settings_env_free() -> bool {
        let set: Vec<_> = [
            cli::PORT,
            cli::BIND,
            cli::PGHOST,
            cli::PGPORT,
            cli::PGSSLMODE,
            cli::PGSSLROOTCERT,
            cli::REDIS_HOST,
            cli::REDIS_PORT,
            cli::REDIS_TLS,
            cli::REDIS_PASSWORD,
            cli::DRAIN_SECONDS,
            cli::SHUTDOWN_TIMEOUT,
        ]
        .into_iter()
        .filter(|v| std::env::var_os(v).is_some())
        .collect();
        if !set.is_empty() {
            eprintln!("skipped: {set:?} set in the environment");
        }
        set.is_empty()
    }

    #[test]
    fn defaults() {
        if !settings_env_free() {
            return;
        }
        let c = with(&[]).expect("valid");
        assert_eq!(c.listen, "0.0.0.0:5000".parse().expect("addr"));
        assert_eq!(c.postgres.port, 5432);
        assert_eq!(c.postgres.ssl, PgSsl::Disable);
        assert_eq!(c.postgres.password, Some(Secret::new("pw")));
        assert_eq!(c.redis.port, 6379);
        assert!(!c.redis.tls);
        assert_eq!(c.redis.password, None);
        assert_eq!(c.version, "1.2.3");
        assert_eq!(c.drain, Duration::from_secs(15));
        assert_eq!(c.shutdown_timeout, Duration::from_secs(8));
    }

    #[test]
    fn everything_set() {
        let c = with(&[
            "--bind=::1",
            "--port=8080",
            "--pgsslmode=verify-full",
            "--pgsslrootcert=/etc/rds.pem",
            "--redis-tls=True",
            "--redis-port=6380",
            "--redis-password=tok",
            "--drain-seconds=1.5",
            "--shutdown-timeout=0",
        ])
        .expect("valid");
        assert_eq!(c.listen, "[::1]:8080".parse().expect("addr"));
        assert_eq!(
            c.postgres.ssl,
            PgSsl::VerifyFull {
                root_cert: Some("/etc/rds.pem".into())
            }
        );
        assert!(c.redis.tls);
        assert_eq!(c.redis.port, 6380);
        assert_eq!(c.redis.password, Some(Secret::new("tok")));
        assert_eq!(c.drain, Duration::from_millis(1500));
        assert_eq!(c.shutdown_timeout, Duration::ZERO);
        assert_eq!(
            with(&["--pgsslmode=require"]).expect("valid").postgres.ssl,
            PgSsl::Require
        );
    }

    #[test]
    fn missing_values_name_the_variable() {
        if !settings_env_free() {
            return;
        }
        let c = Config::from_settings(&settings(&[
            "--pgdatabase=d",
            "--pguser=u",
            "--redis-host=r",
        ]));
        assert_eq!(c, Err(ConfigError::Missing("PGHOST")));
        assert_eq!(c.expect_err("missing").to_string(), "PGHOST is required");
        let c = Config::from_settings(&settings(&[
            "--pghost=h",
            "--pgdatabase=d",
            "--pguser=u",
            "--redis-host=",
        ]));
        assert_eq!(c, Err(ConfigError::Missing("REDIS_HOST")));
    }

    #[test]
    fn invalid_values_are_one_line_errors() {
        for (arg, var) in [
            ("--port=0", "PORT"),
            ("--port=70000", "PORT"),
            ("--port=http", "PORT"),
            ("--bind=localhost", "BIND"),
            ("--pgport=-1", "PGPORT"),
            ("--pgsslmode=prefer", "PGSSLMODE"),
            ("--pgsslmode=verify-ca", "PGSSLMODE"),
            ("--redis-tls=maybe", "REDIS_TLS"),
            ("--drain-seconds=-1", "DRAIN_SECONDS"),
            ("--drain-seconds=NaN", "DRAIN_SECONDS"),
            ("--shutdown-timeout=forever", "SHUTDOWN_TIMEOUT"),
            ("--app-version=1 2", "APP_VERSION"),
            ("--app-version=", "APP_VERSION"),
            ("--pghost=/var/run/postgresql", "PGHOST"),
            ("--redis-host=a b", "REDIS_HOST"),
        ] {
            let err = with(&[arg]).expect_err(arg);
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("{var}: ")), "{arg}: {msg}");
            assert!(!msg.contains('\n'), "{arg}: {msg}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let c = with(&["--redis-password=hunter2-token"]).expect("valid");
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2-token"), "{debug}");
        assert!(!debug.contains("\"pw\""), "{debug}");
        assert!(debug.contains("Secret(****)"));
    }
}
