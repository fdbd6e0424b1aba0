# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin behind palin.aws's native (static binary) modules: picks the module binary
for the target's architecture and runs it the way ansible-core runs any binary module.

The collection ships one binary per architecture, plugins/modules/__<module>_<arch> (built by
modules/build.sh; the "__" keeps them out of `ansible-doc -l`), and a docs-only
plugins/modules/<module>.py. A task `palin.aws.<module>` lands in plugins/action/<module>.py,
a subclass of NativeModuleAction, which:

1. finds the target's architecture: the `architecture` fact when facts were gathered, else the
   `ansible_architecture` variable (e.g. set in the inventory), else `uname -m` run on the target
   (once per task); for a delegated task, those of the host it is delegated to. `arm64` and
   `amd64` are read as `aarch64` and `x86_64`;
2. fails with a message naming the host's architecture and the ones shipped when there is no
   binary for it;
3. runs `palin.aws.__<module>_<arch>` with ActionBase._execute_module, so the remote tmpdir,
   args file, become permissions, check mode, diff, no_log and async are ansible-core's own;
4. turns a binary that the target cannot execute ("Exec format error": a wrong architecture
   variable, or a kernel without that ABI) into a message naming both, keeping the raw output.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()

ARCH_ALIASES = {"arm64": "aarch64", "amd64": "x86_64"}
MODULES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "modules")
# ansible_collections.<namespace>.<name>.plugins.plugin_utils.native_module -> <namespace>.<name>
COLLECTION = ".".join(__name__.split(".")[1:3])


def normalise_arch(raw: object) -> str:
    """`uname -m` / fact spelling -> the suffix of the binaries (x86_64, aarch64, ...)."""
    text = str(raw).strip().lower()
    return ARCH_ALIASES.get(text, text)


def shipped_architectures(module: str, modules_dir: str = MODULES_DIR) -> list[str]:
    """Architectures this collection has a binary of `module` for."""
    prefix = f"__{module}_"
    try:
        names = os.listdir(modules_dir)
    except OSError:
        return []
    return sorted(n[len(prefix):] for n in names if n.startswith(prefix))


def binary_name(module: str, arch: str) -> str:
    """FQCN of the binary of `module` for `arch`, as the module loader resolves it."""
    return f"{COLLECTION}.__{module}_{arch}"


class NativeModuleAction(ActionBase):
    """Runs the binary of MODULE for the target's architecture (see the module docstring)."""

    MODULE = ""  # the module's name in the collection, e.g. "docker_deploy"

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no effect since ansible-core 2.5
        task_vars = task_vars if task_vars is not None else {}
        # ansible-core <= 2.20 skips async_wrapper for connections with native async; 2.21 dropped that flag
        wrap_async = bool(self._task.async_val) and not getattr(self._connection, "has_native_async", False)
        fqcn = f"{COLLECTION}.{self.MODULE}"
        try:
            raw, source, failure = self._target_architecture(task_vars)
            if failure:
                return merge_hash(result, failure)
            arch = normalise_arch(raw)
            shipped = shipped_architectures(self.MODULE)
            host = self._host_name(task_vars)
            if arch not in shipped:
                return merge_hash(result, {
                    "failed": True,
                    "changed": False,
                    "msg": (
                        f"{fqcn} has no binary for the architecture of {host}: {raw!r} ({source}). "
                        f"This {COLLECTION} build ships binaries for: {', '.join(shipped) or 'none (built without modules/build.sh?)'}."
                    ),
                    "target_architecture": arch,
                    "shipped_architectures": shipped,
                })
            display.vvv(f"{fqcn}: {host} is {arch} ({source}): running {binary_name(self.MODULE, arch)}", host=host)
            module_result = self._execute_module(
                module_name=binary_name(self.MODULE, arch),
                module_args=self._task.args,
                task_vars=task_vars,
                wrap_async=wrap_async,
            )
            self._explain_exec_failure(module_result, fqcn, host, raw, arch, source, shipped)
            return merge_hash(result, module_result)
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)

    def _host_vars(self, task_vars: dict) -> dict:
        """The variables of the host the module runs on (the delegate's for delegate_to)."""
        if self._task.delegate_to:
            return (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
        return task_vars

    def _host_name(self, task_vars: dict) -> str:
        return str(self._task.delegate_to or task_vars.get("inventory_hostname") or "the target")

    def _target_architecture(self, task_vars: dict) -> tuple[str, str, dict | None]:
        """(raw architecture, where it came from, failure result or None)."""
        host_vars = self._host_vars(task_vars)
        facts = host_vars.get("ansible_facts") or {}
        for value, source in (
            (facts.get("architecture"), "the architecture fact"),
            (host_vars.get("ansible_architecture"), "the ansible_architecture variable"),
        ):
            if value:
                if isinstance(value, str) and "{{" in value:
                    value = self._templar.template(value)
                return str(value), source, None
        res = self._low_level_execute_command("uname -m", sudoable=False)
        out = (res.get("stdout") or "").strip()
        if res.get("rc") != 0 or not out:
            return "", "", {
                "failed": True,
                "changed": False,
                "msg": (
                    f"{COLLECTION}.{self.MODULE} cannot tell the architecture of {self._host_name(task_vars)}: "
                    f"`uname -m` failed (rc {res.get('rc')}): {(res.get('stderr') or out).strip()}. "
                    "Gather facts or set ansible_architecture for the host."
                ),
            }
        return out.splitlines()[-1].strip(), "uname -m on the target", None

    @staticmethod
    def _explain_exec_failure(result: dict, fqcn: str, host: str, raw: str, arch: str, source: str, shipped: list[str]) -> None:
        """Replace the bare "Exec format error" / "Permission denied" of a binary the target could
        not execute with what went wrong (the raw output stays in module_stderr)."""
        if not result.get("failed"):
            return
        output = f"{result.get('module_stderr', '')}\n{result.get('module_stdout', '')}"
        if "Exec format error" in output or "cannot execute binary file" in output:
            result["msg"] = (
                f"{fqcn}: {host} cannot execute the {arch} binary (Exec format error). "
                f"Its architecture was taken from {source} ({raw!r}); if that is wrong, correct it or gather facts. "
                f"This {COLLECTION} build ships binaries for: {', '.join(shipped)}."
            )
        elif result.get("rc") == 126 and "Permission denied" in output:
            result["msg"] = (
                f"{fqcn}: {host} cannot execute the module binary (Permission denied): binary modules need an "
                "executable remote_tmp (a filesystem not mounted noexec); set remote_tmp / ansible_remote_tmp."
            )
        else:
            return
        # ansible-core >= 2.19 heads the error display with the captured exception ("Module result
        # deserialization failed"); without it, the display is built from msg.
        result.pop("exception", None)
        result["target_architecture"] = arch
        result["shipped_architectures"] = shipped
