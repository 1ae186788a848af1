"""Peak resident memory of `escapade reproduce`: the whole process tree, sampled.

Runs ``escapade reproduce --out DIR`` (full settings unless ``--fast``) as a subprocess and
samples every ``--interval`` seconds the resident set size (RSS) of it and all its
descendants (client, dask scheduler, nannies, workers). Reports the peak of the sum over
the tree, the peak of each process, and the wall time; the stage lines the run logs to
stderr are kept (``--log``) so that a peak can be matched with a stage by its time stamp.

The sum of RSS counts pages shared between processes (the Python interpreter, the
libraries mapped by every process) once per process, so it is an upper bound of what the
run takes from the machine; that is the figure to compare with a laptop's memory.

Usage: python benchmarks/bench_memory.py [--out DIR] [--fast] [--log FILE] [--trace CSV]
    [--label TEXT] [--record]

With ``--record`` the run is written as a row of the "escapade reproduce: peak memory"
section of results.md (rows of other labels are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
from _util import RESULTS, record

SECTION = "escapade reproduce: peak memory (bench_memory.py)"
HEADER = (
    "| code | run | peak RSS, whole tree [MB] | peak RSS per process [MB] | wall time [min] "
    "| load average (1 min) before, at the end |\n|---|---|---|---|---|---|"
)


def _role(proc: psutil.Process, root: psutil.Process) -> str:
    """A short name of a process of the tree: client, scheduler/nanny, worker or other."""
    if proc.pid == root.pid:
        return "client"
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    if "spawn_main" in cmd or "multiprocessing" in cmd:
        return "worker"
    if "resource_tracker" in cmd:
        return "tracker"
    return "other"


def sample_tree(root: psutil.Process) -> dict[int, tuple[str, float]]:
    """RSS in MB of ``root`` and every descendant, by pid, with the process's role."""
    out: dict[int, tuple[str, float]] = {}
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return out
    for proc in procs:
        try:
            out[proc.pid] = (_role(proc, root), proc.memory_info().rss / 2**20)
        except psutil.Error:
            continue
    return out


def run(cmd: list[str], interval: float, log: Path | None, trace: Path | None) -> dict:
    """Run ``cmd``, sampling its process tree; the peaks, the wall time and the load."""
    load0 = os.getloadavg()[0]
    stderr = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stderr=stderr)
    root = psutil.Process(child.pid)
    peak_total, t_peak, at_peak = 0.0, 0.0, {}
    peak_by_pid: dict[int, tuple[str, float]] = {}
    rows = []
    while child.poll() is None:
        now = time.perf_counter() - t0
        tree = sample_tree(root)
        total = sum(mb for _, mb in tree.values())
        rows.append((now, total, max((mb for _, mb in tree.values()), default=0.0), len(tree)))
        if total > peak_total:
            peak_total, t_peak, at_peak = total, now, dict(tree)
        for pid, (role, mb) in tree.items():
            if mb > peak_by_pid.get(pid, ("", 0.0))[1]:
                peak_by_pid[pid] = (role, mb)
        time.sleep(interval)
    wall = time.perf_counter() - t0
    if log:
        stderr.close()
    if child.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed with exit status {child.returncode}")
    if trace:
        trace.write_text(
            "t_s,total_rss_mb,largest_process_mb,n_processes\n"
            + "".join(f"{t:.1f},{a:.0f},{b:.0f},{n}\n" for t, a, b, n in rows)
        )
    peaks: dict[str, list[float]] = {}
    for role, mb in peak_by_pid.values():
        peaks.setdefault(role, []).append(mb)
    return {
        "peak_total_mb": peak_total,
        "t_peak_s": t_peak,
        "at_peak_mb": sorted(((r, round(mb)) for r, mb in at_peak.values()), key=str),
        "peak_by_role_mb": {r: sorted(round(v) for v in vs) for r, vs in peaks.items()},
        "wall_s": wall,
        "load_before": load0,
        "load_after": os.getloadavg()[0],
    }


def _rows_kept(label: str) -> list[str]:
    """Rows of results.md's section recorded under other labels."""
    if not RESULTS.exists():
        return []
    text = RESULTS.read_text()
    start = text.find(f"## {SECTION}")
    if start < 0:
        return []
    end = text.find("\n## ", start + 1)
    block = text[start : end if end > 0 else None]
    return [
        ln
        for ln in block.splitlines()
        if ln.startswith("| ") and not ln.startswith("| code") and f"| {label} |" not in ln
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results"), help="the run's folder")
    ap.add_argument("--fast", action="store_true", help="escapade reproduce --fast")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    ap.add_argument("--log", type=Path, help="write the run's stderr (stage lines) here")
    ap.add_argument("--trace", type=Path, help="write every sample here (CSV)")
    ap.add_argument("--label", default="this checkout", help="the code's name in the table")
    ap.add_argument("--record", action="store_true", help="write the row to results.md")
    args = ap.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)  # no checkpoints: measure the whole job
    cmd = ["escapade", "reproduce", "--out", str(args.out)] + (["--fast"] if args.fast else [])
    rec = run(cmd, args.interval, args.log, args.trace)
    print(json.dumps(rec), flush=True)
    if not args.record:
        return
    per = "; ".join(
        f"{role} {', '.join(map(str, v))}" for role, v in rec["peak_by_role_mb"].items()
    )
    row = (
        f"| {args.label} | `escapade reproduce{' --fast' if args.fast else ''}` "
        f"| {rec['peak_total_mb']:.0f} | {per} | {rec['wall_s'] / 60:.1f} "
        f"| {rec['load_before']:.2f}, {rec['load_after']:.2f} |"
    )
    record(SECTION, "\n".join([HEADER, *_rows_kept(args.label), row]))
    print(f"recorded in {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
