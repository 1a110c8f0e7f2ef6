#!/usr/bin/env python3
"""Generate a gptme-sessions store of N records (default 100k) for benchmarks.

Usage: python3 tests/bench/gen_records.py OUT_DIR [N]

Records look like the ones gptme-sessions writes: every SessionRecord field present
(mostly null, as `asdict` emits them), realistic models, harnesses, run types and
outcomes, timestamps spread over the last 60 days (so the default 30-day window of
`stats` selects about half), and a few unknown keys. Deterministic (fixed seed).
"""

import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

FIELDS = (
    "session_id timestamp start_time end_time session_name project harness model "
    "context_tier ab_group tier_version run_type trigger category recommended_category "
    "selector_mode cascade_intent outcome exit_code failure_reason error duration_seconds "
    "token_count input_tokens output_tokens cache_creation_tokens cache_read_tokens "
    "sys_prompt_tokens context_peak_tokens context_window sys_prompt_bytes first_turn_bytes "
    "context_peak_bytes session_total_bytes deliverables deliverable_details trajectory_path "
    "journal_path grades grade_reasons trajectory_grade llm_judge_score llm_judge_reason "
    "llm_judge_model smell_score harm_category dropout_selected dropout_reason dropout_depth "
    "span_aggregates summarizer_fired ttft_ms_avg ttft_ms_p50 gen_ms_total tool_ms_total"
).split()

MODELS = ["claude-opus-4-6", "claude-sonnet-4-5", "openrouter/anthropic/claude-haiku-4-5",
          "openai-subscription/gpt-5.4", "openrouter/z-ai/glm-5@z-ai", "gpt-4o", "claude-opus-4-7"]
HARNESSES = ["claude-code", "gptme", "codex", "copilot-cli"]
RUN_TYPES = ["autonomous", "manual", "monitoring", "1234", "autonomous-session-9"]
OUTCOMES = ["productive"] * 5 + ["noop"] * 3 + ["failed", "unknown", "violated_policy"]
CATEGORIES = ["code", "content", "triage", "infrastructure", None]


def main():
    out_dir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    rng = random.Random(42)
    now = datetime.now(timezone.utc)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "session-records.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            r = dict.fromkeys(FIELDS)
            ts = now - timedelta(seconds=rng.randrange(60 * 86400))
            dur = rng.choice([0, rng.randrange(1, 7200)])
            r.update(
                session_id=f"{rng.getrandbits(32):08x}",
                timestamp=ts.isoformat(),
                project=f"/home/u/work/project-{rng.randrange(12)}",
                harness=rng.choice(HARNESSES),
                model=rng.choice(MODELS),
                run_type=rng.choice(RUN_TYPES),
                category=rng.choice(CATEGORIES),
                outcome=rng.choice(OUTCOMES),
                duration_seconds=dur,
                token_count=rng.randrange(10_000, 2_000_000),
                deliverables=[f"{rng.getrandbits(28):07x}"] if rng.random() < 0.5 else [],
                deliverable_details=[],
                trajectory_path=f"/home/u/.claude/projects/p/{i:08d}.jsonl",
                grades={},
                grade_reasons={},
                notes="generated",
            )
            f.write(json.dumps(r) + "\n")
    print(f"{n} records, {os.path.getsize(path) / 1e6:.1f} MB in {path}")


if __name__ == "__main__":
    main()
