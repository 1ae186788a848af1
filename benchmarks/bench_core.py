"""Core-engine benchmark: the letter preset (1H + 4He, 64 energies) on three (R x z) grids.

Prints wall time and memory of ``escapade.solve`` and records them in results.md.
Usage: python benchmarks/bench_core.py [--only core|transport]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from _util import measure, record

PRESET = Path(__file__).resolve().parents[1] / "configs" / "letter_tau0.85.toml"
GRIDS = [(41, 81), (81, 161), (161, 321)]
PH = {"species.z_max": None, "species.propagate": ["1H", "4He"]}
"""The core benchmark propagates protons and helium only (the preset runs the network)."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("core", "transport"), help="run one of the two tables")
    only = ap.parse_args().only
    if only != "transport":
        core()
    if only != "core":
        transport_terms()


def core() -> None:
    rows = [
        "| grid (R x z x E) | unknowns per energy | solve [s] | first solve in a process [s] "
        "| peak traced memory [MB] | max RSS [MB] | LU factorisations / CG solves |",
        "|---|---|---|---|---|---|---|",
    ]
    for nr, nz in GRIDS:
        setup = (
            f"cfg = escapade.with_updates(escapade.load_config({str(PRESET)!r}), "
            f"{{'grid.nr': {nr}, 'grid.nz': {nz}, 'grid.n_ekin': 64, **{PH!r}}})"
        )
        # the first solve in a process also pays imports and table reads (what `escapade run`
        # sees); the second is the steady cost inside a scan or a fit
        stmt = (
            "import time; t = time.perf_counter(); ds = escapade.solve(cfg); "
            "cold = time.perf_counter() - t; t = time.perf_counter(); ds = escapade.solve(cfg); "
            "extra = {'cold': cold, 'warm': time.perf_counter() - t, "
            "'lu': int(ds.attrs['solver_factorizations']), 'cg': int(ds.attrs['solver_cg_solves'])}"
        )
        rec = measure(setup, stmt)
        row = (
            f"| {nr} x {nz} x 64 | {(nr - 1) * (nz - 2)} | {rec['warm']:.2f} | {rec['cold']:.2f} | "
            f"{rec['peak_traced_mb']:.0f} | {rec['max_rss_mb']:.0f} | {rec['lu']} / {rec['cg']} |"
        )
        print(row)
        rows.append(row)
    note = (
        "\n\nTarget: 81 x 161 x 64 under 3 s on 2 cores. Wall time of `escapade.solve`, best of 3 "
        "processes; the first solve in a process includes imports and table reads."
    )
    record("Core engine: letter preset, 1H + 4He (bench_core.py)", "\n".join(rows) + note)


def transport_terms() -> None:
    """The letter preset on 81 x 161 x 64 with reacceleration and/or a wind."""
    cases = [
        ("plain diffusion", {}),
        (
            "wind v0 = 10 km/s, dv/dz = 5 km/s/kpc",
            {"convection.v0_km_s": 10.0, "convection.dvdz_km_s_per_kpc": 5.0},
        ),
        ("reacceleration v_A = 20 km/s", {"reacceleration.v_alfven_km_s": 20.0}),
        ("both", {"reacceleration.v_alfven_km_s": 20.0, "convection.v0_km_s": 10.0}),
    ]
    rows = [
        "| case | solve [s] | ratio to plain | GMRES iterations | LU factorisations "
        "| max RSS [MB] |",
        "|---|---|---|---|---|---|",
    ]
    base = None
    for label, upd in cases:
        setup = (
            f"cfg = escapade.with_updates(escapade.load_config({str(PRESET)!r}), "
            f"{{**{upd!r}, **{PH!r}}})"
        )
        stmt = (
            "escapade.solve(escapade.with_updates(cfg, {'grid.nr': 21, 'grid.nz': 41})); "
            "import time; t = time.perf_counter(); ds = escapade.solve(cfg); "
            "extra = {'warm': time.perf_counter() - t, "
            "'it': int(ds.attrs['solver_krylov_iterations']), "
            "'lu': int(ds.attrs['solver_factorizations'])}"
        )
        rec = measure(setup, stmt, repeat=2)
        base = base or rec["warm"]
        row = (
            f"| {label} | {rec['warm']:.2f} | {rec['warm'] / base:.1f} | {rec['it']} | "
            f"{rec['lu']} | {rec['max_rss_mb']:.0f} |"
        )
        print(row)
        rows.append(row)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    note = (
        "\n\nTarget for reacceleration: within 3x of plain diffusion. The preset propagates "
        "1H and 4He and the antiprotons (three passes for the tertiaries), so each case is five "
        "solves. Reacceleration solves the coupled (R, z, E) system of each by GMRES with a "
        "symmetric block Gauss-Seidel preconditioner in energy built from LU factorisations "
        "of every third energy plane, shared by all species (factorised on all cores); "
        "one solve in a fresh process after a small warm-up solve, best of 2, cases run one "
        f"after the other in the same invocation. Load average at the end (1, 5, 15 min): {load} "
        "on 2 cores shared with other jobs, so compare the ratios rather than the seconds."
    )
    record(
        "Reacceleration and convection, 81 x 161 x 64, 1H + 4He (bench_core.py)",
        "\n".join(rows) + note,
    )


if __name__ == "__main__":
    main()
