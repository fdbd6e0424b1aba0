# The palin stack: a VPC over three AZs, an HTTPS ALB in front of private app
# hosts, Postgres and Redis in isolated data subnets, an ECR repository, and
# the tags and outputs palin-inventory turns into an Ansible inventory.
# See README.md for the inventory contract.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first three zone names in sorted order are used (local.azs), so a zone AWS adds later never changes the selection; availability_zones pins them explicitly.
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  name = "${var.project}-${var.environment}"

  # Project and Env are tags palin-inventory turns into groups
  # (tag_Project_<project>, tag_Env_<environment>); every module adds Name and,
  # on EC2 instances, Role.
  tags = merge(var.tags, {
    Project = var.project
    Env     = var.environment
  })

  azs = var.availability_zones != null ? var.availability_zones : slice(sort(data.aws_availability_zones.available.names), 0, 3)

  kms_key_arn = var.kms_key_arn != null ? var.kms_key_arn : aws_kms_key.this[0].arn

  ecr_repository_name = var.ecr_repository_name != null ? var.ecr_repository_name : "${var.project}/app"
}

module "network" {
  source = "./modules/network"

  name                  = local.name
  vpc_cidr              = var.vpc_cidr
  availability_zones    = local.azs
  nat_gateway_mode      = var.nat_gateway_mode
  flow_logs_enabled     = var.flow_logs_enabled
  log_retention_days    = var.log_retention_days
  kms_key_arn           = local.kms_key_arn
  app_port              = var.app_port
  alb_ingress_cidrs     = var.alb_ingress_cidrs
  bastion_enabled       = var.bastion_enabled
  bastion_ingress_cidrs = var.bastion_ingress_cidrs
  ssh_allowed_cidrs     = var.ssh_allowed_cidrs
  tags                  = local.tags
}

module "registry" {
  source = "./modules/registry"

  name                 = local.name
  repository_name      = local.ecr_repository_name
  kms_key_arn          = local.kms_key_arn
  keep_images          = var.ecr_keep_images
  untagged_expiry_days = var.ecr_untagged_expiry_days
  tags                 = local.tags
}

module "load_balancer" {
  source = "./modules/load_balancer"

  name                         = local.name
  vpc_id                       = module.network.vpc_id
  public_subnet_ids            = module.network.public_subnet_ids
  security_group_id            = module.network.alb_security_group_id
  app_port                     = var.app_port
  health_check_path            = var.app_health_check_path
  health_check                 = var.health_check
  deploy_paths                 = var.app_deploy_paths
  deregistration_delay_seconds = var.deregistration_delay_seconds
  domain_name                  = var.domain_name
  route53_zone_id              = var.route53_zone_id
  certificate_arn              = var.certificate_arn
  ssl_policy                   = var.ssl_policy
  deletion_protection          = var.alb_deletion_protection
  access_logs_enabled          = var.alb_access_logs_enabled
  access_logs_bucket           = var.alb_access_logs_bucket
  access_logs_retention_days   = var.alb_access_logs_retention_days
  waf_web_acl_arn              = var.waf_web_acl_arn
  tags                         = local.tags
}

module "app_hosts" {
  source = "./modules/app_hosts"

  name                      = local.name
  instance_count            = var.app_instance_count
  instance_type             = var.app_instance_type
  ami_id                    = var.ami_id
  ami_ssm_parameter         = var.ami_ssm_parameter
  root_volume_size_gb       = var.root_volume_size_gb
  kms_key_arn               = local.kms_key_arn
  private_subnet_ids        = module.network.private_subnet_ids
  public_subnet_ids         = module.network.public_subnet_ids
  app_security_group_id     = module.network.app_security_group_id
  bastion_security_group_id = module.network.bastion_security_group_id
  app_port                  = var.app_port
  target_group_arn          = module.load_balancer.target_group_arn
  ssh_public_keys           = var.ssh_public_keys
  ssm_enabled               = var.ssm_enabled
  bastion_enabled           = var.bastion_enabled
  bastion_instance_type     = var.bastion_instance_type
  app_policy_arns           = { ecr_pull = module.registry.pull_policy_arn }
  tags                      = local.tags
}

module "data_stores" {
  source = "./modules/data_stores"

  name                          = local.name
  data_subnet_ids               = module.network.data_subnet_ids
  db_security_group_id          = module.network.db_security_group_id
  cache_security_group_id       = module.network.cache_security_group_id
  kms_key_arn                   = local.kms_key_arn
  log_retention_days            = var.log_retention_days
  db_engine_version             = var.db_engine_version
  db_instance_class             = var.db_instance_class
  db_allocated_storage_gb       = var.db_allocated_storage_gb
  db_max_allocated_storage_gb   = var.db_max_allocated_storage_gb
  db_name                       = var.db_name
  db_username                   = var.db_username
  db_manage_master_password     = var.db_manage_master_password
  db_multi_az                   = var.db_multi_az
  db_deletion_protection        = var.db_deletion_protection
  db_backup_retention_days      = var.db_backup_retention_days
  db_skip_final_snapshot        = var.db_skip_final_snapshot
  redis_engine_version          = var.redis_engine_version
  redis_node_type               = var.redis_node_type
  redis_num_cache_clusters      = var.redis_num_cache_clusters
  redis_snapshot_retention_days = var.redis_snapshot_retention_days
  tags                          = local.tags
}
