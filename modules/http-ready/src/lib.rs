//! Readiness waiting shared by palin's modules: an HTTP probe (reqwest; plain HTTP unless the
//! `tls` feature is on), a TCP probe, the expectation a response must meet, and the wait loop
//! with an overall deadline and capped exponential backoff.
//!
//! [`Backoff`] and [`Expect`] are pure; [`wait_until`] drives any [`Probe`] so the loop is tested
//! without a network, and [`HttpProbe`]/[`TcpProbe`] are the real probes. [`options`] is the
//! palin_http_ready module's spec, typed options and result mapping (its `main.rs` only runs them).

pub mod options;

use std::fmt::Write as _;
use std::time::Duration;

use thiserror::Error;
use tokio::time::Instant;

/// Why a probe could not be built.
#[derive(Debug, Error)]
pub enum ReadyError {
    #[error("invalid URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "{url} is HTTPS, but this build has no TLS stack: use a plain-HTTP URL or a build with the `tls` cargo feature"
    )]
    NoTls { url: String },
    #[error("invalid HTTP method {0:?}")]
    BadMethod(String),
    #[error("invalid header {name:?}: {reason}")]
    BadHeader { name: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// Capped exponential backoff: `interval`, `2·interval`, … up to `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub interval: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn new(interval: Duration, max: Duration) -> Self {
        let interval = interval.max(Duration::from_millis(10));
        Self {
            interval,
            max: max.max(interval),
        }
    }

    /// The pause after the `attempt`-th failed attempt (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.interval.saturating_mul(factor).min(self.max)
    }

    /// The pause after attempt `attempt`, never reaching past `remaining`.
    pub fn delay_within(&self, attempt: u32, remaining: Duration) -> Duration {
        self.delay(attempt).min(remaining)
    }
}

/// What a response must look like to count as ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// Accepted status codes; empty means any 2xx.
    pub status: Vec<u16>,
    /// A substring the body must contain.
    pub body_contains: Option<String>,
}

impl Default for Expect {
    fn default() -> Self {
        Self {
            status: vec![200],
            body_contains: None,
        }
    }
}

impl Expect {
    pub fn status_ok(&self, status: u16) -> bool {
        if self.status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.status.contains(&status)
        }
    }

    /// Whether a response with `status` and `body` is ready; otherwise why not.
    pub fn check(&self, status: u16, body: &str) -> Result<(), String> {
        if !self.status_ok(status) {
            return Err(format!(
                "status {status}, expected {}",
                self.describe_status()
            ));
        }
        if let Some(want) = &self.body_contains
            && !body.contains(want.as_str())
        {
            return Err(format!(
                "status {status} but the body does not contain {want:?}"
            ));
        }
        Ok(())
    }

    pub fn describe_status(&self) -> String {
        if self.status.is_empty() {
            return "2xx".to_owned();
        }
        let list: Vec<String> = self.status.iter().map(u16::to_string).collect();
        list.join(" or ")
    }

    /// Whether the body is needed to decide readiness.
    pub fn needs_body(&self) -> bool {
        self.body_contains.is_some()
    }
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attempt {
    pub ready: bool,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Why the attempt did not count as ready.
    pub error: Option<String>,
    /// The start of the response body (at most [`BODY_EXCERPT`] bytes).
    pub body: Option<String>,
}

/// How much of a response body is kept for the result.
pub const BODY_EXCERPT: usize = 1024;

impl Attempt {
    pub fn ready() -> Self {
        Self {
            ready: true,
            ..Self::default()
        }
    }
    pub fn not_ready(why: impl Into<String>) -> Self {
        Self {
            error: Some(why.into()),
            ..Self::default()
        }
    }
}

/// Something that can be asked "ready now?" once; `timeout` bounds the attempt.
pub trait Probe {
    fn attempt(&mut self, timeout: Duration) -> impl Future<Output = Attempt>;
    /// An error that makes further waiting pointless (e.g. the container exited).
    fn fatal(&self) -> Option<String> {
        None
    }
}

/// The result of [`wait_until`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ready: bool,
    pub attempts: u32,
    pub elapsed: Duration,
    pub last: Attempt,
    /// Set when waiting stopped early on [`Probe::fatal`].
    pub fatal: Option<String>,
}

impl Outcome {
    /// A one-line explanation of a failure ("not ready after 5.0 s (7 attempts): …").
    pub fn explain(&self, what: &str) -> String {
        let mut s = format!(
            "{what} not ready after {:.1} s ({} attempt{})",
            self.elapsed.as_secs_f64(),
            self.attempts,
            if self.attempts == 1 { "" } else { "s" }
        );
        if let Some(fatal) = &self.fatal {
            let _ = write!(s, ": {fatal}");
        } else if let Some(err) = &self.last.error {
            let _ = write!(s, ": last attempt: {err}");
        }
        s
    }
}

/// Timing of a wait: overall deadline, per-attempt cap, backoff, and the number of consecutive
/// successes needed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub timeout: Duration,
    pub request_timeout: Duration,
    pub backoff: Backoff,
    pub initial_delay: Duration,
    pub success_threshold: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            timeout: Duration::from_mins(1),
            request_timeout: Duration::from_secs(5),
            backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(2)),
            initial_delay: Duration::ZERO,
            success_threshold: 1,
        }
    }
}

/// Polls `probe` until it is ready `success_threshold` times in a row, the overall deadline
/// passes, or the probe reports a fatal condition. Always makes at least one attempt.
pub async fn wait_until<P: Probe>(probe: &mut P, timing: Timing) -> Outcome {
    let start = Instant::now();
    let deadline = start + timing.timeout;
    if !timing.initial_delay.is_zero() {
        tokio::time::sleep_until((start + timing.initial_delay).min(deadline)).await;
    }
    let mut attempts = 0u32;
    let mut failures = 0u32;
    let mut streak = 0u32;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let budget = timing
            .request_timeout
            .min(remaining)
            .max(Duration::from_millis(50));
        let last = match tokio::time::timeout(budget, probe.attempt(budget)).await {
            Ok(a) => a,
            Err(_) => Attempt::not_ready(format!("no answer within {:.1} s", budget.as_secs_f64())),
        };
        if last.ready {
            streak += 1;
            if streak >= timing.success_threshold.max(1) {
                return Outcome {
                    ready: true,
                    attempts,
                    elapsed: start.elapsed(),
                    last,
                    fatal: None,
                };
            }
        } else {
            streak = 0;
            failures += 1;
        }
        if let Some(fatal) = probe.fatal() {
            return Outcome {
                ready: false,
                attempts,
                elapsed: start.elapsed(),
                last,
                fatal: Some(fatal),
            };
        }
        let now = Instant::now();
        if now >= deadline {
            return Outcome {
                ready: false,
                attempts,
                elapsed: start.elapsed(),
                last,
                fatal: None,
            };
        }
        let pause = if last.ready {
            timing.backoff.interval
        } else {
            timing.backoff.delay(failures)
        };
        tokio::time::sleep(pause.min(deadline - now)).await;
    }
}

/// The error chain of `e` in one line ("error sending request: … : Connection refused").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// One HTTP request, checked against an [`Expect`].
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub validate_certs: bool,
    pub follow_redirects: bool,
}

/// The real HTTP probe.
#[derive(Debug)]
pub struct HttpProbe {
    client: reqwest::Client,
    request: reqwest::Request,
    expect: Expect,
}

#[cfg(feature = "tls")]
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl HttpProbe {
    pub fn new(req: &HttpRequest, expect: Expect) -> Result<Self, ReadyError> {
        let url = reqwest::Url::parse(&req.url).map_err(|e| ReadyError::BadUrl {
            url: req.url.clone(),
            reason: e.to_string(),
        })?;
        match url.scheme() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => {
                return Err(ReadyError::NoTls {
                    url: req.url.clone(),
                });
            }
            other => {
                return Err(ReadyError::BadUrl {
                    url: req.url.clone(),
                    reason: format!("unsupported scheme {other:?} (use http or https)"),
                });
            }
        }
        let method = reqwest::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ReadyError::BadMethod(req.method.clone()))?;
        #[cfg(feature = "tls")]
        install_tls_provider();
        let builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(if req.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            })
            .pool_max_idle_per_host(0)
            .user_agent(concat!("palin/", env!("CARGO_PKG_VERSION")));
        #[cfg(feature = "tls")]
        let builder = builder.danger_accept_invalid_certs(!req.validate_certs);
        let client = builder
            .build()
            .map_err(|e| ReadyError::Client(error_chain(&e)))?;
        let mut rb = client.request(method, url);
        for (name, value) in &req.headers {
            let hn = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
                ReadyError::BadHeader {
                    name: name.clone(),
                    reason: e.to_string(),
                }
            })?;
            let hv = reqwest::header::HeaderValue::from_str(value).map_err(|e| {
                ReadyError::BadHeader {
                    name: name.clone(),
                    reason: e.to_string(),
                }
            })?;
            rb = rb.header(hn, hv);
        }
        if let Some(body) = &req.body {
            rb = rb.body(body.clone());
        }
        let request = rb
            .build()
            .map_err(|e| ReadyError::Client(error_chain(&e)))?;
        Ok(Self {
            client,
            request,
            expect,
        })
    }

    /// Sends the request once (used for one-shot calls such as a drain request).
    pub async fn send_once(&self, timeout: Duration) -> Attempt {
        let Some(mut request) = self.request.try_clone() else {
            return Attempt::not_ready("the request cannot be repeated");
        };
        *request.timeout_mut() = Some(timeout);
        let response = match self.client.execute(request).await {
            Ok(r) => r,
            Err(e) => return Attempt::not_ready(error_chain(&e)),
        };
        let status = response.status().as_u16();
        let body = match response.bytes().await {
            Ok(b) => {
                let end = b.len().min(BODY_EXCERPT);
                String::from_utf8_lossy(&b[..end]).into_owned()
            }
            Err(e) => {
                return Attempt {
                    ready: false,
                    status: Some(status),
                    error: Some(format!(
                        "status {status}, reading the body failed: {}",
                        error_chain(&e)
                    )),
                    body: None,
                };
            }
        };
        let verdict = self.expect.check(status, &body);
        Attempt {
            ready: verdict.is_ok(),
            status: Some(status),
            error: verdict.err(),
            body: Some(body),
        }
    }
}

impl Probe for HttpProbe {
    async fn attempt(&mut self, timeout: Duration) -> Attempt {
        self.send_once(timeout).await
    }
}

/// A TCP connect probe.
#[derive(Debug, Clone)]
pub struct TcpProbe {
    pub host: String,
    pub port: u16,
}

impl Probe for TcpProbe {
    async fn attempt(&mut self, _timeout: Duration) -> Attempt {
        match tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(_) => Attempt::ready(),
            Err(e) => Attempt::not_ready(format!("tcp {}:{}: {e}", self.host, self.port)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        let d: Vec<u128> = (1..=6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 700, 700, 700]);
        assert_eq!(
            b.delay_within(5, Duration::from_millis(30)),
            Duration::from_millis(30)
        );
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(700));
        let tiny = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(tiny.delay(1), Duration::from_millis(10));
    }

    #[test]
    fn expectations() {
        let e = Expect::default();
        assert!(e.check(200, "").is_ok());
        assert_eq!(e.check(503, ""), Err("status 503, expected 200".into()));
        let any2xx = Expect {
            status: vec![],
            body_contains: Some("Ready".into()),
        };
        assert!(any2xx.check(204, "Ready!").is_ok());
        assert!(
            any2xx
                .check(200, "draining")
                .expect_err("body check")
                .contains("does not contain \"Ready\"")
        );
        assert_eq!(
            Expect {
                status: vec![200, 204],
                body_contains: None
            }
            .describe_status(),
            "200 or 204"
        );
    }

    /// A scripted probe: answers from a list, then repeats the last answer.
    struct Script {
        answers: Vec<bool>,
        n: usize,
        fatal_after: Option<usize>,
    }

    impl Probe for Script {
        async fn attempt(&mut self, _t: Duration) -> Attempt {
            let ready = *self
                .answers
                .get(self.n)
                .or(self.answers.last())
                .unwrap_or(&false);
            self.n += 1;
            if ready {
                Attempt::ready()
            } else {
                Attempt::not_ready("nope")
            }
        }
        fn fatal(&self) -> Option<String> {
            self.fatal_after
                .filter(|n| self.n >= *n)
                .map(|_| "container exited (code 3)".into())
        }
    }

    fn timing(timeout_ms: u64, threshold: u32) -> Timing {
        Timing {
            timeout: Duration::from_millis(timeout_ms),
            request_timeout: Duration::from_millis(100),
            backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(20)),
            initial_delay: Duration::ZERO,
            success_threshold: threshold,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_until_ready() {
        let mut p = Script {
            answers: vec![false, false, true],
            n: 0,
            fatal_after: None,
        };
        let o = wait_until(&mut p, timing(10_000, 1)).await;
        assert!(o.ready);
        assert_eq!(o.attempts, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn success_threshold_needs_consecutive_successes() {
        let mut p = Script {
            answers: vec![true, false, true, true],
            n: 0,
            fatal_after: None,
        };
        let o = wait_until(&mut p, timing(10_000, 2)).await;
        assert!(o.ready);
        assert_eq!(o.attempts, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let mut p = Script {
            answers: vec![false],
            n: 0,
            fatal_after: None,
        };
        let o = wait_until(&mut p, timing(1_000, 1)).await;
        assert!(!o.ready);
        assert!(o.elapsed >= Duration::from_secs(1));
        assert!(o.elapsed < Duration::from_millis(1_100), "{:?}", o.elapsed);
        assert!(
            o.attempts > 10,
            "capped backoff keeps polling: {}",
            o.attempts
        );
        assert!(
            o.explain("web").starts_with("web not ready after 1.0 s ("),
            "{}",
            o.explain("web")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_early_on_fatal() {
        let mut p = Script {
            answers: vec![false],
            n: 0,
            fatal_after: Some(2),
        };
        let o = wait_until(&mut p, timing(60_000, 1)).await;
        assert!(!o.ready);
        assert_eq!(o.attempts, 2);
        assert!(
            o.explain("new container")
                .ends_with(": container exited (code 3)")
        );
    }

    /// A loopback HTTP server answering `n` connections with the given responses in turn.
    fn serve(responses: Vec<&'static str>) -> (u16, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for resp in responses {
                let (mut s, _) = listener.accept().expect("accept");
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = s.write_all(resp.as_bytes());
            }
            seen
        });
        (port, handle)
    }

    #[tokio::test]
    async fn http_probe_against_a_loopback_server() {
        let (port, server) = serve(vec![
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 8\r\nconnection: close\r\n\r\ndraining",
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nReady",
        ]);
        let req = HttpRequest {
            url: format!("http://127.0.0.1:{port}/deploy"),
            method: "post".into(),
            headers: vec![("X-Token".into(), "abc".into())],
            body: Some("drain".into()),
            validate_certs: true,
            follow_redirects: false,
        };
        let expect = Expect {
            status: vec![200],
            body_contains: Some("Ready".into()),
        };
        let mut probe = HttpProbe::new(&req, expect).expect("probe");
        let mut t = timing(10_000, 1);
        t.request_timeout = Duration::from_secs(5);
        let o = wait_until(&mut probe, t).await;
        assert!(o.ready, "{o:?}");
        assert_eq!(o.attempts, 2);
        assert_eq!(o.last.status, Some(200));
        let seen = server.join().expect("server");
        assert!(seen[0].starts_with("POST /deploy HTTP/1.1"), "{}", seen[0]);
        assert!(seen[0].to_ascii_lowercase().contains("x-token: abc"));
        assert!(seen[0].ends_with("drain"));
    }

    #[tokio::test]
    async fn refused_connection_is_explained() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let req = HttpRequest {
            url: format!("http://127.0.0.1:{port}/"),
            method: "GET".into(),
            ..HttpRequest::default()
        };
        let probe = HttpProbe::new(&req, Expect::default()).expect("probe");
        let a = probe.send_once(Duration::from_secs(2)).await;
        assert!(!a.ready);
        let err = a.error.expect("error");
        assert!(err.to_lowercase().contains("refused"), "{err}");
        let mut tcp = TcpProbe {
            host: "127.0.0.1".into(),
            port,
        };
        assert!(!tcp.attempt(Duration::from_secs(1)).await.ready);
    }

    #[test]
    fn bad_requests_are_rejected_up_front() {
        let mk = |url: &str, method: &str| HttpRequest {
            url: url.into(),
            method: method.into(),
            ..HttpRequest::default()
        };
        assert!(matches!(
            HttpProbe::new(&mk("nota url", "GET"), Expect::default()),
            Err(ReadyError::BadUrl { .. })
        ));
        assert!(matches!(
            HttpProbe::new(&mk("ftp://x/", "GET"), Expect::default()),
            Err(ReadyError::BadUrl { .. })
        ));
        assert!(matches!(
            HttpProbe::new(&mk("http://x/", "G ET"), Expect::default()),
            Err(ReadyError::BadMethod(_))
        ));
        #[cfg(not(feature = "tls"))]
        assert!(matches!(
            HttpProbe::new(&mk("https://x/", "GET"), Expect::default()),
            Err(ReadyError::NoTls { .. })
        ));
    }
}
