# Copyright: palin contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The palin.aws.palin inventory plugin: a palin.yml (Terraform state or the AWS API) read by the
palin-inventory binary, its document handed straight to Ansible's inventory (shared code:
plugins/plugin_utils/inventory.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: palin
short_description: Hosts, groups and endpoints from Terraform state or the AWS API, with palin-inventory
version_added: 0.1.0
author:
  - "palin contributors (@palin-dev)"
description:
  - Reads an inventory file whose name ends in C(palin.yml) or C(palin.yaml) (for example
    C(prod.palin.yml)) with the C(palin-inventory) binary and adds its hosts, groups and variables to
    the inventory.
  - The file is a C(palin.yml) (the settings C(palin-inventory) reads through E(PALIN_CONFIG)) with
    one more line, O(plugin=palin.aws.palin). Relative paths in it are relative to the file, as
    they are for the binary.
  - C(palin-inventory) does all the work (reading the states or the AWS API, host names, groups,
    O(compose), O(keyed_groups), withholding secrets); this plugin runs it once per inventory load
    and gives Ansible its C(--list) document as it is. The binary checks the file, so any key it
    does not know is an error that names the key.
  - Variables are never rendered as templates, even when a tag or an output holds C({{ }}).
  - The environment reaches the binary unchanged (E(AWS_PROFILE), E(AWS_REGION),
    E(AWS_ENDPOINT_URL), E(PALIN_REVEAL), E(PALIN_TFSTATE), E(TF_WORKSPACE), ...).
  - With O(cache=true), Ansible's cache plugin keeps the document. The cache key covers the file's
    path and text and the E(PALIN_*), E(TF_*), E(AWS_PROFILE), E(AWS_REGION) and E(AWS_ENDPOINT_URL*)
    variables. C(--flush-cache) and the C(refresh_inventory) meta task run the binary again (with
    C(--refresh-cache), which also refreshes palin's own AWS cache, C(cache) in O(aws)). A cache that
    cannot be read is a miss; one that cannot be written is a warning.
  - Requires the C(palin-inventory) binary (C(pip install palin-inventory)); see O(executable).
notes:
  - palin.yml settings are documented in full in palin's C(docs/configuration.md) and by
    C(palin-inventory --help).
  - In CI set E(ANSIBLE_INVENTORY_UNPARSED_FAILED=true), so that a failing source stops the run
    with palin's reason instead of a warning and an empty inventory.
seealso:
  - plugin: palin.aws.aws_ec2
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
    choices: [palin.aws.palin]
  source:
    description:
      - Where the inventory comes from, C(terraform) (states, see O(terraform)) or C(aws) (the AWS
        API, see O(aws)).
    type: str
    choices: [terraform, aws]
    default: terraform
  terraform:
    description:
      - The Terraform source. Keys C(states) (a list of C({path}), C({command, dir}) or C({s3})
        entries, read in order and merged; default C(./terraform.tfstate) of the working directory),
        C(outputs) (Terraform outputs become variables of C(all), default V(true); one named
        C(ansible_*) or after a magic variable gets C(tf_) in front) and C(outputs_prefix).
    type: dict
  hostnames:
    description:
      - Host name preference, the first attribute with a value wins; a name shared by several
        instances gets C(_<instance-id>) appended.
      - Entries C(tag:<Key>), C(instance-id), C(ip-address), C(private-ip-address), C(dns-name),
        C(private-dns-name), C(eip).
      - A value that would be C(localhost), C(127.0.0.1) or C(::1), holds a template, or starts
        with C(-) is skipped for the next entry, else the instance id.
    type: list
    elements: str
    default: ['tag:Name', instance-id]
  ansible_host:
    description: Address preference for C(ansible_host), with the names of O(hostnames).
    type: list
    elements: str
    default: [eip, ip-address, private-ip-address]
  tag_groups:
    description: Tag keys that become C(tag_<Key>_<Value>) groups (default every tag but C(Name)).
    type: list
    elements: str
  endpoint_hosts:
    description: Also list RDS and ElastiCache endpoints as hosts (groups C(aws_rds), C(aws_elasticache)).
    type: bool
    default: false
  reveal:
    description:
      - Sensitive outputs and secret attributes to include, by name (they are withheld otherwise).
        E(PALIN_REVEAL) adds to the list.
    type: list
    elements: str
    default: []
  connection:
    description:
      - How Ansible reaches the hosts. Keys C(mode) (C(ssh) or C(ssm)), C(bastion) (C({tag}),
        C({host}) with a host name or an instance id, C(user), or V(false)) and C(ssm_bucket).
      - The bastion is chosen, never guessed. With a C({tag}) rule (by default the tag
        C(Role=bastion)), no matching instance means no bastion, and more than one refuses the
        inventory; where others can tag instances, pin it with C({host}) and its instance id.
    type: dict
  ansible_user:
    description: Group name to user name; a host gets the user of the first listed group it is in.
    type: dict
  aws:
    description:
      - The AWS API source (O(source=aws)). Keys C(regions), C(region), C(assume_roles), C(profile),
        C(endpoint_url), C(concurrency), C(page_size), C(filters), C(include_filters),
        C(exclude_filters), C(services), C(strict_permissions) and C(cache) (palin's own file
        cache of the fetched data, separate from Ansible's O(cache)).
    type: dict
"""

EXAMPLES = r"""
# prod.palin.yml: the hosts of a Terraform state, with a jsonfile cache
plugin: palin.aws.palin
terraform:
  states:
    - path: ../terraform/terraform.tfstate     # relative to this file
hostnames: [tag:Name, instance-id]
tag_groups: [Role, Env]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
cache_timeout: 600

# aws.palin.yml: straight from the AWS API, every account and region at once
plugin: palin.aws.palin
source: aws
aws:
  regions: [eu-west-1, us-east-1]
  assume_roles:
    - arn:aws:iam::111111111111:role/inventory
    - arn:aws:iam::222222222222:role/inventory
keyed_groups:
  - key: placement.region
    prefix: aws_region
connection:
  mode: ssm

# Run it:
#   ansible-inventory -i prod.palin.yml --graph
#   ansible-playbook -i prod.palin.yml site.yml
"""

from ansible_collections.palin.aws.plugins.plugin_utils.inventory import PalinInventoryBase


class InventoryModule(PalinInventoryBase):
    """palin.yml → palin-inventory → Ansible's inventory."""

    NAME = "palin.aws.palin"
    FILE_SUFFIXES = ("palin.yml", "palin.yaml")
