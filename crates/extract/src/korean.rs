//! What Korean grammar says about spaces: particles (조사) and endings (어미) attach to the
//! word before them and never start a word of their own. Where a document's geometry cannot
//! tell a break inside a word from one at a space (TeX justifies every line to the margin and
//! drops the glue at either kind of break; CJK-aware typesetters put glue around quotation
//! marks whether or not a space follows), a piece that is one of these attaches.
//!
//! The lists are the standard particles and the common endings of Korean grammar, not
//! words of any document. Single syllables that are also common words of their own (이
//! "this", 가 "edge", 도 "degree", 나 "I", 다 "all", 만 "ten thousand", 고, 과, 서, 기, 지,
//! 자, 인, 요) count only after a closing quotation mark, where Korean attaches what follows;
//! endings that are also common words (하고 "doing", 보다 "more", 이자 "interest", 기도
//! "prayer", 게 "crab") are left out.

/// Particles and endings that are never a word of their own.
const ENDINGS: &[&str] = &[
    // case and topic particles
    "을",
    "를",
    "은",
    "는",
    "의",
    "에",
    "께",
    "께서",
    "에서",
    "에게",
    "에게서",
    "한테",
    "로",
    "으로",
    "로서",
    "으로서",
    "로써",
    "으로써",
    "와",
    "이랑",
    "랑",
    "까지",
    "부터",
    "처럼",
    "마다",
    "조차",
    "마저",
    "밖에",
    "뿐",
    "이나",
    "이든",
    "든지",
    "이든지",
    "이야",
    "이란",
    "란",
    "에는",
    "에도",
    "에서는",
    "에서도",
    "에게는",
    "으로는",
    "로는",
    "와는",
    "과는",
    "와의",
    "과의",
    "으로의",
    "로의",
    "에서의",
    "에의",
    "이며",
    "이고",
    "인데",
    "인가",
    "인지",
    "이라",
    "이라는",
    "라는",
    "이라고",
    "라고",
    "이라며",
    "라며",
    "이라면",
    "이었다",
    "였다",
    "이다",
    "입니다",
    "이었습니다",
    "였습니다",
    "이에요",
    "예요",
    "이죠",
    // verb and adjective endings
    "습니다",
    "니다",
    "었습니다",
    "았습니다",
    "였습니다",
    "겠습니다",
    "지만",
    "는데",
    "은데",
    "면서",
    "으면서",
    "도록",
    "아서",
    "어서",
    "여서",
    "으며",
    "으면",
    "며",
    "면",
    "던",
    "었던",
    "았던",
    "었고",
    "았고",
    "었다",
    "았다",
    "겠다",
    "기에",
    "기로",
    "게도",
    "는지",
    "은지",
    "을지",
    "려고",
    "으려고",
    "라서",
    "이라서",
    "니까",
    "으니까",
    "어야",
    "아야",
    "여야",
    "었으며",
    "았으며",
    "었지만",
    "았지만",
];

/// Pieces that attach after a closing quotation mark ("‘길’이", "”고", "”하고") but are
/// common words elsewhere.
const ENDINGS_AFTER_QUOTES: &[&str] = &[
    "이", "가", "도", "만", "고", "과", "인", "다", "요", "나", "야", "라", "지", "하고", "보다",
    "게",
];

/// Whether `piece` (a word's start, punctuation after it ignored) is a particle or ending
/// that attaches to what comes before it.
pub(crate) fn is_ending(piece: &str) -> bool {
    let bare = bare(piece);
    !bare.is_empty() && ENDINGS.contains(&bare)
}

/// The same after a closing quotation mark, where single-syllable particles attach too.
pub(crate) fn is_ending_after_quote(piece: &str) -> bool {
    let bare = bare(piece);
    is_ending(bare) || ENDINGS_AFTER_QUOTES.contains(&bare)
}

fn bare(piece: &str) -> &str {
    piece.trim_end_matches(|c: char| !crate::clean::is_hangul(c))
}

/// A closing quotation mark or bracket, after which Korean attaches its particles.
pub(crate) fn is_closing_quote(c: char) -> bool {
    matches!(c, '’' | '”' | '」' | '』' | '"' | '\'' | '〉' | '》')
}

/// A middle dot between two words of a list ("구현·검증"): CJK typesetters set it in a
/// quarter-em of glue on either side.
pub(crate) fn is_middle_dot(c: char) -> bool {
    matches!(c, '·' | '・' | '･' | '‧' | 'ㆍ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_attach_and_words_do_not() {
        assert!(is_ending("습니다."));
        assert!(is_ending("을"));
        assert!(is_ending("지만,"));
        assert!(!is_ending("이"));
        assert!(!is_ending("문제를"));
        assert!(!is_ending("수"));
        assert!(!is_ending("하고"));
        assert!(!is_ending("보다"));
        assert!(is_ending_after_quote("이"));
        assert!(is_ending_after_quote("라는"));
        assert!(is_ending_after_quote("보다"));
        assert!(!is_ending_after_quote("말씀하셨습니다."));
    }
}
