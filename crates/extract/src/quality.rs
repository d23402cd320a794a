//! Is there a usable text layer, and cutting text at the character limit.

use crate::layout::Line;
use crate::ExtractError;

/// Fewer visible characters per page than this on average means no real text layer.
const MIN_CHARS_PER_PAGE: usize = 20;
/// Under this share of glyphs with a Unicode mapping, what is left is too little to label:
/// the text layer is mostly unmapped glyph ids. Above it the document is extracted, the
/// unmapped glyphs dropped, and the share reported as [`crate::Extracted::mapped_permille`].
const MIN_MAPPED_SHARE: f64 = 0.5;

/// Judges the raw text the parser produced (before cleaning, so unmapped glyphs are still
/// visible): image-only pages and text layers mostly without a Unicode mapping are
/// `NoText`. Returns the share of visible glyphs that are mapped.
pub(crate) fn check_text_layer(raw_pages: &[Vec<Line>]) -> Result<f64, ExtractError> {
    let pages = raw_pages.len().max(1);
    let mut visible = 0usize;
    let mut unmapped = 0usize;
    for ch in raw_pages
        .iter()
        .flatten()
        .flat_map(|line| line.text.chars())
    {
        if ch.is_whitespace() {
            continue;
        }
        visible += 1;
        if is_unmapped(ch) {
            unmapped += 1;
        }
    }
    if visible == 0 {
        return Err(ExtractError::NoText(format!(
            "no text layer on {pages} page(s): image-only or scanned"
        )));
    }
    let mapped_share = (visible - unmapped) as f64 / visible as f64;
    if mapped_share < MIN_MAPPED_SHARE {
        return Err(ExtractError::NoText(format!(
            "{}% of {visible} characters have no Unicode mapping",
            unmapped * 100 / visible
        )));
    }
    let usable = visible - unmapped;
    if usable < MIN_CHARS_PER_PAGE * pages {
        return Err(ExtractError::NoText(format!(
            "only {usable} characters on {pages} page(s): image-only or scanned"
        )));
    }
    Ok(mapped_share)
}

/// NUL, the replacement character, private-use code points and control characters are what
/// a font without a usable Unicode mapping decodes to.
pub(crate) fn is_unmapped(ch: char) -> bool {
    ch == '\u{FFFD}'
        || ch.is_control()
        // Noncharacters: no text holds them (a code that decodes to U+FFFF is no character).
        || matches!(ch, '\u{FDD0}'..='\u{FDEF}')
        || (u32::from(ch) & 0xFFFE) == 0xFFFE
        || matches!(ch, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// Cuts `text` to at most `max_chars` characters, at the last line break when one falls in
/// the final fifth of the allowance, otherwise at a character boundary.
pub(crate) fn truncate(text: String, max_chars: usize) -> (String, bool) {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return (text, false);
    };
    let head = &text[..cut];
    let keep = match head.rfind('\n') {
        Some(line_end) if head[..line_end].chars().count() >= max_chars - max_chars / 5 => line_end,
        _ => cut,
    };
    let mut text = text;
    text.truncate(keep);
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    (text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(texts: &[&str]) -> Vec<Vec<Line>> {
        texts.iter().map(|t| vec![Line::plain(t, 100.0)]).collect()
    }

    #[test]
    fn empty_pages_are_no_text() {
        let err = check_text_layer(&pages(&["", "  \n "])).expect_err("empty");
        assert!(matches!(err, ExtractError::NoText(_)), "{err}");
    }

    #[test]
    fn a_few_characters_per_page_are_no_text() {
        // A scan with a stray page number per page.
        let err = check_text_layer(&pages(&["1", "2", "3"])).expect_err("sparse");
        assert!(matches!(err, ExtractError::NoText(_)), "{err}");
    }

    #[test]
    fn unmapped_glyphs_are_no_text() {
        let garbage = "\u{0}\u{3}\u{11}\u{E012}".repeat(40);
        assert!(matches!(
            check_text_layer(&pages(&[&garbage])),
            Err(ExtractError::NoText(_))
        ));
        let mostly_unmapped = format!("{}{}", "가".repeat(40), "\u{FFFD}".repeat(60));
        assert!(matches!(
            check_text_layer(&pages(&[&mostly_unmapped])),
            Err(ExtractError::NoText(_))
        ));
        // A few glyphs without a mapping (5%) do not turn a readable document away.
        let mostly_fine = format!("{}{}", "가".repeat(95), "\u{FFFD}".repeat(5));
        let share = check_text_layer(&pages(&[&mostly_fine])).expect("mostly mapped");
        assert!((share - 0.95).abs() < 1e-9, "{share}");
    }

    #[test]
    fn real_text_passes() {
        let text = "저는 데이터로 문제를 푸는 일을 좋아합니다. 학부 시절 동아리를 이끌었습니다.";
        assert!(check_text_layer(&pages(&[text, text])).is_ok());
        let with_one_odd_glyph = format!("{text}{text}\u{FFFD}");
        assert!(check_text_layer(&pages(&[&with_one_odd_glyph])).is_ok());
    }

    #[test]
    fn truncation_prefers_a_line_break_near_the_limit() {
        let text = format!("{}\n{}", "가".repeat(90), "나".repeat(50));
        let (cut, truncated) = truncate(text, 100);
        assert!(truncated);
        assert_eq!(cut, "가".repeat(90));
    }

    #[test]
    fn truncation_cuts_at_a_char_boundary_without_a_near_line_break() {
        let text = format!("{}\n{}", "가".repeat(10), "나".repeat(200));
        let (cut, truncated) = truncate(text, 100);
        assert!(truncated);
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with('나'));
    }

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(
            truncate("짧은 글".into(), 100),
            ("짧은 글".to_string(), false)
        );
        assert_eq!(truncate("abc".into(), 3), ("abc".to_string(), false));
    }
}
