//! The options of palin_http_ready: the one [`ModuleSpec`] (validation, defaults and the sidecar
//! docs all come from it), the typed [`Options`] the validated JSON is deserialised into, what they
//! mean to the probe ([`Options::request`], [`Options::expect`], [`Options::timing`]) and the
//! mapping of an [`Outcome`] to the module result ([`to_result`]).

use std::time::Duration;

use palin_module::{Kind, ModuleResult, ModuleSpec, OptSpec, ReturnSpec, Support};
use serde::Deserialize;
use serde_json::json;

use crate::{Backoff, Expect, HttpRequest, Outcome, Timing};

#[derive(Debug, Deserialize)]
/// The validated arguments of one call, as [`spec`] defines them.
pub struct Options {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: Option<String>,
    pub status: Vec<u16>,
    pub body_contains: Option<String>,
    pub timeout: f64,
    pub initial_delay: f64,
    pub interval: f64,
    pub max_interval: f64,
    pub request_timeout: f64,
    pub success_threshold: u32,
    pub validate_certs: bool,
    pub follow_redirects: bool,
}

impl Options {
    /// The request the probe sends.
    pub fn request(&self) -> HttpRequest {
        HttpRequest {
            url: self.url.clone(),
            method: self.method.clone(),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: self.body.clone(),
            validate_certs: self.validate_certs,
            follow_redirects: self.follow_redirects,
        }
    }

    /// What a response must be to count as ready.
    pub fn expect(&self) -> Expect {
        Expect {
            status: self.status.clone(),
            body_contains: self.body_contains.clone(),
        }
    }

    /// The deadline, the pauses and the success threshold of the wait.
    pub fn timing(&self) -> Timing {
        Timing {
            timeout: secs(self.timeout),
            request_timeout: secs(self.request_timeout),
            backoff: Backoff::new(secs(self.interval), secs(self.max_interval)),
            initial_delay: secs(self.initial_delay),
            success_threshold: self.success_threshold,
        }
    }
}

const EXAMPLES: &str = r#"- name: Wait until the app answers 200 on /healthz (one call, no Python on the host)
  palin_http_ready:
    url: "http://127.0.0.1:8080/healthz"
    timeout: 120

- name: Wait for a body marker, with a header, two successes in a row
  palin_http_ready:
    url: "http://{{ ansible_host }}:8080/ready"
    headers:
      X-Probe: ansible
    status: [200, 204]
    body_contains: READY
    success_threshold: 2
  delegate_to: localhost
"#;

/// The module's one spec: validation, defaults and the sidecar docs all come from it.
pub fn spec() -> ModuleSpec {
    ModuleSpec {
        name: "palin_http_ready",
        short_description: "Wait until a URL answers with an expected status and body",
        description: vec![
            "Polls a URL until it answers with one of the expected status codes (and, optionally, a body containing a given text), with an overall deadline and capped exponential backoff between attempts.",
            "Replaces C(ansible.builtin.uri) with C(until)/C(retries)/C(delay): the whole wait is one module call, so the module is uploaded once instead of once per retry.",
            "A static binary: needs no Python on the host. Plain HTTP by default; HTTPS needs a build with the C(tls) cargo feature.",
        ],
        options: vec![
            OptSpec::str("url").required().doc("The URL to poll (http://; https:// only in builds with the C(tls) feature)."),
            OptSpec::str("method")
                .default("GET")
                .choices(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
                .doc("The HTTP method."),
            OptSpec::dict("headers").elements(Kind::Str).doc("Request headers (values are sent as strings)."),
            OptSpec::str("body").doc("A request body."),
            OptSpec::list("status", Kind::Int)
                .default(json!([200]))
                .doc("Status codes that count as ready. An empty list accepts any 2xx."),
            OptSpec::str("body_contains").doc("Text the response body must contain to count as ready."),
            OptSpec::float("timeout").default(60.0).doc("Overall deadline in seconds; the task fails when the URL is not ready by then."),
            OptSpec::float("initial_delay").default(0.0).doc("Seconds to wait before the first attempt."),
            OptSpec::float("interval").default(0.25).doc("Seconds between the first attempts; doubled after each failure up to I(max_interval)."),
            OptSpec::float("max_interval").default(2.0).doc("Cap, in seconds, of the pause between attempts."),
            OptSpec::float("request_timeout").default(5.0).doc("Timeout of one request in seconds (never beyond the overall deadline)."),
            OptSpec::int("success_threshold").default(1).doc("Consecutive ready answers needed."),
            OptSpec::bool("validate_certs").default(true).doc("Verify TLS certificates (HTTPS builds only)."),
            OptSpec::bool("follow_redirects").default(false).doc("Follow redirects (up to 10) instead of judging the redirect response."),
        ],
        returns: vec![
            ReturnSpec::new("ready", "bool", "always", "Whether the URL answered as expected before the deadline.").sample(true),
            ReturnSpec::new("status", "int", "when a response arrived", "Status code of the last response.").sample(200),
            ReturnSpec::new("attempts", "int", "always", "Requests made.").sample(3),
            ReturnSpec::new("elapsed", "float", "always", "Seconds spent waiting.").sample(1.25),
            ReturnSpec::new("url", "str", "always", "The URL polled.").sample("http://127.0.0.1:8080/healthz"),
            ReturnSpec::new("content", "str", "when a response arrived", "The first 1024 bytes of the last response body.").sample("ok"),
            ReturnSpec::new("last_error", "str", "when not ready", "Why the last attempt did not count as ready.")
                .sample("status 503, expected 200"),
        ],
        examples: EXAMPLES,
        notes: vec![
            "Runs in check mode too (it only reads); it never reports C(changed).",
            "Binary modules need an executable remote_tmp (not mounted noexec).",
        ],
        check_mode: Support::Full,
        diff_mode: Support::None,
        supports_check_mode: true,
    }
}

fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.max(0.0)).unwrap_or(Duration::MAX)
}

/// The module result of a finished wait on `url`.
pub fn to_result(outcome: &Outcome, url: &str) -> ModuleResult {
    let mut r = if outcome.ready {
        ModuleResult::ok(
            false,
            format!("{url} ready after {:.2} s", outcome.elapsed.as_secs_f64()),
        )
    } else {
        ModuleResult::fail(outcome.explain(url))
    };
    r.set("ready", outcome.ready);
    r.set("url", url);
    r.set("attempts", outcome.attempts);
    r.set(
        "elapsed",
        (outcome.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
    );
    if let Some(status) = outcome.last.status {
        r.set("status", status);
    }
    if let Some(body) = &outcome.last.body {
        r.set("content", body);
    }
    if !outcome.ready
        && let Some(err) = &outcome.last.error
    {
        r.set("last_error", err);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_defaults_fit_the_typed_options() {
        let raw =
            palin_module::RawArgs::from_json(r#"{"url": "http://127.0.0.1:1/"}"#).expect("json");
        let (_, o): (_, Options) = palin_module::prepare(&spec(), raw).expect("valid");
        assert_eq!(o.method, "GET");
        assert_eq!(o.status, vec![200]);
        assert!((o.timeout - 60.0).abs() < f64::EPSILON);
        assert!(o.validate_certs);
    }

    #[test]
    fn adhoc_strings_work() {
        let raw = palin_module::RawArgs::from_json(
            r#"{"url": "http://x/", "status": "200,204", "timeout": "2.5", "validate_certs": "no"}"#,
        )
        .expect("json");
        let (_, o): (_, Options) = palin_module::prepare(&spec(), raw).expect("valid");
        assert_eq!(o.status, vec![200, 204]);
        assert!((o.timeout - 2.5).abs() < f64::EPSILON);
        assert!(!o.validate_certs);
    }
}
