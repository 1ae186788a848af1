"""Solver speed (issue 19): the nuclear network before and after, in the same run.

Times ``Model.solve`` of the letter preset (tau = 0.85, antiprotons on) for Z <= 14 on
81 x 81 x 64 and Z <= 28 on 81 x 161 x 64, each in a fresh process: the code of a baseline
commit (unpacked from git into a temporary folder) and this checkout, each with ``[solver]
threads`` = 1 and 2, alternating, best of N by wall time. Each process builds the model and
solves it twice: the first solve (cold: no factorisation kept) and the second (warm: what a
fit or a chain pays per evaluation). Records wall time, CPU time of the process and of its
forked workers, the peak RSS of the process and of its largest worker, the linear-algebra
counters, the peak proportional set size of all its processes (PSS: shared pages counted
once, sampled every 0.25 s from outside) and the largest relative change of the observables
against the baseline (nuclei: flux_local, B/C, anisotropy; antiprotons: flux_local), with the
load average before and after.
Usage: python benchmarks/bench_solver_speed.py [--repeat N] [--baseline REV] [--only 14|28]
[--title TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import record

REPO = Path(__file__).resolve().parents[1]
PRESET = REPO / "configs" / "letter_tau0.85.toml"
BASELINE = "22ad290"
"""The code before the forked march and the z-mirror solve (issue 19, session 26)."""
CASES = {14: (81, 81, 64), 28: (81, 161, 64)}

_CHILD = r"""
import json, resource, sys, time
import numpy as np
import escapade
z, nr, nz, ne, threads, out = {args!r}
upd = {{"species.z_max": z, "grid.nr": nr, "grid.nz": nz, "grid.n_ekin": ne,
        "solver.threads": threads}}
cfg = escapade.with_updates(escapade.load_config({preset!r}), upd)
model = escapade.Model.from_config(cfg)
rec = {{}}
for run in ("cold", "warm"):
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    w, c = time.perf_counter(), time.process_time()
    ds = model.solve()
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (now.ru_utime + now.ru_stime) - (kids.ru_utime + kids.ru_stime)
    rec[run] = {{"wall": wall, "cpu": cpu, "lu": int(ds.attrs["solver_factorizations"]),
                "cg": int(ds.attrs["solver_cg_solves"])}}
names = [str(s) for s in ds.species.values]
flux = ds.flux_local.values
boron = sum(flux[names.index(n)] for n in ("10B", "11B") if n in names)
carbon = sum(flux[names.index(n)] for n in ("12C", "13C", "14C") if n in names)
np.savez(out, flux=flux, bc=boron / carbon, aniso=ds.anisotropy.values, names=names)
rec["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rec["rss_workers"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(rec))
"""


def _pss_mb(pid: int) -> float:
    """Proportional set size (MB) of process ``pid`` and its children: shared pages (the
    forked workers' copy-on-write pages, the densities in shared memory) counted once
    (Linux ``/proc/PID/smaps_rollup``; 0 where it cannot be read)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _run(src: Path, z: int, threads: int, out: Path) -> dict:
    """One fresh process; its peak PSS sampled from here every 0.25 s (a sampler inside the
    child would take its GIL and a core's share: 3.7 s of CPU in a 16 s solve)."""
    nr, nz, ne = CASES[z]
    code = _CHILD.format(args=(z, nr, nz, ne, threads, str(out)), preset=str(PRESET))
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    )
    pss = 0.0
    while proc.poll() is None:
        pss = max(pss, _pss_mb(proc.pid))
        time.sleep(0.25)
    stdout = proc.stdout.read()
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, "bench child")
    rec = json.loads(stdout.strip().splitlines()[-1])
    rec["pss"] = pss
    return rec


def _max_change(a: Path, b: Path) -> tuple[float, float]:
    """Largest relative change of the nuclei's observables (flux_local, B/C, anisotropy)
    and of the antiprotons' flux between two runs (species matched by name)."""
    import numpy as np

    x, y = np.load(a), np.load(b)
    nx, ny = list(x["names"]), list(y["names"])
    nuclei = [n for n in nx if n != "pbar" and n in ny]
    ix, iy = [nx.index(n) for n in nuclei], [ny.index(n) for n in nuclei]

    def worst(u, v) -> float:
        keep = np.abs(u) > 1e-12 * np.abs(u).max()  # below: zeros of the empty energies
        return float(np.max(np.abs(v - u)[keep] / np.abs(u)[keep]))

    nuc = max(worst(x["flux"][ix], y["flux"][iy]), worst(x["bc"], y["bc"]),
              worst(x["aniso"][ix], y["aniso"][iy]))  # fmt: skip
    pbar = worst(x["flux"][nx.index("pbar")], y["flux"][ny.index("pbar")]) if "pbar" in nx else 0
    return nuc, pbar


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--only", type=int, choices=sorted(CASES))
    ap.add_argument("--title", default="Solver speed: forked network march and z-mirror solve")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="escapade-bench-"))
    base_src = tmp / "baseline"
    base_src.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", args.baseline, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(base_src)], input=archive.stdout, check=True)
    variants = [
        (f"baseline {args.baseline}, threads = 1", base_src / "src", 1),
        (f"baseline {args.baseline}, threads = 2", base_src / "src", 2),
        ("this checkout, threads = 1", REPO / "src", 1),
        ("this checkout, threads = 2", REPO / "src", 2),
    ]
    load_before = os.getloadavg()
    rows = [
        "| Z_max | grid (R x z x E) | code | cold solve: wall / CPU [s] | warm solve: wall / "
        "CPU [s] | max RSS: process / largest worker [MB] | peak PSS, all processes [MB] "
        "| LU / CG solves (warm) "
        "| max rel. change: nuclei / pbar |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for z in [args.only] if args.only else sorted(CASES):
        best: dict[str, dict] = {}
        for i in range(args.repeat):  # alternating, so that load changes hit every variant
            for j, (label, src, threads) in enumerate(variants):
                rec = _run(src, z, threads, tmp / f"{z}-{j}-{i}.npz")
                rec["file"] = tmp / f"{z}-{j}-{i}.npz"
                print(z, label, json.dumps({k: v for k, v in rec.items() if k != "file"}))
                if label not in best or rec["warm"]["wall"] < best[label]["warm"]["wall"]:
                    best[label] = rec
        ref = best[variants[0][0]]["file"]
        nr, nz, ne = CASES[z]
        for label, _, _ in variants:
            rec = best[label]
            cold, warm = rec["cold"], rec["warm"]
            row = (
                f"| {z} | {nr} x {nz} x {ne} | {label} | {cold['wall']:.2f} / {cold['cpu']:.2f} "
                f"| {warm['wall']:.2f} / {warm['cpu']:.2f} | {rec['rss']:.0f} / "
                f"{rec['rss_workers']:.0f} | {rec['pss']:.0f} "
                f"| {warm['lu']} / {warm['cg']} "
                "| {:.1e} / {:.1e} |".format(*_max_change(ref, rec["file"]))
            )
            print(row)
            rows.append(row)
    load_after = os.getloadavg()
    fmt = ", ".join
    note = (
        "\n\nLetter preset (tau = 0.85, antiprotons on), `Model.solve` after the model "
        f"build, twice per fresh process (cold, warm), the variants alternating, best of "
        f"{args.repeat} by warm wall time. CPU: the process and its forked workers. Baseline: "
        f"the code of commit {args.baseline}. Load average (1, 5, 15 min) before: "
        f"{fmt(f'{x:.1f}' for x in load_before)}, after: "
        f"{fmt(f'{x:.1f}' for x in load_after)} on {os.cpu_count()} cores."
    )
    record(
        f"{args.title} (bench_solver_speed.py)",
        "\n".join(rows) + note,
    )


if __name__ == "__main__":
    main()
