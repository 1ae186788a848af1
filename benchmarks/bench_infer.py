"""Inference: the cost of one posterior evaluation inside a chain, and the sampler on dask workers.

The cheap chain of docs/inference.md: ``escapade infer configs/letter_tau0.85_fast.toml`` on
41 x 41 x 20 with nuclei up to Z = 8, B/C of HEAO-3, PAMELA and CREAM, D0 and phi free
(phi uniform in 0-1.5 GV), 16 walkers x 20 steps, seed 1 (``--fix grid.nr=41 --fix grid.nz=41
--fix grid.n_ekin=20 --fix species.z_max=8 --free diffusion.d0_cm2_s,modulation.phi_gv:0:1.5
--walkers 16 --steps 20 --seed 1``).

- One process measures a standalone ``escapade.solve`` of that configuration (model build
  included; and its solve part, ``run_seconds``) and the log posterior called by hand at 6 new
  points (each one solve on the already built model, plus the chi2 and the priors).
- The same chain runs three times, each in a fresh process: in-process (no dask), with
  ``workers=1`` and with ``workers=2`` (a LocalCluster of processes, one thread each). The
  phases of :func:`escapade.inference.infer` are timed by wrapping its steps: the model build
  and first solve, the cluster start, the starting fit, the starting ball (walkers
  evaluations; on dask each worker builds its model on its first task), the chain (walkers x
  steps evaluations; the sampler's own seconds per evaluation), the draws + 1 predictive solves
  and the cluster shut-down.
  Peak memory: the process's maximum RSS and the largest worker's (``RUSAGE_CHILDREN``).
- The three chains (positions, log posterior, chi2 of every walker and step) are compared.

At ~0.3 s per solve (an idle machine) the defaults take some 6-8 minutes; on a busy machine
give fewer steps and draws (results.md says which were used).
Usage: python benchmarks/bench_infer.py [--walkers 16] [--steps 20] [--draws 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _util import record

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "configs" / "letter_tau0.85_fast.toml"
FIX = {"grid.nr": 41, "grid.nz": 41, "grid.n_ekin": 20, "species.z_max": 8}
DATA = ["B/C:HEAO-3", "B/C:PAMELA", "B/C:CREAM"]
FREE = ["diffusion.d0_cm2_s", "modulation.phi_gv"]
BOUNDS = {"modulation.phi_gv": (0.0, 1.5)}
WALKERS, STEPS, SEED, DRAWS = 16, 20, 1, 20  # defaults of --walkers, --steps, --draws
MODES = {"in-process": None, "workers = 1": 1, "workers = 2": 2}


def _rss() -> tuple[float, float]:
    """Maximum RSS of this process and of its largest finished child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return own, kids


def _child_solve(out: Path) -> None:
    """Standalone solves and hand-made log-posterior calls of the same configuration."""
    import escapade
    from escapade.inference import sampler
    from escapade.inference.posterior import LogPosterior

    cfg = escapade.with_updates(escapade.load_config(PRESET), FIX)
    t = time.perf_counter()
    escapade.solve(cfg)  # first in the process: tables and caches loaded
    first = time.perf_counter() - t
    walls, runs = [], []
    for _ in range(3):
        t = time.perf_counter()
        ds = escapade.solve(cfg)
        walls.append(time.perf_counter() - t)
        runs.append(float(ds.attrs["run_seconds"]))

    settings = dict(free=FREE, fix=FIX, start={}, rmin_gv=5.0, rmax_gv=None,
                    syst="quadrature", phi_gv=sampler.DEFAULT_PHI_GV)  # fmt: skip
    t = time.perf_counter()
    cfg0, meas, pb, priors = sampler._prepare(PRESET, DATA, settings, BOUNDS, {}, WALKERS, None)
    prepare = time.perf_counter() - t
    post = LogPosterior(cfg0, meas, settings, [p.name for p in pb.params], priors, pb)
    d0 = float(pb.params[0].start)
    evals = []
    for k in range(6):  # a new D0 each time: one solve per call, as in a chain
        x = np.array([d0 * (1.0 + 0.01 * (k + 1)), 0.5])
        t = time.perf_counter()
        lp, _ = post(x)
        evals.append(time.perf_counter() - t)
        assert np.isfinite(lp), x
    own, _ = _rss()
    rec = dict(
        solve_first=first,
        solve_wall=min(walls),
        solve_run=min(runs),
        prepare=prepare,
        post_best=min(evals),
        post_median=float(np.median(evals)),
        max_rss_mb=own,
    )
    out.write_text(json.dumps(rec))


def _child_chain(mode: str, out: Path) -> None:
    """One chain of ``mode``, its phases timed by wrapping the steps of ``infer``."""
    import escapade
    from escapade.inference import infer, sampler

    phases: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    orig_pool, orig_evaluate = sampler._pool, sampler._evaluate

    @contextlib.contextmanager
    def pool(client, workers):
        t = time.perf_counter()
        cm = orig_pool(client, workers)
        p = cm.__enter__()
        phases["cluster start"] = time.perf_counter() - t
        try:
            yield p
        finally:
            t = time.perf_counter()
            cm.__exit__(None, None, None)
            phases["cluster shut-down"] = time.perf_counter() - t

    def evaluate(p, fn, items):
        name = "predictive solves" if getattr(fn, "__name__", "") == "predictions" else None
        return (timed(name, orig_evaluate) if name else orig_evaluate)(p, fn, items)

    sampler._pool, sampler._evaluate = pool, evaluate
    sampler._prepare = timed("model build + first solve", sampler._prepare)
    sampler._centre = timed("starting fit", sampler._centre)
    sampler._new_chain = timed("starting ball", sampler._new_chain)
    sampler._run = timed("chain", sampler._run)

    cfg = escapade.load_config(PRESET)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        res = infer(cfg, data=DATA, free=FREE, bounds=BOUNDS, fix=FIX, walkers=WALKERS, steps=STEPS,
                    seed=SEED, draws=DRAWS, workers=MODES[mode], output=tmp)  # fmt: skip
        wall = time.perf_counter() - t
    own, kids = _rss()
    ch = res.chain
    np.savez(out.with_suffix(".npz"), chain=ch.chain, log_prob=ch.log_prob, chi2=ch.chi2)
    rec = dict(
        wall=wall,
        phases=phases,
        n_eval=res.n_evaluations,
        per_eval=res.seconds_per_evaluation,
        fit_solves=ch.start.get("n_solves"),
        acceptance=float(ch.acceptance().mean()),
        max_rss_mb=own,
        worker_rss_mb=kids if MODES[mode] else None,
        d0_median=res.parameters["diffusion.d0_cm2_s"]["median"],
    )
    out.write_text(json.dumps(rec))


def _spawn(mode: str, out: Path) -> dict:
    sizes = ["--walkers", str(WALKERS), "--steps", str(STEPS), "--draws", str(DRAWS)]
    subprocess.run([sys.executable, __file__, *sizes, "--child", mode, str(out)], check=True)
    return json.loads(out.read_text())


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _set_sizes(walkers: int, steps: int, draws: int) -> None:
    global WALKERS, STEPS, DRAWS
    WALKERS, STEPS, DRAWS = walkers, steps, draws


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--walkers", type=int, default=WALKERS)
    ap.add_argument("--steps", type=int, default=STEPS, help="fewer when the machine is busy")
    ap.add_argument("--draws", type=int, default=DRAWS, help="predictive solves (+ 1)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    _set_sizes(args.walkers, args.steps, args.draws)
    if args.child:
        mode, out = args.child
        (_child_solve if mode == "solve" else lambda o: _child_chain(mode, o))(Path(out))
        return

    t_all = time.perf_counter()
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        solo = _spawn("solve", tmp / "solve.json")
        print(json.dumps(solo))
        runs, loads, chains = {}, {}, {}
        for i, mode in enumerate(MODES):
            loads[mode] = _load()
            runs[mode] = _spawn(mode, tmp / f"chain{i}.json")
            chains[mode] = dict(np.load(tmp / f"chain{i}.npz"))
            print(mode, json.dumps(runs[mode]))
    load_after = _load()
    minutes = (time.perf_counter() - t_all) / 60

    def compare(a: dict, b: dict, key: str) -> str:
        """'bit for bit', or the largest relative difference of ``key`` (nan where rejected)."""
        x, y = a[key], b[key]
        if np.array_equal(x, y, equal_nan=True):
            return "bit for bit"
        with np.errstate(invalid="ignore"):
            rel = np.abs(x - y) / np.maximum(np.abs(y), 1e-300)
        return f"max rel. diff {np.nanmax(rel):.1e}"

    ref, one = chains["in-process"], chains["workers = 1"]

    cost = [
        "| evaluation | time [s] |",
        "|---|---|",
        f"| `escapade.solve`, first in a process (tables loaded) | {solo['solve_first']:.2f} |",
        f"| `escapade.solve`, warm (model build + solve), best of 3 | {solo['solve_wall']:.2f} |",
        f"| of which the solve (`run_seconds`) | {solo['solve_run']:.2f} |",
        "| log posterior called by hand, new D0 each call (solve on the built model + chi2 + "
        f"priors), best / median of 6 | {solo['post_best']:.2f} / {solo['post_median']:.2f} |",
    ]
    for m, r in runs.items():
        cost.append(
            f"| in a chain, {m}: the sampler's seconds per evaluation (chain wall / evaluations) "
            f"| {r['per_eval']:.2f} |"
        )

    phase_names = ["model build + first solve", "cluster start", "starting fit", "starting ball",
                   "chain", "predictive solves", "cluster shut-down"]  # fmt: skip
    head = "| | " + " | ".join(MODES) + " |"
    rows = [head, "|---" * (len(MODES) + 1) + "|"]

    def row(label, fmt):
        rows.append(f"| {label} | " + " | ".join(fmt(m, r) for m, r in runs.items()) + " |")

    row("load average (1, 5, 15 min) at the start", lambda m, r: loads[m])
    for name in phase_names:
        row(
            f"{name} [s]", lambda m, r, n=name: f"{r['phases'][n]:.2f}" if n in r["phases"] else "-"
        )
    row("whole `infer` call [s]", lambda m, r: f"{r['wall']:.1f}")
    n_chain = WALKERS * STEPS
    base = runs["in-process"]["phases"]["chain"]
    row(
        f"chain: evaluations per second ({n_chain} evaluations)",
        lambda m, r: f"{n_chain / r['phases']['chain']:.2f}",
    )
    row("chain speed-up over in-process", lambda m, r: f"{base / r['phases']['chain']:.2f}")
    row("posterior evaluations: starting ball + chain", lambda m, r: f"{r['n_eval']}")
    row("starting fit: solves", lambda m, r: f"{r['fit_solves']}")
    row("max RSS, main process [MB]", lambda m, r: f"{r['max_rss_mb']:.0f}")
    row(
        "max RSS, largest worker [MB]",
        lambda m, r: "-" if r["worker_rss_mb"] is None else f"{r['worker_rss_mb']:.0f}",
    )
    for key, what in (("chain", "positions"), ("log_prob", "log posterior")):
        row(
            f"chain {what} against in-process / workers = 1",
            lambda m, r, k=key: f"{compare(chains[m], ref, k)} / {compare(chains[m], one, k)}",
        )
    row(
        "acceptance, D0 median [cm^2/s]",
        lambda m, r: f"{r['acceptance']:.2f}, {r['d0_median']:.4e}",
    )
    for line in cost + [""] + rows:
        print(line)

    note = (
        f"\n\n{WALKERS} walkers x {STEPS} steps, seed {SEED}, {DRAWS} predictive draws, on "
        "`configs/letter_tau0.85_fast.toml` with `--fix grid.nr=41 --fix grid.nz=41 --fix "
        "grid.n_ekin=20 --fix species.z_max=8`, B/C of HEAO-3, PAMELA and CREAM, `--free "
        "diffusion.d0_cm2_s,modulation.phi_gv:0:1.5`; every chain a fresh process, one run "
        f"each, in the order of the columns; {minutes:.1f} min in all. Load average (1, 5, 15 "
        f"min) before: {load_before}, after: {load_after}, on 2 cores shared with other jobs. "
        "In-process the march may use 2 threads (`[solver] threads` unset); a dask worker uses 1."
    )
    record(
        "Inference: cost per evaluation and scaling with dask workers (bench_infer.py)",
        "\n".join(cost) + "\n\n" + "\n".join(rows) + note,
    )


if __name__ == "__main__":
    main()
