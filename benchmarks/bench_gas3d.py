"""3D survey gas benchmark: the projection kernel, sky maps through it, the template fit.

The letter preset (tau = 0.85, 81 x 161 x 64, Z <= 2: the pi0 projectiles) solved twice with
the full density: with the analytic gas (``[gas] model = "galprop_analytic"``, the before)
and with the survey-constrained 3D gas (``"survey3d"``, the after). In fresh processes:

(a) the gas kernel of the survey3d solution built cold (``ESCAPADE_CACHE_DIR`` an empty
    folder; the survey factors of the gas included), once;
(b) the same kernel loaded from the disk cache (best of 3);
(c) a nside-128 2-20 GeV ``escapade.skymap`` of each solution: first call in a process and a
    warm second call (best of 3); target <= 5 s per band warm;
(d) the template fit of each solution with f fitted (``escapade.sky.fit_solution``: phase
    templates regridded, the 4FGL psf3 map, ``fit_systematic_fraction``) on maps made in the
    setup, and ``process_maps`` + the fit together (best of 3).

Each row gives the wall time, the peak of the memory traced by tracemalloc (numpy arrays
included) and the process's maximum RSS. The machine (nproc, CPU model) and its load
(``uptime``) before and after are recorded with the table.
Usage: python benchmarks/bench_gas3d.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import measure, record

PRESET = Path(__file__).resolve().parents[1] / "configs" / "letter_tau0.85.toml"
BAND = (2.0, 20.0)
NSIDE = 128


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _load() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return out.split("load average:")[-1].strip()


def _setup(path, cache: str) -> str:
    return (
        f"import os; os.environ['ESCAPADE_CACHE_DIR'] = {cache!r}\n"
        "import time\n"
        "from escapade.sky.geometry import gas_of, geometry_of\n"
        "from escapade.sky.los3d import gas_kernel\n"
        "from escapade.sky.solution_fit import FitSettings, fit_solution\n"
        "from escapade.sky.templates import process_maps\n"
        f"ds = escapade.open_solution({str(path)!r}).load()\n"
    )


def _cold_warm(call: str) -> str:
    return (
        f"t = time.perf_counter(); r = {call}; cold = time.perf_counter() - t; "
        f"t = time.perf_counter(); r = {call}; "
        "extra = {'cold': cold, 'warm': time.perf_counter() - t}"
    )


def _solve(tmp: Path, gas_model: str) -> Path:
    """Solve in a child process: a large parent would pass its RSS high-water mark on to
    every process it starts (Linux keeps ru_maxrss across fork and exec)."""
    path = tmp / f"{gas_model}.nc"
    code = (
        "import escapade\n"
        f"cfg = escapade.with_updates(escapade.load_config({str(PRESET)!r}), "
        f"{{'species.z_max': 2, 'gas.model': {gas_model!r}}})\n"
        f"escapade.write_solution(escapade.solve(cfg, full=True), {str(path)!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return path


def _row(task, rec, warm=None, cold=None) -> str:
    w = f"{warm:.3f}" if warm is not None else ""
    c = f"{cold:.3f}" if cold is not None else ""
    return f"| {task} | {w} | {c} | {rec['peak_traced_mb']:.0f} | {rec['max_rss_mb']:.0f} |"


def main() -> None:
    load_before = _load()
    rows = [
        "| task | warm [s] | first call in a process [s] | peak traced [MB] | max RSS [MB] |",
        "|---|---|---|---|---|",
    ]

    def add(row):
        print(row, flush=True)
        rows.append(row)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = {g: _solve(tmp, g) for g in ("galprop_analytic", "survey3d")}
        cache = tmp / "kernel-cache"
        cache.mkdir()
        kernel = "gas_kernel(gas_of(ds), geometry_of(ds))"
        rec = measure(_setup(paths["survey3d"], str(cache)), f"r = {kernel}", repeat=1)
        add(_row("(a) survey3d gas kernel, built cold (empty cache)", rec, cold=rec["wall_s"]))
        size = sum(p.stat().st_size for p in cache.iterdir()) / 2**20
        rec = measure(_setup(paths["survey3d"], str(cache)), f"r = {kernel}")
        add(
            _row(
                f"(b) the same kernel, loaded from the disk cache ({size:.0f} MB)",
                rec,
                cold=rec["wall_s"],
            )
        )
        for gas, what in (("galprop_analytic", "before: analytic gas"), ("survey3d", "after")):
            setup = _setup(paths[gas], str(cache))
            rec = measure(setup, _cold_warm(f"escapade.skymap(ds, {BAND}, {NSIDE})"))
            add(
                _row(
                    f"(c) skymap nside {NSIDE}, 2-20 GeV, {gas} ({what})",
                    rec,
                    rec["warm"],
                    rec["cold"],
                )
            )
            fit = f"fit_solution(ds, {BAND}, {NSIDE}, FitSettings(), maps=M)"
            rec = measure(setup + f"M = process_maps(ds, {BAND}, {NSIDE})\n", _cold_warm(fit))
            add(
                _row(
                    f"(d) template fit, f fitted, {gas} (maps given)", rec, rec["warm"], rec["cold"]
                )
            )
            both = f"fit_solution(ds, {BAND}, {NSIDE}, FitSettings())"
            rec = measure(setup, _cold_warm(both))
            add(
                _row(
                    f"(d) process_maps + template fit, f fitted, {gas}",
                    rec,
                    rec["warm"],
                    rec["cold"],
                )
            )
    load_after = _load()
    note = (
        f"\n\nMachine: nproc {os.cpu_count()}, CPU model '{_cpu_model()}'; load average "
        f"(uptime, 1/5/15 min) {load_before} before and {load_after} after. Letter preset "
        "(tau = 0.85), 81 x 161 x 64, Z <= 2, solved with each gas model. Fresh processes; "
        "(a) once, the others best of 3. The first call in a process also imports and reads "
        "the solution's gas and, for survey3d, loads the kernel from the disk cache; the warm "
        "call reuses them (a second band does). Templates: pi0 + bremsstrahlung of each gas "
        "phase (no leptons here: pi0), the 4FGL map (psf3) and the isotropic term, |b| < 5 deg "
        "with the point-source mask."
    )
    record("3D survey gas: kernel, maps and template fit (bench_gas3d.py)", "\n".join(rows) + note)


if __name__ == "__main__":
    main()
