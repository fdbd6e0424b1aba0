//! Inventory sources: each turns its input into palin's [`Model`](crate::model::Model): Terraform
//! state, or the AWS API. Naming, grouping and the variable scheme after the model are shared.

pub mod aws;
pub mod terraform;
