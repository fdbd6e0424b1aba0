//! The SDK's error type: reading the args file and validating options.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SdkError {
    #[error("cannot read the args file {path}: {source}")]
    ReadArgs {
        path: String,
        source: std::io::Error,
    },
    #[error("the args file is not JSON: {0}")]
    ArgsNotJson(String),
    #[error("the args file is not a JSON object")]
    ArgsNotObject,
    /// One or more option problems, already phrased for the user.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("validated options do not fit the module's typed options: {0}")]
    Typed(String),
}
