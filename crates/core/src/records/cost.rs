//! `cost`: what the sessions of the store cost, the way gptme-sessions' `cost` (through
//! `gptme-usage`) estimates it, so both tools print the same dollars.
//!
//! Prices come from the user's `~/.config/gptme/harness-quota.toml` (`[prices.<harness>]
//! "<model>" = [input, output]` in USD per million tokens, `[model_routes]` mapping a
//! gptme short name to its provider route), the file gptme-usage reads. A record is
//! priced by `(harness, key)`: Claude Code models by family (`claude-opus-4-6`,
//! `opus-4-7-20251014` → `opus`), gptme models by their route's short name, other
//! harnesses by the raw model string. Cache reads cost 0.1× input and cache writes
//! 1.25× for Anthropic-priced keys, 0.5× / 1× for OpenAI-priced ones, 1× otherwise. A
//! record with only a `token_count` is priced as all cache reads when its key is a
//! subscription-backed one (gptme-usage measured 99.9% cache reads there). Each
//! record's cost is rounded to 6 decimals, as gptme-usage does.
//!
//! Where gptme-usage would price nothing — no `harness-quota.toml`, or one without
//! prices — Sessionscope prices by its own embedded table ([`crate::pricing`], by the
//! raw model name with its cache prices) instead of printing $0, and says so
//! ([`CostSummary::price_source`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::filter::parse_timestamp;
use super::record::Record;

/// Prices of `harness-quota.toml` (the part `cost` uses).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuotaConfig {
    /// `(harness, model)` → (input, output) USD per million tokens.
    pub prices: BTreeMap<(String, String), (f64, f64)>,
    /// gptme short name → provider route (`openrouter/vendor/model@vendor`).
    pub model_routes: Vec<(String, String)>,
}

/// Where `harness-quota.toml` is: `$HOME/.config/gptme/` like gptme-usage.
pub fn quota_config_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)?;
    Some(home.join(".config/gptme/harness-quota.toml"))
}

impl QuotaConfig {
    /// Read `path`; an absent or unreadable file, or one that is not TOML, is an empty
    /// config (gptme-usage degrades the same way). Malformed entries are skipped.
    pub fn load(path: &Path) -> QuotaConfig {
        let Some(text) = super::normalized::read_regular_text(path) else {
            return QuotaConfig::default();
        };
        let Ok(raw) = text.parse::<toml::Table>() else {
            return QuotaConfig::default();
        };
        let mut config = QuotaConfig::default();
        if let Some(toml::Value::Table(backends)) = raw.get("prices") {
            for (backend, models) in backends {
                let toml::Value::Table(models) = models else {
                    continue;
                };
                for (model, pair) in models {
                    if let Some(p) = price_pair(pair) {
                        config.prices.insert((backend.clone(), model.clone()), p);
                    }
                }
            }
        }
        if let Some(toml::Value::Table(routes)) = raw.get("model_routes") {
            for (short, route) in routes {
                if let toml::Value::String(route) = route {
                    config.model_routes.push((short.clone(), route.clone()));
                }
            }
        }
        config
    }
}

fn price_pair(v: &toml::Value) -> Option<(f64, f64)> {
    let toml::Value::Array(a) = v else {
        return None;
    };
    let num = |v: &toml::Value| match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match a.as_slice() {
        [i, o] => Some((num(i)?, num(o)?)),
        _ => None,
    }
}

/// Claude Code's short aliases and their current versions (gptme-usage's
/// `CC_MODEL_VERSIONS`).
const CC_MODEL_VERSIONS: &[(&str, &str)] = &[
    ("opus", "opus-4-8"),
    ("sonnet", "sonnet-4-6"),
    ("haiku", "haiku-4-5"),
    ("fable", "fable-5"),
    ("fable-5", "fable-5"),
    ("claude-fable-5", "fable-5"),
];

/// `claude-opus-4-7-20251014` → `opus-4-7`; `opus` → its current version.
fn resolve_cc_version(model: &str) -> String {
    let lower = model.trim().to_lowercase();
    let mut m = lower.strip_prefix("claude-").unwrap_or(&lower).to_string();
    let bytes = m.as_bytes();
    if bytes.len() >= 9
        && bytes[bytes.len() - 9] == b'-'
        && bytes[bytes.len() - 8..].iter().all(u8::is_ascii_digit)
    {
        m.truncate(m.len() - 9);
    }
    if CC_MODEL_VERSIONS.iter().any(|(_, v)| *v == m) {
        return m;
    }
    CC_MODEL_VERSIONS
        .iter()
        .find(|(k, _)| *k == m)
        .map(|(_, v)| v.to_string())
        .unwrap_or(m)
}

/// The price-table key of a harness and raw model name.
fn pricing_key(harness: &str, model: &str, config: &QuotaConfig) -> (String, String) {
    let key_model = match harness {
        "claude-code" => {
            let resolved = resolve_cc_version(model);
            ["opus", "sonnet", "haiku"]
                .into_iter()
                .find(|f| resolved == *f || resolved.starts_with(&format!("{f}-")))
                .map(str::to_string)
                .unwrap_or(resolved)
        }
        "gptme" => config
            .model_routes
            .iter()
            .find(|(_, route)| route == model)
            .map(|(short, _)| short.clone())
            .unwrap_or_else(|| model.to_string()),
        _ => model.to_string(),
    };
    (harness.to_string(), key_model)
}

/// Which provider's cache pricing applies to a key (gptme-usage's
/// `_CACHE_PRICING_PROVIDER`).
fn cache_provider(harness: &str, model: &str) -> Option<&'static str> {
    match (harness, model) {
        ("claude-code", "opus" | "sonnet" | "fable-5")
        | ("copilot-cli", "claude-opus-4.6" | "opus" | "claude-sonnet-4.6" | "sonnet") => {
            Some("anthropic")
        }
        ("codex" | "gptme", "gpt-5.4" | "gpt-5.5") | ("copilot-cli", "gpt-5.4") => Some("openai"),
        _ => None,
    }
}

/// Keys whose token-count-only records are priced as cache reads (gptme-usage's
/// `SUBSCRIPTION_BACKED_MODELS`).
fn subscription_backed(harness: &str, model: &str) -> bool {
    matches!(
        (harness, model),
        ("claude-code", "opus" | "sonnet" | "fable-5")
            | ("grok-build", "grok-build")
            | ("codex", "gpt-5.4" | "gpt-5.5")
            | (
                "copilot-cli",
                "claude-opus-4.6" | "opus" | "claude-sonnet-4.6" | "sonnet" | "gpt-5.4"
            )
            | ("gptme", "gpt-5.4" | "gpt-5.5")
    )
}

/// Python's `round(x, 6)`: the correctly rounded decimal, ties to even.
fn round6(x: f64) -> f64 {
    format!("{x:.6}").parse().unwrap_or(x)
}

/// Where the prices came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// The user's `harness-quota.toml`, like gptme-sessions.
    QuotaConfig,
    /// Sessionscope's embedded table (no `harness-quota.toml` prices).
    Embedded,
}

/// Prices one record at a time.
pub struct Pricer {
    config: QuotaConfig,
    source: PriceSource,
}

impl Pricer {
    /// Prices from `config`, or the embedded table when it has none.
    pub fn new(config: QuotaConfig) -> Pricer {
        let source = if config.prices.is_empty() {
            PriceSource::Embedded
        } else {
            PriceSource::QuotaConfig
        };
        Pricer { config, source }
    }

    /// Prices from the user's `harness-quota.toml`.
    pub fn from_user_config() -> Pricer {
        Pricer::new(
            quota_config_path()
                .map(|p| QuotaConfig::load(&p))
                .unwrap_or_default(),
        )
    }

    pub fn source(&self) -> &PriceSource {
        &self.source
    }

    /// The record's cost in USD, or `None` when its model has no price or it has no
    /// token counts.
    pub fn record_cost(&self, r: &Record) -> Option<f64> {
        let harness = r.harness.as_deref().unwrap_or("unknown");
        let model = r.model.as_deref().unwrap_or("unknown");
        let tokens = |t: Option<i64>| t.unwrap_or(0) as f64;
        let (inp, out) = (tokens(r.input_tokens), tokens(r.output_tokens));
        let (cw, cr) = (tokens(r.cache_creation_tokens), tokens(r.cache_read_tokens));
        match self.source {
            PriceSource::Embedded => {
                let p = crate::pricing::price_of(model)?;
                if inp == 0.0 && out == 0.0 && cw == 0.0 && cr == 0.0 {
                    return None;
                }
                Some(round6(
                    (inp * p.input.0
                        + out * p.output.0
                        + cw * p.cache_write.0
                        + cr * p.cache_read.0)
                        / 1_000_000.0,
                ))
            }
            PriceSource::QuotaConfig => {
                let (h, m) = pricing_key(harness, model, &self.config);
                let &(input_price, output_price) =
                    self.config.prices.get(&(h.clone(), m.clone()))?;
                let provider = cache_provider(&h, &m);
                if inp == 0.0 && out == 0.0 && cw == 0.0 && cr == 0.0 {
                    let total = r.token_count.filter(|t| *t > 0)? as f64;
                    if !subscription_backed(&h, &m) {
                        return None;
                    }
                    let rate = cache_read_rate(provider?);
                    return Some(round6(total * input_price * rate / 1_000_000.0));
                }
                let read_rate = provider.map(cache_read_rate).unwrap_or(1.0);
                let write_rate = match provider {
                    Some("anthropic") => 1.25,
                    _ => 1.0,
                };
                Some(round6(
                    (inp * input_price
                        + out * output_price
                        + cw * input_price * write_rate
                        + cr * input_price * read_rate)
                        / 1_000_000.0,
                ))
            }
        }
    }
}

fn cache_read_rate(provider: &str) -> f64 {
    match provider {
        "anthropic" => 0.1,
        "openai" => 0.5,
        _ => 1.0,
    }
}

/// Sessions and dollars of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CostBucket {
    pub count: u64,
    pub total_cost: f64,
}

impl CostBucket {
    pub fn avg_cost(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_cost / self.count as f64
        }
    }
}

/// The `cost` report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostSummary {
    /// Records in the window.
    pub session_count: u64,
    /// Of them, the ones with a cost.
    pub priced_count: u64,
    pub total_cost: f64,
    /// By normalised model, in the order first priced.
    pub by_model: Vec<(String, CostBucket)>,
    /// By UTC day of `timestamp` (its first 10 characters), sorted.
    pub by_day: BTreeMap<String, CostBucket>,
    pub price_source: PriceSource,
}

impl CostSummary {
    pub fn avg_cost(&self) -> f64 {
        if self.priced_count == 0 {
            0.0
        } else {
            self.total_cost / self.priced_count as f64
        }
    }
}

/// Cost of the records whose `timestamp` is within the last `days` days (`None`: all;
/// a record whose timestamp does not parse is left out of a window, as in Python).
pub fn analyze_costs(
    records: &[Record],
    days: Option<i64>,
    now: DateTime<Utc>,
    pricer: &Pricer,
) -> CostSummary {
    let cutoff = days.map(|d| now - Duration::days(d));
    let in_window: Vec<&Record> = records
        .iter()
        .filter(|r| match cutoff {
            None => true,
            Some(c) => {
                !r.timestamp.is_empty() && parse_timestamp(&r.timestamp).is_some_and(|t| t >= c)
            }
        })
        .collect();
    let mut summary = CostSummary {
        session_count: in_window.len() as u64,
        priced_count: 0,
        total_cost: 0.0,
        by_model: Vec::new(),
        by_day: BTreeMap::new(),
        price_source: pricer.source().clone(),
    };
    for r in in_window {
        let Some(cost) = pricer.record_cost(r) else {
            continue;
        };
        let model = r
            .model_normalized()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "unknown".into());
        let day = if r.timestamp.is_empty() {
            "unknown".to_string()
        } else {
            r.timestamp.chars().take(10).collect()
        };
        summary.total_cost += cost;
        summary.priced_count += 1;
        let slot = match summary.by_model.iter().position(|(m, _)| *m == model) {
            Some(i) => i,
            None => {
                summary.by_model.push((model, CostBucket::default()));
                summary.by_model.len() - 1
            }
        };
        let bucket = &mut summary.by_model[slot].1;
        bucket.count += 1;
        bucket.total_cost += cost;
        let day = summary.by_day.entry(day).or_default();
        day.count += 1;
        day.total_cost += cost;
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_code_models_are_priced_by_family() {
        let c = QuotaConfig::default();
        for m in [
            "claude-opus-4-6",
            "opus",
            "claude-opus-4-7-20251014",
            "OPUS-4-1",
        ] {
            assert_eq!(pricing_key("claude-code", m, &c).1, "opus", "{m}");
        }
        assert_eq!(pricing_key("claude-code", "fable", &c).1, "fable-5");
        assert_eq!(
            pricing_key("copilot-cli", "claude-sonnet-4.6", &c).1,
            "claude-sonnet-4.6"
        );
    }

    #[test]
    fn rounding_matches_python_round() {
        assert_eq!(round6(0.1234565), 0.123456); // binary value is below the tie
        assert_eq!(round6(0.25), 0.25);
        assert_eq!(round6(2.0000004), 2.0);
    }

    #[test]
    fn token_count_only_records_are_cache_reads_when_subscription_backed() {
        let mut config = QuotaConfig::default();
        config
            .prices
            .insert(("claude-code".into(), "opus".into()), (5.0, 25.0));
        config
            .prices
            .insert(("gptme".into(), "cheap".into()), (1.0, 1.0));
        let pricer = Pricer::new(config);
        let cc =
            Record::from_line(br#"{"harness":"claude-code","model":"opus","token_count":500000}"#)
                .unwrap();
        assert_eq!(pricer.record_cost(&cc), Some(0.25));
        let gptme =
            Record::from_line(br#"{"harness":"gptme","model":"cheap","token_count":500000}"#)
                .unwrap();
        assert_eq!(pricer.record_cost(&gptme), None);
    }
}
