//! The library's error type: every failure palin-inventory can report, each naming what failed and
//! why; and the text helpers that make any error one stderr line ([`one_line`], [`io_reason`],
//! `chain`). It depends on no other module of the crate.

use std::path::PathBuf;

/// Everything that can stop palin-inventory from producing an inventory.
///
/// Each variant's message is written to be printed as the single stderr line Ansible shows,
/// so it names the input (file, bucket/key, command, setting) and the cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file or a setting is wrong.
    #[error("config {origin}: {message}")]
    Config { origin: String, message: String },

    /// A state source could not be read (missing file, S3 error, command failed).
    #[error("cannot read Terraform state {source_name}: {message}")]
    Read {
        source_name: String,
        message: String,
    },

    /// A state source was read but is not a Terraform state palin understands.
    #[error("Terraform state {source_name}: {message}")]
    State {
        source_name: String,
        message: String,
    },

    /// The inventory cannot be built from otherwise valid states (e.g. two states disagree).
    #[error("{0}")]
    Inventory(String),

    /// The AWS API source failed (credentials, permissions, a region, throttling past the retries).
    #[error("AWS: {0}")]
    Aws(String),

    /// No state source was configured and none was found by convention.
    #[error(
        "no Terraform state found: {} does not exist (run palin-inventory in the Terraform directory, or set PALIN_TFSTATE or PALIN_CONFIG; see palin-inventory --help)",
        .0.display()
    )]
    NoState(PathBuf),

    /// Writing the rendered inventory failed (e.g. stdout closed).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// Whether the error is the user's configuration (exit code 2) rather than a runtime failure (exit code 1).
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config { .. })
    }

    pub(crate) fn config(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            origin: origin.into(),
            message: without_values(&message.into()),
        }
    }

    pub(crate) fn read(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Read {
            source_name: source_name.into(),
            message: without_values(&message.into()),
        }
    }

    pub(crate) fn state(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::State {
            source_name: source_name.into(),
            message: without_values(&message.into()),
        }
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its sources as one readable line (`dispatch failure: io error: … Connection
/// refused`), without the SDK's debug dump of the same chain.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        // The service's own words, without the struct dump and request id the SDK prints.
        let text = match e.downcast_ref::<aws_smithy_types::error::ErrorMetadata>() {
            Some(meta) => match (meta.code(), meta.message()) {
                (Some(c), Some(m)) => format!("{c}: {}", one_line(m)),
                (Some(c), None) => c.to_owned(),
                (None, Some(m)) => one_line(m),
                (None, None) => String::new(),
            },
            None => one_line(&e.to_string()),
        };
        // Wrappers that say nothing the next part does not ("other", "service error",
        // "unhandled error (Code)" before the code's own line).
        if let Some(last) = parts.last()
            && (matches!(last.as_str(), "other" | "service error")
                || last
                    .strip_prefix("unhandled error (")
                    .and_then(|c| c.strip_suffix(')'))
                    .is_some_and(|code| text.starts_with(code)))
        {
            parts.pop();
        }
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// `message` without the values serde quotes in its errors: `invalid type: string "s3cr3t",
/// expected a map` becomes `invalid type: string, expected a map`, and likewise for `invalid
/// value` and `unknown variant`. A state or a config file holds passwords, tokens and tags, and an
/// error line ends up in CI logs and AWX job output: it names where and what kind of value was
/// wrong, never the value. Field names (`unknown field `x``, `missing field `y``) are kept.
pub fn without_values(message: &str) -> String {
    const MARKS: [&str; 3] = ["invalid type: ", "invalid value: ", "unknown variant "];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((at, mark)) = MARKS
        .iter()
        .filter_map(|m| rest.find(m).map(|at| (at, *m)))
        .min_by_key(|(at, _)| *at)
    {
        out.push_str(&rest[..at + mark.len()]);
        rest = &rest[at + mark.len()..];
        // The kind of value (`string`, `integer`, `map`…), up to its literal or the comma.
        let kind_end = rest.find(['"', '`', ',']).unwrap_or(rest.len());
        out.push_str(rest[..kind_end].trim_end());
        rest = &rest[kind_end..];
        rest = skip_literal(rest);
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
    }
    out.push_str(rest);
    out
}

/// `text` after the quoted literal it starts with (a Rust debug string `"…"` with its escapes, or
/// a `` `…` `` literal), or `text` unchanged.
fn skip_literal(text: &str) -> &str {
    let mut chars = text.char_indices();
    let close = match chars.next() {
        Some((_, '"')) => '"',
        Some((_, '`')) => '`',
        _ => return text,
    };
    let mut escaped = false;
    for (i, c) in chars {
        if close == '"' && escaped {
            escaped = false;
        } else if close == '"' && c == '\\' {
            escaped = true;
        } else if c == close {
            return &text[i + c.len_utf8()..];
        }
    }
    // An unterminated literal: drop all of it.
    ""
}

/// An I/O error's reason without the OS error number noise.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Collapse a possibly multi-line message into one line (Ansible shows one stderr line).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::without_values;

    #[test]
    fn serde_values_are_dropped_and_names_kept() {
        let cases = [
            (
                "invalid type: string \"SECRET-TAG-1\", expected a map at line 3 column 9",
                "invalid type: string, expected a map at line 3 column 9",
            ),
            (
                "resources[0]: invalid type: integer `1234`, expected a string",
                "resources[0]: invalid type: integer, expected a string",
            ),
            (
                "invalid value: string \"a\\\", expected x\", expected one of",
                "invalid value: string, expected one of",
            ),
            (
                "invalid type: map, expected a string",
                "invalid type: map, expected a string",
            ),
            (
                "unknown variant `SECRET`, expected `a` or `b`",
                "unknown variant, expected `a` or `b`",
            ),
            (
                "unknown field `typo`, expected `path`",
                "unknown field `typo`, expected `path`",
            ),
            (
                "invalid type: string \"unterminated",
                "invalid type: string",
            ),
            (
                "x: invalid type: boolean `true`, expected a map; y: invalid type: floating point `1.5`, expected u16",
                "x: invalid type: boolean, expected a map; y: invalid type: floating point, expected u16",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(without_values(input), want, "{input}");
        }
    }
}
