"""The release artefacts of scripts/dist.sh (env PALIN_DIST, default <repo>/dist) checked as a
user, an index and AWX would meet them: the `palin-inventory` wheels (tags, contents, a static
binary that runs from an installed venv, from an empty container and, for aarch64, under qemu),
the `palin.aws` collection tarball (what it holds and what it leaves out), SHA256SUMS, the
versions that must agree, and the Execution Environment of examples/awx (the context
`ansible-builder create` generates, and the requirement it resolves to the built wheel)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tarfile
import tomllib
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "support"))
from docker_engine import engine_or_fail  # noqa: E402 (the path above first)

HOST_ARCH = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine(), platform.machine())
ELF_MACHINE = {"x86_64": 62, "aarch64": 183}
MODULES = ("docker_deploy", "http_ready")
QUICKSTART = REPO / "examples" / "quickstart" / "terraform.tfstate"
EE_FILE = REPO / "examples" / "awx" / "execution-environment.yml"
# What the collection tarball may hold at its top level: the collection's content and the two
# files ansible-galaxy writes. Anything else is a build_ignore entry someone forgot.
TOP_LEVEL = {
    "MANIFEST.json", "FILES.json", "README.md", "SECURITY.md", "CHANGELOG.rst", "LICENSE", "COPYING", "requirements.txt",
    "plugins", "roles", "playbooks", "meta", "docs", "changelogs", "tests",
}  # fmt: skip
# Repository directories whose files must all be in the tarball (minus build output).
SHIPPED_DIRS = ("plugins", "roles", "playbooks", "meta", "changelogs", "docs")


def dist() -> Path:
    return Path(os.environ.get("PALIN_DIST") or REPO / "dist").resolve()


def venv_bin() -> Path:
    return Path(os.environ.get("PALIN_VENV") or REPO / ".venv") / "bin"


def version() -> str:
    """The crate's version (the workspace's): what every artefact must carry."""
    crate = tomllib.loads((REPO / "inventory-plugin" / "Cargo.toml").read_text())["package"]["version"]
    if isinstance(crate, dict):
        assert crate == {"workspace": True}, crate
        crate = tomllib.loads((REPO / "Cargo.toml").read_text())["workspace"]["package"]["version"]
    return crate


def wheels() -> dict[str, Path]:
    """arch -> the wheel dist.sh built for it; the host's must be there."""
    found = {}
    for arch in ELF_MACHINE:
        matches = sorted(dist().glob(f"palin_inventory-*_{arch}.whl"))
        assert len(matches) <= 1, f"several {arch} wheels in {dist()}: {[m.name for m in matches]}"
        if matches:
            found[arch] = matches[0]
    if HOST_ARCH not in found:
        pytest.fail(f"no palin_inventory wheel for {HOST_ARCH} in {dist()}: run `bash scripts/dist.sh --arch {HOST_ARCH}`")
    return found


def tarball() -> Path:
    found = sorted(dist().glob("palin-aws-*.tar.gz"))
    if len(found) != 1:
        pytest.fail(f"expected one palin-aws-*.tar.gz in {dist()}, found {[f.name for f in found]}: run scripts/dist.sh")
    return found[0]


def elf_facts(data: bytes) -> dict:
    """e_machine, whether there is a program interpreter (PT_INTERP) and the DT_NEEDED count."""
    assert data[:4] == b"\x7fELF" and data[4] == 2, "not a 64-bit ELF file"
    e = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(e + "H", data, 0x12)
    (phoff,) = struct.unpack_from(e + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(e + "HH", data, 0x36)
    interp, needed = False, 0
    for i in range(phnum):
        p_type, _flags, p_offset, _vaddr, _paddr, p_filesz = struct.unpack_from(e + "IIQQQQ", data, phoff + i * phentsize)
        interp |= p_type == 3  # PT_INTERP
        if p_type == 2:  # PT_DYNAMIC: count DT_NEEDED (tag 1) entries
            for off in range(p_offset, p_offset + p_filesz, 16):
                (tag,) = struct.unpack_from(e + "q", data, off)
                needed += tag == 1
                if tag == 0:
                    break
    return {"machine": machine, "interp": interp, "needed": needed}


def assert_static(data: bytes, arch: str, what: str) -> None:
    facts = elf_facts(data)
    assert facts["machine"] == ELF_MACHINE[arch], f"{what}: ELF machine {facts['machine']}, expected {arch}"
    assert not facts["interp"], f"{what} has a program interpreter: it is dynamically linked"
    assert facts["needed"] == 0, f"{what} needs {facts['needed']} shared libraries"


def script_member(v: str) -> str:
    return f"palin_inventory-{v}.data/scripts/palin-inventory"


def run(argv: list, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600, check=False, **kw)


def test_versions_agree():
    """One version for the crate (so the wheel), galaxy.yml, the collection's Python requirement and
    the tarball the Execution Environment installs."""
    v = version()
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert galaxy["version"] == v, f"galaxy.yml version {galaxy['version']} != crate {v}"
    reqs = [ln for ln in (REPO / "requirements.txt").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert reqs == [f"palin-inventory=={v}"], reqs
    ee_meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert ee_meta["dependencies"]["python"] == "requirements.txt"
    ee = yaml.safe_load(EE_FILE.read_text())
    files = [c["name"] for c in ee["dependencies"]["galaxy"]["collections"] if c.get("type") == "file"]
    assert files == [f"collections/palin-aws-{v}.tar.gz"], files
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "palin-inventory"
    assert pyproject["project"]["dynamic"] == ["version"], "the wheel's version must come from the crate"
    assert pyproject["tool"]["maturin"]["bindings"] == "bin"


def test_sha256sums_verify_every_artefact():
    sums = {}
    for line in (dist() / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    artefacts = {p.name for p in dist().iterdir() if p.name != "SHA256SUMS" and not p.name.startswith(".")}
    assert set(sums) == artefacts, f"SHA256SUMS lists {sorted(sums)}, dist/ holds {sorted(artefacts)}"
    for name, digest in sums.items():
        assert hashlib.sha256((dist() / name).read_bytes()).hexdigest() == digest, f"{name}: checksum mismatch"
    # and the tool users run agrees
    proc = run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=dist())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheels_hold_one_static_binary_tagged_for_glibc_and_musl():
    v = version()
    for arch, wheel in wheels().items():
        tags = f"py3-none-manylinux2014_{arch}.manylinux_2_17_{arch}.musllinux_1_2_{arch}"
        assert wheel.name == f"palin_inventory-{v}-{tags}.whl"
        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
            info = f"palin_inventory-{v}.dist-info"
            assert script_member(v) in names
            extra = {n for n in names if n != script_member(v) and not n.startswith(info + "/")}
            assert not extra, f"{wheel.name} holds more than the binary: {sorted(extra)}"
            assert not [n for n in names if n.endswith(".py")], "a bin wheel has no Python code"
            meta = z.read(f"{info}/METADATA").decode()
            assert "Name: palin-inventory\n" in meta and f"Version: {v}\n" in meta
            assert "Requires-Dist" not in meta, "the wheel must install with nothing else"
            wheel_file = z.read(f"{info}/WHEEL").decode().splitlines()
            assert sorted(ln for ln in wheel_file if ln.startswith("Tag: ")) == sorted(
                f"Tag: py3-none-{p}" for p in tags.split("-")[2].split(".")
            )
            assert "Root-Is-Purelib: false" in wheel_file
            # RECORD: every file with the hash of its bytes
            for row in z.read(f"{info}/RECORD").decode().splitlines():
                name, digest, _size = row.rsplit(",", 2)
                if name.endswith("RECORD"):
                    continue
                algo, _, b64 = digest.partition("=")
                assert algo == "sha256"
                got = base64.urlsafe_b64encode(hashlib.sha256(z.read(name)).digest()).rstrip(b"=").decode()
                assert got == b64, f"{wheel.name}: RECORD hash of {name} does not match"
            binary = z.read(script_member(v))
            mode = z.getinfo(script_member(v)).external_attr >> 16
        assert mode & 0o111, "the script must be executable once installed"
        assert_static(binary, arch, f"{wheel.name}:{script_member(v)}")
        standalone = dist() / f"palin-inventory-{v}-{arch}-linux-musl"
        assert standalone.read_bytes() == binary, f"{standalone.name} is not the wheel's binary"
        if shutil.which("file"):
            desc = run(["file", "-b", standalone]).stdout
            assert "statically linked" in desc or "static-pie linked" in desc, desc


@pytest.mark.parametrize(
    "host, platforms",
    [
        # what pip accepts on the oldest glibc the tag names (CentOS 7: glibc 2.17) and on
        # musl 1.2 (Alpine >= 3.13), per PEP 600 and PEP 656
        ("glibc 2.17", ["manylinux_2_17", "manylinux2014", "manylinux_2_12", "manylinux2010", "manylinux_2_5", "manylinux1"]),
        ("musl 1.2", ["musllinux_1_2", "musllinux_1_1", "musllinux_1_0"]),
    ],
)
def test_pip_accepts_the_wheels_on_glibc_and_musl(host, platforms, tmp_path):
    pip = [venv_bin() / "python", "-m", "pip", "install", "--disable-pip-version-check", "--dry-run", "--no-deps",
           "--ignore-installed", "--no-index", "--only-binary=:all:", "--target", tmp_path / "t"]  # fmt: skip
    for arch, wheel in wheels().items():
        flags = [x for p in platforms for x in ("--platform", f"{p}_{arch}")]
        proc = run([*pip, *flags, wheel])
        assert proc.returncode == 0, f"pip refuses {wheel.name} on {host} {arch}: {proc.stderr[-1500:]}"
        other = "aarch64" if arch == "x86_64" else "x86_64"
        wrong = run([*pip, *[x for p in platforms for x in ("--platform", f"{p}_{other}")], wheel])
        assert wrong.returncode != 0, f"pip would install {wheel.name} on {other}"


def test_wheel_binary_runs_from_the_installed_venv(installed, tmp_path):
    """`pip install palin-inventory` put the binary on the venv's PATH (the fixture installed the
    host's wheel with this machine's real pip: the tags fit glibc here)."""
    v = version()
    exe = installed.bin / "palin-inventory"
    assert exe.is_file() and os.access(exe, os.X_OK)
    with zipfile.ZipFile(wheels()[HOST_ARCH]) as z:
        assert exe.read_bytes() == z.read(script_member(v)), "the venv's palin-inventory is not the wheel's"
    env = installed.env(tmp_path)
    assert shutil.which("palin-inventory", path=env["PATH"]) == str(exe)
    proc = installed.run(["palin-inventory", "--version"], tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"palin-inventory {v}\n", "")
    shutil.copy(QUICKSTART, tmp_path / "terraform.tfstate")
    proc = installed.run(["palin-inventory", "--list"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout)["_meta"]["hostvars"], "no hosts from the quickstart state"


def _run_in_scratch_image(api, binary: bytes, state: bytes, argv: list[str]) -> tuple[int, str, str]:
    """Runs `argv` in a container of an image holding only /palin-inventory and /terraform.tfstate
    (no libc, no loader, no shell): exit code, stdout, stderr."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, mode in (("palin-inventory", binary, 0o755), ("terraform.tfstate", state, 0o644)):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), mode
            tar.addfile(ti, io.BytesIO(data))
    tag = f"palin-packaging-scratch:{uuid.uuid4().hex[:12]}"
    repo_name, tag_name = tag.split(":")
    status, raw = api.request("POST", f"/images/create?fromSrc=-&repo={repo_name}&tag={tag_name}", body=buf.getvalue(),
                              headers={"Content-Type": "application/x-tar"}, timeout=120)  # fmt: skip
    assert status == 200, raw[-500:]
    cid = None
    try:
        cid = api.json("POST", "/containers/create", {"Image": tag, "Cmd": argv, "WorkingDir": "/", "Env": ["HOME=/"]})["Id"]
        api.json("POST", f"/containers/{cid}/start")
        code = api.json("POST", f"/containers/{cid}/wait")["StatusCode"]
        _, logs = api.request("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
        out = {1: b"", 2: b""}
        while len(logs) >= 8:  # multiplexed stream: [stream, 0, 0, 0, size (BE u32)] payload
            stream, size = logs[0], struct.unpack(">I", logs[4:8])[0]
            out[stream] = out.get(stream, b"") + logs[8 : 8 + size]
            logs = logs[8 + size :]
        return code, out[1].decode(), out[2].decode()
    finally:
        if cid:
            api.call("DELETE", f"/containers/{cid}?force=1")
        api.call("DELETE", f"/images/{tag}?force=1")


def test_binary_runs_with_nothing_else_installed():
    """The host's binary in an image holding nothing but itself and a state file."""
    api = engine_or_fail()
    binary = (dist() / f"palin-inventory-{version()}-{HOST_ARCH}-linux-musl").read_bytes()
    state = QUICKSTART.read_bytes()
    code, out, err = _run_in_scratch_image(api, binary, state, ["/palin-inventory", "--version"])
    assert (code, out, err) == (0, f"palin-inventory {version()}\n", "")
    code, out, err = _run_in_scratch_image(api, binary, state, ["/palin-inventory", "--list"])
    assert (code, err) == (0, "")
    assert json.loads(out)["_meta"]["hostvars"]


def test_aarch64_binary_runs_under_qemu(tmp_path):
    if "aarch64" not in wheels():
        pytest.skip("no aarch64 build in PALIN_DIST (scripts/dist.sh --arch x86_64)")
    runner = [] if HOST_ARCH == "aarch64" else [shutil.which("qemu-aarch64") or pytest.fail("qemu-aarch64 not found (Debian qemu-user)")]
    binary = dist() / f"palin-inventory-{version()}-aarch64-linux-musl"
    proc = run([*runner, binary, "--version"])
    assert (proc.returncode, proc.stdout) == (0, f"palin-inventory {version()}\n"), proc.stderr
    shutil.copy(QUICKSTART, tmp_path / "terraform.tfstate")
    proc = run([*runner, binary, "--list"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout)["_meta"]["hostvars"]


def test_collection_tarball_holds_the_collection_and_nothing_else():
    v = version()
    assert tarball().name == f"palin-aws-{v}.tar.gz"
    with tarfile.open(tarball()) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        files = {n for n, m in members.items() if m.isfile()}
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        runtime = yaml.safe_load(tar.extractfile("meta/runtime.yml"))
        binaries = {n: tar.extractfile(n).read() for n in files if n.startswith("plugins/modules/__")}
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("palin", "aws", v)
    assert runtime.get("requires_ansible"), "meta/runtime.yml needs requires_ansible"

    top = {n.split("/", 1)[0] for n in members}
    assert top <= TOP_LEVEL, f"unexpected top-level entries (add them to galaxy.yml build_ignore): {sorted(top - TOP_LEVEL)}"
    assert {"plugins", "roles", "playbooks", "meta", "README.md", "requirements.txt"} <= top
    tests = {n for n in files if n.startswith("tests/")}
    assert all(n.startswith("tests/sanity/") for n in tests), sorted(tests)
    bad = sorted(
        n for n in members
        if n.endswith((".rs", ".pyc", ".gitignore")) or "/__pycache__" in f"/{n}" or n.split("/")[-1] in ("Cargo.toml", "Cargo.lock")
        or n.startswith(("target/", "playbooks/library"))
    )  # fmt: skip
    assert not bad, f"build output or sources in the tarball: {bad[:20]}"
    # Everything the repository keeps in the collection's directories ships (no git needed).
    missing = sorted(
        str(p.relative_to(REPO))
        for d in SHIPPED_DIRS
        for p in (REPO / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name != ".gitignore"
        and not p.relative_to(REPO).as_posix().startswith("playbooks/library")
    )  # fmt: skip
    missing = [m for m in missing if m not in files]
    assert not missing, f"in the repository but not in the tarball: {missing[:20]}"
    for play in ("site", "deploy", "db"):
        assert f"playbooks/{play}.yml" in files
    # The native modules: the host's arch always, aarch64 too in a full build; each a static ELF of its arch.
    archs = {HOST_ARCH} | ({"aarch64", "x86_64"} if "aarch64" in wheels() else set())
    for module in MODULES:
        for arch in archs:
            assert f"plugins/modules/__{module}_{arch}" in binaries, f"__{module}_{arch} missing from the tarball"
    for name, data in binaries.items():
        arch = "x86_64" if name.endswith("_x86_64") else name.rsplit("_", 1)[1]
        assert arch in ELF_MACHINE, name
        assert_static(data, arch, name)
        assert members[name].mode & 0o111, f"{name} is not executable"


def test_installed_collection_verifies_offline(installed, tmp_path):
    """ansible-galaxy's own check of the installed files against MANIFEST.json/FILES.json."""
    proc = installed.run(["ansible-galaxy", "collection", "verify", "--offline", "palin.aws"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "palin.aws" in proc.stdout


def test_execution_environment_context(tmp_path):
    """`ansible-builder create` on examples/awx/execution-environment.yml against this dist/: the
    context holds the tarball and the wheels, the Containerfile installs them, and the Python
    requirement the collection declares resolves to the built wheel with no index."""
    v = version()
    # The EE file names ../../dist/...: lay out a copy of it beside this PALIN_DIST.
    (tmp_path / "examples" / "awx").mkdir(parents=True)
    ee = tmp_path / "examples" / "awx" / "execution-environment.yml"
    shutil.copy(EE_FILE, ee)
    (tmp_path / "dist").symlink_to(dist())
    ctx = tmp_path / "context"
    proc = run([venv_bin() / "ansible-builder", "create", "-f", ee, "-c", ctx, "--output-filename", "Containerfile"], cwd=ee.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No matches" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    build = ctx / "_build"

    copied = build / "collections" / f"palin-aws-{v}.tar.gz"
    assert copied.read_bytes() == tarball().read_bytes()
    assert {w.name for w in (build / "wheels").iterdir()} == {w.name for w in wheels().values()}
    reqs = yaml.safe_load((build / "requirements.yml").read_text())
    local = [c for c in reqs["collections"] if c.get("type") == "file"]
    assert [c["name"] for c in local] == [f"collections/palin-aws-{v}.tar.gz"]

    steps = (ctx / "Containerfile").read_text().splitlines()

    def at(line: str, after: int = 0) -> int:
        return steps.index(line, after)

    galaxy = at("FROM base AS galaxy")
    assert at("COPY _build /build", galaxy) < next(i for i, s in enumerate(steps) if "ansible-galaxy collection install" in s and i > galaxy)
    builder = at("FROM base AS builder")
    assert at("COPY _build/wheels/ /output/palin-wheels/", builder) < at("ARG PIP_FIND_LINKS=/output/palin-wheels", builder) \
        < at("RUN /output/scripts/assemble", builder)  # fmt: skip
    final = at("FROM base AS final")
    assert at("ARG PIP_FIND_LINKS=/output/palin-wheels", final) < at("RUN /output/scripts/install-from-bindep && rm -rf /output/wheels", final) \
        < at("RUN palin-inventory --version", final) < at("RUN rm -rf /output", final)  # fmt: skip

    # What the image build does, here: the galaxy stage installs the tarball from /build (the
    # context's _build) by the requirements file's relative path...
    work = tmp_path / "image"
    (work / "collections").mkdir(parents=True)
    local_reqs = build / "local-requirements.yml"
    local_reqs.write_text(yaml.safe_dump({"collections": local}))
    env = {k: val for k, val in os.environ.items() if not k.startswith(("ANSIBLE_", "PALIN_"))}
    env["ANSIBLE_HOME"] = str(work / "ansible-home")
    proc = run([venv_bin() / "ansible-galaxy", "collection", "install", "--no-deps", "-r", local_reqs.name,
                "-p", work / "collections"], cwd=build, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ... the builder stage's introspection finds the collection's Python requirement ...
    pip_reqs = work / "requirements.txt"
    proc = run([venv_bin() / "python", build / "scripts" / "introspect.py", "introspect", work / "collections",
                f"--write-pip={pip_reqs}"])  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in pip_reqs.read_text().splitlines() if ln.strip()]
    assert lines == [f"palin-inventory=={v}  # from collection palin.aws"], lines
    # ... and pip resolves it from the copied wheels alone (PIP_FIND_LINKS, no index).
    venv = work / "venv"
    assert run([sys.executable, "-m", "venv", venv]).returncode == 0
    proc = run([venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--no-index", "-r", pip_reqs],
               env={**env, "PIP_FIND_LINKS": str(build / "wheels")})  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run([venv / "bin" / "palin-inventory", "--version"])
    assert (proc.returncode, proc.stdout) == (0, f"palin-inventory {v}\n")
