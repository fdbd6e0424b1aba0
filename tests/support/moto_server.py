"""A moto_server that a test can start, seed and stop (a plain module, importable from any test
directory, unlike tests/aws/conftest.py's fixtures): the repository's virtualenv (env PALIN_VENV,
default .venv) runs moto_server on a free loopback port and tests/aws/seed.py seeds it.

    with MotoServer(workdir) as moto:
        estate = moto.seed("--bulk-rds", "0")     # seed.py's JSON summary
        ... AWS_ENDPOINT_URL=moto.url ...
        moto.stop()                               # e.g. to prove that a cache answers

Stopping twice is harmless; leaving the ``with`` block stops it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "aws" / "seed.py"

# What moto needs to answer like AWS without touching a real account.
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def repo_venv() -> Path:
    return Path(os.environ.get("PALIN_VENV") or REPO / ".venv").resolve()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


class MotoServer:
    """One moto_server process, its URL, and the environment to reach it."""

    def __init__(self, workdir: Path, venv: Path | None = None):
        self.workdir = Path(workdir)
        self.venv = venv or repo_venv()
        self.url = ""
        self.log = self.workdir / "moto_server.log"
        self._proc: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        """A clean environment (no inherited AWS_*, PALIN_*, ANSIBLE_*, TF_*) for moto and seed.py."""
        home = self.workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PALIN_", "ANSIBLE_", "TF_"))}
        env.update(MOTO_CREDENTIALS, HOME=str(home))
        env["AWS_CONFIG_FILE"] = str(home / "no-aws-config")
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "no-aws-credentials")
        return env

    def start(self) -> MotoServer:
        moto = self.venv / "bin" / "moto_server"
        if not moto.exists():
            raise RuntimeError(f"{moto} not found: run `bash scripts/setup.sh` first")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # the free port can be taken between the probe and the bind
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            with self.log.open("ab") as out:
                self._proc = subprocess.Popen(
                    [str(moto), "-H", "127.0.0.1", "-p", str(port)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self.env(),
                    cwd=self.workdir,
                )
            deadline = time.monotonic() + 30
            while self._proc.poll() is None and time.monotonic() < deadline and not answers(self.url):
                time.sleep(0.1)
            if self._proc.poll() is None and answers(self.url):
                return self
            self.stop()
        raise RuntimeError(f"moto_server did not start:\n{self.log.read_text(errors='replace')}")

    def seed(self, *args: str) -> dict:
        """Run tests/aws/seed.py against this server (``args`` are seed.py's options) and return
        its JSON summary."""
        proc = subprocess.run(
            [str(self.venv / "bin" / "python"), str(SEED), "--endpoint", self.url, *args],
            env=self.env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{proc.stdout}\n{proc.stderr}")
        return json.loads(proc.stdout)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
