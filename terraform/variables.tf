# ---------------------------------------------------------------------------
# Naming and tagging
# ---------------------------------------------------------------------------

variable "project" {
  type        = string
  description = "Project name. Prefix of every resource name and value of the Project tag (palin-inventory group tag_Project_<project>)."
  default     = "palin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,13}[a-z0-9]$", var.project))
    error_message = "project must be 2-15 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (it is part of ALB, target group and bucket names, which have tight length limits)."
  }
}

variable "environment" {
  type        = string
  description = "Environment name, e.g. prod or staging. Part of every resource name and value of the Env tag (palin-inventory group tag_Env_<environment>)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource. Name, Role, Env and Project are set by the stack (palin-inventory groups hosts by Role, Env and Project) and cannot be overridden here."
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.tags), ["Name", "Role", "Env", "Project"])) == 0
    error_message = "tags must not set Name, Role, Env or Project: the stack sets them and palin-inventory relies on them."
  }
}

# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR of the VPC, /16 to /18. Public and data subnets get /24-equivalents (newbits 8), private app subnets /20-equivalents (newbits 4)."
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 18, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR with a prefix length from /16 to /18 (an ALB subnet needs at least a /27)."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Exactly three availability zones to spread the stack over. Default (null): the first three zones of the region that need no opt-in."
  default     = null

  validation {
    condition     = var.availability_zones == null || try(length(distinct(var.availability_zones)) == 3, false)
    error_message = "availability_zones must list exactly three distinct zones (or be null to pick them automatically)."
  }
}

variable "nat_gateway_mode" {
  type        = string
  description = "Egress for private subnets: \"one_per_az\" (a NAT gateway in every AZ, no cross-AZ dependency) or \"single\" (one NAT gateway shared by all AZs, cheaper, one AZ's failure cuts egress)."
  default     = "one_per_az"

  validation {
    condition     = contains(["one_per_az", "single"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be \"one_per_az\" or \"single\"."
  }
}

variable "flow_logs_enabled" {
  type        = bool
  description = "Record VPC flow logs (all traffic) in an encrypted CloudWatch log group."
  default     = true
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the stack's CloudWatch log groups (VPC flow logs, Postgres logs, Redis slow log), in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of an existing customer-managed KMS key for EBS, RDS, ElastiCache, ECR and CloudWatch Logs. Default (null): the stack creates one with rotation. A key you bring must allow the CloudWatch Logs service principal of the region."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

# ---------------------------------------------------------------------------
# Access to the hosts
# ---------------------------------------------------------------------------

variable "ssh_public_keys" {
  type        = list(string)
  description = "OpenSSH public keys allowed to log in as the AMI's default user on the app hosts and the bastion. The first one is also registered as the EC2 key pair. Empty: no SSH keys (use SSM Session Manager)."
  default     = []

  validation {
    condition     = alltrue([for k in var.ssh_public_keys : can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,3}( .*)?$", k))])
    error_message = "Every ssh_public_keys entry must be one OpenSSH public key line (ssh-ed25519 AAAA... comment), not a private key or a file path."
  }
}

variable "ssm_enabled" {
  type        = bool
  description = "Give the hosts the AmazonSSMManagedInstanceCore policy (SSM Session Manager; palin-inventory connection.mode: ssm) and create the S3 bucket Ansible's aws_ssm connection uses for file transfers."
  default     = true

  validation {
    condition     = var.ssm_enabled || length(var.ssh_public_keys) > 0
    error_message = "With ssm_enabled = false the hosts need SSH: set ssh_public_keys."
  }
}

variable "bastion_enabled" {
  type        = bool
  description = "Create a bastion host (tag Role=bastion) with an Elastic IP in the first public subnet. palin-inventory then adds a ProxyJump through it to every private host."
  default     = true

  validation {
    condition     = !var.bastion_enabled || (length(var.ssh_public_keys) > 0 && length(var.bastion_ingress_cidrs) > 0)
    error_message = "A bastion needs ssh_public_keys and at least one bastion_ingress_cidrs entry (set bastion_enabled = false to reach the hosts through SSM only)."
  }
}

variable "bastion_ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to SSH to the bastion (office, VPN egress). The whole internet is refused."
  default     = []

  validation {
    condition     = alltrue([for c in var.bastion_ingress_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "bastion_ingress_cidrs must be IPv4 CIDRs, and 0.0.0.0/0 is not allowed: restrict SSH to known networks."
  }
}

variable "ssh_allowed_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs (VPN, Direct Connect) allowed to SSH straight to the private app hosts, in addition to the bastion."
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "ssh_allowed_cidrs must be IPv4 CIDRs, and 0.0.0.0/0 is not allowed."
  }
}

# ---------------------------------------------------------------------------
# App hosts
# ---------------------------------------------------------------------------

variable "app_instance_count" {
  type        = number
  description = "Number of app hosts (tag Role=web), spread round-robin over the three AZs."
  default     = 3

  validation {
    condition     = var.app_instance_count >= 1 && var.app_instance_count <= 30 && floor(var.app_instance_count) == var.app_instance_count
    error_message = "app_instance_count must be a whole number from 1 to 30."
  }
}

variable "app_instance_type" {
  type        = string
  description = "EC2 instance type of the app hosts."
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.app_instance_type))
    error_message = "app_instance_type must look like an EC2 instance type, e.g. t3.small or m7i.large."
  }
}

variable "bastion_instance_type" {
  type        = string
  description = "EC2 instance type of the bastion."
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion_instance_type))
    error_message = "bastion_instance_type must look like an EC2 instance type, e.g. t3.micro."
  }
}

variable "ami_id" {
  type        = string
  description = "AMI of the app hosts and the bastion. Default (null): the latest Amazon Linux 2023 AMI from ami_ssm_parameter at creation time (later AMI releases do not replace running hosts)."
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI id (ami-0123456789abcdef0) or null."
  }
}

variable "ami_ssm_parameter" {
  type        = string
  description = "Public SSM parameter holding the AMI id when ami_id is null. The AMI's architecture must match the instance types."
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/")
    error_message = "ami_ssm_parameter must be an SSM parameter path starting with /."
  }
}

variable "root_volume_size_gb" {
  type        = number
  description = "Size of the encrypted gp3 root volume of each app host, in GiB."
  default     = 20

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 1024
    error_message = "root_volume_size_gb must be from 8 to 1024."
  }
}

variable "app_port" {
  type        = number
  description = "Port the app listens on, on every app host. The ALB target group forwards to it."
  default     = 5000

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be an unprivileged port, 1024-65535."
  }
}

variable "app_health_check_path" {
  type        = string
  description = "Path of the app's health endpoint, polled by the ALB target group. It must answer non-200 while the instance drains, so the ALB stops routing to it."
  default     = "/health"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]*$", var.app_health_check_path))
    error_message = "app_health_check_path must be an absolute URL path, e.g. /health."
  }
}

variable "app_deploy_paths" {
  type        = list(string)
  description = "The app's deploy endpoints (drain, ready). The ALB answers them and everything below them with a fixed 404, so only hosts inside the VPC (the deploy tooling) reach them. Exposed as the output app_deploy_paths for the playbooks."
  default     = ["/deploy/drain", "/deploy/ready"]

  validation {
    condition     = length(var.app_deploy_paths) >= 1 && length(var.app_deploy_paths) <= 20 && alltrue([for p in var.app_deploy_paths : can(regex("^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$", p))])
    error_message = "app_deploy_paths must hold 1-20 absolute paths without wildcards, query strings or a trailing slash, e.g. /deploy/drain."
  }
}

# ---------------------------------------------------------------------------
# Load balancer
# ---------------------------------------------------------------------------

variable "domain_name" {
  type        = string
  description = "DNS name of the app, e.g. app.example.com. With route53_zone_id: an ACM certificate is requested and validated in that zone (unless certificate_arn is set) and an alias record points the name at the ALB."
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase fully qualified DNS name without a trailing dot or wildcard."
  }
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone of domain_name, used for the ACM DNS validation records and the alias record."
  default     = null

  validation {
    condition     = var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be a Route 53 hosted zone id (Z...)."
  }
}

variable "certificate_arn" {
  type        = string
  description = "ARN of an existing (imported or issued) ACM certificate in the stack's region for the HTTPS listener. Default (null): request one for domain_name with DNS validation in route53_zone_id."
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }

  validation {
    condition     = var.certificate_arn != null || (var.domain_name != null && var.route53_zone_id != null)
    error_message = "The HTTPS listener needs a certificate: set certificate_arn, or domain_name and route53_zone_id for a DNS-validated ACM certificate."
  }
}

variable "alb_ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the ALB on 443 (and on 80, which only redirects to 443)."
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for c in var.alb_ingress_cidrs : can(cidrnetmask(c))])
    error_message = "alb_ingress_cidrs must hold at least one IPv4 CIDR."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS security policy of the HTTPS listener."
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-") || startswith(var.ssl_policy, "ELBSecurityPolicy-FS-1-2-")
    error_message = "ssl_policy must be a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-... or ELBSecurityPolicy-FS-1-2-...)."
  }
}

variable "alb_deletion_protection" {
  type        = bool
  description = "Protect the ALB from deletion (turn off before terraform destroy)."
  default     = true
}

variable "alb_access_logs_enabled" {
  type        = bool
  description = "Write ALB access logs to S3."
  default     = true
}

variable "alb_access_logs_bucket" {
  type        = string
  description = "Existing S3 bucket for the ALB access logs (same region, SSE-S3, a policy letting logdelivery.elasticloadbalancing.amazonaws.com write). Default (null): the stack creates one."
  default     = null

  validation {
    condition     = var.alb_access_logs_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.alb_access_logs_bucket))
    error_message = "alb_access_logs_bucket must be an S3 bucket name."
  }
}

variable "alb_access_logs_retention_days" {
  type        = number
  description = "Days the stack-created access log bucket keeps log objects."
  default     = 90

  validation {
    condition     = var.alb_access_logs_retention_days >= 1 && var.alb_access_logs_retention_days <= 3650
    error_message = "alb_access_logs_retention_days must be from 1 to 3650."
  }
}

variable "waf_web_acl_arn" {
  type        = string
  description = "ARN of an existing regional WAFv2 web ACL to associate with the ALB. Default (null): none."
  default     = null

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$", var.waf_web_acl_arn))
    error_message = "waf_web_acl_arn must be a regional WAFv2 web ACL ARN."
  }
}

variable "deregistration_delay_seconds" {
  type        = number
  description = "Seconds the ALB keeps in-flight requests to a deregistering target before closing them."
  default     = 30

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600
    error_message = "deregistration_delay_seconds must be from 0 to 3600."
  }
}

variable "health_check" {
  type = object({
    interval_seconds    = optional(number, 10)
    timeout_seconds     = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 2)
    matcher             = optional(string, "200")
  })
  description = "Target group health check of app_health_check_path. With the defaults a draining host leaves the ALB's rotation within about 20 seconds."
  default     = {}

  validation {
    condition     = var.health_check.interval_seconds >= 5 && var.health_check.interval_seconds <= 300 && var.health_check.timeout_seconds >= 2 && var.health_check.timeout_seconds < var.health_check.interval_seconds
    error_message = "health_check.interval_seconds must be 5-300 and timeout_seconds 2 or more and below the interval."
  }

  validation {
    condition     = var.health_check.healthy_threshold >= 2 && var.health_check.healthy_threshold <= 10 && var.health_check.unhealthy_threshold >= 2 && var.health_check.unhealthy_threshold <= 10
    error_message = "health_check thresholds must be from 2 to 10."
  }

  validation {
    condition     = can(regex("^[0-9]{3}([,-][0-9]{3})*$", var.health_check.matcher))
    error_message = "health_check.matcher must be HTTP codes such as 200, 200,204 or 200-299."
  }
}

# ---------------------------------------------------------------------------
# Postgres (RDS)
# ---------------------------------------------------------------------------

variable "db_engine_version" {
  type        = string
  description = "PostgreSQL version: a major version (\"17\": RDS picks the current minor and upgrades minors automatically) or major.minor."
  default     = "17"

  validation {
    condition     = can(regex("^1[3-9](\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be a PostgreSQL major (13-19) or major.minor version, e.g. 17 or 16.6."
  }
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."
  default     = "db.t4g.small"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must look like db.t4g.small or db.m7g.large."
  }
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "Initial gp3 storage of the database, in GiB."
  default     = 20

  validation {
    condition     = var.db_allocated_storage_gb >= 20 && var.db_allocated_storage_gb <= 65536
    error_message = "db_allocated_storage_gb must be from 20 to 65536."
  }
}

variable "db_max_allocated_storage_gb" {
  type        = number
  description = "Ceiling for RDS storage autoscaling, in GiB (0 disables autoscaling)."
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage_gb == 0 || (var.db_max_allocated_storage_gb >= var.db_allocated_storage_gb && var.db_max_allocated_storage_gb <= 65536)
    error_message = "db_max_allocated_storage_gb must be 0 or from db_allocated_storage_gb to 65536."
  }
}

variable "db_name" {
  type        = string
  description = "Name of the app's database, created by RDS with the instance (palin-inventory variable palin_postgres_db_name)."
  default     = "palindromes"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name)) && !contains(["postgres", "rdsadmin", "template0", "template1"], var.db_name)
    error_message = "db_name must be a lowercase PostgreSQL identifier (letter first, then letters, digits, underscores; at most 63) and not a reserved database name."
  }
}

variable "db_username" {
  type        = string
  description = "Master user name of the database (palin-inventory variable palin_postgres_username). The app should use its own, less privileged users."
  default     = "palin_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_username)) && !contains(["rdsadmin", "rdsrepladmin", "rds_superuser"], var.db_username)
    error_message = "db_username must be a lowercase PostgreSQL identifier and not an RDS-reserved name."
  }
}

variable "db_manage_master_password" {
  type        = bool
  description = "true: RDS generates the master password and keeps (and rotates) it in AWS Secrets Manager (output db_master_user_secret_arn); it never enters the Terraform state. false: Terraform generates it (random_password), it is stored in the state and exposed as the sensitive output db_password."
  default     = true
}

variable "db_multi_az" {
  type        = bool
  description = "Run the database with a synchronous standby in another AZ."
  default     = true
}

variable "db_deletion_protection" {
  type        = bool
  description = "Protect the database from deletion (turn off before terraform destroy)."
  default     = true
}

variable "db_backup_retention_days" {
  type        = number
  description = "Days of automated backups (point-in-time recovery window)."
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be from 1 to 35."
  }
}

variable "db_skip_final_snapshot" {
  type        = bool
  description = "Skip the final snapshot when the database is destroyed (only for throwaway environments)."
  default     = false
}

# ---------------------------------------------------------------------------
# Redis (ElastiCache)
# ---------------------------------------------------------------------------

variable "redis_engine_version" {
  type        = string
  description = "Redis OSS engine version (major.minor, e.g. 7.1)."
  default     = "7.1"

  validation {
    condition     = can(regex("^[67]\\.[0-9]+$", var.redis_engine_version))
    error_message = "redis_engine_version must be a Redis 6 or 7 major.minor version, e.g. 7.1."
  }
}

variable "redis_node_type" {
  type        = string
  description = "ElastiCache node type."
  default     = "cache.t4g.small"

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.redis_node_type))
    error_message = "redis_node_type must look like cache.t4g.small."
  }
}

variable "redis_num_cache_clusters" {
  type        = number
  description = "Nodes in the replication group: 1 primary plus replicas. 2 or more enables automatic failover and Multi-AZ."
  default     = 2

  validation {
    condition     = var.redis_num_cache_clusters >= 1 && var.redis_num_cache_clusters <= 6 && floor(var.redis_num_cache_clusters) == var.redis_num_cache_clusters
    error_message = "redis_num_cache_clusters must be a whole number from 1 to 6."
  }
}

variable "redis_snapshot_retention_days" {
  type        = number
  description = "Days of automatic Redis snapshots (0 disables them)."
  default     = 7

  validation {
    condition     = var.redis_snapshot_retention_days >= 0 && var.redis_snapshot_retention_days <= 35
    error_message = "redis_snapshot_retention_days must be from 0 to 35."
  }
}

# ---------------------------------------------------------------------------
# Registry (ECR)
# ---------------------------------------------------------------------------

variable "ecr_repository_name" {
  type        = string
  description = "Name of the app's ECR repository. Default (null): <project>/app."
  default     = null

  validation {
    condition     = var.ecr_repository_name == null || can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be a valid ECR repository name (lowercase, digits, . _ - and / separators)."
  }
}

variable "ecr_keep_images" {
  type        = number
  description = "Number of most recent images the ECR lifecycle policy keeps; older ones are expired."
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 1 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be from 1 to 1000."
  }
}

variable "ecr_untagged_expiry_days" {
  type        = number
  description = "Days after which untagged images (failed or superseded pushes) are expired."
  default     = 7

  validation {
    condition     = var.ecr_untagged_expiry_days >= 1 && var.ecr_untagged_expiry_days <= 365
    error_message = "ecr_untagged_expiry_days must be from 1 to 365."
  }
}
