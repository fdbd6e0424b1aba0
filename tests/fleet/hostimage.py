"""The fleet's machine image: a Debian bookworm root filesystem made with `debootstrap` (from
Debian's packages, through the controller's own mirror configuration), imported into the Docker
Engine with the Engine API's image import. It stands in for the AMI the bundled Terraform boots:
openssh-server, python3 (fact gathering and Ansible's Python modules; palin's modules need none),
sudo and an `admin` user with passwordless sudo (Debian's cloud images' user), and no Docker
Engine: the `docker` role installs it.

What the image adds on top of debootstrap, and why (each is what a VM's boot or a cloud image
does, which a container has to be told):
* `/usr/sbin/policy-rc.d` answers 101: no package starts a service from its maintainer scripts.
  There is no init system to hand them to; the roles start what they need (`service`).
* `/etc/default/docker` makes the Debian init script's `ulimit -n 1048576` / `ulimit -u unlimited`
  keep the current limits: raising RLIMIT_NOFILE past the sandbox's hard limit (20000) needs
  CAP_SYS_RESOURCE, which this sandbox refuses to grant (`docker run --cap-add SYS_RESOURCE` fails
  with "unable to apply caps"), and the script runs under `set -e`. systemd's docker.service on an
  EC2 host sets the same limits itself.
* `/usr/local/sbin/fleet-init` (PID 1 under dumb-init, which reaps what the init script leaves
  behind): remounts the cgroup v1 hierarchies read-write (Docker mounts them read-only in a
  container that is not --privileged; a nested Engine must create cgroups), starts the services
  enabled for runlevel 2 (so a restarted host comes back with its Docker Engine, as a rebooted
  EC2 host does), then runs sshd.
* No SSH host keys: every host gets its own, made by the test, so known_hosts is exact.

The image is cached by content: the root filesystem tarball in `.tmp/fleet/` (set
PALIN_FLEET_CACHE to move it) and the Engine image `palin-fleet-host:<key>` are reused while the
package list and this recipe are unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ["openssh-server", "python3", "sudo", "dumb-init", "procps"]
USER = "admin"

POLICY_RC_D = "#!/bin/sh\n# fleet image: no service starts from a package's maintainer scripts\nexit 101\n"
DEFAULT_DOCKER = """\
# fleet image (tests/fleet/hostimage.py): this sandbox cannot raise RLIMIT_NOFILE past its hard
# limit (no CAP_SYS_RESOURCE), and /etc/init.d/docker runs `ulimit -n 1048576` under `set -e`.
# Keep the limits the host already has; everything else about the service is Debian's.
ulimit() {
    case "$1" in
        -n|-u|-p) return 0 ;;
    esac
    command ulimit "$@"
}
"""
FLEET_INIT = """\
#!/bin/sh
# PID 1's work on a fleet host (under dumb-init): what a VM's boot does before sshd starts.
# Docker mounts the cgroup v1 hierarchies read-only in a container that is not --privileged;
# the host's own Docker Engine needs to create cgroups in them.
for d in /sys/fs/cgroup/*/; do
    mount -o remount,bind,rw "$d" 2>/dev/null || true
done
# A sysvinit boot: start the services enabled for runlevel 2 (docker, once the role installed
# it), as systemd would start docker.service when an EC2 host reboots. sshd runs below instead.
for s in /etc/rc2.d/S*; do
    case "$s" in *ssh) continue ;; esac
    [ -x "$s" ] && "$s" start >/dev/null 2>&1 || true
done
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e
"""
SSHD_CONFIG = """\
# fleet image: keys only, no root logins (like Debian's cloud images)
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
"""
SOURCES = (f"deb {MIRROR} {SUITE} main\n"
           f"deb {MIRROR} {SUITE}-updates main\n"
           f"deb http://deb.debian.org/debian-security {SUITE}-security main\n")


def _recipe_key() -> str:
    h = hashlib.sha256()
    for part in (SUITE, MIRROR, *PACKAGES, USER, POLICY_RC_D, DEFAULT_DOCKER, FLEET_INIT,
                 SSHD_CONFIG, SOURCES):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:12]


def cache_dir() -> Path:
    d = Path(os.environ.get("PALIN_FLEET_CACHE") or REPO / ".tmp" / "fleet")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _build_rootfs(tarball: Path) -> None:
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap not found: run bash scripts/setup.sh")
    work = Path(tempfile.mkdtemp(prefix="palin-rootfs-", dir=cache_dir()))
    root = work / "rootfs"
    try:
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE,
             str(root), MIRROR],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"debootstrap failed (rc {proc.returncode}): {proc.stdout[-2000:]}"
                               f"{proc.stderr[-2000:]}")
        subprocess.run(["chroot", str(root), "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", USER],
                       check=True, capture_output=True, timeout=60)
        files = {
            "usr/sbin/policy-rc.d": (POLICY_RC_D, 0o755),
            "etc/default/docker": (DEFAULT_DOCKER, 0o644),
            "usr/local/sbin/fleet-init": (FLEET_INIT, 0o755),
            "etc/ssh/sshd_config.d/fleet.conf": (SSHD_CONFIG, 0o644),
            f"etc/sudoers.d/{USER}": (f"{USER} ALL=(ALL) NOPASSWD:ALL\n", 0o440),
            "etc/apt/sources.list": (SOURCES, 0o644),
        }
        for rel, (text, mode) in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(mode)
        for key in (root / "etc" / "ssh").glob("ssh_host_*"):
            key.unlink()  # each host gets its own (see module doc)
        ssh_dir = root / "home" / USER / ".ssh"
        ssh_dir.mkdir(mode=0o700)
        subprocess.run(["chroot", str(root), "chown", f"{USER}:{USER}", f"/home/{USER}/.ssh"],
                       check=True, capture_output=True, timeout=60)
        shutil.rmtree(root / "var" / "cache" / "apt" / "archives", ignore_errors=True)
        (root / "var" / "cache" / "apt" / "archives" / "partial").mkdir(parents=True)
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."],
                       check=True, capture_output=True, timeout=600)
        partial.rename(tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_image(api) -> str:
    """The Engine image of a fleet host (built and imported unless already there); its name."""
    key = _recipe_key()
    name = f"palin-fleet-host:{key}"
    status, _ = api.call("GET", f"/images/{urllib.parse.quote(name, safe='')}/json")
    if status == 200:
        return name
    tarball = cache_dir() / f"rootfs-{SUITE}-{key}.tar"
    if not tarball.is_file():
        _build_rootfs(tarball)
    changes = [
        'ENTRYPOINT ["/usr/bin/dumb-init", "--", "/usr/local/sbin/fleet-init"]',
        "ENV LANG=C.UTF-8",
    ]
    query = urllib.parse.urlencode(
        [("fromSrc", "-"), ("repo", "palin-fleet-host"), ("tag", key)]
        + [("changes", c) for c in changes]
    )
    with tarball.open("rb") as body:
        status, out = api.request("POST", f"/images/create?{query}", body=body,
                                  headers={"Content-Type": "application/x-tar",
                                           "Content-Length": str(tarball.stat().st_size)},
                                  timeout=600)
    if status != 200 or b'"error"' in out:
        raise RuntimeError(f"image import failed ({status}): {out[-1000:]!r}")
    status, info = api.call("GET", f"/images/{urllib.parse.quote(name, safe='')}/json")
    if status != 200:
        raise RuntimeError(f"image {name} missing after import: {json.dumps(info)[:500]}")
    return name


if __name__ == "__main__":
    # scripts/test.sh builds the image in the background while Rust compiles:
    #   python tests/fleet/hostimage.py
    import sys

    sys.path.insert(0, str(REPO / "tests" / "support"))
    from docker_engine import DockerAPI

    try:
        print(ensure_image(DockerAPI()))
    except (OSError, RuntimeError) as e:
        print(f"fleet host image: {e}", file=sys.stderr)
        sys.exit(1)
