"""Inference: the cost of one posterior evaluation, a baseline commit against this checkout.

The letter-era posterior of docs/inference.md (configs/letter_tau0.85_fast.toml on
41 x 41 x 20, nuclei up to Z = 8, B/C of HEAO-3, PAMELA and CREAM above 5 GV; D0, tau, phi and
parallel_ratio free) evaluated by hand, as a dask worker does: one process, ``[solver]
threads`` = 1, the fit problem built and solved once, then the log posterior at 40 points
near the posterior's centre (seeded), each one solve on the built model plus the chi2. Each
variant runs in a fresh process with ``PYTHONPATH`` on its code (the baseline unpacked from
git), the variants alternating; printed and recorded: wall and CPU seconds per evaluation,
and the chi2 of the first points (the same physics must give the same numbers).

Usage: python benchmarks/bench_posterior_eval.py [--baseline REV] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import record

REPO = Path(__file__).resolve().parents[1]
PRESET = REPO / "configs" / "letter_tau0.85_fast.toml"

_CHILD = r"""
import json, sys, time
import numpy as np
from escapade.inference import sampler as S
from escapade.inference.posterior import LogPosterior
rtol, preset = {args!r}
free = ["diffusion.d0_cm2_s", "diffusion.tau", "modulation.phi_gv", "diffusion.parallel_ratio"]
fix = {{"grid.nr": 41, "grid.nz": 41, "grid.n_ekin": 20, "species.z_max": 8,
        "solver.threads": 1, "solver.rtol": rtol}}
settings = dict(free=free, fix=fix, start={{}}, rmin_gv=5.0, rmax_gv=None, syst="quadrature",
                phi_gv=0.6)
data = ["B/C:HEAO-3", "B/C:PAMELA", "B/C:CREAM"]
bounds = {{"diffusion.tau": (0, 1), "modulation.phi_gv": (0, 1.5)}}
priors = {{"diffusion.parallel_ratio": "loguniform:0.1:1000"}}
cfg, meas, pb, pl = S._prepare(preset, data, settings, bounds, priors, 16, None)
post = LogPosterior(cfg, meas, settings, [p.name for p in pb.params], pl, pb)
rng = np.random.default_rng(0)
xs = [np.array([9.5e27 * (1 + 0.02 * rng.normal()), 0.78 + 0.05 * rng.normal(),
                1.0 + 0.1 * rng.normal(), 2.6 * np.exp(0.3 * rng.normal())]) for _ in range(41)]
post(xs[0])
w, c = time.perf_counter(), time.process_time()
chi2 = [post(x)[1] for x in xs[1:]]
n = len(xs) - 1
print(json.dumps({{"wall": (time.perf_counter() - w) / n, "cpu": (time.process_time() - c) / n,
                  "chi2": chi2[:3]}}))
"""


def _run(src: Path, rtol: float) -> dict:
    code = _CHILD.format(args=(rtol, str(PRESET)))
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="adcc820")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="escapade-bench-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", args.baseline, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
    variants = [
        (f"baseline {args.baseline}, rtol 1e-8", base / "src", 1e-8),
        ("this checkout, rtol 1e-8", REPO / "src", 1e-8),
        ("this checkout, rtol 1e-6", REPO / "src", 1e-6),
    ]
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in variants}
    for _ in range(args.repeat):
        for label, src, rtol in variants:
            rec = _run(src, rtol)
            print(label, json.dumps(rec))
            runs[label].append(rec)
    load_after = os.getloadavg()
    rows = [
        "| code | wall per evaluation: best / all [s] | CPU per evaluation, best [s] "
        "| chi2 of the first 3 points |",
        "|---|---|---|---|",
    ]
    for label, recs in runs.items():
        best = min(recs, key=lambda r: r["wall"])
        walls = ", ".join("{:.3f}".format(r["wall"]) for r in recs)
        chi2 = ", ".join(f"{c:.6f}" for c in best["chi2"])
        rows.append(f"| {label} | {best['wall']:.3f} / {walls} | {best['cpu']:.3f} | {chi2} |")
    fmt = ", ".join
    note = (
        f"\n\n40 evaluations per run after one to build the model, one process, one thread; the "
        f"variants alternating, {args.repeat} runs each. Load average (1, 5, 15 min) before: "
        f"{fmt(f'{x:.2f}' for x in load_before)}, after: {fmt(f'{x:.2f}' for x in load_after)} "
        f"on {os.cpu_count()} cores."
    )
    print("\n".join(rows) + note)
    record("Inference: one posterior evaluation, before and after (bench_posterior_eval.py)",
           "\n".join(rows) + note)  # fmt: skip


if __name__ == "__main__":
    main()
