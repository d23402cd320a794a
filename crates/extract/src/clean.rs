//! From raw page texts to clean body text: Unicode NFC, normalised whitespace, running
//! headers/footers and page numbers removed, wrapped lines joined into paragraphs.

use std::collections::HashMap;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::layout::Line;

/// Lines at the top and at the bottom of a page where running headers and footers live.
const MARGIN_LINES: usize = 3;

/// Cleans each page, removes page furniture that repeats across pages, and joins the result
/// into one text with one paragraph per line.
pub(crate) fn assemble(pages: Vec<Vec<Line>>) -> String {
    let mut pages: Vec<Vec<Line>> = pages
        .into_iter()
        .map(|lines| {
            lines
                .into_iter()
                .filter_map(|mut line| {
                    line.text = normalise_line(&line.text);
                    (!line.text.is_empty()).then_some(line)
                })
                .collect()
        })
        .collect();
    remove_running_furniture(&mut pages);
    join_paragraphs(&pages)
}

/// NFC, every kind of space and line break folded into U+0020 and collapsed, invisible
/// characters dropped, trimmed.
pub(crate) fn normalise_line(raw: &str) -> String {
    // Most lines (precomposed Hangul, Latin) are NFC already: the quick check proves it
    // without building a second copy of the line.
    if is_nfc_quick(raw.chars()) == IsNormalized::Yes {
        return normalise_spaces(raw);
    }
    let nfc: String = raw.nfc().collect();
    normalise_spaces(&nfc)
}

fn normalise_spaces(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut pending_space = false;
    for ch in line.chars() {
        if is_invisible(ch) || (crate::quality::is_unmapped(ch) && !ch.is_control()) {
            continue;
        }
        if ch.is_whitespace() || ch.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
    }
    if out.contains('・') {
        out = korean_middle_dots(&out);
    }
    out
}

/// A katakana middle dot between Hangul words is the Korean interpunct: Korean fonts draw
/// U+00B7 and U+30FB with one glyph, and a ToUnicode built from the font's cmap may name
/// either.
fn korean_middle_dots(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let hangul_at = |index: Option<&char>| index.is_some_and(|c| is_hangul(*c));
    (0..chars.len())
        .map(|i| {
            let before = chars[..i].iter().rev().find(|c| **c != ' ');
            let after = chars[i + 1..].iter().find(|c| **c != ' ');
            if chars[i] == '・' && hangul_at(before) && hangul_at(after) {
                '·'
            } else {
                chars[i]
            }
        })
        .collect()
}

fn is_invisible(ch: char) -> bool {
    matches!(
        ch,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

// ---------------------------------------------------------------------------------------
// Running headers, footers and page numbers

/// Removes lines in the top or bottom margin of pages that repeat on at least two pages and
/// on at least half of them: exact repeats (a document title, a browser date line), and
/// lines that differ only in their digits when they carry a page number ("1/3", "- 2 -",
/// "Page 3", "페이지 4", "https://… 2/5"). Body lines are never touched: only the first and
/// last [`MARGIN_LINES`] lines of a page are candidates. Single-page documents are left alone.
pub(crate) fn remove_running_furniture<T: AsRef<str>>(pages: &mut [Vec<T>]) {
    if pages.len() < 2 {
        return;
    }
    let needed = pages.len().div_ceil(2).max(2);
    let mut top = MarginCounts::default();
    let mut bottom = MarginCounts::default();
    for lines in pages.iter() {
        let (head, tail) = margins(lines);
        top.add_page(head);
        bottom.add_page(tail);
    }
    let repeats = |counts: &MarginCounts, line: &str| -> bool {
        let exact = counts.exact.get(&exact_key(line)).copied().unwrap_or(0);
        let digits_folded = counts
            .folded
            .get(&furniture_key(line))
            .copied()
            .unwrap_or(0);
        exact >= needed || (digits_folded >= needed && carries_page_number(line))
    };
    for lines in pages.iter_mut() {
        let len = lines.len();
        let top_end = MARGIN_LINES.min(len);
        let bottom_start = len.saturating_sub(MARGIN_LINES);
        let mut index = 0;
        lines.retain(|line| {
            let line = line.as_ref();
            let in_top = index < top_end;
            let in_bottom = index >= bottom_start;
            index += 1;
            let furniture = (in_top && repeats(&top, line))
                || (in_bottom && repeats(&bottom, line))
                || ((in_top || in_bottom) && is_bare_page_number(line) && len > 1);
            !furniture
        });
    }
}

/// How many pages carry each line in one margin, exactly and with digits folded.
#[derive(Default)]
struct MarginCounts {
    exact: HashMap<String, usize>,
    folded: HashMap<String, usize>,
}

impl MarginCounts {
    /// A line counts once per page, however often it appears in the margin.
    fn add_page<T: AsRef<str>>(&mut self, margin: &[T]) {
        let mut exact: Vec<String> = margin.iter().map(|l| exact_key(l.as_ref())).collect();
        exact.sort();
        exact.dedup();
        for key in exact {
            *self.exact.entry(key).or_default() += 1;
        }
        let mut folded: Vec<String> = margin.iter().map(|l| furniture_key(l.as_ref())).collect();
        folded.sort();
        folded.dedup();
        for key in folded {
            *self.folded.entry(key).or_default() += 1;
        }
    }
}

fn exact_key(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace()).collect()
}

fn margins<T>(lines: &[T]) -> (&[T], &[T]) {
    let top_end = MARGIN_LINES.min(lines.len());
    let bottom_start = lines.len().saturating_sub(MARGIN_LINES);
    (&lines[..top_end], &lines[bottom_start..])
}

/// The line with spaces removed and every run of digits folded into `#`.
fn furniture_key(line: &str) -> String {
    let mut key = String::with_capacity(line.len());
    let mut in_digits = false;
    for ch in line.chars().filter(|c| !c.is_whitespace()) {
        if ch.is_ascii_digit() {
            if !in_digits {
                key.push('#');
            }
            in_digits = true;
        } else {
            key.push(ch);
            in_digits = false;
        }
    }
    key
}

/// Page-number forms a running header/footer may carry, anywhere in the line.
fn carries_page_number(line: &str) -> bool {
    let tokens: Vec<&str> = line.split(' ').collect();
    let joined = line.replace(' ', "");
    is_bare_page_number(line)
        || tokens.iter().any(|t| is_counter(t))
        || joined.contains('/')
            && tokens
                .windows(3)
                .any(|w| is_number(w[0]) && w[1] == "/" && is_number(w[2]))
        || tokens.windows(2).any(|w| {
            let label = w[0].to_lowercase();
            (label == "page" || label == "p." || label == "페이지" || label == "쪽")
                && is_number(w[1])
        })
}

/// A line that is only a page number: "3", "- 3 -", "3/7", "3 / 7", "Page 3", "페이지 3",
/// "3 of 7", "3쪽", "p. 3".
pub(crate) fn is_bare_page_number(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = compact.to_lowercase();
    let stripped = lower
        .trim_start_matches(['-', '–', '—', '(', '['])
        .trim_end_matches(['-', '–', '—', ')', ']']);
    let body = stripped
        .strip_prefix("page")
        .or_else(|| stripped.strip_prefix("페이지"))
        .or_else(|| stripped.strip_prefix("p."))
        .unwrap_or(stripped);
    let body = body
        .strip_suffix("페이지")
        .or_else(|| body.strip_suffix('쪽'))
        .unwrap_or(body);
    if is_number(body) {
        return true;
    }
    let split = body.split_once('/').or_else(|| body.split_once("of"));
    matches!(split, Some((a, b)) if is_number(a) && is_number(b))
}

fn is_counter(token: &str) -> bool {
    matches!(token.split_once('/'), Some((a, b)) if is_number(a) && is_number(b))
}

fn is_number(token: &str) -> bool {
    !token.is_empty() && token.len() <= 3 && token.chars().all(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------
// Paragraphs

/// A line that ends a sentence ends its paragraph unless it comes this close (in font
/// sizes) to its block's right edge.
const FULL_SENTENCE_SLACK: f64 = 1.0;
/// The room a line leaves must fall short of the next line's first word and a space by
/// this share of the font size for the break between them to be a wrap.
const FIT_TOLERANCE: f64 = 0.25;
/// Consecutive lines whose baselines stand further apart than this many font sizes are in
/// different text blocks.
const BLOCK_LINE_GAP: f64 = 3.0;
/// Lines whose font sizes differ by more than this ratio are a heading and its body, or two
/// separate blocks: a wrapped paragraph keeps its size.
const WRAP_SIZE_RATIO: f64 = 1.2;

/// One line with where it stands among its neighbours.
struct Placed<'a> {
    line: &'a Line,
    /// Right edge of the line's text block (the run of lines it stands in).
    block_right: f64,
    /// The line continues the text block of the line before it.
    same_block: bool,
    /// Lines in the block: in one of two lines, the longer sets the block's edge, so the
    /// room the shorter leaves says nothing of where the producer wraps.
    block_lines: usize,
}

/// The text blocks of one page, in reading order: runs of consecutive lines that overlap
/// horizontally and stand close above one another. A line's block's right edge is where its
/// lines wrap (a page's body, a column, a slide's text box, a table cell).
fn place(page: &[Line], continues_previous_page: impl Fn(&Line) -> bool) -> Vec<Placed<'_>> {
    let mut placed: Vec<Placed<'_>> = Vec::with_capacity(page.len());
    let mut block_start = 0;
    for (index, line) in page.iter().enumerate() {
        let same_block = match index.checked_sub(1).map(|i| &page[i]) {
            Some(prev) => {
                let overlap = prev.right.min(line.right) > prev.left.max(line.left);
                let near = (prev.y - line.y).abs() <= BLOCK_LINE_GAP * prev.size.max(line.size);
                overlap && near
            }
            None => continues_previous_page(line),
        };
        if !same_block && index > 0 {
            close_block(&mut placed[block_start..]);
            block_start = index;
        }
        placed.push(Placed {
            line,
            block_right: line.right,
            same_block,
            block_lines: 1,
        });
    }
    close_block(&mut placed[block_start..]);
    placed
}

fn close_block(block: &mut [Placed<'_>]) {
    let right = block.iter().map(|p| p.line.right).fold(f64::MIN, f64::max);
    let lines = block.len();
    for placed in block {
        placed.block_right = right;
        placed.block_lines = lines;
    }
}

impl Placed<'_> {
    /// Room left on the line before its block's right edge, with what justification
    /// stretched it by: the room the producer had when it broke the line.
    fn room(&self) -> f64 {
        (self.block_right - self.line.right).max(0.0) + self.line.stretch.max(0.0)
    }
}

/// Whether the producer wrapped `prev` into `next` (rather than ending a paragraph, a
/// heading, a table row or a text box): the two stand in one block at one size, and the
/// room `prev` left would not have taken the first word of `next`.
fn wraps(prev: &Placed<'_>, next: &Placed<'_>) -> bool {
    let (line, following) = (prev.line, next.line);
    if !next.same_block || line.hard_break || following.column_gap {
        return false;
    }
    // A table row continues only in its last column (a label cell beside its text).
    if line.column_gap && following.left < line.last_column_left - line.size {
        return false;
    }
    let (small, large) = if line.size < following.size {
        (line.size, following.size)
    } else {
        (following.size, line.size)
    };
    if large > small * WRAP_SIZE_RATIO {
        return false;
    }
    // Across a page the text continues in the next page's block: a line alone at the foot
    // of a page (a question before its answer overleaf) is measured against that edge too.
    let edge = prev.block_right.max(next.block_right);
    let left = (edge - line.right).max(0.0);
    if line.text.ends_with(['.', '!', '?', '。']) && left > FULL_SENTENCE_SLACK * line.size {
        return false;
    }
    // Justification never stretches a paragraph's last line: a line stretched out to its
    // block's edge was wrapped, whatever the width of the next line's first word.
    if line.stretch > FIT_TOLERANCE * line.size && left < FIT_TOLERANCE * line.size {
        return true;
    }
    left + line.stretch.max(0.0) < following.first_word + line.space + FIT_TOLERANCE * line.size
}

/// Joins the lines of all pages into paragraphs: a line the producer wrapped continues in
/// the next line (also across a page break) unless the next line starts a new item. Where
/// a line wraps inside Korean text, what the document shows decides whether the producer
/// broke it at a space or inside a word (see [`WrapEvidence`]).
pub(crate) fn join_paragraphs(pages: &[Vec<Line>]) -> String {
    let mut placed: Vec<Placed<'_>> = Vec::new();
    for page in pages {
        let previous = placed.last().map(|p| p.line);
        placed.extend(place(page, |first| {
            previous.is_some_and(|last| last.right.min(first.right) > last.left.max(first.left))
        }));
    }
    let wrapped: Vec<bool> = (1..placed.len())
        .map(|i| wraps(&placed[i - 1], &placed[i]))
        .collect();
    let evidence = WrapEvidence::of(&placed, &wrapped);
    let mut out = String::new();
    for (index, next) in placed.iter().enumerate() {
        let line = next.line;
        if index > 0 {
            let prev = &placed[index - 1];
            let wrap = wrapped[index - 1];
            match join_with(&prev.line.text, &line.text, wrap) {
                Join::Break => out.push('\n'),
                Join::Space if evidence.breaks_inside_word(prev, line) => {}
                Join::Space => out.push(' '),
                Join::Dehyphenate => {
                    out.pop();
                }
                Join::Direct => {}
            }
        }
        out.push_str(&line.text);
    }
    out
}

/// A wrap from one line into the next with Hangul on either side of the break.
fn wraps_korean(prev: &Line, next: &Line, wrap: bool) -> bool {
    join_with(&prev.text, &next.text, wrap) == Join::Space
        && (prev.text.chars().last().is_some_and(is_hangul)
            || next.text.chars().next().is_some_and(is_hangul))
}

/// How this document's producer wraps Korean lines, from its own line breaks:
///
/// - a space glyph at the end of a line (or the start of the next) is a break at a space;
///   a producer that draws one at a fifth or more of its breaks draws it at every break at a
///   space, so a break without one is inside a word;
/// - a break with room left for a space and the next line's first glyph (the room at the
///   right edge plus what justification stretched the line by) was not forced by the width:
///   it is at a space. A producer with under a tenth of its breaks like that fills lines
///   glyph by glyph (wraps anywhere in a word); there a break is at a space only when the
///   next glyph would still have fitted, else inside the word.
struct WrapEvidence {
    shows_break_spaces: bool,
    wraps_anywhere: bool,
    /// How often each word stands whole inside a line (not at either end, where a wrap may
    /// have cut it): the document's own spelling of its words.
    words: HashMap<String, u32>,
}

/// A word as the vocabulary counts it: without the punctuation around it.
fn word_key(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

/// Share of a document's Korean line breaks that carry a space glyph, from which the
/// producer is taken to draw one at every break at a space.
const BREAK_SPACES_SHARE: f64 = 0.2;
/// Share of roomy breaks under which a producer fills lines glyph by glyph. Measured on
/// the tuning corpus: producers that wrap at spaces only leave 40–85% of their breaks
/// roomy, those that fill lines glyph by glyph 0–3% (reportlab, Typst). xelatex (17–24%)
/// may wrap inside a word but prefers spaces, even on tight lines: it reads best as a
/// producer that wraps at spaces.
const ROOMY_BREAKS_SHARE: f64 = 0.1;
/// Fewest lines a text block needs before the room its lines leave is measured.
const MIN_BLOCK_LINES: usize = 3;
/// Fewest Korean line breaks a document needs before its breaks say how it wraps.
const MIN_BREAKS: usize = 4;
/// Tolerance, in font sizes, of the room measurements.
const ROOM_TOLERANCE: f64 = 0.1;

impl WrapEvidence {
    fn of(placed: &[Placed<'_>], wrapped: &[bool]) -> WrapEvidence {
        let mut breaks = 0usize;
        let mut spaced = 0usize;
        let mut measured = 0usize;
        let mut roomy = 0usize;
        for index in 1..placed.len() {
            let prev = &placed[index - 1];
            let next = placed[index].line;
            if !wraps_korean(prev.line, next, wrapped[index - 1]) {
                continue;
            }
            breaks += 1;
            if prev.line.trailing_space || next.leading_space {
                spaced += 1;
            }
            if prev.block_lines >= MIN_BLOCK_LINES {
                measured += 1;
                if prev.room()
                    > next.first_advance + prev.line.space + ROOM_TOLERANCE * prev.line.size
                {
                    roomy += 1;
                }
            }
        }
        let mut words: HashMap<String, u32> = HashMap::new();
        for placed in placed {
            let tokens: Vec<&str> = placed.line.text.split(' ').collect();
            if tokens.len() > 2 {
                for token in &tokens[1..tokens.len() - 1] {
                    let key = word_key(token);
                    if !key.is_empty() {
                        *words.entry(key.to_owned()).or_default() += 1;
                    }
                }
            }
        }
        WrapEvidence {
            shows_break_spaces: breaks >= MIN_BREAKS
                && spaced as f64 >= BREAK_SPACES_SHARE * breaks as f64,
            wraps_anywhere: measured >= MIN_BREAKS
                && (roomy as f64) < ROOMY_BREAKS_SHARE * measured as f64,
            words,
        }
    }

    /// Whether the wrap from `prev` into `next` (which [`join_with`] would join with a
    /// space) is inside a word.
    fn breaks_inside_word(&self, prev: &Placed<'_>, next: &Line) -> bool {
        let line = prev.line;
        if line.trailing_space || next.leading_space {
            return false;
        }
        // A number is never written with a space inside: digits on both sides of a wrap
        // that left no room for the next glyph are one number cut at the margin.
        if line.text.ends_with(|c: char| c.is_ascii_digit())
            && next.text.starts_with(|c: char| c.is_ascii_digit())
        {
            return prev.block_lines >= MIN_BLOCK_LINES
                && prev.room() < next.first_advance + ROOM_TOLERANCE * line.size;
        }
        if !wraps_korean(line, next, true) {
            return false;
        }
        // Korean puts a space after a sentence's full stop, question or exclamation mark,
        // and after a comma or a colon (not inside a number: "1,|000").
        let numeric = line
            .text
            .chars()
            .rev()
            .nth(1)
            .is_some_and(|c| c.is_ascii_digit())
            && next.text.starts_with(|c: char| c.is_ascii_digit());
        if line.text.ends_with(['.', '?', '!', ',', ';', ':']) && !numeric {
            return false;
        }
        // Korean endings are Hangul: a Latin word after Hangul starts a word of its own.
        if line.text.ends_with(is_hangul)
            && next.text.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return false;
        }
        // A producer that draws a space glyph at its breaks at spaces drew none here.
        if self.shows_break_spaces {
            return true;
        }
        // The document's own lines spell the two pieces: as one word, or the second as a
        // word of its own.
        let before = line.text.rsplit(' ').next().unwrap_or_default();
        let after = next.text.split(' ').next().unwrap_or_default();
        let count = |word: &str| self.words.get(word_key(word)).copied().unwrap_or(0);
        let joined = count(&format!("{before}{after}"));
        // A second piece in another script (digits, Latin) is not a Korean ending: the
        // first piece standing whole also shows a word boundary.
        let mut apart = count(after);
        if !next.text.starts_with(is_hangul) {
            apart += count(before);
        }
        if joined > apart {
            return true;
        }
        if apart > joined {
            return false;
        }
        // Korean attaches what follows a closing quotation mark ("‘길’이라는", "”라고") where
        // the second piece is never written alone…
        // …and writes a unit after a number without a space ("600자", "3년간").
        if line.text.ends_with([
            '’', '”', '」', '』', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
        ]) && apart == 0
        {
            return true;
        }
        // …and a particle or an ending never starts a word: a line that starts with one
        // (and the document never writes it alone) continues the word before.
        if apart == 0 && line.text.ends_with(is_hangul) && crate::korean::is_ending(after) {
            return true;
        }
        self.wraps_anywhere && prev.block_lines >= MIN_BLOCK_LINES
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Join {
    Break,
    Space,
    /// Drop the hyphen at the end of the previous line and continue without a space.
    Dehyphenate,
    Direct,
}

fn join_with(prev: &str, next: &str, prev_fills_width: bool) -> Join {
    let Some(last) = prev.chars().last() else {
        return Join::Break;
    };
    let Some(first) = next.chars().next() else {
        return Join::Break;
    };
    if starts_item(next) {
        return Join::Break;
    }
    if last == '-' && first.is_lowercase() {
        let before = prev.chars().rev().nth(1);
        if before.is_some_and(|c| c.is_alphabetic() && !is_cjk(c)) {
            return Join::Dehyphenate;
        }
    }
    if !prev_fills_width || ends_heading(prev) {
        return Join::Break;
    }
    if is_cjk(last) && is_cjk(first) && !is_hangul(last) && !is_hangul(first) {
        // Chinese and Japanese are written without spaces between words.
        Join::Direct
    } else {
        // Korean separates words with spaces and most producers wrap Korean at them.
        Join::Space
    }
}

/// A line that opens a new item: a numbered question, a bullet, a bracketed label.
fn starts_item(line: &str) -> bool {
    let mut chars = line.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if matches!(
        first,
        '•' | '·'
            | '○'
            | '●'
            | '■'
            | '□'
            | '▶'
            | '▷'
            | '◆'
            | '◇'
            | '※'
            | '['
            | '【'
            | '<'
            | '〈'
            | '《'
            | '*'
            | '-'
            | '–'
    ) || ('\u{2460}'..='\u{2473}').contains(&first)
    {
        return true;
    }
    let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() && digits.len() <= 2 {
        let after = line[digits.len()..].chars().next();
        return matches!(after, Some('.' | ')' | '번'));
    }
    let lower = line.to_lowercase();
    if let Some(rest) = lower.strip_prefix('q') {
        return rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.');
    }
    lower.starts_with("문항")
}

/// A line that ends like a question or a heading, after which a new paragraph starts.
fn ends_heading(line: &str) -> bool {
    line.ends_with('?') || line.ends_with(':') || (line.ends_with(')') && line.contains('자'))
}

pub(crate) fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

pub(crate) fn is_cjk(c: char) -> bool {
    is_hangul(c)
        || matches!(c,
            '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
            | '\u{3040}'..='\u{30FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    /// Lines whose right edge is proportional to their length, as in a left-aligned page.
    fn flow(lines: &[&str]) -> Vec<Line> {
        lines
            .iter()
            .map(|l| Line::plain(l, l.chars().count() as f64))
            .collect()
    }

    #[test]
    fn normalises_unicode_and_whitespace() {
        // "한" as conjoining jamo becomes one precomposed syllable; odd spaces collapse.
        let raw = "\u{1112}\u{1161}\u{11AB}\u{00A0}\u{00A0}글\t \u{200B}text  \r\n 끝 ";
        assert_eq!(normalise_line(raw), "한 글 text 끝");
        assert_eq!(normalise_line(" \u{3000}\u{FEFF} "), "");
        // Lines already in NFC take the quick path and come out the same way.
        assert_eq!(normalise_line("지원 동기  Café"), "지원 동기 Café");
        assert_eq!(normalise_line("Cafe\u{301}"), "Café");
    }

    #[test]
    fn recognises_page_number_forms() {
        for form in [
            "1",
            "- 1 -",
            "1/3",
            "1 / 3",
            "Page 1",
            "page 12",
            "페이지 1",
            "3 of 7",
            "- 12 -",
            "2쪽",
        ] {
            assert!(is_bare_page_number(form), "{form}");
        }
        for not in [
            "1. 지원동기",
            "2026",
            "[문항 1]",
            "Q1",
            "100,000원",
            "12345",
        ] {
            assert!(!is_bare_page_number(not), "{not}");
        }
    }

    #[test]
    fn removes_repeated_headers_footers_and_page_numbers() {
        let mut pages = vec![
            page(&[
                "2026. 11. 25. 오후 3:04 삼성전자 자기소개서",
                "본문 첫 줄입니다.",
                "본문 둘째 줄.",
                "https://example.com/apply 1/3",
            ]),
            page(&[
                "2026. 11. 25. 오후 3:04 삼성전자 자기소개서",
                "다른 내용.",
                "https://example.com/apply 2/3",
            ]),
            page(&[
                "2026. 11. 25. 오후 3:04 삼성전자 자기소개서",
                "마지막 내용.",
                "- 3 -",
                "https://example.com/apply 3/3",
            ]),
        ];
        remove_running_furniture(&mut pages);
        assert_eq!(
            pages,
            vec![
                page(&["본문 첫 줄입니다.", "본문 둘째 줄."]),
                page(&["다른 내용."]),
                page(&["마지막 내용."]),
            ]
        );
    }

    #[test]
    fn keeps_a_repeated_body_line_and_numbered_questions() {
        // The same sentence in the middle of every page is body text; question labels that
        // differ only by their number carry no page number and stay.
        let mut pages = vec![
            page(&["[문항 1]", "a", "b", "감사합니다.", "c", "d", "e"]),
            page(&["[문항 2]", "f", "g", "감사합니다.", "h", "i", "j"]),
            page(&["[문항 3]", "k", "l", "감사합니다.", "m", "n", "o"]),
        ];
        let before = pages.clone();
        remove_running_furniture(&mut pages);
        assert_eq!(pages, before);
    }

    #[test]
    fn keeps_a_line_repeated_on_a_minority_of_pages() {
        let mut pages = vec![
            page(&["열정", "x1"]),
            page(&["열정", "x2"]),
            page(&["y3", "x3"]),
            page(&["y4", "x4"]),
            page(&["y5", "x5"]),
        ];
        let before = pages.clone();
        remove_running_furniture(&mut pages);
        assert_eq!(pages, before);
    }

    #[test]
    fn single_page_documents_are_left_alone() {
        let mut pages = vec![page(&["자기소개서", "본문", "1"])];
        let before = pages.clone();
        remove_running_furniture(&mut pages);
        assert_eq!(pages, before);
    }

    #[test]
    fn joins_hyphenated_latin_words() {
        let pages = vec![flow(&[
            "This is a long line of English text about the develop-",
            "ment of software systems at a large company today.",
        ])];
        assert_eq!(
            join_paragraphs(&pages),
            "This is a long line of English text about the development of software systems at a large company today."
        );
    }

    #[test]
    fn keeps_real_hyphens_and_dashes() {
        let pages = vec![flow(&[
            "회사에서 - 2022년부터 - 일했습니다. 그리고 Rust와 C++ 그리고 Go를 다루는 일을 했다.",
            "Anti-",
            "Corruption",
        ])];
        let text = join_paragraphs(&pages);
        assert!(text.contains("Anti-\nCorruption"), "{text}");
    }

    #[test]
    fn joins_wrapped_korean_lines_and_keeps_paragraph_breaks() {
        let pages = vec![flow(&[
            "1. 지원 동기를 작성해 주십시오. (500자)",
            "저는 어릴 때부터 사람들의 이야기를 듣고 정리하는 일을 좋아했습니다. 대학에서는 데이터",
            "분석 동아리를 만들어 이끌었습니다.",
            "두 번째 문단은 새 줄에서 시작합니다.",
        ])];
        assert_eq!(
            join_paragraphs(&pages),
            "1. 지원 동기를 작성해 주십시오. (500자)\n저는 어릴 때부터 사람들의 이야기를 듣고 정리하는 일을 좋아했습니다. 대학에서는 데이터 분석 동아리를 만들어 이끌었습니다.\n두 번째 문단은 새 줄에서 시작합니다."
        );
    }

    #[test]
    fn joins_a_paragraph_across_a_page_break_but_not_a_new_question() {
        let pages = vec![
            flow(&[
                "짧은 줄",
                "이 문단은 페이지 끝까지 이어지는 아주 긴 문장으로 채워져 있으며 다음 페이지로",
            ]),
            flow(&["넘어갑니다.", "2. 입사 후 포부를 적어 주십시오."]),
        ];
        let text = join_paragraphs(&pages);
        assert!(text.contains("다음 페이지로 넘어갑니다."), "{text}");
        assert!(
            text.ends_with("\n2. 입사 후 포부를 적어 주십시오."),
            "{text}"
        );
    }

    /// A line of `text` at `left..right`, baseline `y`, size 10, first word as wide as its
    /// characters (10 units each).
    fn placed(text: &str, left: f64, right: f64, y: f64) -> Line {
        let mut line = Line::plain(text, right);
        line.left = left;
        line.y = y;
        line.size = 10.0;
        line.space = 2.5;
        line.first_advance = 10.0;
        line.first_word *= 10.0;
        line
    }

    #[test]
    fn a_line_the_next_word_would_have_fitted_on_ends_its_entry() {
        // Labels in a narrow, centred text box: each line is its own entry.
        let pages = vec![vec![
            placed("지도", 805.0, 825.0, 500.0),
            placed("달력", 805.0, 825.0, 486.0),
            placed("안내책자", 795.0, 835.0, 472.0),
            placed("우리 마을의 도서관", 745.0, 885.0, 458.0),
        ]];
        assert_eq!(
            join_paragraphs(&pages),
            "지도\n달력\n안내책자\n우리 마을의 도서관"
        );
    }

    #[test]
    fn table_rows_hard_breaks_and_separate_blocks_do_not_join() {
        let mut row = placed("2019년 03월 가람대학교 졸업", 60.0, 540.0, 500.0);
        row.column_gap = true;
        row.last_column_left = 500.0;
        let mut hard = placed(
            "자기소개서는 필수입니다 꼭 읽어 주세요 정말로 중요한",
            60.0,
            540.0,
            486.0,
        );
        hard.hard_break = true;
        let mut second = placed(
            "2016년 03월 한솔고등학교 졸업 그리고 다음 칸까지",
            60.0,
            540.0,
            486.0,
        );
        second.column_gap = true;
        second.last_column_left = 500.0;
        let pages = vec![vec![
            row,
            second,
            hard,
            placed("내용입니다", 60.0, 110.0, 472.0),
            // Far below: another block.
            placed("다른 상자의 글", 60.0, 130.0, 300.0),
        ]];
        assert_eq!(
            join_paragraphs(&pages),
            "2019년 03월 가람대학교 졸업\n2016년 03월 한솔고등학교 졸업 그리고 다음 칸까지\n자기소개서는 필수입니다 꼭 읽어 주세요 정말로 중요한\n내용입니다\n다른 상자의 글"
        );
    }

    #[test]
    fn a_label_cell_row_continues_in_its_text_column() {
        let mut row = placed(
            "성장과정 저는 어릴 때부터 여러 사람과 함께 일하며 성장할 수 있는가’",
            60.0,
            540.0,
            500.0,
        );
        row.column_gap = true;
        row.last_column_left = 150.0;
        let pages = vec![vec![
            row,
            placed(
                "입니다. 그래서 저는 이 회사를 선택했습니다.",
                150.0,
                400.0,
                486.0,
            ),
        ]];
        // A piece never written alone after a closing quote attaches to it.
        assert_eq!(
            join_paragraphs(&pages),
            "성장과정 저는 어릴 때부터 여러 사람과 함께 일하며 성장할 수 있는가’입니다. 그래서 저는 이 회사를 선택했습니다."
        );
    }

    #[test]
    fn the_documents_own_words_decide_a_korean_wrap() {
        // A producer that breaks inside words (no room measure tells): "프로젝트를" stands whole
        // inside a line elsewhere, so the wrap "프로|젝트를" is inside the word; "되었고" stands
        // alone, so "결심하게|되었고" is two words.
        let body = |y: f64, text: &str| placed(text, 60.0, 540.0, y);
        let last = |y: f64, text: &str| placed(text, 60.0, 200.0, y);
        let pages = vec![vec![
            body(700.0, "저는 여러 프로젝트를 맡아 보면서 많은 것을 배우게 되었고 그 경험을 살려서 새로운 프로"),
            last(686.0, "젝트를 시작했습니다."),
            body(660.0, "그래서 개발자가 되기로 결심하게 되었고 그 과정에서 여러 사람을 만나 함께 일하기로 결심하게"),
            last(646.0, "되었고 지금에 이릅니다."),
        ]];
        let text = join_paragraphs(&pages);
        assert!(text.contains("새로운 프로젝트를 시작했습니다."), "{text}");
        assert!(text.contains("결심하게 되었고 지금에"), "{text}");
    }

    #[test]
    fn joins_chinese_and_japanese_without_spaces() {
        assert_eq!(
            join_with("日本語の文章が長く続いて", "折り返されます", true),
            Join::Direct
        );
        assert_eq!(
            join_with("한국어 문장이 길게 이어지고", "줄이 바뀝니다", true),
            Join::Space
        );
    }
}
