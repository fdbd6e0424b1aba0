//! The command line (clap): every setting comes from an environment variable (the names are the
//! constants below, in one place) or the matching flag. Values stay raw strings here;
//! `config` validates them, so every bad value gets the same one-line error.

use clap::{Parser, Subcommand};

pub const PORT: &str = "PORT";
pub const BIND: &str = "BIND";
pub const PGHOST: &str = "PGHOST";
pub const PGPORT: &str = "PGPORT";
pub const PGDATABASE: &str = "PGDATABASE";
pub const PGUSER: &str = "PGUSER";
pub const PGPASSWORD: &str = "PGPASSWORD";
pub const PGSSLMODE: &str = "PGSSLMODE";
pub const PGSSLROOTCERT: &str = "PGSSLROOTCERT";
pub const REDIS_HOST: &str = "REDIS_HOST";
pub const REDIS_PORT: &str = "REDIS_PORT";
pub const REDIS_TLS: &str = "REDIS_TLS";
pub const REDIS_PASSWORD: &str = "REDIS_PASSWORD";
pub const APP_VERSION: &str = "APP_VERSION";
pub const DRAIN_SECONDS: &str = "DRAIN_SECONDS";
pub const SHUTDOWN_TIMEOUT: &str = "SHUTDOWN_TIMEOUT";

/// The palindrome service: checks phrases, stores them in Postgres, caches in Redis.
#[derive(Debug, Parser)]
#[command(name = "palindrome", version, about, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// GET http://127.0.0.1:$PORT/health; exit 0 when it answers 200, 1 otherwise (a Docker
    /// HEALTHCHECK for an image without curl).
    Healthcheck,
}

#[derive(Debug, clap::Args)]
pub struct Settings {
    /// TCP port to listen on
    #[arg(long, env = PORT, default_value = "5000", global = true)]
    pub port: String,
    /// Address to listen on
    #[arg(long, env = BIND, default_value = "0.0.0.0")]
    pub bind: String,
    /// Postgres host name or IP address
    #[arg(long, env = PGHOST)]
    pub pghost: Option<String>,
    /// Postgres port
    #[arg(long, env = PGPORT, default_value = "5432")]
    pub pgport: String,
    /// Postgres database
    #[arg(long, env = PGDATABASE)]
    pub pgdatabase: Option<String>,
    /// Postgres user
    #[arg(long, env = PGUSER)]
    pub pguser: Option<String>,
    /// Postgres password (prefer the environment variable: flags show in `ps`)
    #[arg(long, env = PGPASSWORD, hide_env_values = true)]
    pub pgpassword: Option<String>,
    /// disable | require (encrypt, do not verify) | verify-full (verify the chain against the
    /// public web roots plus PGSSLROOTCERT, and the host name)
    #[arg(long, env = PGSSLMODE, default_value = "disable")]
    pub pgsslmode: String,
    /// PEM bundle of extra CA certificates for verify-full (the RDS CA bundle)
    #[arg(long, env = PGSSLROOTCERT)]
    pub pgsslrootcert: Option<String>,
    /// Redis host name or IP address
    #[arg(long, env = REDIS_HOST)]
    pub redis_host: Option<String>,
    /// Redis port
    #[arg(long, env = REDIS_PORT, default_value = "6379")]
    pub redis_port: String,
    /// Connect to Redis with TLS, verified against the public web roots (true/false)
    #[arg(long, env = REDIS_TLS, default_value = "false")]
    pub redis_tls: String,
    /// Redis AUTH password / token
    #[arg(long, env = REDIS_PASSWORD, hide_env_values = true)]
    pub redis_password: Option<String>,
    /// Version reported by /version, /health and the X-App-Version header
    #[arg(long, env = APP_VERSION, default_value = "dev")]
    pub app_version: String,
    /// Seconds /health fails after POST /deploy/drain before /deploy/ready says Ready
    #[arg(long, env = DRAIN_SECONDS, default_value = "15")]
    pub drain_seconds: String,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT
    #[arg(long, env = SHUTDOWN_TIMEOUT, default_value = "8")]
    pub shutdown_timeout: String,
}
