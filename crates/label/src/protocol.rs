//! The token-lean protocol: the model sees numbered lines and answers with line spans and
//! category keys; everything it says is validated before a pair is sliced from the source.

use std::ops::Range;

use narratix_domain::{Category, LabeledPair};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::error::Category as JsonProblem;
use serde_json::{json, Value};

/// Joins the lines of a multi-line question (a question and its character-limit line).
pub const QUESTION_LINE_SEPARATOR: &str = " ";
/// Joins the paragraphs of an answer.
pub const ANSWER_LINE_SEPARATOR: &str = "\n";

/// One question/answer pair as 0-based, end-exclusive line ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanPair {
    pub question: Range<usize>,
    pub answer: Range<usize>,
    pub category: Category,
}

/// What the model is asked to do; each task has its own prompt, schema and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Find the pairs and categorise them: `{"pairs":[{"q":[s,e],"a":[s,e],"c":KEY}]}`.
    Split { max_pairs: usize },
    /// Categorise already found questions: `{"c":[KEY,…]}`.
    Categorize { questions: usize },
}

/// The 12 keys with short Korean glosses, one line for the prompts.
fn category_glossary() -> &'static str {
    "MOTIVATION 지원 동기, TEAMWORK_EXPERIENCE 협업·팀워크 경험, VALUES 가치관·신념, \
     JOB_SKILL 직무 역량·전문성, PERSONALITY 성격 장단점, FUTURE_PLAN 입사 후 포부, \
     PROBLEM_SOLVING 문제 해결 경험, CAREER_GOAL 장기 커리어 목표, \
     FAILURE_EXPERIENCE 실패·극복 경험, GROWTH_PROCESS 성장 과정, \
     SOCIAL_TOPIC 사회 이슈 견해, OTHER 기타"
}

/// The instruction for `task`. English: for the same content it costs fewer tokens than
/// Korean, and models follow it at least as well.
pub fn instructions(task: Task) -> String {
    match task {
        Task::Split { max_pairs } => format!(
            "Split a Korean cover letter (자기소개서) into question/answer pairs. Input: numbered \
             lines \"N|text\"; long lines are shortened with …. Reply with JSON only: \
             {{\"pairs\":[{{\"q\":[s,e],\"a\":[s,e],\"c\":\"KEY\"}}]}} where q is the question's \
             line span, a the answer's (first and last line, inclusive), c the question's \
             category. Pairs in document order, no overlaps, at most {max_pairs}. A question \
             includes its number and length limit; skip titles, names and page marks. \
             Keys: {}.",
            category_glossary()
        ),
        Task::Categorize { .. } => format!(
            "Categorise each numbered question from a Korean cover letter (자기소개서). Reply \
             with JSON only: {{\"c\":[\"KEY\",…]}}, one key per question, in order. Keys: {}.",
            category_glossary()
        ),
    }
}

/// Longest likely-question line shown whole in a split request.
pub const MAX_QUESTION_LINE_CHARS: usize = 200;

/// The lines numbered from 1, `N|text`; a line longer than `max_line_chars` (0: no limit)
/// is shown by its head and tail.
pub fn numbered_lines<S: AsRef<str>>(lines: &[S], max_line_chars: usize) -> String {
    numbered(lines, |_| max_line_chars)
}

/// The document of a split request: every line numbered; lines in `likely_questions` (the
/// offline splitter's guesses) shown whole up to [`MAX_QUESTION_LINE_CHARS`], every other line
/// longer than `max_line_chars` (0: no limit) by its head and tail. Head and tail are all the
/// model needs to tell an answer paragraph from a question, and answers are most of the text.
pub fn split_request<S: AsRef<str>>(
    lines: &[S],
    likely_questions: &[Range<usize>],
    max_line_chars: usize,
) -> String {
    numbered(lines, |index| {
        if max_line_chars == 0 {
            0
        } else if likely_questions.iter().any(|range| range.contains(&index)) {
            MAX_QUESTION_LINE_CHARS.max(max_line_chars)
        } else {
            max_line_chars
        }
    })
}

fn numbered<S: AsRef<str>>(lines: &[S], limit: impl Fn(usize) -> usize) -> String {
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&(index + 1).to_string());
        out.push('|');
        out.push_str(&preview(line.as_ref(), limit(index)));
    }
    out
}

fn preview(line: &str, max_chars: usize) -> String {
    let chars = line.chars().count();
    if max_chars == 0 || chars <= max_chars {
        return line.to_owned();
    }
    let tail = max_chars / 4;
    let head = max_chars.saturating_sub(tail + 1).max(1);
    if head + tail >= chars {
        return line.to_owned();
    }
    let mut out: String = line.chars().take(head).collect();
    out.push('…');
    out.extend(line.chars().skip(chars - tail));
    out
}

/// The JSON shape the model must produce, in a provider-neutral form; each provider renders
/// it in its own dialect. Hand-written rather than derived with schemars: the bounds are
/// known only per request (`max_pairs`, the question count) and Gemini's OpenAPI subset and
/// OpenAI's strict mode would each need a rewrite of the derived schema anyway.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Object(Vec<(&'static str, Shape)>),
    Array {
        items: Box<Shape>,
        min: Option<usize>,
        max: Option<usize>,
    },
    Integer,
    Key,
}

impl Task {
    pub fn shape(self) -> Shape {
        match self {
            Task::Split { max_pairs } => {
                let span = || Shape::Array {
                    items: Box::new(Shape::Integer),
                    min: Some(2),
                    max: Some(2),
                };
                Shape::Object(vec![(
                    "pairs",
                    Shape::Array {
                        items: Box::new(Shape::Object(vec![
                            ("q", span()),
                            ("a", span()),
                            ("c", Shape::Key),
                        ])),
                        min: Some(1),
                        max: Some(max_pairs),
                    },
                )])
            }
            Task::Categorize { questions } => Shape::Object(vec![(
                "c",
                Shape::Array {
                    items: Box::new(Shape::Key),
                    min: Some(questions),
                    max: Some(questions),
                },
            )]),
        }
    }

    /// The name of the schema or tool.
    pub fn schema_name(self) -> &'static str {
        match self {
            Task::Split { .. } => "cover_letter_pairs",
            Task::Categorize { .. } => "question_categories",
        }
    }
}

fn category_keys() -> Vec<&'static str> {
    Category::ALL.iter().map(|c| c.key()).collect()
}

impl Shape {
    /// Standard JSON Schema. `strict` gives OpenAI's strict dialect: every object closed and
    /// every property required, and no array length bounds (not accepted everywhere).
    pub fn json_schema(&self, strict: bool) -> Value {
        match self {
            Shape::Object(fields) => {
                let properties: serde_json::Map<String, Value> = fields
                    .iter()
                    .map(|(name, shape)| ((*name).to_owned(), shape.json_schema(strict)))
                    .collect();
                let required: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                json!({
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": false,
                })
            }
            Shape::Array { items, min, max } => {
                let mut schema = json!({"type": "array", "items": items.json_schema(strict)});
                if !strict {
                    if let Some(min) = min {
                        schema["minItems"] = json!(min);
                    }
                    if let Some(max) = max {
                        schema["maxItems"] = json!(max);
                    }
                }
                schema
            }
            Shape::Integer => json!({"type": "integer"}),
            Shape::Key => json!({"type": "string", "enum": category_keys()}),
        }
    }

    /// Gemini's OpenAPI-subset schema (`responseSchema`).
    pub fn gemini_schema(&self) -> Value {
        match self {
            Shape::Object(fields) => {
                let properties: serde_json::Map<String, Value> = fields
                    .iter()
                    .map(|(name, shape)| ((*name).to_owned(), shape.gemini_schema()))
                    .collect();
                let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                json!({
                    "type": "OBJECT",
                    "properties": properties,
                    "required": names,
                    "propertyOrdering": names,
                })
            }
            Shape::Array { items, min, max } => {
                let mut schema = json!({"type": "ARRAY", "items": items.gemini_schema()});
                if let Some(min) = min {
                    schema["minItems"] = json!(min);
                }
                if let Some(max) = max {
                    schema["maxItems"] = json!(max);
                }
                schema
            }
            Shape::Integer => json!({"type": "INTEGER"}),
            Shape::Key => json!({"type": "STRING", "format": "enum", "enum": category_keys()}),
        }
    }
}

/// A split reply as the model must write it. The JSON shape is the serde type; what a type
/// cannot say (spans inside the document, in order, not overlapping) [`parse_split`] checks.
#[derive(Debug, Deserialize)]
struct SplitReply {
    pairs: Vec<ReplyPair>,
}

/// One pair of a split reply: 1-based inclusive line spans and a category key. The key is
/// read as text so that an unknown one is named by its place, not quoted.
#[derive(Debug, Deserialize)]
struct ReplyPair {
    q: (u64, u64),
    a: (u64, u64),
    c: String,
}

/// A categorisation reply: one key per question.
#[derive(Debug, Deserialize)]
struct CategoriesReply {
    c: Vec<String>,
}

/// Reads the reply's JSON object (code fences and chatter around it tolerated) as `T`. The
/// problem is in our own words with serde's position: serde's message would quote the
/// model's text, and the problem goes into the error cause.
fn reply_object<T: DeserializeOwned>(reply: &str, shape: &str) -> Result<T, String> {
    let start = reply.find('{');
    let end = reply.rfind('}');
    let (Some(start), Some(end)) = (start, end) else {
        return Err("the reply holds no JSON object".into());
    };
    if end < start {
        return Err("the reply holds no JSON object".into());
    }
    serde_json::from_str(&reply[start..=end]).map_err(|err| match err.classify() {
        JsonProblem::Data => format!(
            "the reply is not of the shape {shape} (line {}, column {})",
            err.line(),
            err.column()
        ),
        _ => format!(
            "the reply is not valid JSON (line {}, column {})",
            err.line(),
            err.column()
        ),
    })
}

/// A 1-based inclusive `(start, end)` span, checked against the line count, as a 0-based
/// range.
fn span((start, end): (u64, u64), what: &str, line_count: usize) -> Result<Range<usize>, String> {
    let in_range = |n: u64| n >= 1 && n <= line_count as u64;
    if !in_range(start) || !in_range(end) {
        return Err(format!(
            "{what} [{start}, {end}] is outside lines 1 to {line_count}"
        ));
    }
    if start > end {
        return Err(format!("{what} [{start}, {end}] starts after it ends"));
    }
    // Both fit in usize: they are at most line_count.
    Ok((start as usize - 1)..(end as usize))
}

fn category(key: &str, what: &str) -> Result<Category, String> {
    Category::from_key(key).ok_or_else(|| format!("{what} is not one of the 12 category keys"))
}

/// Validates a split reply: spans in range, start ≤ end, question before answer, pairs in
/// order and not overlapping, known category keys, 1 to `max_pairs` pairs. The error is one
/// line, names only numbers and keys (it goes back to the model and into the error cause).
pub fn parse_split(
    reply: &str,
    line_count: usize,
    max_pairs: usize,
) -> Result<Vec<SpanPair>, String> {
    let reply: SplitReply = reply_object(reply, r#"{"pairs":[{"q":[s,e],"a":[s,e],"c":"KEY"}]}"#)?;
    let items = reply.pairs;
    if items.is_empty() {
        return Err("\"pairs\" is empty; every cover letter has at least one pair".into());
    }
    if items.len() > max_pairs {
        return Err(format!(
            "{} pairs, at most {max_pairs} are allowed",
            items.len()
        ));
    }
    let mut pairs = Vec::with_capacity(items.len());
    let mut next_free_line = 0usize;
    for (index, item) in items.into_iter().enumerate() {
        let n = index + 1;
        let question = span(item.q, &format!("pair {n} \"q\""), line_count)?;
        let answer = span(item.a, &format!("pair {n} \"a\""), line_count)?;
        let category = category(&item.c, &format!("pair {n} \"c\""))?;
        if question.start < next_free_line {
            return Err(format!(
                "pair {n} overlaps or comes before the previous pair"
            ));
        }
        if answer.start < question.end {
            return Err(format!(
                "pair {n}: the answer must start after the question ends"
            ));
        }
        next_free_line = answer.end;
        pairs.push(SpanPair {
            question,
            answer,
            category,
        });
    }
    Ok(pairs)
}

/// Validates a categorisation reply: exactly `questions` known keys.
pub fn parse_categories(reply: &str, questions: usize) -> Result<Vec<Category>, String> {
    let reply: CategoriesReply = reply_object(reply, r#"{"c":["KEY",…]}"#)?;
    if reply.c.len() != questions {
        return Err(format!(
            "{} categories for {questions} questions; give exactly one per question",
            reply.c.len()
        ));
    }
    reply
        .c
        .iter()
        .enumerate()
        .map(|(index, key)| category(key, &format!("category {}", index + 1)))
        .collect()
}

/// The repair turn: what was wrong, and the request to answer again.
pub fn repair_request(problem: &str) -> String {
    format!("Invalid reply: {problem}. Reply again with corrected JSON only.")
}

/// Joins `lines[range]` with `separator`.
pub fn join_lines<S: AsRef<str>>(lines: &[S], range: Range<usize>, separator: &str) -> String {
    lines
        .get(range)
        .unwrap_or_default()
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(separator)
}

/// Slices the pairs out of the source lines: the texts are the lines themselves, never
/// model output.
pub fn slice_pairs<S: AsRef<str>>(lines: &[S], spans: &[SpanPair]) -> Vec<LabeledPair> {
    spans
        .iter()
        .map(|span| LabeledPair {
            question: join_lines(lines, span.question.clone(), QUESTION_LINE_SEPARATOR),
            answer: join_lines(lines, span.answer.clone(), ANSWER_LINE_SEPARATOR),
            category: span.category,
        })
        .collect()
}

/// The reply a perfect model would give for `spans` (benchmarks and tests).
pub fn split_reply(spans: &[SpanPair]) -> String {
    let pairs: Vec<Value> = spans
        .iter()
        .map(|span| {
            json!({
                "q": [span.question.start + 1, span.question.end],
                "a": [span.answer.start + 1, span.answer.end],
                "c": span.category.key(),
            })
        })
        .collect();
    json!({ "pairs": pairs }).to_string()
}

/// The reply a perfect model would give to a categorisation request (benchmarks and tests).
pub fn categories_reply(categories: &[Category]) -> String {
    let keys: Vec<&str> = categories.iter().map(|c| c.key()).collect();
    json!({ "c": keys }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: [&str; 6] = [
        "자기소개서",
        "1. 지원 동기를 기술해 주십시오. (500자)",
        "저는 데이터로 고객의 불편을 푸는 일에 보람을 느낍니다.",
        "그래서 지원했습니다.",
        "2. 협업 경험을 쓰십시오.",
        "팀 프로젝트에서 일정을 조율했습니다.",
    ];
    const VALID: &str = r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"MOTIVATION"},{"q":[5,5],"a":[6,6],"c":"TEAMWORK_EXPERIENCE"}]}"#;

    fn split(reply: &str) -> Result<Vec<SpanPair>, String> {
        parse_split(reply, LINES.len(), 10)
    }

    #[test]
    fn valid_spans_become_zero_based_ranges() {
        let pairs = split(VALID).expect("valid");
        assert_eq!(
            pairs,
            vec![
                SpanPair {
                    question: 1..2,
                    answer: 2..4,
                    category: Category::Motivation
                },
                SpanPair {
                    question: 4..5,
                    answer: 5..6,
                    category: Category::TeamworkExperience
                },
            ]
        );
        assert_eq!(split(&split_reply(&pairs)), Ok(pairs));
    }

    #[test]
    fn tolerates_code_fences_around_the_json() {
        assert!(split(&format!("```json\n{VALID}\n```")).is_ok());
    }

    #[test]
    fn rejects_every_kind_of_bad_span() {
        let cases = [
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,7],"c":"MOTIVATION"}]}"#,
                "outside lines 1 to 6",
            ),
            (
                r#"{"pairs":[{"q":[0,1],"a":[3,4],"c":"MOTIVATION"}]}"#,
                "outside lines 1 to 6",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[4,3],"c":"MOTIVATION"}]}"#,
                "starts after it ends",
            ),
            (
                r#"{"pairs":[{"q":[2,3],"a":[3,4],"c":"MOTIVATION"}]}"#,
                "answer must start after",
            ),
            (
                r#"{"pairs":[{"q":[3,3],"a":[2,2],"c":"MOTIVATION"}]}"#,
                "answer must start after",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,5],"c":"MOTIVATION"},{"q":[5,5],"a":[6,6],"c":"VALUES"}]}"#,
                "pair 2 overlaps",
            ),
            (
                r#"{"pairs":[{"q":[5,5],"a":[6,6],"c":"VALUES"},{"q":[2,2],"a":[3,4],"c":"MOTIVATION"}]}"#,
                "pair 2 overlaps or comes before",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"HOBBY"}]}"#,
                "not one of the 12",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":7}]}"#,
                "not of the shape",
            ),
            (r#"{"pairs":[{"q":[2,2],"a":[3,4]}]}"#, "not of the shape"),
            (
                r#"{"pairs":[{"q":"2-2","a":[3,4],"c":"VALUES"}]}"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[2],"a":[3,4],"c":"VALUES"}]}"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[2.5,3],"a":[3,4],"c":"VALUES"}]}"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[-2,3],"a":[3,4],"c":"VALUES"}]}"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[18446744073709551615,18446744073709551616],"a":[3,4],"c":"VALUES"}]}"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[2,18446744073709551615],"a":[3,4],"c":"VALUES"}]}"#,
                "outside lines",
            ),
            (r#"{"pairs":[]}"#, "at least one pair"),
            (r#"{"pairs":{}}"#, "not of the shape"),
            (
                r#"[{"q":[2,2],"a":[3,4],"c":"VALUES"}]"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"저는 홍길동"}]}"#,
                "pair 1 \"c\" is not one of the 12",
            ),
            (
                r#"{"pairs":[{"q":"저는 홍길동","a":[3,4],"c":"VALUES"}]}"#,
                "not of the shape",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"VALUES""#,
                "no JSON object",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,4],"c":"VALUES"}"#,
                "not valid JSON",
            ),
            (
                r#"{"pairs":[{"q":[2,2],"a":[3,4]"c":"VALUES"}]}"#,
                "not valid JSON",
            ),
            ("", "no JSON object"),
            ("} {", "no JSON object"),
        ];
        for (reply, expected) in cases {
            let problem = split(reply).expect_err(reply);
            assert!(problem.contains(expected), "{reply}: {problem}");
            assert!(!problem.contains('\n'));
            assert!(!problem.contains("홍길동"), "{problem}");
        }
    }

    #[test]
    fn enforces_max_pairs() {
        let problem = parse_split(VALID, LINES.len(), 1).expect_err("too many");
        assert_eq!(problem, "2 pairs, at most 1 are allowed");
    }

    #[test]
    fn categories_must_match_the_questions() {
        assert_eq!(
            parse_categories(r#"{"c":["VALUES","OTHER"]}"#, 2),
            Ok(vec![Category::Values, Category::Other])
        );
        for (reply, expected) in [
            (r#"{"c":["VALUES"]}"#, "1 categories for 2 questions"),
            (r#"{"c":["VALUES","nope"]}"#, "category 2 is not one of"),
            (r#"{"c":"VALUES"}"#, "not of the shape"),
            ("VALUES, OTHER", "no JSON object"),
        ] {
            let problem = parse_categories(reply, 2).expect_err(reply);
            assert!(problem.contains(expected), "{reply}: {problem}");
        }
    }

    #[test]
    fn slices_answers_byte_identical_to_the_source_lines() {
        let pairs = slice_pairs(&LINES, &split(VALID).expect("valid"));
        assert_eq!(pairs[0].question, LINES[1]);
        assert_eq!(pairs[0].answer, format!("{}\n{}", LINES[2], LINES[3]));
        assert_eq!(pairs[1].question, LINES[4]);
        assert_eq!(pairs[1].answer, LINES[5]);
        assert_eq!(pairs[1].category, Category::TeamworkExperience);
    }

    #[test]
    fn numbers_lines_and_shortens_long_ones() {
        let lines = ["짧은 줄", &"가".repeat(100)];
        let shown = numbered_lines(&lines, 40);
        let (first, second) = shown.split_once('\n').expect("two lines");
        assert_eq!(first, "1|짧은 줄");
        assert!(second.starts_with("2|"));
        assert_eq!(second.chars().count(), 2 + 40);
        assert!(second.contains('…'));
        assert_eq!(
            numbered_lines(&lines, 0),
            format!("1|짧은 줄\n2|{}", lines[1])
        );
    }

    #[test]
    fn likely_questions_are_shown_whole() {
        let long_question = format!("1. {}", "나".repeat(90));
        let answer = "다".repeat(90);
        let lines = [long_question.as_str(), answer.as_str()];
        let shown = split_request(&lines, &[Range { start: 0, end: 1 }], 40);
        assert!(shown.contains(&long_question));
        assert!(!shown.contains(&answer));
    }

    #[test]
    fn schemas_list_the_keys_and_close_objects() {
        let schema = Task::Split { max_pairs: 10 }.shape().json_schema(true);
        let item = &schema["properties"]["pairs"]["items"];
        assert_eq!(item["additionalProperties"], false);
        assert_eq!(item["required"], json!(["q", "a", "c"]));
        assert_eq!(
            item["properties"]["c"]["enum"].as_array().map(Vec::len),
            Some(12)
        );
        assert!(schema["properties"]["pairs"].get("maxItems").is_none());
        let loose = Task::Split { max_pairs: 10 }.shape().json_schema(false);
        assert_eq!(loose["properties"]["pairs"]["maxItems"], 10);
        let gemini = Task::Categorize { questions: 3 }.shape().gemini_schema();
        assert_eq!(gemini["type"], "OBJECT");
        assert_eq!(gemini["properties"]["c"]["minItems"], 3);
    }

    #[test]
    fn prompts_are_short() {
        assert!(instructions(Task::Split { max_pairs: 10 }).len() < 1100);
        assert!(instructions(Task::Categorize { questions: 4 }).len() < 800);
    }
}
