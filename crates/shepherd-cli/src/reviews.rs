//! Synthetic product reviews in German and English: the e-commerce workload the demo sends.

use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

const PRODUCTS_DE: &[&str] = &[
    "Kaffeevollautomat",
    "Laufschuhe",
    "Bluetooth-Kopfhörer",
    "Rucksack",
    "Akkuschrauber",
    "Wasserkocher",
    "Winterjacke",
    "Staubsauger-Roboter",
    "Gaming-Maus",
    "Bettwäsche-Set",
    "Smartwatch",
    "Pfannenset",
];
const PRODUCTS_EN: &[&str] = &[
    "espresso machine",
    "running shoes",
    "noise-cancelling headphones",
    "backpack",
    "cordless drill",
    "electric kettle",
    "winter jacket",
    "robot vacuum",
    "gaming mouse",
    "duvet set",
    "smartwatch",
    "frying pan set",
];
const GOOD_DE: &[&str] = &[
    "Super Qualität, genau wie beschrieben.",
    "Schnelle Lieferung und sehr gut verpackt.",
    "Nach drei Wochen täglicher Nutzung immer noch begeistert.",
    "Preis-Leistung stimmt absolut.",
];
const BAD_DE: &[&str] = &[
    "Leider nach zwei Wochen kaputt gegangen.",
    "Die Verarbeitung ist enttäuschend, überall Plastikgrate.",
    "Der Kundenservice hat auf drei E-Mails nicht geantwortet.",
    "Farbe weicht stark von den Produktfotos ab.",
];
const GOOD_EN: &[&str] = &[
    "Great build quality, exactly as described.",
    "Arrived a day early and well packaged.",
    "Three weeks of daily use and still impressed.",
    "Excellent value for the price.",
];
const BAD_EN: &[&str] = &[
    "Stopped working after two weeks.",
    "Feels cheap, with rough plastic edges everywhere.",
    "Customer service never answered my three emails.",
    "The colour is nothing like the photos.",
];
const SYSTEM: &str = "You classify e-commerce product reviews. Answer with JSON: \
{\"sentiment\": \"positive|neutral|negative\", \"topic\": \"quality|delivery|service|price|other\", \"language\": \"de|en\"}.";

/// The Batch API input line for review number `i` (deterministic for a seed).
pub(crate) fn review_line(rng: &mut SmallRng, i: usize) -> String {
    let german = rng.random_bool(0.6);
    let (products, good, bad) = if german {
        (PRODUCTS_DE, GOOD_DE, BAD_DE)
    } else {
        (PRODUCTS_EN, GOOD_EN, BAD_EN)
    };
    let product = products.choose(rng).copied().unwrap_or("product");
    let stars = rng.random_range(1..=5u8);
    let mut sentences = Vec::new();
    let pool = if stars >= 3 { good } else { bad };
    for _ in 0..rng.random_range(1..=3) {
        if let Some(s) = pool.choose(rng) {
            sentences.push(*s);
        }
    }
    let review = if german {
        format!(
            "Bewertung {i}: {stars}/5 Sterne für den {product}. {}",
            sentences.join(" ")
        )
    } else {
        format!(
            "Review {i}: {stars}/5 stars for the {product}. {}",
            sentences.join(" ")
        )
    };
    json!({
        "custom_id": format!("review-{i:05}"),
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "gpt-4.1-mini",
            "temperature": 0,
            "max_tokens": 40,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": review},
            ],
        },
    })
    .to_string()
}

/// `n` review lines, newline-terminated, from `seed`.
pub(crate) fn reviews(n: usize, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut text = String::with_capacity(n * 600);
    for i in 0..n {
        text.push_str(&review_line(&mut rng, i));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_are_valid_batch_lines_and_repeat_for_a_seed() {
        let text = reviews(50, 7);
        assert_eq!(text, reviews(50, 7));
        for (i, line) in text.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            assert_eq!(v["custom_id"], format!("review-{i:05}"));
            assert_eq!(v["url"], "/v1/chat/completions");
            assert!(
                v["body"]["messages"][1]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains(&i.to_string()))
            );
        }
    }
}
