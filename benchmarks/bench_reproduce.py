"""Wall time of `escapade reproduce`, fast and full, each in a fresh process.

Targets (issue 10): `--fast` under 2 minutes, the full run under 15 minutes on 2 cores.
The full run's output folder is kept (``--out``, default results/), so the same run
regenerates the README's opening: ``python scripts/update_readme.py --reproduce results/``.

Usage: python benchmarks/bench_reproduce.py [--out results/] [--skip-fast] [--skip-full]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _util import RESULTS, record

SECTION = "escapade reproduce (bench_reproduce.py)"


def _previous_row(prefix: str) -> str | None:
    """The row of a run recorded earlier (kept when that run is skipped)."""
    if not RESULTS.exists():
        return None
    text = RESULTS.read_text()
    start = text.find(f"## {SECTION}")
    if start < 0:
        return None
    end = text.find("\n## ", start + 1)
    block = text[start : end if end > 0 else None]
    return next((ln for ln in block.splitlines() if ln.startswith(prefix)), None)


def _load() -> str:
    try:
        return f"load average before the run {os.getloadavg()[0]:.2f}"
    except OSError:
        return "load average unknown"


def run(out: Path, fast: bool) -> dict:
    if out.exists():
        shutil.rmtree(out)  # no checkpoints: time the whole job
    load = _load()
    cmd = ["escapade", "reproduce", "--out", str(out)] + (["--fast"] if fast else [])
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    summary = json.loads((out / "summary.json").read_text())
    return dict(wall_s=wall, settings=summary["settings"], load=load)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results"), help="full run's folder")
    ap.add_argument("--skip-fast", action="store_true")
    ap.add_argument("--skip-full", action="store_true")
    args = ap.parse_args()
    rows = [
        "| run | resolution | wall time [min] | target [min] | conditions |",
        "|---|---|---|---|---|",
    ]
    fast_prefix, full_prefix = "| `escapade reproduce --fast` |", "| `escapade reproduce` |"
    if args.skip_fast and (row := _previous_row(fast_prefix)):
        rows.append(row)
    if not args.skip_fast:
        with tempfile.TemporaryDirectory() as tmp:
            rec = run(Path(tmp) / "fast", fast=True)
        print("fast", rec, flush=True)
        rows.append(
            f"| `escapade reproduce --fast` | {rec['settings']} | {rec['wall_s'] / 60:.1f} | 2 "
            f"| {rec['load']} |"
        )
    if args.skip_full and (row := _previous_row(full_prefix)):
        rows.append(row)
    if not args.skip_full:
        rec = run(args.out, fast=False)
        print("full", rec, flush=True)
        rows.append(
            f"| `escapade reproduce` | {rec['settings']} | {rec['wall_s'] / 60:.1f} | 15 "
            f"| {rec['load']} |"
        )
    note = (
        "Each run in a fresh process with an empty output folder (no checkpoints), on a local "
        "dask cluster of one single-threaded worker per core: 8 letter-era B/C fits (D0, phi) "
        "and 2 AMS-02-era fits (D0, delta, phi, break), each followed by the gamma-ray solve "
        "(1H, 4He, e-, e+ with the full density), a sky map and the Fermi-LAT comparison; then "
        "the figures and the report."
    )
    record(SECTION, "\n".join(rows) + "\n\n" + note)


if __name__ == "__main__":
    main()
