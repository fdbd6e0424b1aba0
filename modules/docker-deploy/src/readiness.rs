//! Waiting on containers: the pre-stop gate (ask the running container to drain, poll until it
//! says it may be stopped) and the readiness proof of a started container (it keeps running,
//! Docker health, HTTP, TCP — all in one attempt), both with a deadline and capped backoff from
//! [`http_ready`]. The [`Waiter`] trait lets the deploy driver be tested with a scripted fake.

use std::time::{Duration, Instant};

use http_ready::{
    Attempt, Backoff, Expect, HttpProbe, HttpRequest, Outcome, Probe, TcpProbe, Timing, wait_until,
};
use serde::Serialize;

use crate::engine::{ContainerInfo, Engine};
use crate::options::{DockerHealth, Gate, Readiness};

/// The result of one wait, as reported in the module's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitReport {
    pub ready: bool,
    pub attempts: u32,
    /// Seconds.
    pub elapsed: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// One-line explanation when not ready.
    #[serde(skip)]
    pub explanation: String,
}

impl WaitReport {
    pub fn from_outcome(o: &Outcome, what: &str) -> Self {
        Self {
            ready: o.ready,
            attempts: o.attempts,
            elapsed: (o.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            last_error: if o.ready {
                None
            } else {
                o.fatal.clone().or_else(|| o.last.error.clone())
            },
            explanation: if o.ready {
                String::new()
            } else {
                o.explain(what)
            },
        }
    }

    pub fn failed(explanation: impl Into<String>) -> Self {
        let explanation = explanation.into();
        Self {
            ready: false,
            attempts: 0,
            elapsed: 0.0,
            last_error: Some(explanation.clone()),
            explanation,
        }
    }
}

/// Gate and readiness waits, as the deploy driver needs them.
pub trait Waiter {
    /// The pre-stop gate against the running container `current`.
    fn gate(&mut self, current: &ContainerInfo) -> impl Future<Output = WaitReport>;
    /// Waits until container `id` is ready; `what` names it in messages.
    fn prove<E: Engine>(
        &mut self,
        engine: &E,
        id: &str,
        what: &str,
    ) -> impl Future<Output = WaitReport>;
}

fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.max(0.0)).unwrap_or(Duration::MAX)
}

/// The real waiter: HTTP/TCP probes and the Engine's view of the container.
#[derive(Debug, Clone)]
pub struct Checks {
    pub readiness: Readiness,
    pub gate: Option<Gate>,
    /// Where the host reaches the first published port (the default TCP check).
    pub default_tcp: Option<(String, u16)>,
}

/// One attempt = the container still runs + health + HTTP + TCP.
struct ContainerProbe<'a, E: Engine> {
    engine: &'a E,
    id: String,
    docker_health: DockerHealth,
    http: Option<HttpProbe>,
    tcp: Option<TcpProbe>,
    fatal: Option<String>,
}

impl<E: Engine> Probe for ContainerProbe<'_, E> {
    async fn attempt(&mut self, timeout: Duration) -> Attempt {
        let info = match self.engine.inspect(&self.id).await {
            Ok(Some(info)) => info,
            Ok(None) => {
                self.fatal = Some("the container disappeared".into());
                return Attempt::not_ready("the container disappeared");
            }
            Err(e) => return Attempt::not_ready(e.to_string()),
        };
        if info.restarting || !info.running {
            let why = format!(
                "the container {} (exit code {})",
                if info.restarting {
                    "is restarting after exiting"
                } else {
                    "exited"
                },
                info.exit_code
                    .map_or_else(|| "unknown".to_owned(), |c| c.to_string())
            );
            self.fatal = Some(why.clone());
            return Attempt::not_ready(why);
        }
        match (self.docker_health, info.health.as_deref()) {
            (DockerHealth::Require, None) => {
                let why = "docker_health=require but the container has no healthcheck".to_owned();
                self.fatal = Some(why.clone());
                return Attempt::not_ready(why);
            }
            (DockerHealth::Require | DockerHealth::Auto, Some(h)) if h != "healthy" => {
                return Attempt::not_ready(format!("docker health is {h}"));
            }
            _ => {}
        }
        let mut last = Attempt::ready();
        if let Some(http) = &mut self.http {
            last = http.attempt(timeout).await;
            if !last.ready {
                return last;
            }
        }
        if let Some(tcp) = &mut self.tcp {
            let a = tcp.attempt(timeout).await;
            if !a.ready {
                return a;
            }
        }
        last
    }

    fn fatal(&self) -> Option<String> {
        self.fatal.clone()
    }
}

impl Checks {
    fn timing(r: &Readiness) -> Timing {
        Timing {
            timeout: secs(r.timeout),
            request_timeout: secs(r.request_timeout),
            backoff: Backoff::new(secs(r.interval), secs(r.max_interval)),
            initial_delay: Duration::ZERO,
            success_threshold: r.success_threshold,
        }
    }
}

fn headers(map: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

impl Waiter for Checks {
    async fn gate(&mut self, current: &ContainerInfo) -> WaitReport {
        let Some(g) = self.gate.clone() else {
            return WaitReport {
                ready: true,
                attempts: 0,
                elapsed: 0.0,
                last_error: None,
                explanation: String::new(),
            };
        };
        let what = format!(
            "gate {} of container {}",
            g.ready_url.as_deref().unwrap_or(&g.url),
            current.name
        );
        let expect = Expect {
            status: g.status.clone(),
            body_contains: g.body_contains.clone(),
        };
        let call = HttpRequest {
            url: g.url.clone(),
            method: g.method.clone(),
            headers: headers(&g.headers),
            body: None,
            validate_certs: true,
            follow_redirects: false,
        };
        let start = Instant::now();
        let first = match HttpProbe::new(&call, expect.clone()) {
            Ok(p) => p,
            Err(e) => return WaitReport::failed(format!("gate: {e}")),
        };
        let deadline = secs(g.timeout);
        let budget = secs(g.request_timeout).min(deadline);
        let first_attempt = match tokio::time::timeout(budget, first.send_once(budget)).await {
            Ok(a) => a,
            Err(_) => Attempt::not_ready(format!("no answer within {:.1} s", budget.as_secs_f64())),
        };
        if first_attempt.ready {
            return WaitReport::from_outcome(
                &Outcome {
                    ready: true,
                    attempts: 1,
                    elapsed: start.elapsed(),
                    last: first_attempt,
                    fatal: None,
                },
                &what,
            );
        }
        let poll = HttpRequest {
            url: g.ready_url.clone().unwrap_or_else(|| g.url.clone()),
            method: g.ready_method.clone(),
            ..call
        };
        let mut probe = match HttpProbe::new(&poll, expect) {
            Ok(p) => p,
            Err(e) => return WaitReport::failed(format!("gate: {e}")),
        };
        let timing = Timing {
            timeout: deadline.saturating_sub(start.elapsed()),
            request_timeout: secs(g.request_timeout),
            backoff: Backoff::new(secs(g.interval), secs(g.max_interval)),
            initial_delay: Duration::ZERO,
            success_threshold: 1,
        };
        let mut outcome = wait_until(&mut probe, timing).await;
        outcome.attempts += 1;
        outcome.elapsed = start.elapsed();
        WaitReport::from_outcome(&outcome, &what)
    }

    async fn prove<E: Engine>(&mut self, engine: &E, id: &str, what: &str) -> WaitReport {
        let r = &self.readiness;
        let http = match &r.http {
            Some(h) => {
                let req = HttpRequest {
                    url: h.url.clone(),
                    method: h.method.clone(),
                    headers: headers(&h.headers),
                    body: None,
                    validate_certs: true,
                    follow_redirects: false,
                };
                match HttpProbe::new(
                    &req,
                    Expect {
                        status: h.status.clone(),
                        body_contains: h.body_contains.clone(),
                    },
                ) {
                    Ok(p) => Some(p),
                    Err(e) => return WaitReport::failed(format!("readiness: {e}")),
                }
            }
            None => None,
        };
        let tcp = match (&r.tcp, &r.http, &self.default_tcp) {
            (Some(t), _, _) => Some(TcpProbe {
                host: t.host.clone(),
                port: t.port,
            }),
            (None, None, Some((host, port))) => Some(TcpProbe {
                host: host.clone(),
                port: *port,
            }),
            _ => None,
        };
        let mut probe = ContainerProbe {
            engine,
            id: id.to_owned(),
            docker_health: r.docker_health,
            http,
            tcp,
            fatal: None,
        };
        let outcome = wait_until(&mut probe, Self::timing(r)).await;
        WaitReport::from_outcome(&outcome, what)
    }
}
