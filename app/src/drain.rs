//! The deploy drain state machine (pure, clock injected): `POST /deploy/drain` starts a drain,
//! `/health` fails from then on so the load balancer takes the instance out, and
//! `GET /deploy/ready` says Ready once the drain has lasted long enough for the load balancer to
//! notice and no request is still in flight.

use std::time::{Duration, Instant};

/// What `GET /deploy/ready` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// No drain was requested: the instance is serving (503 `NotDraining`).
    NotDraining,
    /// Draining, not yet safe to stop (503 `Draining`).
    Draining {
        remaining: Duration,
        in_flight: usize,
    },
    /// Safe to stop: drained for long enough and nothing in flight (200 `Ready`).
    Ready,
}

impl Readiness {
    /// The word the deploy gate looks for (`Ready`) or the reason it is not there yet.
    pub fn word(self) -> &'static str {
        match self {
            Self::NotDraining => "NotDraining",
            Self::Draining { .. } => "Draining",
            Self::Ready => "Ready",
        }
    }
}

/// The drain of one process: not started, or started at an instant.
#[derive(Debug, Clone)]
pub struct Drain {
    drain_for: Duration,
    started: Option<Instant>,
}

impl Drain {
    /// A drain that must last `drain_for` before the instance may be stopped.
    pub fn new(drain_for: Duration) -> Self {
        Self {
            drain_for,
            started: None,
        }
    }

    /// Starts draining at `now`; idempotent (a second request keeps the first start). Returns
    /// whether this call started it.
    pub fn start(&mut self, now: Instant) -> bool {
        if self.started.is_some() {
            return false;
        }
        self.started = Some(now);
        true
    }

    /// Whether a drain was requested (then `/health` fails).
    pub fn is_draining(&self) -> bool {
        self.started.is_some()
    }

    /// Readiness at `now` with `in_flight` other requests being served.
    pub fn readiness(&self, now: Instant, in_flight: usize) -> Readiness {
        let Some(started) = self.started else {
            return Readiness::NotDraining;
        };
        let elapsed = now.saturating_duration_since(started);
        if elapsed >= self.drain_for && in_flight == 0 {
            Readiness::Ready
        } else {
            Readiness::Draining {
                remaining: self.drain_for.saturating_sub(elapsed),
                in_flight,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn not_draining_until_started() {
        let d = Drain::new(15 * S);
        let t0 = Instant::now();
        assert!(!d.is_draining());
        assert_eq!(d.readiness(t0 + 100 * S, 0), Readiness::NotDraining);
        assert_eq!(Readiness::NotDraining.word(), "NotDraining");
    }

    #[test]
    fn ready_only_after_the_drain_time_and_with_nothing_in_flight() {
        let mut d = Drain::new(15 * S);
        let t0 = Instant::now();
        assert!(d.start(t0));
        assert!(d.is_draining());
        assert_eq!(
            d.readiness(t0, 0),
            Readiness::Draining {
                remaining: 15 * S,
                in_flight: 0
            }
        );
        assert_eq!(
            d.readiness(t0 + 14 * S, 0),
            Readiness::Draining {
                remaining: S,
                in_flight: 0
            }
        );
        assert_eq!(d.readiness(t0 + 15 * S, 0), Readiness::Ready);
        assert_eq!(
            d.readiness(t0 + 20 * S, 2),
            Readiness::Draining {
                remaining: Duration::ZERO,
                in_flight: 2
            }
        );
        assert_eq!(d.readiness(t0 + 21 * S, 0), Readiness::Ready);
        assert_eq!(Readiness::Ready.word(), "Ready");
    }

    #[test]
    fn a_second_drain_request_keeps_the_first_start() {
        let mut d = Drain::new(10 * S);
        let t0 = Instant::now();
        assert!(d.start(t0));
        assert!(!d.start(t0 + 9 * S));
        assert_eq!(d.readiness(t0 + 10 * S, 0), Readiness::Ready);
    }

    #[test]
    fn zero_drain_time_is_ready_at_once_and_a_clock_going_back_is_harmless() {
        let mut d = Drain::new(Duration::ZERO);
        let t0 = Instant::now() + 5 * S;
        d.start(t0);
        assert_eq!(d.readiness(t0, 0), Readiness::Ready);
        let mut d = Drain::new(3 * S);
        d.start(t0);
        assert_eq!(
            d.readiness(t0.checked_sub(S).expect("clock"), 0),
            Readiness::Draining {
                remaining: 3 * S,
                in_flight: 0
            }
        );
    }
}
