# An internet-facing ALB: HTTP only redirects to HTTPS, HTTPS forwards to the app
# target group, and the app's deploy endpoints answer a fixed 404 at the edge.

locals {
  certificate_arn = var.certificate_arn != null ? var.certificate_arn : aws_acm_certificate_validation.this[0].certificate_arn

  # Every deploy path and everything below it ("/deploy/drain", "/deploy/drain/*").
  # ALB path patterns are case-sensitive and match the raw (undecoded) path; a
  # rule holds at most 5 values, so two paths (4 patterns) go in each rule.
  deploy_path_rules = {
    for i, paths in chunklist(var.deploy_paths, 2) :
    format("%02d", i) => flatten([for p in paths : [p, "${p}/*"]])
  }
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:No web ACL is created here; one associated through waf_web_acl_arn is configured (with AWSManagedRulesKnownBadInputsRuleSet) by its owner.
  #checkov:skip=CKV2_AWS_28:WAF is optional and costs per rule and request: set waf_web_acl_arn to associate a web ACL (aws_wafv2_web_acl_association.this).
  name                       = var.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [var.security_group_id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  enable_http2               = true
  idle_timeout               = 60

  dynamic "access_logs" {
    for_each = var.access_logs_enabled ? [1] : []

    content {
      # The ALB checks that it may write to the bucket: the id output of
      # module.access_logs_bucket waits for the bucket policy.
      bucket  = local.access_logs_bucket
      prefix  = var.name
      enabled = true
    }
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_lb_target_group" "app" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; targets are private hosts reachable only from the ALB's security group, and the app speaks plain HTTP on app_port.
  name                 = "${var.name}-app"
  port                 = var.app_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    enabled             = true
    path                = var.health_check_path
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = var.health_check.matcher
    interval            = var.health_check.interval_seconds
    timeout             = var.health_check.timeout_seconds
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-http" })
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }

  tags = merge(var.tags, { Name = "${var.name}-https" })
}

# The deploy endpoints are for the deploy tooling inside the VPC (it calls the
# hosts directly on app_port); from the internet they do not exist.
resource "aws_lb_listener_rule" "hide_deploy_paths" {
  for_each = local.deploy_path_rules

  listener_arn = aws_lb_listener.https.arn
  priority     = 1 + tonumber(each.key)

  action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "Not Found"
      status_code  = "404"
    }
  }

  condition {
    path_pattern {
      values = each.value
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-hide-deploy-${each.key}" })
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf_web_acl_arn != null ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}
