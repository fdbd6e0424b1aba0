//! palin_docker_deploy as a library: a readiness-gated, rolling-back Docker deploy.
//!
//! * [`options`]: the module's option spec (validation + sidecar docs) and typed options;
//! * [`desired`]: the normalised desired container and its spec hash (idempotency);
//! * [`plan`]: pure planning — the decision and the deploy state machine;
//! * [`engine`]: the small Docker engine trait; [`docker`]: its bollard implementation;
//! * [`readiness`]: the pre-stop gate and readiness proofs;
//! * [`deploy`]: the driver that runs the machine and builds the module result.

pub mod deploy;
pub mod desired;
pub mod docker;
pub mod engine;
pub mod options;
pub mod plan;
pub mod readiness;
