# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The palin.aws.aws_ec2 inventory plugin: an amazon.aws.aws_ec2 configuration, unchanged but for
the plugin name, read by the palin-inventory binary (shared code:
plugins/plugin_utils/inventory.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_ec2
short_description: A fast drop-in for the amazon.aws.aws_ec2 inventory, run by palin-inventory
version_added: 0.1.0
author:
  - "palin contributors (@palin-dev)"
description:
  - Reads an amazon.aws.aws_ec2 inventory file (its name must end in C(aws_ec2.yml) or
    C(aws_ec2.yaml)) with the C(palin-inventory) binary.
  - "Migrating is one line: C(plugin: amazon.aws.aws_ec2) becomes C(plugin: palin.aws.aws_ec2)."
  - Hosts get the variables amazon.aws.aws_ec2 gives them (every field of C(DescribeInstances) in
    snake case, C(placement.region), the tag dict as both C(tags) and C(ec2_tags)), in the
    C(aws_ec2) group and the O(compose), O(groups) and O(keyed_groups) ones. No boto3 or botocore
    is needed.
  - Differences from amazon.aws.aws_ec2, by design. Instances that would share a host name all stay
    hosts, named C(<name>_<instance-id>) (the plugin keeps one). An instance without any
    O(hostnames) match is named by its instance id (the plugin drops it). C(ansible_host) is set
    (the public IP, else the private IP) unless O(compose) sets it. Regions and filter sets are
    read concurrently.
  - Options palin-inventory does not support (for example C(use_ssm_inventory), C(route53_enabled),
    C(hostvars_prefix), credentials in the file) are refused with an error that names the option,
    never ignored. Credentials come from the standard AWS chain (E(AWS_PROFILE),
    E(AWS_ACCESS_KEY_ID), SSO, web identity, instance role), which reaches the binary unchanged.
  - Variables are never rendered as templates, even when a tag holds C({{ }}).
  - With O(cache=true), Ansible's cache plugin keeps the document (the cache options are this
    plugin's, not palin-inventory's). The cache key covers the file's path and text and the
    E(PALIN_*), E(TF_*), E(AWS_PROFILE), E(AWS_REGION) and E(AWS_ENDPOINT_URL*) variables.
    C(--flush-cache) and the C(refresh_inventory) meta task query AWS again. A cache that cannot be read
    is a miss; one that cannot be written is a warning.
  - Requires the C(palin-inventory) binary (C(pip install palin-inventory)); see O(executable).
notes:
  - Ansible warns C(Found variable using reserved name 'tags') on every run, as it does with
    amazon.aws.aws_ec2, because the plugin sets C(tags). Prefer C(ec2_tags) in new expressions.
  - In CI set E(ANSIBLE_INVENTORY_UNPARSED_FAILED=true), so that a failing source stops the run
    with palin's reason instead of a warning and an empty inventory.
seealso:
  - plugin: palin.aws.palin
    plugin_type: inventory
  - plugin: amazon.aws.aws_ec2
    plugin_type: inventory
extends_documentation_fragment:
  - palin.aws.executable
  - palin.aws.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it marks the file as this plugin's.
    required: true
    type: str
    choices: [palin.aws.aws_ec2]
  regions:
    description:
      - The regions to read. Empty means every region C(DescribeRegions) lists for the account.
    type: list
    elements: str
    default: []
  region:
    description: The region for C(DescribeRegions) and STS (default E(AWS_REGION), else the profile's).
    type: str
  filters:
    description: C(DescribeInstances) filters, name to value or list of values.
    type: dict
    default: {}
  include_filters:
    description:
      - More filter sets, OR-ed with O(filters). Without an C(instance-state-name) filter a set gets
        C(running, pending, stopping, stopped), as in amazon.aws.aws_ec2.
    type: list
    elements: dict
    default: []
  exclude_filters:
    description: Filter sets whose instances are left out; they take priority over O(include_filters).
    type: list
    elements: dict
    default: []
  hostnames:
    description:
      - Host name preference; the first that has a value wins. Supported entries C(tag:<Key>),
        C(instance-id), C(ip-address), C(private-ip-address), C(dns-name), C(private-dns-name).
      - Empty means C([dns-name, private-dns-name]), as in amazon.aws.aws_ec2.
      - A value that would be C(localhost), C(127.0.0.1) or C(::1), holds a template, or starts
        with C(-) is skipped for the next entry, else the instance id, so a tag never names
        the controller.
    type: list
    elements: str
    default: []
  allow_duplicated_hosts:
    description: Only V(false) is supported; instances that share a name all stay hosts (see above).
    type: bool
    default: false
  strict_permissions:
    description: V(false) skips regions that answer "not authorised" instead of failing.
    type: bool
    default: true
  endpoint_url:
    description: The EC2 endpoint (default E(AWS_ENDPOINT_URL)).
    type: str
    aliases: [aws_endpoint_url]
  profile:
    description: The AWS profile (default E(AWS_PROFILE), else the standard credential chain).
    type: str
    aliases: [aws_profile]
  assume_role_arn:
    description: A role to assume for the calls.
    type: str
    aliases: [iam_role_arn]
"""

EXAMPLES = r"""
# prod.aws_ec2.yml: an existing amazon.aws.aws_ec2 file; only the plugin line changed
plugin: palin.aws.aws_ec2
regions:
  - eu-west-1
  - us-east-1
filters:
  tag:Env: prod
hostnames:
  - tag:Name
  - private-ip-address
compose:
  ansible_host: private_ip_address
keyed_groups:
  - key: tags.Role
    prefix: role
  - key: placement.region
    prefix: aws_region
groups:
  web: "tags.Role == 'web'"

# The same, answered from a jsonfile cache for ten minutes
plugin: palin.aws.aws_ec2
regions: [eu-west-1]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 600
"""

from ansible_collections.palin.aws.plugins.plugin_utils.inventory import PalinInventoryBase


class InventoryModule(PalinInventoryBase):
    """aws_ec2.yml → palin-inventory → Ansible's inventory."""

    NAME = "palin.aws.aws_ec2"
    FILE_SUFFIXES = ("aws_ec2.yml", "aws_ec2.yaml")
