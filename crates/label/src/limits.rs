//! Length limits read from question text: `(700자)`, `(1,000자 이내)`, `700자 이내`,
//! `(띄어쓰기 포함 500자)`, `최대 1000 bytes`, `[공백 제외 1,500자]`, `(500자 이상 1,000자 이내)`.

use std::sync::LazyLock;

use narratix_domain::{LengthLimit, LengthUnit, Spaces};
use regex::Regex;

/// A count and its unit: `1,000자`, `700 자`, `1500bytes`, `2,000 Byte`, `500글자`.
static COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d{1,3}(?:,\d{3})+|\d{1,5})\s*(글자|자|bytes?|바이트|characters?|chars?)")
        .expect("static regex")
});
/// Words after `N자` that make it something else than a count: `2자리`, `3자격`, `1자녀`.
static NOT_A_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:리|격|녀|세|신|기|료|원|동|택|회|체|산|본|연|유)").expect("static regex")
});
static INCLUDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:공백|띄어\s*쓰기|스페이스)\s*(?:포함|허용)").expect("static regex")
});
static EXCLUDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:공백|띄어\s*쓰기|스페이스)\s*(?:제외|미포함|불포함)").expect("static regex")
});
/// Words that say a count is a limit, in the same bracket or right after it.
static LIMIT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"이내|이하|내외|까지|미만|제한|최대|분량|글자\s*수|자수|~|〜|－|-")
        .expect("static regex")
});

/// The length limit a question states, if any. When it states a range (`500자 이상 1,000자
/// 이내`, `500~700자`) the limit is its upper end. A count in the question's prose (`3가지`,
/// `두 자리`) is not one: the count must be in brackets, at the end of the question or
/// next to a limit word.
pub fn parse_limit(question: &str) -> Option<LengthLimit> {
    let mut best: Option<(u32, LengthUnit, usize, usize)> = None;
    for caps in COUNT.captures_iter(question) {
        let (Some(whole), Some(number), Some(unit)) = (caps.get(0), caps.get(1), caps.get(2))
        else {
            continue;
        };
        let after = &question[whole.end()..];
        let unit_text = unit.as_str();
        if unit_text == "자" && NOT_A_COUNT.is_match(after) {
            continue;
        }
        let Ok(max) = number.as_str().replace(',', "").parse::<u32>() else {
            continue;
        };
        if max == 0 {
            continue;
        }
        let (start, end) = mark_around(question, whole.start(), whole.end());
        let mark = &question[start..end];
        let bracketed = mark.starts_with(['(', '[', '（', '［', '【', '<', '〈']);
        let rest = EXCLUDED.replace_all(&question[end..], "");
        let rest = INCLUDED.replace_all(&rest, "");
        let at_end = rest
            .chars()
            .all(|c| c.is_whitespace() || "()[]（）［］.".contains(c));
        if !(bracketed || at_end || LIMIT_WORD.is_match(mark)) {
            continue;
        }
        let unit = if unit_text.chars().all(|c| c.is_ascii_alphabetic()) {
            if unit_text.to_ascii_lowercase().starts_with('b') {
                LengthUnit::Bytes
            } else {
                LengthUnit::Chars
            }
        } else if unit_text == "바이트" {
            LengthUnit::Bytes
        } else {
            LengthUnit::Chars
        };
        // Several counts: the last one of the largest value (the upper end of a range).
        if best.is_none_or(|(kept, ..)| max >= kept) {
            best = Some((max, unit, start, end));
        }
    }
    let (max, unit, start, end) = best?;
    let mark = question[start..end].trim().to_owned();
    let spaces = if EXCLUDED.is_match(&mark) {
        Spaces::Excluded
    } else if INCLUDED.is_match(&mark) {
        Spaces::Included
    } else {
        // `(공백 포함)` after the count, outside its bracket: look at the whole question's tail.
        let tail = &question[start..];
        if EXCLUDED.is_match(tail) {
            Spaces::Excluded
        } else if INCLUDED.is_match(tail) {
            Spaces::Included
        } else {
            Spaces::Unstated
        }
    };
    Some(LengthLimit {
        max,
        unit,
        spaces,
        text: mark,
    })
}

/// The mark a count belongs to: its enclosing bracket when it is in one, else the count with
/// the limit words around it (`최대 700자 이내`).
fn mark_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    let open = text[..start].rfind(['(', '[', '（', '［', '【', '<', '〈']);
    let close_before = text[..start].rfind([')', ']', '）', '］', '】', '>', '〉']);
    if let Some(open) = open.filter(|o| close_before.is_none_or(|c| c < *o)) {
        if let Some(close) = text[end..].find([')', ']', '）', '］', '】', '>', '〉']) {
            let close_char = text[end + close..].chars().next().map_or(1, char::len_utf8);
            return (open, end + close + close_char);
        }
    }
    // Unbracketed: extend over the words of limit phrasing on both sides.
    let words_before = [
        "최대",
        "최소",
        "공백 포함",
        "공백 제외",
        "띄어쓰기 포함",
        "띄어쓰기 제외",
        "글자수",
        "분량",
    ];
    let mut from = start;
    loop {
        let before = text[..from].trim_end();
        match words_before.iter().find(|w| before.ends_with(*w)) {
            Some(word) => from = before.len() - word.len(),
            None => break,
        }
    }
    let mut to = end;
    for word in ["이내", "이하", "내외", "까지", "미만", "제한"] {
        let rest = &text[to..];
        let trimmed = rest.trim_start();
        if trimmed.starts_with(word) {
            to += rest.len() - trimmed.len() + word.len();
            break;
        }
    }
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(question: &str) -> Option<(u32, LengthUnit, Spaces, String)> {
        parse_limit(question).map(|l| (l.max, l.unit, l.spaces, l.text))
    }

    #[test]
    fn reads_the_forms_employers_use() {
        use LengthUnit::*;
        use Spaces::*;
        let cases = [
            (
                "1. 지원 동기를 기술하시오. (700자)",
                700,
                Chars,
                Unstated,
                "(700자)",
            ),
            (
                "입사 후 포부 (1,000자 이내)",
                1000,
                Chars,
                Unstated,
                "(1,000자 이내)",
            ),
            (
                "성장과정을 작성하시오. 700자 이내",
                700,
                Chars,
                Unstated,
                "700자 이내",
            ),
            (
                "성격의 장단점 (띄어쓰기 포함 500자)",
                500,
                Chars,
                Included,
                "(띄어쓰기 포함 500자)",
            ),
            (
                "지원 동기 최대 1000 bytes",
                1000,
                Bytes,
                Unstated,
                "최대 1000 bytes",
            ),
            (
                "지원 동기 [공백 제외 1,500자]",
                1500,
                Chars,
                Excluded,
                "[공백 제외 1,500자]",
            ),
            (
                "경험을 쓰시오. (500자 이상 1,000자 이내)",
                1000,
                Chars,
                Unstated,
                "(500자 이상 1,000자 이내)",
            ),
            (
                "(최대 2,000 Byte) 지원 동기",
                2000,
                Bytes,
                Unstated,
                "(최대 2,000 Byte)",
            ),
            (
                "지원 동기 (4000바이트)",
                4000,
                Bytes,
                Unstated,
                "(4000바이트)",
            ),
            (
                "문항 2. 협업 경험 – 500~700자",
                700,
                Chars,
                Unstated,
                "700자",
            ),
            ("성장과정 500자 (공백 포함)", 500, Chars, Included, "500자"),
        ];
        for (question, max, unit, spaces, text) in cases {
            assert_eq!(
                read(question),
                Some((max, unit, spaces, text.to_owned())),
                "{question}"
            );
        }
    }

    #[test]
    fn counts_in_prose_are_not_limits() {
        for question in [
            "본인의 강점 3가지를 작성하시오.",
            "두 자리 숫자로 답하시오.",
            "10자리 코드를 외운 경험이 있습니까?",
            "지원 동기를 기술하시오.",
            "0자",
            "",
        ] {
            assert_eq!(read(question), None, "{question}");
        }
    }
}
