"""Total inelastic (reaction) cross sections of CR nuclei on interstellar H and He.

Named, cited sets selectable with ``[nuclear] inelastic``:

* ``"tripathi99"``: Tripathi et al. 1997/1999 universal parametrisation
  (NASA TP 208438), tabulated for Z = 1-30 on H and He in USINE (Maurin 2020,
  CPC 247, 106942), 0.05-6.3 GeV/n. Its light-system rows (p-He, 4He-H: zero below
  ~0.3-1 GeV/n, 25 mb for p-He at 1 GeV/n against ~110 mb measured) are replaced by
  the Barashenkov & Polanski rows for Z <= 2;
* ``"barashenkov94"`` (default): Barashenkov & Polanski 1994 (CROSEC), USINE tabulation;
* ``"webber03"``: the Webber et al. 2003 (ApJS 144, 153) table on H; the He
  target is scaled with the He/H ratio of the Tripathi set at the same energy.

Where a set has no p-He row (Barashenkov), the 4He-p row is used: at equal kinetic
energy per nucleon the two reactions are the same collision seen from two frames.
In every set proton-proton is replaced by the inelastic pp cross section of
Kafexhiu et al. 2014 (PRD 90, 123014, eq. 1), which keeps its logarithmic rise
to 100 TeV. Beyond the tabulated energies the nuclear tables are held at their
end values (the reaction cross sections of nuclei are flat within a few per cent
above a few GeV/n).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from ..config.sections import INELASTIC_SETS
from ..constants import M_PROTON_GEV
from ..numerics.interpolation import interp_log_x

TARGETS = ("H", "He")

_FILES = {
    "tripathi99": "inelastic_Tripathi99_USINE.csv",
    "barashenkov94": "inelastic_Barashenkov94_USINE.csv",
    "webber03": "inelastic_Webber03_total_H.csv",
}

M_PI0_GEV = 0.1349768
T_THRESHOLD_PP_GEV = 2.0 * M_PI0_GEV + M_PI0_GEV**2 / (2.0 * M_PROTON_GEV)
"""Kinetic-energy threshold for pi0 production in pp collisions (Kafexhiu et al. 2014)."""


class CrossSectionError(KeyError):
    """A reaction that the chosen cross-section set does not tabulate."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def pp_inelastic_kafexhiu2014_mb(ekin_gev):
    """Inelastic pp cross section (mb), Kafexhiu et al. 2014 (PRD 90, 123014), eq. (1).

    sigma = [30.7 - 0.96 ln(x) + 0.18 ln(x)^2] [1 - x^-1.9]^3 mb, x = T_p / T_th.
    Zero below threshold.
    """
    t = np.asarray(ekin_gev, dtype=float)
    x = np.maximum(t / T_THRESHOLD_PP_GEV, 1.0)
    lx = np.log(x)
    return (30.7 - 0.96 * lx + 0.18 * lx**2) * (1.0 - x**-1.9) ** 3


def _read_header_value(lines: list[str], key: str) -> str | None:
    for line in lines:
        if line.startswith("#") and key in line:
            return line.split(key, 1)[1].strip()
    return None


@cache
def _usine_table(name: str) -> tuple[np.ndarray, dict[tuple[int, int, str], np.ndarray]]:
    """Read a USINE-style inelastic table: energy grid (GeV/n) and rows per (Z, A, target)."""
    text = resources.files("escapade.data.xsec").joinpath(name).read_text(encoding="utf-8")
    lines = text.splitlines()
    grid = np.array(_read_header_value(lines, "Ekn_GeV_per_n:").split(), dtype=float)
    rows: dict[tuple[int, int, str], np.ndarray] = {}
    data_lines = [ln for ln in lines if ln and not ln.startswith("#")]
    for ln in data_lines[1:]:
        parts = ln.split(",")
        rows[(int(parts[0]), int(parts[1]), parts[2].strip())] = np.array(parts[3:], dtype=float)
    return grid, rows


@cache
def _webber_table() -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    text = resources.files("escapade.data.xsec").joinpath(_FILES["webber03"]).read_text("utf-8")
    data_lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    header = data_lines[0].split(",")
    grid = np.array([float(h[1:]) for h in header[2:]]) * 1e-3
    rows = {}
    for ln in data_lines[1:]:
        parts = ln.split(",")
        rows[(int(parts[0]), int(parts[1]))] = np.array(parts[2:], dtype=float)
    return grid, rows


def inelastic_mb(name: str, z: int, a: int, target: str, ekin_gev_per_n) -> np.ndarray:
    """Total inelastic cross section (mb) of nucleus (Z, A) on ``target`` ("H" or "He").

    ``name`` is one of :data:`INELASTIC_SETS`. Raises :class:`CrossSectionError`
    naming the set and the reaction if the set does not cover it.
    """
    if name not in INELASTIC_SETS:
        raise CrossSectionError(
            f"inelastic cross-section set {name!r} is unknown; allowed: {', '.join(INELASTIC_SETS)}"
        )
    if target not in TARGETS:
        raise CrossSectionError(f"target {target!r} is unknown; allowed: H, He")
    e = np.asarray(ekin_gev_per_n, dtype=float)
    if (z, a, target) == (1, 1, "H"):
        return pp_inelastic_kafexhiu2014_mb(e)
    if name == "webber03":
        grid, rows = _webber_table()
        if (z, a) not in rows:
            raise CrossSectionError(f"webber03 has no inelastic cross section for Z={z}, A={a}")
        vals = rows[(z, a)]
        ok = vals > 0
        sig_h = interp_log_x(e, grid[ok], vals[ok])
        if target == "H":
            return sig_h
        trip_h = inelastic_mb("tripathi99", z, a, "H", e)
        trip_he = inelastic_mb("tripathi99", z, a, "He", e)
        ratio = np.divide(trip_he, trip_h, out=np.zeros_like(trip_h), where=trip_h > 0)
        return sig_h * ratio
    if name == "tripathi99" and z <= 2:
        # Tripathi's light-system rows (p-He, 4He-H) are zero below ~0.3-1 GeV/n and half
        # the measured values up to a few GeV/n: use Barashenkov & Polanski for Z <= 2
        name = "barashenkov94"
    grid, rows = _usine_table(_FILES[name])
    key = (z, a, target)
    if key == (1, 1, "He") and not np.any(rows.get(key, np.zeros(1)) > 0):
        # p on 4He equals 4He on p at the same kinetic energy per nucleon
        key = (2, 4, "H")
    if key not in rows:
        raise CrossSectionError(
            f"{name} has no inelastic cross section for Z={z}, A={a} on {target}"
        )
    vals = rows[key]
    ok = vals > 0
    if not ok.any():
        raise CrossSectionError(f"{name} tabulates only zeros for Z={z}, A={a} on {target}")
    return interp_log_x(e, grid[ok], vals[ok])
