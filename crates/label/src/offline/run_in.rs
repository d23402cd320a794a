//! A question and the start of its answer printed on one line (a job-site export that lost
//! the break between the question and the answer): split where the question's instruction
//! ends, so the question gets a line of its own. The same for section headings of a table's
//! left column that extraction put on the line of the answer beside them (`성격 및 장단점 저의
//! 가장 큰 장점은…`), when several lines of the document begin so, and for the first syllables
//! of a heading set vertically that extraction put at the end of the line beside them (`…되겠
//! 습니다. 생 활` / `신 조`).

use std::sync::LazyLock;

use regex::Regex;

use super::cues::{cue, is_vertical_fragment, marker};
use super::topics::ends_with_topic;

/// The end of an instruction or a direct question, followed by more text:
/// `…기술해 주십시오. 저는…`, `…무엇입니까? 저는…`.
static QUESTION_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:십시오|시오|주세요|바랍니다|하라|니까|나요|인가요)\s*[.?!]\s+")
        .expect("static regex")
});
/// Declarative sentence ends: a line whose head has one is answer prose, not a question.
static STATEMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:습니다|입니다|었다|했다|이다)[.!]").expect("static regex"));

/// Longest question split off the front of a line.
const MAX_QUESTION_CHARS: usize = 300;
/// Shortest answer text after it.
const MIN_REST_CHARS: usize = 40;

/// Longest heading split off the front of a line, and the most words it may have.
const MAX_HEADING_CHARS: usize = 20;
const MAX_HEADING_WORDS: usize = 4;
/// Lines of a document that must begin with a heading before any is split.
const MIN_RUN_IN_HEADINGS: usize = 2;

/// The lines with each run-in question split from the answer text that follows it.
pub fn separate_run_in_questions(lines: Vec<String>) -> Vec<String> {
    let lines = separate_vertical_heads(lines);
    let headings = lines
        .iter()
        .filter(|l| heading_split_point(l).is_some())
        .count();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let at = split_point(&line).or_else(|| {
            (headings >= MIN_RUN_IN_HEADINGS)
                .then(|| heading_split_point(&line))
                .flatten()
        });
        match at {
            Some(at) => {
                let (question, rest) = line.split_at(at);
                out.push(question.trim_end().to_owned());
                out.push(rest.trim_start().to_owned());
            }
            None => out.push(line),
        }
    }
    out
}

/// Most letter-spaced syllables taken off the end of a line as the start of a vertical heading.
const MAX_VERTICAL_TAIL: usize = 3;

/// Lines ending in the first syllables of a vertical heading whose other syllables follow,
/// one to three a line (`…되겠습니다. 생 활` / `신 조`), with those syllables on a line of
/// their own.
fn separate_vertical_heads(lines: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for (at, line) in lines.iter().enumerate() {
        let continues = lines
            .get(at + 1)
            .is_some_and(|next| is_vertical_fragment(next));
        match continues.then(|| vertical_tail(line)).flatten() {
            Some(split) => {
                let (text, head) = line.split_at(split);
                out.push(text.trim_end().to_owned());
                out.push(head.trim_start().to_owned());
            }
            None => out.push(line.clone()),
        }
    }
    out
}

/// Where a line's trailing run of single letter-spaced syllables begins, when the text before
/// it is running text: two or three syllables, or one after a finished sentence.
fn vertical_tail(line: &str) -> Option<usize> {
    let mut start = line.len();
    let mut syllables = 0;
    for word in line.split(' ').rev() {
        let one_syllable =
            word.chars().count() == 1 && word.chars().all(|c| ('가'..='힣').contains(&c));
        if !one_syllable || syllables == MAX_VERTICAL_TAIL {
            break;
        }
        syllables += 1;
        start = start.saturating_sub(word.len() + 1);
    }
    if syllables == 0 || start == 0 || start >= line.len() {
        return None;
    }
    let text = line[..start].trim_end();
    let sentence_done = text.ends_with(['.', '!', '?', '”', '"']);
    let long_enough = text.chars().count() >= MIN_REST_CHARS;
    (long_enough && (syllables >= 2 || sentence_done)).then_some(start)
}

/// Where a topic heading at the start of a line ends, when answer prose follows it.
fn heading_split_point(line: &str) -> Option<usize> {
    let mut end = None;
    for (at, _) in line.match_indices(' ').take(MAX_HEADING_WORDS) {
        let head = &line[..at];
        if head.chars().count() > MAX_HEADING_CHARS {
            break;
        }
        if ends_with_topic(head) {
            end = Some(at);
        }
    }
    let at = end?;
    let head = &line[..at];
    let rest = line[at..].trim_start();
    let rest_cue = cue(rest);
    let head_cue = cue(head);
    (rest_cue.prose && !head_cue.closed && head_cue.marker.is_none() && !head_cue.form_field)
        .then_some(at)
}

fn split_point(line: &str) -> Option<usize> {
    let found = QUESTION_END.find(line)?;
    let head = &line[..found.end()];
    let rest = &line[found.end()..];
    if head.chars().count() > MAX_QUESTION_CHARS || rest.chars().count() < MIN_REST_CHARS {
        return None;
    }
    // Someone quoted in an answer (`“다시 써 주세요.”`) is not a question.
    if head.contains(['“', '”', '"', '‘', '’', '\'', '「', '」']) || STATEMENT.is_match(head)
    {
        return None;
    }
    let head_cue = cue(head.trim_end());
    let asks = head_cue.directive || head_cue.interrogative >= 2.0;
    let starts_like_one = marker(head).is_some() || head.chars().count() >= 15;
    let rest_cue = cue(rest);
    // The rest is answer prose, not more of the question (`(700자)`, a second instruction).
    let answer_follows = !rest_cue.meta && !rest_cue.limit && !rest_cue.directive;
    (asks && starts_like_one && answer_follows).then_some(found.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<String> {
        separate_run_in_questions(vec![line.to_owned()])
    }

    #[test]
    fn splits_a_question_from_the_answer_on_its_line() {
        let parts = split(
            "새로운 도구에 본인의 기술을 접목하기 위한 학습 방법을 기술해 주십시오. 저는 매주 새 도구를 하나씩 익히고 그 결과를 팀에 공유해 왔습니다. 덕분에 팀의 반복 작업이 줄었습니다.",
        );
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("기술해 주십시오."));
        assert!(parts[1].starts_with("저는 매주"));
    }

    #[test]
    fn takes_the_start_of_a_vertical_heading_off_the_line_beside_it() {
        let lines = vec![
            "맡은 일을 끝까지 해내는 사람이라는 말을 듣도록 매일 조금씩 나아가겠습니다. 인 생"
                .to_owned(),
            "관".to_owned(),
            "저는 정직을 가장 소중히 여깁니다.".to_owned(),
        ];
        let out = separate_run_in_questions(lines);
        assert!(out[0].ends_with("나아가겠습니다."), "{out:?}");
        assert_eq!(out[1], "인 생");
        assert_eq!(out[2], "관");
        // Words of one syllable that end a sentence and are followed by prose stay.
        let prose = vec![
            "제가 가장 좋아하는 것은 바로 이 일을 하는 그 때 그 곳 입니다. 그 일".to_owned(),
            "저는 정직을 가장 소중히 여깁니다.".to_owned(),
        ];
        assert_eq!(separate_run_in_questions(prose.clone()), prose);
    }

    #[test]
    fn splits_headings_beside_their_answers_when_the_document_does_it_often() {
        let lines = vec![
            "성격 및 장단점 저의 가장 큰 장점은 꼼꼼함입니다. 일을 시작하기 전에 늘 목록을 만듭니다.".to_owned(),
            "지원동기 제가 회사를 고를 때 가장 중요하게 보는 것은 성장입니다. 귀사가 그런 곳입니다.".to_owned(),
            "성장과정에서 저는 많은 것을 배웠습니다. 부모님은 늘 정직을 강조하셨습니다.".to_owned(),
        ];
        let out = separate_run_in_questions(lines.clone());
        assert_eq!(out[0], "성격 및 장단점");
        assert!(out[1].starts_with("저의 가장 큰 장점은"));
        assert_eq!(out[2], "지원동기");
        assert_eq!(
            out[4], lines[2],
            "a word that only begins with a topic stays"
        );
        // Once in a document is not a layout: left alone.
        let single = vec![
            lines[0].clone(),
            "저는 성실합니다. 늘 노력합니다.".to_owned(),
        ];
        assert_eq!(separate_run_in_questions(single.clone()), single);
    }

    #[test]
    fn leaves_answers_and_whole_questions_alone() {
        for line in [
            "1. 지원 동기를 기술해 주십시오. (700자)",
            "팀장님은 “보고서를 다시 작성해 주세요.” 라고 말씀하셨고, 저는 그날 밤 보고서를 처음부터 다시 썼습니다.",
            "저는 그 일을 끝까지 해냈습니다. 여러분도 도전해 보시기 바랍니다. 그것이 제가 드리고 싶은 말씀이며 제 다짐입니다.",
            "지원 동기를 작성해 주세요. 입사 후 포부도 함께 작성해 주세요.",
        ] {
            assert_eq!(split(line), vec![line.to_owned()], "{line}");
        }
    }
}
