# The bastion: the host tagged Role=bastion, behind an Elastic IP. palin-inventory
# finds it by that tag and gives every private host
# `ansible_ssh_common_args: -o ProxyJump=<user>@<Elastic IP>`.

resource "aws_instance" "bastion" {
  count = var.bastion_enabled ? 1 : 0

  ami                         = local.ami_id
  instance_type               = var.bastion_instance_type
  subnet_id                   = var.public_subnet_ids[0]
  vpc_security_group_ids      = [var.bastion_security_group_id]
  iam_instance_profile        = aws_iam_instance_profile.bastion[0].name
  key_name                    = local.key_name
  user_data                   = local.user_data
  user_data_replace_on_change = false
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = 8
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true

    tags = merge(var.tags, { Name = "${var.name}-bastion" })
  }

  tags = merge(var.tags, {
    Name = "${var.name}-bastion"
    Role = "bastion"
  })

  lifecycle {
    ignore_changes = [ami, user_data]
  }
}

# A stable public address: the EIP survives a replacement of the instance, so
# known_hosts entries and firewall rules elsewhere keep working.
resource "aws_eip" "bastion" {
  count = var.bastion_enabled ? 1 : 0

  domain   = "vpc"
  instance = aws_instance.bastion[0].id

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}
