//! The reference palindrome service that palin deploys: a small HTTP API over Postgres and
//! Redis with the two deploy endpoints (`POST /deploy/drain`, `GET /deploy/ready`) that
//! `palin_docker_deploy`'s pre-stop gate calls. The pure core (phrase rule, drain state machine,
//! routing, RESP, configuration) is separate from the I/O edges (server, db, redis, tls).

pub mod cli;
pub mod config;
pub mod db;
pub mod drain;
pub mod healthcheck;
pub mod log;
pub mod palindrome;
pub mod redis;
pub mod resp;
pub mod routes;
pub mod server;
pub mod service;
pub mod tls;
