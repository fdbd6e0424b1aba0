//! The Redis wire protocol, RESP2 (pure): encoding commands and parsing replies from a byte
//! buffer. Only what the app needs; the connection handling lives in `redis`.

/// A reply from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// Bytes that are not valid RESP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed RESP reply: {0}")]
pub struct ProtocolError(&'static str);

/// Replies nested deeper than this are refused (the app never gets nested arrays).
const MAX_DEPTH: usize = 8;
/// Largest bulk string or array accepted (bytes / elements).
const MAX_LEN: usize = 64 * 1024 * 1024;

/// A command as a RESP array of bulk strings.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Parses one reply from the start of `buf`: `Ok(None)` when more bytes are needed, else the
/// reply and how many bytes it used.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ProtocolError> {
    parse_at(buf, 0, 0)
}

fn parse_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Reply, usize)>, ProtocolError> {
    if depth > MAX_DEPTH {
        return Err(ProtocolError("nested too deeply"));
    }
    let Some((line, after)) = line_at(buf, at) else {
        return Ok(None);
    };
    let (&kind, rest) = line.split_first().ok_or(ProtocolError("empty line"))?;
    let text = || String::from_utf8_lossy(rest).into_owned();
    let reply = match kind {
        b'+' => (Reply::Simple(text()), after),
        b'-' => (Reply::Error(text()), after),
        b':' => (Reply::Integer(int(rest)?), after),
        b'$' => {
            let Some(len) = length(rest)? else {
                return Ok(Some((Reply::Bulk(None), after)));
            };
            let end = after + len;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(ProtocolError("bulk string not terminated by CRLF"));
            }
            (Reply::Bulk(Some(buf[after..end].to_vec())), end + 2)
        }
        b'*' => {
            let Some(len) = length(rest)? else {
                return Ok(Some((Reply::Array(None), after)));
            };
            let mut items = Vec::with_capacity(len.min(1024));
            let mut pos = after;
            for _ in 0..len {
                let Some((item, next)) = parse_at(buf, pos, depth + 1)? else {
                    return Ok(None);
                };
                items.push(item);
                pos = next;
            }
            (Reply::Array(Some(items)), pos)
        }
        _ => return Err(ProtocolError("unknown reply type")),
    };
    Ok(Some(reply))
}

/// The line starting at `at` (without CRLF) and the index after its CRLF.
fn line_at(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..end], at + end + 2))
}

fn int(digits: &[u8]) -> Result<i64, ProtocolError> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(ProtocolError("bad integer"))
}

/// A bulk/array length: `None` for -1 (nil).
fn length(digits: &[u8]) -> Result<Option<usize>, ProtocolError> {
    match int(digits)? {
        -1 => Ok(None),
        n => usize::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_LEN)
            .map(Some)
            .ok_or(ProtocolError("bad length")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Reply {
        let (reply, used) = parse(bytes).expect("valid").expect("complete");
        assert_eq!(used, bytes.len());
        reply
    }

    #[test]
    fn encodes_commands_as_bulk_arrays() {
        assert_eq!(encode(&[b"GET", b"k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert_eq!(
            encode(&[b"SET", b"", "é".as_bytes()]),
            "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\né\r\n".as_bytes()
        );
    }

    #[test]
    fn parses_every_reply_kind() {
        assert_eq!(one(b"+OK\r\n"), Reply::Simple("OK".into()));
        assert_eq!(
            one(b"-WRONGPASS invalid\r\n"),
            Reply::Error("WRONGPASS invalid".into())
        );
        assert_eq!(one(b":-42\r\n"), Reply::Integer(-42));
        assert_eq!(one(b"$-1\r\n"), Reply::Bulk(None));
        assert_eq!(one(b"$0\r\n\r\n"), Reply::Bulk(Some(vec![])));
        assert_eq!(
            one(b"$4\r\na\r\nb\r\n"),
            Reply::Bulk(Some(b"a\r\nb".to_vec()))
        );
        assert_eq!(one(b"*-1\r\n"), Reply::Array(None));
        assert_eq!(
            one(b"*3\r\n$1\r\nx\r\n:1\r\n*0\r\n"),
            Reply::Array(Some(vec![
                Reply::Bulk(Some(b"x".to_vec())),
                Reply::Integer(1),
                Reply::Array(Some(vec![])),
            ]))
        );
    }

    #[test]
    fn incomplete_input_asks_for_more_and_leaves_the_rest() {
        let full = b"*2\r\n$3\r\nabc\r\n$2\r\nde\r\n+NEXT\r\n";
        for cut in 0..full.len() - 7 {
            assert_eq!(parse(&full[..cut]), Ok(None), "cut at {cut}");
        }
        let (_, used) = parse(full).expect("valid").expect("complete");
        assert_eq!(&full[used..], b"+NEXT\r\n");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"?x\r\n").is_err());
        assert!(parse(b":12a\r\n").is_err());
        assert!(parse(b"$-2\r\n").is_err());
        assert!(parse(b"$1\r\nabc\r\n").is_err());
        assert!(parse(b"\r\n").is_err());
        let deep = "*1\r\n".repeat(20);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
