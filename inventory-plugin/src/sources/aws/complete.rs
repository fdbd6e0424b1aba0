//! The whole answer or none: an SDK interceptor that refuses a successful (2xx) answer of EC2, RDS
//! or ElastiCache unless its body is one complete, well-formed XML document whose root is the
//! operation's `<Name>Response`.
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

/// `Ok` when `body` is one complete XML document (whose root element is `root`, if given).
pub(super) fn check(body: &[u8], root: Option<&str>) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "is not UTF-8 text".to_owned())?;
    let mut depth = 0usize;
    let mut roots = 0usize;
    for token in xmlparser::Tokenizer::from(text) {
        let token = token.map_err(|e| {
            format!(
                "is not a complete, well-formed XML document (at {})",
                e.pos()
            )
        })?;
        match token {
            xmlparser::Token::ElementStart { local, .. } => {
                if depth == 0 {
                    roots += 1;
                    if let Some(want) = root.filter(|want| local.as_str() != *want) {
                        let got = local.as_str();
                        // An element name, not a value: safe to show, and short.
                        let got: String = got.chars().take(64).collect();
                        return Err(format!("is a <{got}> document, not <{want}>"));
                    }
                }
                depth += 1;
            }
            xmlparser::Token::ElementEnd { end, .. } => match end {
                xmlparser::ElementEnd::Open => {}
                xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or_else(|| "is not well-formed XML (an end tag too many)".to_owned())?;
                }
            },
            _ => {}
        }
    }
    match (roots, depth) {
        (0, _) => Err("is not an XML document".into()),
        (1, 0) => Ok(()),
        (_, 0) => Err("is not one XML document".into()),
        _ => Err("ends before the document is complete".into()),
    }
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
        let end = DOC.rfind("</DescribeInstancesResponse>").expect("root end");
        for cut in 1..end {
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
