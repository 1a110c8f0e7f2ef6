//! What tokens cost: an embedded price table for the common Claude, OpenAI and Gemini
//! models, and the cost rules ccusage applies, so our dollars match `ccusage … --offline`.
//!
//! The prices are those ccusage 20.0.24 charges offline (its build-time LiteLLM
//! snapshot), measured by running it on one-message sessions of 100k and 300k tokens of
//! each kind, per model. Rules, as in ccusage's `cost.rs`:
//! - a message costs input × input price + output × output price + cache writes ×
//!   cache-write price + cache reads × cache-read price, each *per message*;
//! - for models with a long-context tier, the tokens of one kind above 200 000 in one
//!   message are charged at the tier's price;
//! - Claude's 1-hour cache writes (`cache_creation.ephemeral_1h_input_tokens`) cost
//!   twice the input price;
//! - Codex usage is priced linearly (no tier): non-cached input, cached input at the
//!   cache-read price, output.
//!
//! A model is found by its exact name, then with `.`/`@` read as `-`, then as the
//! longest table name it contains at word boundaries (`anthropic/claude-sonnet-4-5`,
//! `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`); a name followed by another
//! version number (`gpt-5` in `gpt-5-1`) does not match, a date suffix does. Unknown
//! models have no cost (`None`), never a guessed one. This module does no I/O.

use crate::model::Usage;

/// US dollars per million tokens: base price, and the price above 200k tokens when the
/// model has a long-context tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: (f64, Option<f64>),
    pub output: (f64, Option<f64>),
    pub cache_write: (f64, Option<f64>),
    pub cache_read: (f64, Option<f64>),
}

const fn flat(input: f64, output: f64, cache_write: f64, cache_read: f64) -> Price {
    Price {
        input: (input, None),
        output: (output, None),
        cache_write: (cache_write, None),
        cache_read: (cache_read, None),
    }
}

const fn tiered(base: [f64; 4], above: [f64; 4]) -> Price {
    Price {
        input: (base[0], Some(above[0])),
        output: (base[1], Some(above[1])),
        cache_write: (base[2], Some(above[2])),
        cache_read: (base[3], Some(above[3])),
    }
}

/// See the module documentation for where these numbers come from.
const TABLE: &[(&str, Price)] = &[
    // Claude Code 2.1.332's default model; not in ccusage 20.0.24's table. Measured
    // from the agent's own `cost-state` records: one message each of 1M input, 100k
    // output, 100k cache-write and 100k cache-read tokens cost $4, $2, $0.50, $0.04.
    ("claude-opus-5-5", flat(4.0, 20.0, 5.0, 0.4)),
    ("claude-opus-4-6", flat(5.0, 25.0, 6.25, 0.5)),
    ("claude-opus-4-5", flat(5.0, 25.0, 6.25, 0.5)),
    ("claude-opus-4-1", flat(15.0, 75.0, 18.75, 1.5)),
    ("claude-opus-4", flat(15.0, 75.0, 18.75, 1.5)),
    ("claude-sonnet-4-6", flat(3.0, 15.0, 3.75, 0.3)),
    (
        "claude-sonnet-4-5",
        tiered([3.0, 15.0, 3.75, 0.3], [6.0, 22.5, 7.5, 0.6]),
    ),
    (
        "claude-sonnet-4",
        tiered([3.0, 15.0, 3.75, 0.3], [6.0, 22.5, 7.5, 0.6]),
    ),
    ("claude-3-7-sonnet", flat(3.0, 15.0, 3.75, 0.3)),
    ("claude-haiku-4-5", flat(1.0, 5.0, 1.25, 0.1)),
    ("claude-3-5-haiku", flat(0.8, 4.0, 1.0, 0.08)),
    ("gpt-5", flat(1.25, 10.0, 1.5625, 0.125)),
    ("gpt-5-codex", flat(1.25, 10.0, 1.5625, 0.125)),
    ("gpt-5-mini", flat(0.25, 2.0, 0.3125, 0.025)),
    ("gpt-5-nano", flat(0.05, 0.4, 0.0625, 0.005)),
    ("gpt-5.1", flat(1.25, 10.0, 1.5625, 0.125)),
    ("gpt-5.1-codex", flat(1.25, 10.0, 1.25, 0.125)),
    ("gpt-5.1-codex-mini", flat(0.25, 2.0, 0.3125, 0.025)),
    ("gpt-5.2", flat(1.75, 14.0, 1.75, 0.175)),
    ("gpt-5.2-codex", flat(1.75, 14.0, 1.75, 0.175)),
    // Codex CLI 0.171's default model; not in ccusage 20.0.24's table. OpenAI's list
    // price as LiteLLM's cost map (PR #52316) and opencode's model catalogue carry it:
    // $2 input, $10 output, $0.10 cached input, $2.50 cache writes per million.
    ("gpt-6.2-sol", flat(2.0, 10.0, 2.5, 0.1)),
    ("gpt-4.1", flat(2.0, 8.0, 2.5, 0.5)),
    ("gpt-4.1-mini", flat(0.4, 1.6, 0.5, 0.1)),
    ("gpt-4o", flat(2.5, 10.0, 3.125, 1.25)),
    ("gpt-4o-mini", flat(0.15, 0.6, 0.1875, 0.075)),
    (
        "gemini-2.5-pro",
        tiered([1.25, 10.0, 1.5625, 0.125], [5.0, 10.0, 1.5625, 0.5]),
    ),
    ("gemini-2.5-flash", flat(0.3, 2.5, 0.375, 0.03)),
    ("gemini-2.5-flash-lite", flat(0.1, 0.4, 0.125, 0.01)),
    ("gemini-3-pro-preview", flat(2.0, 12.0, 2.5, 0.2)),
    // Gemini CLI 0.61's main model and the one of its side requests (routing, titles);
    // neither is in ccusage 20.0.24's table. 3.8 Flash at Google's introductory rate
    // through 2026-12-31 ($1.50 / $7.50 from 2027-01-01; LiteLLM's cost map, PR
    // #39340, charges the same rate); cache reads $0.075. Gemini charges no per-token
    // cache write: the input price stands in, as for the models above.
    ("gemini-3.8-flash", flat(0.75, 3.75, 0.75, 0.075)),
    ("gemini-3.5-flash-lite", flat(0.3, 2.5, 0.3, 0.03)),
];

/// The price of `model`, if the table knows it (see the module docs for the matching).
pub fn price_of(model: &str) -> Option<Price> {
    // Called once per message with a handful of distinct names: remember the answers
    // (per thread, so scanning threads never wait on each other).
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<String, Option<Price>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(known) = KNOWN.with(|k| k.borrow().get(model).copied()) {
        return known;
    }
    let price = look_up(model);
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() < 4096 {
            k.insert(model.to_string(), price);
        }
    });
    price
}

fn look_up(model: &str) -> Option<Price> {
    let exact = |name: &str| TABLE.iter().find(|(k, _)| *k == name).map(|(_, p)| *p);
    if let Some(p) = exact(model) {
        return Some(p);
    }
    let normalized = model.replace(['.', '@'], "-");
    if let Some(p) = TABLE
        .iter()
        .find(|(k, _)| k.replace('.', "-") == normalized)
        .map(|(_, p)| *p)
    {
        return Some(p);
    }
    TABLE
        .iter()
        .filter(|(k, _)| contains_key(model, k) || contains_key(&normalized, &k.replace('.', "-")))
        .max_by_key(|(k, _)| k.len())
        .map(|(_, p)| *p)
}

/// `key` occurs in `value` between word boundaries, not followed by another version
/// number (a trailing date, `20250929` or `2025-08-07`, is fine).
fn contains_key(value: &str, key: &str) -> bool {
    value.match_indices(key).any(|(i, _)| {
        let before_ok = i == 0 || !value.as_bytes()[i - 1].is_ascii_alphanumeric();
        let suffix = &value[i + key.len()..];
        let Some(&sep) = suffix.as_bytes().first() else {
            return before_ok;
        };
        if sep.is_ascii_alphanumeric() {
            return false;
        }
        let version_follows = key.as_bytes().last().is_some_and(u8::is_ascii_digit)
            && matches!(sep, b'-' | b'.')
            && {
                let digits = suffix[1..].bytes().take_while(u8::is_ascii_digit).count();
                let after = suffix.as_bytes().get(1 + digits);
                let compact_date = digits == 8 && after.is_none_or(|b| !b.is_ascii_alphanumeric());
                digits > 0 && !compact_date && !is_dashed_date(&suffix[1..])
            };
        before_ok && !version_follows
    })
}

/// `2025-08-07…`: a release date, as OpenAI suffixes its snapshots.
fn is_dashed_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b.get(10).is_none_or(|c| !c.is_ascii_alphanumeric())
}

fn tier(tokens: u64, (base, above): (f64, Option<f64>)) -> f64 {
    const THRESHOLD: u64 = 200_000;
    let per = |p: f64| p / 1_000_000.0;
    match above {
        Some(above) if tokens > THRESHOLD => {
            THRESHOLD as f64 * per(base) + (tokens - THRESHOLD) as f64 * per(above)
        }
        _ => tokens as f64 * per(base),
    }
}

/// The cost of one message's usage. `cache_write_1h` is the part of the cache writes
/// that went to Claude's 1-hour cache (charged at twice the input price).
pub fn message_cost(model: &str, usage: &Usage, cache_write_1h: u64) -> Option<f64> {
    let p = price_of(model)?;
    let write_5m = usage.cache_creation_tokens.saturating_sub(cache_write_1h);
    let write_1h_price = (p.input.0 * 2.0, p.input.1.map(|a| a * 2.0));
    Some(
        tier(usage.input_tokens, p.input)
            + tier(usage.output_tokens, p.output)
            + tier(write_5m, p.cache_write)
            + tier(
                cache_write_1h.min(usage.cache_creation_tokens),
                write_1h_price,
            )
            + tier(usage.cache_read_tokens, p.cache_read),
    )
}

/// Codex usage (input already without the cached part), priced linearly like ccusage's
/// Codex report.
pub fn codex_cost(model: &str, usage: &Usage) -> Option<f64> {
    let p = price_of(model)?;
    let per = |t: u64, price: f64| t as f64 * price / 1_000_000.0;
    Some(
        per(usage.input_tokens, p.input.0)
            + per(usage.cache_read_tokens, p.cache_read.0)
            + per(usage.output_tokens, p.output.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(i: u64, o: u64, w: u64, r: u64) -> Usage {
        Usage {
            input_tokens: i,
            output_tokens: o,
            cache_creation_tokens: w,
            cache_read_tokens: r,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn names_resolve_like_ccusage() {
        let sonnet = price_of("claude-sonnet-4-5").unwrap();
        assert_eq!(price_of("claude-sonnet-4-5-20250929"), Some(sonnet));
        assert_eq!(price_of("anthropic/claude-sonnet-4-5"), Some(sonnet));
        assert_eq!(price_of("claude-sonnet-4.5"), Some(sonnet));
        assert_eq!(price_of("gpt-5-2025-08-07"), price_of("gpt-5"));
        // Another version number is another model, not a variant.
        assert_eq!(price_of("gpt-5-1"), price_of("gpt-5.1"));
        assert_ne!(price_of("gpt-5.2"), price_of("gpt-5"));
        assert_eq!(price_of("gpt-5-mini").unwrap().input.0, 0.25);
        assert_eq!(price_of("llama-3-70b"), None);
    }

    #[test]
    fn long_context_tier_applies_per_message_above_200k() {
        // 300k input on sonnet 4.5: 200k × $3/M + 100k × $6/M = 0.6 + 0.6.
        assert!(close(
            message_cost("claude-sonnet-4-5", &u(300_000, 0, 0, 0), 0).unwrap(),
            1.2
        ));
        // Haiku has no tier: 300k × $1/M.
        assert!(close(
            message_cost("claude-haiku-4-5", &u(300_000, 0, 0, 0), 0).unwrap(),
            0.3
        ));
        // 1h cache writes cost twice the input price: 1000 × $2/M + 1000 × $1.25/M.
        assert!(close(
            message_cost("claude-haiku-4-5", &u(0, 0, 2000, 0), 1000).unwrap(),
            0.00325
        ));
        assert_eq!(message_cost("mystery-model", &u(1, 1, 1, 1), 0), None);
    }

    #[test]
    fn the_pinned_agents_default_models_are_priced() {
        // What the pinned agents ask the stand-in for (tests/agents): Claude Code
        // 2.1.332, Codex 0.171, Gemini CLI 0.61 (main and side requests), opencode
        // 1.18.33 as configured there (and its title model), Copilot 1.0.102 (gpt-4.1).
        for model in [
            "claude-opus-5-5",
            "gpt-6.2-sol",
            "gemini-3.8-flash",
            "gemini-3.5-flash-lite",
            "claude-sonnet-4-5",
            "claude-haiku-4-5-20251001",
            "gpt-4.1",
        ] {
            assert!(price_of(model).is_some(), "{model} has no price");
        }
        // Flash-Lite is its own model, not a dated variant of a Flash.
        assert_ne!(
            price_of("gemini-3.5-flash-lite"),
            price_of("gemini-3.8-flash")
        );
        // 1000 input + 1000 cached + 1000 output on Sol: $0.002 + $0.0001 + $0.01.
        assert!(close(
            codex_cost("gpt-6.2-sol", &u(1000, 1000, 0, 1000)).unwrap(),
            0.0121
        ));
    }

    #[test]
    fn codex_is_linear() {
        // 1700 × 1.25 + 2000 × 0.125 + 230 × 10, per million: ccusage's 0.004675.
        assert!(close(
            codex_cost("gpt-5-codex", &u(1700, 230, 0, 2000)).unwrap(),
            0.004675
        ));
    }
}
