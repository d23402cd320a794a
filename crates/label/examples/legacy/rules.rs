//! The categoriser as it was before the trained model (commit 9d504a2): the scoring over the
//! hand-weighted phrase table, kept only as the reference the categoriser bench compares against.
//!
//! A weighted phrase model of how Korean companies word their cover-letter questions.
//!
//! Each category has phrases with weights (5–7: the phrase names the topic, e.g. `지원 동기`;
//! 3–4: a strong hint, e.g. `갈등`; 1–2: a weak hint, e.g. `함께`). Matching ignores spaces,
//! since `지원동기` and `지원 동기` are both common. A category scores its best phrase plus a
//! quarter of its other phrases. Two topics joined by `및`, `,`, `/`, `와 `/`과 ` (`지원동기 및
//! 입사 후 포부`) go to the one named first when both are named outright and the scores are
//! close; otherwise the highest score wins, ties broken by the order of [`Category::ALL`].
//! Below two points the question is [`Category::Other`].

use narratix_domain::Category;

/// The phrase table is the one the splitter's heading cue still reads (unchanged since then).
use narratix_label::offline::TOPIC_PHRASES as PHRASES;

/// Least score a category needs; below it the question is [`Category::Other`].
const MIN_SCORE: f32 = 2.0;
/// How close the scores of two coordinated topics must be for the first-named one to win.
const COORDINATED_MARGIN: f32 = 2.5;
/// The weight from which a phrase names its topic outright.
const NAMING_WEIGHT: u8 = 5;

/// A question's text without whitespace, and which of its characters had a space after them.
struct Compact {
    text: String,
    /// Byte offsets into `text` after which the original had whitespace.
    spaced_after: Vec<usize>,
}

impl Compact {
    fn new(question: &str) -> Compact {
        let mut text = String::with_capacity(question.len());
        let mut spaced_after = Vec::new();
        for ch in question.chars() {
            if ch.is_whitespace() {
                if !text.is_empty() && spaced_after.last() != Some(&text.len()) {
                    spaced_after.push(text.len());
                }
            } else {
                text.push(ch.to_ascii_uppercase());
            }
        }
        Compact { text, spaced_after }
    }

    /// Whether `self.text[from..to]` joins two topics: `및`, `,`, `/`, `·`, `그리고`, or a
    /// `와`/`과` that ends a word.
    fn joins_topics(&self, from: usize, to: usize) -> bool {
        let Some(gap) = self.text.get(from..to) else {
            return false;
        };
        if gap.contains('및')
            || gap.contains(',')
            || gap.contains('/')
            || gap.contains('·')
            || gap.contains('&')
            || gap.contains("그리고")
        {
            return true;
        }
        gap.char_indices().any(|(at, ch)| {
            (ch == '와' || ch == '과') && self.spaced_after.contains(&(from + at + ch.len_utf8()))
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Score {
    category: Category,
    total: f32,
    /// Where the first phrase that names the topic outright starts, if any.
    first_naming: Option<(usize, usize)>,
}

fn scores(compact: &Compact) -> Vec<Score> {
    Category::ALL
        .iter()
        .map(|&category| {
            // Phrases found, heaviest first; a phrase inside a heavier one found at the same
            // place (`입사후` in `입사후포부`) adds nothing.
            let mut found: Vec<(u8, usize, usize)> = PHRASES
                .iter()
                .filter(|(c, _, _)| *c == category)
                .filter_map(|&(_, phrase, weight)| {
                    compact
                        .text
                        .find(phrase)
                        .map(|at| (weight, at, at + phrase.len()))
                })
                .collect();
            found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut counted: Vec<(u8, usize, usize)> = Vec::with_capacity(found.len());
            for (weight, start, end) in found {
                if counted.iter().all(|&(_, s, e)| end <= s || start >= e) {
                    counted.push((weight, start, end));
                }
            }
            let best = counted.first().map_or(0, |&(weight, _, _)| weight);
            let rest: u32 = counted.iter().skip(1).map(|&(w, _, _)| u32::from(w)).sum();
            let first_naming = counted
                .iter()
                .filter(|&&(weight, _, _)| weight >= NAMING_WEIGHT)
                .map(|&(_, start, end)| (start, end))
                .min();
            Score {
                category,
                total: f32::from(best) + rest as f32 * 0.25,
                first_naming,
            }
        })
        .collect()
}

/// The category of a cover-letter question (numbering and limit marks may be included).
pub fn categorize(question: &str) -> Category {
    let compact = Compact::new(question);
    let scores = scores(&compact);
    // Highest score; on a tie the earlier category of the product table.
    let Some(best) =
        scores
            .iter()
            .copied()
            .reduce(|kept, next| if next.total > kept.total { next } else { kept })
    else {
        return Category::Other;
    };
    if best.total < MIN_SCORE {
        return Category::Other;
    }
    // `A 및 B`: the topic named first, when both are named outright and close in score.
    let chosen = match best.first_naming {
        Some((best_start, _)) => scores
            .iter()
            .filter(|s| s.total >= best.total - COORDINATED_MARGIN)
            .filter_map(|s| s.first_naming.map(|span| (s, span)))
            .filter(|(_, (start, end))| {
                *start < best_start && compact.joins_topics(*end, best_start)
            })
            .min_by_key(|(_, (start, _))| *start)
            .map_or(best, |(s, _)| *s),
        None => best,
    };
    chosen.category
}
