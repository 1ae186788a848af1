"""Iterations of the 3D energy march per energy, by initial iterate and tolerance.

    python benchmarks/bench_march3d.py NXY NZ N_EKIN PARALLEL_RATIO MODE RTOL [FIELD]

MODE: ``galerkin`` (the march's own initial iterate, the Galerkin combination of the two
energies above), ``g1`` (of the energy above only), ``old`` (the density one energy above,
unscaled: the code before issue 17's change) or ``zero``. Prints the CG iterations per
energy (highest first), the AMG setups and the operator assemblies, and saves
``flux_local`` and the dipole amplitude (``anisotropy``) to
``march3d_{nxy}_{ratio}_{mode}_{rtol}.npy`` to compare observables between runs.
Recorded in benchmarks/results.md (3D energy march).
"""

import sys
import time

import numpy as np

import escapade.transport3d.march as mr
from escapade.config import validate_config
from escapade.model import build_model
from escapade.model.output3d import solution_dataset_3d


def main() -> None:
    nxy, nz, ne = (int(a) for a in sys.argv[1:4])
    ratio, mode, rtol = float(sys.argv[4]), sys.argv[5], float(sys.argv[6])
    field = sys.argv[7] if len(sys.argv) > 7 else "pshirkov2011_ass"
    cfg = {
        "transport": {"geometry": "3d"},
        "grid": {
            "nz": nz,
            "nxy": nxy,
            "n_ekin": ne,
            "ekin_min_gev_per_n": 10.0,
            "ekin_max_gev_per_n": 1e5,
        },
        "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}, "antiprotons": False},
        "diffusion": {"parallel_ratio": ratio},
        "field": {"model": field},
        "source": {"arms": "faucher_giguere_kaspi2006"},
    }
    solve = mr.solve_steady
    iterations = []

    def counted(*args, guesses=None, **kw):
        if mode == "old":
            kw["x0"], guesses = (guesses[-1] if guesses else None), None
        elif mode == "zero":
            guesses = None
        elif mode == "g1":
            guesses = guesses[-1:]
        res = solve(*args, guesses=guesses, **kw)
        iterations.append(res.iterations)
        return res

    mr.solve_steady = counted
    model = build_model(validate_config(cfg))
    model.solver.rtol = rtol  # [solver] rtol = 1e-10 (its default) would mean RTOL_3D
    t0 = time.time()
    results = model.solve_species()
    t1 = time.time()
    ds = solution_dataset_3d(model, results, t0)
    obs = np.concatenate([ds.flux_local.values.ravel(), ds.anisotropy.values.ravel()])
    np.save(f"march3d_{nxy}_{ratio:g}_{mode}_{rtol:g}.npy", obs)
    print(
        f"{mode} rtol {rtol:g}: solve {t1 - t0:.1f} s, iterations {iterations} "
        f"(total {sum(iterations)}), AMG setups {model.solver.stats.amg_setups}, "
        f"assemblies {ds.attrs['operator_assemblies']}"
    )


if __name__ == "__main__":
    main()
