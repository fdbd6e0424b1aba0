//! Logging: one line per event on stderr (`level message`); Docker timestamps the lines.
//! Nothing logged ever contains a secret: the configuration's secrets are [`crate::config::Secret`]s
//! and backend errors carry no passwords.

use std::fmt::Display;
use std::io::Write as _;

fn emit(level: &str, message: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{level} {message}");
}

pub fn info(message: impl Display) {
    emit("INFO", message);
}

pub fn warn(message: impl Display) {
    emit("WARN", message);
}

pub fn error(message: impl Display) {
    emit("ERROR", message);
}
