//! Pure deploy planning: what to do given what exists ([`decide`]), and the deploy as a state
//! machine ([`Machine`]): each step's success or failure picks the next step, including the
//! gate-refused and rollback paths. No I/O here; [`crate::deploy`] executes the steps.

use crate::desired::LABEL_HASH;
use crate::engine::ContainerInfo;
use crate::options::State;

/// What has to happen to reach the desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Running, same spec hash and image ID: only prove it ready.
    Nothing,
    /// No container yet.
    Create,
    /// A container exists but differs (spec, image, or `recreate`).
    Replace,
    /// Same spec, but not running.
    Start,
    /// `state=absent` and it exists.
    Remove,
    /// `state=absent` and it does not exist.
    AlreadyAbsent,
}

/// A decision and the reasons for it (shown in `msg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: Decision,
    pub reasons: Vec<String>,
}

/// Decides from the observed container (if any), the desired spec hash and the image ID of the
/// desired image (`None` when not known locally, e.g. a pull would still have to happen).
pub fn decide(
    state: State,
    current: Option<&ContainerInfo>,
    desired_hash: &str,
    image_id: Option<&str>,
    recreate: bool,
) -> Decided {
    let one = |decision, reason: &str| Decided {
        decision,
        reasons: vec![reason.to_owned()],
    };
    match (state, current) {
        (State::Absent, None) => one(Decision::AlreadyAbsent, "container does not exist"),
        (State::Absent, Some(_)) => one(Decision::Remove, "state=absent"),
        (State::Present, None) => one(Decision::Create, "container does not exist"),
        (State::Present, Some(c)) => {
            let mut reasons = Vec::new();
            match c.labels.get(LABEL_HASH) {
                None => reasons
                    .push("container was not created by palin (no spec hash label)".to_owned()),
                Some(h) if h != desired_hash => reasons.push("spec changed".to_owned()),
                Some(_) => {}
            }
            match image_id {
                Some(id) if id != c.image_id => reasons.push("image changed".to_owned()),
                None => reasons.push("image is not present locally yet".to_owned()),
                Some(_) => {}
            }
            if recreate {
                reasons.push("recreate requested".to_owned());
            }
            if !reasons.is_empty() {
                Decided {
                    decision: Decision::Replace,
                    reasons,
                }
            } else if c.running {
                one(Decision::Nothing, "up to date")
            } else {
                one(Decision::Start, "container is not running")
            }
        }
    }
}

/// One step of a deploy. "next" is the new container (`<name>--next` until committed), "old"
/// the one it replaces, "current" the one there is when nothing is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    RemoveLeftover,
    CreateNext,
    /// Pre-stop gate on the running container (old, or current for removal).
    Gate,
    StopOld,
    StartNext,
    ProveNext,
    RemoveOld,
    RenameNext,
    CaptureLogs,
    StopNext,
    RemoveNext,
    StartOld,
    ProveOld,
    StartCurrent,
    ProveCurrent,
    StopCurrent,
    RemoveCurrent,
    Done(End),
}

impl Step {
    /// The name reported in `actions`.
    pub fn name(self) -> &'static str {
        match self {
            Step::RemoveLeftover => "remove_leftover",
            Step::CreateNext => "create_next",
            Step::Gate => "gate",
            Step::StopOld => "stop_old",
            Step::StartNext => "start_next",
            Step::ProveNext => "prove_next",
            Step::RemoveOld => "remove_old",
            Step::RenameNext => "rename_next",
            Step::CaptureLogs => "capture_logs",
            Step::StopNext => "stop_next",
            Step::RemoveNext => "remove_next",
            Step::StartOld => "start_old",
            Step::ProveOld => "prove_old",
            Step::StartCurrent => "start",
            Step::ProveCurrent => "prove",
            Step::StopCurrent => "stop",
            Step::RemoveCurrent => "remove",
            Step::Done(_) => "done",
        }
    }

    /// Whether the step changes anything on the engine.
    pub fn mutates(self) -> bool {
        !matches!(
            self,
            Step::Gate
                | Step::ProveNext
                | Step::ProveOld
                | Step::ProveCurrent
                | Step::CaptureLogs
                | Step::Done(_)
        )
    }
}

/// How a deploy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Unchanged,
    Created,
    Replaced,
    Started,
    Removed,
    Absent,
    /// The old container never said it may be stopped: nothing was touched.
    GateRefused,
    /// The new container failed; the previous one runs again and is ready.
    RolledBack,
    /// The new container failed and restoring the previous one failed too.
    RollbackFailed,
    Failed,
}

impl End {
    pub fn failed(self) -> bool {
        matches!(
            self,
            End::GateRefused | End::RolledBack | End::RollbackFailed | End::Failed
        )
    }
}

/// What the machine knows up front.
#[allow(clippy::struct_excessive_bools)] // independent facts, not states
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub decision: Decision,
    /// A `<name>--next` from an interrupted run exists.
    pub leftover: bool,
    /// The existing container is running (so it must pass the gate and be stopped).
    pub running: bool,
    /// A gate is configured.
    pub gate: bool,
    pub rollback: bool,
}

/// Which failure path the machine is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Forward,
    GateRefused,
    /// Dropping the new container and restoring the old one.
    Rollback,
    /// Failed without rollback.
    Abort,
}

/// The deploy state machine.
#[derive(Debug, Clone)]
pub struct Machine {
    facts: Facts,
    path: Path,
}

impl Machine {
    pub fn new(facts: Facts) -> Self {
        Self {
            facts,
            path: Path::Forward,
        }
    }

    /// The first step.
    pub fn first(&self) -> Step {
        let f = &self.facts;
        // A `<name>--next` left by an interrupted run or by rollback=false may hold the host
        // ports: it always goes first.
        if f.leftover {
            return Step::RemoveLeftover;
        }
        self.after_leftover()
    }

    fn after_leftover(&self) -> Step {
        let f = &self.facts;
        match f.decision {
            Decision::Nothing => Step::ProveCurrent,
            Decision::Start => Step::StartCurrent,
            Decision::Create | Decision::Replace => Step::CreateNext,
            Decision::Remove if f.running && f.gate => Step::Gate,
            Decision::Remove if f.running => Step::StopCurrent,
            Decision::Remove => Step::RemoveCurrent,
            Decision::AlreadyAbsent => Step::Done(End::Absent),
        }
    }

    fn forward_end(&self) -> End {
        match self.facts.decision {
            Decision::Nothing => End::Unchanged,
            Decision::Create => End::Created,
            Decision::Replace => End::Replaced,
            Decision::Start => End::Started,
            Decision::Remove => End::Removed,
            Decision::AlreadyAbsent => End::Absent,
        }
    }

    fn has_old(&self) -> bool {
        self.facts.decision == Decision::Replace
    }

    /// After the new container failed to start or to become ready.
    fn new_failed(&mut self) -> Step {
        if self.facts.rollback {
            self.path = Path::Rollback;
        } else {
            self.path = Path::Abort;
        }
        Step::CaptureLogs
    }

    /// The step after `step` succeeded (`ok`) or failed.
    pub fn next(&mut self, step: Step, ok: bool) -> Step {
        let f = self.facts;
        match (step, ok) {
            (Step::Done(end), _) => Step::Done(end),
            (Step::RemoveLeftover, true) => self.after_leftover(),
            (
                Step::RemoveLeftover
                | Step::CreateNext
                | Step::RemoveOld
                | Step::RenameNext
                | Step::StopCurrent
                | Step::RemoveCurrent,
                false,
            ) => Step::Done(End::Failed),
            (Step::CreateNext, true) => {
                if self.has_old() && f.running {
                    if f.gate { Step::Gate } else { Step::StopOld }
                } else {
                    Step::StartNext
                }
            }
            (Step::Gate, true) if f.decision == Decision::Remove => Step::StopCurrent,
            (Step::Gate, true) => Step::StopOld,
            (Step::Gate, false) if f.decision == Decision::Remove => Step::Done(End::GateRefused),
            (Step::Gate, false) => {
                self.path = Path::GateRefused;
                Step::RemoveNext
            }
            (Step::StopOld, true) => Step::StartNext,
            (Step::StopOld, false) => {
                // The old one may still be running: drop the new one and make sure it runs.
                self.path = Path::Rollback;
                Step::RemoveNext
            }
            (Step::StartNext, true) => Step::ProveNext,
            (Step::StartNext | Step::ProveNext, false) => self.new_failed(),
            (Step::ProveNext, true) if self.has_old() => Step::RemoveOld,
            (Step::ProveNext | Step::RemoveOld, true) => Step::RenameNext,
            (Step::RenameNext | Step::ProveCurrent, true) => Step::Done(self.forward_end()),
            (Step::CaptureLogs, _) => match self.path {
                Path::Rollback => Step::StopNext,
                _ => Step::Done(End::Failed),
            },
            (Step::StopNext, _) => Step::RemoveNext,
            (Step::RemoveNext, _) => match self.path {
                Path::GateRefused => Step::Done(End::GateRefused),
                Path::Rollback if self.has_old() && f.running => Step::StartOld,
                Path::Rollback if self.has_old() => Step::Done(End::RolledBack),
                _ => Step::Done(End::Failed),
            },
            (Step::StartOld, true) => Step::ProveOld,
            (Step::StartOld | Step::ProveOld, false) => Step::Done(End::RollbackFailed),
            (Step::ProveOld, true) => Step::Done(End::RolledBack),
            (Step::StartCurrent, true) => Step::ProveCurrent,
            (Step::StartCurrent | Step::ProveCurrent, false) => {
                self.path = Path::Abort;
                Step::CaptureLogs
            }
            (Step::StopCurrent, true) => Step::RemoveCurrent,
            (Step::RemoveCurrent, true) => Step::Done(End::Removed),
        }
    }

    /// The steps of the all-succeeds path (what check mode reports), without `Done`.
    pub fn planned(facts: Facts) -> (Vec<Step>, End) {
        let mut m = Machine::new(facts);
        let mut steps = Vec::new();
        let mut step = m.first();
        loop {
            if let Step::Done(end) = step {
                return (steps, end);
            }
            steps.push(step);
            step = m.next(step, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn container(hash: &str, image_id: &str, running: bool) -> ContainerInfo {
        ContainerInfo {
            id: "c1".into(),
            name: "app".into(),
            image: "app:1".into(),
            image_id: image_id.into(),
            running,
            status: if running { "running" } else { "exited" }.into(),
            labels: BTreeMap::from([(LABEL_HASH.to_owned(), hash.to_owned())]),
            ..ContainerInfo::default()
        }
    }

    #[test]
    fn decisions() {
        let c = container("h1", "img1", true);
        let d = |cur: Option<&ContainerInfo>, hash, img, rec| {
            decide(State::Present, cur, hash, img, rec)
        };
        assert_eq!(
            d(None, "h1", Some("img1"), false).decision,
            Decision::Create
        );
        assert_eq!(
            d(Some(&c), "h1", Some("img1"), false).decision,
            Decision::Nothing
        );
        let r = d(Some(&c), "h2", Some("img2"), false);
        assert_eq!(r.decision, Decision::Replace);
        assert_eq!(r.reasons, vec!["spec changed", "image changed"]);
        assert_eq!(
            d(Some(&c), "h1", Some("img1"), true).reasons,
            vec!["recreate requested"]
        );
        assert_eq!(d(Some(&c), "h1", None, false).decision, Decision::Replace);
        let stopped = container("h1", "img1", false);
        assert_eq!(
            d(Some(&stopped), "h1", Some("img1"), false).decision,
            Decision::Start
        );
        let mut foreign = c.clone();
        foreign.labels.clear();
        assert!(
            d(Some(&foreign), "h1", Some("img1"), false).reasons[0]
                .contains("not created by palin")
        );
        assert_eq!(
            decide(State::Absent, Some(&c), "", None, false).decision,
            Decision::Remove
        );
        assert_eq!(
            decide(State::Absent, None, "", None, false).decision,
            Decision::AlreadyAbsent
        );
    }

    fn facts(decision: Decision) -> Facts {
        Facts {
            decision,
            leftover: false,
            running: true,
            gate: true,
            rollback: true,
        }
    }

    /// Runs the machine, failing exactly the steps in `fail`; returns the steps and the end.
    fn run(facts: Facts, fail: &[Step]) -> (Vec<&'static str>, End) {
        let mut m = Machine::new(facts);
        let mut names = Vec::new();
        let mut step = m.first();
        for _ in 0..50 {
            if let Step::Done(end) = step {
                return (names, end);
            }
            names.push(step.name());
            step = m.next(step, !fail.contains(&step));
        }
        panic!("machine did not finish: {names:?}");
    }

    #[test]
    fn replace_happy_path() {
        let (steps, end) = run(facts(Decision::Replace), &[]);
        assert_eq!(
            steps,
            [
                "create_next",
                "gate",
                "stop_old",
                "start_next",
                "prove_next",
                "remove_old",
                "rename_next"
            ]
        );
        assert_eq!(end, End::Replaced);
    }

    #[test]
    fn replace_without_gate_or_when_old_is_stopped() {
        let mut f = facts(Decision::Replace);
        f.gate = false;
        assert_eq!(
            run(f, &[]).0[..3],
            ["create_next", "stop_old", "start_next"]
        );
        f.running = false;
        f.gate = true;
        assert_eq!(run(f, &[]).0[..2], ["create_next", "start_next"]);
    }

    #[test]
    fn gate_refused_leaves_old_untouched() {
        let (steps, end) = run(facts(Decision::Replace), &[Step::Gate]);
        assert_eq!(steps, ["create_next", "gate", "remove_next"]);
        assert_eq!(end, End::GateRefused);
        assert!(!steps.contains(&"stop_old"));
    }

    #[test]
    fn unready_new_container_rolls_back() {
        let (steps, end) = run(facts(Decision::Replace), &[Step::ProveNext]);
        assert_eq!(
            steps,
            [
                "create_next",
                "gate",
                "stop_old",
                "start_next",
                "prove_next",
                "capture_logs",
                "stop_next",
                "remove_next",
                "start_old",
                "prove_old"
            ]
        );
        assert_eq!(end, End::RolledBack);
        let (_, end) = run(facts(Decision::Replace), &[Step::ProveNext, Step::ProveOld]);
        assert_eq!(end, End::RollbackFailed);
        let (steps, end) = run(facts(Decision::Replace), &[Step::StartNext]);
        assert_eq!(
            steps[4..],
            [
                "capture_logs",
                "stop_next",
                "remove_next",
                "start_old",
                "prove_old"
            ]
        );
        assert_eq!(end, End::RolledBack);
    }

    #[test]
    fn rollback_off_keeps_both_for_debugging() {
        let mut f = facts(Decision::Replace);
        f.rollback = false;
        let (steps, end) = run(f, &[Step::ProveNext]);
        assert_eq!(steps.last(), Some(&"capture_logs"));
        assert_eq!(end, End::Failed);
    }

    #[test]
    fn failed_stop_of_old_restores_it() {
        let (steps, end) = run(facts(Decision::Replace), &[Step::StopOld]);
        assert_eq!(
            steps,
            [
                "create_next",
                "gate",
                "stop_old",
                "remove_next",
                "start_old",
                "prove_old"
            ]
        );
        assert_eq!(end, End::RolledBack);
    }

    #[test]
    fn create_paths() {
        let mut f = facts(Decision::Create);
        f.running = false;
        assert_eq!(
            run(f, &[]),
            (
                vec!["create_next", "start_next", "prove_next", "rename_next"],
                End::Created
            )
        );
        let (steps, end) = run(f, &[Step::ProveNext]);
        assert_eq!(steps[3..], ["capture_logs", "stop_next", "remove_next"]);
        assert_eq!(end, End::Failed);
        f.leftover = true;
        assert_eq!(run(f, &[]).0[0], "remove_leftover");
        assert_eq!(
            run(f, &[Step::RemoveLeftover]),
            (vec!["remove_leftover"], End::Failed)
        );
    }

    #[test]
    fn nothing_start_and_remove() {
        assert_eq!(
            run(facts(Decision::Nothing), &[]),
            (vec!["prove"], End::Unchanged)
        );
        assert_eq!(
            run(facts(Decision::Nothing), &[Step::ProveCurrent]),
            (vec!["prove", "capture_logs"], End::Failed)
        );
        assert_eq!(
            run(facts(Decision::Start), &[]),
            (vec!["start", "prove"], End::Started)
        );
        assert_eq!(
            run(facts(Decision::Remove), &[]),
            (vec!["gate", "stop", "remove"], End::Removed)
        );
        assert_eq!(
            run(facts(Decision::Remove), &[Step::Gate]),
            (vec!["gate"], End::GateRefused)
        );
        let mut f = facts(Decision::Remove);
        f.running = false;
        assert_eq!(run(f, &[]), (vec!["remove"], End::Removed));
        let mut f = facts(Decision::AlreadyAbsent);
        assert_eq!(run(f, &[]), (vec![], End::Absent));
        f.leftover = true;
        assert_eq!(run(f, &[]), (vec!["remove_leftover"], End::Absent));
    }

    #[test]
    fn planned_is_the_happy_path() {
        let (steps, end) = Machine::planned(facts(Decision::Replace));
        assert_eq!(steps.len(), 7);
        assert_eq!(end, End::Replaced);
        assert!(steps.iter().all(|s| !matches!(s, Step::Done(_))));
        assert!(Step::StopOld.mutates() && !Step::Gate.mutates());
    }

    /// Every path through the machine (each step succeeding or failing), for every combination
    /// of facts, with the promises checked on each complete path.
    #[test]
    fn every_path_keeps_the_promises() {
        fn walk(m: &Machine, step: Step, path: &mut Vec<(Step, bool)>, leaves: &mut usize) {
            if let Step::Done(end) = step {
                *leaves += 1;
                check(m.facts, path, end);
                return;
            }
            assert!(path.len() < 20, "no end: {path:?}");
            for ok in [true, false] {
                let mut next = m.clone();
                let following = next.next(step, ok);
                path.push((step, ok));
                walk(&next, following, path, leaves);
                path.pop();
            }
        }
        fn check(f: Facts, path: &[(Step, bool)], end: End) {
            let ran = |s: Step| path.iter().position(|(p, _)| *p == s);
            let failed_any = path.iter().any(|(s, ok)| !ok && *s != Step::CaptureLogs);
            if !failed_any {
                assert!(!end.failed(), "all steps succeeded but {end:?}: {path:?}");
            }
            // A refused gate never stops anything.
            if path.iter().any(|(s, ok)| *s == Step::Gate && !ok) {
                assert!(
                    ran(Step::StopOld).is_none() && ran(Step::StopCurrent).is_none(),
                    "{path:?}"
                );
                assert_eq!(end, End::GateRefused);
            }
            // Nothing is stopped before the gate passed.
            if let (Some(gate), Some(stop)) = (
                ran(Step::Gate),
                ran(Step::StopOld).or(ran(Step::StopCurrent)),
            ) {
                assert!(gate < stop, "{path:?}");
            }
            // Whenever the old container was stopped and the new one was not proven (so the old
            // one was not removed), the old one was started again (rollback on).
            if f.rollback && ran(Step::StopOld).is_some() && ran(Step::RemoveOld).is_none() {
                assert!(ran(Step::StartOld).is_some(), "old left stopped: {path:?}");
                assert!(
                    matches!(end, End::RolledBack | End::RollbackFailed),
                    "{end:?}: {path:?}"
                );
            }
            // The old container is removed only after the new one was proven ready.
            if let Some(remove) = ran(Step::RemoveOld) {
                assert!(
                    path.iter().any(|(s, ok)| *s == Step::ProveNext && *ok),
                    "{path:?}"
                );
                assert!(ran(Step::ProveNext).is_some_and(|p| p < remove));
            }
            // Without rollback the new container is never removed once started.
            if !f.rollback && ran(Step::StartNext).is_some() {
                assert!(
                    ran(Step::RemoveNext).is_none() || ran(Step::StopOld).is_none(),
                    "{path:?}"
                );
            }
        }
        let mut leaves = 0;
        for decision in [
            Decision::Nothing,
            Decision::Create,
            Decision::Replace,
            Decision::Start,
            Decision::Remove,
            Decision::AlreadyAbsent,
        ] {
            for bits in 0u8..16 {
                let facts = Facts {
                    decision,
                    leftover: bits & 1 != 0,
                    running: bits & 2 != 0,
                    gate: bits & 4 != 0,
                    rollback: bits & 8 != 0,
                };
                let m = Machine::new(facts);
                walk(&m, m.first(), &mut Vec::new(), &mut leaves);
            }
        }
        assert!(leaves > 500, "{leaves} paths");
    }
}
