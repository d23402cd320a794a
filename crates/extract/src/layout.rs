//! Visual lines from positioned text fragments: top to bottom, left to right, whatever order
//! the content stream drew them in.

use oxidize_pdf::text::TextFragment;

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

/// A gap wider than this share of the font size between two fragments is a word space.
const WORD_GAP: f64 = 0.2;
/// Fragments whose baselines differ by less than this share of the smaller height share a line.
const SAME_LINE: f64 = 0.5;

/// A page whose content stream jumps back up the page this often (per line) draws its text
/// in no particular order; below it, upward jumps are column or table-cell changes.
const SCRAMBLED_JUMPS_PER_LINE: f64 = 0.25;

/// Groups fragments into lines. Producers draw text in reading order, and table cells and
/// columns come out right when that order is kept; a page whose stream order is scrambled
/// is instead read top to bottom, left to right.
pub(crate) fn lines_from_fragments(fragments: &[TextFragment]) -> Vec<Line> {
    let mut order: Vec<&TextFragment> = fragments
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
fn group_consecutive<'a>(order: &[&'a TextFragment]) -> Vec<Vec<&'a TextFragment>> {
    let mut lines: Vec<Vec<&TextFragment>> = Vec::new();
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

fn line_height(fragment: &TextFragment) -> f64 {
    let height = if fragment.height > 0.0 {
        fragment.height
    } else {
        fragment.font_size
    };
    height.abs().max(1.0)
}

fn join_fragments(members: &[&TextFragment]) -> Line {
    let size = members.first().map_or(10.0, |f| f.font_size.abs().max(1.0));
    let mut text = String::new();
    let mut right = f64::MIN;
    let mut left = f64::MAX;
    for fragment in members {
        if !text.is_empty() {
            let gap = fragment.x - right;
            let spaced = text.ends_with(' ') || fragment.text.starts_with(' ');
            if gap > size * WORD_GAP && !spaced {
                text.push(' ');
            }
        }
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
