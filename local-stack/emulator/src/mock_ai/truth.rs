//! The fixtures' ground truth as the mock model's memory: when the numbered lines of a request
//! are one of the corpus documents, the mock answers with that document's true pairs, found
//! among the lines sent. Nothing here comes from the labeler: the truth files are written by the
//! fixture generator, and the lines are matched to them as text.

use std::path::Path;

use serde::Deserialize;

/// One document's true pairs, whitespace folded.
#[derive(Debug, Clone)]
struct Document {
    id: String,
    pairs: Vec<TruePair>,
}

#[derive(Debug, Clone)]
struct TruePair {
    question: String,
    answer: String,
    category: String,
}

#[derive(Deserialize)]
struct TruthFile {
    id: String,
    pairs: Vec<TruthPair>,
}

#[derive(Deserialize)]
struct TruthPair {
    question: String,
    answer: String,
    category: String,
}

/// A pair found in the request: 1-based inclusive line spans and a category key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPair {
    pub question: (usize, usize),
    pub answer: (usize, usize),
    pub category: String,
}

/// Every document the mock knows.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    documents: Vec<Document>,
}

impl Truth {
    /// The `*.json` truth files of `dirs` (a missing folder or an unreadable file is skipped:
    /// the mock then answers those documents by its own method).
    pub fn load(dirs: &[&Path]) -> Truth {
        let mut documents = Vec::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
                .collect();
            paths.sort();
            for path in paths {
                let parsed = std::fs::read(&path)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<TruthFile>(&bytes).ok());
                if let Some(file) = parsed {
                    documents.push(Document::from(file));
                }
            }
        }
        tracing::info!(documents = documents.len(), "mock AI ground truth loaded");
        Truth { documents }
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// The true pairs of the document `lines` are, with their spans among `lines`; `None`
    /// when no known document lines up with them whole.
    pub fn split(&self, lines: &[&str]) -> Option<(&str, Vec<FoundPair>)> {
        let lines: Vec<Line> = lines.iter().map(|line| Line::new(line)).collect();
        self.documents
            .iter()
            .find_map(|document| Some((document.id.as_str(), document.align(&lines)?)))
    }

    /// The category of a question the truth holds, by its text.
    pub fn category_of(&self, question: &str) -> Option<&str> {
        let line = Line::new(question);
        self.documents
            .iter()
            .flat_map(|document| &document.pairs)
            .find(|pair| line.starts(&pair.question) && line.fits(&pair.question))
            .map(|pair| pair.category.as_str())
    }
}

impl From<TruthFile> for Document {
    fn from(file: TruthFile) -> Document {
        Document {
            id: file.id,
            pairs: file
                .pairs
                .into_iter()
                .map(|pair| TruePair {
                    question: fold(&pair.question),
                    answer: fold(&pair.answer),
                    category: pair.category,
                })
                .collect(),
        }
    }
}

/// Text without its whitespace: lines are matched to the truth by their characters alone, since
/// a layout may space a heading's syllables apart ("지 원" for 지원) and extraction may place a
/// space differently from the source.
fn fold(text: &str) -> String {
    text.split_whitespace().collect()
}

/// A request line: the labeler shortens long lines to head…tail, so a line is the pieces it
/// shows.
struct Line {
    pieces: Vec<String>,
}

impl Line {
    fn new(text: &str) -> Line {
        Line {
            pieces: text
                .split('…')
                .map(fold)
                .filter(|piece| !piece.is_empty())
                .collect(),
        }
    }

    /// Every piece stands in `text`, in order.
    fn fits(&self, text: &str) -> bool {
        let mut rest = text;
        for piece in &self.pieces {
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        !self.pieces.is_empty()
    }

    /// `text` begins with this line.
    fn starts(&self, text: &str) -> bool {
        self.pieces
            .first()
            .is_some_and(|first| text.starts_with(first.as_str()))
    }
}

/// Lines a page header or footer may put between a question and its answer.
const MAX_SKIPPED_LINES: usize = 2;

impl Document {
    /// Each true pair found in order: the question from the line it starts on, as long as the
    /// lines fit it; the answer from the next line that starts it (a page mark or two may come
    /// between), as long as the lines fit it.
    fn align(&self, lines: &[Line]) -> Option<Vec<FoundPair>> {
        let mut found = Vec::with_capacity(self.pairs.len());
        let mut cursor = 0;
        for (index, pair) in self.pairs.iter().enumerate() {
            let next_question = self.pairs.get(index + 1).map(|next| next.question.as_str());
            let q_start = (cursor..lines.len())
                .find(|&i| lines[i].starts(&pair.question) && lines[i].fits(&pair.question))?;
            let mut q_end = q_start + 1;
            while q_end < lines.len()
                && lines[q_end].fits(&pair.question)
                && !lines[q_end].starts(&pair.answer)
            {
                q_end += 1;
            }
            let a_start = (q_end..lines.len().min(q_end + MAX_SKIPPED_LINES + 1))
                .find(|&i| lines[i].starts(&pair.answer) && lines[i].fits(&pair.answer))?;
            let mut a_end = a_start + 1;
            while a_end < lines.len()
                && lines[a_end].fits(&pair.answer)
                && !next_question.is_some_and(|next| lines[a_end].starts(next))
            {
                a_end += 1;
            }
            found.push(FoundPair {
                question: (q_start + 1, q_end),
                answer: (a_start + 1, a_end),
                category: pair.category.clone(),
            });
            cursor = a_end;
        }
        (!found.is_empty()).then_some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth() -> Truth {
        Truth {
            documents: vec![Document::from(TruthFile {
                id: "doc".into(),
                pairs: vec![
                    TruthPair {
                        question: "1. 지원 동기를 쓰시오. (500자)".into(),
                        answer: "첫 문단입니다.\n둘째 문단은 조금 더 깁니다.".into(),
                        category: "MOTIVATION".into(),
                    },
                    TruthPair {
                        question: "2. 협업 경험을 쓰시오.".into(),
                        answer: "팀과 함께 일했습니다.".into(),
                        category: "TEAMWORK_EXPERIENCE".into(),
                    },
                ],
            })],
        }
    }

    #[test]
    fn a_known_document_is_answered_with_its_true_spans() {
        let lines = [
            "자기소개서",
            "1. 지원 동기를 쓰시오.",
            "(500자)",
            "첫 문단입니다.",
            "둘째 문단은…더 깁니다.",
            "- 1 -",
            "2. 협업 경험을 쓰시오.",
            "팀과 함께 일했습니다.",
        ];
        let truth = truth();
        let (id, pairs) = truth.split(&lines).expect("recognised");
        assert_eq!(id, "doc");
        assert_eq!(
            pairs,
            vec![
                FoundPair {
                    question: (2, 3),
                    answer: (4, 5),
                    category: "MOTIVATION".into()
                },
                FoundPair {
                    question: (7, 7),
                    answer: (8, 8),
                    category: "TEAMWORK_EXPERIENCE".into()
                },
            ]
        );
        assert_eq!(
            truth.category_of("2. 협업 경험을 쓰시오."),
            Some("TEAMWORK_EXPERIENCE")
        );
    }

    #[test]
    fn an_unknown_document_is_not_recognised() {
        let lines = [
            "1. 성장 과정을 쓰시오.",
            "어릴 때 저는 바닷가에서 자랐습니다.",
        ];
        assert!(truth().split(&lines).is_none());
        assert!(truth().category_of("성장 과정을 쓰시오.").is_none());
    }

    #[test]
    fn every_corpus_document_is_recognised_from_its_text() {
        let root = crate::testing::repository_root().join("tests/fixtures/corpus");
        let truth = Truth::load(&[&root]);
        assert!(truth.len() >= 10);
        let mut missed = Vec::new();
        for document in &truth.documents {
            let file = std::fs::read(root.join(format!("{}.json", document.id))).expect("read");
            let json: serde_json::Value = serde_json::from_slice(&file).expect("JSON");
            let lines: Vec<&str> = json["text"].as_str().unwrap_or_default().lines().collect();
            match truth.split(&lines) {
                Some((id, pairs)) if id == document.id && pairs.len() == document.pairs.len() => {}
                other => missed.push(format!("{}: {other:?}", document.id)),
            }
        }
        assert!(missed.is_empty(), "{missed:#?}");
    }
}
