# The HTTPS certificate: an imported/issued one (certificate_arn), or an ACM
# certificate for domain_name validated through DNS records in route53_zone_id.
# With a zone, domain_name also gets an alias record pointing at the ALB.

resource "aws_acm_certificate" "this" {
  count = var.certificate_arn == null ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"
  key_algorithm     = "RSA_2048"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = merge(var.tags, { Name = var.domain_name })

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # Domain name -> its DNS validation record. Known only once the certificate is
  # requested, so it supplies values, never the for_each keys below.
  validation_records = {
    for o in flatten([for c in aws_acm_certificate.this : tolist(c.domain_validation_options)]) :
    o.domain_name => o
  }
}

resource "aws_route53_record" "validation" {
  # Keyed by the configured name (known at plan time), not by the certificate's
  # computed validation options.
  for_each = var.certificate_arn == null ? toset([var.domain_name]) : toset([])

  zone_id         = var.route53_zone_id
  name            = local.validation_records[each.key].resource_record_name
  type            = local.validation_records[each.key].resource_record_type
  records         = [local.validation_records[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = var.certificate_arn == null ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_route53_record" "alias" {
  count = var.domain_name != null && var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}
