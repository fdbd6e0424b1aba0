//! The HTTP endpoints: request → response for every route, the shared [`App`] state (drain,
//! in-flight count, backend readiness) and the JSON shapes. Pure logic is delegated to
//! `palindrome`, `drain` and `routes`; Postgres and Redis are reached through `db` and `redis`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::{Db, Recent};
use crate::drain::{Drain, Readiness};
use crate::log;
use crate::palindrome::{self, PhraseError};
use crate::redis::Redis;
use crate::routes::{self, Miss, Route};

/// Largest request body accepted (413 above).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Redis list of recent palindromes (newest first), and its length.
pub const RECENT_KEY: &str = "palindromes:recent";
pub const RECENT_MAX: usize = 100;
/// How long a refilled recent list lives before it is read from Postgres again.
pub const RECENT_TTL: Duration = Duration::from_secs(300);
/// Prefix of the `/api/check` cache keys (the raw text follows), and their lifetime.
pub const CHECK_KEY_PREFIX: &str = "palindromes:check:";
pub const CHECK_TTL: Duration = Duration::from_secs(300);
pub const DEFAULT_LIMIT: usize = 20;

pub const VERSION_HEADER: &str = "x-app-version";

/// Everything the handlers share.
#[derive(Debug)]
pub struct App {
    version: String,
    version_header: HeaderValue,
    db: Db,
    redis: Redis,
    drain: Mutex<Drain>,
    in_flight: AtomicUsize,
    postgres_reached: AtomicBool,
    redis_reached: AtomicBool,
    /// A push to the recent list failed: the list may miss an entry, rebuild it on next read.
    recent_stale: AtomicBool,
}

/// Counts a request as in flight while it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type Body = Full<Bytes>;

fn json(status: StatusCode, value: &Value) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from(value.to_string())));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response<Body> {
    json(status, &json!({ "error": message.to_string() }))
}

fn unavailable(cause: impl std::fmt::Display) -> Response<Body> {
    log::warn(format_args!("request failed: {cause}"));
    error(StatusCode::SERVICE_UNAVAILABLE, cause)
}

fn phrase_error(e: &PhraseError) -> Response<Body> {
    error(StatusCode::UNPROCESSABLE_ENTITY, e)
}

#[derive(Deserialize)]
struct NewPhrase {
    text: String,
}

impl App {
    pub fn new(version: String, db: Db, redis: Redis, drain_for: Duration) -> Self {
        let version_header =
            HeaderValue::from_str(&version).unwrap_or(HeaderValue::from_static("invalid"));
        Self {
            version,
            version_header,
            db,
            redis,
            drain: Mutex::new(Drain::new(drain_for)),
            in_flight: AtomicUsize::new(0),
            postgres_reached: AtomicBool::new(false),
            redis_reached: AtomicBool::new(false),
            recent_stale: AtomicBool::new(false),
        }
    }

    fn drain(&self) -> std::sync::MutexGuard<'_, Drain> {
        self.drain.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn is_draining(&self) -> bool {
        self.drain().is_draining()
    }

    /// Tries Postgres until it answers once (backoff 0.1 s doubling to 5 s).
    pub async fn reach_postgres(self: Arc<Self>) {
        retry_until_ok("postgres", &self.postgres_reached, || self.db.probe()).await;
    }

    /// Tries Redis until it answers once (backoff 0.1 s doubling to 5 s).
    pub async fn reach_redis(self: Arc<Self>) {
        retry_until_ok("redis", &self.redis_reached, || self.redis.ping()).await;
    }

    /// Serves one request; never fails (errors become JSON responses).
    pub async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Body>, Infallible> {
        let route = routes::route(req.method().as_str(), req.uri().path());
        // /deploy/ready itself does not count: it asks whether *other* requests are in flight.
        let _guard = (route != Ok(Route::DeployReady)).then(|| {
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            InFlight(&self.in_flight)
        });
        let mut res = match route {
            Ok(route) => self.dispatch(route, req).await,
            Err(Miss::NotFound) => error(StatusCode::NOT_FOUND, "not found"),
            Err(Miss::MethodNotAllowed { allow }) => {
                let mut res = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
                res.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static(allow));
                res
            }
        };
        res.headers_mut()
            .insert(VERSION_HEADER, self.version_header.clone());
        if self.is_draining() {
            // Move keep-alive clients off a draining instance.
            res.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        Ok(res)
    }

    async fn dispatch(&self, route: Route, req: Request<Incoming>) -> Response<Body> {
        match route {
            Route::Health => self.health(),
            Route::Version => json(StatusCode::OK, &json!({ "version": self.version })),
            Route::DeployDrain => {
                if self.drain().start(Instant::now()) {
                    log::info("drain requested: /health fails from now on");
                }
                json(StatusCode::ACCEPTED, &json!({ "status": "draining" }))
            }
            Route::DeployReady => self.ready(),
            Route::Check => self.check(req.uri().query()).await,
            Route::ListPalindromes => self.list(req.uri().query()).await,
            Route::CreatePalindrome => self.create(req).await,
        }
    }

    fn health(&self) -> Response<Body> {
        if self.is_draining() {
            return json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "draining" }),
            );
        }
        let postgres = self.postgres_reached.load(Ordering::SeqCst);
        let redis = self.redis_reached.load(Ordering::SeqCst);
        if postgres && redis {
            json(
                StatusCode::OK,
                &json!({ "status": "ok", "version": self.version }),
            )
        } else {
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "starting", "postgres": postgres, "redis": redis }),
            )
        }
    }

    fn ready(&self) -> Response<Body> {
        let readiness = self
            .drain()
            .readiness(Instant::now(), self.in_flight.load(Ordering::SeqCst));
        match readiness {
            Readiness::Ready => json(StatusCode::OK, &json!({ "status": readiness.word() })),
            Readiness::NotDraining => json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": readiness.word() }),
            ),
            Readiness::Draining {
                remaining,
                in_flight,
            } => json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({
                    "status": readiness.word(),
                    "remaining_seconds": (remaining.as_secs_f64() * 10.0).ceil() / 10.0,
                    "in_flight": in_flight,
                }),
            ),
        }
    }

    async fn check(&self, query: Option<&str>) -> Response<Body> {
        let text = match routes::query_param(query, "text") {
            Ok(Some(t)) => t,
            Ok(None) => return error(StatusCode::BAD_REQUEST, "query parameter text is required"),
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        };
        let key = format!("{CHECK_KEY_PREFIX}{text}");
        // Read through the cache; a cache that is down only costs the computation.
        match self.redis.get(&key).await {
            Ok(Some(cached)) => {
                if let Ok(mut v) = serde_json::from_slice::<Value>(&cached)
                    && v.get("normalized").is_some()
                    && v.get("is_palindrome").is_some()
                {
                    v["text"] = Value::String(text);
                    v["cached"] = Value::Bool(true);
                    return json(StatusCode::OK, &v);
                }
            }
            Ok(None) => {}
            Err(e) => log::warn(format_args!("check cache read: {e}")),
        }
        let checked = match palindrome::check(&text) {
            Ok(c) => c,
            Err(e) => return phrase_error(&e),
        };
        let value =
            json!({ "normalized": checked.normalized, "is_palindrome": checked.is_palindrome });
        if let Err(e) = self
            .redis
            .set_ex(&key, value.to_string().as_bytes(), CHECK_TTL)
            .await
        {
            log::warn(format_args!("check cache write: {e}"));
        }
        json(
            StatusCode::OK,
            &json!({
                "text": text,
                "normalized": checked.normalized,
                "is_palindrome": checked.is_palindrome,
                "cached": false,
            }),
        )
    }

    async fn list(&self, query: Option<&str>) -> Response<Body> {
        let limit = match routes::query_param(query, "limit") {
            Ok(None) => DEFAULT_LIMIT,
            Ok(Some(l)) => match l.parse::<usize>() {
                Ok(n) if n > 0 => n.min(RECENT_MAX),
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "limit must be a whole number from 1 to 100",
                    );
                }
            },
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        };
        let stale = self.recent_stale.swap(false, Ordering::SeqCst);
        let cached = if stale {
            Ok(Vec::new())
        } else {
            self.redis.list_head(RECENT_KEY, limit).await
        };
        let redis_up = match cached {
            Ok(items) if !items.is_empty() => {
                let palindromes: Vec<Recent> = items
                    .iter()
                    .filter_map(|i| serde_json::from_slice(i).ok())
                    .collect();
                return json(
                    StatusCode::OK,
                    &json!({ "palindromes": palindromes, "source": "cache" }),
                );
            }
            Ok(_) => true,
            Err(e) => {
                log::warn(format_args!("recent list read: {e}; reading the database"));
                false
            }
        };
        let recent = match self.db.recent_palindromes(RECENT_MAX).await {
            Ok(r) => r,
            Err(e) => {
                if stale {
                    self.recent_stale.store(true, Ordering::SeqCst);
                }
                return unavailable(e);
            }
        };
        if redis_up {
            let values: Vec<Vec<u8>> = recent
                .iter()
                .filter_map(|r| serde_json::to_vec(r).ok())
                .collect();
            if let Err(e) = self
                .redis
                .replace_list(RECENT_KEY, &values, RECENT_TTL)
                .await
            {
                log::warn(format_args!("recent list refill: {e}"));
                self.recent_stale.store(true, Ordering::SeqCst);
            }
        } else if stale {
            self.recent_stale.store(true, Ordering::SeqCst);
        }
        let shown = &recent[..recent.len().min(limit)];
        json(
            StatusCode::OK,
            &json!({ "palindromes": shown, "source": "database" }),
        )
    }

    async fn create(&self, req: Request<Incoming>) -> Response<Body> {
        let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body over {MAX_BODY_BYTES} bytes"),
                );
            }
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("cannot read body: {e}")),
        };
        let Ok(NewPhrase { text }) = serde_json::from_slice(&body) else {
            return error(
                StatusCode::BAD_REQUEST,
                r#"body must be JSON like {"text": "..."}"#,
            );
        };
        let checked = match palindrome::check(&text) {
            Ok(c) => c,
            Err(e) => return phrase_error(&e),
        };
        let stored = match self
            .db
            .insert(&text, &checked.normalized, checked.is_palindrome)
            .await
        {
            Ok(s) => s,
            Err(e) => return unavailable(e),
        };
        if checked.is_palindrome {
            let recent = Recent {
                text: text.clone(),
                created_at: stored.created_at.clone(),
            };
            let pushed = match serde_json::to_vec(&recent) {
                Ok(v) => self.redis.push_if_exists(RECENT_KEY, &v, RECENT_MAX).await,
                Err(_) => Ok(()),
            };
            if let Err(e) = pushed {
                log::warn(format_args!(
                    "recent list push: {e}; rebuilding it on the next read"
                ));
                self.recent_stale.store(true, Ordering::SeqCst);
            }
        }
        json(
            StatusCode::CREATED,
            &json!({
                "id": stored.id,
                "text": text,
                "normalized": checked.normalized,
                "is_palindrome": checked.is_palindrome,
                "created_at": stored.created_at,
            }),
        )
    }
}

/// Calls `attempt` until it succeeds (backoff 0.1 s doubling to 5 s, each failure logged), then
/// sets `reached`.
async fn retry_until_ok<F, Fut, E>(what: &str, reached: &AtomicBool, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut wait = Duration::from_millis(100);
    loop {
        match attempt().await {
            Ok(()) => {
                log::info(format_args!("{what} reached"));
                reached.store(true, Ordering::SeqCst);
                return;
            }
            Err(e) => log::warn(format_args!(
                "{e} (retrying in {:.1} s)",
                wait.as_secs_f64()
            )),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}
