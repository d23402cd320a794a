//! The text as the labeler sees it: whitespace-normalised, non-blank lines.

/// Splits `text` into lines with whitespace normalised: runs of whitespace (and control
/// characters) inside a line become one space, lines are trimmed, blank lines are dropped.
/// Indices into this list are what the offline splitter and the model's spans refer to.
pub fn normalized_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(normalize_line)
        .filter(|line| !line.is_empty())
        .collect()
}

/// The lines the labeler works on: [`normalized_lines`], with a question that runs into the
/// start of its answer on one line split from it.
pub fn labeling_lines(text: &str) -> Vec<String> {
    crate::offline::separate_run_in_questions(normalized_lines(text))
}

/// One line with whitespace runs collapsed to single spaces and trimmed.
pub fn normalize_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for word in line.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Keeps whole lines while their characters (not counting line breaks) fit in `max_chars`.
/// Returns whether any line was dropped.
pub fn truncate_to_chars(lines: &mut Vec<String>, max_chars: usize) -> bool {
    let mut used = 0usize;
    let mut keep = 0usize;
    for line in lines.iter() {
        let chars = line.chars().count();
        if used + chars > max_chars {
            break;
        }
        used += chars;
        keep += 1;
    }
    let truncated = keep < lines.len();
    lines.truncate(keep);
    truncated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_whitespace_and_drops_blank_lines() {
        let text = "  1. 지원 동기를\t 쓰시오. \r\n\n\u{a0}\n저는  어릴 적부터\u{3000}꿈이\n";
        assert_eq!(
            normalized_lines(text),
            vec!["1. 지원 동기를 쓰시오.", "저는 어릴 적부터 꿈이"]
        );
    }

    #[test]
    fn truncates_at_a_line_boundary() {
        let mut lines = vec!["가나다".to_owned(), "라마".to_owned(), "바".to_owned()];
        assert!(truncate_to_chars(&mut lines, 5));
        assert_eq!(lines, vec!["가나다", "라마"]);
        assert!(!truncate_to_chars(&mut lines, 5));
    }
}
