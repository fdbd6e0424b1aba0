//! The options of palin_docker_deploy: the one [`ModuleSpec`] (validation, masking and the sidecar
//! docs all come from it) and the typed [`Options`] the validated JSON is deserialised into.

use std::collections::BTreeMap;

use palin_module::{Kind, ModuleSpec, OptSpec, ReturnSpec, Support};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Present,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pull {
    Missing,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DockerHealth {
    Auto,
    Require,
    Ignore,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Build {
    pub path: String,
    pub dockerfile: String,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    pub nocache: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RegistryAuth {
    pub username: String,
    pub password: String,
    pub server: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<i64>,
    pub start_period: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HttpCheck {
    pub url: String,
    pub method: String,
    pub status: Vec<u16>,
    pub body_contains: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TcpCheck {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Readiness {
    pub http: Option<HttpCheck>,
    pub tcp: Option<TcpCheck>,
    pub docker_health: DockerHealth,
    pub timeout: f64,
    pub interval: f64,
    pub max_interval: f64,
    pub request_timeout: f64,
    pub success_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Gate {
    pub url: String,
    pub method: String,
    pub ready_url: Option<String>,
    pub ready_method: String,
    pub status: Vec<u16>,
    pub body_contains: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub timeout: f64,
    pub interval: f64,
    pub max_interval: f64,
    pub request_timeout: f64,
}

/// The typed, validated options.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Options {
    pub name: String,
    pub image: Option<String>,
    pub state: State,
    pub build: Option<Build>,
    pub pull: Pull,
    pub registry_auth: Option<RegistryAuth>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub secret_env: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub published_ports: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub volumes: Vec<String>,
    pub restart_policy: String,
    pub stop_timeout: u32,
    pub healthcheck: Option<Healthcheck>,
    pub readiness: Readiness,
    pub gate: Option<Gate>,
    pub rollback: bool,
    pub recreate: bool,
    pub log_lines: u32,
    pub docker_host: Option<String>,
    pub docker_timeout: u32,
}

fn wait_options(timeout: f64) -> Vec<OptSpec> {
    vec![
        OptSpec::float("timeout")
            .default(timeout)
            .doc("Overall deadline in seconds."),
        OptSpec::float("interval").default(0.25).doc(
            "Seconds between the first attempts; doubled after each failure up to I(max_interval).",
        ),
        OptSpec::float("max_interval")
            .default(2.0)
            .doc("Cap of the pause between attempts, in seconds."),
        OptSpec::float("request_timeout")
            .default(5.0)
            .doc("Timeout of one request, in seconds."),
    ]
}

const EXAMPLES: &str = r#"- name: Deploy the app; roll back if the new container is not ready
  palin_docker_deploy:
    name: app
    image: "registry.example.com/app:{{ app_version }}"
    published_ports: ["127.0.0.1:8080:8080"]
    env:
      LOG_LEVEL: info
    secret_env:
      DATABASE_URL: "{{ vault_database_url }}"
    readiness:
      http:
        url: http://127.0.0.1:8080/healthz
      timeout: 120
    gate:
      url: http://127.0.0.1:8080/deploy/drain
      method: POST
      timeout: 60
  become: true

- name: Build the image on the host from a directory, then deploy it
  palin_docker_deploy:
    name: app
    image: app:local
    build:
      path: /srv/app
    published_ports: ["8080:8080"]

- name: Pull from ECR with a token
  palin_docker_deploy:
    name: app
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2
    pull: always
    registry_auth:
      username: AWS
      password: "{{ ecr_token }}"
      server: 123456789012.dkr.ecr.eu-west-1.amazonaws.com

- name: Remove the container
  palin_docker_deploy:
    name: app
    state: absent
"#;

/// The module's spec.
pub fn spec() -> ModuleSpec {
    let mut http_opts = vec![
        OptSpec::str("url")
            .required()
            .doc("URL to poll from the host, e.g. C(http://127.0.0.1:8080/healthz)."),
        OptSpec::str("method").default("GET").doc("HTTP method."),
        OptSpec::list("status", Kind::Int)
            .default(json!([200]))
            .doc("Status codes that count as ready; empty accepts any 2xx."),
        OptSpec::str("body_contains").doc("Text the body must contain."),
        OptSpec::dict("headers")
            .elements(Kind::Str)
            .doc("Request headers."),
    ];
    let mut readiness = vec![
        OptSpec::dict("http").suboptions(std::mem::take(&mut http_opts)).doc("An HTTP check."),
        OptSpec::dict("tcp")
            .suboptions(vec![
                OptSpec::str("host").default("127.0.0.1").doc("Host to connect to."),
                OptSpec::int("port").required().doc("Port to connect to."),
            ])
            .doc("A TCP connect check."),
        OptSpec::str("docker_health")
            .default("auto")
            .choices(["auto", "require", "ignore"])
            .doc("Whether the container's Docker HEALTHCHECK must report C(healthy): C(auto) when the container has a healthcheck, C(require) always (fails if there is none), C(ignore) never."),
        OptSpec::int("success_threshold").default(1).doc("Consecutive successful attempts needed."),
    ];
    readiness.extend(wait_options(60.0));
    let mut gate = vec![
        OptSpec::str("url")
            .required()
            .doc("The old container's deploy endpoint, called once (e.g. to ask it to drain)."),
        OptSpec::str("method")
            .default("POST")
            .doc("Method of that call."),
        OptSpec::str("ready_url")
            .doc("URL polled until the old container says it may be stopped (default: I(url))."),
        OptSpec::str("ready_method")
            .default("GET")
            .doc("Method of the polls."),
        OptSpec::list("status", Kind::Int)
            .default(json!([200]))
            .doc("Status codes meaning 'ready to stop'."),
        OptSpec::str("body_contains").doc("Text the answer must contain (e.g. C(Ready))."),
        OptSpec::dict("headers")
            .elements(Kind::Str)
            .doc("Headers of every gate request."),
    ];
    gate.extend(wait_options(30.0));
    ModuleSpec {
        name: "palin_docker_deploy",
        short_description: "Readiness-gated Docker container deploys that roll back",
        description: vec![
            "Deploys one container through the Docker Engine API (no docker CLI, no Python on the host).",
            "Idempotent by spec hash: a label on the container holds a SHA-256 of the normalised desired spec; nothing is touched when it and the image ID match.",
            "When the container has to be replaced: the new one is created first, the old one is asked to drain through its deploy endpoint (I(gate)) and stopped only once it says so, then the new one is started and must become ready (I(readiness)) within a deadline.",
            "If the new container does not become ready, it is stopped and removed, the previous container is started again and proven ready, and the task fails with the new container's last log lines (I(rollback)).",
        ],
        options: vec![
            OptSpec::str("name").required().doc("Container name."),
            OptSpec::str("image").doc("Image reference (C(repo:tag) or C(repo@sha256:...)). Required unless I(state=absent). With I(build), the tag the built image gets."),
            OptSpec::str("state")
                .default("present")
                .choices(["present", "absent"])
                .doc("C(present): the container runs this spec and is ready. C(absent): it is stopped (after the gate) and removed."),
            OptSpec::dict("build")
                .suboptions(vec![
                    OptSpec::str("path").required().doc("Build context directory on the host."),
                    OptSpec::str("dockerfile").default("Dockerfile").doc("Dockerfile, relative to I(path)."),
                    OptSpec::dict("args").elements(Kind::Str).doc("Build arguments."),
                    OptSpec::bool("nocache").default(false).doc("Build without the cache."),
                ])
                .doc("Build the image on the host (the context is sent to the Engine as a tar) and tag it I(image). The Engine's build cache keeps unchanged builds at the same image ID, so they change nothing. Mutually exclusive with pulling."),
            OptSpec::str("pull")
                .default("missing")
                .choices(["missing", "always", "never"])
                .doc("When to pull I(image): only if it is not present, on every run (the container is replaced when the pulled image ID differs), or never (fail if absent)."),
            OptSpec::dict("registry_auth")
                .suboptions(vec![
                    OptSpec::str("username").required().doc("Registry user (C(AWS) for ECR)."),
                    OptSpec::str("password").required().no_log().doc("Registry password or token."),
                    OptSpec::str("server").doc("Registry address."),
                ])
                .doc("Credentials for pulling."),
            OptSpec::list("command", Kind::Str).doc("Command (arguments to the entrypoint). A string is split on commas."),
            OptSpec::list("entrypoint", Kind::Str).doc("Entrypoint override."),
            OptSpec::dict("env").elements(Kind::Str).doc("Environment variables; numbers and booleans are turned into strings."),
            OptSpec::dict("secret_env")
                .elements(Kind::Str)
                .no_log()
                .doc("Environment variables whose values are secret: masked in the result, the diff and the logs returned."),
            OptSpec::dict("labels").elements(Kind::Str).doc("Container labels (keys starting with C(palin.) are reserved)."),
            OptSpec::list("published_ports", Kind::Str).doc("Ports in Docker CLI syntax: C([ip:][host_port:]container_port[/proto]), IPv6 addresses in brackets."),
            OptSpec::list("networks", Kind::Str).doc("Networks to attach, by name; the first is the network mode."),
            OptSpec::list("volumes", Kind::Str).doc("Volumes in Docker CLI syntax: C(host_path_or_volume:container_path[:ro|rw]), or C(container_path) for an anonymous volume."),
            OptSpec::str("restart_policy")
                .default("unless-stopped")
                .choices(["no", "always", "unless-stopped", "on-failure"])
                .doc("Restart policy."),
            OptSpec::int("stop_timeout").default(10).doc("Seconds the container gets to stop before it is killed."),
            OptSpec::dict("healthcheck")
                .suboptions(vec![
                    OptSpec::list("test", Kind::Str).required().doc("C([CMD, arg, ...]), C([CMD-SHELL, command]) or C([NONE]); a list not starting with one of those gets C(CMD) prepended, a single string becomes C(CMD-SHELL)."),
                    OptSpec::str("interval").doc("Duration (C(30s), C(1m30s), C(500ms); a bare number is seconds)."),
                    OptSpec::str("timeout").doc("Duration."),
                    OptSpec::int("retries").doc("Consecutive failures for unhealthy."),
                    OptSpec::str("start_period").doc("Duration."),
                ])
                .doc("Docker HEALTHCHECK of the container (overrides the image's)."),
            OptSpec::dict("readiness")
                .default(json!({}))
                .suboptions(readiness)
                .doc("When a started container counts as ready. Every configured check must pass in the same attempt, and the container must keep running (an exit ends the wait at once). Without I(http) and I(tcp), the first published host port gets a TCP check; C(docker_health=auto) adds the Docker health status when the container has a healthcheck."),
            OptSpec::dict("gate")
                .suboptions(gate)
                .doc("Pre-stop gate: before a running container is stopped (replaced or removed), call I(url) once, then poll I(ready_url) until it answers as expected. If it never does within I(timeout), the task fails and the running container is left untouched."),
            OptSpec::bool("rollback").default(true).doc("When the new container is not ready: stop and remove it, start the previous one again and prove it ready, and fail. When false, both are left as they are (the new one as C(<name>--next)) for debugging, and the task fails."),
            OptSpec::bool("recreate").default(false).doc("Replace the container even when nothing changed."),
            OptSpec::int("log_lines").default(30).doc("How many of the failed container's last log lines the result carries."),
            OptSpec::str("docker_host").doc("Docker Engine address (C(unix:///var/run/docker.sock), C(tcp://host:2375)); default C(DOCKER_HOST) or the local socket. The API version is negotiated."),
            OptSpec::int("docker_timeout").default(120).doc("Timeout of one Engine API call in seconds (raised to I(stop_timeout)+30 when needed)."),
        ],
        returns: vec![
            ReturnSpec::new("actions", "list", "always", "The steps taken (in check mode: that would be taken).")
                .sample(json!(["create_next", "gate_old", "stop_old", "start_next", "prove_next", "remove_old", "rename_next"])),
            ReturnSpec::new("container", "dict", "when a container exists at the end", "The container now in place.")
                .contains(vec![
                    ReturnSpec::new("id", "str", "always", "Container ID."),
                    ReturnSpec::new("name", "str", "always", "Container name."),
                    ReturnSpec::new("image", "str", "always", "Image reference."),
                    ReturnSpec::new("image_id", "str", "always", "Image ID."),
                    ReturnSpec::new("status", "str", "always", "Docker status (C(running), ...)."),
                    ReturnSpec::new("health", "str", "when it has a healthcheck", "Docker health status."),
                ]),
            ReturnSpec::new("previous", "dict", "when a container was replaced or removed", "The container that was replaced (C(id), C(image_id)).")
                .sample(json!({"id": "3f2a...", "image_id": "sha256:..."})),
            ReturnSpec::new("spec_hash", "str", "when state=present", "SHA-256 of the normalised desired spec (label C(palin.spec-hash)).")
                .sample("9b1c..."),
            ReturnSpec::new("rolled_back", "bool", "always", "Whether the previous container was restored after a failed deploy.").sample(false),
            ReturnSpec::new("readiness", "dict", "when readiness was checked", "The last readiness wait: C(ready), C(attempts), C(elapsed) seconds, C(last_error).")
                .sample(json!({"ready": true, "attempts": 3, "elapsed": 1.52})),
            ReturnSpec::new("gate", "dict", "when the gate ran", "The pre-stop gate wait, same keys as I(readiness).")
                .sample(json!({"ready": true, "attempts": 1, "elapsed": 0.01})),
            ReturnSpec::new("logs", "list", "on failure, when a container was started", "Last log lines of the container that failed (secret values masked).")
                .sample(json!(["app: cannot connect to database"])),
            ReturnSpec::new("reasons", "list", "always", "Why the container is (or would be) created, replaced, started or removed.")
                .sample(json!(["image changed"])),
            ReturnSpec::new("errors", "list", "on failure", "Every failed step with its error, in order.")
                .sample(json!(["prove_next: new container app not ready after 60.0 s (31 attempts): last attempt: status 503, expected 200"])),
        ],
        examples: EXAMPLES,
        notes: vec![
            "Host ports cannot be shared, so the old container is stopped before the new one starts; zero downtime comes from taking the host out of the load balancer around the task (rolling plays with C(serial)).",
            "The Docker socket normally needs root or the docker group: use C(become: true).",
            "Binary modules need an executable remote_tmp (not mounted noexec).",
            "In check mode nothing is pulled or built; a missing image is reported as a pull/build that would happen, and a rebuild is assumed to produce the current image.",
        ],
        check_mode: Support::Full,
        diff_mode: Support::Full,
        supports_check_mode: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palin_module::RawArgs;

    fn parse(json: &str) -> Result<Options, String> {
        let raw = RawArgs::from_json(json).map_err(|e| e.to_string())?;
        palin_module::prepare::<Options>(&spec(), raw)
            .map(|(_, o)| o)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_options_get_defaults() {
        let o = parse(r#"{"name": "app", "image": "app:1"}"#).expect("valid");
        assert_eq!(o.state, State::Present);
        assert_eq!(o.pull, Pull::Missing);
        assert_eq!(o.restart_policy, "unless-stopped");
        assert_eq!(o.stop_timeout, 10);
        assert!(o.rollback);
        assert_eq!(o.readiness.docker_health, DockerHealth::Auto);
        assert!((o.readiness.timeout - 60.0).abs() < f64::EPSILON);
        assert!(o.gate.is_none());
    }

    #[test]
    fn adhoc_style_values_are_coerced() {
        let o = parse(
            r#"{"name": "app", "image": "app:1", "stop_timeout": "3", "rollback": "no",
                "published_ports": "127.0.0.1:8080:80, 9090:90", "env": {"N": 1},
                "readiness": {"tcp": {"port": "8080"}, "timeout": "5"}}"#,
        )
        .expect("valid");
        assert_eq!(o.stop_timeout, 3);
        assert!(!o.rollback);
        assert_eq!(o.published_ports, vec!["127.0.0.1:8080:80", "9090:90"]);
        assert_eq!(o.env["N"], "1");
        assert_eq!(o.readiness.tcp.as_ref().map(|t| t.port), Some(8080));
        assert_eq!(
            o.readiness.tcp.as_ref().map(|t| t.host.as_str()),
            Some("127.0.0.1")
        );
    }

    #[test]
    fn mistakes_are_reported() {
        let e = parse(
            r#"{"name": "app", "imgae": "x", "pull": "sometimes", "gate": {"method": "POST"}}"#,
        )
        .expect_err("invalid");
        assert!(
            e.contains("Unsupported parameters for (palin_docker_deploy) module: imgae"),
            "{e}"
        );
        assert!(
            e.contains("value of pull must be one of: missing, always, never, got: sometimes"),
            "{e}"
        );
        assert!(e.contains("missing required argument: gate.url"), "{e}");
    }
}
