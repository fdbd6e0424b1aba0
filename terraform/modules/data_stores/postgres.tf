# RDS for PostgreSQL in the isolated data subnets. RDS creates the app database
# (db_name) with the instance, so nobody runs CREATE DATABASE by hand; the app's
# own users and grants are the playbooks' job (role postgres_bootstrap).

locals {
  db_identifier = "${var.name}-postgres"
  pg_major      = split(".", var.db_engine_version)[0]
}

resource "aws_db_subnet_group" "postgres" {
  name        = local.db_identifier
  description = "Data subnets of ${var.name}"
  subnet_ids  = var.data_subnet_ids

  tags = merge(var.tags, { Name = local.db_identifier })
}

resource "aws_db_parameter_group" "postgres" {
  name_prefix = "${local.db_identifier}${local.pg_major}-"
  family      = "postgres${local.pg_major}"
  description = "Postgres ${local.pg_major} of ${var.name}: TLS required, slow queries and DDL logged"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  tags = merge(var.tags, { Name = local.db_identifier })

  lifecycle {
    create_before_destroy = true
  }
}

# RDS would create these log groups itself, unencrypted and kept forever.
resource "aws_cloudwatch_log_group" "postgres" {
  for_each = toset(["postgresql", "upgrade"])

  name              = "/aws/rds/instance/${local.db_identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.db_identifier}-${each.key}" })
}

resource "aws_iam_role" "rds_monitoring" {
  name        = "${local.db_identifier}-monitoring"
  description = "Enhanced Monitoring of ${local.db_identifier}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = merge(var.tags, { Name = "${local.db_identifier}-monitoring" })
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

data "aws_partition" "current" {}

# Only when the master password is not managed by Secrets Manager. It ends up in
# the state (and in the sensitive output db_password): protect the state.
resource "random_password" "db_master" {
  count = var.db_manage_master_password ? 0 : 1

  length           = 32
  special          = true
  override_special = "!#$%&*()-_=+[]{}<>:?"
}

resource "aws_db_instance" "postgres" {
  identifier     = local.db_identifier
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = var.db_name
  username = var.db_username
  port     = 5432

  manage_master_user_password   = var.db_manage_master_password ? true : null
  master_user_secret_kms_key_id = var.db_manage_master_password ? var.kms_key_arn : null
  password                      = var.db_manage_master_password ? null : random_password.db_master[0].result

  db_subnet_group_name   = aws_db_subnet_group.postgres.name
  vpc_security_group_ids = [var.db_security_group_id]
  parameter_group_name   = aws_db_parameter_group.postgres.name
  publicly_accessible    = false
  multi_az               = var.db_multi_az
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  iam_database_authentication_enabled = true
  deletion_protection                 = var.db_deletion_protection
  backup_retention_period             = var.db_backup_retention_days
  backup_window                       = "02:00-03:00"
  maintenance_window                  = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot               = true
  delete_automated_backups            = false
  skip_final_snapshot                 = var.db_skip_final_snapshot
  final_snapshot_identifier           = "${local.db_identifier}-final"
  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false
  apply_immediately                   = false

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]

  tags = merge(var.tags, { Name = local.db_identifier })

  depends_on = [aws_cloudwatch_log_group.postgres, aws_iam_role_policy_attachment.rds_monitoring]
}
