//! State-source settings: which Terraform states a run reads. `--tfstate` / `PALIN_TFSTATE`
//! (sources separated by `:`, `s3://` URIs kept whole) win over `terraform.states` in the file,
//! which wins over the conventional `./terraform.tfstate` of the selected workspace.

use std::path::{Path, PathBuf};

use super::schema::StateEntry;
use super::types::{
    Context, ENV_TF_DATA_DIR, ENV_TFSTATE, Overrides, S3Location, StateSource, absolute,
};
use crate::error::{Error, Result};

/// The states to read and whether they are the conventional default (`aws`: none, an AWS run
/// reads no state). `entries` is the file's `terraform.states`, relative to `base`; `origin`
/// names the file in messages.
pub(super) fn resolve(
    entries: Option<Vec<StateEntry>>,
    aws: bool,
    base: &Path,
    origin: &str,
    workspace: Option<&str>,
    overrides: &Overrides,
    ctx: &Context<'_>,
) -> Result<(Vec<StateSource>, bool)> {
    let env_states = if overrides.tfstate.is_empty() {
        (ctx.env)(ENV_TFSTATE)
            .filter(|v| !v.is_empty())
            .map(|v| split_sources(&v))
            .transpose()
            .map_err(|m| Error::config(ENV_TFSTATE, m))?
            .unwrap_or_default()
    } else {
        overrides.tfstate.clone()
    };
    if aws {
        return Ok((Vec::new(), false));
    }
    if !env_states.is_empty() {
        let states = env_states
            .iter()
            .map(|s| parse_source_uri(s, &ctx.cwd, workspace))
            .collect::<Result<Vec<_>, String>>();
        return Ok((states.map_err(|m| Error::config(ENV_TFSTATE, m))?, false));
    }
    if let Some(entries) = entries {
        if entries.is_empty() {
            return Err(Error::config(origin, "terraform.states: the list is empty"));
        }
        let states = entries.into_iter().enumerate().map(|(i, e)| {
            state_entry(e, base, workspace)
                .map_err(|m| Error::config(origin, format!("terraform.states[{i}]: {m}")))
        });
        return Ok((states.collect::<Result<Vec<_>>>()?, false));
    }
    Ok((
        vec![StateSource::File(default_local_state(ctx, workspace))],
        true,
    ))
}

/// `./terraform.tfstate`, or `terraform.tfstate.d/<ws>/terraform.tfstate` when a non-default
/// workspace is selected (by `TF_WORKSPACE` or `<TF_DATA_DIR>/environment`), as Terraform reads it.
fn default_local_state(ctx: &Context<'_>, workspace: Option<&str>) -> PathBuf {
    let selected = workspace.map(str::to_owned).or_else(|| {
        let data_dir = (ctx.env)(ENV_TF_DATA_DIR)
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| ".terraform".into());
        let text =
            std::fs::read_to_string(absolute(&ctx.cwd, Path::new(&data_dir)).join("environment"))
                .ok()?;
        Some(text.trim().to_owned()).filter(|w| !w.is_empty())
    });
    match selected.as_deref() {
        None | Some("default") => ctx.cwd.join("terraform.tfstate"),
        Some(ws) => ctx
            .cwd
            .join("terraform.tfstate.d")
            .join(ws)
            .join("terraform.tfstate"),
    }
}

/// Split `PALIN_TFSTATE` on `:`, keeping `s3://…` URIs whole.
fn split_sources(value: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut parts = value.split(':').peekable();
    while let Some(part) = parts.next() {
        if part == "s3" && parts.peek().is_some_and(|next| next.starts_with("//")) {
            let uri = format!("s3:{}", parts.next().unwrap_or_default());
            if parts.peek().is_some_and(|next| next.starts_with('/')) {
                // `s3://b/env:/staging/k`: the workspace key prefix has a `:`, the separator.
                return Err(format!(
                    "{uri}:… looks like an S3 key with a ':' (such as env:/<workspace>/), which PALIN_TFSTATE cannot hold because ':' separates sources; give the plain key and select the workspace with TF_WORKSPACE=<workspace>, or use an s3 entry in palin.yml"
                ));
            }
            out.push(uri);
        } else if !part.is_empty() {
            out.push(part.to_owned());
        }
    }
    Ok(out)
}

fn parse_source_uri(s: &str, cwd: &Path, workspace: Option<&str>) -> Result<StateSource, String> {
    if s == "-" {
        return Ok(StateSource::Stdin);
    }
    if let Some(rest) = s.strip_prefix("s3://") {
        let (bucket, key) = rest
            .split_once('/')
            .filter(|(b, k)| !b.is_empty() && !k.is_empty())
            .ok_or_else(|| format!("{s:?}: expected s3://<bucket>/<key>"))?;
        return Ok(StateSource::S3(S3Location {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            workspace: workspace.unwrap_or("default").to_owned(),
            workspace_key_prefix: "env:".to_owned(),
            ..S3Location::default()
        }));
    }
    Ok(StateSource::File(absolute(cwd, Path::new(s))))
}

fn state_entry(e: StateEntry, base: &Path, workspace: Option<&str>) -> Result<StateSource, String> {
    let given = usize::from(e.path.is_some())
        + usize::from(e.command.is_some())
        + usize::from(e.s3.is_some());
    if given != 1 {
        return Err("give exactly one of path, command or s3".into());
    }
    if e.dir.is_some() && e.command.is_none() {
        return Err("dir is only used with command".into());
    }
    if let Some(path) = e.path {
        return Ok(if path == "-" {
            StateSource::Stdin
        } else {
            StateSource::File(absolute(base, Path::new(&path)))
        });
    }
    if let Some(argv) = e.command {
        if argv.first().is_none_or(String::is_empty) {
            return Err("command: the list is empty".into());
        }
        let dir = Some(
            e.dir
                .map_or_else(|| base.to_path_buf(), |d| absolute(base, Path::new(&d))),
        );
        return Ok(StateSource::Command { argv, dir });
    }
    let s3 = e.s3.ok_or("give exactly one of path, command or s3")?;
    if s3.bucket.is_empty() || s3.key.is_empty() {
        return Err("s3: bucket and key must not be empty".into());
    }
    Ok(StateSource::S3(S3Location {
        bucket: s3.bucket,
        key: s3.key,
        region: s3.region,
        workspace: s3
            .workspace
            .or_else(|| workspace.map(str::to_owned))
            .unwrap_or_else(|| "default".into()),
        workspace_key_prefix: s3.workspace_key_prefix.unwrap_or_else(|| "env:".into()),
        endpoint_url: s3.endpoint_url,
        profile: s3.profile,
    }))
}
