//! Request routing (pure): which endpoint a method and a raw, undecoded request path name, and
//! query-string decoding. Paths match exactly and case-sensitively, with no decoding and no
//! trailing-slash folding, because the load balancer hides the deploy paths by the same rules:
//! a path the ALB would let through (`/deploy/Drain`, `/deploy/%64rain`, `/deploy/drain/`)
//! must never reach a deploy endpoint here.

/// An endpoint of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Version,
    CreatePalindrome,
    ListPalindromes,
    Check,
    DeployDrain,
    DeployReady,
}

/// Why no endpoint matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// No such path (404).
    NotFound,
    /// The path exists, the method does not (405, with the `Allow` header).
    MethodNotAllowed { allow: &'static str },
}

pub const HEALTH_PATH: &str = "/health";
pub const DRAIN_PATH: &str = "/deploy/drain";
pub const READY_PATH: &str = "/deploy/ready";

/// Routes `method` on the raw request `path` (without the query string).
pub fn route(method: &str, path: &str) -> Result<Route, Miss> {
    let (allow, by_method): (&'static str, &[(&str, Route)]) = match path {
        HEALTH_PATH => ("GET", &[("GET", Route::Health)]),
        "/version" => ("GET", &[("GET", Route::Version)]),
        "/api/palindromes" => (
            "GET, POST",
            &[
                ("GET", Route::ListPalindromes),
                ("POST", Route::CreatePalindrome),
            ],
        ),
        "/api/check" => ("GET", &[("GET", Route::Check)]),
        DRAIN_PATH => ("POST", &[("POST", Route::DeployDrain)]),
        READY_PATH => ("GET", &[("GET", Route::DeployReady)]),
        _ => return Err(Miss::NotFound),
    };
    by_method
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, r)| *r)
        .ok_or(Miss::MethodNotAllowed { allow })
}

/// A query string that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter {0} is not valid percent-encoded UTF-8")]
pub struct QueryError(pub String);

/// The first value of parameter `name` in `query` (`application/x-www-form-urlencoded`: `+` is
/// a space, `%XX` a byte; the bytes must be UTF-8). `None` when absent.
pub fn query_param(query: Option<&str>, name: &str) -> Result<Option<String>, QueryError> {
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let bad = || QueryError(name.to_owned());
        if form_decode(key).ok_or_else(bad)? == name {
            return form_decode(value).map(Some).ok_or_else(bad);
        }
    }
    Ok(None)
}

fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_route_by_method() {
        assert_eq!(route("GET", "/health"), Ok(Route::Health));
        assert_eq!(route("GET", "/version"), Ok(Route::Version));
        assert_eq!(
            route("POST", "/api/palindromes"),
            Ok(Route::CreatePalindrome)
        );
        assert_eq!(route("GET", "/api/palindromes"), Ok(Route::ListPalindromes));
        assert_eq!(route("GET", "/api/check"), Ok(Route::Check));
        assert_eq!(route("POST", "/deploy/drain"), Ok(Route::DeployDrain));
        assert_eq!(route("GET", "/deploy/ready"), Ok(Route::DeployReady));
    }

    #[test]
    fn other_methods_on_known_paths_are_405() {
        for (method, path, allow) in [
            ("GET", "/deploy/drain", "POST"),
            ("PUT", "/deploy/drain", "POST"),
            ("POST", "/deploy/ready", "GET"),
            ("DELETE", "/deploy/ready", "GET"),
            ("HEAD", "/health", "GET"),
            ("DELETE", "/api/palindromes", "GET, POST"),
            ("get", "/health", "GET"),
        ] {
            assert_eq!(
                route(method, path),
                Err(Miss::MethodNotAllowed { allow }),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn deploy_paths_match_exactly_case_sensitively_and_undecoded() {
        for path in [
            "/deploy/drain/",
            "/deploy/drain/x",
            "/deploy/Drain",
            "/DEPLOY/DRAIN",
            "/deploy/%64rain",
            "/deploy%2Fdrain",
            "//deploy/drain",
            "/deploy/./drain",
            "/deploy/ready/",
            "/deploy/ready.json",
            "/Deploy/ready",
            "/deploy",
            "/deploy/",
            "/health/",
            "/Health",
            "",
            "/",
        ] {
            assert_eq!(route("POST", path), Err(Miss::NotFound), "POST {path}");
            assert_eq!(route("GET", path), Err(Miss::NotFound), "GET {path}");
        }
    }

    #[test]
    fn query_params_are_form_decoded() {
        let q = Some("limit=5&text=A+man%2C%20a+plan&x");
        assert_eq!(query_param(q, "text"), Ok(Some("A man, a plan".into())));
        assert_eq!(query_param(q, "limit"), Ok(Some("5".into())));
        assert_eq!(query_param(q, "x"), Ok(Some(String::new())));
        assert_eq!(query_param(q, "missing"), Ok(None));
        assert_eq!(query_param(None, "text"), Ok(None));
        assert_eq!(
            query_param(Some("text=%C3%A9t%C3%A9"), "text"),
            Ok(Some("été".into()))
        );
        assert_eq!(
            query_param(Some("text=a&text=b"), "text"),
            Ok(Some("a".into()))
        );
        assert!(query_param(Some("text=%ZZ"), "text").is_err());
        assert!(query_param(Some("text=%C3"), "text").is_err());
        assert!(query_param(Some("text=%4"), "text").is_err());
    }
}
