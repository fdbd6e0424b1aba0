//! Link-time code layout of the `palin-inventory` binary.
//!
//! With `PALIN_SYMBOL_ORDER` set to a symbol-ordering file, the linker places the functions it
//! names first and together, in that order. `scripts/build-dist.sh` writes that file from the
//! functions a first build of the same profile executes on its training runs, then relinks with
//! it: the code a run needs then fills about 2 MiB of contiguous pages instead of being spread
//! over the whole 6.7 MB text section, where the kernel's 64 KiB fault-around made nearly all of
//! it resident (bench/aws/README.md, "Where the peak memory goes").
//!
//! `--symbol-ordering-file` is an LLD option: rustc links x86_64-unknown-linux-gnu binaries with
//! its bundled LLD, which is the target `scripts/build-dist.sh` builds. Without the variable
//! (every ordinary `cargo build`) this script changes nothing.

fn main() {
    println!("cargo:rerun-if-env-changed=PALIN_SYMBOL_ORDER");
    if let Some(path) = std::env::var_os("PALIN_SYMBOL_ORDER").filter(|p| !p.is_empty()) {
        let path = path.to_string_lossy();
        println!("cargo:rerun-if-changed={path}");
        println!("cargo:rustc-link-arg-bin=palin-inventory=-Wl,--symbol-ordering-file={path}");
        // Names of the training build that this build does not define (there should be none
        // when both come from the same sources and profile) are skipped, not errors.
        println!("cargo:rustc-link-arg-bin=palin-inventory=-Wl,--no-warn-symbol-ordering");
    }
}
