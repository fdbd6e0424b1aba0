"""palin-inventory's own AWS source (palin.yml `source: aws`) against the seeded moto: two
regions, three AZs, RDS instances (more than a page) and an Aurora cluster, ElastiCache; the same
endpoint variables as the Terraform source; the cache; and bad input (wrong credentials, an
unknown region, an endpoint answering 500 or throttling, a malformed aws_ec2.yml): non-zero exit,
one stderr line, empty stdout."""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Moto, Runner, clean_env
from moto_server import free_port

PALIN_YML = """\
source: aws
aws:
  regions: [eu-west-1, us-east-1]
{extra}
"""


def palin(runner: Runner, palin_bin: Path, config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """palin-inventory (`--list --plain` unless `args` say otherwise) on `config`."""
    return runner.run([palin_bin, *(args or ("--list", "--plain"))], env={"PALIN_CONFIG": config, **(env or {})}, check=False)


def ok(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return json.loads(proc.stdout)


def fails(proc: subprocess.CompletedProcess, code: int = 1) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert proc.stdout == "", "never a partial inventory"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("palin-inventory: "), proc.stderr
    return lines[0]


def write(tmp_path: Path, text: str, name: str = "palin.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_two_regions_three_azs_and_endpoints(runner: Runner, palin_bin: Path, moto: Moto, tmp_path: Path):
    doc = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra=""))))
    hostvars = doc["_meta"]["hostvars"]
    regions = {v["placement"]["region"] for v in hostvars.values()}
    zones = {v["placement"]["availability_zone"] for v in hostvars.values() if v["placement"]["region"] == "eu-west-1"}
    assert regions == {"eu-west-1", "us-east-1"}
    assert zones == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    # Terminated instances are skipped by default; stopped ones stay.
    assert "old-web" not in hostvars and "worker-1" in hostvars
    # Colliding names keep both instances.
    assert sum(1 for h in hostvars if h.startswith("worker-2_i-")) == 2
    # palin's own groups and ansible_host on every host.
    assert set(doc["tag_Role_web"]["hosts"]) >= {"web-1", "web-2", "web-3", "web-4"}
    assert all("ansible_host" in v for v in hostvars.values())
    assert hostvars["bastion-1"]["ansible_host"] == hostvars["bastion-1"]["public_ip_address"]
    # The bastion (tagged Role=bastion) is the ProxyJump of private hosts.
    assert hostvars["web-1"]["ansible_ssh_common_args"] == f"-o ProxyJump={hostvars['bastion-1']['public_ip_address']}"
    # RDS: the instance, the Aurora cluster (not its member instances), every page of instances.
    rds = doc["all"]["vars"]["palin_rds"]
    assert rds["app-db"]["kind"] == "instance" and rds["app-db"]["engine"] == "postgres"
    assert rds["app-aurora"]["kind"] == "cluster" and rds["app-aurora"]["reader_host"]
    assert "app-aurora-1" not in rds
    assert sum(1 for k in rds if k.startswith("bulk-db-")) > 100
    # ElastiCache: the replication group by its primary endpoint.
    redis = doc["all"]["vars"]["palin_redis"]
    assert redis["app-redis"]["kind"] == "replication_group" and redis["app-redis"]["port"] == 6379


def test_endpoint_variables_have_the_terraform_sources_shape(runner: Runner, palin_bin: Path, tmp_path: Path):
    """A playbook cannot tell the sources apart: the same keys for the same kinds of endpoint."""
    aws = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra=""))))["all"]["vars"]
    stack = Path(__file__).resolve().parents[2] / "inventory-plugin/tests/fixtures/stack.tfstate"
    tf_proc = runner.run([palin_bin, "--list", "--plain"], env={"PALIN_TFSTATE": stack})
    tf = json.loads(tf_proc.stdout)["all"]["vars"]
    common = {"host", "port", "endpoint", "kind", "engine", "region", "arn", "username"}
    assert common <= set(aws["palin_rds"]["app-db"]) and common <= set(tf["palin_rds"]["palin-app"])
    assert {"reader_host"} <= set(aws["palin_rds"]["app-aurora"]) & set(tf["palin_rds"]["palin-reporting"])
    redis_keys = {"host", "port", "tls", "kind", "cluster_mode", "engine", "region", "arn"}
    assert redis_keys <= set(aws["palin_redis"]["app-redis"]) and redis_keys <= set(tf["palin_redis"]["palin-cache"])


def test_filters_and_exclude_filters(runner: Runner, palin_bin: Path, tmp_path: Path):
    extra = "  filters: {tag:Env: prod}\n  exclude_filters: [{tag:Role: scratch}]\n  services: [ec2]"
    doc = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra=extra))))
    envs = {v["ec2_tags"].get("Env") for v in doc["_meta"]["hostvars"].values()}
    assert envs == {"prod"}
    assert "scratch-1" not in doc["_meta"]["hostvars"]
    assert doc["all"].get("vars", {}).get("palin_rds") == {}


def test_cache_hit_refresh_and_stale(runner: Runner, palin_bin: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    config = write(tmp_path, PALIN_YML.format(extra=f"  cache: {{ttl: 3600, dir: {cache}}}"))
    live = ok(palin(runner, palin_bin, config))
    assert len(list(cache.glob("*.json"))) == 1
    dead = f"http://127.0.0.1:{free_port()}"
    # A hit never calls AWS: the same inventory with the endpoint gone.
    assert ok(palin(runner, palin_bin, config, "--list", "--plain", env={"AWS_ENDPOINT_URL": dead})) == live
    # The cache keeps the plain document; a hit marks its strings unsafe as a live run does.
    wrapped_hit = ok(palin(runner, palin_bin, config, "--list", env={"AWS_ENDPOINT_URL": dead}))
    assert wrapped_hit == ok(palin(runner, palin_bin, config, "--list", "--refresh-cache"))
    assert wrapped_hit["_meta"]["hostvars"] and all(
        v["instance_id"] == {"__ansible_unsafe": v_plain["instance_id"]}
        for v, v_plain in zip(wrapped_hit["_meta"]["hostvars"].values(), live["_meta"]["hostvars"].values())
    )
    # --refresh-cache goes live, and fails loudly when AWS cannot be reached.
    msg = fails(palin(runner, palin_bin, config, "--list", "--refresh-cache", env={"AWS_ENDPOINT_URL": dead}))
    assert "DescribeRegions" in msg or "Describe" in msg, msg
    # stale_on_error serves the expired cache, marked in all.vars, stderr still empty.
    stale_config = write(tmp_path, PALIN_YML.format(extra=f"  cache: {{ttl: 0, dir: {cache}, stale_on_error: true}}"), "stale.yml")
    stale = ok(palin(runner, palin_bin, stale_config, "--list", "--plain", env={"AWS_ENDPOINT_URL": dead}))
    marker = stale["all"]["vars"].pop("palin_inventory_stale")
    assert marker["fetched_at"].endswith("Z") and "failed" in marker["error"]
    assert stale == live
    # Without stale_on_error an expired cache is not used.
    expired = write(tmp_path, PALIN_YML.format(extra=f"  cache: {{ttl: 0, dir: {cache}}}"), "expired.yml")
    fails(palin(runner, palin_bin, expired, "--list", env={"AWS_ENDPOINT_URL": dead}))


def test_unknown_region_is_named(runner: Runner, palin_bin: Path, tmp_path: Path):
    config = write(tmp_path, "source: aws\naws:\n  regions: [eu-west-1, xx-nowhere-9]\n")
    msg = fails(palin(runner, palin_bin, config, "--list"))
    assert 'unknown region "xx-nowhere-9"' in msg, msg
    bad_name = write(tmp_path, "source: aws\naws:\n  regions: [europe]\n", "bad.yml")
    assert "not an AWS region name" in fails(palin(runner, palin_bin, bad_name, "--list"), 2)


def test_wrong_credentials(venv_bin: Path, palin_bin: Path, tmp_path: Path):
    """moto with IAM authentication on: unknown keys are refused, and palin says so in one line."""
    home = tmp_path / "home"
    env = clean_env(home, venv_bin)
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    port = free_port()
    server = subprocess.Popen([str(venv_bin / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time
        import urllib.request
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        config = write(tmp_path, "source: aws\naws:\n  regions: [eu-west-1]\n")
        run_env = clean_env(home, venv_bin, f"http://127.0.0.1:{port}")
        run_env.update(PALIN_CONFIG=str(config), AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG1", AWS_SECRET_ACCESS_KEY="nope")
        proc = subprocess.run([str(palin_bin), "--list"], env=run_env, capture_output=True, text=True, timeout=120)
        msg = fails(proc)
        assert "AuthFailure" in msg or "InvalidClientTokenId" in msg or "not valid" in msg, msg
    finally:
        server.terminate()
        server.wait(timeout=10)


class _XmlServer(BaseHTTPRequestHandler):
    """A loopback stand-in for EC2: subclasses answer POSTs with `reply`; no request log."""

    def reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


def run_against(handler: type[_XmlServer], venv_bin: Path, palin_bin: Path, tmp_path: Path, extra: str = "") -> subprocess.CompletedProcess:
    """`palin-inventory --list` (EC2 only, eu-west-1, plus `extra` lines of the `aws:` section)
    with a `handler` server on loopback as its endpoint; the server is stopped when the run ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = write(tmp_path, f"source: aws\naws:\n  regions: [eu-west-1]\n  services: [ec2]\n{extra}")
        env = clean_env(tmp_path / "home", venv_bin, f"http://127.0.0.1:{server.server_address[1]}")
        env["PALIN_CONFIG"] = str(config)
        return subprocess.run([str(palin_bin), "--list", "--plain"], env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()


class _Faulty(_XmlServer):
    """Answers every AWS call with a 500 or with EC2's throttling error."""

    mode = "500"
    hits = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "500":
            body, status = b"<html>internal error</html>", 500
        else:
            body = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                    b"</Message></Error></Errors><RequestID>r</RequestID></Response>")
            status = 503
        self.reply(status, body)


@pytest.mark.parametrize("mode,expected", [("500", "500"), ("throttle", "RequestLimitExceeded")])
def test_server_errors_and_throttling_are_retried_then_reported(venv_bin: Path, palin_bin: Path, tmp_path: Path, mode: str, expected: str):
    handler = type("Handler", (_Faulty,), {"mode": mode, "hits": 0})
    msg = fails(run_against(handler, venv_bin, palin_bin, tmp_path))
    assert expected in msg, msg
    assert handler.hits >= 2, "the SDK's standard retries ran"


class _Paged(_XmlServer):
    """EC2 answering DescribeInstances in two pages of one instance each, joined by a NextToken;
    records each request's form parameters."""

    requests: list[dict[str, list[str]]] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        type(self).requests.append(form)
        second = form.get("NextToken") == ["page-2"]
        n = 2 if second else 1
        token = "" if second else "<nextToken>page-2</nextToken>"
        body = (
            '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
            f"<reservationSet><item><reservationId>r-{n}</reservationId><ownerId>123456789012</ownerId>"
            f"<instancesSet><item><instanceId>i-000000000000000{n}</instanceId>"
            f"<privateIpAddress>10.0.0.{n}</privateIpAddress><instanceState><code>16</code><name>running</name>"
            "</instanceState><placement><availabilityZone>eu-west-1a</availabilityZone></placement></item>"
            f"</instancesSet></item></reservationSet>{token}</DescribeInstancesResponse>"
        ).encode()
        self.reply(200, body)


@pytest.mark.parametrize("extra,max_results", [("", "500"), ("  page_size: 1000\n", "1000"), ("  page_size: 5\n", "5")])
def test_instances_are_asked_for_in_bounded_pages(venv_bin: Path, palin_bin: Path, tmp_path: Path, extra: str, max_results: str):
    """DescribeInstances asks for pages of `page_size` instances (default 500; without MaxResults
    EC2 may answer with every instance at once) and follows NextToken to the last page."""
    handler = type("Handler", (_Paged,), {"requests": []})
    inventory = ok(run_against(handler, venv_bin, palin_bin, tmp_path, extra))
    ids = sorted(v["instance_id"] for v in inventory["_meta"]["hostvars"].values())
    assert ids == ["i-0000000000000001", "i-0000000000000002"]
    assert [(r["Action"], r.get("MaxResults"), r.get("NextToken")) for r in handler.requests] == [
        (["DescribeInstances"], [max_results], None),
        (["DescribeInstances"], [max_results], ["page-2"]),
    ]


def test_small_pages_give_the_same_inventory(runner: Runner, palin_bin: Path, tmp_path: Path):
    """The seeded moto, read in pages of 5 (moto pages by reservation; the seeded hosts have one
    each, so eu-west-1 takes at least two pages): the same inventory as the default."""
    default = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra="  services: [ec2]"))))
    small = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra="  services: [ec2]\n  page_size: 5"), "small.yml")))
    in_eu = [h for h, v in small["_meta"]["hostvars"].items() if v["placement"]["region"] == "eu-west-1"]
    assert len(in_eu) > 5, "more than one page of 5 in eu-west-1"
    assert small == default


@pytest.mark.parametrize("size", ["0", "4", "1001", "many"])
def test_page_size_out_of_range_is_refused(runner: Runner, palin_bin: Path, tmp_path: Path, size: str):
    msg = fails(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra=f"  page_size: {size}"))), 2)
    assert "page_size" in msg, msg


@pytest.mark.parametrize("text,code,expected", [
    ("plugin: amazon.aws.aws_ec2\nregions: [eu-west-1\n", 2, "palin-inventory: config"),
    ("plugin: amazon.aws.aws_ec2\nuse_ssm_inventory: true\n", 2, 'option "use_ssm_inventory" of amazon.aws.aws_ec2 is not supported'),
    ("plugin: amazon.aws.aws_ec2\nhostnames: [{name: tag:Name, prefix: x}]\n", 2, "hostnames[0]: not supported"),
    ("plugin: amazon.aws.aws_rds\n", 2, "plugin: not supported"),
    ("plugin: amazon.aws.aws_ec2\nkeyed_groups: [{key: x, bogus: 1}]\n", 2, "keyed_groups"),
])
def test_malformed_aws_ec2_yml(runner: Runner, palin_bin: Path, tmp_path: Path, text: str, code: int, expected: str):
    msg = fails(palin(runner, palin_bin, write(tmp_path, text, "aws_ec2.yml"), "--list"), code)
    assert expected in msg, msg


def test_assume_roles_read_every_account_and_merge(runner: Runner, palin_bin: Path, tmp_path: Path):
    """Each role is assumed through STS and read concurrently; moto puts both roles in the same
    account, so the merged inventory must equal the ambient one: no host or endpoint doubled."""
    roles = "  assume_roles: [arn:aws:iam::123456789012:role/inventory-a, arn:aws:iam::123456789012:role/inventory-b]"
    ambient = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra=""), "ambient.yml")))
    merged = ok(palin(runner, palin_bin, write(tmp_path, PALIN_YML.format(extra=roles), "roles.yml")))
    assert merged == ambient
