//! What the mock model answers. It reads a chat completion request as a model would — the task
//! from the schema or the prompt, the document from the numbered lines — and answers from its
//! own knowledge: the fixture ground truth for a document it recognises ([`Truth`]), otherwise
//! a simple method of its own (below). It never runs the labeler it stands in for, so a bug in
//! the labeler's splitter cannot agree with itself here.

use serde_json::{json, Value as Json};

use super::truth::{FoundPair, Truth};

/// The two tasks of the labeler's protocol, as the request shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Find the pairs: `{"pairs":[{"q":[s,e],"a":[s,e],"c":KEY}]}`, at most `max_pairs`.
    Split { max_pairs: usize },
    /// One key per numbered question: `{"c":[KEY,…]}`.
    Categorize,
}

/// The schema names the labeler gives its two tasks (`response_format.json_schema.name`).
const SPLIT_SCHEMA: &str = "cover_letter_pairs";
const CATEGORIES_SCHEMA: &str = "question_categories";

/// Most pairs asked for when the request states no bound.
const DEFAULT_MAX_PAIRS: usize = 20;

/// The task of a request: the JSON schema's name in `json_schema` mode, else what the system
/// prompt asks for.
pub fn task_of(request: &Json, system: &str) -> Result<Task, String> {
    let schema = request.pointer("/response_format/json_schema");
    let max_pairs = schema
        .and_then(|schema| schema.pointer("/schema/properties/pairs/maxItems"))
        .and_then(Json::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .or_else(|| stated_max_pairs(system))
        .unwrap_or(DEFAULT_MAX_PAIRS);
    match schema
        .and_then(|schema| schema.get("name"))
        .and_then(Json::as_str)
    {
        Some(SPLIT_SCHEMA) => return Ok(Task::Split { max_pairs }),
        Some(CATEGORIES_SCHEMA) => return Ok(Task::Categorize),
        Some(_) => return Err("unknown response schema".into()),
        None => {}
    }
    if system.contains(r#"{"pairs":"#) {
        Ok(Task::Split { max_pairs })
    } else if system.contains(r#"{"c":["#) {
        Ok(Task::Categorize)
    } else {
        Err("the system message asks for neither pairs nor categories".into())
    }
}

/// "at most N" in the prompt.
fn stated_max_pairs(system: &str) -> Option<usize> {
    let rest = system.split("at most ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The lines of an `N|text` document, numbered from 1 in order.
pub fn numbered_lines(document: &str) -> Result<Vec<&str>, String> {
    document
        .lines()
        .enumerate()
        .map(|(index, line)| {
            let (number, text) = line
                .split_once('|')
                .ok_or_else(|| format!("line {} is not \"N|text\"", index + 1))?;
            if number.parse::<usize>().ok() != Some(index + 1) {
                return Err(format!("line {} is numbered {number:?}", index + 1));
            }
            Ok(text)
        })
        .collect()
}

/// Where an answer came from (counted in `GET /_local/ai`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Truth,
    OwnMethod,
}

/// The reply content for `task` over `lines`.
pub fn answer(truth: &Truth, task: Task, lines: &[&str]) -> (String, Source) {
    match task {
        Task::Split { max_pairs } => {
            let (mut pairs, source) = match truth.split(lines) {
                Some((_, pairs)) => (pairs, Source::Truth),
                None => (own_split(lines), Source::OwnMethod),
            };
            pairs.truncate(max_pairs);
            (split_content(&pairs), source)
        }
        Task::Categorize => {
            let mut source = Source::Truth;
            let keys: Vec<&str> = lines
                .iter()
                .map(|question| {
                    truth.category_of(question).unwrap_or_else(|| {
                        source = Source::OwnMethod;
                        own_category(question)
                    })
                })
                .collect();
            (json!({ "c": keys }).to_string(), source)
        }
    }
}

fn split_content(pairs: &[FoundPair]) -> String {
    let pairs: Vec<Json> = pairs
        .iter()
        .map(|pair| {
            json!({
                "q": [pair.question.0, pair.question.1],
                "a": [pair.answer.0, pair.answer.1],
                "c": pair.category,
            })
        })
        .collect();
    json!({ "pairs": pairs }).to_string()
}

/// Endings of a line that asks something (a length limit in brackets may follow).
const ASKING_ENDINGS: [&str; 6] = ["?", "시오", "세요", "주세요", "기술", "서술"];

/// The mock's own split, deliberately plain: a question is a line that asks (see
/// [`ASKING_ENDINGS`]), with a following line that is only a length limit; its answer is the
/// lines up to the next question. With no question found, the first line is the question and
/// the rest the answer.
fn own_split(lines: &[&str]) -> Vec<FoundPair> {
    let asking: Vec<usize> = (0..lines.len()).filter(|&i| asks(lines[i])).collect();
    let mut pairs = Vec::new();
    for (k, &start) in asking.iter().enumerate() {
        let next = asking.get(k + 1).copied().unwrap_or(lines.len());
        let mut end = start + 1;
        if end < next && is_limit_only(lines[end]) {
            end += 1;
        }
        if end >= next {
            continue;
        }
        pairs.push(FoundPair {
            question: (start + 1, end),
            answer: (end + 1, next),
            category: own_category(&lines[start..end].join(" ")).to_owned(),
        });
    }
    if pairs.is_empty() && lines.len() >= 2 {
        pairs.push(FoundPair {
            question: (1, 1),
            answer: (2, lines.len()),
            category: own_category(lines[0]).to_owned(),
        });
    }
    pairs
}

fn asks(line: &str) -> bool {
    let line = line.trim();
    let bare = match line.rfind(['(', '[']) {
        Some(at) if at > 0 && line.ends_with([')', ']']) => line[..at].trim_end(),
        _ => line,
    };
    let bare = bare.trim_end_matches(['.', ':', ' ']);
    line.chars().count() <= 300 && ASKING_ENDINGS.iter().any(|ending| bare.ends_with(ending))
}

/// `(500자)`, `[최대 1000자 이내]`, `700 bytes`: a line that only states a length.
fn is_limit_only(line: &str) -> bool {
    let line = line.trim();
    line.chars().count() <= 30
        && line.chars().any(|c| c.is_ascii_digit())
        && (line.contains('자') || line.contains("byte") || line.contains("Byte"))
}

/// The mock's own categories: the first topic word of the question, in this order.
fn own_category(question: &str) -> &'static str {
    const TOPICS: [(&[&str], &str); 11] = [
        (&["입사 후", "입사후", "포부"], "FUTURE_PLAN"),
        (
            &["지원 동기", "지원동기", "지원한 이유", "선택한 이유"],
            "MOTIVATION",
        ),
        (&["실패"], "FAILURE_EXPERIENCE"),
        (&["협업", "팀워크", "팀 "], "TEAMWORK_EXPERIENCE"),
        (&["성장 과정", "성장과정", "성장"], "GROWTH_PROCESS"),
        (&["장단점", "장점", "단점", "성격"], "PERSONALITY"),
        (&["문제", "해결"], "PROBLEM_SOLVING"),
        (&["가치관", "신념", "가치"], "VALUES"),
        (&["직무", "역량", "전문성"], "JOB_SKILL"),
        (&["목표", "커리어", "비전"], "CAREER_GOAL"),
        (&["사회", "이슈"], "SOCIAL_TOPIC"),
    ];
    TOPICS
        .iter()
        .filter_map(|(words, key)| {
            words
                .iter()
                .filter_map(|word| question.find(word))
                .min()
                .map(|at| (at, *key))
        })
        .min()
        .map_or("OTHER", |(_, key)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_comes_from_the_schema_or_the_prompt() {
        let split = json!({"response_format": {"type": "json_schema", "json_schema": {
            "name": SPLIT_SCHEMA, "schema": {"properties": {"pairs": {"maxItems": 4}}}}}});
        assert_eq!(task_of(&split, ""), Ok(Task::Split { max_pairs: 4 }));
        let categories = json!({"response_format": {"type": "json_schema", "json_schema": {
            "name": CATEGORIES_SCHEMA}}});
        assert_eq!(task_of(&categories, ""), Ok(Task::Categorize));
        let object = json!({"response_format": {"type": "json_object"}});
        assert_eq!(
            task_of(&object, r#"Reply {"pairs":[…]} with at most 7 pairs."#),
            Ok(Task::Split { max_pairs: 7 })
        );
        assert_eq!(
            task_of(&object, r#"Reply {"c":["KEY",…]}"#),
            Ok(Task::Categorize)
        );
        assert!(task_of(&object, "You are a helpful assistant.").is_err());
        assert!(numbered_lines("1|a\n3|b").is_err());
        assert_eq!(numbered_lines("1|a|b\n2|c"), Ok(vec!["a|b", "c"]));
    }

    #[test]
    fn its_own_split_takes_asking_lines_and_what_follows() {
        let lines = [
            "자기소개서",
            "1. 지원 동기를 기술해 주십시오.",
            "(500자)",
            "저는 데이터로 일합니다.",
            "그래서 지원했습니다.",
            "2. 팀 프로젝트에서 협업한 경험을 쓰시오 (700자)",
            "네 명이 함께 만들었습니다.",
        ];
        assert_eq!(
            own_split(&lines),
            vec![
                FoundPair {
                    question: (2, 3),
                    answer: (4, 5),
                    category: "MOTIVATION".into()
                },
                FoundPair {
                    question: (6, 6),
                    answer: (7, 7),
                    category: "TEAMWORK_EXPERIENCE".into()
                },
            ]
        );
        let plain = ["제목", "본문 한 줄", "본문 두 줄"];
        assert_eq!(own_split(&plain)[0].answer, (2, 3));
        assert!(own_split(&["한 줄뿐"]).is_empty());
    }

    #[test]
    fn its_own_categories_take_the_first_topic_named() {
        assert_eq!(own_category("입사 후 포부와 지원 동기"), "FUTURE_PLAN");
        assert_eq!(own_category("지원 동기와 입사 후 포부"), "MOTIVATION");
        assert_eq!(own_category("자유롭게 쓰시오"), "OTHER");
    }
}
