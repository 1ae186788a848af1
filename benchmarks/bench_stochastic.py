"""Stochastic nearby sources (issue 18): 10,000 realisations x 32 energies, random population.

Default [stochastic] settings (supernova rate 1.9 per century, discrete region 1 kpc and
2 Myr), letter-like smooth model on a 41 x 81 x 32 grid from 10 GeV/n to 1 PeV/n, 1H + 4He.
Times the realisations (draws and Green's functions) locally and on LocalClusters of 1 and
2 worker processes (cluster already started and warmed by one small run), plus the region
mean and the outputs once. Target: <= 1 min on 2 cores.
Usage: python benchmarks/bench_stochastic.py
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

from _util import record

import escapade
from escapade.observables.stochastic.result import combine, run_realisations, stochastic_setup

N = 10_000


def main() -> None:
    cfg = escapade.validate_config(
        {
            "grid": {"nr": 41, "nz": 81, "n_ekin": 32, "ekin_min_gev_per_n": 10.0},
            "stochastic": {"enabled": True, "n_realisations": N},
        }
    )
    cfg = escapade.with_updates(cfg, {"grid.ekin_max_gev_per_n": 1e6})
    sol = escapade.Solution.compute(cfg)
    setup = stochastic_setup(sol)
    rows = []
    t, cpu = time.perf_counter(), time.process_time()
    dens, grad = run_realisations(setup)
    rows.append(("local, one process", time.perf_counter() - t))
    cpu = time.process_time() - cpu
    t = time.perf_counter()
    combine(setup, dens, grad)
    t_combine = time.perf_counter() - t
    import dask
    from distributed import Client, LocalCluster

    from escapade.cli.stochastic import LARGE_TRIM, TRIM

    small = replace(setup, settings=replace(setup.settings, n_realisations=64))
    for workers in (1, 2):
        with (
            dask.config.set({TRIM: LARGE_TRIM}),  # as `escapade stochastic --workers` does
            LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0") as lc,
        ):
            with Client(lc) as client:
                run_realisations(small, client=client)
                t = time.perf_counter()
                run_realisations(setup, client=client, chunk=250)
                rows.append((f"dask LocalCluster, {workers} worker(s)", time.perf_counter() - t))
    table = "| run | realisations | energies | wall [s] |\n|---|---|---|---|\n"
    table += "".join(f"| {name} | {N} | 32 | {wall:.1f} |\n" for name, wall in rows)
    table += (
        f"\nThe local run used {cpu:.1f} s of CPU. Region mean (quadrature) and outputs once: "
        f"{t_combine:.1f} s. Realisations are "
        "seeded per index (SeedSequence.spawn), so every row gives the same numbers. 2 shared "
        "cores: compare the rows of one run. Load average (1/5/15 min) at the end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + "."
    )
    record("Stochastic sources: 10,000 realisations x 32 energies (bench_stochastic.py)", table)
    print(table)


if __name__ == "__main__":
    main()
