//! Scanning JSON text that is known to be valid (serde_json wrote it, or a `RawValue` checked it):
//! where a value, string or object member starts and ends, without building a JSON tree. Used to
//! copy raw host variables ([`crate::hostvars`]) and to mark untrusted strings ([`crate::marks`]).

use std::borrow::Cow;

/// One top-level member of a JSON object text.
#[derive(Debug)]
pub struct Member<'a> {
    /// The key as written, quotes included.
    pub quoted_key: &'a str,
    /// The value's text.
    pub value: &'a str,
    /// `"key":value` as written.
    pub whole: &'a str,
}

impl Member<'_> {
    /// The key, unescaped.
    pub fn key(&self) -> Cow<'_, str> {
        unquote(self.quoted_key)
    }

    /// Whether the key is `key`.
    pub fn key_is(&self, key: &str) -> bool {
        self.key() == key
    }
}

/// The text of a JSON string token (quotes included), unescaped.
pub fn unquote(quoted: &str) -> Cow<'_, str> {
    let inner = &quoted[1..quoted.len() - 1];
    if inner.contains('\\') {
        Cow::Owned(serde_json::from_str(quoted).unwrap_or_default())
    } else {
        Cow::Borrowed(inner)
    }
}

/// The top-level members of `text`, a valid JSON object (as a `RawValue` guarantees).
pub fn members(text: &str) -> impl Iterator<Item = Member<'_>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) == Some(&b'{') {
        i += 1;
    } else {
        i = b.len();
    }
    std::iter::from_fn(move || {
        i = skip_ws(b, i);
        if b.get(i) == Some(&b',') {
            i = skip_ws(b, i + 1);
        }
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let start = i;
        let key_end = string_end(b, i);
        let colon = skip_ws(b, key_end);
        let value_start = skip_ws(b, colon + 1);
        let value_end = value_end(b, value_start);
        i = value_end;
        Some(Member {
            quoted_key: &text[start..key_end],
            value: &text[value_start..value_end],
            whole: &text[start..value_end],
        })
    })
}

/// Index of the first non-whitespace byte at or after `i`.
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// Index just past the string that starts (with its quote) at `i`.
pub fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Index just past the value that starts at `i`.
pub fn value_end(b: &[u8], mut i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0_usize;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = string_end(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            {
                i += 1;
            }
            i
        }
    }
}
