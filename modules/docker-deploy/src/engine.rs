//! The small Docker engine trait the deploy needs, and the plain data it speaks in. The real
//! implementation is [`crate::docker::DockerEngine`] (bollard); tests use an in-memory fake.

use std::collections::BTreeMap;
use std::path::PathBuf;

use thiserror::Error;

use crate::desired::Desired;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EngineError {
    #[error("cannot reach the Docker daemon at {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("{op}: {reason}")]
    Api { op: String, reason: String },
    #[error("{op}: {reason}")]
    Image { op: String, reason: String },
}

impl EngineError {
    pub fn api(op: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Api {
            op: op.into(),
            reason: reason.into(),
        }
    }
}

/// What the deploy needs to know about a container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// Image reference it was created from.
    pub image: String,
    /// Image ID it runs.
    pub image_id: String,
    pub running: bool,
    pub restarting: bool,
    /// `created`, `running`, `exited`, …
    pub status: String,
    pub exit_code: Option<i64>,
    /// Docker health status when the container has a healthcheck.
    pub health: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// An image build request: a context directory on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    pub context: PathBuf,
    pub dockerfile: String,
    pub tag: String,
    pub args: BTreeMap<String, String>,
    pub nocache: bool,
}

/// Registry credentials for a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub server: Option<String>,
}

/// The Docker operations a deploy uses. Names may be names or IDs.
pub trait Engine {
    /// The container called `name`, if any.
    fn inspect(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ContainerInfo>, EngineError>>;
    /// The ID of a local image, if present.
    fn image_id(&self, image: &str) -> impl Future<Output = Result<Option<String>, EngineError>>;
    fn pull(
        &self,
        image: &str,
        auth: Option<&Credentials>,
    ) -> impl Future<Output = Result<(), EngineError>>;
    fn build(&self, req: &BuildRequest) -> impl Future<Output = Result<(), EngineError>>;
    /// Creates (does not start) a container; returns its ID.
    fn create(
        &self,
        name: &str,
        spec: &Desired,
    ) -> impl Future<Output = Result<String, EngineError>>;
    fn start(&self, id: &str) -> impl Future<Output = Result<(), EngineError>>;
    fn stop(&self, id: &str, timeout_s: u32) -> impl Future<Output = Result<(), EngineError>>;
    /// Removes a container (forcefully, with its anonymous volumes).
    fn remove(&self, id: &str) -> impl Future<Output = Result<(), EngineError>>;
    fn rename(&self, id: &str, new_name: &str) -> impl Future<Output = Result<(), EngineError>>;
    /// The last `lines` lines of stdout and stderr.
    fn logs(&self, id: &str, lines: u32) -> impl Future<Output = Result<Vec<String>, EngineError>>;
}
