"""3D transport: a full solve of the 3D preset through the public API (issue 17).

    python benchmarks/bench_full3d.py NXY NZ N_EKIN Z_MAX [--only 1H[,4He...]] [--threads N]
        [--json PATH]

Solves configs/letter_tau0.85_3d.toml with ``grid.nxy``, ``grid.nz``, ``grid.n_ekin``,
``species.z_max`` replaced (``--only 1H``: that species alone, abundance 1; ``--only 1H,4He``:
those species, with the preset's source abundances, no secondaries), ``solver.threads``
= N (default 1: one species after the other; N > 1: the forked pipeline of
:mod:`escapade.transport.pipeline`), by
``build_model`` + ``Model3D.solve`` in a fresh child process (the parent only starts it and
copies its output, so that a run stopped from outside keeps what it printed). Printed:

- before: the memory estimate of :mod:`escapade.transport3d.memory` and the unknowns;
- ``STEP`` one line per energy and species as it is solved (highest energy first): CG
  iterations, CG time (the solve, with the Galerkin initial iterate and any AMG setup),
  the AMG setup time within it, the operator's time (``op``: a full assembly ``A``, a
  partial update of the parallel part ``U`` or a rescaling ``S``), the relative residual
  and the process's resident memory then;
- ``RESULT``: model build, solve and total wall time, CPU time (with the forked workers'),
  peak RSS of the child and of its largest forked worker (``ru_maxrss``), AMG setups and
  their time, CG iterations, operator assemblies, the largest relative residual, min N /
  max N, and observables to compare runs: ``flux_local`` of 1H at 10 GeV/n and the dipole
  ``anisotropy`` of 1H and of all nuclei at 1 TeV/n (log-interpolated in energy).

The per-energy figures come from wrapping ``escapade.transport3d.march.solve_steady`` and
``OperatorCache.__call__`` with timers; the solver itself is unchanged. BLAS threads are
limited to 1 by the engine (``threadpool_limits(1)``). Recorded in benchmarks/results.md
("3D transport: full solves").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

PRESET = Path(__file__).resolve().parents[1] / "configs" / "letter_tau0.85_3d.toml"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _config(nxy: int, nz: int, ne: int, zmax: int, only: str | None, threads: int = 1):
    import escapade

    updates = {"grid.nxy": nxy, "grid.nz": nz, "grid.n_ekin": ne, "species.z_max": zmax,
               "solver.threads": threads}  # fmt: skip
    base = escapade.load_config(PRESET)
    if only:
        names = only.split(",")
        if len(names) == 1:
            abundances = {only: 1.0}
        else:
            from escapade.config.abundance_presets import preset

            table = preset(base.species.abundance_preset)
            abundances = {n: float(table[n]) for n in names}
        updates.update(
            {"species.z_max": None, "species.propagate": names, "species.abundances": abundances}
        )
    return escapade.with_updates(base, updates)


def _children_cpu(resource) -> float:
    """CPU seconds of the ended children of this process (the forked march workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def _interp(e: np.ndarray, y: np.ndarray, at: float, log_y: bool = True) -> float:
    if not np.all(y > 0):
        log_y = False
    v = np.interp(np.log(at), np.log(e), np.log(y) if log_y else y)
    return float(np.exp(v) if log_y else v)


def child(nxy: int, nz: int, ne: int, zmax: int, threads: int, only: str | None) -> None:
    import resource
    import time

    import escapade.transport3d.march as mr
    from escapade.model import build_model
    from escapade.transport3d.memory import estimate_bytes_3d, n_unknowns_3d

    t_start = time.perf_counter()
    cpu_start = time.process_time()
    cfg = _config(nxy, nz, ne, zmax, only, threads)
    state = {"op_s": 0.0, "op_kind": "", "solver": None}

    original_call = mr.OperatorCache.__call__

    def timed_call(self, k):
        a0, u0, t0 = self.assemblies, self.updates, time.perf_counter()
        op = original_call(self, k)
        state["op_s"] = time.perf_counter() - t0
        state["op_kind"] = "A" if self.assemblies > a0 else ("U" if self.updates > u0 else "S")
        return op

    original_solve = mr.solve_steady

    def timed_solve(grid, matrix, diagonal, rhs, *args, solver=None, context="", **kw):
        s0, n0, t0 = solver.stats.setup_seconds, solver.stats.amg_setups, time.perf_counter()
        res = original_solve(
            grid, matrix, diagonal, rhs, *args, solver=solver, context=context, **kw
        )
        words = context.split()
        step = {
            "species": words[1] if len(words) > 3 else "",
            "ekin": float(words[3]) if len(words) > 3 else float("nan"),
            "its": res.iterations,
            "cg_s": round(time.perf_counter() - t0, 3),
            "setup_s": round(solver.stats.setup_seconds - s0, 3),
            "setups": solver.stats.amg_setups - n0,
            "op": state["op_kind"],
            "op_s": round(state["op_s"], 3),
            "res": res.relative_residual,
            "rss_mb": round(_rss_mb(), 1),
        }
        print("STEP " + json.dumps(step), flush=True)
        return res

    mr.OperatorCache.__call__ = timed_call
    mr.solve_steady = timed_solve

    t0 = time.perf_counter()
    model = build_model(cfg)
    t_build = time.perf_counter() - t0
    print(
        f"built: {len(model.species)} species in {t_build:.1f} s, rss {_rss_mb():.0f} MB",
        flush=True,
    )
    t0 = time.perf_counter()
    ds = model.solve()
    t_solve = time.perf_counter() - t0
    e = ds.ekin_gev_per_n.values
    names = list(ds.species.values)
    ref = "1H" if "1H" in names else names[0]
    rec = {
        "grid": f"{nxy}x{nxy}x{nz}",
        "n_ekin": ne,
        "z_max": zmax,
        "threads": threads,
        "species": len(names),
        "unknowns": n_unknowns_3d(cfg),
        "estimate_gb": estimate_bytes_3d(cfg, len(model.species), model.workers) / 1e9,
        "build_s": t_build,
        "solve_s": t_solve,
        "wall_s": time.perf_counter() - t_start,
        "cpu_s": time.process_time() - cpu_start + _children_cpu(resource),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "max_rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
        "amg_setups": int(ds.attrs["solver_amg_setups"]),
        "amg_setup_s": model.solver.stats.setup_seconds,
        "cg_s": model.solver.stats.solve_seconds,
        "cg_iterations": int(ds.attrs["solver_krylov_iterations"]),
        "solves": model.solver.stats.solves,
        "assemblies": int(ds.attrs["operator_assemblies"]),
        "max_rel_residual": float(ds.attrs["solver_max_relative_residual"]),
        "min_over_max": float(ds.attrs["solver_min_over_max"]),
        "flux_10": _interp(e, ds.flux_local.sel(species=ref).values, 10.0),
        "aniso_1tev": _interp(e, ds.anisotropy.sel(species=ref).values, 1000.0),
        "aniso_all_1tev": _interp(e, ds.anisotropy_all_nuclei.values, 1000.0),
        "reference_species": ref,
    }
    print("RESULT " + json.dumps(rec), flush=True)


def main() -> None:
    args = sys.argv[1:]
    only = None
    out = None
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1]
        del args[i : i + 2]
    threads = 1
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i : i + 2]
    if "--json" in args:
        i = args.index("--json")
        out = Path(args[i + 1])
        del args[i : i + 2]
    if args and args[0] == "--child":
        child(*(int(a) for a in args[1:5]), threads, only)
        return
    nxy, nz, ne, zmax = (int(a) for a in args[:4])

    from escapade.model.model import build_network
    from escapade.transport3d.memory import estimate_bytes_3d, n_unknowns_3d

    cfg = _config(nxy, nz, ne, zmax, only, threads)
    ns = len(build_network(cfg).species)
    print(
        f"{nxy}x{nxy}x{nz}, {ne} energies, Z <= {zmax}{' (' + only + ' only)' if only else ''}: "
        f"{ns} species, {n_unknowns_3d(cfg)} unknowns, memory estimate "
        f"{estimate_bytes_3d(cfg, ns, threads) / 1e9:.2f} GB (limit "
        f"{cfg.solver.memory_limit_gb} GB), solver.threads = {threads}",
        flush=True,
    )
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load before: {uptime}", flush=True)
    cmd = [sys.executable, __file__, "--child", str(nxy), str(nz), str(ne), str(zmax)]
    cmd += ["--only", only] if only else []
    cmd += ["--threads", str(threads)]
    steps, result = [], None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            for line in proc.stdout:
                print(line, end="", flush=True)
                if line.startswith("STEP "):
                    steps.append(json.loads(line[5:]))
                elif line.startswith("RESULT "):
                    result = json.loads(line[7:])
        except KeyboardInterrupt:  # stopped from outside: keep the energies solved so far
            print(f"interrupted after {len(steps)} solves", flush=True)
            proc.wait()
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load after: {uptime_after}", flush=True)
    if out is not None:
        out.write_text(
            json.dumps({"result": result, "steps": steps, "load": [uptime, uptime_after]}, indent=1)
        )
    if proc.returncode:
        sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
