/// Longest cause an error carries; operators read it in one line of the console.
const MAX_CAUSE_CHARS: usize = 240;

/// Collapses any text into one trimmed line of at most 240 characters, for error causes and
/// log fields. Control characters and line breaks become spaces.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CAUSE_CHARS * 4));
    let mut chars = 0;
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_whitespace() || ch.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            if chars + 1 >= MAX_CAUSE_CHARS {
                break;
            }
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        if chars >= MAX_CAUSE_CHARS {
            out.push('…');
            break;
        }
        out.push(ch);
        chars += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn collapses_lines_and_controls() {
        assert_eq!(one_line("  a\nb\t\u{0}c  "), "a b c");
    }

    #[test]
    fn caps_length() {
        let long = "가".repeat(1000);
        let line = one_line(&long);
        assert!(line.chars().count() <= 241);
        assert!(line.ends_with('…'));
    }
}
