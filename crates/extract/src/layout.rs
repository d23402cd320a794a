//! Visual lines from positioned text fragments: top to bottom, left to right, whatever order
//! the content stream drew them in.

use oxidize_pdf::text::TextFragment;

/// A run of text the page draws, positioned in page space (y grows up the page).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fragment {
    pub text: String,
    /// Pen position where the run starts.
    pub x: f64,
    pub y: f64,
    /// Advance of the run.
    pub width: f64,
    /// Font size, scaled to page space.
    pub size: f64,
    /// Advance of the font's space character at this size (with `Tc`, without `Tw`), when
    /// the font has one.
    pub space: Option<f64>,
    /// The run's advance from its glyph widths alone (what `Tw`, `TJ` offsets or positioning
    /// added to `width` left out): `width − natural` is how far the producer stretched it.
    pub natural: f64,
}

impl From<TextFragment> for Fragment {
    fn from(fragment: TextFragment) -> Self {
        let size = if fragment.height > 0.0 {
            fragment.height
        } else {
            fragment.font_size
        };
        Fragment {
            text: fragment.text,
            x: fragment.x,
            y: fragment.y,
            width: fragment.width,
            size,
            space: None,
            natural: fragment.width,
        }
    }
}

/// One visual line of a page, with the horizontal extent paragraph joining needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    /// Left edge, in page units.
    pub left: f64,
    /// Right edge, in page units.
    pub right: f64,
    /// Font size of the line's first fragment.
    pub size: f64,
    /// The producer drew a space glyph before the line's first visible glyph…
    pub leading_space: bool,
    /// …or after its last one.
    pub trailing_space: bool,
    /// Advance of the line's first glyph (page units).
    pub first_advance: f64,
    /// Advance of a space in the font the line ends in (its own, or a quarter em).
    pub space: f64,
    /// How much wider the line stands than its glyphs' own advances: the stretch a
    /// justifying producer gave it (negative where it shrank it).
    pub stretch: f64,
    /// Widths of the word gaps the producer drew without a space glyph.
    pub synthetic_gaps: Vec<f64>,
    /// Baseline, in page units (y grows up the page).
    pub y: f64,
    /// Advance of the line's first word (page units).
    pub first_word: f64,
    /// The producer drew a line-break character at the end of the line: a hard break.
    pub hard_break: bool,
    /// The line holds a gap as wide as a table-cell or column gap ([`COLUMN_GAP_EM`]): it
    /// is a table row or two columns side by side, not a line of wrapped prose.
    pub column_gap: bool,
    /// Left edge of the line's last column (its left edge when it has one).
    pub last_column_left: f64,
}

impl AsRef<str> for Line {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Line {
    #[cfg(test)]
    pub fn plain(text: &str, right: f64) -> Line {
        Line {
            text: text.to_string(),
            left: 0.0,
            right,
            size: 1.0,
            leading_space: false,
            trailing_space: false,
            first_advance: 1.0,
            space: 0.25,
            stretch: 0.0,
            synthetic_gaps: Vec::new(),
            y: 0.0,
            first_word: text.split(' ').next().map_or(0, |w| w.chars().count()) as f64,
            hard_break: false,
            column_gap: false,
            last_column_left: 0.0,
        }
    }
}

/// The word-gap rule (see the README's Design section for the measurements behind it).
///
/// A space glyph the producer drew is a space. A gap between glyph runs without one (word
/// spaces by positioning only: TeX, PowerPoint, Hancom, some PDF libraries) is a space
/// when it exceeds the line's letter-spacing by this share of the font's own space
/// advance…
const WORD_GAP_OF_SPACE: f64 = 0.5;
/// …by a whole space where the gap is also a change of font and of script (digits or Latin
/// beside Hangul), since producers set such runs apart by design (LibreOffice 0.2 em, Word
/// 0.25 em, against spaces of 0.3–0.35 em)…
const SCRIPT_CHANGE_GAP_OF_SPACE: f64 = 1.0;
/// …the space advance taken as this share of the font size when the font has none, or one
/// wider than [`MAX_SPACE_EM`] (a full-width cell some producers give the space code,
/// which says nothing about the width of a word space).
const ASSUMED_SPACE_EM: f64 = 0.25;
const MAX_SPACE_EM: f64 = 0.6;
/// A gap over this many font sizes and over [`COLUMN_GAP_SPACES`] of the font's space is a
/// table-cell or column gap: justification stretches word gaps of prose lines far less.
pub(crate) const COLUMN_GAP_EM: f64 = 2.0;
const COLUMN_GAP_SPACES: f64 = 5.0;
/// A line is letter-spaced when at least this share of its glyph runs are one glyph long:
/// its gaps are then measured against their median.
const LETTER_SPACED_SHARE: f64 = 0.75;
/// Fragments whose baselines differ by less than this share of the smaller height share a line.
const SAME_LINE: f64 = 0.5;

/// A page whose content stream jumps back up the page this often (per line) draws its text
/// in no particular order; below it, upward jumps are column or table-cell changes.
const SCRAMBLED_JUMPS_PER_LINE: f64 = 0.25;

/// Groups fragments into lines. Producers draw text in reading order, and table cells and
/// columns come out right when that order is kept; a page whose stream order is scrambled
/// is instead read top to bottom, left to right.
pub(crate) fn lines_from_fragments(fragments: &[Fragment]) -> Vec<Line> {
    let mut order: Vec<&Fragment> = fragments
        .iter()
        .filter(|f| f.x.is_finite() && f.y.is_finite() && f.width.is_finite())
        .collect();
    let sequential = group_consecutive(&order);
    let upward_jumps = sequential
        .windows(2)
        .filter(|pair| pair[1][0].y > pair[0][0].y + line_height(pair[0][0]) * SAME_LINE)
        .count();
    if (upward_jumps as f64) <= sequential.len() as f64 * SCRAMBLED_JUMPS_PER_LINE {
        let mut lines: Vec<Line> = sequential
            .iter()
            .map(|members| join_fragments(members))
            .collect();
        discount_synthetic_spaces(&mut lines);
        return lines;
    }
    order.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Line> = group_consecutive(&order)
        .iter()
        .map(|members| join_fragments(members))
        .collect();
    discount_synthetic_spaces(&mut lines);
    lines
}

/// Runs of consecutive fragments on the same baseline, each sorted left to right.
fn group_consecutive<'a>(order: &[&'a Fragment]) -> Vec<Vec<&'a Fragment>> {
    let mut lines: Vec<Vec<&Fragment>> = Vec::new();
    for &fragment in order {
        let same_line = lines.last().is_some_and(|line| {
            let head = line[0];
            let tolerance = line_height(head).min(line_height(fragment)) * SAME_LINE;
            (head.y - fragment.y).abs() < tolerance
        });
        match lines.last_mut() {
            Some(line) if same_line => line.push(fragment),
            _ => lines.push(vec![fragment]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

fn line_height(fragment: &Fragment) -> f64 {
    fragment.size.abs().max(1.0)
}

fn join_fragments(members: &[&Fragment]) -> Line {
    let size = members.first().map_or(10.0, |f| f.size.abs().max(1.0));
    let is_blank = |f: &Fragment| f.text.chars().all(char::is_whitespace);
    let texts: Vec<&Fragment> = members.iter().copied().filter(|f| !is_blank(f)).collect();
    let blanks: Vec<&Fragment> = members.iter().copied().filter(|f| is_blank(f)).collect();
    let letter_spacing = letter_spacing(&texts);
    let draws_spaces = !blanks.is_empty() || texts.iter().any(|f| f.text.contains(' '));
    let mut text = String::new();
    let mut right = f64::MIN;
    let mut left = f64::MAX;
    let mut natural = 0.0;
    let mut previous: Option<&Fragment> = None;
    let mut synthetic_gaps = Vec::new();
    let mut column_gap = false;
    let mut last_column_left = texts.first().map_or(0.0, |f| f.x);
    let mut column_gaps = 0.0;
    let word_gap = typical_word_gap(&texts);
    for &fragment in &texts {
        if let Some(before) = previous {
            let gap = fragment.x - right;
            let em = before.size.abs().max(fragment.size.abs()).max(1.0);
            let space = before.space.unwrap_or(em * ASSUMED_SPACE_EM).max(0.0);
            if gap > COLUMN_GAP_EM * em && gap > COLUMN_GAP_SPACES * space {
                column_gap = true;
                last_column_left = fragment.x;
                column_gaps += gap;
            }
            let spaced = text.ends_with(' ') || fragment.text.starts_with(' ');
            let marked = blanks
                .iter()
                .any(|b| b.x >= right - 0.25 * b.size.abs() && b.x <= fragment.x);
            if !spaced {
                if marked {
                    text.push(' ');
                } else if is_punctuation_glue(gap, before, fragment, word_gap) {
                    // Glue a CJK typesetter set around a quotation mark or a middle dot.
                } else if is_word_gap(gap, before, fragment, letter_spacing, draws_spaces) {
                    // A space the producer left out of its glyphs: counted at its own width
                    // in the line's natural advance, so only the rest reads as stretch.
                    text.push(' ');
                    synthetic_gaps.push(gap);
                }
            }
        }
        text.push_str(&fragment.text);
        natural += fragment.natural;
        left = left.min(fragment.x);
        right = right.max(fragment.x + fragment.width.max(0.0));
        previous = Some(fragment);
    }
    for blank in &blanks {
        natural += blank.natural;
    }
    let first = texts.first();
    let last = texts.last();
    let leading_space =
        first.is_some_and(|f| f.text.starts_with(' ') || blanks.iter().any(|b| b.x < f.x));
    let trailing_space = last.is_some_and(|f| {
        f.text.ends_with(' ')
            || blanks
                .iter()
                .any(|b| b.x >= f.x + f.width - 0.25 * f.size.abs())
    });
    let first_word = first.map_or(0.0, |f| {
        let trimmed = f.text.trim_start();
        let total = trimmed.chars().count().max(1);
        let word = trimmed
            .split(char::is_whitespace)
            .next()
            .map_or(0, |w| w.chars().count());
        f.natural.max(0.0) * word as f64 / total as f64
    });
    let hard_break = last.is_some_and(|f| {
        f.text
            .trim_end_matches([' ', '\t'])
            .ends_with(['\n', '\r', '\u{2028}', '\u{2029}'])
    });
    let y = first.map_or(0.0, |f| f.y);
    let first_advance = first.map_or(size, |f| {
        let glyphs = f.text.trim_start().chars().count().max(1);
        f.natural.max(0.0) / glyphs as f64
    });
    let space = last
        .and_then(|f| {
            f.space
                .filter(|s| *s > 0.0 && *s <= MAX_SPACE_EM * f.size.abs().max(1.0))
        })
        .unwrap_or_else(|| last.map_or(size, |f| f.size.abs()) * ASSUMED_SPACE_EM);
    Line {
        text,
        left,
        right,
        size,
        leading_space,
        trailing_space,
        first_advance,
        space,
        // Column gaps are no stretch of the text.
        stretch: (right - left) - natural - column_gaps,
        synthetic_gaps,
        y,
        first_word,
        hard_break,
        column_gap,
        last_column_left,
    }
}

/// On a page whose word gaps are positioning only, the natural width of a word space is
/// what the least stretched lines show (the page's 20th-percentile gap): each line's
/// stretch is its gaps' excess over it, not the gaps themselves.
fn discount_synthetic_spaces(lines: &mut [Line]) {
    let mut gaps: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.synthetic_gaps.iter().copied())
        .collect();
    if gaps.is_empty() {
        return;
    }
    gaps.sort_by(f64::total_cmp);
    let natural = gaps[gaps.len() / 5];
    for line in lines {
        line.stretch -= natural * line.synthetic_gaps.len() as f64;
    }
}

/// The gap between glyph runs every glyph of a letter-spaced line carries (0 otherwise).
fn letter_spacing(texts: &[&Fragment]) -> f64 {
    if texts.len() < 3 {
        return 0.0;
    }
    let single = texts
        .iter()
        .filter(|f| f.text.trim().chars().count() == 1)
        .count();
    if (single as f64) < LETTER_SPACED_SHARE * texts.len() as f64 {
        return 0.0;
    }
    let mut gaps: Vec<f64> = texts
        .windows(2)
        .map(|pair| pair[1].x - (pair[0].x + pair[0].width))
        .collect();
    gaps.sort_by(f64::total_cmp);
    gaps[gaps.len() / 2].max(0.0)
}

/// The gap a line's positioned word spaces show (the median gap between two runs that end
/// and start with a letter or digit): TeX and other justifying typesetters give every word
/// space of a line the same width. None when the line shows no such gap.
fn typical_word_gap(texts: &[&Fragment]) -> Option<f64> {
    let mut gaps: Vec<f64> = texts
        .windows(2)
        .filter(|pair| {
            pair[0]
                .text
                .chars()
                .last()
                .is_some_and(char::is_alphanumeric)
                && pair[1]
                    .text
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        })
        .map(|pair| pair[1].x - (pair[0].x + pair[0].width))
        .filter(|gap| *gap > 0.0)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_by(f64::total_cmp);
    Some(gaps[gaps.len() / 2])
}

/// Whether a positioned gap is the glue CJK-aware typesetters (xetexko, JIS X 4051 rules)
/// put around punctuation rather than a word space: a gap after a closing quotation mark
/// before a Korean particle or ending (Korean attaches it: "‘길’이라는", "”라고"), or one
/// beside a middle dot narrower than the line's word spaces (a quarter em of glue on either
/// side of "구현·검증", against a word space plus that glue where the writer put spaces).
fn is_punctuation_glue(
    gap: f64,
    before: &Fragment,
    after: &Fragment,
    word_gap: Option<f64>,
) -> bool {
    let last = before.text.trim_end().chars().last();
    let first = after.text.chars().next();
    if last.is_some_and(crate::korean::is_closing_quote)
        && first.is_some_and(is_hangul)
        && crate::korean::is_ending_after_quote(after.text.split(' ').next().unwrap_or_default())
    {
        return true;
    }
    let beside_dot = last.is_some_and(crate::korean::is_middle_dot)
        || first.is_some_and(crate::korean::is_middle_dot);
    beside_dot && word_gap.is_some_and(|word| gap < word)
}

/// Whether a gap between two glyph runs with no space glyph between them is a word space.
fn is_word_gap(
    gap: f64,
    before: &Fragment,
    after: &Fragment,
    letter_spacing: f64,
    line_draws_spaces: bool,
) -> bool {
    let em = before.size.abs().max(after.size.abs()).max(1.0);
    let own_space = |f: &Fragment| {
        f.space
            .filter(|s| *s > 0.0 && *s <= MAX_SPACE_EM * f.size.abs().max(1.0))
    };
    let space = own_space(before)
        .or(own_space(after))
        .unwrap_or(em * ASSUMED_SPACE_EM);
    let script_change = match (
        before.text.trim_end().chars().last(),
        after.text.chars().next(),
    ) {
        (Some(a), Some(b)) => {
            let western = |c: char| c.is_alphanumeric() && !crate::clean::is_cjk(c);
            (is_hangul(a) && western(b)) || (western(a) && is_hangul(b))
        }
        _ => false,
    };
    let share = if script_change && line_draws_spaces {
        SCRIPT_CHANGE_GAP_OF_SPACE
    } else {
        WORD_GAP_OF_SPACE
    };
    gap > letter_spacing + share * space
}

fn is_hangul(c: char) -> bool {
    crate::clean::is_hangul(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, x: f64, width: f64, space: Option<f64>) -> Fragment {
        Fragment {
            text: text.to_string(),
            x,
            y: 700.0,
            width,
            size: 10.0,
            space,
            natural: width,
        }
    }

    fn line(fragments: &[Fragment]) -> String {
        lines_from_fragments(fragments)
            .into_iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn words_positioned_apart_are_words_even_beside_drawn_spaces() {
        // PowerPoint and Hancom position Korean words apart (0.3–0.5 em) and draw space
        // glyphs only in some runs of the same line.
        let fragments = [
            run("1. ", 0.0, 12.0, Some(3.0)),
            run("연간사업", 15.0, 40.0, None),
            run("결과보고서", 59.0, 50.0, None),
        ];
        assert_eq!(line(&fragments), "1. 연간사업 결과보고서");
    }

    #[test]
    fn a_full_width_space_code_is_no_measure_of_a_word_gap() {
        // A Type3 font whose space code is a 1 em cell: the 0.35 em gaps are still words.
        let fragments = [
            run("관한", 0.0, 20.0, Some(10.0)),
            run("법률", 23.5, 20.0, Some(10.0)),
        ];
        assert_eq!(line(&fragments), "관한 법률");
    }

    #[test]
    fn autospace_at_a_change_of_script_is_no_space_on_a_line_with_space_glyphs() {
        // LibreOffice sets digits 0.2 em apart from Hangul; the line draws its spaces.
        let fragments = [
            run("공백 포함 500", 0.0, 60.0, Some(3.0)),
            run("자 이내", 62.0, 30.0, Some(3.0)),
        ];
        assert_eq!(line(&fragments), "공백 포함 500자 이내");
        // TeX draws no space glyph at all: a 0.2 em gap beside Latin is its word space.
        let fragments = [
            run("앱을", 0.0, 20.0, None),
            run("Proxyman", 22.0, 40.0, None),
        ];
        assert_eq!(line(&fragments), "앱을 Proxyman");
    }

    #[test]
    fn lines_remember_hard_breaks_and_column_gaps() {
        let lines = lines_from_fragments(&[
            run("첫 문단입니다.\n", 0.0, 60.0, Some(3.0)),
            Fragment {
                y: 680.0,
                ..run("2019년", 0.0, 30.0, Some(3.0))
            },
            Fragment {
                y: 680.0,
                ..run("졸업", 200.0, 20.0, Some(3.0))
            },
        ]);
        assert!(lines[0].hard_break);
        assert!(!lines[0].column_gap);
        assert!(lines[1].column_gap);
        assert_eq!(lines[1].text, "2019년 졸업");
    }
}
