//! Getting state text: local files, standard input, a command's stdout, S3 backend objects.
//! The only I/O of the Terraform source; S3 objects are fetched concurrently on a small runtime
//! that exists only when an S3 source is configured.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::config::{ClientSettings, S3Location, StateSource};
use crate::error::{Error, Result, io_reason, one_line};

/// Read every source in order, returning `(name, text)` pairs.
pub fn read_all(
    sources: &[StateSource],
    default_state: bool,
    client: &ClientSettings,
) -> Result<Vec<(String, String)>> {
    let mut texts: Vec<Option<(String, String)>> = Vec::with_capacity(sources.len());
    let mut s3 = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let name = source.to_string();
        match source {
            StateSource::File(path) => {
                let text = std::fs::read(path).map_err(|e| {
                    if default_state && e.kind() == std::io::ErrorKind::NotFound {
                        Error::NoState(path.clone())
                    } else {
                        Error::read(&name, io_reason(&e))
                    }
                })?;
                texts.push(Some((name.clone(), utf8(&name, text)?)));
            }
            StateSource::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::read(&name, io_reason(&e)))?;
                texts.push(Some((name.clone(), utf8(&name, buf)?)));
            }
            StateSource::Command { argv, dir } => {
                let text = run_command(argv, dir.as_deref()).map_err(|m| Error::read(&name, m))?;
                texts.push(Some((name.clone(), utf8(&name, text)?)));
            }
            StateSource::S3(loc) => {
                s3.push((i, loc.clone()));
                texts.push(None);
            }
        }
    }
    if !s3.is_empty() {
        for (i, result) in read_s3_all(s3, client)? {
            let name = sources[i].to_string();
            let bytes = result.map_err(|m| Error::read(&name, m))?;
            texts[i] = Some((name.clone(), utf8(&name, bytes)?));
        }
    }
    Ok(texts.into_iter().flatten().collect())
}

fn utf8(name: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| Error::state(name, "not UTF-8 text (a binary or compressed file?)"))
}

fn run_command(
    argv: &[String],
    dir: Option<&std::path::Path>,
) -> std::result::Result<Vec<u8>, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {program}: {}", io_reason(&e)))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no error output");
        let status = out
            .status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| format!("status {c}"));
        return Err(format!("exited with {status}: {}", one_line(last)));
    }
    Ok(out.stdout)
}

type S3Result = std::result::Result<Vec<u8>, String>;

fn read_s3_all(
    locations: Vec<(usize, S3Location)>,
    client: &ClientSettings,
) -> Result<Vec<(usize, S3Result)>> {
    let client = *client;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::read("s3", format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(async move {
        let mut set = tokio::task::JoinSet::new();
        for (i, loc) in locations {
            set.spawn(async move { (i, read_s3(&loc, &client).await) });
        }
        let mut results = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(r) = joined {
                results.push(r);
            }
        }
        results.sort_by_key(|(i, _)| *i);
        results
    }))
}

/// Read one S3 object whole, within the client's operation timeout (the SDK's covers the call up
/// to the answer's head; the body is bounded here).
async fn read_s3(loc: &S3Location, client: &ClientSettings) -> S3Result {
    let whole = tokio::time::timeout(client.operation_timeout, get_s3(loc, client));
    whole.await.unwrap_or_else(|_| {
        Err(format!(
            "timed out after {} s (operation_timeout)",
            client.operation_timeout.as_secs_f64()
        ))
    })
}

async fn get_s3(loc: &S3Location, client: &ClientSettings) -> S3Result {
    use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

    let mut loader = crate::sources::sdk::loader(client);
    if let Some(region) = &loc.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &loc.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &loc.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(
            "no AWS region: set region in the s3 state settings, AWS_REGION or the profile".into(),
        );
    }
    // Custom endpoints (MinIO, LocalStack, moto) serve buckets by path, not by virtual host.
    let path_style = sdk.endpoint_url().is_some();
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(path_style)
            .build(),
    );
    let out = client
        .get_object()
        .bucket(&loc.bucket)
        .key(loc.object_key())
        .send()
        .await
        .map_err(|err| match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("error");
                let hint = match code {
                    "NoSuchKey" if loc.workspace != "default" => {
                        " (check the workspace and workspace_key_prefix)"
                    }
                    "NoSuchKey" => {
                        " (check the key; a non-default workspace lives under env:/<workspace>/)"
                    }
                    _ => "",
                };
                let status = service.raw().status().as_u16();
                match e.message() {
                    Some(m) if !m.is_empty() => {
                        format!("{code} (HTTP {status}): {}{hint}", one_line(m))
                    }
                    _ => format!("{code} (HTTP {status}){hint}"),
                }
            }
            _ => crate::error::chain(&err),
        })?;
    let body = out
        .body
        .collect()
        .await
        .map_err(|e| format!("reading the object body failed: {e}"))?;
    Ok(body.into_bytes().to_vec())
}
