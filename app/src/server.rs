//! The HTTP server: binds the listener, starts the background probes of Postgres and Redis,
//! serves HTTP/1.1 connections with hyper, and shuts down gracefully on SIGTERM or SIGINT (as
//! PID 1 in a container there are no default handlers, so both are handled explicitly): stop
//! accepting, let in-flight requests finish within the shutdown timeout, close idle
//! keep-alive connections, return.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::Config;
use crate::db::Db;
use crate::log;
use crate::redis::Redis;
use crate::service::App;
use crate::tls::{self, TlsError};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot install the signal handlers: {0}")]
    Signals(#[source] std::io::Error),
}

/// Everything that needs checking before serving: TLS material (a bad `PGSSLROOTCERT` is a
/// configuration error) and the listening socket.
#[derive(Debug)]
pub struct Prepared {
    app: Arc<App>,
    listener: TcpListener,
    shutdown_timeout: Duration,
}

pub async fn prepare(config: Config) -> Result<Prepared, ServerError> {
    let pg_tls = tls::postgres_tls(&config.postgres.ssl)?;
    let redis_tls = if config.redis.tls {
        Some(tls::redis_client_config()?)
    } else {
        None
    };
    let db = Db::new(&config.postgres, pg_tls);
    let redis = Redis::new(config.redis.clone(), redis_tls);
    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: config.listen,
                source,
            })?;
    Ok(Prepared {
        app: Arc::new(App::new(config.version, db, redis, config.drain)),
        listener,
        shutdown_timeout: config.shutdown_timeout,
    })
}

/// Serves until SIGTERM or SIGINT, then shuts down gracefully.
pub async fn serve(prepared: Prepared) -> Result<(), ServerError> {
    let Prepared {
        app,
        listener,
        shutdown_timeout,
    } = prepared;
    let mut sigterm = signal(SignalKind::terminate()).map_err(ServerError::Signals)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(ServerError::Signals)?;
    tokio::spawn(Arc::clone(&app).reach_postgres());
    tokio::spawn(Arc::clone(&app).reach_redis());
    if let Ok(addr) = listener.local_addr() {
        log::info(format_args!("listening on {addr}"));
    }

    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    let signal_name = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        log::warn(format_args!("accept: {e}"));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = Arc::clone(&app);
                let conn = builder.serve_connection(
                    TokioIo::new(stream),
                    service_fn(move |req| Arc::clone(&app).handle(req)),
                );
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = sigterm.recv() => break "SIGTERM",
            _ = sigint.recv() => break "SIGINT",
        }
    };
    drop(listener);
    log::info(format_args!(
        "{signal_name}: shutting down, finishing requests in flight"
    ));
    tokio::select! {
        () = graceful.shutdown() => log::info("shut down"),
        () = tokio::time::sleep(shutdown_timeout) => {
            log::warn(format_args!("shutdown timeout ({:.1} s) reached with requests still in flight", shutdown_timeout.as_secs_f64()));
        }
    }
    Ok(())
}
