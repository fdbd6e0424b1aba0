//! palin-testapp: a tiny static HTTP app (std only) that palin_docker_deploy's tests run in
//! `FROM scratch` images. Its health and deploy endpoints can be told to succeed, fail or hang,
//! at start (environment) or at run time (`POST /control?health=..&deploy=..`).
//!
//! * `GET /` → `200 palin-testapp <VERSION>`
//! * `GET /healthz` → per `HEALTH`: `ok` 200, `fail` 500, `hang` never answers
//!   (`READY_AFTER=<s>` answers 503 until that many seconds after start); `/health` (the path
//!   the palin.aws.palindrome_app role probes) answers the same
//! * `POST|GET /deploy` (the pre-stop gate) → per `DEPLOY`: `ok` 200 `Ready`, `fail` 503, `hang`;
//!   `/deploy/drain` and `/deploy/ready` (the role's gate) answer the same
//! * `POST /control?health=ok|fail|hang&deploy=ok|fail|hang` → 200
//! * `CRASH=1`: log a line and exit 3 at once
//! * `palin-testapp --health`: Docker HEALTHCHECK client, exit 0 iff `/healthz` answers 200

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct State {
    health: String,
    deploy: String,
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn port() -> u16 {
    env("PORT", "8080").parse().unwrap_or(8080)
}

fn health_client() -> i32 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port())) else {
        return 1;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    i32::from(!buf.starts_with("HTTP/1.1 200"))
}

fn respond(mut s: TcpStream, status: &str, body: &str) {
    let text = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(text.as_bytes());
}

fn by_mode(s: TcpStream, mode: &str, ok_body: &str) {
    match mode {
        "ok" => respond(s, "200 OK", ok_body),
        "hang" => {
            std::thread::sleep(Duration::from_hours(1));
            drop(s);
        }
        _ => respond(s, "503 Service Unavailable", "not ready"),
    }
}

fn handle(
    s: TcpStream,
    state: &Arc<Mutex<State>>,
    version: &str,
    started: Instant,
    ready_after: u64,
) {
    let mut reader = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let mut content_length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; content_length.min(65536)];
    let _ = reader.read_exact(&mut body);
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    println!("testapp {version}: {method} {target}");
    let current = state.lock().map_or_else(
        |_| State {
            health: "fail".into(),
            deploy: "fail".into(),
        },
        |g| g.clone(),
    );
    match path {
        "/" => respond(s, "200 OK", &format!("palin-testapp {version}")),
        "/healthz" | "/health" => {
            if started.elapsed() < Duration::from_secs(ready_after) {
                respond(s, "503 Service Unavailable", "starting");
            } else {
                by_mode(s, &current.health, "ok");
            }
        }
        "/deploy" | "/deploy/drain" | "/deploy/ready" => by_mode(s, &current.deploy, "Ready"),
        "/control" if method == "POST" => {
            if let Ok(mut g) = state.lock() {
                for pair in query.split('&') {
                    match pair.split_once('=') {
                        Some(("health", v)) => v.clone_into(&mut g.health),
                        Some(("deploy", v)) => v.clone_into(&mut g.deploy),
                        _ => {}
                    }
                }
                println!(
                    "testapp {version}: control health={} deploy={}",
                    g.health, g.deploy
                );
            }
            respond(s, "200 OK", "ok");
        }
        _ => respond(s, "404 Not Found", "not found"),
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--health") {
        std::process::exit(health_client());
    }
    let version = env("VERSION", "dev");
    if env("CRASH", "0") == "1" {
        println!("testapp {version}: crashing on purpose");
        std::process::exit(3);
    }
    let ready_after: u64 = env("READY_AFTER", "0").parse().unwrap_or(0);
    let state = Arc::new(Mutex::new(State {
        health: env("HEALTH", "ok"),
        deploy: env("DEPLOY", "ok"),
    }));
    let listener = match TcpListener::bind(("0.0.0.0", port())) {
        Ok(l) => l,
        Err(e) => {
            println!("testapp {version}: cannot listen on {}: {e}", port());
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    println!("testapp {version} listening on :{}", port());
    for stream in listener.incoming().flatten() {
        let state = Arc::clone(&state);
        let version = version.clone();
        std::thread::spawn(move || handle(stream, &state, &version, started, ready_after));
    }
}
