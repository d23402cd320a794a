//! Finds the questions of a cover letter and gives each the lines up to the next question as
//! its answer.
//!
//! A line starts a question when its cues add up: numbering (`문항 1` more than `1.`), a
//! character-limit mark, a closing instruction (`…기술해 주십시오.`), a direct question
//! (`…무엇입니까?`), a topic title (`성장과정`), a modest length; answer prose (declarative
//! sentence endings, great length) counts against. Numbering must run on: once questions are
//! numbered `1.`, `2.`, a `1.` inside the second answer is a list item, not a question.
//! A question may wrap over up to three lines, may have its number on a line of its own and may
//! be followed by limit or counter lines (`(500자)`, `0 / 500자`); all of these belong to it.

use std::ops::Range;

use super::cues::{
    cue, finishes_instruction, joined_title_is_heading, mentions_limit, LineCue, Marker,
    MarkerStyle,
};

/// One question and its answer: half-open ranges of line indices, the question's lines first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitPair {
    pub question: Range<usize>,
    pub answer: Range<usize>,
}

/// The pairs of one document, in order and not overlapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    pub pairs: Vec<SplitPair>,
    /// Every question was found by a strong mark (numbering or a limit), numbering runs
    /// 1, 2, 3… in one style, every question has an answer and no other line came close to
    /// being taken for a question.
    pub confident: bool,
}

/// Score from which a line starts a question.
const THRESHOLD: f32 = 3.0;
/// Score a question block needs to count as found by a strong mark.
const CONFIDENT_SCORE: f32 = THRESHOLD + 1.0;
/// Rejected lines scoring within this of what they needed make the split ambiguous.
const NEAR_MISS: f32 = 1.0;
/// Longest question, in characters over all its lines.
const MAX_QUESTION_CHARS: usize = 300;
/// Shortest first line of an unnumbered question that wraps.
const MIN_WRAPPED_LINE_CHARS: usize = 15;
/// Most lines one question may wrap over (a narrow table cell wraps a long question often).
const MAX_QUESTION_LINES: usize = 5;
/// Most lines of a heading set vertically, one to three syllables a line.
const MAX_VERTICAL_LINES: usize = 12;
/// Longest numbered section title without a topic of its own.
const MAX_TITLE_CHARS: usize = 40;
/// Longest heading told only by its place between paragraphs.
const MAX_LAYOUT_HEADING_CHARS: usize = 25;

/// A candidate question: its lines and how much it looks like one.
#[derive(Debug, Clone)]
struct Block {
    lines: Range<usize>,
    score: f32,
    marker: Option<Marker>,
    /// Only ends the section before it (a title over a list or table): no pair of its own.
    boundary: bool,
}

impl Block {
    /// The more question-like of two readings.
    fn max_score(self, other: Block) -> Block {
        if other.score > self.score {
            other
        } else {
            self
        }
    }
}

/// Splits whitespace-normalised, non-blank lines into question/answer pairs.
pub fn split(lines: &[&str]) -> Split {
    let mut cues: Vec<LineCue> = lines.iter().map(|line| cue(line)).collect();
    titles_share_their_shape(&mut cues);
    join_wrapped_titles(lines, &mut cues);
    mark_vertical_headings(&mut cues);
    mark_numbered_titles(&mut cues);
    let Found {
        mut blocks,
        ambiguous,
        numbering,
    } = find_questions(lines, &cues);
    let by_layout = (blocks.is_empty() || headings_only(&cues, &blocks))
        && add_layout_headings(lines, &cues, &mut blocks);

    let mut pairs = Vec::with_capacity(blocks.len());
    for (index, block) in blocks.iter().enumerate() {
        let next_start = blocks
            .get(index + 1)
            .map_or(lines.len(), |next| next.lines.start);
        let answer = trim_answer(&cues, block.lines.end..next_start);
        // A title over a table of dates or a list of skills is not a question: a pair needs
        // an answer written in sentences, unless the question plainly asks something.
        let asks = asks_outright(&cues, block);
        let body = &cues[answer.clone()];
        let has_prose =
            body.iter().any(|c| c.prose) || body.iter().filter(|c| c.running_text).count() >= 2;
        if block.boundary || answer.is_empty() || !(has_prose || asks) {
            continue;
        }
        pairs.push(SplitPair {
            question: block.lines.clone(),
            answer,
        });
    }
    // A limit inside an answer is a question cell read into it (a side-by-side table): the
    // lines are not in reading order, and the split is not to be trusted without a look.
    let answers_clean = pairs
        .iter()
        .all(|pair| !lines[pair.answer.clone()].iter().any(|l| mentions_limit(l)));
    let confident = !pairs.is_empty()
        && answers_clean
        && pairs.len() == blocks.len()
        && !ambiguous
        && !by_layout
        && numbering.consistent
        && blocks.iter().all(|block| {
            block.score >= CONFIDENT_SCORE
                && (block.marker.is_some_and(Marker::is_numbered)
                    || cues[block.lines.clone()].iter().any(|c| c.limit))
        });
    Split { pairs, confident }
}

struct Found {
    blocks: Vec<Block>,
    ambiguous: bool,
    numbering: Numbering,
}

/// The question blocks found by their own marks, in order.
fn find_questions(lines: &[&str], cues: &[LineCue]) -> Found {
    let mut numbering = Numbering::default();
    let mut blocks: Vec<Block> = Vec::new();
    let mut ambiguous = false;
    let mut at = 0;
    while at < cues.len() {
        if cues[at].meta {
            at += 1;
            continue;
        }
        let candidate = candidate(lines, cues, at);
        let needed = numbering.required_score(candidate.marker);
        if candidate.score < needed {
            if candidate.score >= needed - NEAR_MISS && candidate.score >= THRESHOLD - NEAR_MISS {
                ambiguous = true;
            }
            at += 1;
            continue;
        }
        let numbered = candidate.marker.is_some_and(Marker::is_numbered);
        match blocks.last_mut() {
            // A second question-like block right after a question, without a number of its
            // own, is that question's text (a title line followed by the question sentence).
            Some(previous) if previous.lines.end == at && !numbered => {
                previous.lines.end = candidate.lines.end;
                previous.score = previous.score.max(candidate.score);
            }
            _ => {
                numbering.accept(candidate.marker);
                blocks.push(candidate);
            }
        }
        at = blocks.last().map_or(at + 1, |block| block.lines.end);
        at = absorb_meta(cues, at);
        if let Some(block) = blocks.last_mut() {
            block.lines.end = block.lines.end.max(at);
        }
    }
    Found {
        blocks,
        ambiguous,
        numbering,
    }
}

/// Whether a question block asks something in so many words (an instruction, a direct
/// question, a limit, a label such as `문항 1`), so that it stands even over a short answer.
fn asks_outright(cues: &[LineCue], block: &Block) -> bool {
    block.marker.is_some_and(Marker::is_labeled)
        || cues[block.lines.clone()]
            .iter()
            .any(|c| c.directive || c.limit || c.interrogative >= 1.5)
}

/// A heading set vertically in a table's narrow left cell, one to three syllables a line
/// (`성`/`장`/`과`/`정`, `지 원`/`동 기`): at least two such lines in a row, followed by the
/// section's text. Nobody writes an answer a syllable a line, so the layout alone marks it.
fn mark_vertical_headings(cues: &mut [LineCue]) {
    let mut at = 0;
    while at < cues.len() {
        if !cues[at].vertical_fragment {
            at += 1;
            continue;
        }
        let end = (at..cues.len())
            .find(|&i| !cues[i].vertical_fragment)
            .unwrap_or(cues.len());
        // The section's text follows, perhaps after a subtitle (`장점: …`, `과제: …`).
        let followed_by_text = cues[end..]
            .iter()
            .take(2)
            .any(|next| next.running_text || next.quoted)
            && cues.get(end).is_some_and(|next| !next.vertical_fragment);
        if end - at >= 2 && end - at <= MAX_VERTICAL_LINES && followed_by_text {
            cues[at].vertical_run = end - at;
            cues[at].heading = true;
        }
        at = end;
    }
}

/// A numbered short title (`2. 전공 밖에서 찾은 길`) followed by prose is a section title even when
/// it names no topic; numbering must still run on for it to count (see [`Numbering`]).
fn mark_numbered_titles(cues: &mut [LineCue]) {
    for at in 0..cues.len() {
        // Running text follows within two lines (the first may be a line of a wrapped sentence).
        let next_prose = cues[at + 1..]
            .iter()
            .filter(|c| !c.meta)
            .take(2)
            .any(|c| c.running_text || c.quoted)
            && cues[at + 1..]
                .iter()
                .find(|c| !c.meta)
                .is_some_and(|c| c.marker.is_none());
        let c = &cues[at];
        let title = c.marker.is_some_and(Marker::is_numbered)
            && !c.marker_only
            && (2..=MAX_TITLE_CHARS).contains(&c.text_chars)
            && !c.prose
            && !c.form_field
            && !c.table_row
            && (!c.closed || c.limit)
            && next_prose;
        if title {
            cues[at].numbered_title = true;
        }
    }
}

/// Whether every question found is a section title (no numbering, no instruction, no
/// direct question): a letter written under headings, where a heading need not name a topic.
fn headings_only(cues: &[LineCue], blocks: &[Block]) -> bool {
    blocks.iter().all(|block| {
        let first = &cues[block.lines.start];
        block.marker.is_none_or(|m| !m.is_numbered())
            && (first.heading || first.vertical_run > 0)
            && !asks_outright(cues, block)
    })
}

/// In a letter of headings (or one where nothing else was found), a short line that is not a
/// sentence, between the end of one paragraph and the start of the next, is a heading too:
/// `맺으며`, `입사 후의 저는`, `· 목표`. Not when the writer gives answers subtitles of their own
/// (a heading directly followed by another short line), and never a document title. Returns
/// whether any was added.
fn add_layout_headings(lines: &[&str], cues: &[LineCue], blocks: &mut Vec<Block>) -> bool {
    let subtitled = blocks.iter().any(|block| {
        cues.get(block.lines.end)
            .is_some_and(|next| next.quoted || next.bracketed_title || next.title_fragment)
    });
    if subtitled {
        return false;
    }
    let taken = |at: usize| blocks.iter().any(|b| b.lines.contains(&at));
    let mut added = Vec::new();
    for at in 0..cues.len() {
        let c = &cues[at];
        let shaped = (2..=MAX_LAYOUT_HEADING_CHARS).contains(&c.text_chars)
            && c.marker.is_none_or(|m| m.style == MarkerStyle::Bullet)
            && !c.closed
            && !c.quoted
            && !c.meta
            && !c.closing
            && !c.form_field
            && !c.table_row
            && !c.directive
            && looks_like_a_title(lines[at])
            && !is_document_title(lines[at]);
        if !shaped || taken(at) {
            continue;
        }
        // The section's text follows, perhaps after a quoted motto (`“한 번 더 묻는 사람”`).
        let after = cues.get(at + 1).is_some_and(|next| {
            next.running_text || (next.quoted && cues.get(at + 2).is_some_and(|n| n.running_text))
        });
        // Not a sentence broken off mid-way: the line before ends one, or is no running text.
        let before = at == 0 || {
            let previous = &cues[at - 1];
            previous.closed || !previous.running_text || taken(at - 1)
        };
        // A title over a list or table (`Tools`, `경력 사항`) ends the section before it; it
        // makes no pair of its own, for want of sentences under it.
        if before || !after {
            added.push(Block {
                lines: at..at + 1,
                score: THRESHOLD,
                marker: c.marker,
                boundary: !(before && after),
            });
        }
    }
    let any = !added.is_empty();
    blocks.extend(added);
    blocks.sort_by_key(|block| block.lines.start);
    any
}

/// Mostly letters: `맺으며`, `CampusMap`, `· 목표` — not `(3년 11개월)`, `2021.03` or a
/// contact field (`tel. 010-…`, `Email: …`).
fn looks_like_a_title(line: &str) -> bool {
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    let digits = line.chars().filter(|c| c.is_ascii_digit()).count();
    letters >= 2
        && digits * 3 < letters
        && !line.trim_start().starts_with(['(', '（', '['])
        && !CONTACT_FIELD.is_match(line)
}

/// `tel. …`, `web. …`, `Email: …`, `주소 : …`: a field of a résumé's contact block.
static CONTACT_FIELD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^\W*[A-Za-z가-힣]{2,12}\s*[.:：]\s*\S").expect("static regex")
});

/// `자기소개서`, `[공통 자기소개서]`, `이력서`: the document's own title.
fn is_document_title(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| c.is_alphanumeric()).collect();
    [
        "자기소개서",
        "자소서",
        "이력서",
        "입사지원서",
        "경력기술서",
        "포트폴리오",
    ]
    .iter()
    .any(|title| compact.ends_with(title))
}

/// Where at least two bracketed titles name a topic (`[생활신조]`, `[커리어 목표]`), the
/// document titles its questions in brackets: `[자기 PR]` is then a question heading too —
/// unless the writer also opens answers with bracketed subtitles (`[성장과정]` directly
/// followed by `[끈기의 힘]`), where brackets no longer tell questions apart.
fn titles_share_their_shape(cues: &mut [LineCue]) {
    let is_topic_title = |c: &LineCue| c.bracketed_title && c.heading && c.marker.is_none();
    let topic_titles = cues.iter().filter(|c| is_topic_title(c)).count();
    let subtitled = cues
        .windows(2)
        .any(|pair| is_topic_title(&pair[0]) && pair[1].bracketed_title && !pair[1].heading);
    if topic_titles >= 2 && !subtitled {
        for cue in cues
            .iter_mut()
            .filter(|c| c.bracketed_title && c.marker.is_none())
        {
            cue.heading = true;
        }
    }
}

/// A title broken over two lines (`입사 후 계획 및` / `포부`, as narrow table cells print it)
/// is one heading when the two parts together name a topic.
fn join_wrapped_titles(lines: &[&str], cues: &mut [LineCue]) {
    for at in 0..cues.len().saturating_sub(1) {
        let (first, second) = (&cues[at], &cues[at + 1]);
        let fragments = first.title_fragment
            && second.title_fragment
            && second.marker.is_none()
            && !first.heading
            && !first.bracketed_title
            && !second.bracketed_title
            && !is_document_title(lines[at]);
        if fragments && joined_title_is_heading(lines[at], lines[at + 1]) {
            cues[at].heading = true;
            cues[at].heading_wraps = true;
        }
    }
}

/// What numbering the questions so far have used, and what the next one should carry.
#[derive(Debug, Clone)]
struct Numbering {
    style: Option<MarkerStyle>,
    expected: Option<u32>,
    /// Every question so far was numbered 1, 2, 3… in one style (or none was numbered).
    consistent: bool,
    questions: usize,
}

impl Default for Numbering {
    fn default() -> Self {
        Numbering {
            style: None,
            expected: None,
            consistent: true,
            questions: 0,
        }
    }
}

impl Numbering {
    fn required_score(&self, marker: Option<Marker>) -> f32 {
        let Some(style) = self.style else {
            // Questions so far unnumbered (headings): a numbered line is an answer's list.
            if self.questions > 0 && marker.is_some_and(Marker::is_numbered) {
                return THRESHOLD + 1.5;
            }
            return THRESHOLD;
        };
        match marker {
            Some(Marker {
                style: found,
                number: Some(number),
            }) if found == style => {
                if Some(number) == self.expected {
                    THRESHOLD - 0.5
                } else {
                    // `1.` again inside an answer: a list item unless it is plainly a question.
                    THRESHOLD + 2.5
                }
            }
            Some(Marker {
                style: MarkerStyle::Labeled,
                number: Some(_),
            }) => THRESHOLD,
            // Another numbering style than the questions': the answer's own list.
            Some(Marker {
                number: Some(_), ..
            }) => THRESHOLD + 1.5,
            // An unnumbered question among numbered ones.
            _ => THRESHOLD + 1.0,
        }
    }

    fn accept(&mut self, marker: Option<Marker>) {
        let expected_number = if self.questions == 0 {
            Some(1)
        } else {
            self.expected
        };
        match marker {
            Some(Marker {
                style,
                number: Some(number),
            }) => {
                if self.style.is_some_and(|s| s != style)
                    || (self.questions > 0 && self.style.is_none())
                    || Some(number) != expected_number
                {
                    self.consistent = false;
                }
                if self.style.is_none() {
                    self.style = Some(style);
                }
                self.expected = number.checked_add(1);
            }
            _ => {
                if self.style.is_some() {
                    self.consistent = false;
                }
            }
        }
        self.questions += 1;
    }
}

/// How much one line, or one wrapped question, looks like a question.
fn line_score(marker: Option<Marker>, closing: &LineCue, chars: usize, prose: bool) -> f32 {
    let mut score = match marker {
        Some(m) if m.is_labeled() && m.is_numbered() => 3.0,
        Some(m) if m.is_labeled() => 2.5,
        Some(m) if m.is_numbered() => 1.5,
        Some(_) => 0.5,
        None => 0.0,
    };
    if closing.limit {
        score += 2.5;
    }
    if closing.directive {
        score += 3.0;
    }
    score += closing.interrogative;
    if closing.heading {
        score += 3.0;
    }
    if chars > 250 {
        score -= 4.0;
    } else if chars > 180 {
        score -= 2.0;
    }
    if prose {
        score -= 2.5;
    }
    score
}

/// A short line of its own that asks (`어떤 사람인가요?`, `왜 이 길인가?`) — not the writer
/// asking themselves in an answer (`왜 저는 늘 계획을 세울까요?`).
fn short_question(line: &str, cue: &LineCue) -> bool {
    cue.interrogative > 0.0
        && cue.text_chars <= 30
        && !cue.prose
        && !cue.quoted
        && !["저는", "제가", "저의", "저를", "저도"]
            .iter()
            .any(|me| line.contains(me))
}

/// A labeled line (`Q. 어떻게 자라 왔나요?`) short enough to be only the question.
fn labeled_short(cue: &LineCue) -> bool {
    cue.marker.is_some_and(Marker::is_labeled) && !cue.prose && (2..=80).contains(&cue.text_chars)
}

/// Whether a line ends a question: an instruction, a limit, a direct question.
fn ends_question(cue: &LineCue) -> bool {
    cue.directive || cue.limit || cue.interrogative >= 1.5
}

/// Whether a line without numbering can be the text of the question above it.
fn continues_question(cue: &LineCue) -> bool {
    cue.marker
        .is_none_or(|m| m.style == MarkerStyle::Bullet && !m.is_numbered())
        && !cue.meta
        && !cue.closing
        && !cue.form_field
        && !cue.table_row
        && !cue.vertical_fragment
        && cue.text_chars <= MAX_QUESTION_CHARS
}

/// The question that would start at `start`: the line alone, or wrapped over the next lines,
/// or a bare number followed by the question's text.
fn candidate(lines: &[&str], cues: &[LineCue], start: usize) -> Block {
    let first = &cues[start];
    if first.vertical_run > 0 {
        return Block {
            lines: start..start + first.vertical_run,
            score: THRESHOLD + 3.0,
            boundary: false,
            marker: None,
        };
    }
    let alone = Block {
        lines: start..start + 1,
        score: line_score(first.marker, first, first.text_chars, first.prose)
            + if first.marker_only { 1.0 } else { 0.0 }
            + if first.numbered_title { 1.5 } else { 0.0 }
            + if labeled_short(first) { 0.5 } else { 0.0 }
            + if short_question(lines[start], first) {
                1.0
            } else {
                0.0
            },
        marker: first.marker,
        boundary: false,
    };
    if first.table_row {
        return alone;
    }
    if first.heading_wraps {
        return Block {
            lines: start..start + 2,
            ..alone
        };
    }
    if first.closed && !first.marker_only && !first.heading {
        return alone;
    }
    // `…작성해` / `주세요. (700자)`: the instruction goes on in the next line.
    if lines
        .get(start + 1)
        .is_some_and(|next| finishes_instruction(next))
    {
        let next_cue = &cues[start + 1];
        return Block {
            lines: start..start + 2,
            score: line_score(
                first.marker,
                next_cue,
                first.text_chars + next_cue.text_chars,
                false,
            ) + if first.directive { 3.0 } else { 0.0 },
            marker: first.marker,
            boundary: false,
        }
        .max_score(alone);
    }
    if ends_question(first) && !first.marker_only {
        return alone;
    }
    // Without a number, only a line broken off mid-sentence can be the start of a wrapped
    // question; a title (`자기소개서`) or a form field is not.
    if first.marker.is_none() && (first.text_chars < MIN_WRAPPED_LINE_CHARS || first.form_field) {
        return alone;
    }
    // A wrapped question: lines that do not end a sentence, then one that ends the question.
    let mut chars = first.text_chars;
    let mut best = alone;
    let last_line = start + MAX_QUESTION_LINES;
    for (end, line) in cues.iter().enumerate().take(last_line).skip(start + 1) {
        if !continues_question(line) || line.prose {
            break;
        }
        chars += line.text_chars;
        if chars > MAX_QUESTION_CHARS {
            break;
        }
        // A bare number (`[문항 1]`) takes the next line as its text, whatever its ending.
        let numbers_this_line = first.marker_only && end == start + 1;
        if ends_question(line) || numbers_this_line {
            let score = line_score(first.marker, line, chars, false)
                + if first.heading { 3.0 } else { 0.0 }
                + if first.marker_only { 1.0 } else { 0.0 };
            if score > best.score {
                best = Block {
                    lines: start..end + 1,
                    score,
                    boundary: false,
                    marker: first.marker,
                };
            }
            break;
        }
        if line.closed {
            break;
        }
    }
    best
}

/// Skips limit and counter lines that follow a question.
fn absorb_meta(cues: &[LineCue], mut at: usize) -> usize {
    while cues.get(at).is_some_and(|c| c.meta) {
        at += 1;
    }
    at
}

/// Drops counter lines, page numbers, dates and signatures from the end of an answer; a
/// declaration, date or signature ends the answer (what follows — a job site's notices, a
/// portfolio link — is the form's, not the applicant's answer).
fn trim_answer(cues: &[LineCue], mut answer: Range<usize>) -> Range<usize> {
    if let Some(closing) = (answer.start + 1..answer.end).find(|&at| cues[at].closing) {
        answer.end = closing;
    }
    while answer.end > answer.start && {
        let last = &cues[answer.end - 1];
        last.meta || last.closing
    } {
        answer.end -= 1;
    }
    answer
}

/// Debugging aid (not part of the API): each line's cues and the blocks found.
#[doc(hidden)]
pub fn explain(lines: &[&str]) -> String {
    let mut cues: Vec<LineCue> = lines.iter().map(|line| cue(line)).collect();
    titles_share_their_shape(&mut cues);
    join_wrapped_titles(lines, &mut cues);
    mark_vertical_headings(&mut cues);
    mark_numbered_titles(&mut cues);
    let mut out = String::new();
    for (at, (line, c)) in lines.iter().zip(&cues).enumerate() {
        let cand = candidate(lines, &cues, at);
        out.push_str(&format!(
            "{at:3} s{:4.1} {}{}{}{}{}{}{}{}{} {}\n",
            cand.score,
            if c.heading { 'H' } else { '.' },
            if c.prose { 'P' } else { '.' },
            if c.running_text { 'R' } else { '.' },
            if c.closed { 'C' } else { '.' },
            if c.directive { 'D' } else { '.' },
            if c.vertical_run > 0 { 'V' } else { '.' },
            if c.numbered_title { 'N' } else { '.' },
            if c.table_row { 'T' } else { '.' },
            if c.meta { 'M' } else { '.' },
            line.chars().take(50).collect::<String>()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> (Vec<(String, String)>, bool) {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let split = split(&lines);
        let pairs = split
            .pairs
            .iter()
            .map(|pair| {
                (
                    lines[pair.question.clone()].join(" "),
                    lines[pair.answer.clone()].join(" "),
                )
            })
            .collect();
        (pairs, split.confident)
    }

    #[test]
    fn a_limit_read_into_an_answer_makes_the_split_unsure() {
        let (pairs, confident) = pairs(
            "1. 지원 동기를 기술해 주십시오. (500자)\n\
             저는 이 회사의 일하는 방식에 끌려 지원했습니다. 작은 개선을 꾸준히 쌓는 곳입니다.\n\
             2. 본인의 원칙을 소개하고 실천한 경험을 기술해 주십시오.\n\
             약속은 작은 것이라도 지켜질 때 (600자 이내) 신뢰가 쌓인다고 믿습니다.",
        );
        assert_eq!(pairs.len(), 2);
        assert!(!confident);
    }

    #[test]
    fn numbered_questions_with_limits() {
        let (pairs, confident) = pairs(
            "자기소개서
             지원자: 홍길동
             1. 지원 동기를 기술해 주십시오. (500자)
             저는 어릴 때부터 전기에 관심이 많았습니다. 그래서 전기공학을 전공했습니다.
             귀사의 비전에 공감하여 지원하였습니다.
             2. 입사 후 포부를 서술하시오. (공백 포함 1,000자 이내)
             입사 후에는 현장을 배우겠습니다. 그리고 전문가가 되겠습니다.",
        );
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].0, "1. 지원 동기를 기술해 주십시오. (500자)");
        assert_eq!(
            pairs[0].1,
            "저는 어릴 때부터 전기에 관심이 많았습니다. 그래서 전기공학을 전공했습니다. 귀사의 비전에 공감하여 지원하였습니다."
        );
        assert!(pairs[1].1.starts_with("입사 후에는"));
        assert!(confident);
    }

    #[test]
    fn answer_lists_are_not_questions() {
        let (pairs, _) = pairs(
            "1. 본인의 직무 역량을 기술하시오.
             저는 두 가지 역량을 갖추었습니다.
             1) 첫째, 데이터 분석 역량입니다. 통계 수업에서 회귀 분석을 익혔습니다.
             2) 둘째, 소통 능력입니다. 동아리 회장으로 일했습니다.
             2. 실패 경험을 기술하시오.
             1. 처음 창업했을 때 저는 시장 조사를 소홀히 했습니다. 그 결과 실패했습니다.
             2. 그 경험으로 고객을 먼저 보게 되었습니다. 지금은 조사부터 합니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs[0].1.contains("2) 둘째"));
        assert!(pairs[1].1.ends_with("지금은 조사부터 합니다."));
    }

    #[test]
    fn labeled_numbers_on_their_own_line_and_counters() {
        let (pairs, confident) = pairs(
            "[문항 1]
             지원 동기를 구체적으로 작성해 주세요.
             최대 700자
             저는 고객을 이해하는 마케터가 되고 싶습니다. 귀사는 고객 데이터가 풍부합니다.
             512 / 700자
             [문항 2]
             성격의 장단점을 기술해 주세요.
             (현재 320자)
             저의 장점은 꼼꼼함입니다. 단점은 느린 속도입니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(
            pairs[0].0,
            "[문항 1] 지원 동기를 구체적으로 작성해 주세요. 최대 700자"
        );
        assert_eq!(
            pairs[0].1,
            "저는 고객을 이해하는 마케터가 되고 싶습니다. 귀사는 고객 데이터가 풍부합니다."
        );
        assert_eq!(
            pairs[1].1,
            "저의 장점은 꼼꼼함입니다. 단점은 느린 속도입니다."
        );
        assert!(confident);
    }

    #[test]
    fn a_bare_number_takes_the_next_line_as_its_question() {
        let (pairs, confident) = pairs(
            "문항 1
             본인의 성장 과정
             저는 바닷가 마을에서 자랐습니다. 바다를 보며 꿈을 키웠습니다.
             문항 2
             협업 경험
             저는 축제 준비위원으로 일했습니다. 역할을 나누어 성공했습니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(pairs[0].0, "문항 1 본인의 성장 과정");
        assert_eq!(
            pairs[1].1,
            "저는 축제 준비위원으로 일했습니다. 역할을 나누어 성공했습니다."
        );
        assert!(confident);
    }

    #[test]
    fn wrapped_questions() {
        let (pairs, _) = pairs(
            "Q1. 지원자가 경험한 가장 큰 실패는 무엇이며, 그 경험을 통해 배운 점을
             구체적으로 기술해 주십시오. (700자)
             대학 2학년 때 공모전에서 떨어졌습니다. 원인은 준비 부족이었습니다.
             Q2. 최근 사회 이슈 중 하나를 선택하고
             이에 관한 견해를 서술하시오.
             저는 저출생 문제에 주목합니다. 일과 가정의 양립이 핵심입니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs[0].0.ends_with("(700자)"));
        assert!(pairs[1].0.ends_with("서술하시오."));
        assert!(pairs[1].1.starts_with("저는 저출생"));
    }

    #[test]
    fn unnumbered_questions_by_their_endings() {
        let (pairs, confident) = pairs(
            "자기소개서
             당사에 지원한 동기는 무엇입니까?
             저는 귀사의 기술력에 매료되었습니다. 특히 배터리 분야가 그렇습니다.
             본인의 강점을 보여줄 수 있는 경험을 기술해 주세요.
             저는 끈기가 강합니다. 마라톤을 완주했습니다.
             2024년 3월 2일
             지원자 홍길동 (인)",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(pairs[1].1, "저는 끈기가 강합니다. 마라톤을 완주했습니다.");
        assert!(!confident, "no numbering, no limits");
    }

    #[test]
    fn topic_headings_with_bracketed_subtitles() {
        let (pairs, _) = pairs(
            "자기소개서
             [성장과정]
             [정직을 배운 집]
             저는 화목한 가정에서 자랐습니다. 부모님은 정직을 가르치셨습니다.
             [끈기의 힘]
             고등학교 때 매일 달리기를 했습니다.
             [성격의 장단점]
             [꼼꼼함이라는 무기]
             저는 꼼꼼합니다. 다만 결정이 느립니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs[0].1.starts_with("[정직을 배운 집]"));
        assert!(pairs[0].1.contains("[끈기의 힘]"));
        assert!(pairs[1].1.starts_with("[꼼꼼함이라는 무기]"));
    }

    #[test]
    fn bare_topic_headings() {
        let (pairs, confident) = pairs(
            "자기소개서
             지원자: 이서연 / 지원 분야: 품질관리
             성장과정
             저는 대구에서 자랐습니다. 이웃끼리 돕는 법을 배웠습니다.
             성격 및 장단점
             저의 장점은 꼼꼼함입니다. 단점은 속도입니다.
             입사 후 계획 및 포부
             저는 품질 전문가가 되겠습니다. 매일 공부하겠습니다.",
        );
        assert_eq!(pairs.len(), 3, "{pairs:?}");
        assert_eq!(pairs[1].0, "성격 및 장단점");
        assert!(!confident);
    }

    #[test]
    fn bracketed_titles_share_their_shape() {
        let (pairs, _) = pairs(
            "자기소개서
             지원자: 박지훈 / 지원 분야: 데이터 분석
             [생활신조]
             저는 약속을 지킵니다. 신뢰가 중요하기 때문입니다.
             [커리어 목표]
             저는 데이터 전문가가 되고 싶습니다. 매일 공부합니다.
             [자기 PR]
             저는 꾸준합니다. 매일 아침 영어 원서를 읽었습니다.",
        );
        assert_eq!(pairs.len(), 3, "{pairs:?}");
        assert_eq!(pairs[2].0, "[자기 PR]");
        assert_eq!(
            pairs[1].1,
            "저는 데이터 전문가가 되고 싶습니다. 매일 공부합니다."
        );
    }

    #[test]
    fn titles_wrapped_over_two_lines() {
        let (pairs, _) = pairs(
            "성장과정
             저는 대구에서 자랐습니다. 이웃끼리 돕는 법을 배웠습니다.
             입사 후 계획 및
             포부
             저는 품질 전문가가 되겠습니다. 매일 공부하겠습니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(pairs[1].0, "입사 후 계획 및 포부");
        assert_eq!(
            pairs[1].1,
            "저는 품질 전문가가 되겠습니다. 매일 공부하겠습니다."
        );
    }

    #[test]
    fn title_line_then_question_sentence() {
        let (pairs, _) = pairs(
            "1. 지원동기
             당사에 지원한 이유를 기술하시오. (500자)
             저는 물류 혁신에 관심이 많습니다. 귀사가 그 중심입니다.
             2. 입사 후 포부
             입사 후 이루고 싶은 목표를 작성하시오. (500자)
             저는 물류 전문가가 되겠습니다. 10년 안에 팀을 이끌겠습니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(
            pairs[0].0,
            "1. 지원동기 당사에 지원한 이유를 기술하시오. (500자)"
        );
        assert!(pairs[1].1.starts_with("저는 물류 전문가"));
    }

    #[test]
    fn circled_and_enclosed_numbers_and_rhetorical_questions() {
        let (pairs, confident) = pairs(
            "① 본인의 성격의 장단점을 기술하시오.
             왜 저는 늘 계획을 세울까요?
             저는 계획을 세우는 사람입니다. 그래서 실수가 적습니다.
             - 2 -
             ② 가장 크게 실패한 경험은 무엇입니까?
             저는 첫 창업에서 실패했습니다. 고객을 몰랐기 때문입니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(
            pairs[0].1,
            "왜 저는 늘 계획을 세울까요? 저는 계획을 세우는 사람입니다. 그래서 실수가 적습니다."
        );
        assert!(confident);
        let (enclosed, _) = super::tests::pairs(
            "(1) 지원 동기를 작성하십시오.
             저는 물류에 관심이 많습니다. 귀사가 선두입니다.
             (2) 입사 후 포부를 작성하십시오.
             저는 전문가가 되겠습니다. 매일 배우겠습니다.",
        );
        assert_eq!(enclosed.len(), 2, "{enclosed:?}");
    }

    #[test]
    fn answers_wrapped_at_the_page_width() {
        let (pairs, confident) = pairs(
            "1. 지원 동기를 기술해 주십시오. (500자)
             저는 어릴 때부터 전기에 관심이 많았습니다. 그래서 전기공학을
             전공했고, 매출이 2.5배 늘어난 귀사의 성장에 공감하여 지원하였습니다. 특히
             귀사의 연구소에서 일하고 싶습니다.
             2. 입사 후 포부를 서술하시오. (500자)
             입사 후에는 현장을 배우겠습니다.",
        );
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs[0].1.ends_with("일하고 싶습니다."));
        assert!(confident);
    }

    #[test]
    fn odd_lines_do_not_panic() {
        let odd = [
            "",
            "1.",
            "①",
            "[",
            "]",
            "(500자",
            "Q",
            "문항",
            "1) ?",
            "?",
            "(",
            "【】",
            "Q.",
            "0 / 0자",
            "1.5",
            "99. 무엇입니까?",
            "⑳",
            "❿ 기술하시오.",
            "…",
            "\u{200b}",
            "가",
            "1번",
        ];
        for window in odd.windows(4) {
            let split = split(window);
            for pair in &split.pairs {
                assert!(pair.question.start < pair.question.end);
                assert!(pair.question.end <= pair.answer.start);
                assert!(pair.answer.end <= window.len());
            }
        }
        let _ = split(&odd);
    }

    #[test]
    fn nothing_question_like_gives_no_pairs() {
        let (pairs, confident) = pairs("저는 성실합니다. 열심히 하겠습니다.\n감사합니다.");
        assert!(pairs.is_empty());
        assert!(!confident);
        assert!(split(&[]).pairs.is_empty());
    }
}
