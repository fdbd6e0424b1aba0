//! Baseline for `bench/aws/run.sh`: the least work any Rust program that lists EC2 instances
//! must do. It loads the SDK configuration, sends `DescribeInstances` through the SDK
//! paginator, decodes every page and counts the instances; no mapping, no output beyond the
//! count.
//!
//! It sends the same request as `palin-inventory` does by default (an `instance-state-name`
//! filter for running, pending, stopping and stopped, pages of palin's `AwsSettings::DEFAULT_PAGE_SIZE`), so a
//! record-and-replay proxy answers both from the same recording. (The amazon.aws.aws_ec2 plugin
//! sends the same filter without `MaxResults`.)
//!
//! Usage: `bare_fetch <endpoint-url> <region> [page-size]` (the page size defaults to palin's,
//! as an `aws_ec2.yml` or a `palin.yml` without `page_size` gets). Credentials come from the standard chain
//! (the benchmark sets `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`). Prints the count.

use std::error::Error;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::types::Filter;
use palin_inventory::config::AwsSettings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(region)) = (args.next(), args.next()) else {
        return Err("usage: bare_fetch <endpoint-url> <region> [page-size]".into());
    };
    let page_size = match args.next() {
        Some(n) => n.parse()?,
        None => AwsSettings::DEFAULT_PAGE_SIZE,
    };
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region))
        .load()
        .await;
    let client = aws_sdk_ec2::Client::new(&config);
    let states = Filter::builder()
        .name("instance-state-name")
        .set_values(Some(
            ["running", "pending", "stopping", "stopped"]
                .map(str::to_owned)
                .to_vec(),
        ))
        .build();
    let mut pages = client
        .describe_instances()
        .filters(states)
        .into_paginator()
        .page_size(page_size)
        .send();
    let mut count = 0_usize;
    while let Some(page) = pages.next().await {
        count += page?
            .reservations()
            .iter()
            .map(|r| r.instances().len())
            .sum::<usize>();
    }
    println!("{count}");
    Ok(())
}
