"""Helpers shared by the benchmark scripts: timing in a fresh process, recording results."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")

_CHILD = r"""
import json, resource, sys, time, tracemalloc
import escapade
setup = {setup!r}
exec(setup)
tracemalloc.start()
t0 = time.perf_counter()
exec({stmt!r})
wall = time.perf_counter() - t0
_, peak = tracemalloc.get_traced_memory()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
rec = {{"wall_s": wall, "peak_traced_mb": peak / 2**20, "max_rss_mb": rss}}
rec.update(globals().get("extra", {{}}))
print(json.dumps(rec))
"""


def measure(setup: str, stmt: str, repeat: int = 3) -> dict:
    """Run ``stmt`` after ``setup`` in fresh processes; best wall time, its memory figures.

    ``stmt`` may set a dict ``extra`` whose items are added to the record.
    """
    best = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD.format(setup=setup, stmt=stmt)],
            capture_output=True,
            text=True,
            check=True,
        )
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or rec["wall_s"] < best["wall_s"]:
            best = rec
    return best


def cold_warm(path, call: str, repeat: int = 3) -> dict:
    """Time ``call`` on a solution file twice in a fresh process: ``cold`` (first call,
    imports and caches included) and ``warm`` (the second), best of ``repeat`` processes."""
    setup = f"ds = escapade.open_solution({str(path)!r}).load()"
    stmt = (
        f"import time; t = time.perf_counter(); r = {call}; cold = time.perf_counter() - t; "
        f"t = time.perf_counter(); r = {call}; "
        "extra = {'cold': cold, 'warm': time.perf_counter() - t}"
    )
    return measure(setup, stmt, repeat=repeat)


def machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def record(section: str, table: str) -> None:
    """Replace (or append) ``## section`` in results.md with the given markdown body."""
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Benchmark results\n\nRecorded by the scripts in this folder; rerun to refresh.\n"
    )
    header = f"## {section}"
    body = f"{header}\n\n_{date.today().isoformat()}, {machine()}_\n\n{table.strip()}\n"
    if header in text:
        start = text.index(header)
        nxt = text.find("\n## ", start + len(header))
        text = text[:start] + body + ("\n" + text[nxt + 1 :] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(text)
