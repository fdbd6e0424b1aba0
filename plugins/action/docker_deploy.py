# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of palin.aws.docker_deploy: runs the module's static binary for the target's architecture
(plugins/modules/__docker_deploy_<arch>); the logic is NativeModuleAction in plugins/plugin_utils/native_module.py,
the documentation is plugins/modules/docker_deploy.py."""

from __future__ import annotations

from ansible_collections.palin.aws.plugins.plugin_utils.native_module import NativeModuleAction


class ActionModule(NativeModuleAction):
    MODULE = "docker_deploy"
