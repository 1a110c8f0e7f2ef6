//! Model-name normalisation for grouping and display (`claude-opus-4-6` → `opus`).
//! Storage always keeps the raw string; only `stats`, `runs` and filters use this.
//!
//! Rules, in order, as in gptme-sessions' `normalize_model`:
//! 1. the exact alias table;
//! 2. a provider-prefixed table key followed by `/…` maps like that key;
//! 3. otherwise strip one known provider prefix (`openrouter/<vendor>/`,
//!    `anthropic/`, `openai-subscription/`, `openai/`, `xai/`) and a trailing
//!    `@provider`, returning the result if anything was stripped;
//! 4. anything else is returned unchanged.
//!
//! One deliberate difference: the package's README promises that a provider prefix in
//! front of a table key maps like the key (`openrouter/anthropic/claude-haiku-4-5` →
//! `haiku`), but its table lacks that entry, so its code yields `claude-haiku-4-5`.
//! We follow the README: after stripping, the result is looked up in the table again.

use std::borrow::Cow;

/// The alias table of gptme-sessions (`MODEL_ALIASES`).
const ALIASES: &[(&str, &str)] = &[
    ("claude-opus-4-6", "opus"),
    ("claude-opus-4.6", "opus"),
    ("claude-opus-4-5", "opus"),
    ("claude-opus-4.5", "opus"),
    ("claude-sonnet-4-6", "sonnet"),
    ("claude-sonnet-4.6", "sonnet"),
    ("claude-sonnet-4-5", "sonnet"),
    ("claude-sonnet-4.5", "sonnet"),
    ("claude-sonnet-4-20250514", "sonnet"),
    ("claude-haiku-4-5", "haiku"),
    ("claude-haiku-4.5", "haiku"),
    ("claude-3-opus", "opus"),
    ("claude-3-sonnet", "sonnet"),
    ("claude-3-haiku", "haiku"),
    ("claude-3.5-sonnet", "sonnet"),
    ("claude-3.5-haiku", "haiku"),
    ("anthropic/claude-opus-4-6", "opus"),
    ("anthropic/claude-opus-4.6", "opus"),
    ("anthropic/claude-opus-4-5", "opus"),
    ("anthropic/claude-opus-4.5", "opus"),
    ("anthropic/claude-sonnet-4-6", "sonnet"),
    ("anthropic/claude-sonnet-4.6", "sonnet"),
    ("anthropic/claude-sonnet-4-5", "sonnet"),
    ("anthropic/claude-sonnet-4.5", "sonnet"),
    ("anthropic/claude-sonnet-4-20250514", "sonnet"),
    ("anthropic/sonnet-4-20250514", "sonnet"),
    ("anthropic/claude-haiku-4-5", "haiku"),
    ("anthropic/claude-haiku-4.5", "haiku"),
    ("openrouter/anthropic/claude-opus-4.6", "opus"),
    ("openrouter/anthropic/claude-opus-4-6", "opus"),
    ("openrouter/anthropic/claude-opus-4.5", "opus"),
    ("openrouter/anthropic/claude-opus-4-5", "opus"),
    ("openrouter/anthropic/claude-sonnet-4-6", "sonnet"),
    ("openrouter/anthropic/claude-sonnet-4.6", "sonnet"),
    ("openrouter/anthropic/claude-sonnet-4-5", "sonnet"),
    ("openrouter/anthropic/claude-sonnet-4.5", "sonnet"),
    ("openai-subscription/gpt-5.4", "gpt-5.4"),
    ("openai-subscription/gpt-5.3-codex", "gpt-5.3-codex"),
    ("openai-subscription/gpt-5.3", "gpt-5.3"),
    ("openai-subscription/gpt-5.2", "gpt-5.2"),
    ("gpt-5.4", "gpt-5.4"),
    ("gpt-5.3-codex", "gpt-5.3-codex"),
    ("gpt-4o", "gpt-4o"),
    ("gpt-4o-mini", "gpt-4o-mini"),
    ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("openrouter/z-ai/glm-5@z-ai", "glm-5"),
    ("openrouter/z-ai/glm-5", "glm-5"),
    ("glm-5", "glm-5"),
    ("openrouter/moonshotai/kimi-k2.5@moonshotai", "kimi-k2.5"),
    ("openrouter/moonshotai/kimi-k2.5", "kimi-k2.5"),
    ("openrouter/moonshotai/kimi-k2.5-instruct", "kimi-k2.5"),
    ("openrouter/minimax/minimax-m2", "minimax-m2"),
    ("openrouter/minimax/minimax-m2.5", "minimax-m2.5"),
    ("openrouter/minimax/minimax-m2.7", "minimax-m2.7"),
    ("minimax-m2.5", "minimax-m2.5"),
    ("minimax-m2.7", "minimax-m2.7"),
    ("openrouter/google/gemini-3-flash", "gemini-3-flash"),
    ("openrouter/google/gemini-3.1-flash", "gemini-3.1-flash"),
    ("openrouter/google/gemini-3.1-pro", "gemini-3.1-pro"),
    ("gemini-3.1-flash", "gemini-3.1-flash"),
    ("gemini-3.1-pro", "gemini-3.1-pro"),
    ("xai/grok-4-1-fast", "grok-4-1"),
    ("qwen3.5-coder", "qwen3.5-coder"),
    ("openrouter/qwen/qwen3.5-coder", "qwen3.5-coder"),
];

fn alias(raw: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(k, _)| *k == raw).map(|(_, v)| *v)
}

/// Strip one leading provider prefix; `None` when there is none.
fn strip_provider(raw: &str) -> Option<&str> {
    if let Some(rest) = raw.strip_prefix("openrouter/") {
        // `openrouter/<vendor>/` — the vendor is one non-empty path segment.
        let slash = rest.find('/')?;
        return (slash > 0).then(|| &rest[slash + 1..]);
    }
    ["anthropic/", "openai-subscription/", "openai/", "xai/"]
        .iter()
        .find_map(|p| raw.strip_prefix(p))
}

/// Strip a trailing `@provider` (a non-empty tail without `@`).
fn strip_at_suffix(s: &str) -> &str {
    match s.rfind('@') {
        Some(i) if i + 1 < s.len() => &s[..i],
        _ => s,
    }
}

/// The canonical short name of `raw`. See the module documentation for the rules.
pub fn normalize_model(raw: &str) -> Cow<'_, str> {
    if raw.is_empty() {
        return Cow::Borrowed(raw);
    }
    if let Some(a) = alias(raw) {
        return Cow::Borrowed(a);
    }
    for (key, canonical) in ALIASES {
        if key.contains('/')
            && raw.len() > key.len()
            && raw.starts_with(key)
            && raw.as_bytes()[key.len()] == b'/'
        {
            return Cow::Borrowed(canonical);
        }
    }
    let stripped = strip_at_suffix(strip_provider(raw).unwrap_or(raw));
    if stripped != raw {
        // README promise: a provider prefix in front of a table key maps like the key.
        if let Some(a) = alias(stripped) {
            return Cow::Borrowed(a);
        }
        return Cow::Owned(stripped.to_string());
    }
    Cow::Borrowed(raw)
}

#[cfg(test)]
mod tests {
    use super::normalize_model as n;

    #[test]
    fn table_entries_map_exactly() {
        assert_eq!(n("claude-opus-4-6"), "opus");
        assert_eq!(n("claude-opus-4.6"), "opus");
        assert_eq!(n("anthropic/claude-opus-4-5"), "opus");
        assert_eq!(n("openrouter/anthropic/claude-opus-4-5"), "opus");
        assert_eq!(n("claude-sonnet-4-20250514"), "sonnet");
        assert_eq!(n("claude-3.5-haiku"), "haiku");
        assert_eq!(n("openai-subscription/gpt-5.4"), "gpt-5.4");
        assert_eq!(n("openai"), "gpt-4o");
    }

    #[test]
    fn provider_prefixed_keys_match_as_prefixes() {
        assert_eq!(n("openrouter/z-ai/glm-5/extra"), "glm-5");
        // A bare key such as `openai` never absorbs `openai/...`.
        assert_eq!(n("openai/gpt-5-mini"), "gpt-5-mini");
    }

    #[test]
    fn fallbacks_strip_provider_and_at_suffix() {
        assert_eq!(n("openrouter/z-ai/glm-5@z-ai"), "glm-5");
        assert_eq!(n("openrouter/deepseek/deepseek-v4@deepseek"), "deepseek-v4");
        assert_eq!(n("xai/grok-5"), "grok-5");
        assert_eq!(n("glm-6@z-ai"), "glm-6");
        assert_eq!(n("claude-opus-4-7"), "claude-opus-4-7");
        assert_eq!(n("unknown"), "unknown");
    }

    #[test]
    fn readme_promise_for_prefixed_haiku_is_kept() {
        assert_eq!(n("openrouter/anthropic/claude-haiku-4-5"), "haiku");
        assert_eq!(n("openrouter/anthropic/claude-haiku-4.5"), "haiku");
    }
}
