"""Gamma-ray maps of a 3D solution: time and memory of one nside-64 map (issue 17).

    python benchmarks/bench_map3d.py [--nxy 61] [--nz 21] [--nside 64] [--gas analytic|survey3d]

Solves a 1H-only 3D model (``[transport] geometry = "3d"``, R_max = 20 kpc, H = 4 kpc,
``nxy`` x ``nxy`` x ``nz`` nodes, 8 energies 1 GeV/n - 1 TeV/n) with its full density, then
makes ``escapade.skymap(sol, (2, 20), nside)`` twice through the chosen gas: the first call
builds the projection kernel of :mod:`escapade.sky.kernel3d` (the on-disk cache is switched
off), the second reuses it (a second band costs this much). Printed: the solve time, both
map times (wall and CPU), the kernel's size (non-zeros per pixel, MB), and the process's
peak RSS before and after the maps (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ["ESCAPADE_CACHE_DIR"] = ""  # a cold kernel build, nothing written


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--nxy", type=int, default=61)
    p.add_argument("--nz", type=int, default=21)
    p.add_argument("--nside", type=int, default=64)
    p.add_argument("--gas", choices=("analytic", "survey3d"), default="analytic")
    args = p.parse_args()

    import escapade
    from escapade.galaxy.gas3d import SurveyGas3D
    from escapade.sky import kernel3d

    cfg = escapade.validate_config(
        {
            "galaxy": {"r_max_kpc": 20.0, "halo_height_kpc": 4.0},
            "grid": {
                "nxy": args.nxy,
                "nz": args.nz,
                "n_ekin": 8,
                "ekin_min_gev_per_n": 1.0,
                "ekin_max_gev_per_n": 1e3,
            },
            "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}, "antiprotons": False},
            "transport": {"geometry": "3d"},
        }
    )
    t0 = time.perf_counter()
    sol = escapade.Solution.compute(cfg, full=True)
    t_solve = time.perf_counter() - t0
    gas = (
        SurveyGas3D(sun_r_kpc=8.5, r_max_kpc=20.0, z_max_kpc=4.0)
        if args.gas != "analytic"
        else None
    )
    before = _peak_mb()
    times, cpu = [], []
    for band in ((2.0, 20.0), (1.0, 2.0)):
        t0, c0 = time.perf_counter(), time.process_time()
        smap = escapade.skymap(sol, band, args.nside, gas=gas)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    kernel = next(iter(kernel3d._CACHE.values()))
    nnz = next(iter(kernel.matrices.values())).nnz
    print(
        f"grid {args.nxy} x {args.nxy} x {args.nz}, nside {args.nside}, gas {args.gas} "
        f"(kernel nside {kernel.nside}, {len(kernel.matrices)} phases)\n"
        f"solve {t_solve:.1f} s; first map (kernel built) {times[0]:.1f} s wall, {cpu[0]:.1f} s "
        f"CPU; second map {times[1]:.2f} s wall, {cpu[1]:.2f} s CPU\n"
        f"kernel: {nnz / kernel.matrices['HI'].shape[0]:.0f} non-zeros per pixel, "
        f"{kernel.nbytes / 1e6:.0f} MB; peak RSS {before:.0f} MB before the maps, "
        f"{_peak_mb():.0f} MB after; sky total {smap.sky_integral():.3e} ph cm^-2 s^-1; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
