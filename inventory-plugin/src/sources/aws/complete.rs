//! The whole answer or none: an SDK interceptor that refuses a successful (2xx) answer of EC2, RDS
//! or ElastiCache unless its body is a whole XML document whose root is the operation's
//! `<Name>Response`, from its start tag to its end tag.
//!
//! The SDK's XML deserializer reads a document cut short (complete HTTP framing, body ending
//! mid-element, as a proxy or a broken connection can leave it) as if the missing elements were
//! never sent: a `DescribeInstances` page decoded that way is a smaller fleet, and a cut inside a
//! value can even invent a host. Such an answer becomes a response error here, before the retry
//! decision, so the SDK's standard retry mode tries the call again, and a call that keeps getting
//! one fails the run instead of shrinking the inventory. The message names the size and what was
//! wrong, never the content (it may hold tags or other values).

use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};

/// Checks every successful answer of the client it is added to (see the module docs).
#[derive(Debug, Default)]
pub(super) struct CompleteXml;

/// Why an answer was refused.
#[derive(Debug, thiserror::Error)]
#[error("the answer (HTTP {status}, {bytes} bytes) {problem}")]
struct Incomplete {
    status: u16,
    bytes: usize,
    problem: String,
}

impl Intercept for CompleteXml {
    fn name(&self) -> &'static str {
        "palin::CompleteXml"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else {
            return Ok(());
        };
        let status = response.status();
        if !status.is_success() {
            return Ok(());
        }
        // Non-streaming answers are read whole before they are decoded; nothing else to check.
        let Some(body) = response.body().bytes() else {
            return Ok(());
        };
        let root = cfg
            .load::<Metadata>()
            .map(|m| format!("{}Response", m.name()));
        if let Err(problem) = check(body, root.as_deref()) {
            let error = Incomplete {
                status: status.as_u16(),
                bytes: body.len(),
                problem,
            };
            if let Some(result) = context.output_or_error_mut() {
                *result = Err(OrchestratorError::response(Box::new(error)));
            }
        }
        Ok(())
    }
}

/// `Ok` when `body` is a whole XML document: it opens with the root element `root` (any root if
/// `None`) and ends with that element's end tag. A cut anywhere before the end loses the end tag
/// (it comes once, last), whatever the framing said; a body that is not XML, or another document,
/// has no such root. That is all this checks, in constant time: the SDK's own decoder reads
/// every token next and fails on any that is malformed, so tokenising here too would only double
/// the cost of the largest answers (about 10 ms for a page of 1,000 instances).
pub(super) fn check(body: &[u8], root: Option<&str>) -> Result<(), String> {
    let text = body
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(body)
        .trim_ascii();
    let mut rest = text;
    if rest.starts_with(b"<?xml") {
        let end =
            find(rest, b"?>").ok_or_else(|| "ends before the document is complete".to_owned())?;
        rest = rest[end + 2..].trim_ascii_start();
    }
    let name_len = rest
        .strip_prefix(b"<")
        .map(|r| r.iter().take_while(|&&c| is_name_byte(c)).count())
        .filter(|&n| n > 0)
        .ok_or_else(|| "is not an XML document".to_owned())?;
    let name = &rest[1..=name_len];
    let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
    if let Some(want) = root.filter(|want| local != want.as_bytes()) {
        // An element name, not a value: safe to show, and short.
        let got = String::from_utf8_lossy(&local[..local.len().min(64)]).into_owned();
        return Err(format!("is a <{got}> document, not <{want}>"));
    }
    let closed = rest.ends_with(b">")
        && rest[..rest.len() - 1]
            .trim_ascii_end()
            .strip_suffix(name)
            .is_some_and(|before| before.ends_with(b"</"));
    if closed {
        Ok(())
    } else {
        Err("ends before the document is complete".into())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':') || c >= 0x80
}

#[cfg(test)]
mod tests {
    use super::check;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <reservationSet><item><instancesSet><item><instanceId>i-1</instanceId></item></instancesSet></item></reservationSet>
  <empty/>
</DescribeInstancesResponse>"#;

    #[test]
    fn a_whole_document_passes() {
        assert_eq!(
            check(DOC.as_bytes(), Some("DescribeInstancesResponse")),
            Ok(())
        );
        assert_eq!(check(DOC.as_bytes(), None), Ok(()));
    }

    #[test]
    fn every_cut_is_refused() {
        for cut in 1..DOC.trim_end().len() {
            if !DOC.is_char_boundary(cut) {
                continue;
            }
            let err = check(&DOC.as_bytes()[..cut], Some("DescribeInstancesResponse"))
                .expect_err("a cut document must be refused");
            assert!(!err.contains("i-1"), "{err}");
        }
    }

    #[test]
    fn other_documents_and_garbage_are_refused_without_their_content() {
        let other = check(
            b"<Foo><secret>x</secret></Foo>",
            Some("DescribeInstancesResponse"),
        );
        assert_eq!(
            other,
            Err("is a <Foo> document, not <DescribeInstancesResponse>".into())
        );
        for junk in [
            &b"SECRET-VALUE not xml"[..],
            b"",
            b"{\"a\": 1}",
            b"<a></a><b/>",
            b"\xff\xfe",
        ] {
            let err = check(junk, None).expect_err("junk");
            assert!(!err.contains("SECRET"), "{err}");
        }
    }
}
