//! File names as users give them: shown back to them only (never a storage key), so a name
//! must not be able to change how the text around it reads.

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    TooLong,
    /// A control character, or a character that reorders text (a bidi override such as
    /// U+202E makes `evil\u{202E}fdp.exe` read as `evilexe.pdf`).
    Unprintable,
}

/// Unicode's explicit directional formatting characters (UAX #9): embeddings, overrides,
/// isolates and the implicit marks.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The name to store and show: trimmed, at most `max_chars` characters, without control or
/// directional formatting characters.
pub fn display_name(raw: &str, max_chars: usize) -> Result<String, NameProblem> {
    let name = raw.trim();
    if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(NameProblem::Unprintable);
    }
    if name.chars().count() > max_chars {
        return Err(NameProblem::TooLong);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_and_spaces_pass_trimmed() {
        assert_eq!(
            display_name("  자기소개서 최종.pdf ", 255),
            Ok("자기소개서 최종.pdf".to_owned())
        );
    }

    #[test]
    fn bidi_overrides_isolates_and_marks_are_refused() {
        for name in [
            "evil\u{202E}fdp.exe.pdf",
            "a\u{202A}b.pdf",
            "a\u{2066}b\u{2069}.pdf",
            "a\u{200F}.pdf",
            "a\u{061C}.pdf",
        ] {
            assert_eq!(
                display_name(name, 255),
                Err(NameProblem::Unprintable),
                "{name:?}"
            );
        }
    }

    #[test]
    fn control_characters_and_long_names_are_refused() {
        assert_eq!(
            display_name("a\u{0007}.pdf", 255),
            Err(NameProblem::Unprintable)
        );
        assert_eq!(display_name("a\nb.pdf", 255), Err(NameProblem::Unprintable));
        assert_eq!(
            display_name(&format!("{}.pdf", "가".repeat(252)), 255),
            Err(NameProblem::TooLong)
        );
        assert!(display_name(&format!("{}.pdf", "가".repeat(251)), 255).is_ok());
    }
}
