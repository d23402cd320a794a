//! The offline splitter's result in the shape the labeler works with.

use std::ops::Range;

use narratix_domain::Category;

use crate::offline;
use crate::protocol::{question_text, SpanPair};

/// Question/answer line ranges found without a model, and whether the splitter trusts all
/// of them (then hybrid mode asks the model only for the categories).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct OfflineSplit {
    pub pairs: Vec<(Range<usize>, Range<usize>)>,
    pub confident: bool,
}

pub(crate) fn offline_split(lines: &[&str]) -> OfflineSplit {
    let split = offline::split(lines);
    OfflineSplit {
        pairs: split
            .pairs
            .into_iter()
            .map(|pair| (pair.question, pair.answer))
            .collect(),
        confident: split.confident,
    }
}

impl OfflineSplit {
    pub(crate) fn question_texts(&self, lines: &[&str]) -> Vec<String> {
        self.pairs
            .iter()
            .map(|(question, _)| question_text(lines, question.clone()))
            .collect()
    }

    /// The pairs with the offline keyword categories.
    pub(crate) fn labeled_spans(&self, lines: &[&str]) -> Vec<SpanPair> {
        let categories: Vec<Category> = self
            .question_texts(lines)
            .iter()
            .map(|question| offline::categorize(question))
            .collect();
        self.with_categories(&categories)
    }

    /// The pairs with `categories` (one per pair, in order).
    pub(crate) fn with_categories(&self, categories: &[Category]) -> Vec<SpanPair> {
        self.pairs
            .iter()
            .zip(categories)
            .map(|((question, answer), category)| SpanPair {
                question: question.clone(),
                answer: answer.clone(),
                category: *category,
            })
            .collect()
    }
}
