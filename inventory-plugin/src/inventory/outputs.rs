//! Outputs: the Terraform outputs as variables of `all` (`-` made `_`, the configured prefix, `tf_`
//! before a name Ansible reserves), merged across states when they agree.

use std::collections::BTreeMap;

use super::types::Inventory;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Output;

/// Variable names Ansible reserves (`ansible.vars.reserved.get_reserved_names()`, ansible-core
/// 2.19): a variable with one of these names makes Ansible warn on every run.
pub const RESERVED_NAMES: [&str; 75] = [
    "action",
    "always",
    "any_errors_fatal",
    "args",
    "async",
    "async_val",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "changed_when",
    "check_mode",
    "collections",
    "connection",
    "cycler",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "dict",
    "diff",
    "environment",
    "fact_path",
    "failed_when",
    "force_handlers",
    "gather_facts",
    "gather_timeout",
    "handlers",
    "hosts",
    "ignore_errors",
    "ignore_unreachable",
    "joiner",
    "lipsum",
    "local_action",
    "lookup",
    "loop",
    "loop_control",
    "loop_with",
    "max_fail_percentage",
    "module_defaults",
    "name",
    "namespace",
    "no_log",
    "notify",
    "now",
    "omit",
    "order",
    "poll",
    "port",
    "post_tasks",
    "pre_tasks",
    "q",
    "query",
    "range",
    "register",
    "remote_user",
    "rescue",
    "retries",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "tasks",
    "throttle",
    "timeout",
    "undef",
    "until",
    "vars",
    "vars_files",
    "vars_prompt",
    "when",
    "with_",
];

/// Ansible's magic variables, which a variable of `all` must never shadow.
const MAGIC_NAMES: [&str; 13] = [
    "group_names",
    "groups",
    "hostvars",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "omit",
    "play_hosts",
    "playbook_dir",
    "role_name",
    "role_names",
    "role_path",
];

/// Whether a variable of `all` with this name would set how Ansible connects or behaves
/// (`ansible_*`: connection, become, interpreter, ...) or shadow a magic variable.
fn controls_ansible(name: &str) -> bool {
    name.starts_with("ansible_") || MAGIC_NAMES.contains(&name)
}

/// Add the outputs of `model` to `inv`, unless `terraform.outputs` is off.
pub(super) fn add_outputs(
    inv: &mut Inventory,
    outputs: Vec<Output>,
    config: &Config,
) -> Result<()> {
    if !config.outputs {
        return Ok(());
    }
    let mut from: BTreeMap<String, String> = BTreeMap::new();
    for output in outputs {
        // Terraform allows `-` in output names; Ansible variable names do not. A name Ansible
        // reserves (an output called `tags`, `name`, `port`, ...) gets `tf_` in front, and so
        // does one that would steer Ansible (`ansible_ssh_common_args`, `hostvars`, ...): a state
        // writer never sets how the controller connects.
        let mut name = format!("{}{}", config.outputs_prefix, output.name.replace('-', "_"));
        if RESERVED_NAMES.contains(&name.as_str()) || controls_ansible(&name) {
            name.insert_str(0, "tf_");
        }
        if let Some(source) = from.get(&name) {
            if inv.outputs.get(&name) != Some(&output.value) {
                return Err(Error::Inventory(format!(
                    "output {:?} has different values in {source} and {}; read only one of these states, or set terraform.outputs: false",
                    output.name, output.origin.source
                )));
            }
            continue;
        }
        if inv.all_vars.contains_key(&name) {
            return Err(Error::Inventory(format!(
                "output {:?} would overwrite palin's variable {name}; set terraform.outputs_prefix",
                output.name
            )));
        }
        from.insert(name.clone(), output.origin.source);
        inv.outputs.insert(name, output.value);
    }
    Ok(())
}
