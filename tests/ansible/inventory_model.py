"""Ansible's reading of a script inventory, re-done in a few lines so tests can predict exactly
what `ansible-inventory` must print for a given `palin-inventory --list` document.

Mirrors ansible-core 2.19: `plugins/inventory/script.py` (parsing), `inventory/data.py`
(`reconcile_inventory`: parentless groups go under `all`, hosts in no group go to `ungrouped`),
`inventory/group.py` (depth = longest path from `all`, `ansible_group_priority`),
`inventory/helpers.py` (`sort_groups` by depth, priority, name; vars merged in that order, host
vars last, top-level replace) and `cli/inventory.py` (`json_inventory`, `_graph_group`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Vars that ansible-inventory never prints (subset of ansible.constants.INTERNAL_STATIC_VARS that
# an inventory could plausibly set); imported lazily so this module has no hard dependency.
try:
    from ansible.constants import INTERNAL_STATIC_VARS  # type: ignore
except ImportError:  # pragma: no cover
    INTERNAL_STATIC_VARS = frozenset()


@dataclass
class Group:
    name: str
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict = field(default_factory=dict)


@dataclass
class Inventory:
    groups: dict[str, Group]
    hostvars: dict[str, dict]
    # Hosts of _meta.hostvars that no group lists: Ansible ignores them.
    orphans: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------- parsing
    @classmethod
    def from_script_json(cls, data: dict) -> Inventory:
        """Reads a script's `--list` document the way the script plugin does; stricter where
        Ansible would silently do something surprising (a group dict without hosts/vars/children
        is a *host* to Ansible: we reject it)."""
        assert isinstance(data, dict), f"--list must print a JSON object, got {type(data).__name__}"
        groups: dict[str, Group] = {"all": Group("all"), "ungrouped": Group("ungrouped")}
        hostvars: dict[str, dict] = {}

        def group(name: str) -> Group:
            return groups.setdefault(name, Group(name))

        meta = data.get("_meta", {})
        assert isinstance(meta, dict) and isinstance(meta.get("hostvars"), dict), (
            "_meta.hostvars must be present (else Ansible calls --host once per host)"
        )
        for name, value in data.items():
            if name == "_meta":
                continue
            g = group(name)
            # A bare list is still read as hosts, but deprecated (a warning on every run).
            assert isinstance(value, dict), f"group {name!r}: must be a dict (hosts/vars/children)"
            unknown = set(value) - {"hosts", "vars", "children"}
            assert not unknown, f"group {name!r}: unknown keys {sorted(unknown)}"
            assert value, f"group {name!r}: an empty dict is read by Ansible as a HOST named {name!r}"
            for h in value.get("hosts", []) or []:
                assert isinstance(h, str), f"group {name!r}: host {h!r} is not a string"
                if h not in g.hosts:
                    g.hosts.append(h)
                hostvars.setdefault(h, {})
            assert isinstance(value.get("vars", {}), dict), f"group {name!r}: vars must be a dict"
            g.vars.update(value.get("vars", {}) or {})
            for c in value.get("children", []) or []:
                group(c)
                if c not in g.children:
                    g.children.append(c)
        orphans = []
        for h, hv in meta["hostvars"].items():
            assert isinstance(hv, dict), f"_meta.hostvars[{h!r}] must be a dict"
            # Ansible only knows hosts listed in some group: other hostvars are silently dropped.
            if h in hostvars:
                hostvars[h].update(hv)
            else:
                orphans.append(h)
        inv = cls(groups, hostvars, orphans)
        inv._reconcile()
        return inv

    def _reconcile(self) -> None:
        # `all` is the implicit group of every host; ansible-inventory never lists its hosts.
        allg = self.groups["all"]
        allg.hosts = [h for h in allg.hosts if h in self.hostvars]
        parents = self.parents()
        for name in self.groups:
            if name != "all" and not parents.get(name):
                if name not in allg.children:
                    allg.children.append(name)
        ungrouped = self.groups["ungrouped"]
        for h in self.hostvars:
            mine = {g for g in self.direct_groups(h)} - {"all", "ungrouped"}
            if mine and h in ungrouped.hosts:
                ungrouped.hosts.remove(h)
            elif not mine and h not in ungrouped.hosts:
                ungrouped.hosts.append(h)
        allg.hosts = []

    # ------------------------------------------------------------ structure
    def parents(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {name: set() for name in self.groups}
        for g in self.groups.values():
            for c in g.children:
                out[c].add(g.name)
        return out

    def direct_groups(self, host: str) -> list[str]:
        return [g.name for g in self.groups.values() if host in g.hosts]

    def ancestors(self, group: str) -> set[str]:
        parents = self.parents()
        seen: set[str] = set()
        todo = [group]
        while todo:
            for p in parents[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def host_groups(self, host: str) -> set[str]:
        """Every group a host belongs to, directly or through children (always includes all)."""
        out = {"all"}
        for g in self.direct_groups(host):
            out.add(g)
            out |= self.ancestors(g)
        return out

    def members(self, group: str) -> set[str]:
        """Hosts of a group including those reached through its children."""
        if group == "all":
            return set(self.hostvars)
        out = set(self.groups[group].hosts)
        for c in self.groups[group].children:
            out |= self.members(c)
        return out

    def depth(self, group: str, _memo: dict | None = None) -> int:
        """Longest path from `all` (Ansible's Group.depth)."""
        if group == "all":
            return 0
        memo = {} if _memo is None else _memo
        if group not in memo:
            memo[group] = max(self.depth(p, memo) + 1 for p in self.parents()[group])
        return memo[group]

    def priority(self, group: str) -> int:
        return int(self.groups[group].vars.get("ansible_group_priority", 1))

    # ----------------------------------------------------------------- vars
    def effective_vars(self, host: str) -> dict:
        """What a play sees for `host` from the inventory (hash_behaviour=replace)."""
        groups = sorted(
            self.host_groups(host) - {"all"},
            key=lambda g: (self.depth(g), self.priority(g), g),
        )
        out: dict = {}
        for g in ["all", *groups]:
            out.update({k: v for k, v in self.groups[g].vars.items() if k != "ansible_group_priority"})
        out.update(self.hostvars[host])
        return {k: v for k, v in out.items() if k not in INTERNAL_STATIC_VARS}

    # -------------------------------------------- what ansible-inventory prints
    def ansible_list(self, export: bool = False) -> dict:
        """The document `ansible-inventory --list [--export]` prints for this inventory."""
        out: dict = {}
        for g in self.groups.values():
            entry: dict = {}
            if g.name != "all" and g.hosts:
                entry["hosts"] = list(g.hosts)
            if g.children:
                entry["children"] = list(g.children)
            if export:
                gv = {k: v for k, v in g.vars.items() if k != "ansible_group_priority"}
                if self.priority(g.name) != 1:
                    gv["ansible_group_priority"] = self.priority(g.name)
                gv = {k: v for k, v in gv.items() if k not in INTERNAL_STATIC_VARS}
                if gv:
                    entry["vars"] = gv
            if entry:
                out[g.name] = entry
        hv = {}
        for h in self.hostvars:
            v = (
                {k: x for k, x in self.hostvars[h].items() if k not in INTERNAL_STATIC_VARS}
                if export
                else self.effective_vars(h)
            )
            if v:
                hv[h] = v
        out["_meta"] = {"hostvars": hv}
        return out

    def graph_edges(self) -> set[tuple[str, str]]:
        """(parent, child) pairs of `--graph`: child is `@group` or a host name."""
        edges = set()
        for g in self.groups.values():
            for c in g.children:
                edges.add((g.name, "@" + c))
            if g.name != "all":
                for h in g.hosts:
                    edges.add((g.name, h))
        return edges


def unwrap(value):
    """`{"__ansible_unsafe": s}` read as `s`, everywhere: how ansible-inventory writes the strings
    Ansible does not trust (every string palin gives it), and how palin's `--list` writes them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"} and isinstance(value["__ansible_unsafe"], str):
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def normalize_list(doc: dict) -> dict:
    """An `ansible-inventory --list` document with order-free lists (sorted), no `profile`, and
    unsafe strings unwrapped (`unwrap`)."""
    out = {}
    for name, value in doc.items():
        if name == "_meta":
            out["_meta"] = {"hostvars": unwrap(doc["_meta"].get("hostvars", {}))}
            continue
        out[name] = {k: (sorted(v) if k in ("hosts", "children") else unwrap(v)) for k, v in value.items()}
    return out


_GRAPH_LINE = re.compile(r"^((?:  \|)*)(?:--)?(@?)(.+?)(:?)$")


def parse_graph(text: str) -> set[tuple[str, str]]:
    """(parent, child) edges of an `--graph` tree; groups as `@name`, hosts bare."""
    edges: set[tuple[str, str]] = set()
    stack: list[str] = []
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and lines[0] == "@all:", f"a graph starts with '@all:', got {lines[:1]!r}"
    for line in lines:
        m = _GRAPH_LINE.match(line)
        assert m, f"not a graph line: {line!r}"
        depth = len(m.group(1)) // 3
        is_group = m.group(2) == "@"
        name = m.group(3)
        assert is_group == (m.group(4) == ":"), f"groups are '@name:', hosts bare: {line!r}"
        assert depth <= len(stack), f"graph line indented too deep: {line!r}"
        del stack[depth:]
        if depth:
            edges.add((stack[-1], ("@" + name) if is_group else name))
        if is_group:
            stack.append(name)
        else:
            stack.append("\0host")  # a host has no children
    return edges
