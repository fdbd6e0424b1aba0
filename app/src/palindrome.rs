//! The palindrome rule itself (pure): how a phrase is normalised and when it counts as a
//! palindrome, plus the limits on what a phrase may be.

use unicode_normalization::UnicodeNormalization as _;

/// Longest phrase accepted, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 1_000;

/// The result of checking one phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub normalized: String,
    pub is_palindrome: bool,
}

/// Why a phrase cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    #[error("text has no letters or digits")]
    Empty,
    #[error("text is longer than {MAX_TEXT_CHARS} characters")]
    TooLong,
}

/// Lower-cased letters and digits of `text`, with diacritics and compatibility forms folded:
/// the text is decomposed (NFKD: `é` → `e` + U+0301, `ﬁ` → `fi`, fullwidth `１` → `1`), every
/// character lower-cased (Unicode rules) and everything that is not alphanumeric dropped
/// (punctuation, spaces, combining accents).
pub fn normalize(text: &str) -> String {
    text.nfkd()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Checks `text`: a palindrome reads the same backwards once normalised (compared by Unicode
/// scalar value). An empty normalised phrase or one over [`MAX_TEXT_CHARS`] is an error.
pub fn check(text: &str) -> Result<Check, PhraseError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(PhraseError::TooLong);
    }
    let normalized = normalize(text);
    if normalized.is_empty() {
        return Err(PhraseError::Empty);
    }
    let is_palindrome = normalized.chars().eq(normalized.chars().rev());
    Ok(Check {
        normalized,
        is_palindrome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes(text: &str) -> bool {
        check(text).expect("checkable").is_palindrome
    }

    #[test]
    fn punctuation_spaces_and_case_are_ignored() {
        assert!(yes("A man, a plan, a canal: Panama!"));
        assert_eq!(
            normalize("A man, a plan, a canal: Panama!"),
            "amanaplanacanalpanama"
        );
        assert!(yes("Was it a car or a cat I saw?"));
        assert!(yes("No 'x' in Nixon"));
        assert!(!yes("Hello, world"));
        assert!(yes("x"));
    }

    #[test]
    fn digits_count() {
        assert!(yes("12321"));
        assert!(yes("1a-2-A1"));
        assert!(!yes("12 34"));
    }

    #[test]
    fn accents_are_folded_composed_or_not() {
        assert!(yes("Dábale arroz a la zorra el abad"));
        assert!(yes("Ésope reste ici et se repose"));
        // the same word, composed (U+00E9) and decomposed (e + U+0301)
        assert_eq!(normalize("\u{e9}t\u{e9}"), "ete");
        assert_eq!(normalize("e\u{301}te\u{301}"), "ete");
    }

    #[test]
    fn other_scripts_and_compatibility_forms() {
        assert!(yes("Аргентина манит негра")); // Cyrillic
        assert!(yes("ΝΙΨΟΝ ΑΝΟΜΗΜΑΤΑ ΜΗ ΜΟΝΑΝ ΟΨΙΝ")); // Greek, upper case
        assert!(yes("たけやぶやけた")); // Japanese kana
        assert_eq!(normalize("ＡＢ１"), "ab1"); // fullwidth
        assert_eq!(normalize("ﬁ"), "fi"); // ligature
        assert!(yes("İi")); // dotted capital I lower-cases to i + combining dot, dropped
    }

    #[test]
    fn empty_and_too_long_are_errors() {
        assert_eq!(check(""), Err(PhraseError::Empty));
        assert_eq!(check(" ,.!? -- \u{301}"), Err(PhraseError::Empty));
        assert_eq!(
            check(&"a".repeat(MAX_TEXT_CHARS)).map(|c| c.is_palindrome),
            Ok(true)
        );
        assert_eq!(
            check(&"a".repeat(MAX_TEXT_CHARS + 1)),
            Err(PhraseError::TooLong)
        );
        // characters, not bytes
        assert!(check(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
    }
}
