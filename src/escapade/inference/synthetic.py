"""Synthetic data sets made by escapade itself, for calibration studies of the posterior.

A real table lends its points and errors; the values are the model's at known parameters
(as the fit computes them: :func:`escapade.fit.model_values`, the force field at ``phi_gv``
on the refined flux), fluctuated by Gaussian noise of the table's symmetrised total error
(``Measurement.sigma()``, the error of the fit's ``syst = "quadrature"``)::

    ds = escapade.solve(cfg)                                   # the truth
    rng = np.random.default_rng(7)
    bc = synthetic_measurement(ds, load_measurement("B/C:AMS-02"), 0.7, rng)
    write_csv(bc, "bc.csv")              # escapade infer CFG --data bc.csv ...
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..fit import Measurement, model_values
from ..measurements.user_tables import CSV_COLUMNS


def synthetic_measurement(
    ds, real: Measurement, phi_gv: float, rng: np.random.Generator | None, scale: float = 1.0
) -> Measurement:
    """The table ``real`` with its values replaced by the model's plus Gaussian noise.

    ``ds``: a solution (``escapade.solve(cfg)``) at the true parameters; ``phi_gv``: the true
    force-field potential [GV]; ``scale``: a factor on the model flux (not on ratios), the
    fit's flux normalisation; ``rng``: the noise (``numpy.random.default_rng(seed)``), or
    None for the model values without noise. Values: ratios dimensionless, fluxes in
    m^-2 s^-1 sr^-1 per unit of x (``real.units``), at ``real.x`` (``real.x_units``). Every
    error column is copied from ``real`` and the noise of point i has standard deviation
    ``real.sigma()[i]``. Points outside the model's energy grid (no model value) and points
    without a positive error are dropped. The experiment becomes ``synthetic-<experiment>``.
    """
    pred = np.asarray(model_values(ds, real, float(phi_gv)), dtype=float)
    if not real.is_ratio:
        pred = pred * float(scale)
    sigma = real.sigma()
    keep = np.isfinite(pred) & np.isfinite(sigma) & (sigma > 0)
    m = real.select(keep)
    y = pred[keep]
    if rng is not None:
        y = y + sigma[keep] * rng.standard_normal(y.size)
    return replace(
        m,
        y=y,
        experiment=f"synthetic-{real.experiment}",
        citation=f"synthetic: escapade model at phi = {phi_gv:g} GV, errors of {real.name}",
        source="",
        meta={"format": "synthetic", "errors_of": real.name},
    )


def write_csv(m: Measurement, path) -> Path:
    """Write ``m`` as a user table that ``--data`` and :func:`escapade.fit.load_csv` read
    (the same x, values and error columns, full float precision); returns the path."""
    path = Path(path)
    a = np.column_stack([m.x, m.y, m.stat_lo, m.stat_hi, m.syst_lo, m.syst_hi])
    head = [
        f"# x_kind: {m.x_kind}",
        f"# observable: {m.observable}",
        f"# experiment: {m.experiment}",
        f"# units: {m.units}",
        f"# citation: {m.citation}",
        ",".join(CSV_COLUMNS),
    ]
    rows = [",".join(repr(float(v)) for v in row) for row in a]
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")
    return path
