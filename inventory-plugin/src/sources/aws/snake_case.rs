//! Ansible's snake-casing of AWS API keys (`camel_dict_to_snake_dict`'s `_camel_to_snake`), ported
//! rule by rule so that every key of an instance's variables is spelled as the aws_ec2 plugin
//! spells it. Pure; `ec2_vars` is its one user.

/// `_camel_to_snake(name)` (not reversible) of ansible.module_utils.common.dict_transformations,
/// which `camel_dict_to_snake_dict` applies to every key: a trailing pluralised acronym of three or
/// more capitals becomes one word (`TargetGroupARNs` → `target_group_arns`), then `_` goes before
/// every capital that starts a lower-case word (`(.)([A-Z][a-z]+)`) and before every run of
/// capitals after a lower-case letter or digit (`([a-z0-9])([A-Z]+)`), then all is lower-cased.
pub fn camel_to_snake(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    // `[A-Z]{3,}s$` → `_` + lower-case; the `_` is dropped at the very start.
    if let Some((&'s', head)) = chars.split_last() {
        let run = head
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_uppercase())
            .count();
        if run >= 3 {
            let start = head.len() - run;
            let tail: Vec<char> = chars[start..]
                .iter()
                .map(char::to_ascii_lowercase)
                .collect();
            chars.truncate(start);
            if start > 0 {
                chars.push('_');
            }
            chars.extend(tail);
        }
    }
    // `(.)([A-Z][a-z]+)` → `\1_\2`
    let chars = underscore_matches(&chars, |s| {
        let ok =
            s.len() >= 3 && s[0] != '\n' && s[1].is_ascii_uppercase() && s[2].is_ascii_lowercase();
        ok.then(|| 3 + s[3..].iter().take_while(|c| c.is_ascii_lowercase()).count())
    });
    // `([a-z0-9])([A-Z]+)` → `\1_\2`
    let chars = underscore_matches(&chars, |s| {
        let ok = s.len() >= 2
            && (s[0].is_ascii_lowercase() || s[0].is_ascii_digit())
            && s[1].is_ascii_uppercase();
        ok.then(|| 2 + s[2..].iter().take_while(|c| c.is_ascii_uppercase()).count())
    });
    chars.into_iter().collect::<String>().to_lowercase()
}

/// `re.sub(pattern, r"\1_\2", s)` for a pattern of one character then a group: `len_at(&s[i..])`
/// is the length of the match starting at `i`, if any; matches do not overlap, left to right.
fn underscore_matches(s: &[char], len_at: impl Fn(&[char]) -> Option<usize>) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len() + 4);
    let mut i = 0;
    while i < s.len() {
        if let Some(len) = len_at(&s[i..]) {
            out.push(s[i]);
            out.push('_');
            out.extend_from_slice(&s[i + 1..i + len]);
            i += len;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_keys_follow_ansibles_rules() {
        // Expected values printed by ansible-core 2.19's `_camel_to_snake`.
        for (camel, snake) in [
            ("InstanceId", "instance_id"),
            ("Ipv6Address", "ipv6_address"),
            ("EbsOptimized", "ebs_optimized"),
            ("IamInstanceProfile", "iam_instance_profile"),
            ("EnaSupport", "ena_support"),
            ("SriovNetSupport", "sriov_net_support"),
            ("HttpProtocolIpv6", "http_protocol_ipv6"),
            ("Ipv4Prefixes", "ipv4_prefixes"),
            ("IsPrimaryIpv6", "is_primary_ipv6"),
            (
                "EnableResourceNameDnsARecord",
                "enable_resource_name_dns_a_record",
            ),
            (
                "EnableResourceNameDnsAAAARecord",
                "enable_resource_name_dns_aaaa_record",
            ),
            ("DBInstanceIdentifier", "db_instance_identifier"),
            ("TargetGroupARNs", "target_group_arns"),
            ("ARNs", "arns"),
            ("IPAddress", "ip_address"),
            ("Ipv6CIDRBlocks", "ipv6_cidr_blocks"),
            ("EnableDns64", "enable_dns64"),
            ("ApiGatewayV2Exclusion", "api_gateway_v2_exclusion"),
            ("CertificateS3BucketName", "certificate_s3_bucket_name"),
            ("Igmpv2Support", "igmpv2_support"),
            ("Code", "code"),
        ] {
            assert_eq!(camel_to_snake(camel), snake, "{camel}");
        }
    }
}
