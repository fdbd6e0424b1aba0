//! palin_docker_deploy: the native Ansible module binary. Reads the args file through the
//! palin-module SDK, connects to the Docker Engine, runs the deploy and prints the result.

use std::process::ExitCode;
use std::time::Duration;

use docker_deploy::deploy::deploy;
use docker_deploy::desired::Desired;
use docker_deploy::docker::DockerEngine;
use docker_deploy::options::{Options, spec};
use docker_deploy::readiness::Checks;
use palin_module::{Context, ModuleResult};

#[allow(clippy::needless_pass_by_value)] // the signature palin_module::main expects
fn run(ctx: &Context, o: Options) -> ModuleResult {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return ModuleResult::fail(format!("cannot start the async runtime: {e}")),
    };
    let timeout = Duration::from_secs(u64::from(
        o.docker_timeout.max(o.stop_timeout.saturating_add(30)),
    ));
    let default_tcp = Desired::from_options(&o)
        .ok()
        .and_then(|d| d.first_host_port());
    let mut checks = Checks {
        readiness: o.readiness.clone(),
        gate: o.gate.clone(),
        default_tcp,
    };
    rt.block_on(async {
        let engine = match DockerEngine::connect(o.docker_host.as_deref(), timeout).await {
            Ok(engine) => engine,
            Err(e) => return ModuleResult::from(e).with("rolled_back", false),
        };
        deploy(&engine, &mut checks, &o, ctx.check_mode()).await
    })
}

fn main() -> ExitCode {
    palin_module::main(&spec(), run)
}
