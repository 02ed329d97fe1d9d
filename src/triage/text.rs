//! A ticket's text as the classifier sees it: lowercased, accents folded, split into words,
//! common English and Spanish words dropped, each word cut to a crude stem, then the words and
//! the pairs of neighbouring words hashed into `DIM` buckets. No vocabulary to store or grow:
//! an unseen word simply lands in some bucket.
//!
//! Bounded work whatever comes in: at most `MAX_CHARS` characters are read and `MAX_WORDS`
//! words kept, so 1 MB of text costs what its first few pages cost; a text of only emoji or
//! punctuation has no features at all.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Hash buckets (a power of two).
pub const DIM: usize = 1 << 18;
/// Characters read from a ticket's text.
pub const MAX_CHARS: usize = 20_000;
/// Words kept from a ticket's text.
pub const MAX_WORDS: usize = 600;
/// Stems are cut to this many characters (a crude stemmer that works alike for en and es).
const STEM_CHARS: usize = 7;

/// Common words of English and Spanish, accents folded: they say nothing about the category.
const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "from",
    "by", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "i",
    "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "there", "here", "have",
    "has", "had", "do", "does", "did", "can", "could", "would", "should", "will", "please", "hi",
    "hello", "thanks", "thank", "so", "as", "if", "not", "no", "any", "some", "all", "just",
    "about", "again", "also", "since", "when", "what", "who", "how", "am", "get", "got", "el",
    "la", "los", "las", "un", "una", "unos", "unas", "y", "o", "de", "del", "al", "en", "con",
    "por", "para", "que", "es", "son", "fue", "mi", "mis", "me", "nos", "su", "sus", "lo", "le",
    "les", "se", "ya", "muy", "hola", "gracias", "favor", "buenos", "buenas", "dias", "tengo",
    "tiene", "esta", "estan", "este", "esto", "eso", "hay", "pero", "si", "como", "cuando",
    "desde", "otra", "otro", "vez", "yo", "tu", "usted", "puede", "pueden", "podeis", "saludos",
];

/// The hashed features of a text: bucket indexes, one per word and word pair (repeats kept,
/// so a word said twice counts twice).
pub fn features(text: &str) -> Vec<u32> {
    let words = words(text);
    let mut out = Vec::with_capacity(words.len() * 2);
    for (i, w) in words.iter().enumerate() {
        out.push(bucket(w.as_bytes(), 0));
        if let Some(next) = words.get(i + 1) {
            out.push(bucket(next.as_bytes(), hash(w.as_bytes(), 0x9e37_79b9)));
        }
    }
    out
}

/// The stems of a text's meaningful words, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars().take(MAX_CHARS) {
        if words.len() == MAX_WORDS {
            break;
        }
        let mut pushed = false;
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                word.push(c.to_ascii_lowercase());
                pushed = true;
            }
        } else if c.is_alphabetic() {
            for d in c.to_lowercase().nfd().filter(|d| !is_combining_mark(*d)) {
                word.push(d);
            }
            pushed = true;
        }
        if !pushed {
            end_word(&mut word, &mut words);
        }
    }
    if words.len() < MAX_WORDS {
        end_word(&mut word, &mut words);
    }
    words
}

fn end_word(word: &mut String, words: &mut Vec<String>) {
    if word.is_empty() {
        return;
    }
    let w = std::mem::take(word);
    // Single letters and digits only (room numbers, extensions) say little.
    if w.chars().count() < 2 || w.chars().all(|c| c.is_ascii_digit()) || STOP.contains(&w.as_str())
    {
        return;
    }
    words.push(stem(&w));
}

/// A crude stem: common English and Spanish endings taken off, then the word cut short.
pub fn stem(word: &str) -> String {
    const ENDINGS: &[&str] = &[
        "aciones", "iciones", "amiento", "imiento", "mente", "ations", "ation", "acion", "icion",
        "ings", "ando", "iendo", "ados", "idos", "adas", "idas", "ing", "ado", "ido", "ada", "ida",
        "ies", "ed", "es", "s",
    ];
    let mut w = word;
    for e in ENDINGS {
        if w.len() > e.len() + 3
            && let Some(stripped) = w.strip_suffix(e)
        {
            w = stripped;
            break;
        }
    }
    w.chars().take(STEM_CHARS).collect()
}

fn bucket(bytes: &[u8], seed: u32) -> u32 {
    hash(bytes, seed) & (DIM as u32 - 1)
}

/// FNV-1a over the bytes, started from `seed`.
fn hash(bytes: &[u8], seed: u32) -> u32 {
    let mut h = 0x811c_9dc5_u32 ^ seed;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents_and_drops_small_words() {
        assert_eq!(words("La IMPRESIÓN no sale"), vec!["impresi", "sale"]);
        assert_eq!(words("Printer offline!"), words("printer   OFFLINE"));
    }

    #[test]
    fn stems_plurals_and_gerunds_alike() {
        assert_eq!(stem("printers"), stem("printer"));
        assert_eq!(stem("printing"), stem("print"));
        assert_eq!(stem("impresoras"), stem("impresora"));
    }

    #[test]
    fn emoji_only_has_no_features_and_huge_text_is_bounded() {
        assert!(features("🙂🙂🔥🔥 !!! ???").is_empty());
        let huge = "printer jam ".repeat(100_000);
        assert!(words(&huge).len() <= MAX_WORDS);
        assert!(features(&huge).len() <= 2 * MAX_WORDS);
    }
}
