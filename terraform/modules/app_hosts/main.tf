# The app hosts: EC2 instances in the private subnets, spread round-robin over
# the AZs, registered in the ALB target group. Their tags are the inventory
# contract: palin-inventory names each host by its Name tag and puts it in the
# groups tag_Role_web, tag_Env_<environment> and tag_Project_<project>.

data "aws_partition" "current" {}

data "aws_ssm_parameter" "ami" {
  count = var.ami_id == null ? 1 : 0

  name = var.ami_ssm_parameter
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ssm_parameter.ami[0].insecure_value

  key_name = length(var.ssh_public_keys) > 0 ? aws_key_pair.this[0].key_name : null

  # cloud-init installs every key for the AMI's default user. Keys only: the
  # provider stores user_data in clear text in the state.
  user_data = length(var.ssh_public_keys) > 0 ? join("\n", [
    "#cloud-config",
    yamlencode({ ssh_authorized_keys = var.ssh_public_keys }),
  ]) : null
}

resource "aws_key_pair" "this" {
  count = length(var.ssh_public_keys) > 0 ? 1 : 0

  key_name   = var.name
  public_key = var.ssh_public_keys[0]

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_instance" "web" {
  count = var.instance_count

  ami                         = local.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.private_subnet_ids[count.index % length(var.private_subnet_ids)]
  vpc_security_group_ids      = [var.app_security_group_id]
  iam_instance_profile        = aws_iam_instance_profile.app.name
  key_name                    = local.key_name
  user_data                   = local.user_data
  user_data_replace_on_change = false
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
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true

    tags = merge(var.tags, { Name = "${var.name}-web-${count.index}" })
  }

  tags = merge(var.tags, {
    Name = "${var.name}-web-${count.index}"
    Role = "web"
  })

  lifecycle {
    # A new AMI release or a new SSH key must not replace or reboot running
    # hosts behind the deploy tooling's back: roll hosts one at a time with
    # `terraform apply -replace='module...aws_instance.web[N]'`.
    ignore_changes = [ami, user_data]
  }
}

resource "aws_lb_target_group_attachment" "web" {
  count = var.instance_count

  target_group_arn = var.target_group_arn
  target_id        = aws_instance.web[count.index].id
  port             = var.app_port
}
