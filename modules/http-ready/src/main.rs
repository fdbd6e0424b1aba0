//! palin_http_ready: the native Ansible module that waits until a URL answers with an expected
//! status (and body), in one module call instead of `uri` + `until`/`retries`. Reads the args file
//! through the palin-module SDK, runs the wait and prints the result; the spec, the typed options
//! and the result mapping are [`http_ready::options`]'s.

use std::process::ExitCode;

use anyhow::Context as _;
use http_ready::options::{Options, spec, to_result};
use http_ready::{HttpProbe, Outcome, wait_until};
use palin_module::{Context, ModuleResult};

#[allow(clippy::needless_pass_by_value)] // the signature palin_module::main expects
fn run(_ctx: &Context, o: Options) -> ModuleResult {
    match wait(&o) {
        Ok(outcome) => to_result(&outcome, &o.url),
        Err(e) => ModuleResult::fail(format!("{e:#}"))
            .with("ready", false)
            .with("url", &o.url),
    }
}

fn wait(o: &Options) -> anyhow::Result<Outcome> {
    let (request, expect, timing) = (o.request(), o.expect(), o.timing());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let mut probe = HttpProbe::new(&request, expect)?;
        anyhow::Ok(wait_until(&mut probe, timing).await)
    })
}

fn main() -> ExitCode {
    palin_module::main(&spec(), run)
}

#[cfg(test)]
mod tests {
    use super::*;

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
