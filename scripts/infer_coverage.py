"""Coverage of the posterior's intervals on synthetic data made by escapade itself.

For each of ``--sets`` seeds: the model at known parameters (D0, delta, phi) gives B/C and the
proton flux at the points of AMS-02 B/C and AMS-02 H with their errors, fluctuated by Gaussian
noise of those errors (:func:`escapade.inference.synthetic.synthetic_measurement`); the
posterior of (D0, delta, phi) is sampled on those data (``escapade.infer``, in this process)
and each parameter's 68 % and 95 % intervals are checked against the truth. Writes
``coverage.json`` (every data set's intervals) and ``coverage.md`` (the table) to ``--out``::

    OMP_NUM_THREADS=1 nice -n 5 python scripts/infer_coverage.py --out coverage/ > cov.log 2>&1

About 97 s of CPU per data set with the defaults (21 x 41 x 12, Z <= 8, 8 walkers x 40
steps: 328 evaluations), 32 min for the 20 (docs/inference.md, "Coverage on synthetic
data"). Seed ranges can run side by side (``--first-seed 11 --sets 10 --out cov11/``) and be
merged:
``python scripts/infer_coverage.py --merge cov1/ cov11/ --out coverage/``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import time
from pathlib import Path

import numpy as np

import escapade
from escapade.fit import load_measurement
from escapade.inference.posterior import forget_problems
from escapade.inference.synthetic import synthetic_measurement, write_csv

CONFIG = "configs/letter_tau0.85_fast.toml"
GRID = {
    "grid.nr": 21,
    "grid.nz": 41,
    "grid.n_ekin": 12,
    "species.z_max": 8,
    "species.antiprotons": False,
}
REAL = ("B/C:AMS-02", "H:AMS-02")
"""The tables whose points and errors the synthetic data copy."""
PHI_KEY = "modulation.phi_gv"
TRUE_PHI_GV = 0.7
PRIORS = {
    "diffusion.d0_cm2_s": "loguniform:2e27:2e29",
    "diffusion.delta": "uniform:0.2:1.0",
    PHI_KEY: "uniform:0:1.5",
}


def truth(cfg) -> dict[str, float]:
    """The true parameters: the config's D0 and delta, and TRUE_PHI_GV."""
    return {
        "diffusion.d0_cm2_s": float(cfg.diffusion.d0_cm2_s),
        "diffusion.delta": float(cfg.diffusion.delta),
        PHI_KEY: TRUE_PHI_GV,
    }


def one_set(seed: int, cfg, ds, out: Path, args) -> dict:
    """Synthetic data of ``seed``, their posterior, and whether the intervals hold the truth."""
    rng = np.random.default_rng(seed)
    folder = out / f"set{seed:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name in REAL:
        m = synthetic_measurement(ds, load_measurement(name), TRUE_PHI_GV, rng)
        stem = name.split(":")[0].replace("/", "")
        files.append(str(write_csv(m, folder / f"synthetic_{stem}.csv")))
    t0, c0 = time.perf_counter(), time.process_time()
    post = escapade.infer(
        cfg,
        data=files,
        free=list(PRIORS),
        priors=PRIORS,
        rmin_gv=args.rmin,
        walkers=args.walkers,
        steps=args.steps,
        burn=args.burn,
        seed=seed,
        ball=args.ball,
        draws=0,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    post.write(folder)
    forget_problems()  # this set's fit problem (model, cached solves), kept per process
    gc.collect()
    row = {"seed": seed, "wall_s": wall, "cpu_s": cpu, "parameters": {}}
    for key, true in truth(cfg).items():
        p = post.parameters[key]
        row["parameters"][key] = {
            **{k: p[k] for k in ("median", "lo68", "hi68", "lo95", "hi95", "std")},
            "truth": true,
            "in68": bool(p["lo68"] <= true <= p["hi68"]),
            "in95": bool(p["lo95"] <= true <= p["hi95"]),
        }
    d = post.diagnostics
    row["diagnostics"] = {k: d[k] for k in ("acceptance_fraction", "tau", "ess", "converged")}
    row["map_chi2"] = post.map_chi2
    row["ndof"] = post.ndof
    row["n_evaluations"] = post.n_evaluations
    return row


def table(rows: list[dict], keys: list[str]) -> list[str]:
    """The markdown table: per parameter, the fraction of sets whose intervals hold the truth,
    and the pulls (median - truth) / std over the sets (mean and standard deviation)."""
    n = len(rows)
    lines = [
        "| parameter | truth | in 68 % | fraction | in 95 % | fraction | pull mean | pull std |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in keys:
        ps = [r["parameters"][key] for r in rows]
        k68, k95 = sum(p["in68"] for p in ps), sum(p["in95"] for p in ps)
        pull = np.array([(p["median"] - p["truth"]) / p["std"] for p in ps])
        lines.append(
            f"| {key} | {ps[0]['truth']:.4g} | {k68}/{n} | {k68 / n:.2f} | {k95}/{n} | "
            f"{k95 / n:.2f} | {pull.mean():+.2f} | {pull.std(ddof=1) if n > 1 else 0:.2f} |"
        )
    for level in (0.68, 0.95):
        err = math.sqrt(level * (1 - level) / n)
        lines.append("")
        lines.append(f"Expected at {level:.0%}: {level:.2f} +- {err:.2f} (binomial, {n} sets).")
    return lines


def merge(folders: list[str], out: Path) -> None:
    """One coverage.json and coverage.md from the runs in ``folders`` (seed ranges run side
    by side); times are summed."""
    parts = [json.loads((Path(f) / "coverage.json").read_text()) for f in folders]
    rows = sorted((r for p in parts for r in p["sets"]), key=lambda r: r["seed"])
    summary = {**parts[0], "sets": rows, "merged_from": folders}
    for k in ("wall_s", "cpu_s"):
        summary[k] = sum(p[k] for p in parts)
    write(out, summary)


def write(out: Path, summary: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = table(summary["sets"], list(summary["priors"]))
    (out / "coverage.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "coverage.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="coverage", help="output folder")
    ap.add_argument("--sets", type=int, default=20, help="number of synthetic data sets")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--walkers", type=int, default=8)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--burn", type=int, default=10)
    ap.add_argument("--ball", type=float, default=1.0, help="starting ball in HESSE errors")
    ap.add_argument("--rmin", type=float, default=5.0, help="rigidity cut [GV]")
    ap.add_argument("--merge", nargs="+", metavar="DIR", help="only merge these runs' tables")
    args = ap.parse_args()
    out = Path(args.out)
    if args.merge:
        merge(args.merge, out)
        return
    out.mkdir(parents=True, exist_ok=True)

    cfg = escapade.with_updates(escapade.load_config(CONFIG), GRID)
    ds = escapade.solve(cfg)
    t0, c0 = time.perf_counter(), time.process_time()
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.sets):
        rows.append(one_set(seed, cfg, ds, out, args))
        r = rows[-1]
        flags = ", ".join(
            f"{k.split('.')[-1]} {'in' if v['in68'] else 'out'}68/{'in' if v['in95'] else 'out'}95"
            for k, v in r["parameters"].items()
        )
        chi2 = f"chi2 {r['map_chi2']:.1f}/{r['ndof']}"
        print(f"set {seed}: {r['wall_s']:.0f} s ({r['cpu_s']:.0f} s cpu), {chi2}: {flags}")
        summary = {
            "config": CONFIG,
            "grid": GRID,
            "real_tables": list(REAL),
            "priors": PRIORS,
            "settings": vars(args),
            "wall_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0,
            "sets": rows,
        }
        write(out, summary)
    print(f"wall {time.perf_counter() - t0:.0f} s, cpu {time.process_time() - c0:.0f} s")


if __name__ == "__main__":
    main()
