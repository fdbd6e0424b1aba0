# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option every palin.aws inventory plugin shares: which palin-inventory binary to run."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  executable:
    description:
      - The C(palin-inventory) binary that reads this file.
      - A name without a slash is looked up on E(PATH); a relative path is relative to the inventory
        file's directory; C(~) and environment variables are expanded.
      - When not set, C(palin-inventory) is looked up on E(PATH), then next to the Python that runs
        Ansible (where C(pip install palin-inventory) puts it, also in a virtualenv that was not
        activated) and in the user scripts directory (C(pip install --user)).
      - When it cannot be found, the inventory fails with an error that says where the plugin looked.
    type: str
    env:
      - name: PALIN_INVENTORY_EXECUTABLE
"""
