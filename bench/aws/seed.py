#!/usr/bin/env python3
"""Seed a fresh moto_server with N EC2 instances for bench/aws/run.sh, fast.

    .venv/bin/python bench/aws/seed.py --endpoint http://127.0.0.1:5000 --count 1000 \\
        [--region eu-west-1] [--per-reservation 500]

The instances look like those of ``tests/aws/seed.py --count``: one VPC with a subnet in each of
three AZs, instance types t3.small/m5.large, tags ``Role`` (web/worker), ``Env=bench`` and a
unique ``Name=bench-NNNNN``, a public IP on every third launch. They are launched with
``RunInstances`` ``MinCount=MaxCount=--per-reservation`` (one reservation per call), then the
unique Name tags are set with one ``CreateTags`` call per instance; both from 8 threads.

``--per-reservation`` matters for what is measured: moto pages ``DescribeInstances`` by
*reservation* (100 per page), and a client's cost may depend on how many instances share a
reservation. 500 is what ``tests/aws/seed.py --count`` does (one page even at 5,000 instances);
1 is what Terraform makes (one ``RunInstances`` per ``aws_instance``), 10 pages at 1,000.

Prints ``{"instances": N, "reservations": R, "seconds": S}`` on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

AMI_ID = "ami-0palin000000000a"  # moto accepts unknown AMIs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--per-reservation", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    if args.count < 1 or args.per_reservation < 1:
        parser.error("--count and --per-reservation must be positive")

    start = time.monotonic()
    ec2 = boto3.client(
        "ec2",
        region_name=args.region,
        endpoint_url=args.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=args.threads * 2),
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n * 64}.0/18", AvailabilityZone=f"{args.region}{az}")[
            "Subnet"
        ]["SubnetId"]
        for n, az in enumerate("abc")
    ]
    sizes = [args.per_reservation] * (args.count // args.per_reservation)
    if args.count % args.per_reservation:
        sizes.append(args.count % args.per_reservation)

    # moto hands out a subnet's addresses from one generator that is not thread-safe ("generator
    # already executing", HTTP 500): launches into the same subnet take turns.
    subnet_locks = [threading.Lock() for _ in subnets]

    def launch(item: tuple[int, int]) -> list[str]:
        batch, size = item
        role = ("web", "worker")[batch % 2]
        with subnet_locks[batch % 3]:
            return launch_locked(batch, size, role)

    def launch_locked(batch: int, size: int, role: str) -> list[str]:
        resp = ec2.run_instances(
            ImageId=AMI_ID,
            MinCount=size,
            MaxCount=size,
            InstanceType=("t3.small", "m5.large")[batch % 2],
            NetworkInterfaces=[
                {"DeviceIndex": 0, "SubnetId": subnets[batch % 3], "AssociatePublicIpAddress": batch % 3 == 0}
            ],
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": role}, {"Key": "Env", "Value": "bench"}]}
            ],
        )
        return [i["InstanceId"] for i in resp["Instances"]]

    with ThreadPoolExecutor(args.threads) as pool:
        ids = [i for batch in pool.map(launch, enumerate(sizes)) for i in batch]

        def name(item: tuple[int, str]) -> None:
            n, iid = item
            ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": f"bench-{n:05d}"}])

        list(pool.map(name, enumerate(ids)))
    if len(ids) != args.count:
        sys.exit(f"seed.py: created {len(ids)} instances, expected {args.count}")
    json.dump(
        {"instances": len(ids), "reservations": len(sizes), "seconds": round(time.monotonic() - start, 1)},
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
