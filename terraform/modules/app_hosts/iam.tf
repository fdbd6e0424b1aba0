# Instance profiles. App hosts: SSM Session Manager (optional) and whatever the
# root module passes in app_policy_arns (the ECR pull policy). Bastion: SSM only.

locals {
  ssm_core_policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"

  ec2_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role" "app" {
  name               = "${var.name}-app"
  description        = "App hosts of ${var.name}"
  assume_role_policy = local.ec2_assume_role_policy

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_iam_role_policy_attachment" "app_ssm" {
  count = var.ssm_enabled ? 1 : 0

  role       = aws_iam_role.app.name
  policy_arn = local.ssm_core_policy_arn
}

resource "aws_iam_role_policy_attachment" "app_extra" {
  for_each = var.app_policy_arns

  role       = aws_iam_role.app.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "app" {
  name = "${var.name}-app"
  role = aws_iam_role.app.name

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_iam_role" "bastion" {
  count = var.bastion_enabled ? 1 : 0

  name               = "${var.name}-bastion"
  description        = "Bastion of ${var.name}"
  assume_role_policy = local.ec2_assume_role_policy

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}

resource "aws_iam_role_policy_attachment" "bastion_ssm" {
  count = var.bastion_enabled && var.ssm_enabled ? 1 : 0

  role       = aws_iam_role.bastion[0].name
  policy_arn = local.ssm_core_policy_arn
}

resource "aws_iam_instance_profile" "bastion" {
  count = var.bastion_enabled ? 1 : 0

  name = "${var.name}-bastion"
  role = aws_iam_role.bastion[0].name

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}
