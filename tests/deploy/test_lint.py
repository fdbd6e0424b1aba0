"""ansible-lint, production profile, over playbooks/ and roles/, with the repository's
.ansible-lint (no skip list, no warn list, offline: nothing is fetched from Galaxy)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("PALIN_VENV", REPO / ".venv"))


def test_config_has_no_skips():
    cfg = yaml.safe_load((REPO / ".ansible-lint").read_text())
    assert cfg["profile"] == "production"
    assert cfg["offline"] is True
    for key in ("skip_list", "warn_list", "enable_list_skip"):
        assert not cfg.get(key), f".ansible-lint must not have a {key}"


def test_playbooks_and_roles_pass_the_production_profile(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    # The playbooks and roles name palin.aws.* roles and modules. ansible-lint --offline does not
    # install the collection it runs in (ansible-compat links it only when online), so the checkout
    # is linked into a collections path, as a developer does (playbooks/README.md).
    link = tmp_path / "ansible_collections" / "palin" / "aws"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO, target_is_directory=True)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path)
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [str(VENV / "bin" / "ansible-lint"), "--offline", "--profile", "production",
         "-f", "pep8", "playbooks", "roles"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert proc.stdout.strip() == "", out[-6000:]  # pep8 format: one line per violation
    assert "0 failure(s), 0 warning(s)" in out and "production' was required, and it passed" in out, out[-3000:]
    # every role directory was linted
    for role in ("docker", "palindrome_app", "postgres_bootstrap"):
        assert (REPO / "roles" / role / "meta" / "argument_specs.yml").is_file()
