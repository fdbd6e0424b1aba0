//! The real [`Engine`]: the Docker Engine API through bollard (unix socket or tcp, API version
//! negotiated). Builds send the context directory as an in-memory tar; nothing shells out to the
//! docker CLI.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, NetworkConnectRequest,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

use crate::desired::Desired;
use crate::engine::{BuildRequest, ContainerInfo, Credentials, Engine, EngineError};

/// The default local socket.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// A connected, version-negotiated Engine client.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    docker: Docker,
}

/// One line for an error, with its sources ("Connection refused" is often several levels down).
fn reason(e: &BollardError) -> String {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        BollardError::DockerStreamError { error } => error.clone(),
        other => http_ready::error_chain(other),
    }
}

fn is_status(e: &BollardError, code: u16) -> bool {
    matches!(e, BollardError::DockerResponseServerError { status_code, .. } if *status_code == code)
}

impl DockerEngine {
    /// Connects to `host` (or `DOCKER_HOST`, or the local socket), negotiates the API version and
    /// pings the daemon, so an unreachable daemon fails here with one clear message.
    pub async fn connect(host: Option<&str>, timeout: Duration) -> Result<Self, EngineError> {
        let shown = host
            .map(str::to_owned)
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| DEFAULT_SOCKET.to_owned());
        let unreachable = |e: &BollardError| EngineError::Unreachable {
            host: shown.clone(),
            reason: reason(e),
        };
        let docker = match host {
            Some(h) => Docker::connect_with_host(h),
            None => Docker::connect_with_defaults(),
        }
        .map_err(|e| unreachable(&e))?
        .with_timeout(timeout);
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(&e))?;
        docker.ping().await.map_err(|e| unreachable(&e))?;
        Ok(Self { docker })
    }

    /// The underlying client (tests use it to inspect and clean up).
    pub fn client(&self) -> &Docker {
        &self.docker
    }
}

fn split_tag(image: &str) -> (&str, Option<&str>) {
    if image.contains('@') {
        return (image, None);
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (&image[..last_slash + i], Some(&image[last_slash + i + 1..])),
        None => (image, None),
    }
}

fn tar_context(dir: &std::path::Path) -> Result<Vec<u8>, EngineError> {
    let fail = |e: std::io::Error| EngineError::Image {
        op: format!("build context {}", dir.display()),
        reason: e.to_string(),
    };
    if !dir.is_dir() {
        return Err(EngineError::Image {
            op: format!("build context {}", dir.display()),
            reason: "not a directory".into(),
        });
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.append_dir_all(".", dir).map_err(fail)?;
    builder.into_inner().map_err(fail)
}

fn restart_policy(name: &str) -> RestartPolicyNameEnum {
    match name {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    }
}

fn create_body(spec: &Desired) -> ContainerCreateBody {
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        bindings
            .entry(p.key())
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: (!p.host_ip.is_empty()).then(|| p.host_ip.clone()),
                host_port: Some(p.host_port.clone()),
            });
    }
    let mut exposed: Vec<String> = bindings.keys().cloned().collect();
    exposed.sort();
    let (binds, anonymous): (Vec<String>, Vec<String>) =
        spec.volumes.iter().cloned().partition(|v| v.contains(':'));
    let first_network = spec.networks.first().cloned();
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: Some(spec.env_list()),
        labels: Some(spec.engine_labels().into_iter().collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        volumes: (!anonymous.is_empty()).then_some(anonymous),
        stop_timeout: Some(i64::from(spec.stop_timeout)),
        healthcheck: spec.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: h.interval_ns,
            timeout: h.timeout_ns,
            retries: h.retries,
            start_period: h.start_period_ns,
            start_interval: None,
        }),
        host_config: Some(HostConfig {
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            binds: (!binds.is_empty()).then_some(binds),
            restart_policy: Some(RestartPolicy {
                name: Some(restart_policy(&spec.restart_policy)),
                maximum_retry_count: None,
            }),
            network_mode: first_network.clone(),
            ..HostConfig::default()
        }),
        networking_config: first_network.map(|n| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(n, EndpointSettings::default())])),
        }),
        ..ContainerCreateBody::default()
    }
}

impl Engine for DockerEngine {
    async fn inspect(&self, name: &str) -> Result<Option<ContainerInfo>, EngineError> {
        let c = match self.docker.inspect_container(name, None).await {
            Ok(c) => c,
            Err(e) if is_status(&e, 404) => return Ok(None),
            Err(e) => {
                return Err(EngineError::api(
                    format!("inspect container {name}"),
                    reason(&e),
                ));
            }
        };
        let state = c.state.unwrap_or_default();
        let config = c.config.unwrap_or_default();
        Ok(Some(ContainerInfo {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_owned(),
            image: config.image.unwrap_or_default(),
            image_id: c.image.unwrap_or_default(),
            running: state.running.unwrap_or(false),
            restarting: state.restarting.unwrap_or(false),
            status: state.status.map(|s| s.to_string()).unwrap_or_default(),
            exit_code: state.exit_code,
            health: state
                .health
                .and_then(|h| h.status)
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty() && s != "none"),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
        }))
    }

    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(i.id),
            Err(e) if is_status(&e, 404) => Ok(None),
            Err(e) => Err(EngineError::api(
                format!("inspect image {image}"),
                reason(&e),
            )),
        }
    }

    async fn pull(&self, image: &str, auth: Option<&Credentials>) -> Result<(), EngineError> {
        let (repo, tag) = split_tag(image);
        let options = CreateImageOptionsBuilder::default()
            .from_image(repo)
            .tag(tag.unwrap_or(if image.contains('@') { "" } else { "latest" }))
            .build();
        let creds = auth.map(|a| DockerCredentials {
            username: Some(a.username.clone()),
            password: Some(a.password.clone()),
            serveraddress: a.server.clone(),
            ..DockerCredentials::default()
        });
        let mut stream = self.docker.create_image(Some(options), None, creds);
        while let Some(item) = stream.next().await {
            item.map_err(|e| EngineError::Image {
                op: format!("pull {image}"),
                reason: reason(&e),
            })?;
        }
        Ok(())
    }

    async fn build(&self, req: &BuildRequest) -> Result<(), EngineError> {
        let context = tar_context(&req.context)?;
        let args: HashMap<String, String> = req.args.clone().into_iter().collect();
        let options = BuildImageOptionsBuilder::default()
            .dockerfile(&req.dockerfile)
            .t(&req.tag)
            .rm(true)
            .forcerm(true)
            .nocache(req.nocache)
            .buildargs(&args)
            .build();
        let mut stream =
            self.docker
                .build_image(options, None, Some(bollard::body_full(context.into())));
        let mut tail: Vec<String> = Vec::new();
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| EngineError::Image {
                op: format!("build {} from {}", req.tag, req.context.display()),
                reason: reason(&e),
            })?;
            if let Some(line) = info
                .stream
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                tail.push(line.to_owned());
                if tail.len() > 5 {
                    tail.remove(0);
                }
            }
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(EngineError::Image {
                    op: format!("build {}", req.tag),
                    reason: format!("{err} (after: {})", tail.join(" | ")),
                });
            }
        }
        Ok(())
    }

    async fn create(&self, name: &str, spec: &Desired) -> Result<String, EngineError> {
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        let created = self
            .docker
            .create_container(Some(options), create_body(spec))
            .await
            .map_err(|e| EngineError::api(format!("create container {name}"), reason(&e)))?;
        for network in spec.networks.iter().skip(1) {
            let req = NetworkConnectRequest {
                container: created.id.clone(),
                endpoint_config: None,
            };
            if let Err(e) = self.docker.connect_network(network, req).await {
                let _ = self.remove(&created.id).await;
                return Err(EngineError::api(
                    format!("connect {name} to network {network}"),
                    reason(&e),
                ));
            }
        }
        Ok(created.id)
    }

    async fn start(&self, id: &str) -> Result<(), EngineError> {
        match self.docker.start_container(id, None).await {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 304) => Ok(()),
            Err(e) => Err(EngineError::api("start", reason(&e))),
        }
    }

    async fn stop(&self, id: &str, timeout_s: u32) -> Result<(), EngineError> {
        let t = i32::try_from(timeout_s).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(t).build();
        match self.docker.stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 304) => Ok(()),
            Err(e) => Err(EngineError::api("stop", reason(&e))),
        }
    }

    async fn remove(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 404) => Ok(()),
            Err(e) => Err(EngineError::api("remove", reason(&e))),
        }
    }

    async fn rename(&self, id: &str, new_name: &str) -> Result<(), EngineError> {
        let options = RenameContainerOptionsBuilder::default()
            .name(new_name)
            .build();
        self.docker
            .rename_container(id, options)
            .await
            .map_err(|e| EngineError::api("rename", reason(&e)))
    }

    async fn logs(&self, id: &str, lines: u32) -> Result<Vec<String>, EngineError> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut stream = self.docker.logs(id, Some(options));
        let mut text = String::new();
        while let Some(item) = stream.next().await {
            let out = item.map_err(|e| EngineError::api("logs", reason(&e)))?;
            text.push_str(&String::from_utf8_lossy(&out.into_bytes()));
        }
        let all: Vec<String> = text.lines().map(str::to_owned).collect();
        let skip = all.len().saturating_sub(lines as usize);
        Ok(all.into_iter().skip(skip).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(split_tag("app:1"), ("app", Some("1")));
        assert_eq!(split_tag("registry:5000/app"), ("registry:5000/app", None));
        assert_eq!(
            split_tag("registry:5000/team/app:2.1"),
            ("registry:5000/team/app", Some("2.1"))
        );
        assert_eq!(split_tag("app@sha256:abc"), ("app@sha256:abc", None));
    }

    #[test]
    fn create_body_maps_the_spec() {
        let raw = palin_module::RawArgs::from_json(
            r#"{"name": "a", "image": "app:1", "published_ports": ["127.0.0.1:8080:80", "9090:80", "53/udp"],
                "volumes": ["/data", "/srv:/srv:ro"], "networks": ["front", "back"], "env": {"A": "1"},
                "secret_env": {"S": "x"}, "restart_policy": "always"}"#,
        )
        .expect("json");
        let o = palin_module::prepare::<crate::options::Options>(&crate::options::spec(), raw)
            .expect("valid")
            .1;
        let body = create_body(&Desired::from_options(&o).expect("desired"));
        let hc = body.host_config.expect("host config");
        let pb = hc.port_bindings.expect("ports");
        assert_eq!(pb["80/tcp"].as_ref().map(Vec::len), Some(2));
        assert_eq!(
            pb["53/udp"].as_ref().and_then(|v| v[0].host_port.clone()),
            Some(String::new())
        );
        assert_eq!(
            body.exposed_ports,
            Some(vec!["53/udp".to_owned(), "80/tcp".to_owned()])
        );
        assert_eq!(hc.binds, Some(vec!["/srv:/srv:ro".to_owned()]));
        assert_eq!(body.volumes, Some(vec!["/data".to_owned()]));
        assert_eq!(hc.network_mode.as_deref(), Some("front"));
        assert_eq!(
            hc.restart_policy.and_then(|r| r.name),
            Some(RestartPolicyNameEnum::ALWAYS)
        );
        assert_eq!(body.env, Some(vec!["A=1".to_owned(), "S=x".to_owned()]));
        assert!(
            body.labels
                .expect("labels")
                .contains_key(crate::desired::LABEL_HASH)
        );
    }

    #[test]
    fn context_must_be_a_directory() {
        assert!(tar_context(std::path::Path::new("/nonexistent/ctx")).is_err());
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("write");
        let tar = tar_context(dir.path()).expect("tar");
        assert!(tar.len() >= 1024);
    }
}
