//! Replays the committed fuzz corpus and crash reproducers of the `module_args` target
//! (`fuzz/corpus/module_args/`, `fuzz/regressions/module_args/`) through the check the fuzz target
//! asserts, for palin_docker_deploy's and palin_http_ready's specs, on stable. See fuzz/README.md.

#[path = "../../../fuzz/src/module_checks.rs"]
mod module_checks;

#[test]
fn module_args_corpus() {
    module_checks::common::replay_test("module_args", module_checks::check_module_args);
}
