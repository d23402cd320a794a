//! Length limits of questions and the lengths of answers, counted the ways job sites count.

use serde::{Deserialize, Serialize};

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LengthUnit {
    /// Characters (`자`, `글자`, `characters`).
    Chars,
    /// Bytes (`bytes`, `바이트`), counted as Korean job sites do: 2 per Hangul or other
    /// non-ASCII character, 1 per ASCII character.
    Bytes,
}

/// Whether the limit counts spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Spaces {
    /// `공백 포함`, `띄어쓰기 포함`.
    Included,
    /// `공백 제외`, `띄어쓰기 제외`.
    Excluded,
    /// Not said: counted with spaces, as job sites' counters do by default.
    Unstated,
}

/// A length limit stated in a question: `(700자)`, `(공백 포함 1,000자 이내)`, `최대 1000 bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LengthLimit {
    pub max: u32,
    pub unit: LengthUnit,
    pub spaces: Spaces,
    /// The mark as written in the question.
    pub text: String,
}

/// An answer's length, counted both ways (and in bytes when its question counts bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerLength {
    /// Characters, spaces included; a paragraph break counts as one.
    pub chars: u32,
    /// Characters without any whitespace.
    pub chars_without_spaces: u32,
    /// Bytes as [`LengthUnit::Bytes`] counts them; present when the limit is in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u32>,
}

impl AnswerLength {
    /// Counts `answer` (paragraphs joined by `\n`) for `limit`.
    pub fn of(answer: &str, limit: Option<&LengthLimit>) -> AnswerLength {
        let mut chars = 0u32;
        let mut without = 0u32;
        let mut bytes = 0u32;
        for c in answer.chars() {
            chars = chars.saturating_add(1);
            if !c.is_whitespace() {
                without = without.saturating_add(1);
            }
            bytes = bytes.saturating_add(if c.is_ascii() { 1 } else { 2 });
        }
        AnswerLength {
            chars,
            chars_without_spaces: without,
            bytes: limit.filter(|l| l.unit == LengthUnit::Bytes).map(|_| bytes),
        }
    }

    /// The count `limit` is about.
    pub fn counted_for(&self, limit: &LengthLimit) -> u32 {
        match (limit.unit, limit.spaces) {
            (LengthUnit::Bytes, _) => self.bytes.unwrap_or(self.chars.saturating_mul(2)),
            (LengthUnit::Chars, Spaces::Excluded) => self.chars_without_spaces,
            (LengthUnit::Chars, _) => self.chars,
        }
    }

    /// Whether the answer is longer than `limit` allows.
    pub fn over(&self, limit: &LengthLimit) -> bool {
        self.counted_for(limit) > limit.max
    }
}

/// `652 chars, 598 without spaces; limit 700자 (with spaces): ok` (or `… OVER`), for the
/// command line and the demo.
pub fn describe_length(length: &AnswerLength, limit: Option<&LengthLimit>, over: bool) -> String {
    let mut out = format!(
        "{} chars, {} without spaces",
        length.chars, length.chars_without_spaces
    );
    if let Some(bytes) = length.bytes {
        out.push_str(&format!(", {bytes} bytes"));
    }
    if let Some(limit) = limit {
        let unit = match limit.unit {
            LengthUnit::Chars => "자",
            LengthUnit::Bytes => " bytes",
        };
        let counted = match (limit.unit, limit.spaces) {
            (LengthUnit::Bytes, _) => "",
            (_, Spaces::Excluded) => " (without spaces)",
            _ => " (with spaces)",
        };
        out.push_str(&format!(
            "; limit {}{unit}{counted}: {}",
            limit.max,
            if over { "OVER" } else { "ok" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(max: u32, unit: LengthUnit, spaces: Spaces) -> LengthLimit {
        LengthLimit {
            max,
            unit,
            spaces,
            text: String::new(),
        }
    }

    #[test]
    fn counts_both_ways_and_bytes_when_asked() {
        let answer = "저는 AI를\n좋아합니다.";
        let chars = AnswerLength::of(answer, None);
        assert_eq!(
            (chars.chars, chars.chars_without_spaces, chars.bytes),
            (13, 11, None)
        );
        let bytes_limit = limit(20, LengthUnit::Bytes, Spaces::Unstated);
        let bytes = AnswerLength::of(answer, Some(&bytes_limit));
        // 저는(4) ' '(1) AI(2) 를(2) \n(1) 좋아합니다(10) .(1)
        assert_eq!(bytes.bytes, Some(21));
        assert!(bytes.over(&bytes_limit));
    }

    #[test]
    fn the_limit_says_what_is_counted() {
        let length = AnswerLength::of("가 나 다 라", None);
        assert!(length.over(&limit(6, LengthUnit::Chars, Spaces::Included)));
        assert!(length.over(&limit(6, LengthUnit::Chars, Spaces::Unstated)));
        assert!(!length.over(&limit(6, LengthUnit::Chars, Spaces::Excluded)));
        assert!(!length.over(&limit(7, LengthUnit::Chars, Spaces::Unstated)));
    }
}
