//! Token benchmark: tokens per document of the predecessor's scheme (a Korean instruction
//! prompt plus the full text in, every pair re-emitted as JSON out) against ours (a short
//! prompt plus numbered, shortened lines in, line spans out; and the hybrid variant, where
//! the offline splitter is confident: question lines in, category keys out). Counted with
//! tiktoken o200k_base; the ground truth is taken as the model's answer in both schemes.
//!
//! Run: `cargo run -p narratix-label --example bench-tokens` (or `scripts/bench-label`).

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use narratix_domain::Category;
use narratix_label::offline;
use narratix_label::protocol::{
    categories_reply, instructions, join_lines, numbered_lines, slice_pairs, split_reply,
    split_request, SpanPair, Task, QUESTION_LINE_SEPARATOR,
};
use narratix_label::{DEFAULT_MAX_LINE_CHARS, DEFAULT_MAX_PAIRS};
use serde_json::json;
use tiktoken_rs::CoreBPE;

/// The predecessor's instruction: realistic, about 600 Korean characters.
const PREDECESSOR_PROMPT: &str = "다음 자기소개서에서 문항과 답변을 분리하고, 각 문항의 카테고리를 분류해 주세요.

[지침]
1. 문항은 보통 번호(1., [문항 1], Q1. 등)나 글자 수 제한((500자) 등)과 함께 나옵니다. 번호와 글자 수 제한을 \
포함한 문항 전체를 question에 적어 주세요.
2. 답변은 문항 다음부터 다음 문항 전까지의 모든 문단입니다. 요약하거나 고치지 말고 원문 그대로 answer에 옮기고, \
문단은 줄바꿈으로 구분하세요.
3. 제목, 이름, 지원 분야, 페이지 번호는 제외하세요.
4. questionCategory는 다음 중 하나입니다: MOTIVATION(지원동기), TEAMWORK_EXPERIENCE(협업경험), VALUES(가치관), \
JOB_SKILL(직무역량), PERSONALITY(성격의 장단점), FUTURE_PLAN(입사 후 포부), PROBLEM_SOLVING(문제해결), \
CAREER_GOAL(커리어 목표), FAILURE_EXPERIENCE(실패경험), GROWTH_PROCESS(성장과정), SOCIAL_TOPIC(사회이슈), \
OTHER(기타).
5. JSON 배열로만 응답하세요: [{\"question\": \"...\", \"answer\": \"...\", \"questionCategory\": \"...\"}]

[자기소개서]
";

/// Our split instruction in Korean, to check which language is cheaper for the same content.
const SPLIT_INSTRUCTION_KO: &str = "자기소개서(cover letter)를 문항/답변 쌍으로 나누세요. 입력: 번호 붙은 줄 \"N|내용\", \
긴 줄은 …로 줄임. JSON으로만 답하세요: {\"pairs\":[{\"q\":[s,e],\"a\":[s,e],\"c\":\"KEY\"}]} q는 문항의 줄 범위, \
a는 답변의 줄 범위(첫 줄과 끝 줄 포함), c는 문항의 카테고리. 문서 순서대로, 겹치지 않게, 최대 10쌍. 문항은 번호와 \
글자 수 제한을 포함하고, 제목·이름·쪽 표시는 건너뛰세요. 키: MOTIVATION 지원 동기, TEAMWORK_EXPERIENCE 협업·팀워크 경험, \
VALUES 가치관·신념, JOB_SKILL 직무 역량·전문성, PERSONALITY 성격 장단점, FUTURE_PLAN 입사 후 포부, PROBLEM_SOLVING 문제 \
해결 경험, CAREER_GOAL 장기 커리어 목표, FAILURE_EXPERIENCE 실패·극복 경험, GROWTH_PROCESS 성장 과정, SOCIAL_TOPIC 사회 \
이슈 견해, OTHER 기타.";

#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    input: usize,
    output: usize,
}

impl Cost {
    fn total(self) -> usize {
        self.input + self.output
    }
}

struct Row {
    id: String,
    predecessor: Cost,
    full: Cost,
    hybrid: Cost,
    hybrid_used: bool,
}

fn tokens(bpe: &CoreBPE, text: &str) -> usize {
    bpe.encode_with_special_tokens(text).len()
}

fn predecessor(bpe: &CoreBPE, doc: &common::Document) -> Cost {
    let input = format!("{PREDECESSOR_PROMPT}{}", doc.text);
    let output: Vec<_> = doc
        .pairs
        .iter()
        .map(|pair| {
            json!({"question": pair.question, "answer": pair.answer, "questionCategory": pair.category.key()})
        })
        .collect();
    Cost {
        input: tokens(bpe, &input),
        output: tokens(bpe, &serde_json::Value::Array(output).to_string()),
    }
}

fn full_split(bpe: &CoreBPE, doc: &common::Document, max_line_chars: usize) -> Cost {
    let task = Task::Split {
        max_pairs: DEFAULT_MAX_PAIRS,
    };
    let lines: Vec<&str> = doc.lines.iter().map(String::as_str).collect();
    let likely_questions: Vec<_> = offline::split(&lines)
        .pairs
        .into_iter()
        .map(|pair| pair.question)
        .collect();
    Cost {
        input: tokens(bpe, &instructions(task))
            + tokens(
                bpe,
                &split_request(&lines, &likely_questions, max_line_chars),
            ),
        output: tokens(bpe, &split_reply(&doc.spans)),
    }
}

/// The hybrid request where the offline splitter is confident: its question lines in, the
/// categories a perfect model gives out (the ground truth's category of the same question
/// line). Returns the cost and whether the resulting pairs equal the ground truth.
fn hybrid(bpe: &CoreBPE, doc: &common::Document) -> Option<(Cost, bool)> {
    let lines: Vec<&str> = doc.lines.iter().map(String::as_str).collect();
    let split = offline::split(&lines);
    if !split.confident || !(1..=DEFAULT_MAX_PAIRS).contains(&split.pairs.len()) {
        return None;
    }
    let questions: Vec<String> = split
        .pairs
        .iter()
        .map(|pair| join_lines(&lines, pair.question.clone(), QUESTION_LINE_SEPARATOR))
        .collect();
    let categories: Vec<Category> = split
        .pairs
        .iter()
        .map(|pair| {
            doc.spans
                .iter()
                .find(|truth| {
                    truth.question.start < pair.question.end
                        && pair.question.start < truth.question.end
                })
                .map_or(Category::Other, |truth| truth.category)
        })
        .collect();
    let task = Task::Categorize {
        questions: questions.len(),
    };
    let cost = Cost {
        input: tokens(bpe, &instructions(task)) + tokens(bpe, &numbered_lines(&questions, 0)),
        output: tokens(bpe, &categories_reply(&categories)),
    };
    let spans: Vec<SpanPair> = split
        .pairs
        .iter()
        .zip(&categories)
        .map(|(pair, category)| SpanPair {
            question: pair.question.clone(),
            answer: pair.answer.clone(),
            category: *category,
        })
        .collect();
    Some((cost, slice_pairs(&lines, &spans) == doc.pairs))
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn main() -> ExitCode {
    let bpe = match tiktoken_rs::o200k_base() {
        Ok(bpe) => bpe,
        Err(err) => {
            eprintln!("cannot load o200k_base: {err}");
            return ExitCode::FAILURE;
        }
    };
    let corpus = match common::load_corpus() {
        Ok(corpus) if !corpus.is_empty() => corpus,
        Ok(_) => {
            eprintln!("no documents in {}", common::corpus_dir().display());
            return ExitCode::FAILURE;
        }
        Err(err) => {
            eprintln!("cannot load the corpus: {err}");
            return ExitCode::FAILURE;
        }
    };

    println!("## Tokens per document (tiktoken o200k_base)");
    println!();
    println!(
        "Input text: each fixture's ground-truth `text` (independent of the extractor). Model answer: \
         the ground truth in both schemes. Predecessor prompt: {} characters. Lines longer than {} \
         characters are shown to the model as head…tail. Chat-template and tool-definition overhead \
         are not counted (about equal for both schemes).",
        PREDECESSOR_PROMPT.chars().count(),
        DEFAULT_MAX_LINE_CHARS
    );
    println!();
    println!(
        "| document | predecessor in | out | total | ours in | out | total | ours/pred | hybrid in | out | total | hybrid/pred |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    let mut hybrid_exact = 0usize;
    for doc in &corpus {
        let pred = predecessor(&bpe, doc);
        let full = full_split(&bpe, doc, DEFAULT_MAX_LINE_CHARS);
        let (hybrid_cost, hybrid_used) = match hybrid(&bpe, doc) {
            Some((cost, exact)) => {
                hybrid_exact += usize::from(exact);
                if !exact {
                    println!(
                        "<!-- {}: hybrid split differs from the ground truth -->",
                        doc.id
                    );
                }
                (cost, true)
            }
            None => (full, false),
        };
        let row = Row {
            id: doc.id.clone(),
            predecessor: pred,
            full,
            hybrid: hybrid_cost,
            hybrid_used,
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1}% | {} | {} | {} | {:.1}%{} |",
            row.id,
            pred.input,
            pred.output,
            pred.total(),
            full.input,
            full.output,
            full.total(),
            percent(full.total(), pred.total()),
            hybrid_cost.input,
            hybrid_cost.output,
            hybrid_cost.total(),
            percent(hybrid_cost.total(), pred.total()),
            if row.hybrid_used { "" } else { " (full)" },
        );
        rows.push(row);
    }
    let n = rows.len() as f64;
    let mean = |f: &dyn Fn(&Row) -> usize| rows.iter().map(f).sum::<usize>() as f64 / n;
    let mean_ratio = |f: &dyn Fn(&Row) -> usize| {
        rows.iter()
            .map(|r| percent(f(r), r.predecessor.total()))
            .sum::<f64>()
            / n
    };
    println!(
        "| **mean** | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | **{:.1}%** | {:.0} | {:.0} | {:.0} | **{:.1}%** |",
        mean(&|r| r.predecessor.input),
        mean(&|r| r.predecessor.output),
        mean(&|r| r.predecessor.total()),
        mean(&|r| r.full.input),
        mean(&|r| r.full.output),
        mean(&|r| r.full.total()),
        mean_ratio(&|r| r.full.total()),
        mean(&|r| r.hybrid.input),
        mean(&|r| r.hybrid.output),
        mean(&|r| r.hybrid.total()),
        mean_ratio(&|r| r.hybrid.total()),
    );
    println!();
    let hybrid_docs = rows.iter().filter(|r| r.hybrid_used).count();
    println!(
        "Output tokens alone: ours {:.1}% of the predecessor's, hybrid {:.1}% (ratio of means).",
        percent(
            mean(&|r| r.full.output) as usize,
            mean(&|r| r.predecessor.output) as usize
        ),
        percent(
            mean(&|r| r.hybrid.output) as usize,
            mean(&|r| r.predecessor.output) as usize
        ),
    );
    println!(
        "Hybrid: the offline splitter was confident on {hybrid_docs} of {} documents; on {hybrid_exact} of \
         them the pairs (question, answer, category) equal the ground truth exactly \
         (elsewhere the full line-span request is used, marked (full)).",
        rows.len()
    );
    let worst = rows
        .iter()
        .map(|r| percent(r.full.total(), r.predecessor.total()))
        .fold(0.0f64, f64::max);
    println!("Worst document, full request: {worst:.1}% of the predecessor's tokens.");
    println!(
        "Instruction tokens: predecessor {}, ours {} (split; the same in Korean: {}) / {} (categorise).",
        tokens(&bpe, PREDECESSOR_PROMPT),
        tokens(
            &bpe,
            &instructions(Task::Split {
                max_pairs: DEFAULT_MAX_PAIRS
            })
        ),
        tokens(&bpe, SPLIT_INSTRUCTION_KO),
        tokens(&bpe, &instructions(Task::Categorize { questions: 4 })),
    );
    println!();
    println!("Full line-span request by the longest line shown whole (likely questions are always whole):");
    println!();
    println!("| max line chars | mean ours/pred |");
    println!("|---:|---:|");
    for max_line_chars in [0, 120, 80, 60, 48, 40, 32, 24] {
        let mean_ratio = corpus
            .iter()
            .map(|doc| {
                percent(
                    full_split(&bpe, doc, max_line_chars).total(),
                    predecessor(&bpe, doc).total(),
                )
            })
            .sum::<f64>()
            / corpus.len() as f64;
        let shown = if max_line_chars == 0 {
            "whole".to_owned()
        } else {
            max_line_chars.to_string()
        };
        println!("| {shown} | {mean_ratio:.1}% |");
    }
    ExitCode::SUCCESS
}
