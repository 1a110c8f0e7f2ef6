#!/usr/bin/env python3
"""Lines per module, the largest files, and the import circles of a Rust crate.

    python3 scripts/module-graph.py crates/core/src [--depth 1] [--top 15]

A module is a folder or file directly under the crate root (`--depth 1`: `sessions`,
`agents`, `kill`), or one level deeper (`--depth 2`: `agents::claude`). An edge a -> b
means some non-test code in a names `crate::b` (in a `use` or a path) or `super::` of a
sibling. Circles are the strongly connected components with more than one module: the
goal is none. Code after the first `#[cfg(test)]` (or `#[cfg(all(test, ...))]`) of a
file, and files named `tests.rs`, are skipped, since tests may reach anywhere without
tying the modules together.

Why a script and not `cargo modules`: it needs no install and no build, so it can run
before and after a move on the same checkout.
"""

import argparse
import os
import re
import sys
from collections import defaultdict


def module_of(rel, depth):
    """`agents/claude/parser.rs` -> ('agents', 'claude') cut to `depth` parts."""
    parts = rel[:-3].split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts[:depth]) if parts else "(root)"


def strip_tests_and_comments(text):
    cut = re.search(r"#\[cfg\((?:all\()?test\b", text)
    if cut:
        text = text[: cut.start()]
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def expand_use_groups(text):
    """`crate::{a::x, b}` -> `crate::a::x crate::b` (one level of braces is enough
    to find the modules named; nested groups keep their first segment)."""
    out = []
    for m in re.finditer(r"crate::\{([^}]*)\}", text):
        for item in m.group(1).split(","):
            item = item.strip().lstrip("{")
            if item:
                out.append("crate::" + item)
    return out


def references(text, own_parts):
    refs = re.findall(r"crate::((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text)
    refs += [r[len("crate::"):] for r in expand_use_groups(text)]
    # super:: from a file resolves against its parent module.
    for m in re.finditer(r"\bsuper::((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)", text):
        refs.append("::".join(own_parts[:-1] + [m.group(1)]))
    return [r.replace(" ", "") for r in refs]


def tarjan(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()

    files = []
    for dirpath, _, names in os.walk(args.root):
        for n in names:
            if n.endswith(".rs"):
                full = os.path.join(dirpath, n)
                files.append(os.path.relpath(full, args.root).replace(os.sep, "/"))
    files.sort()

    lines_per_module = defaultdict(int)
    modules = set()
    graph = defaultdict(set)
    file_lines = []
    for rel in files:
        with open(os.path.join(args.root, rel), encoding="utf-8") as f:
            text = f.read()
        n = text.count("\n")
        mod = module_of(rel, args.depth)
        lines_per_module[mod] += n
        modules.add(mod)
        file_lines.append((n, rel))
    for rel in files:
        if rel.endswith("/tests.rs"):
            continue
        with open(os.path.join(args.root, rel), encoding="utf-8") as f:
            text = strip_tests_and_comments(f.read())
        mod = module_of(rel, args.depth)
        own = rel[:-3].split("/")
        if own[-1] in ("mod", "lib", "main"):
            own = own[:-1]
        for ref in references(text, own):
            parts = ref.split("::")
            target = None
            for k in range(min(args.depth, len(parts)), 0, -1):
                cand = "::".join(parts[:k])
                if cand in modules:
                    target = cand
                    break
            if target and target != mod and not mod.startswith(target + "::") \
                    and not target.startswith(mod + "::"):
                graph[mod].add(target)
        graph.setdefault(mod, set())

    print(f"# {args.root}: {len(files)} files, {sum(n for n, _ in file_lines)} lines")
    print(f"\n## lines per module (depth {args.depth})")
    for mod, n in sorted(lines_per_module.items(), key=lambda kv: -kv[1]):
        print(f"{n:7d}  {mod}")
    print(f"\n## largest files (top {args.top})")
    for n, rel in sorted(file_lines, reverse=True)[: args.top]:
        print(f"{n:7d}  {rel}")
    circles = [c for c in tarjan(graph) if len(c) > 1]
    print(f"\n## import circles: {len(circles)}")
    for comp in circles:
        inner = {m: sorted(graph[m] & set(comp)) for m in comp}
        print("  " + ", ".join(comp))
        for m in comp:
            print(f"      {m} -> {', '.join(inner[m])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
