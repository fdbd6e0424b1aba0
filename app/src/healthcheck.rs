//! `palindrome healthcheck`: one plain HTTP/1.0 GET of `/health` on the local port, for a
//! Docker HEALTHCHECK in an image without curl. The status-line check is pure.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Whether an HTTP response starts with a 200 status line.
pub fn is_ok_response(head: &[u8]) -> bool {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut parts = line.split(|b| *b == b' ');
    matches!(parts.next(), Some(v) if v.starts_with(b"HTTP/1.")) && parts.next() == Some(b"200")
}

/// Where to reach the server listening on `bind`: loopback for a wildcard address.
pub fn target(bind: IpAddr, port: u16) -> SocketAddr {
    let ip = if bind.is_unspecified() {
        match bind {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        }
    } else {
        bind
    };
    SocketAddr::new(ip, port)
}

/// GETs /health at `addr`; true on 200.
pub fn probe(addr: SocketAddr, timeout: Duration) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        match stream.read(&mut head[len..])? {
            0 => break,
            n => len += n,
        }
    }
    Ok(is_ok_response(&head[..len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert!(is_ok_response(b"HTTP/1.1 200 OK\r\n"));
        assert!(is_ok_response(b"HTTP/1.0 200 OK\r\ncontent-length: 2"));
        assert!(!is_ok_response(b"HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(!is_ok_response(b"HTTP/1.1 2000\r\n"));
        assert!(!is_ok_response(b""));
        assert!(!is_ok_response(b"SSH-2.0 200"));
    }

    #[test]
    fn wildcard_binds_are_probed_on_loopback() {
        assert_eq!(
            target("0.0.0.0".parse().expect("ip"), 5000),
            "127.0.0.1:5000".parse().expect("addr")
        );
        assert_eq!(
            target("::".parse().expect("ip"), 5000),
            "[::1]:5000".parse().expect("addr")
        );
        assert_eq!(
            target("10.0.0.5".parse().expect("ip"), 80),
            "10.0.0.5:80".parse().expect("addr")
        );
    }
}
