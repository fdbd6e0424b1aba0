//! palin_http_ready: the native Ansible module that waits until a URL answers with an expected
//! status (and body), in one module call instead of `uri` + `until`/`retries`. Owns the option
//! spec, the sidecar docs and the mapping of [`http_ready::Outcome`] to the result JSON.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use http_ready::{Backoff, Expect, HttpProbe, HttpRequest, Outcome, Timing, wait_until};
use palin_module::{Context, Kind, ModuleResult, ModuleSpec, OptSpec, ReturnSpec, Support};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct Options {
    url: String,
    method: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    body: Option<String>,
    status: Vec<u16>,
    body_contains: Option<String>,
    timeout: f64,
    initial_delay: f64,
    interval: f64,
    max_interval: f64,
    request_timeout: f64,
    success_threshold: u32,
    validate_certs: bool,
    follow_redirects: bool,
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

fn spec() -> ModuleSpec {
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

#[allow(clippy::needless_pass_by_value)] // the signature palin_module::main expects
fn run(_ctx: &Context, o: Options) -> ModuleResult {
    match run_inner(&o) {
        Ok((outcome, url)) => to_result(&outcome, &url),
        Err(e) => ModuleResult::fail(format!("{e:#}"))
            .with("ready", false)
            .with("url", &o.url),
    }
}

fn run_inner(o: &Options) -> anyhow::Result<(Outcome, String)> {
    let request = HttpRequest {
        url: o.url.clone(),
        method: o.method.clone(),
        headers: o
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        body: o.body.clone(),
        validate_certs: o.validate_certs,
        follow_redirects: o.follow_redirects,
    };
    let expect = Expect {
        status: o.status.clone(),
        body_contains: o.body_contains.clone(),
    };
    let timing = Timing {
        timeout: secs(o.timeout),
        request_timeout: secs(o.request_timeout),
        backoff: Backoff::new(secs(o.interval), secs(o.max_interval)),
        initial_delay: secs(o.initial_delay),
        success_threshold: o.success_threshold,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = rt.block_on(async {
        let mut probe = HttpProbe::new(&request, expect)?;
        anyhow::Ok(wait_until(&mut probe, timing).await)
    })?;
    Ok((outcome, o.url.clone()))
}

fn to_result(outcome: &Outcome, url: &str) -> ModuleResult {
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

fn main() -> ExitCode {
    palin_module::main(&spec(), run)
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

    #[test]
    fn unreachable_url_fails_with_the_reason() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let v = palin_module::execute(
            &spec(),
            Ok(format!(
                r#"{{"url": "http://127.0.0.1:{port}/", "timeout": 0.3, "interval": 0.05}}"#
            )),
            run,
        );
        assert_eq!(v["failed"], true);
        assert_eq!(v["ready"], false);
        assert_eq!(v["changed"], false);
        let msg = v["msg"].as_str().expect("msg");
        assert!(
            msg.starts_with(&format!("http://127.0.0.1:{port}/ not ready after")),
            "{msg}"
        );
        assert!(msg.to_lowercase().contains("refused"), "{msg}");
    }
}
