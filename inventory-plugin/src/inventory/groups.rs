//! palin's own groups of a host: `tag_<Key>_<Value>` (the tags `tag_groups` selects), the
//! `<type>_<name>` of its Terraform resource and the nested `module_<path>` groups.

use super::types::{Inventory, safe_group_name};
use crate::config::TagGroups;
use crate::model::Instance;

/// Put host `name` (of `instance`) into its tag, resource and module groups.
pub(super) fn add_palin_groups(
    inv: &mut Inventory,
    instance: &Instance,
    name: &str,
    tag_groups: &TagGroups,
) {
    for (key, value) in &instance.tags {
        let wanted = match tag_groups {
            TagGroups::AllButName => key != "Name",
            TagGroups::Only(keys) => keys.contains(key),
        };
        if wanted {
            inv.add_to_group(&safe_group_name(&format!("tag_{key}_{value}")), name);
        }
    }
    if let Some(resource) = &instance.origin.resource {
        inv.add_to_group(&safe_group_name(resource), name);
    }
    if let Some(module) = &instance.origin.module {
        add_to_module_groups(inv, module, name);
    }
}

fn add_to_module_groups(inv: &mut Inventory, module: &str, host: &str) {
    // `module.app.module.cache` → groups `module_app` ⊃ `module_app_module_cache`.
    let parts: Vec<&str> = module.split('.').collect();
    let mut parent: Option<String> = None;
    for depth in (2..=parts.len()).step_by(2) {
        let group = safe_group_name(&parts[..depth].join("_"));
        inv.groups.entry(group.clone()).or_default();
        if let Some(p) = &parent {
            inv.groups
                .entry(p.clone())
                .or_default()
                .children
                .insert(group.clone());
        }
        parent = Some(group);
    }
    if let Some(leaf) = parent {
        inv.add_to_group(&leaf, host);
    }
}
