//! Token counting for rate limits and budgets: `bpe-openai` against `tiktoken-rs` on the same text.
//!
//! The facade counts prompt tokens of every request before sending it, so the
//! tokenizer is on the hot path of a batch run. Both crates implement
//! `o200k_base` exactly; this bench decides which one `shepherd::tokens` uses.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A product-review prompt like the seeds' e-commerce scenario, about 1 KB.
fn review_prompt() -> String {
    let review = "Die Lieferung kam schnell, aber das Gehäuse hatte einen Kratzer. \
        The battery lasts two days, which is better than advertised; the charger is flimsy. \
        Kundenservice war freundlich und hat sofort Ersatz geschickt. 4/5 stars, would buy again. ";
    format!(
        "Classify the sentiment of this product review as positive, neutral or negative, \
         and list the product aspects it mentions.\n\nReview:\n{}",
        review.repeat(3)
    )
}

fn counting(c: &mut Criterion) {
    let text = review_prompt();
    let mut group = c.benchmark_group("tokens/o200k_count");
    group.throughput(Throughput::Bytes(text.len() as u64));
    let bpe = bpe_openai::o200k_base();
    group.bench_function("bpe-openai", |b| b.iter(|| bpe.count(black_box(&text))));
    let tiktoken = tiktoken_rs::o200k_base().expect("o200k_base tables are bundled");
    group.bench_function("tiktoken-rs", |b| {
        b.iter(|| tiktoken.encode_with_special_tokens(black_box(&text)).len())
    });
    group.finish();

    assert_eq!(
        bpe.count(&text),
        tiktoken.encode_with_special_tokens(&text).len(),
        "both tokenizers must agree on the count"
    );
}

criterion_group!(benches, counting);
criterion_main!(benches);
