//! The categoriser's training, shared by `build.rs` (which fits the model the library ships)
//! and the cross-validation example: a multinomial logistic regression over the features of
//! `features.rs`, by stochastic gradient descent with AdaGrad steps and L2 on the features
//! present. Deterministic: fixed order, fixed seed, no threads. Plain `std` on purpose.

use std::collections::BTreeMap;

use super::features;

pub const EPOCHS: usize = 15;
/// AdaGrad's base step. 0.1 rather than 0.5 since the in-word character pairs of
/// `features.rs`: with many more features per question, the larger step let a few pairs
/// decide a question on their own (5-fold cross-validation on `train.tsv`: 0.883 at 0.5,
/// 0.927 at 0.1; without the pairs 0.907 and 0.910).
pub const LEARNING_RATE: f64 = 0.1;
pub const L2: f64 = 1e-3;
pub const SEED: u64 = 0x6e61_7272_6174_6978;
pub const CLASSES: usize = features::CATEGORY_KEYS.len();

/// One question of a training file: its text, category and (two-answer cases) second category.
pub struct Labeled {
    pub question: String,
    pub class: usize,
    pub second: Option<usize>,
}

/// The questions of a `KEY<TAB>SECOND<TAB>question` file; `Err` names the bad line.
pub fn read_questions(text: &str, file: &str) -> Result<Vec<Labeled>, String> {
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (Some(key), Some(second), Some(question)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "{file}:{}: want key<TAB>second<TAB>question",
                number + 1
            ));
        };
        let class = class_of(key)
            .ok_or_else(|| format!("{file}:{}: unknown category {key}", number + 1))?;
        let second = match second {
            "-" => None,
            other => Some(class_of(other).ok_or_else(|| {
                format!("{file}:{}: unknown second category {other}", number + 1)
            })?),
        };
        out.push(Labeled {
            question: question.to_owned(),
            class,
            second,
        });
    }
    Ok(out)
}

pub fn class_of(key: &str) -> Option<usize> {
    features::CATEGORY_KEYS.iter().position(|k| *k == key)
}

/// `(feature indices with counts, class)` per training question.
pub struct Example {
    pub features: Vec<(usize, f64)>,
    pub class: usize,
    /// The fair second answer of a two-answer question, trained on with [`SECOND_SHARE`].
    pub second: Option<usize>,
}

/// The share of the target a two-answer question's second category gets (the first gets the
/// rest, and stays ahead: the first thing asked wins).
pub const SECOND_SHARE: f64 = 0.3;

pub struct Parsed {
    pub names: Vec<String>,
    pub examples: Vec<Example>,
}

/// The training questions as feature vectors over one name table.
pub fn featurize(questions: &[&Labeled]) -> Parsed {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut names = Vec::new();
    let mut examples = Vec::new();
    for labeled in questions {
        let mut counts: BTreeMap<usize, f64> = BTreeMap::new();
        for feature in features::features(&labeled.question) {
            let next = names.len();
            let id = *index.entry(feature.name.clone()).or_insert(next);
            if id == next {
                names.push(feature.name);
            }
            *counts.entry(id).or_insert(0.0) += 1.0;
        }
        examples.push(Example {
            features: counts.into_iter().collect(),
            class: labeled.class,
            second: labeled.second,
        });
    }
    Parsed { names, examples }
}

pub struct Weights {
    pub names: Vec<String>,
    pub rows: Vec<[f64; CLASSES]>,
}

impl Weights {
    /// The class with the highest score for `question` (ties to the earlier class; `None`
    /// when no feature of it is known).
    pub fn classify(&self, question: &str) -> Option<usize> {
        let mut scores = [0.0f64; CLASSES];
        let mut known = false;
        for feature in features::features(question) {
            if let Ok(at) = self.names.binary_search(&feature.name) {
                known = true;
                for (score, weight) in scores.iter_mut().zip(&self.rows[at]) {
                    *score += weight;
                }
            }
        }
        if !known {
            return None;
        }
        let mut best = 0;
        for (class, score) in scores.iter().enumerate() {
            if *score > scores[best] {
                best = class;
            }
        }
        Some(best)
    }

    /// The same weights with the names sorted (for [`Weights::classify`] and the table).
    pub fn sorted(self) -> Weights {
        let mut rows: Vec<(String, [f64; CLASSES])> =
            self.names.into_iter().zip(self.rows).collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let (names, rows) = rows.into_iter().unzip();
        Weights { names, rows }
    }
}

/// Stochastic gradient descent with AdaGrad steps and L2 on the features present.
pub fn train(parsed: &Parsed) -> Weights {
    train_with(parsed, EPOCHS, LEARNING_RATE, L2, SECOND_SHARE)
}

/// [`train`] with other settings (for cross-validation).
pub fn train_with(
    parsed: &Parsed,
    epochs: usize,
    learning_rate: f64,
    l2: f64,
    second_share: f64,
) -> Weights {
    let features = parsed.names.len();
    let mut weights = vec![[0.0f64; CLASSES]; features];
    let mut squares = vec![[1e-8f64; CLASSES]; features];
    let mut order: Vec<usize> = (0..parsed.examples.len()).collect();
    let mut rng = SEED;
    for _ in 0..epochs {
        shuffle(&mut order, &mut rng);
        for &at in &order {
            let example = &parsed.examples[at];
            let mut scores = [0.0f64; CLASSES];
            for &(feature, value) in &example.features {
                for (score, weight) in scores.iter_mut().zip(&weights[feature]) {
                    *score += weight * value;
                }
            }
            let probabilities = softmax(&scores);
            for &(feature, value) in &example.features {
                for class in 0..CLASSES {
                    let target = match example.second {
                        Some(second) if class == second => second_share,
                        Some(_) if class == example.class => 1.0 - second_share,
                        _ if class == example.class => 1.0,
                        _ => 0.0,
                    };
                    let gradient =
                        (probabilities[class] - target) * value + l2 * weights[feature][class];
                    squares[feature][class] += gradient * gradient;
                    weights[feature][class] -=
                        learning_rate * gradient / squares[feature][class].sqrt();
                }
            }
        }
    }
    Weights {
        names: parsed.names.clone(),
        rows: weights,
    }
}

fn softmax(scores: &[f64; CLASSES]) -> [f64; CLASSES] {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut out = [0.0; CLASSES];
    let mut sum = 0.0;
    for (o, s) in out.iter_mut().zip(scores) {
        *o = (s - max).exp();
        sum += *o;
    }
    for o in &mut out {
        *o /= sum;
    }
    out
}

/// Fisher–Yates with a xorshift generator: the same order on every machine.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}
