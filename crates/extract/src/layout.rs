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
    /// Advance of the font's space character at this size, when the font has one.
    pub space: Option<f64>,
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
        }
    }
}

/// Between two fragments, a gap wider than this share of the font size is a word space…
const WORD_GAP: f64 = 0.33;
/// …or, when the font has a space character, wider than this share of its advance (never
/// less than [`MIN_WORD_GAP`] of the font size). Measured on the corpus: producers leave
/// gaps of up to 0.21 em between glyph runs of one word (LibreOffice at a change of script)
/// and letter-space titles by 0.30 em; their word gaps without a space glyph are 0.38 em
/// and up. Fonts whose space is narrower than 0.33 em (Times, 0.25 em) keep their words
/// apart through the second rule.
const WORD_GAP_OF_SPACE: f64 = 0.8;
const MIN_WORD_GAP: f64 = 0.15;
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
        .filter(|f| !f.text.trim().is_empty())
        .collect();
    let sequential = group_consecutive(&order);
    let upward_jumps = sequential
        .windows(2)
        .filter(|pair| pair[1][0].y > pair[0][0].y + line_height(pair[0][0]) * SAME_LINE)
        .count();
    if (upward_jumps as f64) <= sequential.len() as f64 * SCRAMBLED_JUMPS_PER_LINE {
        return sequential
            .iter()
            .map(|members| join_fragments(members))
            .collect();
    }
    order.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    group_consecutive(&order)
        .iter()
        .map(|members| join_fragments(members))
        .collect()
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
    let mut text = String::new();
    let mut right = f64::MIN;
    let mut left = f64::MAX;
    let mut word_gap = size * WORD_GAP;
    for fragment in members {
        if !text.is_empty() {
            let gap = fragment.x - right;
            let spaced = text.ends_with(' ') || fragment.text.starts_with(' ');
            if gap > word_gap && !spaced {
                text.push(' ');
            }
        }
        let fragment_size = fragment.size.abs().max(1.0);
        word_gap = match fragment.space {
            Some(space) if space > 0.0 => (space * WORD_GAP_OF_SPACE)
                .clamp(fragment_size * MIN_WORD_GAP, fragment_size * WORD_GAP),
            _ => fragment_size * WORD_GAP,
        };
        text.push_str(&fragment.text);
        left = left.min(fragment.x);
        right = right.max(fragment.x + fragment.width.max(0.0));
    }
    Line {
        text,
        left,
        right,
        size,
    }
}
