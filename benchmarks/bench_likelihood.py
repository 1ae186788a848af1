"""Likelihood-fit benchmark: the 4FGL point-source map and the template fit at nside 128.

Templates: smooth analytic HI-, H2- and IC-like maps, the 4FGL-DR2 point-source map and the
isotropic background (the fit's cost does not depend on where the templates come from), on
the shipped 2-20 GeV counts, exposure and point-source mask. For each task, in fresh
processes (best of 3), the first call in a process (imports, loading the maps and the
catalogue) and a second, warm call.
Usage: python benchmarks/bench_likelihood.py
"""

from __future__ import annotations

from _util import measure, record

SETUP = """
import time
import numpy as np
from escapade.sky.likelihood import fit_templates
from escapade.sky.pixels import pixel_lonlat_deg
from escapade.sky.point_sources import point_source_map
from escapade.sky.systematics import fit_systematic_fraction
lon, lat = pixel_lonlat_deg(128)
lw = (lon + 180.0) % 360.0 - 180.0
T = {
    "HI": 3e-6 * np.exp(-np.abs(lat) / 3.0) * (1.0 + 0.5 * np.cos(np.radians(lw))),
    "H2": 4e-6 * np.exp(-0.5 * lat**2) * np.exp(-0.5 * (lw / 40.0) ** 2),
    "IC": 1e-6 * np.exp(-np.abs(lat) / 15.0) * np.exp(-0.5 * (lw / 80.0) ** 2),
}
RINGS = dict(T)
h2 = RINGS.pop("H2")
for i, (a, b) in enumerate([(0, 10), (10, 30), (30, 60), (60, 181)]):
    RINGS[f"H2_ring{i}"] = np.where((np.abs(lw) >= a) & (np.abs(lw) < b), h2, 0.0)
"""

TASKS = [
    ("4FGL map, nside 128, pixel deposit", "point_source_map(128, (2.0, 20.0))"),
    ("4FGL map, nside 128, psf='psf3'", "point_source_map(128, (2.0, 20.0), psf='psf3')"),
    (
        "fit, absb5, 5 templates (Poisson)",
        "fit_templates(T | {'point_sources': point_source_map(128, (2.0, 20.0))})",
    ),
    (
        "fit, absb8, 5 templates (Poisson)",
        "fit_templates(T | {'point_sources': point_source_map(128, (2.0, 20.0))}, region='absb8')",
    ),
    (
        "fit, absb5, 5 templates, systematic_fraction 0.1",
        "fit_templates(T | {'point_sources': point_source_map(128, (2.0, 20.0))}, "
        "systematic_fraction=0.1)",
    ),
    (
        "fit, absb5, 8 templates (H2 in 4 longitude sectors)",
        "fit_templates(RINGS | {'point_sources': point_source_map(128, (2.0, 20.0))})",
    ),
    (
        "systematic fraction fitted (profile over f), absb5, 5 templates",
        "fit_systematic_fraction(T | {'point_sources': point_source_map(128, (2.0, 20.0))})",
    ),
]


def main() -> None:
    rows = [
        "| task | warm [s] | first call in a process [s] | max RSS [MB] |",
        "|---|---|---|---|",
    ]
    for task, call in TASKS:
        stmt = (
            f"t = time.perf_counter(); r = {call}; cold = time.perf_counter() - t; "
            f"t = time.perf_counter(); r = {call}; "
            "extra = {'cold': cold, 'warm': time.perf_counter() - t}"
        )
        rec = measure(SETUP, stmt)
        row = f"| {task} | {rec['warm']:.3f} | {rec['cold']:.3f} | {rec['max_rss_mb']:.0f} |"
        print(row)
        rows.append(row)
    note = (
        "\n\nShipped Fermi-LAT 2-20 GeV maps (nside 128); absb5 = |b| < 5 deg with the "
        "point-source mask (15198 pixels), absb8 = |b| < 8 deg. The fit includes the isotropic "
        "term with its prior, MIGRAD, HESSE and the analytic covariance; the 4FGL map is "
        "built inside the timed call. The first call also loads the Fermi-LAT maps and the "
        "catalogue."
    )
    record("Likelihood fit and 4FGL point sources (bench_likelihood.py)", "\n".join(rows) + note)


if __name__ == "__main__":
    main()
