#!/usr/bin/env python3
"""Writes crates/core/src/records/classify_categories.json: gptme-sessions' default work
categories and their keyword lists (data, MIT-licensed, from gptme/gptme-contrib
packages/gptme-sessions/src/gptme_sessions/classification.py), which the keyword
classifier of `records classify` / `classify-stats` scores journal entries with.

Run with the venv make.sh uses:  .../gs-venv/bin/python make-categories.py
"""
import json
from dataclasses import asdict
from pathlib import Path

from gptme_sessions.classification import DEFAULT_CATEGORIES

out = Path(__file__).resolve().parents[3] / "crates/core/src/records/classify_categories.json"
out.write_text(json.dumps([asdict(c) for c in DEFAULT_CATEGORIES], indent=1, ensure_ascii=False) + "\n")
print(f"wrote {out}")
