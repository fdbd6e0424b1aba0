//! Baseline for `bench/run.sh`: the cost of only reading a Terraform state
//! file and parsing it into a generic `serde_json::Value`.
//!
//! `palin-inventory --list` must do at least this much work, so the ratio of
//! its run time to this program's shows the cost of everything else: typed
//! decoding, host mapping and JSON output.
//!
//! Usage: `parse_only <state-file>`. Prints the number of top-level keys so
//! the parse cannot be optimised away.

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: parse_only <state-file>")?;
    let text = std::fs::read_to_string(&path)?;
    let value: serde_json::Value = serde_json::from_str(&text)?;
    let keys = value.as_object().map_or(0, serde_json::Map::len);
    println!("{keys}");
    Ok(())
}
