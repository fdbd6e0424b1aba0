# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the palin.aws inventory plugins share: find the palin-inventory binary, run it on the
inventory file, check its ``--list`` document, hand it to Ansible's inventory, and keep it in
Ansible's inventory cache.

The binary does all the work (sources, host names, groups, compose/keyed_groups, secrets); this
layer only moves its document into ``InventoryData``, the way Ansible's ``script`` plugin would
place it, with as little work per value as possible:

* host and group variables go to the ``Host``/``Group`` objects themselves (a host's in one dict
  update where ``Host.set_variable`` would do just that), not through the inventory's
  ``set_variable``, which walks every value to tag each string with its origin (4x the time and
  2.4x the memory at 5,000 hosts), and never into the values. Strings parsed from JSON carry no
  trust tag, so in ansible-core >= 2.19 Ansible never renders them as templates: a tag value
  such as ``{{ lookup('pipe', 'id') }}`` reaches playbooks as that literal text. There the
  binary prints plain strings (``--plain``). Before 2.19 a plain string would be rendered, so
  the binary prints every string as ``{"__ansible_unsafe": ...}`` (its default, the document the
  ``script`` plugin reads too) and Ansible's own ``AnsibleJSONDecoder`` makes each one unsafe
  text (``wrap_var``), as amazon.aws's plugins make theirs;
* the document is checked as a whole before anything is added, so a bad document never leaves a
  partial inventory behind;
* the cache holds the binary's output text as one string, parsed the same way on a hit as on a
  live run (no cache plugin's JSON decoding touches the variables). A cache that cannot be read,
  or holds anything but a document, is a miss; a cache that cannot be written is a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable
from ansible.release import __version__ as ANSIBLE_VERSION

try:
    from ansible.utils.vars import validate_variable_name
except ImportError:  # ansible-core < 2.17
    from ansible.utils.vars import isidentifier

    def validate_variable_name(name):
        if not isidentifier(name):
            raise AnsibleError("invalid variable name %r" % name)

# ansible-core >= 2.19 treats every string it did not tag as trusted as data: the plugins can
# take plain strings. Before that, only strings wrapped as unsafe are data.
PLAIN_STRINGS = tuple(int(p) for p in ANSIBLE_VERSION.split(".")[:2]) >= (2, 19)

BINARY = "palin-inventory"
INSTALL_HINT = "pip install palin-inventory"
EXECUTABLE_ENV = "PALIN_INVENTORY_EXECUTABLE"

# Environment variables that change what palin-inventory prints for the same file; they are
# part of the cache key, so a cached inventory never answers for another selection. Credentials
# are not: they change who asks, not what is asked for.
_KEYED_ENV_PREFIXES = ("PALIN_", "TF_", "AWS_ENDPOINT_URL")
_KEYED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")


def one_line(text):
    """Collapse whitespace so that a message stays on one line."""
    return " ".join(to_native(text).split())


def candidate_dirs():
    """Where pip puts the wheel's ``palin-inventory`` script for the Python that runs Ansible,
    which need not be on PATH (a virtualenv used without activating it)."""
    dirs = [os.path.dirname(sys.executable)]
    for scheme in (None, sysconfig.get_preferred_scheme("user")):
        try:
            dirs.append(sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts"))
        except KeyError:
            continue
    seen = []
    for d in dirs:
        if d and d not in seen:
            seen.append(d)
    return seen


def _is_executable_file(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_executable(configured, config_path):
    """The binary to run: ``configured`` (a bare name is looked up on PATH; a relative path is
    relative to the inventory file's directory), else ``palin-inventory`` on PATH, else next to
    the running Python. Raises AnsibleParserError saying where it looked and how to install it."""
    if configured:
        name = os.path.expanduser(os.path.expandvars(configured))
        if os.sep not in name:
            found = shutil.which(name)
            if found:
                return found
            raise AnsibleParserError(
                "executable %r was not found on PATH (%s); give its full path or install palin-inventory with `%s`"
                % (configured, os.environ.get("PATH", ""), INSTALL_HINT)
            )
        if not os.path.isabs(name):
            name = os.path.join(os.path.dirname(os.path.abspath(config_path)), name)
        if _is_executable_file(name):
            return name
        raise AnsibleParserError(
            "executable %s is not an executable file; point `executable` (env %s) at palin-inventory, or install it with `%s`"
            % (name, EXECUTABLE_ENV, INSTALL_HINT)
        )
    found = shutil.which(BINARY)
    if found:
        return found
    dirs = candidate_dirs()
    for d in dirs:
        path = os.path.join(d, BINARY)
        if _is_executable_file(path):
            return path
    raise AnsibleParserError(
        "%s was not found: looked on PATH (%s) and in %s. Install it into the Python environment that runs Ansible"
        " (`%s`, i.e. `%s -m pip install palin-inventory`), or set the plugin's `executable` option (env %s) to its path"
        % (BINARY, os.environ.get("PATH", ""), ", ".join(dirs), INSTALL_HINT, sys.executable, EXECUTABLE_ENV)
    )


def run_list(executable, config_path, refresh=False):
    """Run ``palin-inventory --list --config <file>`` and return ``(stdout bytes, stderr text)``;
    a failure raises AnsibleParserError with the binary's one-line reason. The environment, the
    working directory and standard input are Ansible's, as for the ``script`` plugin, so relative
    paths and every run-time variable (``AWS_*``, ``PALIN_REVEAL``, ``TF_WORKSPACE``, ...) mean
    what they mean to the binary run by hand. ``refresh`` (``--flush-cache``,
    ``meta: refresh_inventory``) also bypasses palin's own AWS cache (``--refresh-cache``)."""
    argv = [executable, "--list", "--config", os.path.abspath(config_path)]
    if PLAIN_STRINGS:
        argv.append("--plain")
    if refresh:
        argv.append("--refresh-cache")
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except OSError as e:
        raise AnsibleParserError("cannot run %s: %s" % (executable, one_line(e.strerror or e))) from e
    stderr = proc.stderr.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        if stderr:
            reason = one_line(stderr)
        elif proc.returncode < 0:
            reason = "%s was killed by signal %d" % (executable, -proc.returncode)
        else:
            reason = "%s exited with status %d and printed no reason" % (executable, proc.returncode)
        raise AnsibleParserError(reason)
    return proc.stdout, stderr


def _type_name(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def parse_document(data, executable=BINARY):
    """The ``--list`` document in ``data`` (bytes or text), checked as a whole: a JSON object
    whose groups are objects with ``hosts``/``children`` (lists of names) and ``vars`` (an
    object), and whose ``_meta.hostvars`` maps host names to objects. Anything else raises
    AnsibleParserError, before any of it reaches the inventory."""

    def bad(what):
        return AnsibleParserError("%s printed %s" % (executable, what))

    try:
        if PLAIN_STRINGS:
            doc = json.loads(data)
        else:
            from ansible.parsing.ajson import AnsibleJSONDecoder

            doc = json.loads(data, cls=AnsibleJSONDecoder)
    except ValueError as e:
        raise bad("something that is not a JSON document (%s)" % one_line(e)) from e
    if not isinstance(doc, dict):
        raise bad("%s instead of a JSON object" % _type_name(doc))
    for name, group in doc.items():
        if name == "_meta":
            if not isinstance(group, dict):
                raise bad("_meta as %s instead of an object" % _type_name(group))
            hostvars = group.get("hostvars", {})
            if not isinstance(hostvars, dict):
                raise bad("_meta.hostvars as %s instead of an object" % _type_name(hostvars))
            for host, variables in hostvars.items():
                if not isinstance(variables, dict):
                    raise bad("the variables of host %r as %s instead of an object" % (host, _type_name(variables)))
            continue
        if not isinstance(group, dict):
            raise bad("group %r as %s instead of an object" % (name, _type_name(group)))
        for key in ("hosts", "children"):
            names = group.get(key, [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise bad("%s of group %r that are not a list of names" % (key, name))
        if not isinstance(group.get("vars", {}), dict):
            raise bad("vars of group %r as %s instead of an object" % (name, _type_name(group["vars"])))
    return doc


class _HostVarSetter:
    """``Host.set_variable`` for every variable of a host, as one dict update when that is
    exactly what those calls would do: the host's variables are a plain dict, none of the names
    is set yet (nothing to merge) and every name is one ``validate_variable_name`` accepts
    (nothing to warn about; each distinct name is checked once). Otherwise, one call each."""

    def __init__(self):
        self._valid = set()
        self._invalid = set()

    def _all_valid(self, names):
        for name in names - self._valid - self._invalid:
            try:
                validate_variable_name(name)
            except AnsibleError:
                self._invalid.add(name)
            else:
                self._valid.add(name)
        return self._valid.issuperset(names)

    def __call__(self, host_obj, variables):
        current = getattr(host_obj, "vars", None)
        if isinstance(current, dict) and current.keys().isdisjoint(variables) and self._all_valid(variables.keys()):
            current.update(variables)
            return
        for key, value in variables.items():
            host_obj.set_variable(key, value)


def populate(inventory, doc):
    """Add a checked document to ``inventory`` as the ``script`` plugin places it: groups in
    document order with their hosts, variables and children, then the variables of every host
    that is in a group (``_meta.hostvars``). Variables go to the host and group objects
    directly, never walking into the values (see the module documentation)."""
    hostvars = doc.get("_meta", {}).get("hostvars", {})
    listed = {}
    for name, group in doc.items():
        if name == "_meta":
            continue
        group_name = inventory.add_group(name)
        for host in group.get("hosts", ()):
            inventory.add_host(host, group=group_name)
            listed[host] = None
        variables = group.get("vars")
        if variables:
            group_obj = inventory.groups[group_name]
            for key, value in variables.items():
                group_obj.set_variable(key, value)
        for child in group.get("children", ()):
            inventory.add_child(group_name, inventory.add_group(child))
    hosts = inventory.hosts
    set_host_vars = _HostVarSetter()
    for host in listed:
        variables = hostvars.get(host)
        if variables:
            set_host_vars(hosts[host], variables)


class PalinInventoryBase(BaseInventoryPlugin, Cacheable):
    """An inventory plugin that runs palin-inventory on its inventory file. Subclasses set
    ``NAME`` and ``FILE_SUFFIXES``."""

    NAME = ""
    FILE_SUFFIXES = ()

    def __init__(self):
        super().__init__()
        self._cache_usable = False

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(self.FILE_SUFFIXES)

    def _read_options(self, path):
        """Ansible's ``_read_config_data``, except that an inventory cache that cannot be set up
        (a directory that cannot be created or written) is a warning and no cache, not a failed
        inventory. The other keys are palin-inventory's, which reads the file itself and names
        any it does not know."""
        try:
            config = self.loader.load_from_file(path, cache="none")
        except Exception as e:
            raise AnsibleParserError("%s: %s" % (path, one_line(e))) from e
        if not isinstance(config, Mapping) or not config:
            raise AnsibleParserError("%s: expected a mapping of options with `plugin: %s`" % (path, self.NAME))
        valid_names = getattr(self, "_redirected_names", None) or [self.NAME]
        if config.get("plugin") not in valid_names:
            raise AnsibleParserError("Incorrect plugin name in file: %s" % config.get("plugin", "none found"))
        # Ansible reads a boolean it does not recognise (`cache: maybe`) as false: refuse it.
        if "cache" in config:
            try:
                boolean(config["cache"], strict=True)
            except TypeError as e:
                raise AnsibleParserError("%s: cache: %s" % (path, one_line(e))) from e
        self.set_options(direct=config, var_options=self._vars)
        self._cache_usable = False
        if self.get_option("cache"):
            try:
                self.load_cache_plugin()
                self._cache_usable = True
            except Exception as e:  # the cache is an optimisation: never fail the inventory for it
                self.display.warning(
                    "%s: the inventory cache (%s) cannot be used, reading live: %s"
                    % (self.NAME, self.get_option("cache_plugin"), one_line(e))
                )

    def _cache_key_for(self, path):
        """Ansible's key for this source, plus a digest of the file's text and of the
        environment variables that change what the binary prints (``_KEYED_ENV*``)."""
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                digest.update(f.read())
        except OSError:
            pass
        for name in sorted(os.environ):
            if name.startswith(_KEYED_ENV_PREFIXES) or name in _KEYED_ENV:
                digest.update(("\0%s=%s" % (name, os.environ[name])).encode("utf-8", "surrogateescape"))
        digest.update(b"\0plain" if PLAIN_STRINGS else b"\0unsafe")
        return "%s_%s" % (self.get_cache_key(path), digest.hexdigest()[:12])

    def _cached_document(self, key, executable):
        try:
            text = self._cache.get(key)
        except Exception as e:  # the cache plugin reported its own problem (e.g. a corrupt file)
            self.display.vvv("%s: inventory cache entry %s unreadable, reading live: %s" % (self.NAME, key, one_line(e)))
            return None
        if text is None:
            return None
        if isinstance(text, str):
            try:
                return parse_document(text, executable)
            except AnsibleParserError:
                pass
        self.display.warning("%s: the inventory cache entry %s is not an inventory document; reading live" % (self.NAME, key))
        return None

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path)
        self._read_options(path)
        executable = find_executable(self.get_option("executable"), path)
        key = self._cache_key_for(path) if self._cache_usable else None
        doc = self._cached_document(key, executable) if key and cache else None
        if doc is None:
            data, stderr = run_list(executable, path, refresh=not cache)
            if stderr:
                self.display.warning("%s wrote to stderr: %s" % (executable, one_line(stderr)))
            doc = parse_document(data, executable)
            if key:
                self._cache[key] = data.decode("utf-8")
        populate(self.inventory, doc)

    def update_cache_if_changed(self):
        """Write the cache; a failure is a warning, the inventory already stands."""
        if not self._cache_usable:
            return
        try:
            super().update_cache_if_changed()
        except Exception as e:
            self.display.warning("%s: could not write the inventory cache: %s" % (self.NAME, one_line(e)))
