"""Fit speed: the letter's one-parameter D0 (+ phi) fit to B/C for one tau.

The fit of docs/fits.md (letter-era B/C: HEAO-3, PAMELA, CREAM above 5 GV; delta = 0.6 fixed;
D0 and phi free; tau = 0.85) on the letter's grid 81 x 161 x 64 with Z_max = 14, timed as
``escapade.fit.fit`` in a fresh process (model build, every solve, HESSE and the best-fit
solution included). For comparison, the same fit on 41 x 81 x 32 with both methods: the default
linearised one and MIGRAD on the exact model.
Target: under 2 minutes on 2 cores on 81 x 161 x 64.
Usage: python benchmarks/bench_fit.py [--repeat N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _util import measure, record

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "configs" / "letter_tau0.85.toml"
DATA = ["B/C:HEAO-3", "B/C:PAMELA", "B/C:CREAM"]

SETUP = """
import escapade
from escapade.fit import fit
cfg = escapade.with_updates(escapade.load_config({preset!r}), {updates!r})
"""
STMT = """
res = fit(cfg, data={data!r}, free=["diffusion.d0_cm2_s", "modulation.phi_gv"],
          fix={{"diffusion.delta": 0.6}}, method={method!r})
assert res.valid, res.message
extra = dict(solves=res.n_solves, chi2_evals=res.n_chi2, d0=res.values["diffusion.d0_cm2_s"],
             d0_err=res.errors["diffusion.d0_cm2_s"], chi2=res.chi2, ndof=res.ndof)
"""
CASES = [
    ("81 x 161 x 64", {"species.z_max": 14}, "linearised"),
    ("41 x 81 x 32", {"species.z_max": 14, "grid.nr": 41, "grid.nz": 81, "grid.n_ekin": 32},
     "linearised"),
    ("41 x 81 x 32", {"species.z_max": 14, "grid.nr": 41, "grid.nz": 81, "grid.n_ekin": 32},
     "migrad"),
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes per case (best kept)")
    args = ap.parse_args()
    rows = [
        "| grid (R x z x E), Z <= 14 | method | fit wall time [s] | solves | chi2 evaluations |"
        " per solve [s] | D0 [cm^2/s] | chi2 / ndof | max RSS [MB] |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for grid, updates, method in CASES:
        rec = measure(
            SETUP.format(preset=str(PRESET), updates=updates),
            STMT.format(data=DATA, method=method),
            repeat=args.repeat,
        )
        print(grid, method, rec, flush=True)
        rows.append(
            f"| {grid} | {method} | {rec['wall_s']:.1f} | {rec['solves']} | {rec['chi2_evals']} |"
            f" {rec['wall_s'] / rec['solves']:.1f} | {rec['d0']:.4g} +- {rec['d0_err']:.2g} |"
            f" {rec['chi2']:.1f} / {rec['ndof']} | {rec['max_rss_mb']:.0f} |"
        )
    note = (
        "The letter's fit for one tau (tau = 0.85): B/C of HEAO-3, PAMELA and CREAM above 5 GV, "
        "delta = 0.6 fixed, D0 and phi free (`escapade fit configs/letter_tau0.85.toml --fix "
        "species.z_max=14 --fix diffusion.delta=0.6 --data B/C:HEAO-3 --data B/C:PAMELA --data "
        "B/C:CREAM --free diffusion.d0_cm2_s,modulation.phi_gv`), timed in a fresh process: "
        "model build, every solve, HESSE and the best-fit solution. Target: under 2 minutes on 2 "
        "cores on 81 x 161 x 64. phi needs no solve (modulation acts on the output), so the "
        "solves are those of D0: the linearised method needs the start, one derivative and one "
        "or two steps; MIGRAD on the exact model needs a solve for nearly every chi2 "
        "evaluation. The per-solve time is the wall time over the solves (it includes the fixed "
        "costs); on this shared 2-core machine it depends on the load of the moment."
    )
    record("Fit: the letter's D0 + phi fit to B/C for one tau (bench_fit.py)", "\n".join(rows)
           + "\n\n" + note)  # fmt: skip


if __name__ == "__main__":
    main()
