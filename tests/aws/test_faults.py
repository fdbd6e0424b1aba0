"""palin-inventory against a misbehaving AWS: the real binary, the real SDK, a seeded moto_server
behind tests/support/aws_faults.py (a loopback proxy that throttles, fails, stalls, resets, cuts
answers short or answers garbage, per service, region, call and assumed role).

The decided behaviour (docs/configuration.md, "The AWS API source" and "Exit status and errors"):

* transient faults (throttling twice, one 500 / 503, one reset, one stall shorter than the
  operation timeout, one truncated 200) are retried by the SDK's standard retry mode: exit 0,
  stderr empty, the same inventory as without faults;
* persistent faults: exit 1, nothing on stdout, one stderr line naming the region or the assumed
  role and the cause, even when every other region or role answers (never a partial inventory);
* with `aws.cache` and `stale_on_error: true` a failed refresh serves the expired cache, marked in
  `all.vars.palin_inventory_stale`, groups intact; a truncated or corrupt cache file is a miss;
* a Terraform state read from S3: NoSuchKey, AccessDenied, a stall and a truncated body fail the
  run with one line naming the object.

Every run is bounded (the subprocess is killed after RUN_BOUND seconds), and its wall time is
recorded: `aws_fault_times.json` in pytest's base temp dir, `fault_times.json` in each test's tmp
dir, and the file named by env PALIN_FAULT_REPORT if set. No assertion is made on time.

The estate (its own moto_server, seeded here): EC2 instances in eu-west-1 (3), us-east-1 (2) and
ap-southeast-2 (1); an RDS instance and an ElastiCache cluster in eu-west-1; a v4 state in S3.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from aws_faults import (  # tests/support, on sys.path through tests/aws/conftest.py
    ACCESS_DENIED,
    AUTH_FAILURE,
    EXPIRED_TOKEN,
    FOREIGN_XML,
    GARBAGE,
    GARBAGE_BODY,
    HTTP_500,
    HTTP_503,
    NO_SUCH_KEY,
    RESET,
    STALL,
    THROTTLE,
    TRUNCATE,
    FaultProxy,
    Rule,
)
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from conftest import REPO, clean_env
from moto_server import MotoServer

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")
# The region that fails while the others answer (not the base region).
FAILING = "us-east-1"
# moto's default account: both roles see the same estate.
ACCOUNT = "123456789012"
ROLE_A = f"arn:aws:iam::{ACCOUNT}:role/inventory-a"
ROLE_B = f"arn:aws:iam::{ACCOUNT}:role/inventory-b"
BUCKET = "palin-tfstate"
KEY = "app/terraform.tfstate"
STATE = REPO / "inventory-plugin" / "tests" / "fixtures" / "stack.tfstate"
AMI = "ami-0palin000000000a"

# Seconds: a run still going by then is killed and counted as "no answer".
RUN_BOUND = 50
# The timeouts under test, short so that a stall costs seconds (PALIN_AWS_*: both the AWS
# source and S3 states).
TIMEOUTS = {
    "PALIN_AWS_CONNECT_TIMEOUT": "1",
    "PALIN_AWS_ATTEMPT_TIMEOUT": "1",
    "PALIN_AWS_OPERATION_TIMEOUT": "4",
}
# Persistent faults: 3 attempts, whose backoff (at most 1 + 2 s) fits the 4 s operation timeout,
# so that the fault itself and not the operation timeout ends the call and is reported.
PERSISTENT = {**TIMEOUTS, "PALIN_AWS_MAX_ATTEMPTS": "3"}

CONFIG = """\
source: aws
aws:
  regions: [{regions}]
  region: eu-west-1
{extra}
"""
ROLES = f"  assume_roles: [{ROLE_A}, {ROLE_B}]\n"


# -- the estate ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _no_ambient_aws():
    """boto3 in this process sees moto's dummy credentials only, never the caller's AWS setup."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    for k in saved:
        del os.environ[k]
    os.environ.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[k]
        os.environ.update(saved)


def aws(service: str, url: str, region: str = "eu-west-1", attempts: int = 1, **creds):
    """A boto3 client for `url` (moto or the proxy), no retries by default."""
    with _no_ambient_aws():
        session = boto3.session.Session(
            aws_access_key_id=creds.get("key", "testing"),
            aws_secret_access_key=creds.get("secret", "testing"),
            aws_session_token=creds.get("token"),
            region_name=region,
        )
        return session.client(
            service,
            endpoint_url=url,
            config=Config(
                retries={"total_max_attempts": attempts, "mode": "standard"},
                connect_timeout=2,
                read_timeout=creds.get("read_timeout", 10),
                s3={"addressing_style": "path"},
            ),
        )


def _seed(url: str) -> dict:
    hosts = {
        "eu-west-1": ["web-1", "web-2", "bastion-1"],
        "us-east-1": ["web-3", "worker-1"],
        "ap-southeast-2": ["web-4"],
    }
    for region, names in hosts.items():
        ec2 = aws("ec2", url, region)
        for name in names:
            role = name.split("-")[0]
            ec2.run_instances(
                ImageId=AMI,
                MinCount=1,
                MaxCount=1,
                InstanceType="t3.micro",
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [
                            {"Key": "Name", "Value": name},
                            {"Key": "Role", "Value": role},
                            {"Key": "Env", "Value": "prod"},
                        ],
                    }
                ],
            )
    aws("rds", url).create_db_instance(
        DBInstanceIdentifier="app-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        Tags=[{"Key": "Env", "Value": "prod"}],
    )
    aws("elasticache", url).create_cache_cluster(
        CacheClusterId="sessions",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheNodes=1,
    )
    s3 = aws("s3", url)
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=STATE.read_bytes())
    # Warm every backend palin-inventory touches, so that moto's first-use set-up never counts
    # against a 1 s attempt timeout.
    for region in REGIONS:
        aws("ec2", url, region).describe_instances()
        aws("rds", url, region).describe_db_instances()
        aws("rds", url, region).describe_db_clusters()
        aws("elasticache", url, region).describe_replication_groups()
        aws("elasticache", url, region).describe_cache_clusters()
    aws("sts", url).get_caller_identity()
    aws("ec2", url).describe_regions()
    return hosts


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory):
    server = MotoServer(tmp_path_factory.mktemp("faults-moto"))
    server.start()
    try:
        _seed(server.url)
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def proxy(moto_url: str):
    p = FaultProxy(moto_url).start()
    try:
        yield p
    finally:
        p.close()
    assert p.errors == [], "the fault proxy itself failed:\n" + "\n".join(p.errors)


# -- the figures -------------------------------------------------------------------------------------


class Report:
    """Each run's case, outcome and wall time, written after every run (so that a run stopped by
    -x keeps the figures so far)."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: list[dict] = []
        self.lock = threading.Lock()

    def add(self, tmp_path: Path, entry: dict) -> None:
        with self.lock:
            self.entries.append(entry)
            mine = tmp_path / "fault_times.json"
            previous = json.loads(mine.read_text()) if mine.exists() else []
            mine.write_text(json.dumps([*previous, entry], indent=1) + "\n")
            text = json.dumps(self.entries, indent=1) + "\n"
            targets = [self.path] + (
                [Path(os.environ["PALIN_FAULT_REPORT"])]
                if os.environ.get("PALIN_FAULT_REPORT")
                else []
            )
            for target in targets:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(target.name + ".tmp")
                tmp.write_text(text)
                os.replace(tmp, target)


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return Report(tmp_path_factory.getbasetemp() / "aws_fault_times.json")


# -- running palin-inventory -----------------------------------------------------------------------


@dataclass
class Run:
    case: str
    rc: int | None  # None: killed at RUN_BOUND
    stdout: str
    stderr: str
    seconds: float

    def outcome(self) -> str:
        if self.rc is None:
            return f"no answer within {RUN_BOUND} s (killed)"
        if self.rc == 0:
            try:
                hosts = len(json.loads(self.stdout)["_meta"]["hostvars"])
            except (ValueError, KeyError, TypeError):
                return "exit 0, stdout is not an inventory"
            return f"exit 0, {hosts} hosts" + (
                ", stderr not empty" if self.stderr else ""
            )
        lines = self.stderr.splitlines()
        first = lines[0] if lines else ""
        more = f" (+{len(lines) - 1} more stderr lines)" if len(lines) > 1 else ""
        return f"exit {self.rc}: {first[:400]}{more}" + (
            " [stdout not empty]" if self.stdout else ""
        )


class Bench:
    """palin-inventory with its environment pointed at the proxy, and the figures it leaves."""

    def __init__(
        self, palin_bin: Path, venv_bin: Path, url: str, tmp_path: Path, report: Report
    ):
        self.palin_bin = palin_bin
        self.tmp_path = tmp_path
        self.report = report
        self.env = clean_env(tmp_path / "home", venv_bin, url)

    def config(
        self,
        extra: str = "",
        name: str = "palin.yml",
        regions: tuple[str, ...] = REGIONS,
    ) -> Path:
        path = self.tmp_path / name
        path.write_text(CONFIG.format(regions=", ".join(regions), extra=extra))
        return path

    def run(
        self,
        case: str,
        *,
        config: Path | None = None,
        env: dict | None = None,
        rules: tuple[Rule, ...] = (),
        args: tuple[str, ...] = ("--list", "--plain"),
    ) -> Run:
        full = dict(self.env)
        if config is not None:
            full["PALIN_CONFIG"] = str(config)
        full.update({k: str(v) for k, v in (env or {}).items()})
        start = time.monotonic()
        try:
            proc = subprocess.run(
                [str(self.palin_bin), *args],
                check=False,
                env=full,
                cwd=self.tmp_path,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=RUN_BOUND,
            )
            run = Run(
                case,
                proc.returncode,
                proc.stdout,
                proc.stderr,
                time.monotonic() - start,
            )
        except subprocess.TimeoutExpired as e:
            out = (
                e.stdout.decode(errors="replace")
                if isinstance(e.stdout, bytes)
                else e.stdout or ""
            )
            err = (
                e.stderr.decode(errors="replace")
                if isinstance(e.stderr, bytes)
                else e.stderr or ""
            )
            run = Run(case, None, out, err, time.monotonic() - start)
        entry = {
            "case": case,
            "outcome": run.outcome(),
            "seconds": round(run.seconds, 2),
        }
        if rules:
            entry["faults_injected"] = sum(r.fired for r in rules)
            entry["requests_matched"] = sum(r.matched for r in rules)
        self.report.add(self.tmp_path, entry)
        return run


@pytest.fixture
def bench(
    palin_bin: Path, venv_bin: Path, proxy: FaultProxy, tmp_path: Path, report: Report
) -> Bench:
    return Bench(palin_bin, venv_bin, proxy.url, tmp_path, report)


class Baselines:
    """The inventories without faults (straight from moto, no proxy), computed once each."""

    def __init__(
        self, palin_bin: Path, venv_bin: Path, url: str, tmp_path: Path, report: Report
    ):
        self.bench = Bench(palin_bin, venv_bin, url, tmp_path, report)
        self.docs: dict[str, dict] = {}

    def get(self, kind: str) -> dict:
        if kind not in self.docs:
            if kind == "plain":
                run = self.bench.run(
                    "baseline: aws, 3 regions",
                    config=self.bench.config(name="plain.yml"),
                    env=TIMEOUTS,
                )
            elif kind == "roles":
                run = self.bench.run(
                    "baseline: aws, 3 regions, 2 roles",
                    config=self.bench.config(ROLES, name="roles.yml"),
                    env=TIMEOUTS,
                )
            elif kind == "state-file":
                run = self.bench.run(
                    "baseline: state file", env={"PALIN_TFSTATE": STATE}
                )
            elif kind == "s3":
                run = self.bench.run(
                    "baseline: state in S3",
                    env={"PALIN_TFSTATE": f"s3://{BUCKET}/{KEY}", **TIMEOUTS},
                )
            else:
                raise KeyError(kind)
            self.docs[kind] = ok(run)
        return self.docs[kind]


@pytest.fixture(scope="module")
def baselines(
    palin_bin: Path,
    venv_bin: Path,
    moto_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    report: Report,
) -> Baselines:
    return Baselines(
        palin_bin,
        venv_bin,
        moto_url,
        tmp_path_factory.mktemp("faults-baseline"),
        report,
    )


def answered(run: Run) -> None:
    if run.rc is None:
        pytest.fail(
            f"{run.case}: palin-inventory gave no answer within {RUN_BOUND} s\nstderr: {run.stderr[-2000:]}"
        )


def ok(run: Run) -> dict:
    answered(run)
    assert run.rc == 0, f"{run.case}: exit {run.rc}\n{run.stderr}"
    assert run.stderr == "", (
        f"{run.case}: stderr must stay empty on success:\n{run.stderr}"
    )
    return json.loads(run.stdout)


def failed(run: Run, *needles: str, cause: str | None = None) -> str:
    """Exit 1, nothing on stdout, one line `palin-inventory: …` holding every needle (and
    matching the regular expression `cause`, case-insensitive, if given)."""
    answered(run)
    assert run.rc == 1, (
        f"{run.case}: exit {run.rc}, expected 1\nstderr: {run.stderr}\nstdout: {run.stdout[:500]}"
    )
    assert run.stdout == "", (
        f"{run.case}: never a partial inventory, got stdout:\n{run.stdout[:1000]}"
    )
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("palin-inventory: "), (
        f"{run.case}: one stderr line expected:\n{run.stderr}"
    )
    line = lines[0]
    for needle in needles:
        assert needle in line, f"{run.case}: {needle!r} not named in: {line}"
    if cause is not None:
        assert re.search(cause, line, re.IGNORECASE), (
            f"{run.case}: cause /{cause}/ not in: {line}"
        )
    return line


def hosts(doc: dict) -> set[str]:
    return set(doc["_meta"]["hostvars"])


def groups(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "_meta"}


# -- the proxy itself ------------------------------------------------------------------------------


def _raw(
    url: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    service: str,
    region: str,
    timeout: float = 10,
):
    """A raw request with a SigV4-shaped Authorization header (moto does not check signatures)."""
    target = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=timeout)
    try:
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20250101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
        }
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _no_ids(body: bytes) -> bytes:
    return re.sub(rb"<(requestId|RequestId|RequestID)>[^<]*</\1>", b"", body)


def test_proxy_forwards_unchanged_without_rules(moto_url: str, proxy: FaultProxy):
    """With no rule (and with a rule that does not match) the proxy's answer is moto's."""
    proxy.add(Rule(THROTTLE, service="ec2", region="ap-southeast-2"))
    form = b"Action=DescribeInstances&Version=2016-11-15"
    direct = _raw(moto_url, "POST", "/", form, service="ec2", region="us-east-1")
    via = _raw(proxy.url, "POST", "/", form, service="ec2", region="us-east-1")
    assert via[0] == direct[0] == 200
    assert _no_ids(via[2]) == _no_ids(direct[2]) and b"<instanceId>" in via[2]
    s3_direct = _raw(
        moto_url, "GET", f"/{BUCKET}/{KEY}", service="s3", region="eu-west-1"
    )
    s3_via = _raw(
        proxy.url, "GET", f"/{BUCKET}/{KEY}", service="s3", region="eu-west-1"
    )
    assert (
        s3_via[0] == s3_direct[0] == 200
        and s3_via[2] == s3_direct[2] == STATE.read_bytes()
    )
    # The SDK-level view: the same parsed answers.
    for service, call in (
        ("ec2", "describe_instances"),
        ("rds", "describe_db_instances"),
        ("elasticache", "describe_cache_clusters"),
    ):
        a = getattr(aws(service, moto_url), call)()
        b = getattr(aws(service, proxy.url), call)()
        for doc in (a, b):
            doc.pop("ResponseMetadata")
            for db in doc.get("DBInstances", []):
                db.pop("LatestRestorableTime")  # moto's "now"
        assert a == b, service
    seen = [
        (r.method, r.service, r.region, r.action, r.fault) for r in proxy.requests()
    ]
    assert seen[:2] == [
        ("POST", "ec2", "us-east-1", "DescribeInstances", None),
        ("GET", "s3", "eu-west-1", None, None),
    ]
    assert ("POST", "rds", "eu-west-1", "DescribeDBInstances", None) in seen
    assert proxy.rules[0].matched == 0


@pytest.mark.parametrize(
    "service,fault,code,status",
    [
        ("ec2", THROTTLE, "RequestLimitExceeded", 503),
        ("rds", THROTTLE, "Throttling", 400),
        ("elasticache", THROTTLE, "Throttling", 400),
        ("sts", THROTTLE, "Throttling", 400),
        ("ec2", HTTP_500, "InternalError", 500),
        ("ec2", HTTP_503, "ServiceUnavailable", 503),
        ("ec2", AUTH_FAILURE, "AuthFailure", 401),
        ("ec2", EXPIRED_TOKEN, "RequestExpired", 400),
        ("rds", EXPIRED_TOKEN, "ExpiredToken", 400),
        ("s3", NO_SUCH_KEY, "NoSuchKey", 404),
        ("s3", ACCESS_DENIED, "AccessDenied", 403),
        ("s3", THROTTLE, "SlowDown", 503),
    ],
)
def test_proxy_error_shapes_parse_as_aws_errors(
    proxy: FaultProxy, service: str, fault: str, code: str, status: int
):
    """botocore's parser for each protocol (ec2, query, rest-xml) reads the injected error."""
    proxy.add(Rule(fault, service=service))
    client = aws(service, proxy.url)
    call = {
        "ec2": lambda: client.describe_instances(),
        "rds": lambda: client.describe_db_instances(),
        "elasticache": lambda: client.describe_cache_clusters(),
        "sts": lambda: client.get_caller_identity(),
        "s3": lambda: client.get_object(Bucket=BUCKET, Key=KEY),
    }[service]
    with pytest.raises(ClientError) as err:
        call()
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if fault == NO_SUCH_KEY:
        assert err.value.response["Error"].get("Key") == KEY


def test_proxy_times_counts_and_clear(proxy: FaultProxy):
    rule = proxy.add(
        Rule(
            THROTTLE,
            service="ec2",
            action="DescribeInstances",
            region="eu-west-1",
            times=2,
        )
    )
    client = aws("ec2", proxy.url)
    for _ in range(2):
        with pytest.raises(ClientError):
            client.describe_instances()
    client.describe_instances()
    aws(
        "ec2", proxy.url, "us-east-1"
    ).describe_instances()  # another region: not matched
    assert (rule.matched, rule.fired) == (3, 2)
    assert [r.fault for r in proxy.requests(action="DescribeInstances")] == [
        THROTTLE,
        THROTTLE,
        None,
        None,
    ]
    always = proxy.add(Rule(HTTP_500, service="ec2"))
    with pytest.raises(ClientError):
        client.describe_instances()
    proxy.clear()
    client.describe_instances()
    assert (always.matched, always.fired) == (1, 1)


def test_proxy_truncate_garbage_reset_stall(moto_url: str, proxy: FaultProxy):
    form = b"Action=DescribeInstances&Version=2016-11-15"
    full = _raw(moto_url, "POST", "/", form, service="ec2", region="eu-west-1")[2]
    proxy.add(Rule(TRUNCATE, action="DescribeInstances", fraction=0.5, times=1))
    status, headers, body = _raw(
        proxy.url, "POST", "/", form, service="ec2", region="eu-west-1"
    )
    assert (
        status == 200 and int(headers["Content-Length"]) == len(body) == len(full) // 2
    )
    assert _no_ids(body)[:200] == _no_ids(full)[:200]
    s3 = aws("s3", proxy.url)
    proxy.add(Rule(TRUNCATE, service="s3", times=1))
    cut = s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    assert (
        cut == STATE.read_bytes()[: len(cut)]
        and len(cut) == len(STATE.read_bytes()) // 2
    )

    proxy.add(Rule(GARBAGE, action="DescribeInstances", times=1))
    assert (
        _raw(proxy.url, "POST", "/", form, service="ec2", region="eu-west-1")[2]
        == GARBAGE_BODY
    )

    proxy.add(Rule(RESET, action="DescribeInstances", times=1))
    with pytest.raises(ConnectionResetError):
        _raw(proxy.url, "POST", "/", form, service="ec2", region="eu-west-1")
    with pytest.raises(ConnectionClosedError):
        proxy.add(Rule(RESET, service="rds", times=1))
        aws("rds", proxy.url).describe_db_instances()

    stall = proxy.add(Rule(STALL, action="DescribeInstances", stall=20, times=1))
    with pytest.raises((TimeoutError, socket.timeout)):
        _raw(
            proxy.url, "POST", "/", form, service="ec2", region="eu-west-1", timeout=0.5
        )
    with pytest.raises(ReadTimeoutError):
        proxy.add(Rule(STALL, service="rds", stall=20, times=1))
        aws("rds", proxy.url, read_timeout=0.5).describe_db_instances()
    assert stall.fired == 1
    # Both clients gave up: the stalls end when the proxy sees them hang up, not after 20 s.
    deadline = time.monotonic() + 5
    while proxy.stalling and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.stalling == 0, "a stall outlived its client"
    # Faults used up: plain answers again.
    assert (
        _raw(proxy.url, "POST", "/", form, service="ec2", region="eu-west-1")[0] == 200
    )


def test_proxy_maps_assumed_role_keys(proxy: FaultProxy):
    sts = aws("sts", proxy.url)
    creds = {}
    for role in (ROLE_A, ROLE_B):
        c = sts.assume_role(RoleArn=role, RoleSessionName="palin-test")["Credentials"]
        creds[role] = {
            "key": c["AccessKeyId"],
            "secret": c["SecretAccessKey"],
            "token": c["SessionToken"],
        }
    assert proxy.roles == {creds[ROLE_A]["key"]: ROLE_A, creds[ROLE_B]["key"]: ROLE_B}
    rule = proxy.add(Rule(AUTH_FAILURE, role=ROLE_B))
    assert aws("ec2", proxy.url, **creds[ROLE_A]).describe_instances()["Reservations"]
    with pytest.raises(ClientError) as err:
        aws("ec2", proxy.url, **creds[ROLE_B]).describe_instances()
    assert err.value.response["Error"]["Code"] == "AuthFailure"
    with pytest.raises(ClientError):  # the AssumeRole call for the role is "for" it too
        sts.assume_role(RoleArn=ROLE_B, RoleSessionName="palin-test")
    assert (rule.matched, rule.fired) == (2, 2)
    assert [r.role for r in proxy.requests(action="DescribeInstances")] == [
        ROLE_A,
        ROLE_B,
    ]


def test_proxy_close_ends_stalls_and_threads(moto_url: str):
    p = FaultProxy(moto_url).start()
    p.add(Rule(STALL, stall=60))
    conns = []
    for _ in range(3):
        target = urllib.parse.urlsplit(p.url)
        s = socket.create_connection((target.hostname, target.port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nAction=X")
        conns.append(s)
    deadline = time.monotonic() + 5
    while len(p._conns) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    threads = list(p._conns)
    assert len(threads) == 3
    p.close()
    assert not any(t.is_alive() for t in threads)
    for s in conns:
        assert s.recv(100) == b""  # closed without an answer
        s.close()
    p.close()  # twice is harmless
    assert p.errors == []


# -- transient faults: retried, the same inventory ---------------------------------------------


TRANSIENT = [
    (
        "ec2 RequestLimitExceeded x2",
        "plain",
        {
            "fault": THROTTLE,
            "service": "ec2",
            "region": FAILING,
            "action": "DescribeInstances",
            "times": 2,
        },
    ),
    (
        "rds Throttling x2",
        "plain",
        {
            "fault": THROTTLE,
            "service": "rds",
            "region": "eu-west-1",
            "action": "DescribeDBInstances",
            "times": 2,
        },
    ),
    (
        "elasticache Throttling x2",
        "plain",
        {
            "fault": THROTTLE,
            "service": "elasticache",
            "region": "eu-west-1",
            "action": "DescribeCacheClusters",
            "times": 2,
        },
    ),
    (
        "sts AssumeRole Throttling x2",
        "roles",
        {
            "fault": THROTTLE,
            "service": "sts",
            "action": "AssumeRole",
            "role": ROLE_B,
            "times": 2,
        },
    ),
    (
        "ec2 HTTP 500 x1",
        "plain",
        {
            "fault": HTTP_500,
            "service": "ec2",
            "region": FAILING,
            "action": "DescribeInstances",
            "times": 1,
        },
    ),
    (
        "ec2 HTTP 503 x1",
        "plain",
        {
            "fault": HTTP_503,
            "service": "ec2",
            "region": FAILING,
            "action": "DescribeInstances",
            "times": 1,
        },
    ),
    (
        "rds HTTP 500 x1",
        "plain",
        {
            "fault": HTTP_500,
            "service": "rds",
            "region": "eu-west-1",
            "action": "DescribeDBClusters",
            "times": 1,
        },
    ),
    (
        "ec2 connection reset x1",
        "plain",
        {
            "fault": RESET,
            "service": "ec2",
            "region": FAILING,
            "action": "DescribeInstances",
            "times": 1,
        },
    ),
    (
        "ec2 stall 2.5 s x1",
        "plain",
        {
            "fault": STALL,
            "service": "ec2",
            "region": FAILING,
            "action": "DescribeInstances",
            "times": 1,
            "stall": 2.5,
        },
    ),
    (
        "ec2 truncated 200 x1",
        "plain",
        {
            "fault": TRUNCATE,
            "service": "ec2",
            "region": FAILING,
            "action": "DescribeInstances",
            "times": 1,
        },
    ),
]


@pytest.mark.parametrize("case,kind,rule", TRANSIENT, ids=[c[0] for c in TRANSIENT])
def test_transient_fault_is_retried(
    bench: Bench,
    proxy: FaultProxy,
    baselines: Baselines,
    case: str,
    kind: str,
    rule: dict,
):
    expected = baselines.get(kind)
    r = proxy.add(Rule(**rule))
    config = bench.config(ROLES if kind == "roles" else "")
    doc = ok(bench.run(f"transient: {case}", config=config, env=TIMEOUTS, rules=(r,)))
    assert r.fired == rule["times"], "the fault was injected"
    assert doc == expected


# -- persistent faults: exit 1, one line, nothing on stdout ------------------------------------------


PERSISTENT_CASES = [
    # case, rule, needles, cause (a regular expression on the line)
    (
        "ec2 RequestLimitExceeded",
        {"fault": THROTTLE, "service": "ec2", "action": "DescribeInstances"},
        ("RequestLimitExceeded",),
        None,
    ),
    (
        "rds Throttling",
        {"fault": THROTTLE, "service": "rds", "action": "DescribeDBInstances"},
        ("Throttling",),
        None,
    ),
    (
        "elasticache Throttling",
        {
            "fault": THROTTLE,
            "service": "elasticache",
            "action": "DescribeReplicationGroups",
        },
        ("Throttling",),
        None,
    ),
    (
        "ec2 HTTP 500",
        {"fault": HTTP_500, "service": "ec2", "action": "DescribeInstances"},
        (),
        r"\b500\b",
    ),
    (
        "ec2 HTTP 503",
        {"fault": HTTP_503, "service": "ec2", "action": "DescribeInstances"},
        (),
        r"\b503\b",
    ),
    (
        "ec2 connection reset",
        {"fault": RESET, "service": "ec2", "action": "DescribeInstances"},
        (),
        r"reset|connection|closed|io error|dispatch",
    ),
    (
        "ec2 stall",
        {"fault": STALL, "service": "ec2", "action": "DescribeInstances", "stall": 30},
        (),
        r"timed? ?out",
    ),
    (
        "ec2 truncated 200",
        {"fault": TRUNCATE, "service": "ec2", "action": "DescribeInstances"},
        (),
        r"truncat|xml|complete|end of|eof",
    ),
    (
        "ec2 non-XML 200",
        {"fault": GARBAGE, "service": "ec2", "action": "DescribeInstances"},
        (),
        r"xml|document|malformed|pars|deserializ",
    ),
    (
        "ec2 foreign XML 200",
        {"fault": FOREIGN_XML, "service": "ec2", "action": "DescribeInstances"},
        (),
        r"xml|document|malformed|pars|deserializ|root",
    ),
    (
        "ec2 AuthFailure",
        {"fault": AUTH_FAILURE, "service": "ec2", "action": "DescribeInstances"},
        ("AuthFailure",),
        None,
    ),
    (
        "ec2 RequestExpired",
        {"fault": EXPIRED_TOKEN, "service": "ec2", "action": "DescribeInstances"},
        ("RequestExpired",),
        None,
    ),
    (
        "rds ExpiredToken",
        {"fault": EXPIRED_TOKEN, "service": "rds", "action": "DescribeDBInstances"},
        ("ExpiredToken",),
        None,
    ),
]


@pytest.mark.parametrize(
    "case,rule,needles,cause", PERSISTENT_CASES, ids=[c[0] for c in PERSISTENT_CASES]
)
def test_one_region_failing_fails_the_run(
    bench: Bench,
    proxy: FaultProxy,
    case: str,
    rule: dict,
    needles: tuple,
    cause: str | None,
):
    """us-east-1 fails for good while eu-west-1 and ap-southeast-2 answer: exit 1, one line
    naming the region and the cause, nothing on stdout."""
    r = proxy.add(Rule(region=FAILING, **rule))
    run = bench.run(
        f"persistent, one region: {case}",
        config=bench.config(),
        env=PERSISTENT,
        rules=(r,),
    )
    assert r.fired >= 1
    failed(run, FAILING, *needles, cause=cause)
    others = proxy.seen(region="eu-west-1", fault=None) + proxy.seen(
        region="ap-southeast-2", fault=None
    )
    assert others > 0, "the other regions were asked (and answered)"


ROLE_CASES = [
    (
        "ec2 RequestLimitExceeded for role B",
        {
            "fault": THROTTLE,
            "service": "ec2",
            "action": "DescribeInstances",
            "role": ROLE_B,
        },
        ("RequestLimitExceeded",),
    ),
    (
        "sts AssumeRole ExpiredToken for role B",
        {
            "fault": EXPIRED_TOKEN,
            "service": "sts",
            "action": "AssumeRole",
            "role": ROLE_B,
        },
        ("ExpiredToken",),
    ),
    (
        "sts AssumeRole AccessDenied for role B",
        {
            "fault": ACCESS_DENIED,
            "service": "sts",
            "action": "AssumeRole",
            "role": ROLE_B,
        },
        ("AccessDenied",),
    ),
]


@pytest.mark.parametrize(
    "case,rule,needles", ROLE_CASES, ids=[c[0] for c in ROLE_CASES]
)
def test_one_role_failing_fails_the_run(
    bench: Bench, proxy: FaultProxy, case: str, rule: dict, needles: tuple
):
    r = proxy.add(Rule(**rule))
    run = bench.run(
        f"persistent, one role: {case}",
        config=bench.config(ROLES),
        env=PERSISTENT,
        rules=(r,),
    )
    assert r.fired >= 1
    line = failed(run, ROLE_B, *needles)
    assert ROLE_A not in line
    assert proxy.seen(role=ROLE_A, action="DescribeInstances", fault=None) > 0, (
        "role A was read"
    )


# -- the cache ---------------------------------------------------------------------------------------------


def _cache_config(bench: Bench, cache: Path, ttl: int, stale: bool, name: str) -> Path:
    return bench.config(
        f"  cache: {{ttl: {ttl}, stale_on_error: {str(stale).lower()}, dir: {cache}}}\n",
        name=name,
    )


def _cache_file(cache: Path) -> Path:
    files = list(cache.glob("palin-inventory-aws-*.json"))
    assert len(files) == 1, f"one cache file expected in {cache}: {files}"
    return files[0]


def _expire(seconds: float = 2.2) -> None:
    # ttl 1 s, counted in whole seconds: 2.2 s makes the entry expired for sure.
    time.sleep(seconds)


def test_stale_cache_served_when_the_refresh_fails(
    bench: Bench, proxy: FaultProxy, baselines: Baselines
):
    cache = bench.tmp_path / "cache"
    config = _cache_config(bench, cache, 1, True, "stale.yml")
    fresh = ok(
        bench.run(
            "cache stale_on_error: good run fills the cache",
            config=config,
            env=TIMEOUTS,
        )
    )
    assert fresh == baselines.get("plain")
    _cache_file(cache)
    _expire()
    r = proxy.add(
        Rule(THROTTLE, service="ec2", region=FAILING, action="DescribeInstances")
    )
    stale = ok(
        bench.run(
            "cache stale_on_error: expired + us-east-1 throttled for good -> stale",
            config=config,
            env=PERSISTENT,
            rules=(r,),
        )
    )
    assert r.fired >= 1, "the cache was expired: palin went live first"
    marker = stale["all"]["vars"].pop("palin_inventory_stale")
    assert marker["fetched_at"].endswith("Z") and FAILING in marker["error"], marker
    assert groups(stale) == groups(fresh)
    assert stale == fresh


def test_expired_cache_without_stale_on_error_fails(bench: Bench, proxy: FaultProxy):
    cache = bench.tmp_path / "cache"
    config = _cache_config(bench, cache, 1, False, "expiring.yml")
    ok(
        bench.run(
            "cache without stale_on_error: good run fills the cache",
            config=config,
            env=TIMEOUTS,
        )
    )
    _expire()
    r = proxy.add(
        Rule(THROTTLE, service="ec2", region=FAILING, action="DescribeInstances")
    )
    run = bench.run(
        "cache without stale_on_error: expired + us-east-1 throttled for good",
        config=config,
        env=PERSISTENT,
        rules=(r,),
    )
    failed(run, FAILING, "RequestLimitExceeded")


def test_truncated_answer_never_reaches_the_cache(
    bench: Bench, proxy: FaultProxy, baselines: Baselines
):
    """A cut-short DescribeInstances answer (every time) fails the run and leaves no cache entry,
    so a later run never serves it, fresh or stale."""
    cache = bench.tmp_path / "cache"
    config = _cache_config(bench, cache, 3600, True, "cached.yml")
    r = proxy.add(
        Rule(TRUNCATE, service="ec2", region=FAILING, action="DescribeInstances")
    )
    run = bench.run(
        "cache: us-east-1 truncated 200 for good",
        config=config,
        env=PERSISTENT,
        rules=(r,),
    )
    failed(run, FAILING)
    assert list(cache.glob("palin-inventory-aws-*.json")) == [], (
        "a failed fetch wrote the cache"
    )
    proxy.clear()
    assert ok(
        bench.run("cache: then a good run", config=config, env=TIMEOUTS)
    ) == baselines.get("plain")


def _corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "cut in half":
        path.write_bytes(data[: len(data) // 2])
    elif how == "cut at 90%":
        path.write_bytes(data[: len(data) * 9 // 10])
    elif how == "header only":
        path.write_bytes(data.split(b"\n", 1)[0] + b"\n")
    elif how == "garbage":
        path.write_bytes(b"\x00\xffnot a cache file {[\n" * 64)
    elif how == "empty":
        path.write_bytes(b"")
    else:
        raise ValueError(how)


CORRUPTIONS = ["cut in half", "cut at 90%", "header only", "garbage", "empty"]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_corrupt_cache_is_a_miss(
    bench: Bench, proxy: FaultProxy, baselines: Baselines, how: str
):
    """A fresh (ttl 3600) but damaged cache file: palin fetches live and prints the full inventory."""
    cache = bench.tmp_path / "cache"
    config = _cache_config(bench, cache, 3600, True, "cached.yml")
    ok(
        bench.run(
            f"corrupt cache ({how}): good run fills the cache",
            config=config,
            env=TIMEOUTS,
        )
    )
    _corrupt(_cache_file(cache), how)
    proxy.forget()
    doc = ok(bench.run(f"corrupt cache ({how}): next run", config=config, env=TIMEOUTS))
    assert proxy.seen(action="DescribeInstances") > 0, (
        "a damaged cache file must be a miss (live fetch)"
    )
    assert doc == baselines.get("plain")


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_corrupt_cache_and_failing_aws_fails(bench: Bench, proxy: FaultProxy, how: str):
    """A damaged cache file and an AWS that answers 500 to everything: exit 1, never an inventory
    from the damaged file (fresh or stale)."""
    cache = bench.tmp_path / "cache"
    config = _cache_config(bench, cache, 3600, True, "cached.yml")
    ok(
        bench.run(
            f"corrupt cache ({how}) + AWS down: good run fills the cache",
            config=config,
            env=TIMEOUTS,
        )
    )
    _corrupt(_cache_file(cache), how)
    r = proxy.add(Rule(HTTP_500))
    failed(
        bench.run(
            f"corrupt cache ({how}) + AWS down: next run",
            config=config,
            env=PERSISTENT,
            rules=(r,),
        )
    )


# -- the timeouts in palin.yml ------------------------------------------------------------------------


def test_timeout_settings_in_palin_yml(
    bench: Bench, proxy: FaultProxy, baselines: Baselines
):
    """connect_timeout, attempt_timeout, operation_timeout and max_attempts under `aws:` are
    accepted and bound a stalled region."""
    keys = "  connect_timeout: 1\n  attempt_timeout: 1\n  operation_timeout: 4\n  max_attempts: 3\n"
    config = bench.config(keys, name="timeouts.yml")
    assert ok(
        bench.run("palin.yml timeouts: no fault", config=config)
    ) == baselines.get("plain")
    r = proxy.add(
        Rule(STALL, service="ec2", region=FAILING, action="DescribeInstances", stall=30)
    )
    run = bench.run(
        "palin.yml timeouts: us-east-1 stalls for good", config=config, rules=(r,)
    )
    failed(run, FAILING, cause=r"timed? ?out")


# -- Terraform state in S3 ----------------------------------------------------------------------------


S3_URL = f"s3://{BUCKET}/{KEY}"
S3_OBJECT = {"service": "s3", "method": "GET", "path": f"/{BUCKET}/{KEY}"}


def test_s3_state_reads_through_the_proxy(
    bench: Bench, proxy: FaultProxy, baselines: Baselines
):
    doc = ok(bench.run("s3 state: no fault", env={"PALIN_TFSTATE": S3_URL, **TIMEOUTS}))
    assert doc == baselines.get("state-file")
    assert proxy.seen(service="s3", method="GET", fault=None) >= 1


S3_TRANSIENT = [
    ("s3 HTTP 500 x1", {"fault": HTTP_500, "times": 1}),
    ("s3 SlowDown x2", {"fault": THROTTLE, "times": 2}),
    ("s3 connection reset x1", {"fault": RESET, "times": 1}),
    ("s3 stall 2.5 s x1", {"fault": STALL, "times": 1, "stall": 2.5}),
]


@pytest.mark.parametrize("case,rule", S3_TRANSIENT, ids=[c[0] for c in S3_TRANSIENT])
def test_s3_state_transient_fault_is_retried(
    bench: Bench, proxy: FaultProxy, baselines: Baselines, case: str, rule: dict
):
    r = proxy.add(Rule(**S3_OBJECT, **rule))
    doc = ok(
        bench.run(
            f"s3 state transient: {case}",
            env={"PALIN_TFSTATE": S3_URL, **TIMEOUTS},
            rules=(r,),
        )
    )
    assert r.fired == rule["times"]
    assert doc == baselines.get("state-file")


S3_PERSISTENT = [
    ("s3 NoSuchKey", {"fault": NO_SUCH_KEY}, ("NoSuchKey",), None),
    ("s3 AccessDenied", {"fault": ACCESS_DENIED}, ("AccessDenied",), None),
    ("s3 stall", {"fault": STALL, "stall": 30}, (), r"timed? ?out"),
    ("s3 truncated 200", {"fault": TRUNCATE}, (), None),
]


@pytest.mark.parametrize(
    "case,rule,needles,cause", S3_PERSISTENT, ids=[c[0] for c in S3_PERSISTENT]
)
def test_s3_state_persistent_fault_fails(
    bench: Bench,
    proxy: FaultProxy,
    case: str,
    rule: dict,
    needles: tuple,
    cause: str | None,
):
    r = proxy.add(Rule(**S3_OBJECT, **rule))
    run = bench.run(
        f"s3 state persistent: {case}",
        env={"PALIN_TFSTATE": S3_URL, **PERSISTENT},
        rules=(r,),
    )
    assert r.fired >= 1
    failed(run, BUCKET, KEY, *needles, cause=cause)
