//! The honest measure of a model: trained on the older 80% of the resolved tickets, tested on
//! the newest 20% it never saw, per field, next to the majority baseline (always guessing the
//! commonest label), with the category's confusion table.

use serde::{Deserialize, Serialize};

use crate::triage::model::{Classifier, Example, Model};

/// Share of the resolved tickets, the newest, held out for testing.
pub const HELD_OUT: f64 = 0.2;

/// One field's result on the held-out tickets.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FieldScore {
    /// Held-out tickets with this field known.
    pub tested: u64,
    pub correct: u64,
    /// Correct guesses of the majority baseline.
    pub baseline_correct: u64,
}

impl FieldScore {
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.tested)
    }

    pub fn baseline(&self) -> f64 {
        ratio(self.baseline_correct, self.tested)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The evaluation stored with a model.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Evaluation {
    pub trained_on: u64,
    pub category: FieldScore,
    pub priority: FieldScore,
    pub assignee: FieldScore,
    /// The category labels, in the order of the confusion table's rows and columns.
    pub labels: Vec<i64>,
    /// `confusion[actual][predicted]`: held-out tickets per pair of categories.
    pub confusion: Vec<Vec<u64>>,
    /// Mean time of one ticket's prediction (all three fields, from its features), microseconds.
    #[serde(default)]
    pub predict_us: f64,
}

/// Splits `examples` (oldest first) into the training part and the newest `HELD_OUT` share.
pub fn split(examples: &[Example]) -> (&[Example], &[Example]) {
    let test = ((examples.len() as f64) * HELD_OUT).round() as usize;
    examples.split_at(examples.len() - test.min(examples.len()))
}

/// Trains on the older part and scores the newest.
pub fn evaluate(examples: &[Example]) -> Evaluation {
    let (train, test) = split(examples);
    let model = Model::train(train);
    let mut eval = Evaluation {
        trained_on: train.len() as u64,
        ..Evaluation::default()
    };
    let mut labels: Vec<i64> = model.category.labels.clone();
    for e in test {
        if !labels.contains(&e.category) {
            labels.push(e.category);
        }
    }
    labels.sort_unstable();
    let mut confusion = vec![vec![0u64; labels.len()]; labels.len()];
    let clock = std::time::Instant::now();
    for e in test {
        let f = &e.features;
        let guessed = score(&mut eval.category, &model.category, f, Some(e.category));
        score(&mut eval.priority, &model.priority, f, Some(e.priority));
        score(&mut eval.assignee, &model.assignee, f, e.assignee);
        let row = labels.iter().position(|l| *l == e.category);
        let col = guessed.and_then(|g| labels.iter().position(|l| *l == g));
        if let (Some(r), Some(c)) = (row, col) {
            confusion[r][c] += 1;
        }
    }
    if !test.is_empty() {
        eval.predict_us = clock.elapsed().as_secs_f64() * 1e6 / test.len() as f64;
    }
    eval.labels = labels;
    eval.confusion = confusion;
    eval
}

/// Counts one held-out ticket's field; returns the guess.
fn score(
    into: &mut FieldScore,
    classifier: &Classifier,
    features: &[u32],
    actual: Option<i64>,
) -> Option<i64> {
    let actual = actual?;
    into.tested += 1;
    let guess = classifier.predict(features).map(|g| g.label);
    if guess == Some(actual) {
        into.correct += 1;
    }
    if classifier.majority() == Some(actual) {
        into.baseline_correct += 1;
    }
    guess
}
