# Least privilege by reference: every rule between tiers names the peer security
# group, never a CIDR.
#
#   internet/alb_ingress_cidrs --443,80--> alb --app_port--> app --5432--> db
#                                                             app --6379--> cache
#   bastion_ingress_cidrs --22--> bastion --22--> app <--22-- ssh_allowed_cidrs
#   app, bastion --80,443--> internet (through NAT / the EIP): packages, ECR, SSM
#
# The db and cache groups have no egress rule at all.

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached to the ALB in module load_balancer (aws_lb.this security_groups); checkov's graph does not follow the module output.
  name        = "${var.name}-alb"
  description = "ALB of ${var.name}: HTTPS (and HTTP redirect) in, app port out to the app hosts"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:Attached to the app hosts in module app_hosts (aws_instance.web vpc_security_group_ids); checkov's graph does not follow the module output.
  name        = "${var.name}-app"
  description = "App hosts of ${var.name}: app port from the ALB, SSH from the bastion"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_security_group" "bastion" {
  #checkov:skip=CKV2_AWS_5:Attached to the bastion in module app_hosts (aws_instance.bastion vpc_security_group_ids); checkov's graph does not follow the module output.
  count = var.bastion_enabled ? 1 : 0

  name        = "${var.name}-bastion"
  description = "Bastion of ${var.name}: SSH from known networks, SSH out to the app hosts"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-bastion" })
}

resource "aws_security_group" "db" {
  #checkov:skip=CKV2_AWS_5:Attached to the RDS instance in module data_stores (aws_db_instance.postgres vpc_security_group_ids); checkov's graph does not follow the module output.
  name        = "${var.name}-postgres"
  description = "Postgres of ${var.name}: 5432 from the app hosts only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-postgres" })
}

resource "aws_security_group" "cache" {
  #checkov:skip=CKV2_AWS_5:Attached to the Redis replication group in module data_stores (security_group_ids); checkov's graph does not follow the module output.
  name        = "${var.name}-redis"
  description = "Redis of ${var.name}: 6379 from the app hosts only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-redis" })
}

# ---- ALB ----------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.alb_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 is open only so the listener can answer 301 to HTTPS; it never forwards to a target.
  for_each = toset(var.alb_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from ${each.value} (redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "App port to the app hosts"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}

# ---- app hosts ----------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "App port from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "app_ssh_from_bastion" {
  #checkov:skip=CKV_AWS_24:The source is the bastion's security group (referenced_security_group_id), not a CIDR; checkov 3.3.30 reads a rule without cidr_ipv4 as open to 0.0.0.0/0.
  count = var.bastion_enabled ? 1 : 0

  security_group_id            = aws_security_group.app.id
  description                  = "SSH from the bastion"
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  referenced_security_group_id = aws_security_group.bastion[0].id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "app_ssh_from_cidr" {
  for_each = toset(var.ssh_allowed_cidrs)

  security_group_id = aws_security_group.app.id
  description       = "SSH from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS out (ECR, SSM, package repositories) through NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_http" {
  security_group_id = aws_security_group.app.id
  description       = "HTTP out (package mirrors that serve signed packages over HTTP) through NAT"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_to_db" {
  security_group_id            = aws_security_group.app.id
  description                  = "Postgres"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "app_to_cache" {
  security_group_id            = aws_security_group.app.id
  description                  = "Redis"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.cache.id

  tags = var.tags
}

# ---- bastion ------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "bastion_ssh" {
  for_each = var.bastion_enabled ? toset(var.bastion_ingress_cidrs) : toset([])

  security_group_id = aws_security_group.bastion[0].id
  description       = "SSH from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "bastion_ssh_to_app" {
  count = var.bastion_enabled ? 1 : 0

  security_group_id            = aws_security_group.bastion[0].id
  description                  = "SSH to the app hosts"
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "bastion_https" {
  count = var.bastion_enabled ? 1 : 0

  security_group_id = aws_security_group.bastion[0].id
  description       = "HTTPS out (SSM agent, package repositories)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

# ---- data stores --------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  description                  = "Postgres from the app hosts"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "cache_from_app" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis from the app hosts"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.app.id

  tags = var.tags
}
