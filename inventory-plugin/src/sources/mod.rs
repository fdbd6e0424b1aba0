//! Inventory sources: each turns its input into palin's [`Model`](crate::model::Model).
//! Today that is Terraform state; the AWS API source joins here with the same model.

pub mod terraform;
