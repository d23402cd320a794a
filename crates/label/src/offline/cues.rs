//! What one line looks like on its own: its numbering, character-limit marks, closing verb and
//! shape. The splitter weighs these cues; nothing here looks at neighbouring lines.

use std::sync::LazyLock;

use regex::Regex;

use super::topics::heading_strength;

/// A title is a question heading when it names a topic outright (`성장과정`, `지원 동기`).
const HEADING_STRENGTH: u8 = 5;
/// Longest topic title.
const MAX_HEADING_CHARS: usize = 20;

/// How a line is numbered. Questions of one document share one style; an answer's own list
/// usually uses another, or restarts at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkerStyle {
    /// `문항 1`, `[문항 1]`, `Q1.`, `질문 2`, `1번 문항`, `Q.`: only questions are numbered so.
    Labeled,
    /// `1.`
    Dot,
    /// `1)`
    Paren,
    /// `(1)`, `⑴`
    Enclosed,
    /// `①`, `❶`, `➀`
    Circled,
    /// `■`, `▶`, `●`, `-` …: no number.
    Bullet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marker {
    pub style: MarkerStyle,
    pub number: Option<u32>,
}

impl Marker {
    pub fn is_labeled(self) -> bool {
        self.style == MarkerStyle::Labeled
    }

    pub fn is_numbered(self) -> bool {
        self.number.is_some()
    }
}

/// The cues of one line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LineCue {
    pub marker: Option<Marker>,
    /// The line is nothing but a limit, a character counter or a page number
    /// (`(500자)`, `0 / 500자`, `(현재 512자)`, `- 2 -`).
    pub meta: bool,
    /// The line ends with a character-limit mark (`(500자)`, `[최대 700자]`, `1,000자 이내`).
    pub limit: bool,
    /// The line ends the way a question instructs the applicant (`…하십시오.`, `…기술해 주세요.`).
    pub directive: bool,
    /// How strongly the line reads as a direct question (`…무엇입니까?`), 0 to 3.
    pub interrogative: f32,
    /// A short topic title such as `성장과정` or `[지원동기]`.
    pub heading: bool,
    /// The line reads as answer prose: declarative sentence endings, several sentences.
    pub prose: bool,
    /// The line ends a sentence or a title: a question does not continue past it.
    pub closed: bool,
    /// Characters of the line's own text (marker and limit mark removed).
    pub text_chars: usize,
    /// The line is only a marker (and perhaps a limit): the question's text follows.
    pub marker_only: bool,
    /// A signature, date or declaration of the kind that ends a form.
    pub closing: bool,
    /// A `label: value` form field (`지원자: 홍길동`).
    pub form_field: bool,
    /// A short title in brackets (`[자기 PR]`), whatever it names.
    pub bracketed_title: bool,
    /// A short line that is not a sentence: it may be a title broken over two lines.
    pub title_fragment: bool,
    /// This title continues on the next line (`입사 후 계획 및` / `포부`); set by the splitter.
    pub heading_wraps: bool,
    /// A line of one to three syllables (`성`, `지 원`, `인 생 관/`): part of a heading set
    /// vertically in a narrow table cell when several follow each other.
    pub vertical_fragment: bool,
    /// The line is quoted as a whole (`“끈기의 힘”`): an answer's own subtitle.
    pub quoted: bool,
    /// A row of a table or list rather than a sentence: cells joined by `|`, a date range,
    /// an e-mail address or a URL.
    pub table_row: bool,
    /// Running text: words, not a table row or letter-spaced cells, with a sentence ending or
    /// long enough to be a wrapped sentence (`prose` is stricter: whole sentences).
    pub running_text: bool,
    /// The first lines of a vertical heading: how many lines it spans (set by the splitter).
    pub vertical_run: usize,
    /// A numbered short title followed by prose (set by the splitter).
    pub numbered_title: bool,
}

static LABELED_NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[\[【<〈《(（]?\s*(?:문항|질문|항목|[Qq]uestion|[Qq])\s*\.?\s*(\d{1,2})\s*번?\s*[\]】>〉》)）]?\s*[.:：)\-–—]?\s*",
    )
    .expect("static regex")
});
static LABELED_BARE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\[【<(]?\s*Q\s*[\]】>)]?\s*[.:：]\s*").expect("static regex"));
static NUMBER_BEON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,2})\s*번\s*(?:문항|질문)?\s*[.:：)]?\s*").expect("static regex")
});
static NUMBER_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})\s*\.\s*").expect("static regex"));
static NUMBER_PAREN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})\s*\)\s*").expect("static regex"));
static NUMBER_ENCLOSED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[(（]\s*(\d{1,2})\s*[)）]\s*").expect("static regex"));
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[■□▶▷►●○◆◇•·※▣◈\-–—]\s*").expect("static regex"));

/// A bracketed limit at the end: `(500자)`, `(공백 포함 1,000자 이내)`, `[최대 700자]`, `(1,500 bytes)`.
static LIMIT_BRACKETED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[(\[【<〈（［]\s*[^()\[\]【】<>〈〉（）［］]*?\d[\d,]*\s*(?:자|[Bb]ytes?|BYTES?|바이트|글자|[Cc]har(?:acter)?s?)[^()\[\]【】<>〈〉（）［］]*[)\]】>〉）］]\s*[.]?\s*$",
    )
    .expect("static regex")
});
/// A form's bracketed limit anywhere in a line, `(600자 이내)`, `[공백 포함 1,000자]`: in an
/// answer, the mark of a question cell read into the answer beside it.
static LIMIT_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[(\[（［]\s*(?:(?:공백|띄어쓰기)\s*(?:포함|제외)\s*|최대\s*)?[1-9][\d,]{2,}\s*(?:자|[Bb]ytes?|바이트)\s*(?:이내|이하|내외)?\s*[)\]）］]",
    )
    .expect("static regex")
});

/// Whether `line` carries a form's length limit anywhere in it.
pub(crate) fn mentions_limit(line: &str) -> bool {
    LIMIT_ANYWHERE.is_match(line)
}

/// An unbracketed limit at the end, with a word that makes it one: `최대 500자`, `1,000자 이내`,
/// `- 500자`, `500자 (공백 포함)`.
static LIMIT_PLAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:(?:[-–—/|:：]|최대|공백\s*(?:포함|제외)|글자\s*수|분량)\s*\d[\d,]*\s*(?:자|[Bb]ytes?|바이트|글자)\s*(?:이내|이하|내외|까지|제한|미만)?|\d[\d,]*\s*(?:자|[Bb]ytes?|바이트|글자)\s*(?:이내|이하|내외|까지|제한|미만))\s*(?:[(\[]\s*공백\s*(?:포함|제외)\s*[)\]])?\s*$",
    )
    .expect("static regex")
});
/// A short line ending in a bare count, `지원동기 500자`.
static LIMIT_BARE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s\d[\d,]*\s*자\s*$").expect("static regex"));

/// Lines made only of counts, separators and limit words: `0 / 500자`, `(현재 512자)`,
/// `글자수 : 512 / 1,000`, `- 2 -`, `1 / 3`.
static META_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[\s\d,./:：|()\[\]【】<>（）［］\-–—~*]|최대|최소|공백|포함|제외|글자\s*수|글자|자수|현재|입력|작성|총|이내|이하|내외|까지|제한|미만|[Bb]ytes?|BYTES?|바이트|자|페이지|[Pp]age|쪽|[Cc]har(?:acter)?s?)+$",
    )
    .expect("static regex")
});

/// The verb at the end of a question: an instruction to the applicant.
static DIRECTIVE_STRONG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:십시오|시오|십시요|하라|할\s*것|바람)\s*[.!]?$").expect("static regex")
});
static DIRECTIVE_SOFT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:주세요|하세요|해요|바랍니다|주시기\s*바랍니다|주시길\s*바랍니다|부탁드립니다)\s*[.!]?$")
        .expect("static regex")
});
/// A question may also end on the verb stem, as table cells do: `…에 대해 기술`.
static DIRECTIVE_STEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:을|를|에\s*대해|에\s*대하여|에\s*관해|에\s*관하여|관련하여|중심으로|위주로|구체적으로|자유롭게|간략히|간단히)\s*(?:기술|서술|작성|기재|설명|소개)(?:하여|해)?\s*$",
    )
    .expect("static regex")
});
/// The rest of an instruction broken over two lines: `…작성해` / `주세요. (700자)`.
static VERB_CONTINUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:주세요|주십시오|주시오|주시기|주시길|보세요|보십시오|바랍니다)")
        .expect("static regex")
});

/// Whether `line` finishes an instruction the line before broke off.
pub(crate) fn finishes_instruction(line: &str) -> bool {
    VERB_CONTINUES.is_match(line.trim_start())
}

/// Verbs of writing and telling: what questions ask the applicant to do.
static WRITING_VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"기술|서술|작성|설명|소개|기재|제시|말씀|적어|써\s*주|쓰시|밝혀|알려|답변|이야기|얘기|묘사|정리|요약|표현|언급|제안|공유|들려|보여|어필|말해|논하|적으|들어\s*주",
    )
    .expect("static regex")
});
static INTERROGATIVE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:니까|나요|인가요|는가|인가|는지요|습니까)\s*\?$").expect("static regex")
});
static INTERROGATIVE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"무엇|어떤|어떻게|어떠한|왜|어디|누구|얼마나|몇").expect("static regex")
});
/// A table cell that asks without a verb: `입사 후 하고 싶은 일은 무엇인지`, `…한 경험과 그 결과`.
static INDIRECT_QUESTION_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:인지|는지|은지|할지|을지|ㄴ지)\s*$").expect("static regex"));
/// Declarative sentence ends of answer prose.
static SENTENCE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:다|요|죠|음|함|니다)[.!]").expect("static regex"));
static ENDS_SENTENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?:[.!?。…]|다|요|죠)["'”’」』)\]]*$"#).expect("static regex"));
/// Dates, seals and the declaration that ends a form.
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\d{4}\s*[년.\-/]\s*\d{1,2}\s*[월.\-/]\s*\d{1,2}\s*일?\.?|.*\(인\)|.*사실과\s*(?:다름|틀림|다르지)\s*(?:이\s*)?없.*|.*사실과\s*다르지\s*않.*|위\s*(?:내용|기재\s*사항|사항)은.*|(?:지원자|작성자|성명)\s*[:：]?\s*\S{2,4}\s*(?:\(인\))?)\s*$",
    )
    .expect("static regex")
});
/// A whole title in brackets: `[자기 PR]`, `【지원동기】`, `<입사 후 포부>`.
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[[^\[\]]+\]|【[^【】]+】|<[^<>]+>|〈[^〈〉]+〉|《[^《》]+》)$")
        .expect("static regex")
});
/// `지원동기 : (주)한빛테크`: a topic title, a colon and a short name.
static COLON_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([^:：]{2,12})\s*[:：]\s*(?:\(주\)|㈜|주식회사)?\s*\S+(?:\s\S+)?(?:\s*\(주\)|㈜)?$",
    )
    .expect("static regex")
});
/// A line quoted as a whole: `“꾸준함의 힘”`, `"다시 한 걸음"`, `「…」`.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:“[^”]*”|"[^"]*"|‘[^’]*’|'[^']*'|「[^」]*」|『[^』]*』)\s*$"#)
        .expect("static regex")
});
/// A table or list row: cells joined by `|`, a date range or a row opening with a date, an
/// e-mail address, a URL.
static TABLE_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*\d{4}\s*[.\-/]\s*\d{1,2}\b|\s\|\s|\d{4}\s*[.\-/년]\s*\d{1,2}\s*(?:월|[.\-/])?\s*(?:\d{1,2}\s*일?)?\s*[~–\-]|[\w.+-]+@[\w-]+\.[\w.]+|https?://|www\.",
    )
    .expect("static regex")
});
/// `지원자: 홍길동`, `지원 분야 : 마케팅`: a form field, not a heading.
static FORM_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^:：]{1,12}[:：]\s*\S").expect("static regex"));

/// Finds the numbering at the start of `line` and the byte offset where its text begins.
pub(crate) fn marker(line: &str) -> Option<(Marker, usize)> {
    let numbered = |re: &Regex, style: MarkerStyle| {
        re.captures(line).and_then(|caps| {
            let whole = caps.get(0)?;
            let number = caps.get(1)?.as_str().parse().ok()?;
            Some((
                Marker {
                    style,
                    number: Some(number),
                },
                whole.end(),
            ))
        })
    };
    if let Some(found) = numbered(&LABELED_NUMBERED, MarkerStyle::Labeled) {
        return Some(found);
    }
    if let Some(m) = LABELED_BARE.find(line) {
        let marker = Marker {
            style: MarkerStyle::Labeled,
            number: None,
        };
        return Some((marker, m.end()));
    }
    if let Some(found) = numbered(&NUMBER_BEON, MarkerStyle::Labeled) {
        return Some(found);
    }
    if let Some((marker, end)) = numbered(&NUMBER_DOT, MarkerStyle::Dot) {
        // `1.5배`, `3.14` are numbers, not numbering.
        let next = line[end..].chars().next();
        if line[..end].ends_with('.') && next.is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        return Some((marker, end));
    }
    if let Some(found) = numbered(&NUMBER_PAREN, MarkerStyle::Paren) {
        return Some(found);
    }
    if let Some(found) = numbered(&NUMBER_ENCLOSED, MarkerStyle::Enclosed) {
        return Some(found);
    }
    let first = line.chars().next()?;
    let code = u32::from(first);
    let (style, number) = match code {
        0x2460..=0x2473 => (MarkerStyle::Circled, Some(code - 0x2460 + 1)),
        0x2776..=0x277F => (MarkerStyle::Circled, Some(code - 0x2776 + 1)),
        0x2780..=0x2789 => (MarkerStyle::Circled, Some(code - 0x2780 + 1)),
        0x2474..=0x2487 => (MarkerStyle::Enclosed, Some(code - 0x2474 + 1)),
        _ => {
            let m = BULLET.find(line)?;
            let marker = Marker {
                style: MarkerStyle::Bullet,
                number: None,
            };
            return Some((marker, m.end()));
        }
    };
    let rest = first.len_utf8();
    let skipped = line[rest..].len() - line[rest..].trim_start_matches([' ', '.', ')']).len();
    Some((Marker { style, number }, rest + skipped))
}

/// Removes a trailing limit mark; returns the rest and whether there was one.
pub(crate) fn strip_limit(text: &str) -> (&str, bool) {
    if let Some(m) = LIMIT_BRACKETED.find(text) {
        return (text[..m.start()].trim_end(), true);
    }
    if let Some(m) = LIMIT_PLAIN.find(text) {
        return (text[..m.start()].trim_end(), true);
    }
    if text.chars().count() <= 60 && !text.contains('.') {
        if let Some(m) = LIMIT_BARE.find(text) {
            return (text[..m.start()].trim_end(), true);
        }
    }
    (text, false)
}

/// Strips brackets, quotes and bullets around a title: `[지원동기]` → `지원동기`.
fn strip_decoration(text: &str) -> &str {
    text.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '[' | ']'
                    | '【'
                    | '】'
                    | '<'
                    | '>'
                    | '〈'
                    | '〉'
                    | '《'
                    | '》'
                    | '"'
                    | '“'
                    | '”'
                    | '\''
                    | '‘'
                    | '’'
                    | '「'
                    | '」'
                    | '『'
                    | '』'
                    | ':'
                    | '：'
            )
    })
}

/// Reads the cues of one whitespace-normalised line.
pub(crate) fn cue(line: &str) -> LineCue {
    let has_digit = line.chars().any(|c| c.is_ascii_digit());
    let meta = has_digit && META_LINE.is_match(line);
    let found = marker(line);
    let rest = match found {
        Some((_, end)) => &line[end..],
        None => line,
    };
    let (body, limit) = strip_limit(rest);
    let text = strip_decoration(body);
    let text_chars = text.chars().count();
    let marker = found.map(|(m, _)| m);
    let marker_only = marker.is_some_and(|m| m.is_numbered() || m.is_labeled()) && text_chars == 0;

    let trimmed = text.trim_end_matches(['"', '”', '\'', '’', ')', ']', '」', '』']);
    let directive = DIRECTIVE_STRONG.is_match(trimmed)
        || (DIRECTIVE_SOFT.is_match(trimmed) && WRITING_VERB.is_match(text))
        || (DIRECTIVE_STEM.is_match(trimmed) && text_chars <= 150);
    let mut interrogative = 0.0;
    if trimmed.ends_with('?') || trimmed.ends_with('？') {
        interrogative += 1.5;
        if INTERROGATIVE_END.is_match(trimmed) {
            interrogative += 1.0;
        }
        if INTERROGATIVE_WORD.is_match(text) {
            interrogative += 0.5;
        }
    } else if INDIRECT_QUESTION_END.is_match(trimmed) && text_chars <= 120 {
        interrogative += 1.5;
    }

    let sentence_ends = SENTENCE_END.find_iter(text).count();
    let ends_sentence = ENDS_SENTENCE.is_match(trimmed);
    let prose = !directive && (sentence_ends >= 2 || (ends_sentence && text_chars > 40));
    // `지원동기 : (주)회사명`: a heading naming the company it is written for.
    let colon_heading = COLON_HEADING.captures(text).is_some_and(|caps| {
        caps.get(1)
            .is_some_and(|title| heading_strength(title.as_str()) >= HEADING_STRENGTH)
    });
    let form_field = FORM_FIELD.is_match(text) && !limit && !colon_heading;
    let short_title = text_chars > 0
        && (text_chars <= MAX_HEADING_CHARS || colon_heading)
        && !ends_sentence
        && !form_field;
    let heading = short_title && (colon_heading || heading_strength(text) >= HEADING_STRENGTH);
    let bracketed_title = short_title && BRACKETED.is_match(body.trim());
    let closing = CLOSING.is_match(line);
    LineCue {
        marker,
        meta,
        limit,
        directive,
        interrogative,
        heading,
        prose,
        closed: ends_sentence || limit || meta,
        text_chars,
        marker_only,
        closing,
        form_field,
        bracketed_title,
        title_fragment: short_title && !meta,
        heading_wraps: false,
        vertical_fragment: is_vertical_fragment(line),
        running_text: prose
            || is_running_text(text, text_chars, sentence_ends, TABLE_ROW.is_match(line)),
        quoted: QUOTED.is_match(line),
        table_row: TABLE_ROW.is_match(line),
        vertical_run: 0,
        numbered_title: false,
    }
}

/// Words of running text: at least 40 characters in words of two or more on average (a
/// letter-spaced table header, `학 교 명 학 과`, is not), with a sentence ending or 80 characters.
fn is_running_text(text: &str, chars: usize, sentence_ends: usize, table_row: bool) -> bool {
    let words = text.split_whitespace().count().max(1);
    let letters = text.chars().filter(|c| !c.is_whitespace()).count();
    !table_row && chars >= 40 && letters >= 2 * words && (sentence_ends >= 1 || chars >= 80)
}

/// One to three Hangul syllables, letter-spaced or not, perhaps with a joining `/` or `·`.
pub(crate) fn is_vertical_fragment(line: &str) -> bool {
    if line.starts_with(['·', '/', ',']) {
        return false;
    }
    let syllables = line.chars().filter(|c| ('가'..='힣').contains(c)).count();
    let other = line
        .chars()
        .filter(|c| {
            !('가'..='힣').contains(c) && !c.is_whitespace() && !matches!(c, '/' | '·' | ',')
        })
        .count();
    (1..=3).contains(&syllables) && other == 0 && line.chars().count() <= 8
}

/// Whether two title fragments together name a topic: `입사 후 계획 및` + `포부`.
pub(crate) fn joined_title_is_heading(first: &str, second: &str) -> bool {
    let first = match marker(first) {
        Some((_, end)) => &first[end..],
        None => first,
    };
    let joined = format!("{} {}", strip_decoration(first), strip_decoration(second));
    joined.chars().count() <= MAX_HEADING_CHARS && heading_strength(&joined) >= HEADING_STRENGTH
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(line: &str) -> Option<(MarkerStyle, Option<u32>, &str)> {
        marker(line).map(|(m, end)| (m.style, m.number, &line[end..]))
    }

    #[test]
    fn reads_question_numbering() {
        use MarkerStyle::*;
        assert_eq!(style("1. 지원 동기"), Some((Dot, Some(1), "지원 동기")));
        assert_eq!(style("2) 성장 과정"), Some((Paren, Some(2), "성장 과정")));
        assert_eq!(style("[문항 3] 포부"), Some((Labeled, Some(3), "포부")));
        assert_eq!(style("문항1. 포부"), Some((Labeled, Some(1), "포부")));
        assert_eq!(style("Q4. 포부"), Some((Labeled, Some(4), "포부")));
        assert_eq!(style("Q. 포부"), Some((Labeled, None, "포부")));
        assert_eq!(style("【질문 2】"), Some((Labeled, Some(2), "")));
        assert_eq!(style("(3) 포부"), Some((Enclosed, Some(3), "포부")));
        assert_eq!(style("② 포부"), Some((Circled, Some(2), "포부")));
        assert_eq!(style("1번 문항. 포부"), Some((Labeled, Some(1), "포부")));
        assert_eq!(style("■ 지원동기"), Some((Bullet, None, "지원동기")));
        assert_eq!(style("1.5배 성장했습니다."), None);
        assert_eq!(style("질문을 받았을 때"), None);
        assert_eq!(style("저는 1. 같은"), None);
    }

    #[test]
    fn reads_limit_marks() {
        for line in [
            "지원 동기를 기술하시오. (500자)",
            "지원 동기를 기술하시오 (공백 포함 1,000자 이내)",
            "지원 동기를 기술하시오. [최대 700자]",
            "지원 동기를 기술하시오. 최대 500자",
            "지원 동기를 기술하시오. 1,000자 이내",
            "지원 동기 (1,500 bytes)",
            "지원동기 500자",
        ] {
            assert!(strip_limit(line).1, "{line}");
        }
        assert!(!strip_limit("보고서를 500자로 요약했습니다.").1);
        assert!(
            !strip_limit("저는 1,000자가 넘는 글을 쓰며 배운 점이 많은 사람입니다. 그래서 500자").1
        );
    }

    #[test]
    fn recognises_meta_lines() {
        for line in [
            "(500자)",
            "0 / 500자",
            "(현재 512자)",
            "글자수 : 512 / 1,000",
            "- 2 -",
            "1 / 3",
            "[최대 700자]",
            "공백 포함 1,000자 이내",
        ] {
            assert!(cue(line).meta, "{line}");
        }
        assert!(!cue("500명의 고객을 만났습니다.").meta);
        assert!(!cue("자기소개서").meta);
    }

    #[test]
    fn tells_questions_from_prose() {
        let q = cue("1. 지원 동기를 구체적으로 기술해 주십시오. (500자)");
        assert!(q.directive && q.limit && !q.prose);
        let q = cue("당신이 가장 중요하게 생각하는 가치는 무엇입니까?");
        assert!(q.interrogative >= 2.0);
        let a = cue("저는 어린 시절부터 책임감이 강했습니다. 그래서 항상 앞장섰습니다.");
        assert!(a.prose && !a.directive);
        let a = cue("앞으로 귀사에서 함께 성장하기를 바랍니다.");
        assert!(!a.directive, "{a:?}");
        let h = cue("[성장과정]");
        assert!(h.heading && h.bracketed_title);
        let h = cue("[자기 PR]");
        assert!(!h.heading && h.bracketed_title);
        assert!(!cue("[참고] 이 문서는 2쪽입니다.").bracketed_title);
        assert!(cue("지원자: 홍길동").form_field);
        assert!(!cue("지원 분야: 마케팅").heading);
        assert!(cue("2024년 3월 1일").closing);
        assert!(cue("위 내용은 사실과 다름없음을 확인합니다.").closing);
    }
}
