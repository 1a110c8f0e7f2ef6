//! Token usage, context size (tokens and model-independent bytes) and gptme's
//! per-step timings of a trajectory, per format, with gptme-sessions' keys. Each
//! function gives the `usage` / `timings` object, empty when the log has none.

use super::common::{as_float, as_int, get, get_or_empty, get_str, py_round};
use crate::records::pyjson::PyValue;

type Dict = Vec<(String, PyValue)>;

fn put(d: &mut Dict, k: &str, v: PyValue) {
    d.push((k.to_string(), v));
}

fn int(i: i128) -> PyValue {
    PyValue::Int(i)
}

fn opt_int(i: Option<i128>) -> PyValue {
    i.map_or(PyValue::Null, PyValue::Int)
}

/// Length in UTF-8 bytes of `json.dumps(v, ensure_ascii=False)`.
pub(super) fn dumps_len(v: &PyValue) -> usize {
    match v {
        PyValue::Null => 4,
        PyValue::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        PyValue::Int(_) | PyValue::Float(_) => PyValue::dumps(v).len(),
        PyValue::Str(s) => {
            2 + s
                .chars()
                .map(|c| match c {
                    '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                    c if (c as u32) < 0x20 => 6,
                    c => c.len_utf8(),
                })
                .sum::<usize>()
        }
        PyValue::List(l) => {
            2 + l.iter().map(dumps_len).sum::<usize>() + 2 * l.len().saturating_sub(1)
        }
        PyValue::Dict(d) => {
            2 + d
                .iter()
                .map(|(k, v)| dumps_len(&PyValue::Str(k.clone())) + 2 + dumps_len(v))
                .sum::<usize>()
                + 2 * d.len().saturating_sub(1)
        }
    }
}

/// `_message_content_bytes` of a gptme message.
fn message_bytes(msg: &PyValue) -> usize {
    match get(msg, "content") {
        None => 0,
        Some(PyValue::List(blocks)) => blocks.iter().map(dumps_len).sum(),
        Some(PyValue::Str(s)) => s.len(),
        Some(v) => v.py_str().len(),
    }
}

/// `_content_bytes` of a Copilot payload.
fn content_bytes(v: Option<&PyValue>) -> usize {
    match v {
        None | Some(PyValue::Null) => 0,
        Some(PyValue::Str(s)) => s.len(),
        Some(PyValue::List(l)) => l.iter().map(|x| content_bytes(Some(x))).sum(),
        Some(other) => dumps_len(other),
    }
}

/// (system prompt, first turn, context peak, session total) bytes, each `None` at 0,
/// from (role, bytes) in order.
fn byte_summary(msgs: &[(&str, usize)]) -> [Option<i128>; 4] {
    let mut sys = 0usize;
    for (role, b) in msgs {
        if *role == "user" {
            break;
        }
        if *role == "system" {
            sys += b;
        }
    }
    let mut first = 0usize;
    for (role, b) in msgs {
        if *role == "assistant" {
            break;
        }
        first += b;
    }
    let (mut peak, mut cum) = (0usize, 0usize);
    for (role, b) in msgs {
        cum += b;
        if *role == "assistant" {
            peak = peak.max(cum - b);
        }
    }
    let total: usize = msgs.iter().map(|(_, b)| b).sum();
    [sys, first, peak, total].map(|x| (x > 0).then_some(x as i128))
}

pub(super) fn gptme(msgs: &[PyValue]) -> Dict {
    let mut roles: Vec<(&str, usize)> = Vec::new();
    for m in msgs {
        match get(m, "role") {
            None | Some(PyValue::Null) => {}
            Some(PyValue::Str(r)) => roles.push((r.as_str(), message_bytes(m))),
            // A role that is not a string counts as neither user, system nor assistant.
            Some(_) => roles.push(("", message_bytes(m))),
        }
    }
    let bytes = byte_summary(&roles);

    let (mut input, mut output, mut cache_read, mut cache_create) = (0i128, 0i128, 0i128, 0i128);
    let mut cost = 0.0f64;
    let mut model: Option<PyValue> = None;
    let mut sys_tokens: Option<i128> = None;
    let mut peak_tokens: Option<i128> = None;
    for m in msgs {
        if get_str(m, "role") != "assistant" {
            continue;
        }
        let meta = get_or_empty(m, "metadata");
        if !meta.truthy() || !meta.is_dict() {
            continue;
        }
        match get(meta, "model").filter(|v| v.truthy()) {
            Some(v) => model = Some(v.clone()),
            None => {
                if let Some(v) = get(m, "model").filter(|v| v.truthy()) {
                    model = Some(v.clone());
                }
            }
        }
        let usage = match get(meta, "usage") {
            Some(u) if u.truthy() => u,
            _ => meta,
        };
        let n = |k: &str| as_int(get(usage, k)).unwrap_or(0);
        let (ti, to, tr, tc) = (
            n("input_tokens"),
            n("output_tokens"),
            n("cache_read_tokens"),
            n("cache_creation_tokens"),
        );
        let ctx = ti + tr + tc;
        input += ti;
        output += to;
        cache_read += tr;
        cache_create += tc;
        if sys_tokens.is_none() && ctx > 0 {
            sys_tokens = Some(ctx);
        }
        peak_tokens = Some(peak_tokens.map_or(ctx, |p| p.max(ctx)));
        if let Some(c) = get(meta, "cost").and_then(as_float) {
            cost += c;
        }
    }
    let total = input + output + cache_read + cache_create;
    if total == 0 && cost == 0.0 && bytes.iter().all(Option::is_none) {
        return Vec::new();
    }
    let mut d = Dict::new();
    put(&mut d, "model", model.unwrap_or(PyValue::Null));
    put(&mut d, "input_tokens", int(input));
    put(&mut d, "output_tokens", int(output));
    put(&mut d, "cache_read_tokens", int(cache_read));
    put(&mut d, "cache_creation_tokens", int(cache_create));
    put(&mut d, "cost", PyValue::Float(cost));
    put(&mut d, "total_tokens", int(total));
    put(&mut d, "sys_prompt_tokens", opt_int(sys_tokens));
    put(&mut d, "context_peak_tokens", opt_int(peak_tokens));
    for (k, v) in BYTE_KEYS.iter().zip(bytes) {
        put(&mut d, k, opt_int(v));
    }
    d
}

const BYTE_KEYS: [&str; 4] = [
    "sys_prompt_bytes",
    "first_turn_bytes",
    "context_peak_bytes",
    "session_total_bytes",
];

/// gptme's `metadata.timings` of assistant messages, summed and averaged.
pub(super) fn timings(msgs: &[PyValue]) -> Dict {
    let mut ttft: Vec<f64> = Vec::new();
    let (mut gen, mut tool) = (0.0f64, 0.0f64);
    for m in msgs {
        if get_str(m, "role") != "assistant" {
            continue;
        }
        let meta = get_or_empty(m, "metadata");
        let t = match get(meta, "timings") {
            Some(t) if t.truthy() && t.is_dict() => t,
            _ => continue,
        };
        let num = |k: &str| {
            get(t, k)
                .filter(|v| **v != PyValue::Null)
                .and_then(as_float)
        };
        if let Some(v) = num("ttft_ms") {
            ttft.push(v);
        }
        if let Some(v) = num("gen_ms") {
            gen += v;
        }
        if let Some(v) = num("tool_ms") {
            tool += v;
        }
    }
    if ttft.is_empty() && gen == 0.0 && tool == 0.0 {
        return Vec::new();
    }
    let mut d = Dict::new();
    put(&mut d, "timed_turns", int(ttft.len() as i128));
    if !ttft.is_empty() {
        let n = ttft.len();
        let avg = ttft.iter().sum::<f64>() / n as f64;
        put(&mut d, "ttft_ms_avg", PyValue::Float(py_round(avg, 1)));
        let mut sorted = ttft.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = n / 2;
        let p50 = if n % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        put(&mut d, "ttft_ms_p50", PyValue::Float(py_round(p50, 1)));
    }
    if gen > 0.0 {
        put(&mut d, "gen_ms_total", PyValue::Float(py_round(gen, 1)));
    }
    if tool > 0.0 {
        put(&mut d, "tool_ms_total", PyValue::Float(py_round(tool, 1)));
    }
    d
}

pub(super) fn claude_code(msgs: &[PyValue]) -> Dict {
    let (mut input, mut output, mut create, mut read) = (0i128, 0i128, 0i128, 0i128);
    let mut model: Option<PyValue> = None;
    let mut sys_tokens: Option<i128> = None;
    let mut peak: Option<i128> = None;
    let mut result: Option<[Option<i128>; 4]> = None;
    const KEYS: [&str; 4] = [
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ];
    for r in msgs {
        match get_str(r, "type") {
            "assistant" => {
                let msg = match get(r, "message") {
                    Some(m) => m,
                    None => &PyValue::Null,
                };
                let usage = get_or_empty(msg, "usage");
                let [ti, to, tc, tr] = KEYS.map(|k| as_int(get(usage, k)).unwrap_or(0));
                let ctx = ti + tc + tr;
                input += ti;
                output += to;
                create += tc;
                read += tr;
                if usage.truthy() {
                    if sys_tokens.is_none() {
                        sys_tokens = Some(ctx);
                    }
                    peak = Some(peak.map_or(ctx, |p| p.max(ctx)));
                }
                if let Some(m) = get(msg, "model").filter(|v| v.truthy()) {
                    model = Some(m.clone());
                }
            }
            "result" => {
                let u = get_or_empty(r, "usage");
                if u.truthy() {
                    let acc = result.get_or_insert([None; 4]);
                    for (i, k) in KEYS.iter().enumerate() {
                        if let Some(v) = as_int(get(u, k)) {
                            acc[i] = Some(acc[i].unwrap_or(0) + v);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // A result record's totals win, field by field (a zero falls back too).
    if let Some(res) = result.filter(|r| r.iter().any(Option::is_some)) {
        let pick = |v: Option<i128>, fallback: i128| v.filter(|x| *x != 0).unwrap_or(fallback);
        input = pick(res[0], input);
        output = pick(res[1], output);
        create = pick(res[2], create);
        read = pick(res[3], read);
    }
    let total = input + output + create + read;
    if total == 0 && model.is_none() {
        return Vec::new();
    }
    let mut d = Dict::new();
    put(&mut d, "model", model.unwrap_or(PyValue::Null));
    put(&mut d, "input_tokens", int(input));
    put(&mut d, "output_tokens", int(output));
    put(&mut d, "cache_creation_tokens", int(create));
    put(&mut d, "cache_read_tokens", int(read));
    put(&mut d, "total_tokens", int(total));
    put(&mut d, "sys_prompt_tokens", opt_int(sys_tokens));
    put(&mut d, "context_peak_tokens", opt_int(peak));
    d
}

pub(super) fn codex(msgs: &[PyValue]) -> Dict {
    let mut model: Option<PyValue> = None;
    let mut primary: Option<PyValue> = None;
    let mut secondary: Option<PyValue> = None;
    let mut sys_tokens: Option<i128> = None;
    let mut peak: Option<i128> = None;
    let mut window: Option<i128> = None;
    let mut final_total: Option<&PyValue> = None;
    for r in msgs {
        match get_str(r, "type") {
            "turn_context" => {
                if let Some(m) = get(get_or_empty(r, "payload"), "model").filter(|v| v.truthy()) {
                    model = Some(m.clone());
                }
            }
            "event_msg" => {
                let p = get_or_empty(r, "payload");
                if get_str(p, "type") == "token_count" {
                    let info = get_or_empty(p, "info");
                    if info.is_dict() {
                        if let Some(last) = get(info, "last_token_usage").filter(|v| v.is_dict()) {
                            if let Some(ti) = as_int(get(last, "input_tokens")) {
                                sys_tokens.get_or_insert(ti);
                                peak = Some(peak.map_or(ti, |p| p.max(ti)));
                            }
                        }
                        if let Some(t) = get(info, "total_token_usage").filter(|v| v.is_dict()) {
                            final_total = Some(t);
                        }
                        if let Some(w) =
                            as_int(get(info, "model_context_window")).filter(|w| *w != 0)
                        {
                            window = Some(w);
                        }
                    }
                    let rl = get_or_empty(p, "rate_limits");
                    let pct = |k: &str| {
                        get(get_or_empty(rl, k), "used_percent")
                            .filter(|v| **v != PyValue::Null)
                            .cloned()
                    };
                    if let Some(v) = pct("primary") {
                        primary = Some(v);
                    }
                    if let Some(v) = pct("secondary") {
                        secondary = Some(v);
                    }
                }
            }
            _ => {}
        }
    }
    if model.is_none()
        && primary.is_none()
        && secondary.is_none()
        && final_total.is_none()
        && peak.is_none()
    {
        return Vec::new();
    }
    let mut d = Dict::new();
    if let Some(m) = model {
        put(&mut d, "model", m);
    }
    if let Some(v) = primary {
        put(&mut d, "rate_limit_primary_pct", v);
    }
    if let Some(v) = secondary {
        put(&mut d, "rate_limit_secondary_pct", v);
    }
    if let Some(t) = final_total {
        for (from, to) in [
            ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"),
            ("cached_input_tokens", "cache_read_tokens"),
            ("total_tokens", "total_tokens"),
        ] {
            if let Some(v) = as_int(get(t, from)) {
                put(&mut d, to, int(v));
            }
        }
    }
    if let Some(v) = sys_tokens {
        put(&mut d, "sys_prompt_tokens", int(v));
    }
    if let Some(v) = peak {
        put(&mut d, "context_peak_tokens", int(v));
    }
    if let Some(v) = window {
        put(&mut d, "context_window", int(v));
    }
    d
}

pub(super) fn copilot(msgs: &[PyValue]) -> Dict {
    let mut model: Option<PyValue> = None;
    let mut flow: Vec<(&str, usize)> = Vec::new();
    let mut out_tokens = 0i128;
    for r in msgs {
        let t = get_str(r, "type");
        let data = get_or_empty(r, "data");
        if !data.is_dict() {
            continue;
        }
        if t == "session.model_change" {
            if let Some(m) = get(data, "newModel").filter(|v| v.truthy()) {
                model = Some(m.clone());
            }
        } else if t == "session.start" && model.is_none() {
            if let Some(m) = get(data, "selectedModel").filter(|v| v.truthy()) {
                model = Some(m.clone());
            }
        }
        let content_or_text = || match get(data, "content") {
            None | Some(PyValue::Null) => get(data, "text"),
            c => c,
        };
        match t {
            "system.message" => flow.push(("system", content_bytes(get(data, "content")))),
            "user.message" => flow.push(("user", content_bytes(content_or_text()))),
            "assistant.message" => {
                flow.push((
                    "assistant",
                    content_bytes(content_or_text()) + content_bytes(get(data, "toolRequests")),
                ));
                match get(data, "outputTokens") {
                    Some(PyValue::Int(n)) if *n > 0 => out_tokens += n,
                    Some(PyValue::Bool(true)) => out_tokens += 1,
                    _ => {}
                }
            }
            "tool.execution_complete" => {
                let payload = match get(data, "result") {
                    None | Some(PyValue::Null) => get(data, "error"),
                    p => p,
                };
                flow.push(("tool", content_bytes(payload)));
            }
            _ => {}
        }
    }
    let bytes = if flow.is_empty() {
        [None; 4]
    } else {
        byte_summary(&flow)
    };
    if model.is_none() && bytes.iter().all(Option::is_none) && out_tokens == 0 {
        return Vec::new();
    }
    let mut d = Dict::new();
    if let Some(m) = model {
        put(&mut d, "model", m);
    }
    for (k, v) in BYTE_KEYS.iter().zip(bytes) {
        if let Some(v) = v {
            put(&mut d, k, int(v));
        }
    }
    if out_tokens > 0 {
        put(&mut d, "output_tokens", int(out_tokens));
    }
    d
}

pub(super) fn grok(msgs: &[PyValue]) -> Dict {
    for r in msgs.iter().rev() {
        if get_str(r, "type") != "end" {
            continue;
        }
        let u = get_or_empty(r, "usage");
        if !u.truthy() {
            continue;
        }
        let mut d = Dict::new();
        for (from, to) in [
            ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"),
            ("cache_read_input_tokens", "cache_read_input_tokens"),
        ] {
            if let Some(PyValue::Int(n)) = get(u, from) {
                if *n > 0 {
                    put(&mut d, to, int(*n));
                }
            }
        }
        let first_model = match get_or_empty(r, "modelUsage") {
            PyValue::Dict(items) => items.first().map(|(k, _)| PyValue::Str(k.clone())),
            PyValue::List(items) => items.first().cloned(),
            _ => None,
        };
        if let Some(m) = first_model.filter(|m| m.truthy()) {
            put(&mut d, "model", m);
        }
        return d;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_len_counts_python_unicode_json() {
        let v = PyValue::parse(r#"{"a": [1, "é\n", null, true, 1.5]}"#).unwrap();
        // {"a": [1, "é\n", null, true, 1.5]} with é as 2 bytes and \n escaped.
        assert_eq!(dumps_len(&v), r#"{"a": [1, "é\n", null, true, 1.5]}"#.len());
    }

    #[test]
    fn byte_summary_follows_roles() {
        let b = byte_summary(&[
            ("system", 10),
            ("user", 5),
            ("assistant", 7),
            ("system", 3),
            ("assistant", 2),
        ]);
        assert_eq!(b, [Some(10), Some(15), Some(25), Some(27)]);
    }
}
