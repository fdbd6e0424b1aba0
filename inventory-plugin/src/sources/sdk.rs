//! The AWS SDK as every source starts it: the standard retry mode and palin's timeouts
//! ([`ClientSettings`]), the same for the AWS API source and S3 states. Each source adds its
//! region, profile and endpoint.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader};

use crate::config::ClientSettings;

/// The longest wait between two attempts of a call (the SDK's backoff doubles up to it).
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// An SDK config loader with `client`'s attempts and timeouts.
pub(crate) fn loader(client: &ClientSettings) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(client.max_attempts)
                .with_max_backoff(MAX_BACKOFF),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(client.connect_timeout)
                .operation_attempt_timeout(client.attempt_timeout)
                .operation_timeout(client.operation_timeout)
                .build(),
        )
}
