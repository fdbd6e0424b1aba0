//! The `palin-inventory` binary: parse the command line, run, print the whole result or exactly
//! one error line, and map the outcome to an exit code (0 ok, 1 runtime failure, 2 usage/config).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use palin_inventory::cli::Cli;
use palin_inventory::config::Context;
use palin_inventory::error::one_line;

mod oom;

#[global_allocator]
static ALLOCATOR: oom::Checked = oom::Checked;

fn main() -> ExitCode {
    // One stderr line for a panic on this thread; a worker thread's panic is reported by whoever
    // joins it, and a panic palin catches (panics::catch) is that caller's to word.
    std::panic::set_hook(Box::new(|info| {
        let on_main = std::thread::current().name() == Some("main");
        if on_main && !palin_inventory::panics::is_catching() {
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!(
                "palin-inventory: internal error (a bug, please report it): {}{at}",
                one_line(&palin_inventory::panics::message(info.payload()))
            );
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help / --version
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap explains over several lines; Ansible shows one. Keep what precedes the usage.
            let text = e.to_string();
            let reason: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .collect();
            let reason = one_line(&reason.join(" "));
            eprintln!(
                "palin-inventory: {} (see palin-inventory --help)",
                reason.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let ctx = Context {
        env: &env,
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        exe_dir: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf)),
    };
    let pretty = cli.pretty || std::io::stdout().is_terminal();
    match palin_inventory::run(&cli, &ctx, pretty) {
        Ok(output) => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            if let Err(e) = output.write_to(&mut out).and_then(|()| out.flush()) {
                eprintln!("palin-inventory: cannot write output: {e}");
                return ExitCode::FAILURE;
            }
            // Everything is written and flushed: leave without freeing the inventory (tens of
            // thousands of small allocations) only for the process to end.
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("palin-inventory: {}", one_line(&e.to_string()));
            ExitCode::from(if e.is_config() { 2 } else { 1 })
        }
    }
}
