"""What every figure module shares: the Agg backend, axis labels and atomic saving.

Every figure function of :mod:`escapade.plots` returns a :class:`matplotlib.figure.Figure`;
:func:`save` writes it atomically (PNG, PDF or SVG by the file name). The Agg backend is
used, so no display is needed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..io import atomic_path  # noqa: E402
from ..observables.local import _MEASUREMENT_X  # noqa: E402


def axis_kind(kind: str) -> str:
    """Canonical x-axis name of a measurement's or the user's axis."""
    kind = _MEASUREMENT_X.get(kind, kind)
    return "ekin" if kind == "ekin_per_n" else kind


X_LABELS = {
    "ekin": "kinetic energy per nucleon [GeV/n]",
    "rigidity": "rigidity [GV]",
    "ekin_total": "kinetic energy [GeV]",
    "etot": "total energy [GeV]",
}
FLUX_POWER = 2.7
"""Fluxes are drawn as x^2.7 J, the convention of CR spectra plots."""


def save(fig, path: str | Path) -> Path:
    """Write a figure atomically; the format follows the file name."""
    p = Path(path)
    with atomic_path(p, suffix=p.suffix) as tmp:
        fig.savefig(tmp, dpi=150, format=p.suffix.lstrip(".") or "png")
    plt.close(fig)
    return p
