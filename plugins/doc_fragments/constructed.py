# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The constructed options both palin.aws inventory plugins take (palin-inventory evaluates them,
not Ansible's Constructable; ansible.builtin.constructed's fragment would also document
use_extra_vars, which palin does not read)."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  compose:
    description: Variable name to Jinja2 expression, as in Ansible's C(constructed) options (evaluated by palin-inventory).
    type: dict
    default: {}
  groups:
    description: Group name to Jinja2 condition, as in Ansible's C(constructed) options.
    type: dict
    default: {}
  keyed_groups:
    description:
      - Groups named after variable values, as in Ansible's C(constructed) options (C(key),
        C(prefix), C(separator), C(parent_group), C(default_value), C(trailing_separator)).
    type: list
    elements: dict
    default: []
  strict:
    description: Fail on expressions that error, instead of skipping them.
    type: bool
    default: false
  leading_separator:
    description: Keyed groups without a prefix start with the separator.
    type: bool
    default: true
"""
