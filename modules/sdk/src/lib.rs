//! palin-module: a small SDK for native (binary) Ansible modules.
//!
//! Ansible runs a binary module as `<tmp>/AnsiballZ_<name> <tmp>/args`, where `args` is a flat
//! JSON object of the task's options plus `_ansible_*` keys; the module prints one JSON object.
//! This crate owns that contract:
//!
//! * [`args`]: the args file (flat or wrapped) and the controller's internal flags;
//! * [`spec`]: the typed option spec, one place for validation, masking and docs;
//! * [`validate`]: coercion as Ansible users expect, required/choices/defaults, unknown options
//!   rejected;
//! * [`mask`]: `no_log` masking of secret options (and of everything under task `no_log`);
//! * [`result`]: the result JSON (`changed`, `failed`, `msg`, `diff`, `warnings`, values);
//! * [`doc`]: the sidecar `<name>.yml` generated from the spec;
//! * [`main`]/[`execute`]: the whole run — argv, `--doc`, check mode, invocation, printing.

pub mod args;
pub mod doc;
pub mod error;
pub mod mask;
pub mod result;
pub mod spec;
pub mod validate;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

pub use args::{Internal, RawArgs};
pub use error::SdkError;
pub use mask::Secrets;
pub use result::{Diff, ModuleResult};
pub use spec::{Kind, ModuleSpec, OptSpec, ReturnSpec, Support};

/// What a module's body gets besides its typed options.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub internal: Internal,
    /// The validated, normalised options (defaults filled).
    pub params: Map<String, Value>,
    /// Secret values to keep out of the result (the SDK masks the result on the way out too).
    pub secrets: Secrets,
}

impl Context {
    pub fn check_mode(&self) -> bool {
        self.internal.check_mode
    }
    pub fn diff(&self) -> bool {
        self.internal.diff
    }
}

/// Validates raw args against `spec` and converts them into the module's typed options `T`.
pub fn prepare<T: DeserializeOwned>(
    spec: &ModuleSpec,
    raw: RawArgs,
) -> Result<(Context, T), SdkError> {
    let params = validate::validate(spec, raw.params, raw.internal.ignore_unknown_opts)?;
    let typed: T = serde_json::from_value(Value::Object(params.clone()))
        .map_err(|e| SdkError::Typed(e.to_string()))?;
    let secrets = Secrets::from_params(&spec.options, &params, raw.internal.no_log);
    Ok((
        Context {
            internal: raw.internal,
            params,
            secrets,
        },
        typed,
    ))
}

/// Runs a module on args text and returns the result JSON (masked, with `invocation` when the
/// controller wants it). `body` is not called for invalid options, nor under `--check` when the
/// module does not support check mode.
pub fn execute<T: DeserializeOwned>(
    spec: &ModuleSpec,
    args_text: Result<String, SdkError>,
    body: impl FnOnce(&Context, T) -> ModuleResult,
) -> Value {
    let raw = match args_text.and_then(|t| RawArgs::from_json(&t)) {
        Ok(raw) => raw,
        Err(e) => return ModuleResult::fail(e.to_string()).to_value(),
    };
    let internal = raw.internal.clone();
    let raw_params = raw.params.clone();
    let (result, params, secrets) = match prepare::<T>(spec, raw) {
        Err(e) => {
            let secrets = Secrets::from_params(&spec.options, &raw_params, internal.no_log);
            (ModuleResult::fail(e.to_string()), raw_params, secrets)
        }
        Ok((ctx, _)) if ctx.check_mode() && !spec.supports_check_mode => (
            ModuleResult {
                skipped: true,
                msg: Some(format!("{} does not support check mode", spec.name)),
                ..ModuleResult::default()
            },
            ctx.params,
            ctx.secrets,
        ),
        Ok((ctx, typed)) => {
            let mut result = body(&ctx, typed);
            if !ctx.diff() {
                result.diff = None;
            }
            (result, ctx.params, ctx.secrets)
        }
    };
    let mut value = result.to_value();
    secrets.mask_result(&mut value);
    if internal.inject_invocation != Some(false) {
        let args = mask::censored_params(&spec.options, &params, internal.no_log);
        if let Value::Object(map) = &mut value {
            map.insert("invocation".into(), json!({ "module_args": args }));
        }
    }
    value
}

const USAGE: &str = "usage: {name} ARGS_FILE | --doc | --help
Native Ansible module (a static binary; no Python needed on the host).
  ARGS_FILE  a JSON object of options (what Ansible passes); prints one JSON result
  --doc      print the sidecar documentation ({name}.yml) for ansible-doc
  --help     this text";

/// The whole `main` of a module binary: `--doc` prints the sidecar YAML, `--help` usage, an
/// args path runs the module and prints the result. The exit code is 1 when the result failed
/// (Ansible ignores it and reads `failed`; it helps people running the binary by hand).
pub fn main<T: DeserializeOwned>(
    spec: &ModuleSpec,
    body: impl FnOnce(&Context, T) -> ModuleResult,
) -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let usage = USAGE.replace("{name}", spec.name);
    let args_text = match argv.first().and_then(|a| a.to_str()) {
        Some("--doc") => {
            print!("{}", doc::sidecar_yaml(spec));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h") => {
            println!("{usage}");
            return ExitCode::SUCCESS;
        }
        Some("--version") => {
            println!("{} {}", spec.name, env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ if argv.len() != 1 => Err(SdkError::Invalid(vec![format!(
            "expected exactly one argument, the args file; {usage}"
        )])),
        _ => {
            let path = Path::new(&argv[0]);
            std::fs::read_to_string(path).map_err(|source| SdkError::ReadArgs {
                path: path.display().to_string(),
                source,
            })
        }
    };
    let value = execute(spec, args_text, body);
    let failed = value
        .get("failed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut stdout = std::io::stdout().lock();
    let text = serde_json::to_string(&value)
        .unwrap_or_else(|_| r#"{"failed": true, "msg": "cannot serialise the result"}"#.to_owned());
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Opts {
        name: String,
        token: Option<String>,
        count: i64,
    }

    fn spec(check: bool) -> ModuleSpec {
        ModuleSpec {
            name: "demo",
            short_description: "d",
            description: vec![],
            options: vec![
                OptSpec::str("name").required(),
                OptSpec::str("token").no_log(),
                OptSpec::int("count").default(1),
            ],
            returns: vec![],
            examples: "",
            notes: vec![],
            check_mode: Support::Full,
            diff_mode: Support::Full,
            supports_check_mode: check,
        }
    }

    #[allow(clippy::needless_pass_by_value)] // the signature execute() expects
    fn body(ctx: &Context, o: Opts) -> ModuleResult {
        let mut r = ModuleResult::ok(!ctx.check_mode(), format!("hello {} {:?}", o.name, o.token))
            .with("count", o.count);
        r.diff = Some(Diff::default());
        r
    }

    fn run(args: &str, check: bool) -> Value {
        execute(&spec(check), Ok(args.to_owned()), body)
    }

    #[test]
    fn runs_body_with_typed_options_and_masks_secrets() {
        let v = run(
            r#"{"name": "web", "token": "s3cr3t-value", "count": "3"}"#,
            true,
        );
        assert_eq!(v["failed"], false);
        assert_eq!(v["changed"], true);
        assert_eq!(v["count"], 3);
        assert_eq!(v["msg"], "hello web Some(\"********\")");
        assert_eq!(v["invocation"]["module_args"]["token"], mask::NO_LOG_VALUE);
        assert!(v.get("diff").is_none(), "no diff without _ansible_diff");
        assert!(!v.to_string().contains("s3cr3t-value"));
    }

    #[test]
    fn invalid_options_fail_without_running_and_still_mask() {
        let v = run(r#"{"token": "s3cr3t-value", "colour": "red"}"#, true);
        assert_eq!(v["failed"], true);
        let msg = v["msg"].as_str().expect("msg");
        assert!(
            msg.contains("Unsupported parameters for (demo) module: colour"),
            "{msg}"
        );
        assert!(msg.contains("missing required argument: name"), "{msg}");
        assert!(!v.to_string().contains("s3cr3t-value"));
    }

    #[test]
    fn check_mode_unsupported_is_skipped() {
        let v = run(r#"{"name": "w", "_ansible_check_mode": true}"#, false);
        assert_eq!(v["skipped"], true);
        assert_eq!(v["changed"], false);
        let v = run(r#"{"name": "w", "_ansible_check_mode": true}"#, true);
        assert_eq!(v["changed"], false);
        assert!(v.get("skipped").is_none());
    }

    #[test]
    fn diff_and_invocation_follow_the_controller() {
        let v = run(
            r#"{"name": "w", "_ansible_diff": true, "_ansible_inject_invocation": false}"#,
            true,
        );
        assert!(v.get("diff").is_some());
        assert!(v.get("invocation").is_none());
    }

    #[test]
    fn task_no_log_masks_all_option_values() {
        let v = run(r#"{"name": "webserver", "_ansible_no_log": true}"#, true);
        assert_eq!(v["msg"], "hello ******** None");
        assert_eq!(v["invocation"]["module_args"]["name"], mask::NO_LOG_VALUE);
    }

    #[test]
    fn unreadable_or_bad_args() {
        let v = execute::<Opts>(&spec(true), Ok("not json".into()), body);
        assert_eq!(v["failed"], true);
        assert!(v["msg"].as_str().is_some_and(|m| m.contains("not JSON")));
    }
}
