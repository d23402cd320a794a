//! Save-form suggestions read from a letter's text without a model: the company, the
//! position, the year and the half (상반기/하반기) it was written for.
//!
//! Only lines that are not answers are read — the title block, form fields, questions, running
//! headers, the date at the end: an answer that mentions `2023년 하반기 인턴` or another
//! company is about the applicant's past, not about this application.

use std::sync::LazyLock;

use narratix_domain::{Half, Prefill, Suggestion};
use regex::Regex;

/// A labeled form field: `지원 회사 : 세움전자`, `회사명: 한빛테크`.
static COMPANY_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:지원\s*(?:회사|기업|기관|처)|회사\s*명|기업\s*명|기관\s*명)\s*[:：]\s*([^/|,·]+)",
    )
    .expect("static regex")
});
/// A company named with its legal form: `(주)한빛테크`, `㈜한빛`, `주식회사 한빛테크`, `한빛(주)`.
static LEGAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\(주\)|㈜|주식회사)\s*([0-9A-Za-z가-힣&.\-]+(?:\s[A-Za-z]+)?)|([0-9A-Za-z가-힣&.\-]+)\s*(?:\(주\)|㈜)")
        .expect("static regex")
});
/// A recruiting header: `한빛테크 2025년 하반기 신입사원 채용`, `세움전자 입사지원서`.
static RECRUITING_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([0-9A-Za-z가-힣&.\-]{2,20}(?:\s[A-Za-z]{2,10})?)\s+(?:(?:20)?\d{2}\s*년?\s*(?:도\s*)?(?:상반기|하반기)?\s*)?(?:신입\s*사원|신입|경력|인턴|대졸|공개)?\s*(?:채용|공채|입사\s*지원서|지원서)")
        .expect("static regex")
});
/// A question naming the company it is for: `한빛테크에 지원한 동기`, `세움전자를 선택한 이유`.
static COMPANY_IN_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)([0-9A-Za-z가-힣&]{2,15}?)(?:에\s*(?:지원|입사|합류)|(?:을|를)\s*(?:선택|택)한\s*(?:이유|계기|까닭|동기)|의\s*(?:인재상|핵심\s*가치|비전))")
        .expect("static regex")
});
/// Words before `에 지원` that are not a company's name.
const NOT_A_COMPANY: &[&str] = &[
    "당사",
    "회사",
    "우리",
    "본사",
    "귀사",
    "해당",
    "본",
    "저희",
    "공사",
    "공단",
    "기관",
    "은행",
    "당행",
    "본원",
    "직무",
    "분야",
    "부문",
    "업무",
    "업계",
    "산업",
    "포지션",
    "이곳",
    "이",
    "그",
    "여러",
    "많은",
    "다른",
    "타사",
    "팀",
    "직군",
    "본인",
    "자신",
    "지원자",
    "우리회사",
    "병원",
    "재단",
    "연구원",
    "센터",
    "그룹",
    "계열사",
    "이회사",
    "다른회사",
];

/// A labeled position field: `지원 분야: 백엔드 개발`, `지원 직무 : 품질관리`, `희망직무 데이터 분석`.
static POSITION_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:지원\s*(?:분야|직무|부문|직군|직종|포지션)|희망\s*(?:직무|분야|직종|부서)|모집\s*(?:분야|부문|직무)|응시\s*분야)\s*([:：])?\s*([^/|,·:：]+)")
        .expect("static regex")
});
/// Where a field's value ends: the next field's label.
static NEXT_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s(?:지원\s*(?:분야|직무|회사|부문)|지원자|성명|이름|연락처|이메일|E-?mail|생년월일|희망|주소|전화)").expect("static regex")
});
/// A season: `2025년 하반기`, `25년 상반기`, `2025 하반기`, `하반기`.
static SEASON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:((?:19|20)?\d{2})\s*(?:년\s*도?|년도)?\s*)?(상반기|하반기)")
        .expect("static regex")
});
/// A recruiting year without a half: `2025년 신입사원 채용`, `2025 공채`.
static RECRUITING_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"((?:19|20)\d{2})\s*(?:년\s*도?|년도)?\s*(?:신입|공개|정기|대졸|채용|공채|인턴|하계|동계)",
    )
    .expect("static regex")
});
/// A date on its own line (the letter's date): `2025년 3월 2일`, `2025.03.02`, `2025-03-02`.
static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:19|20)\d{2})\s*(?:년|[.\-/])\s*(\d{1,2})\s*(?:월|[.\-/])\s*(\d{1,2})\s*일?\.?\s*$").expect("static regex")
});

/// Longest value kept; a field that runs on is cut at the next label or at this.
const MAX_VALUE_CHARS: usize = 40;
/// Longest line quoted as a suggestion's source.
const MAX_LINE_CHARS: usize = 200;

/// Suggestions from the lines of a letter; `answers` are the ranges of lines that are the
/// applicant's answers, skipped.
pub fn prefill(lines: &[&str], answers: &[std::ops::Range<usize>]) -> Prefill {
    let in_answer = |at: usize| answers.iter().any(|range| range.contains(&at));
    let mut prefill = Prefill::default();
    for (at, line) in lines.iter().enumerate() {
        if in_answer(at) {
            continue;
        }
        offer(&mut prefill.company, company(line), line);
        offer(&mut prefill.position, position(line), line);
        let (year, half) = season(line);
        offer(&mut prefill.year, year, line);
        offer(&mut prefill.half, half, line);
    }
    prefill
}

/// Keeps the more confident suggestion; on a tie the earlier line's.
fn offer<T>(slot: &mut Option<Suggestion<T>>, found: Option<(T, u8)>, line: &str) {
    let Some((value, confidence)) = found else {
        return;
    };
    if slot
        .as_ref()
        .is_some_and(|kept| kept.confidence >= confidence)
    {
        return;
    }
    *slot = Some(Suggestion {
        value,
        line: line.chars().take(MAX_LINE_CHARS).collect(),
        confidence,
    });
}

fn company(line: &str) -> Option<(String, u8)> {
    if let Some(value) = COMPANY_FIELD
        .captures(line)
        .and_then(|caps| caps.get(1))
        .and_then(|m| clean_value(m.as_str()))
    {
        return Some((strip_legal_form(&value), 90));
    }
    if let Some(caps) = LEGAL_FORM.captures(line) {
        let name = caps.get(1).or(caps.get(2)).map(|m| m.as_str().trim());
        if let Some(name) = name.filter(|n| n.chars().count() >= 2) {
            return Some((name.to_owned(), 80));
        }
    }
    if let Some(name) = RECRUITING_HEADER
        .captures(line)
        .and_then(|caps| caps.get(1))
        .map(|m| m.as_str().trim())
        .filter(|name| is_company_name(name))
    {
        return Some((name.to_owned(), 70));
    }
    COMPANY_IN_QUESTION
        .captures_iter(line)
        .filter_map(|caps| caps.get(1))
        .map(|m| m.as_str())
        .find(|name| is_company_name(name))
        .map(|name| (name.to_owned(), 60))
}

fn is_company_name(name: &str) -> bool {
    let compact: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    compact.chars().count() >= 2
        && !NOT_A_COMPANY.contains(&compact.as_str())
        && ![
            "자기소개서",
            "이력서",
            "입사지원서",
            "지원서",
            "신입사원",
            "경력",
        ]
        .contains(&compact.as_str())
}

fn strip_legal_form(name: &str) -> String {
    name.replace("(주)", "")
        .replace('㈜', "")
        .replace("주식회사", "")
        .trim()
        .to_owned()
}

fn position(line: &str) -> Option<(String, u8)> {
    let caps = POSITION_FIELD.captures(line)?;
    let value = clean_value(caps.get(2)?.as_str())?;
    let confidence = if caps.get(1).is_some() { 90 } else { 75 };
    Some((value, confidence))
}

/// A field's value: up to the next field's label, trimmed, not empty, not too long.
fn clean_value(raw: &str) -> Option<String> {
    let raw = match NEXT_FIELD.find(raw) {
        Some(next) => &raw[..next.start()],
        None => raw,
    };
    let value = raw.trim().trim_end_matches(['.', ')', ']']).trim();
    let chars = value.chars().count();
    (2..=MAX_VALUE_CHARS)
        .contains(&chars)
        .then(|| value.to_owned())
}

/// A value read from a line and its confidence.
type Found<T> = Option<(T, u8)>;

fn season(line: &str) -> (Found<u16>, Found<Half>) {
    if let Some(caps) = SEASON.captures(line) {
        let half = match caps.get(2).map(|m| m.as_str()) {
            Some("상반기") => Half::First,
            _ => Half::Second,
        };
        let year = caps
            .get(1)
            .and_then(|m| full_year(m.as_str()))
            .map(|y| (y, 90));
        return (year, Some((half, if year.is_some() { 90 } else { 80 })));
    }
    if let Some(year) = RECRUITING_YEAR
        .captures(line)
        .and_then(|caps| caps.get(1))
        .and_then(|m| full_year(m.as_str()))
    {
        return (Some((year, 80)), None);
    }
    if let Some(caps) = DATE_LINE.captures(line) {
        let year = caps.get(1).and_then(|m| full_year(m.as_str()));
        let month: Option<u8> = caps.get(2).and_then(|m| m.as_str().parse().ok());
        let half = month.filter(|m| (1..=12).contains(m)).map(|m| {
            if m <= 6 {
                (Half::First, 40)
            } else {
                (Half::Second, 40)
            }
        });
        return (year.map(|y| (y, 50)), half);
    }
    (None, None)
}

/// `2025` or `25` → 2025; years outside 1990–2099 are not a recruiting season.
fn full_year(text: &str) -> Option<u16> {
    let number: u16 = text.parse().ok()?;
    let year = if number < 100 { 2000 + number } else { number };
    (1990..=2099).contains(&year).then_some(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, answers: &[std::ops::Range<usize>]) -> Prefill {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        prefill(&lines, answers)
    }

    #[test]
    fn form_fields_and_a_recruiting_header() {
        let p = read(
            "한빛테크 2025년 하반기 신입사원 채용
             자기소개서
             지원자: 윤서준 / 지원 분야: 백엔드 개발
             1. 한빛테크에 지원한 동기를 기술하시오. (500자)
             저는 2023년 상반기에 세움전자에서 인턴을 했습니다.",
            std::slice::from_ref(&(4..5)),
        );
        let company = p.company.expect("company");
        assert_eq!(
            (company.value.as_str(), company.confidence),
            ("한빛테크", 70)
        );
        assert_eq!(p.position.expect("position").value, "백엔드 개발");
        let year = p.year.expect("year");
        assert_eq!(
            (year.value, year.line.as_str()),
            (2025, "한빛테크 2025년 하반기 신입사원 채용")
        );
        assert_eq!(p.half.expect("half").value, Half::Second);
    }

    #[test]
    fn labeled_fields_win_and_legal_forms_are_dropped() {
        let p = read(
            "지원 직무 : 품질관리
             지원 회사 : 세움전자
             지원동기 : (주)누리소프트",
            &[],
        );
        assert_eq!(p.company.expect("company").value, "세움전자");
        assert_eq!(p.position.expect("position").value, "품질관리");
        let p = read(
            "지원동기 : (주)누리소프트\n우리 회사에 지원한 이유를 쓰시오.",
            &[],
        );
        let company = p.company.expect("company");
        assert_eq!(
            (company.value.as_str(), company.confidence),
            ("누리소프트", 80)
        );
    }

    #[test]
    fn a_table_row_and_the_letter_date() {
        let p = read(
            "지원자 한지민 지원 분야 데이터 분석
             2025년 3월 2일",
            &[],
        );
        assert_eq!(p.position.expect("position").value, "데이터 분석");
        assert_eq!(p.year.expect("year").confidence, 50);
        assert_eq!(p.half.expect("half").value, Half::First);
    }

    #[test]
    fn nothing_said_is_null() {
        let p = read(
            "자기소개서
             당사에 지원한 동기를 기술하시오.
             저는 한빛테크의 2024년 하반기 채용에 떨어졌습니다.",
            std::slice::from_ref(&(2..3)),
        );
        assert_eq!(p, Prefill::default());
    }
}
