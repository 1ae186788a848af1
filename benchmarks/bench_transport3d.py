"""3D anisotropic transport: one energy's steady solve on 101 x 101 x 41 (and its memory).

R_max = 20 kpc, H = 4 kpc (dx = 0.4 kpc, dz = 0.2 kpc), 317,000 unknowns; a logarithmic
spiral field of pitch 12 degrees in the disc (zero on the axis), D_perp = 0.1 kpc^2/Myr
(3e28 cm^2/s), D_par = D_perp / ratio for ratio = D_perp / D_par = 1e-1, 1e-2, 1e-3, a
destruction rate 1e-3 /Myr, an exponential disc source. In a fresh process per ratio:
the two parts of the operator assembled (``assemble_parts``) and combined; the first
energy (AMG setup + CG) and a second one with the operator scaled by 0.9 and the
diagonal doubled (the hierarchy reused), both to a relative residual of 1e-10. Each row
gives the times, CG iterations, the peak memory traced by tracemalloc and the maximum RSS.

``--accuracy`` instead prints the accuracy tables of docs/transport3d.md (the numerical
leak of an azimuthal field vs resolution and scheme, the negativity of point sources).
Usage: python benchmarks/bench_transport3d.py [--accuracy]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _util import measure, record

SETUP = """
import numpy as np
from escapade.grid3d import Grid3D
from escapade.transport3d import AMGSolver, assemble_parts, combine, solve_steady
grid = Grid3D(20.0, 4.0, 101, 41)
x, y, z = grid.mesh()
r = np.hypot(x, y)
p = np.radians(12.0)
safe = np.where(r > 0, r, 1.0)
b = np.stack([(-y * np.cos(p) + x * np.sin(p)) / safe, (x * np.cos(p) + y * np.sin(p)) / safe,
              np.zeros_like(x)], axis=-1)
b[r == 0] = 0.0
vol = grid.cell_volume_kpc3
q = grid.to_unknowns(np.exp(-r / 3.0) * np.exp(-np.abs(z) / 0.1)) * vol
gamma = grid.to_unknowns(1e-3 * (np.abs(z) < 0.3) + 0.0 * z) * vol
"""

STMT = """
import time
t0 = time.perf_counter()
parts = assemble_parts(grid, 0.1, 0.1 / RATIO, b)
op = combine(parts)
t_asm = time.perf_counter() - t0
solver = AMGSolver(rtol=1e-10)
t0 = time.perf_counter()
first = solve_steady(grid, op.matrix, gamma, q, solver=solver)
t_first = time.perf_counter() - t0
t0 = time.perf_counter()
second = solve_steady(grid, combine(parts, 0.9, 0.9).matrix, 2 * gamma, q, solver=solver,
                      x0=first.u)
t_second = time.perf_counter() - t0
extra = dict(assembly=t_asm, first=t_first, setup=solver.stats.setup_seconds,
             it1=first.iterations, second=t_second, it2=second.iterations,
             setups=solver.stats.amg_setups, res=max(first.relative_residual,
             second.relative_residual), minmax=first.min_over_max, n=grid.n_unknowns,
             nnz=op.matrix.nnz)
"""


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timing() -> None:
    load_before = _load()
    rows = [
        "| D_perp/D_par | assembly [s] | 1st energy [s] (AMG setup) | CG its | 2nd energy, "
        "reused [s] | CG its | max rel. residual | min N / max N | peak traced [MB] "
        "| max RSS [MB] |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ratio in (1e-1, 1e-2, 1e-3):
        rec = measure(SETUP, f"RATIO = {ratio}\n" + STMT, repeat=1)
        print(rec, flush=True)
        rows.append(
            f"| {ratio:g} | {rec['assembly']:.1f} | {rec['first']:.1f} ({rec['setup']:.1f}) "
            f"| {rec['it1']} | {rec['second']:.1f} | {rec['it2']} | {rec['res']:.1e} "
            f"| {rec['minmax']:.1e} | {rec['peak_traced_mb']:.0f} | {rec['max_rss_mb']:.0f} |"
        )
    n, nnz = rec["n"], rec["nnz"]
    table = "\n".join(rows) + (
        f"\n\nGrid 101 x 101 x 41 (R_max = 20 kpc, H = 4 kpc): {n} unknowns, {nnz} non-zeros "
        "(27-point stencil). Log-spiral field (pitch 12 deg), D_perp = 0.1 kpc^2/Myr, "
        "Gamma = 1e-3/Myr in |z| < 0.3 kpc, exponential disc source; smoothed-aggregation "
        "AMG (pyamg) preconditioned CG to a relative residual of 1e-10; the second energy "
        "reuses the hierarchy with the operator scaled by 0.9 and starts from the first "
        "energy's density. One fresh process per row. Load average (uptime) before: "
        f"{load_before.split('load average:')[-1].strip()}; after: "
        f"{_load().split('load average:')[-1].strip()}, on 2 cores shared with other jobs."
    )
    print(table)
    record("3D anisotropic transport: one energy on 101 x 101 x 41 (bench_transport3d.py)", table)


def accuracy() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "transport3d"))
    from test_transport3d_leak import effective_perp_ratio

    ratios = (1e-1, 1e-2, 1e-3)
    print("| scheme, wall | nodes across | " + " | ".join(f"{r:g}" for r in ratios) + " |")
    for scheme, wall in (("symmetric", True), ("symmetric", False), ("monotone", True)):
        for n in (21, 41, 61):
            if scheme == "monotone" and n > 41:
                continue
            leak = effective_perp_ratio(n, ratios, scheme, wall)
            cells = " | ".join(f"{leak[r] - 1.0:+.2e}" for r in ratios)
            print(f"| {scheme}, wall={wall} | {n} | {cells} |", flush=True)


if __name__ == "__main__":
    accuracy() if "--accuracy" in sys.argv else timing()
