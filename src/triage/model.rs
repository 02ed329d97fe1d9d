//! The classifier: multinomial Naive Bayes over hashed word and word-pair features
//! (`text::features`), one per field (category, priority, assignee), with Laplace smoothing.
//! Training counts features per label; predicting sums each label's log-probabilities over the
//! text's features. Both are linear in the text, and a prediction touches one row of the dense
//! table per feature, so it takes microseconds.
//!
//! Naive Bayes is overconfident on correlated features (a word pair repeats its words), so the
//! confidence is tempered: a text with more than `TEMPER_AT` features weighs as if it had that
//! many, and the labels' scores go through a softmax. That makes the admin's threshold a usable
//! knob rather than "always 100%".

use crate::error::{Error, Result};
use crate::triage::text::DIM;

/// The version of `to_bytes`'s format.
pub const FORMAT: i64 = 1;
const MAGIC: &[u8; 8] = b"HDTRIAG1";
/// Laplace smoothing.
const ALPHA: f32 = 0.1;
/// Texts with more features weigh as if they had this many (see the module's comment).
const TEMPER_AT: f32 = 12.0;

/// One field's classifier.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    /// The labels (category, priority or staff ids), in a fixed order.
    pub labels: Vec<i64>,
    /// Training tickets per label.
    pub docs: Vec<u32>,
    /// Sparse counts: (bucket, count per label) for each bucket seen, by bucket.
    counts: Vec<(u32, Vec<u32>)>,
    /// Dense log P(bucket | label), bucket-major (`bucket * labels + label`); built by `ready`.
    log_lik: Vec<f32>,
    log_prior: Vec<f32>,
}

/// A label with the classifier's confidence in it (0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    pub label: i64,
    pub confidence: f32,
}

impl Classifier {
    /// Learns from (features, label) pairs.
    pub fn train<'a>(examples: impl Iterator<Item = (&'a [u32], i64)>) -> Classifier {
        let mut labels: Vec<i64> = Vec::new();
        let mut docs: Vec<u32> = Vec::new();
        // Per label, a dense count table while training: simple and fast for nine labels.
        let mut dense: Vec<Vec<u32>> = Vec::new();
        for (features, label) in examples {
            let i = match labels.iter().position(|l| *l == label) {
                Some(i) => i,
                None => {
                    labels.push(label);
                    docs.push(0);
                    dense.push(vec![0; DIM]);
                    labels.len() - 1
                }
            };
            docs[i] += 1;
            for f in features {
                dense[i][*f as usize % DIM] += 1;
            }
        }
        let mut counts = Vec::new();
        for bucket in 0..DIM {
            if dense.iter().any(|d| d[bucket] > 0) {
                counts.push((bucket as u32, dense.iter().map(|d| d[bucket]).collect()));
            }
        }
        let mut c = Classifier {
            labels,
            docs,
            counts,
            ..Classifier::default()
        };
        c.ready();
        c
    }

    /// Builds the dense tables prediction reads.
    fn ready(&mut self) {
        let n = self.labels.len();
        if n == 0 {
            return;
        }
        let mut totals = vec![0f64; n];
        for (_, per) in &self.counts {
            for (t, c) in totals.iter_mut().zip(per) {
                *t += f64::from(*c);
            }
        }
        let denom: Vec<f64> = totals
            .iter()
            .map(|t| t + f64::from(ALPHA) * DIM as f64)
            .collect();
        let unseen: Vec<f32> = denom
            .iter()
            .map(|d| (f64::from(ALPHA) / d).ln() as f32)
            .collect();
        let mut log_lik = Vec::with_capacity(DIM * n);
        for _ in 0..DIM {
            log_lik.extend_from_slice(&unseen);
        }
        for (bucket, per) in &self.counts {
            let row = *bucket as usize * n;
            for (l, c) in per.iter().enumerate() {
                log_lik[row + l] = ((f64::from(*c) + f64::from(ALPHA)) / denom[l]).ln() as f32;
            }
        }
        let all: f64 = self.docs.iter().map(|d| f64::from(*d)).sum();
        self.log_prior = self
            .docs
            .iter()
            .map(|d| ((f64::from(*d) + 1.0) / (all + n as f64)).ln() as f32)
            .collect();
        self.log_lik = log_lik;
    }

    /// Every label's probability for a text's features, in `labels` order; empty when the
    /// classifier learned nothing.
    pub fn probabilities(&self, features: &[u32]) -> Vec<f32> {
        let n = self.labels.len();
        if n == 0 || self.log_lik.len() != n * DIM {
            return Vec::new();
        }
        let mut sums = vec![0f32; n];
        for f in features {
            let row = (*f as usize % DIM) * n;
            for (s, l) in sums.iter_mut().zip(&self.log_lik[row..row + n]) {
                *s += l;
            }
        }
        let weight = if features.len() as f32 > TEMPER_AT {
            TEMPER_AT / features.len() as f32
        } else {
            1.0
        };
        let scores: Vec<f32> = sums
            .iter()
            .zip(&self.log_prior)
            .map(|(s, p)| p + s * weight)
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = exps.iter().sum();
        exps.iter().map(|e| e / total).collect()
    }

    /// The likeliest label, or none when the classifier learned nothing.
    pub fn predict(&self, features: &[u32]) -> Option<Guess> {
        let probs = self.probabilities(features);
        let (i, p) = probs.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        Some(Guess {
            label: *self.labels.get(i)?,
            confidence: *p,
        })
    }

    /// The label most training tickets had (the baseline a model must beat).
    pub fn majority(&self) -> Option<i64> {
        let (i, _) = self.docs.iter().enumerate().max_by_key(|(_, d)| **d)?;
        self.labels.get(i).copied()
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_u32(out, self.labels.len() as u32);
        for (l, d) in self.labels.iter().zip(&self.docs) {
            out.extend_from_slice(&l.to_le_bytes());
            put_u32(out, *d);
        }
        put_u32(out, self.counts.len() as u32);
        for (bucket, per) in &self.counts {
            put_u32(out, *bucket);
            for c in per {
                put_u32(out, *c);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Classifier> {
        let n = r.u32()? as usize;
        if n > 100_000 {
            return Err(corrupt());
        }
        let mut labels = Vec::with_capacity(n);
        let mut docs = Vec::with_capacity(n);
        for _ in 0..n {
            labels.push(r.i64()?);
            docs.push(r.u32()?);
        }
        let buckets = r.u32()? as usize;
        if buckets > DIM {
            return Err(corrupt());
        }
        let mut counts = Vec::with_capacity(buckets);
        for _ in 0..buckets {
            let bucket = r.u32()?;
            if bucket as usize >= DIM {
                return Err(corrupt());
            }
            let mut per = Vec::with_capacity(n);
            for _ in 0..n {
                per.push(r.u32()?);
            }
            counts.push((bucket, per));
        }
        let mut c = Classifier {
            labels,
            docs,
            counts,
            ..Classifier::default()
        };
        c.ready();
        Ok(c)
    }
}

/// The three classifiers of one training.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub category: Classifier,
    pub priority: Classifier,
    pub assignee: Classifier,
}

/// One resolved ticket to learn from: its text's features and what the desk settled on.
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Vec<u32>,
    pub category: i64,
    pub priority: i64,
    pub assignee: Option<i64>,
}

impl Model {
    pub fn train(examples: &[Example]) -> Model {
        Model {
            category: Classifier::train(
                examples.iter().map(|e| (e.features.as_slice(), e.category)),
            ),
            priority: Classifier::train(
                examples.iter().map(|e| (e.features.as_slice(), e.priority)),
            ),
            assignee: Classifier::train(
                examples
                    .iter()
                    .filter_map(|e| Some((e.features.as_slice(), e.assignee?))),
            ),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        self.category.write(&mut out);
        self.priority.write(&mut out);
        self.assignee.write(&mut out);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        if bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
            return Err(corrupt());
        }
        let mut r = Reader {
            bytes,
            at: MAGIC.len(),
        };
        Ok(Model {
            category: Classifier::read(&mut r)?,
            priority: Classifier::read(&mut r)?,
            assignee: Classifier::read(&mut r)?,
        })
    }
}

fn corrupt() -> Error {
    Error::internal("the stored triage model is unreadable; train it again")
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let slice = self.bytes.get(self.at..self.at + N).ok_or_else(corrupt)?;
        self.at += N;
        let mut a = [0u8; N];
        a.copy_from_slice(slice);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::text::features;

    fn example(text: &str, category: i64) -> Example {
        Example {
            features: features(text),
            category,
            priority: 1,
            assignee: None,
        }
    }

    #[test]
    fn learns_words_and_round_trips_through_bytes() {
        let examples = vec![
            example("printer jam toner paper", 1),
            example("the printer prints blank pages", 1),
            example("vpn wifi network down", 2),
            example("no wifi in the meeting room network", 2),
        ];
        let model = Model::train(&examples);
        let guess = model
            .category
            .predict(&features("toner empty in printer"))
            .unwrap();
        assert_eq!(guess.label, 1);
        let back = Model::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(
            back.category.predict(&features("wifi down")).unwrap().label,
            2
        );
        assert!(back.assignee.predict(&features("wifi")).is_none());
        assert!(Model::from_bytes(b"HDTRIAG1\x05").is_err());
    }

    #[test]
    fn one_category_and_no_features_still_answer() {
        let model = Model::train(&[example("printer", 7)]);
        let guess = model.category.predict(&[]).unwrap();
        assert_eq!(guess.label, 7);
        assert!((guess.confidence - 1.0).abs() < 1e-6);
    }
}
